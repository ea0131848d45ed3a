-- usdt_spec: SystemTap SDT probes (spec/targets/usdt: shop, built -O2 and
-- -O0 with <sys/sdt.h> from Debian's systemtap-sdt-dev, and its
-- libshoplib.so): usdt:PROVIDER:NAME and usdt:MODULE:PROVIDER:NAME, every
-- site of a probe, t:probe_arg decoding registers, memory, symbols and
-- constants of each size and signedness, semaphores raised while a probe
-- is set and lowered when it goes, and strict resolution.
--
-- bpftrace on the same program (shop_O2 100 prints "sold=134 given=34
-- revenue=495000 audited=0 pings=100 semaphore=0" alone):
--   bpftrace -e 'usdt:./shop_O2:shop:sold { @sold = count() }
--                usdt:./shop_O2:shop:audit { @audit = count(); @a = sum(arg0) }' -c './shop_O2 100'
--     @sold: 134, @audit: 100, @a: 33330000 (bpftrace raises the semaphore
--     too; arg0 is lutra's probe_arg(1): twice the running revenue)
local lutra = require "lutra"
local H = require "helper"

local missing = H.slurp(H.target("usdt.missing"))
if missing then
  print("skipped: usdt_spec: " .. missing)
  os.exit(77)
end

local function spawn(prog, n, out)
  return assert(lutra.spawn({H.target(prog), tostring(n)}, {stdout = out or "null", env = {"PATH=/usr/bin:/bin"}}))
end

local function figures(out)
  local text = assert(H.slurp(out))
  local r = {}
  for k, v in text:gmatch("(%a+)=(%-?%d+)") do r[k] = math.tointeger(tonumber(v)) end
  return r
end

-- Stops p in main, where the libraries it is linked against are mapped.
local function to_main(p)
  p:break_at("main", {once = true, handler = function() return "stop" end})
  assert.are.equal("stopped", p:run().reason)
end

for _, prog in ipairs({"shop_O2", "shop_O0"}) do
  describe("USDT (" .. prog .. ")", function()
    it("stops at every site of a probe and decodes its arguments", function()
      local out = H.tmpname()
      local p = spawn(prog, 12, out)
      local sold, restock, closed = {}, {}, {}
      local bp = p:break_at("usdt:shop:sold", function(t, pr)
        sold[#sold + 1] = string.format("%d %d %s", t:probe_arg(1), t:probe_arg(2), p:read_string(t:probe_arg(3)))
        assert.are.equal("usdt:shop:sold", pr.symbol)
        assert.are.same({"shop", "sold", 3}, {t:usdt_probe()})
      end)
      p:break_at("usdt:shop:restock", function(t) restock[#restock + 1] = {t:probe_arg(1), t:probe_arg(2)} end)
      p:break_at("usdt:" .. prog .. ":shop:closed", function(t)
        closed = {t:probe_arg(1), t:probe_arg(2), t:probe_arg(3)}
        assert.has_error(function() t:probe_arg(4) end, "probe_arg(4): USDT probe shop:closed has 3 arguments")
      end)
      assert.are.same({reason = "exited", code = 0}, p:run())
      local r = figures(out)
      assert.are.equal(16, r.sold)
      assert.are.equal(r.sold, bp.hits)
      assert.are.equal(2, #bp.addresses) -- sell() and give_away()
      assert.are.same({"-3 0 widget", "0 0 sample", "-2 100 widget", "-1 200 widget", "0 300 widget",
        "3 0 sample"}, {table.unpack(sold, 1, 6)})
      local revenue = 0
      for _, s in ipairs(sold) do revenue = revenue + tonumber(s:match("^%S+ (%S+)")) end
      assert.are.equal(r.revenue, revenue)
      -- an unsigned byte that wraps (250, 251, ... 255, 0, 1) and a global
      for i, v in ipairs(restock) do assert.are.same({(249 + i) % 256, 1001 - i}, v) end
      assert.are.equal(12, #restock)
      assert.are.same({-1, 5, -2}, closed)
    end)

    it("raises a probe's semaphore while it is set, so its costly path runs", function()
      local out = H.tmpname()
      local p = spawn(prog, 10, out)
      local seen = {}
      local audit = p:break_at("usdt:shop:audit", function(t, pr)
        seen[#seen + 1] = t:probe_arg(1)
        if #seen == 4 then pr:remove() end
      end)
      assert.are.same({reason = "exited", code = 0}, p:run())
      local r = figures(out)
      assert.are.equal(4, r.audited) -- ran until the probe was removed
      assert.are.same({0, 200, 600, 1200}, seen) -- twice the revenue so far
      assert.are.equal(4, audit.hits)
      local plain = H.tmpname()
      os.execute(H.target(prog) .. " 10 > " .. plain)
      assert.are.equal(0, figures(plain).audited)
    end)

    it("lowers the semaphore before it detaches", function()
      local out = H.tmpname()
      local p = spawn(prog, 10, out)
      local hits = 0
      p:break_at("usdt:shop:audit", function()
        hits = hits + 1
        if hits == 2 then return "stop" end
      end)
      local r = p:run()
      assert.are.equal("stopped", r.reason)
      local sem
      for _, pr in ipairs(p:usdt_probes()) do if pr.name == "audit" then sem = pr.semaphore end end
      assert.are.equal(1, string.unpack("<I2", H.mem(p.pid, sem, 2)))
      local pid = p.pid
      assert(p:detach())
      assert.is_true(H.wait_gone(pid))
      -- the costly path stopped running with the detach, and the program
      -- ended with its semaphore back at 0
      assert.are.same({2, 0}, {figures(out).audited, figures(out).semaphore})
    end)

    it("finds probes in libraries, by provider or with the module", function()
      local out = H.tmpname()
      local p = spawn(prog, 7, out)
      local any, qualified = {}, {}
      p:break_at("usdt:lib:ping", function(t) any[#any + 1] = t:probe_arg(1) end)
      p:break_at("usdt:libshoplib.so:lib:ping", function(t) qualified[#qualified + 1] = t:probe_arg(1) end)
      p:run()
      assert.are.same({0, 1, 2, 3, 4, 5, 6}, any)
      assert.are.same(any, qualified)
      assert.are.equal(7, figures(out).pings)
    end)

    it("refuses unknown probes and modules, malformed names and on_return", function()
      local p = spawn(prog, 3)
      p:break_at("usdt:shop:nope")
      local ok, err = pcall(p.run, p) -- decided once the libraries are mapped
      assert.is_false(ok)
      assert.matches("no USDT probe shop:nope in process " .. p.pid, err, 1, true)
      p:kill()
      p = spawn(prog, 3)
      to_main(p)
      assert.has_error(function() p:break_at("usdt:shop:nope") end,
        string.format("break_at: no USDT probe shop:nope in process %d (%d objects searched)", p.pid, #p:modules()))
      assert.has_error(function() p:break_at("usdt:libnope:lib:ping") end,
        string.format("break_at: no module 'libnope' loaded in process %d", p.pid))
      assert.has_error(function() p:break_at("usdt:libshoplib.so:lib:pong") end,
        "break_at: no USDT probe lib:pong in libshoplib.so")
      assert.has_error(function() p:break_at("usdt:shop") end,
        'break_at "usdt:shop": a USDT probe is usdt:PROVIDER:NAME or usdt:MODULE:PROVIDER:NAME')
      assert.has_error(function() p:break_at("usdt:shop:sold", {on_return = function() end}) end,
        'break_at "usdt:shop:sold": on_return does not apply to a USDT probe (it marks a place, not a function)')
      local later = p:break_at("usdt:libplugin.so:plugin:loaded") -- a library to come
      assert.is_true(later.pending)
      local t
      p:break_at("audit", {once = true, handler = function(th) t = th; return "stop" end})
      assert.are.equal("stopped", p:run().reason)
      local v, msg, code = t:probe_arg(1)
      assert.are.same({nil, "ENOTUSDT"}, {v, code})
      assert.are.equal(string.format("thread %d is not stopped at a USDT probe", t.tid), msg)
      assert.are.same({nil, "ENOTUSDT"}, {select(1, t:usdt_probe()), select(3, t:usdt_probe())})
      p:kill()
    end)
  end)
end
