-- probes_spec: probes that do not stop the program (docs/API.md): p:counter,
-- p:hist, break_at's `when`, run's ticks; their expressions, compiled in
-- the program and evaluated by the tracer, against Lua's own arithmetic;
-- where a jump fits and where lutra falls back to an int3; the safety
-- rules of patching code (threads, branches, W^X, bytes restored on every
-- path, vfork and fork children, lutra killed by SIGKILL).
--
-- Second tool, same programs: bpftrace 0.17 counts the calls the counters
-- count (`bpftrace -e 'uprobe:build/targets/probed:plain { @c = count() }'
-- -c 'build/targets/probed plain 1000 2'` prints @c: 2000;
-- `usdt:build/targets/shop_O2:shop:sold { @ = count() }` with shop_O2 100
-- prints @: 134, as usdt_spec notes).
local lutra = require "lutra"
local H = require "helper"

local function spawn(args, out, pin)
  local argv = {H.target(args[1])}
  for i = 2, #args do argv[i] = args[i] end
  return assert(lutra.spawn(argv, {stdout = out or "null", pin = pin}))
end

-- The inputs exprs.c passes to f and g, replayed.
local function exprs_inputs(n)
  local list = {}
  local x = 12345
  for i = 0, n - 1 do
    x = x * 6364136223846793005 + 1442695040888963407
    local a, b, c = x, (x >> 40) - (1 << 23), (x >> 59) - 16
    local k = i % 16
    if k == 0 then a, c = math.mininteger, -1
    elseif k == 1 then c = 0
    elseif k == 2 then c = 64
    elseif k == 3 then c = -64
    elseif k == 4 then a, c = -1, 63
    elseif k == 5 then b, c = math.maxinteger, 1 end
    list[#list + 1] = {a, b, c}
  end
  return list
end

-- Each expression with what Lua says of it (a division by zero: false).
local function idiv(a, c) if c == 0 then return nil end return a // c end
local function imod(a, c) if c == 0 then return nil end return a % c end
local EXPRS = {
  {"arg1 > arg2", function(a, b) return a > b end},
  {"arg1 / arg3 > 5", function(a, _, c) local q = idiv(a, c) return q ~= nil and q > 5 end},
  {"arg1 % arg3 == 1", function(a, _, c) local r = imod(a, c) return r ~= nil and r == 1 end},
  {"arg1 % arg3 < 0", function(a, _, c) local r = imod(a, c) return r ~= nil and r < 0 end},
  {"(arg2 << arg3) < 0", function(_, b, c) return (b << c) < 0 end},
  {"(arg1 >> arg3) & 1 == 1", function(a, _, c) return (a >> c) & 1 == 1 end},
  {"arg2 * 3 + 7 ~= arg1 and not (arg3 < 0)", function(a, b, c) return b * 3 + 7 ~= a and c >= 0 end},
  {"arg3 == 0 or arg1 / arg3 < 0", function(a, _, c) return c == 0 or a // c < 0 end},
  {"-arg2 == ~arg2 + 1", function() return true end},
  {"arg1 ~ arg2 > 0", function(a, b) return (a ~ b) > 0 end},
  {"!(arg1 & 0xff) || arg2 >= 100000", function(a, b) return (a & 0xff) == 0 or b >= 100000 end},
  {"arg1 != arg1 + 0 && 1", function() return false end},
  {"0xffffffffffffffff == -1 and 1<<20 == 1048576", function() return true end},
  {"rdi == arg1 and rsi == arg2 and rdx == arg3", function() return true end},
  {"(arg1 >> 63) == 1", function(a) return a < 0 end},
  {"arg1 - arg2 * arg3 >= -5 and arg3 <= 7", function(a, b, c) return a - b * c >= -5 and c <= 7 end},
}

describe("probe expressions", function()
  it("count in the program and in the tracer what Lua's integer arithmetic says", function()
    local n = 1600
    local out = H.tmpname()
    local p = spawn({"exprs", tostring(n), "1"}, out)
    local inline, traps = {}, {}
    for i, e in ipairs(EXPRS) do
      inline[i] = p:counter("f", e[1])
      traps[i] = p:counter("g", e[1])
    end
    assert.are.equal("inline", inline[1].mode)
    assert.are.equal("trap", traps[1].mode) -- g is 4 bytes long: the tracer evaluates
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal("done\n", H.slurp(out))
    local inputs = exprs_inputs(n)
    for i, e in ipairs(EXPRS) do
      local want = 0
      for _, v in ipairs(inputs) do if e[2](v[1], v[2], v[3]) then want = want + 1 end end
      assert.are.equal(want, inline[i]:value(), "compiled: " .. e[1])
      assert.are.equal(want, traps[i]:value(), "tracer: " .. e[1])
    end
  end)

  it("read memory, a fault or the NULL page making the whole expression false", function()
    local p = spawn({"exprs", "16", "5"})
    local cases = {
      {"u8[arg1] == 0x81", 5 + 5}, -- the record, and the last byte of the page before PROT_NONE
      {"u8[arg1] ~= 0x81", 0},     -- false where the read faults, whatever the comparison
      {"u16[arg1 + 2] == 0x8384 and u32[arg1 + 4] == 0x85868788", 5},
      {"u64[arg1 + 8] == 0x8990a0b0c0d0e0f0", 5},
      {"u64[arg1] == 0x8181818181818181", 0}, -- straddles into PROT_NONE: faults
      {"arg1 == 0 or u8[arg1] == 2", 5},     -- or: NULL needs no read
      {"not u8[arg1 + 1]", 0},
    }
    local c = {}
    for i, case in ipairs(cases) do c[i] = p:counter("m", case[1]) end
    local h = p:hist("m", "u8[arg1]")
    assert.are.same({reason = "exited", code = 0}, p:run())
    for i, case in ipairs(cases) do assert.are.equal(case[2], c[i]:value(), case[1]) end
    assert.are.equal(15, h.dropped) -- NULL, address 16, PROT_NONE
    assert.are.equal(10, h:get()[8]) -- 0x81 = 129: [128, 256)
  end)

  it("fill a histogram in bpftrace's layout, dropping what divides by zero", function()
    local n = 800
    local p = spawn({"exprs", tostring(n), "1"})
    local h = p:hist("f", "arg3")
    local q = p:hist("f", "arg1 / arg3")
    local t = p:hist("g", "arg3") -- in the tracer
    assert.are.same({reason = "exited", code = 0}, p:run())
    local want = lutra.stats.hist("f")
    local zeros = 0
    for _, v in ipairs(exprs_inputs(n)) do
      want:add(v[3])
      if v[3] == 0 then zeros = zeros + 1 end
    end
    assert.are.equal(tostring(want), tostring(h))
    assert.are.equal(tostring(want):gsub("@f", "@g"), tostring(t))
    assert.are.equal(zeros, q.dropped)
    assert.are.equal(0, h.dropped)
    assert.matches('"kind":"hist"', h:json())
    assert.are.equal("inline", h.mode)
    assert.are.equal("trap", t.mode)
  end)

  it("name the column of a syntax error, in the call that got it", function()
    local p = spawn({"exprs", "1", "1"})
    local function err(fn) local ok, e = pcall(fn) assert.is_false(ok) return e end
    assert.matches('counter: bad expression "arg1 >": column 7: expected a value, found the end',
      err(function() p:counter("f", "arg1 >") end), nil, true)
    assert.matches("column 1: arg7: the arguments are arg1 to arg6", err(function() p:counter("f", "arg7") end), nil, true)
    assert.matches("arg0: arguments count from 1", err(function() p:counter("f", "arg0 > 1") end), nil, true)
    assert.matches("column 5: unknown name 'foo'", err(function() p:counter("f", "1 + foo") end), nil, true)
    assert.matches("column 4: expected ')'", err(function() p:hist("f", "(1 2") end), nil, true)
    assert.matches("register cs cannot be read", err(function() p:counter("f", "cs == 0") end), nil, true)
    assert.matches("u8 reads memory: write u8%[address%]", err(function() p:counter("f", "u8 arg1") end))
    assert.matches('break_at: bad expression "arg1 =": column 6', err(function() p:break_at("f", {when = "arg1 ="}) end),
      nil, true)
    assert.matches("integer too large", err(function() p:counter("f", "99999999999999999999") end), nil, true)
    assert.matches("hist: an expression is needed", err(function() p:hist("f") end), nil, true)
    p:kill()
  end)
end)

describe("a probe's jump", function()
  local FITS = {"plain", "endbr", "nop5", "riprel", "short_jcc", "call_last"}
  local NOFIT = {
    {"tiny", "shorter than the jump"},
    {"back", "a branch of the function lands inside the patched bytes"},
    {"jumptable", "an indirect jump in the function"},
    {"call_first", "a call among the first bytes that is not the last one displaced"},
  }
  local function plain_run(fn)
    local out = H.sh(string.format("%s %s 3000 2", H.target("probed"), fn))
    return out
  end

  for _, fn in ipairs(FITS) do
    it("goes inline at " .. fn .. " and leaves its results alone", function()
      local out = H.tmpname()
      local p = spawn({"probed", fn, "3000", "2"}, out)
      local c = p:counter(fn)
      local odd = p:counter(fn, "arg1 & 1")
      assert.are.equal("inline", c.mode)
      assert.are.same({reason = "exited", code = 0}, p:run())
      assert.are.equal(plain_run(fn), H.slurp(out))
      assert.are.equal(6000, c:value())
      assert.are.equal(3000, odd:value())
      local s = p:stats()
      assert.are.equal(2, s.inline)
      assert.are.equal(0, s.trap)
      assert.is_true(s.stops < 60, "stops " .. s.stops) -- thread events only: the 6000 calls never stopped
    end)
  end

  for _, case in ipairs(NOFIT) do
    local fn, why = case[1], case[2]
    it("falls back to an int3 at " .. fn .. " (" .. why .. "), counting right", function()
      local out = H.tmpname()
      -- call_first: one thread, stopped inside the callee of its first call
      -- (its return address is call_first + 2) when the probes go in
      local threads = fn == "call_first" and 1 or 2
      local p = spawn({"probed", fn, "300", tostring(threads)}, out)
      local inflight = 0
      if fn == "call_first" then
        p:break_at("helper", {once = true, handler = function() return "stop" end})
        assert.are.equal("stopped", p:run().reason)
        inflight = 1 -- call_first(0): under way, past the probe
      end
      local c = p:counter(fn)
      local big = p:counter(fn, "arg1 >= 100")
      local n = 0
      local bp = p:break_at(fn, {when = "arg1 == 7", handler = function(t) n = n + 1 assert.are.equal(7, t:arg(1)) end})
      assert.are.equal("trap", c.mode)
      assert.are.equal("trap", bp.mode)
      assert.matches(why, c.bp.why, nil, true)
      assert.are.same({reason = "exited", code = 0}, p:run())
      assert.are.equal(H.sh(string.format("%s %s 300 %d", H.target("probed"), fn, threads)), H.slurp(out))
      assert.are.equal(300 * threads - inflight, c:value())
      assert.are.equal(200 * threads, big:value())
      assert.are.equal(threads, n)
      assert.are.equal(3, p:stats().trap)
    end)
  end

  it("gives a glob one counter over its functions, inline where it can", function()
    local p = spawn({"probed", "call_last", "500"})
    local c = p:counter("call_*") -- call_last (inline) and call_first (no jump fits)
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(500, c:value())
    assert.are.equal("trap", c.mode) -- one location traps
    local modes = {}
    for _, bp in ipairs(c.bp) do modes[bp.symbol] = bp.mode end
    assert.are.same({call_last = "inline", call_first = "trap"}, modes)
  end)

  it("resolves where as break_at does: strict, and pending for a library", function()
    -- right after spawn a name is checked once the libraries are mapped (break_at's rule)
    local p = spawn({"probed", "plain", "1"})
    p:counter("no_such_function")
    local ok, err = pcall(p.run, p)
    assert.is_false(ok)
    assert.matches("no symbol 'no_such_function' in process %d+", err)
    p:kill()
    p = spawn({"probed", "plain", "1"})
    p:break_at("main", function() return "stop" end)
    assert.are.equal("stopped", p:run().reason)
    ok, err = pcall(p.counter, p, "no_such_function")
    assert.is_false(ok)
    assert.matches("^counter: no symbol 'no_such_function' in process %d+", err)
    p:kill()
    local out = H.tmpname()
    local q = assert(lutra.spawn({H.target("dlopen"), H.target("libplugin.so")}, {stdout = out}))
    local c = q:counter("libplugin.so:plugin_entry", "arg1 == 7")
    assert.is_nil(c.mode) -- pending
    assert.are.same({reason = "exited", code = 0}, q:run())
    assert.are.equal(1, c:value())
    assert.are.equal("inline", c.mode)
    assert.are.equal("plugin=42\n", H.slurp(out))
  end)

  it("counts USDT probes with their own arguments (bpftrace: @: 134)", function()
    local shop = H.built("shop_O0", "sys/sdt.h")
    if not shop then pending("skipped: no sys/sdt.h") return end
    for _, prog in ipairs({"shop_O0", "shop_O2"}) do
      local out = H.tmpname()
      local p = assert(lutra.spawn({H.target(prog), "100"}, {stdout = out}))
      local sold = p:counter("usdt:shop:sold")
      local priced = p:counter("usdt:shop:sold", "arg2 > 0")
      local items = p:counter("usdt:shop:sold", "arg1 < 0")
      local lot = p:counter("usdt:shop:restock", "arg1 == 250")
      assert.are.same({reason = "exited", code = 0}, p:run())
      assert.are.equal(134, sold:value(), prog)
      assert.are.equal(99, priced:value(), prog)
      assert.are.equal(3, items:value(), prog)
      assert.are.equal(1, lot:value(), prog)
      assert.matches("^sold=134 ", H.slurp(out))
    end
  end)
end)

describe("a when", function()
  it("stops only where it holds, the handler seeing the function's entry", function()
    local p = spawn({"probed", "plain", "1000", "2"})
    local addr = p:symbol("plain")
    local seen, rets = {}, 0
    local bp = p:break_at("plain", {when = "arg1 % 250 == 3", cond = function(t) return t:arg(1) ~= 753 end,
      handler = function(t, b)
        assert.are.equal(addr, t:regs().pc)
        assert.are.equal(addr, t:stopped().pc)
        assert.are.equal(b, t:stopped().breakpoint)
        local ret = p:unpack("<I8", t:regs().sp) -- the return address, as at the first instruction
        assert.are.equal("call", (p:symbolize(ret))) -- probed.c's caller of plain
        seen[#seen + 1] = t:arg(1)
      end,
      on_return = function(t, v) rets = rets + 1 assert.are.equal(v, 0 + v) end})
    assert.are.equal("inline", bp.mode)
    assert.are.same({reason = "exited", code = 0}, p:run())
    table.sort(seen)
    assert.are.same({3, 3, 253, 253, 503, 503}, seen)
    assert.are.equal(6, rets)
    assert.are.equal(6, bp.hits)
  end)

  it("applies once, and stop = 'thread'", function()
    local p = spawn({"probed", "plain", "1000", "4"})
    local n, m = 0, 0
    p:break_at("plain", {when = "arg1 == 10", once = true, handler = function() n = n + 1 end})
    local bp = p:break_at("plain", {when = "arg1 > 990", stop = "thread", handler = function(t)
      m = m + 1
      assert.are.equal("StoppedBreakpoint", t.state)
    end})
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(1, n)
    assert.are.equal(36, m)
    assert.are.equal(36, bp.hits)
  end)

  it("shares the function with a plain breakpoint, each firing once per call", function()
    for _, fn in ipairs({"endbr", "plain"}) do -- int3 beside the jump; a trap in its trampoline
      local p = spawn({"probed", fn, "100"})
      local plain, when = 0, 0
      local w = p:break_at(fn, {when = "arg1 < 10", handler = function() when = when + 1 end})
      local b = p:break_at(fn, function() plain = plain + 1 end)
      assert.are.same({reason = "exited", code = 0}, p:run())
      assert.are.equal(100, plain, fn)
      assert.are.equal(10, when, fn)
      assert.are.equal("inline", w.mode)
      assert.are.equal(100, b.hits)
    end
  end)
end)

describe("run's ticks", function()
  it("read counters while the program runs, never stopping it", function()
    local p = spawn({"probed", "plain", "40000000"})
    local c = p:counter("plain")
    local seen = {}
    local r = p:run{every = 0.01, tick = function(q)
      assert.are.equal(p, q)
      assert.are.equal("running", q.state)
      seen[#seen + 1] = c:value()
    end}
    assert.are.same({reason = "exited", code = 0}, r)
    assert.is_true(#seen >= 2, "ticks " .. #seen)
    assert.is_true(seen[#seen] > seen[1])
    assert.are.equal(40000000, c:value())
    assert.is_true(p:stats().stops < 20)
  end)

  it("refuse a tick without its period", function()
    local p = spawn({"probed", "plain", "1"})
    assert.has_error(function() p:run{tick = function() end} end, "run: every must be a number of seconds > 0 (with tick)")
    p:kill()
  end)
end)

-- The maps of pid with both w and x.
local function writable_code(pid)
  local bad = {}
  for l in io.lines("/proc/" .. pid .. "/maps") do
    local perms = l:match("^%S+ (%S+)")
    if perms:find("w", 1, true) and perms:find("x", 1, true) then bad[#bad + 1] = l end
  end
  return bad
end

describe("patching", function()
  it("moves a thread stopped inside the jump's bytes to the relocated copy", function()
    local out = H.tmpname()
    local p = spawn({"probed", "plain", "1000"}, out)
    local addr = p:symbol("plain")
    -- the second instruction of plain (mov %rsp,%rbp), inside the 5 bytes a jump takes
    assert.are.equal("\x55\x48\x89\xe5", p:read(addr, 4))
    local stop = p:break_at(addr + 1, function() return "stop" end)
    local r = p:run()
    assert.are.equal("stopped", r.reason)
    stop:remove()
    assert.are.equal(addr + 1, r.thread:regs().pc)
    local c = p:counter("plain")
    assert.are.equal("inline", c.mode)
    assert.are_not.equal(addr + 1, r.thread:regs().pc) -- moved
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal("plain sum=500500\n", H.slurp(out))
    assert.are.equal(999, c:value()) -- the call under way had passed the probe
  end)

  it("refuses while a thread runs", function()
    local p = spawn({"threads", "4", "2000"})
    local tried, errs = 0, {}
    p:break_at("hit", {stop = "thread", handler = function(t)
      local running = false
      for _, o in ipairs(p:threads()) do running = running or o.state == "Running" end
      if not running or tried == 20 then return end -- an all-stop round (a thread was created)
      tried = tried + 1
      local ok, e = pcall(p.counter, p, "hit_riprel")
      assert.is_false(ok)
      errs[#errs + 1] = e
    end})
    p:run()
    assert.is_true(tried > 0)
    for _, e in ipairs(errs) do assert.matches("cannot add a probe in state Running", e) end
  end)

  it("never maps code writable and executable", function()
    local p = spawn({"probed", "riprel", "100", "2"})
    local pid = p.pid
    local c = p:counter("riprel", "u8[arg1 + 0x1000] == 3")
    local h = p:hist("riprel", "arg1")
    p:break_at("riprel", {when = "arg1 == 5", handler = function() end})
    assert.are.equal("inline", c.mode)
    assert.are.same({}, writable_code(pid))
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(100, h.dropped + 100 - h.dropped) -- read while it ran
  end)

  it("counts 16 threads x 1M calls on 2 CPUs exactly (atomic counters)", function()
    local out = H.tmpname()
    local p = spawn({"probed", "plain", "1000000", "16"}, out, false) -- not pinned: both CPUs run them
    local c = p:counter("plain")
    local odd = p:counter("plain", "arg1 & 1")
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(16000000, c:value())
    assert.are.equal(8000000, odd:value())
    assert.are.equal("plain sum=8000008000000\n", H.slurp(out))
  end)

  it("puts the bytes back on remove, the count kept", function()
    local out = H.tmpname()
    local p = spawn({"probed", "short_jcc", "1000"}, out)
    local addr = p:symbol("short_jcc")
    local before = H.mem(p.pid, addr, 16)
    local c = p:counter("short_jcc")
    local w = p:break_at("short_jcc", {when = "arg1 == 500", handler = function() return "stop" end})
    assert.are_not.equal(before, H.mem(p.pid, addr, 16))
    assert.are.equal(before, p:read(addr, 16)) -- reads show the program's bytes
    assert.are.equal("stopped", p:run().reason)
    c:remove()
    w:remove()
    assert.are.equal(before, H.mem(p.pid, addr, 16))
    assert.are.equal(H.file_bytes(p, addr, 16), H.mem(p.pid, addr, 16))
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(501, c:value()) -- 0..500: the counter runs before the when's trap
    assert.are.equal(H.sh(H.target("probed") .. " short_jcc 1000"), H.slurp(out))
  end)

  it("refuses a write over a jump", function()
    local p = spawn({"probed", "plain", "10"})
    local addr = p:symbol("plain")
    p:counter("plain")
    local n, err, code = p:write(addr + 2, "\x90")
    assert.is_nil(n)
    assert.are.equal("EBUSY", code)
    assert.matches("a probe's jump is there", err)
    p:kill()
  end)

  it("writes nothing into the program an exec brings", function()
    -- aslr off: the new program (spin, which runs until SIGTERM) is mapped
    -- where the old one was, and a stale restore of plain's bytes would
    -- land in its code
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("probed"), "exec", H.target("spin")}, {stdout = out, aslr = false}))
    local addr = p:symbol("plain")
    local c = p:counter("plain")
    assert.are.equal("inline", c.mode)
    p:on("exec", function() return "stop" end)
    assert.are.equal("stopped", p:run().reason)
    assert.are.equal(1, c:value())
    local file = H.file_bytes(p, addr, 8)
    p:detach()
    assert.are.equal(file, H.mem(p.pid, addr, 8))
    os.execute("kill -TERM " .. p.pid)
    assert.is_true(H.wait_gone(p.pid))
  end)
end)

describe("an attached program", function()
  local function attach_spin()
    local pid, out = H.start(H.target("spin"), "ready")
    return pid, out, assert(lutra.attach(pid))
  end

  it("gets every byte back at detach", function()
    local pid, out, p = attach_spin()
    local c = p:counter("tick")
    local h = p:hist("tick", "tid")
    local n = 0
    p:break_at("tick", {when = "tid == pid", handler = function() n = n + 1 if n == 5 then return "stop" end end})
    assert.are.equal("inline", c.mode)
    assert.are.equal("stopped", p:run().reason)
    assert.is_true(c:value() >= 5)
    assert.are.equal(0, h.dropped)
    p:detach()
    H.assert_spin_intact(pid, out)
  end)

  it("gets every byte back when the script fails, and on SIGTERM", function()
    local pid, out = H.start(H.target("spin"), "ready")
    local _, err, code = H.lutra(string.format(
      "-p %d -e 'local c = lutra.target:counter(\"tick\") lutra.target:break_at(\"tick\", {when = \"1\", handler = function() error(\"boom\") end}) lutra.target:run()'", pid))
    assert.are.equal(1, code)
    assert.matches("boom", err)
    H.assert_spin_intact(pid, out)
    local pid2, out2 = H.start(H.target("spin"), "ready")
    local mark = H.tmpname()
    local lp = H.start(string.format(
      "%s -p %d -e 'lutra.target:counter(\"tick\") io.open(\"%s\", \"w\"):write(\"placed\\n\"):close() lutra.target:run()'",
      H.lutra_bin, pid2, mark))
    H.await(function() return (H.slurp(mark) or ""):find("placed") end, "lutra to place its counter")
    os.execute("kill -TERM " .. lp)
    assert.is_true(H.wait_gone(lp))
    H.assert_spin_intact(pid2, out2)
  end)

  it("does not trap once lutra is killed by SIGKILL", function()
    -- A thread stopped at a trap when lutra dies gets its SIGTRAP, as at
    -- any int3 (docs/DESIGN-NOTES.md); the when here holds only at calls
    -- made after the kill, which must pass the trap by.
    local pid, out = H.start(H.target("ticker"), "ready")
    local mark = H.tmpname()
    local lp = H.start(string.format(
      "%s -p %d -e 'local b = lutra.target:break_at(\"tick\", {when = \"arg1 %% 100 == 0 and arg1 >= 1000000\", handler = function() end}) " ..
      "io.open(\"%s\", \"w\"):write(b.mode, \"\\n\"):close() lutra.target:run()'", H.lutra_bin, pid, mark))
    H.await(function() return (H.slurp(mark) or ""):find("\n") end, "lutra to place its probe")
    assert.are.equal("inline\n", H.slurp(mark)) -- the when is in the program: its trap too
    os.execute("kill -KILL " .. lp)
    assert.is_true(H.wait_gone(lp))
    -- a new tracer moves the count past a million: the when now holds
    -- every 100 calls, which go through the trampoline lutra left
    local q = assert(lutra.attach(pid))
    assert(q:write(q:symbol("count"), string.pack("<i8", 1000000)))
    local seen = 0
    q:break_at("tick", function(t)
      seen = seen + 1
      assert.is_true(t:arg(1) >= 1000000)
      if seen == 500 then return "stop" end
    end)
    assert.are.equal("stopped", q:run().reason) -- a SIGTRAP would have ended it
    q:detach()
    os.execute("kill -TERM " .. pid)
    assert.is_true(H.wait_gone(pid))
    assert.matches("ticks=1", H.slurp(out)) -- alive to the end: no SIGTRAP
  end)
end)

describe("children", function()
  it("calls of a vfork child that is not followed never count and never trap", function()
    local out = H.tmpname()
    local p = spawn({"vforker", "3", "100000"}, out)
    local c = p:counter("work")
    local child = p:counter("work", "arg1 == -1") -- only a vfork child calls work(-1)
    local traps = 0
    p:break_at("work", {when = "arg1 == -1", handler = function() traps = traps + 1 end})
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(100000, c:value())
    assert.are.equal(0, child:value())
    assert.are.equal(0, traps)
    local text = H.slurp(out)
    assert.matches("vfork child 2: status 0", text)
    assert.matches("posix_spawn child 2: status 0", text)
  end)

  it("calls of followed fork children count; others neither count nor trap", function()
    for _, follow in ipairs({true, false}) do
      local out = H.tmpname()
      local p = assert(lutra.spawn({H.target("forker"), "10"}, {stdout = out, follow_fork = follow}))
      local c = p:counter("work")
      local traps = 0
      -- int work(int i): the 64-bit register holds -1 as 0xffffffff in the parent
      p:break_at("work", {when = "(arg1 & 0xffffffff) < 10", handler = function() traps = traps + 1 end})
      assert.are.same({reason = "exited", code = 0}, p:run())
      assert.are.equal(follow and 11 or 1, c:value())
      assert.are.equal(follow and 10 or 0, traps)
      assert.are.equal("children ok\n", H.slurp(out))
    end
  end)
end)

describe("lutra trace --entries", function()
  it("prints entry lines from the ring, the program never stopping, and the drops", function()
    local file = H.tmpname()
    local prog, err, code = H.lutra(string.format("trace --entries -a 1 -o %s plain -- %s plain 5", file, H.target("probed")))
    assert.are.equal(0, code, err)
    local out = H.slurp(file)
    local args = {}
    for tid, a in out:gmatch("(%d+) +plain%((%d+)%)\n") do args[#args + 1] = tonumber(a) assert.is_truthy(tid) end
    assert.are.same({0, 1, 2, 3, 4}, args)
    assert.matches("lutra trace: 5 calls traced, 0 dropped", err)
    assert.are.equal("plain sum=15\n", prog)
  end)

  it("prints every call of 8 threads, or counts the drops", function()
    local file = H.tmpname() -- not the program's stdout: its own line would cut one of lutra's
    local _, err, code = H.lutra(string.format("trace --entries -a 1 -o %s plain -- %s plain 20000 8", file,
      H.target("probed")))
    assert.are.equal(0, code, err)
    local out = H.slurp(file)
    local lines = select(2, out:gsub("plain%(%d+%)\n", ""))
    local traced, dropped = err:match("(%d+) calls traced, (%d+) dropped")
    assert.are.equal(160000, tonumber(traced) + tonumber(dropped))
    assert.are.equal(tonumber(traced), lines)
  end)

  it("counts what a full ring drops, the program never waiting", function()
    -- one CPU for both: the program fills the ring faster than lutra drains it
    local _, err, code = H.sh(string.format("PATH=/usr/bin:/bin taskset -c 0 %s trace --entries -a 1 -o /dev/null plain -- %s plain 3000000",
      H.lutra_bin, H.target("probed")))
    assert.are.equal(0, code, err)
    local traced, dropped = err:match("(%d+) calls traced, (%d+) dropped %(the ring was full")
    assert.is_truthy(traced, err)
    assert.is_true(tonumber(dropped) > 0)
    assert.are.equal(3000000, tonumber(traced) + tonumber(dropped))
  end)

  it("falls back to stopping where no jump fits, with the same lines", function()
    local file = H.tmpname()
    local _, err, code = H.lutra(string.format("trace --entries -a 1 -o %s tiny -- %s tiny 3", file, H.target("probed")))
    assert.are.equal(0, code, err)
    local out = H.slurp(file)
    assert.matches("tiny%(0%)\n.*tiny%(1%)\n.*tiny%(2%)\n", out)
    assert.matches("3 calls traced, 0 dropped", err)
  end)

  it("counts calls exactly with -c --entries, and in JSON", function()
    local out, err, code = H.lutra(string.format("trace -c --entries plain helper -- %s call_last 3000 4", H.target("probed")))
    assert.are.equal(0, code, err)
    assert.matches("helper +12000\n", out)
    assert.matches("plain +0\n", out)
    local j = H.lutra(string.format("trace -c --entries --json helper -- %s call_last 300", H.target("probed")))
    assert.matches('"calls":300', j)
    local e = H.lutra(string.format("trace --entries --json -a 2 plain -- %s plain 2", H.target("probed")))
    assert.matches('"fn":"plain"', e)
    assert.matches('"args":%[1,', e)
  end)
end)
