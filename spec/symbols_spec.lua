-- symbols_spec: symbols of the executable and its libraries under ASLR,
-- qualified names, stripped binaries, source lines and backtraces.
local lutra = require "lutra"
local H = require "helper"

describe("symbols", function()
  it("count malloc in a PIE program with ASLR on", function()
    local p = assert(lutra.spawn({H.target("loop"), "3"}, {stdout = "null"}))
    local bp = p:break_at("malloc")
    local r = p:run()
    assert.are.equal("exited", r.reason)
    assert.is_true(bp.hits >= 1)
    local exe = p:modules()[1]
    assert.is_true(exe.executable)
  end)

  it("break where an IFUNC's resolver points (glibc's strlen), not on the resolver", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("strings"), "alpha", "be", "gamma"}, {stdout = out}))
    local seen = {}
    local bp = p:break_at("strlen", function(t)
      local s = p:read_string(t:arg(1))
      if s == "alpha" or s == "be" or s == "gamma" then seen[#seen + 1] = s end
    end)
    p:run()
    assert.are.same({"alpha", "be", "gamma"}, seen)
    assert.is_true(bp.hits >= 3)
    assert.are.equal("total=12\n", H.slurp(out))
  end)

  it("resolve a qualified name and say so when the module is unknown", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("loop"), "1"}, {stdout = out}))
    local seen = {}
    local bp = p:break_at("libc.so.6:puts", function(t) seen[#seen + 1] = p:read_string(t:arg(1)) end)
    p:break_at("libc.so.6:printf", function(t) seen[#seen + 1] = p:read_string(t:arg(1)) end)
    p:run()
    assert.are.equal(0, bp.hits) -- loop prints with printf only
    assert.are.same({"sum=%ld\n", "add=%ld\n", "counter=%d\n"}, seen)
    local q = assert(lutra.spawn({H.target("loop")}, {stdout = "null"}))
    local addr, err, code = q:symbol("libnope.so:f")
    assert.is_nil(addr)
    assert.are.equal("ENOSYM", code)
    assert.matches("no module 'libnope.so'", err, 1, true)
    q:kill()
  end)

  it("symbolize addresses with name, offset, module, file and line", function()
    local p = assert(lutra.spawn({H.target("loop")}, {stdout = "null"}))
    local work = p:symbol("work")
    local name, off, mod, file, line = p:symbolize(work + 4)
    assert.are.equal("work", name)
    assert.are.equal(4, off)
    assert.are.equal("loop", mod)
    assert.matches("loop%.c$", file)
    assert.are.equal(7, line)
    assert.is_nil(p:symbolize(0x10))
    local syms = p:symbols("wor*")
    assert.are.equal(1, #syms)
    assert.are.same({"work", work, "loop", "function"}, {syms[1].name, syms[1].address, syms[1].module, syms[1].type})
    p:kill()
  end)

  it("break on a stripped program's dynamic symbols", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("loop_stripped"), "4"}, {stdout = out}))
    local bp = p:break_at("work")
    p:break_at("add", function(t) t:regs().rdi = 10 end)
    p:run()
    assert.are.equal(4, bp.hits)
    assert.matches("add=13", H.slurp(out))
  end)

  it("break at a source line, and refuse a file without line tables", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("loop"), "3"}, {stdout = out}))
    local bp = p:break_at("loop.c:7", function(t) assert.are.equal(p:symbol("work"), t:regs().pc) end)
    local add = p:break_at("spec/targets/loop.c:9")
    p:run()
    assert.are.equal(3, bp.hits)
    assert.are.equal(1, add.hits)
    local q = assert(lutra.spawn({H.target("loop")}, {stdout = "null"}))
    assert.has_error(function() q:break_at("nosuchfile.c:3") end)
    local ok, err = pcall(q.break_at, q, "loop.c:1")
    assert.is_false(ok)
    assert.matches("loop.c:1", err, 1, true)
    q:kill()
  end)

  it("backtrace a depth-5 call chain in an -O2 build without frame pointers", function()
    local p = assert(lutra.spawn({H.target("depth")}, {stdout = "null"}))
    local names
    p:break_at("level5", function(t)
      names = {}
      for i, f in ipairs(t:backtrace(6)) do names[i] = f.name end
    end)
    p:run()
    assert.are.same({"level5", "level4", "level3", "level2", "level1", "main"}, names)
  end)
  -- hidden's secret() is static: once stripped, only separate symbols name it.
  local function count_secret(program, env)
    return H.sh(string.format("%s %s -e 'local p = lutra.target local bp = p:break_at(\"secret\") " ..
      "local r = p:run() print(bp.hits, r.code, (p:symbolize(p:symbol(\"secret\") or 0)))' -- %s 4",
      env or "", H.lutra_bin, program))
  end

  it("break on a static function of a stripped program through its MiniDebugInfo (.gnu_debugdata)", function()
    local out, err, code = count_secret(H.target("hidden_mini"))
    assert.are.equal(0, code, err)
    assert.matches("^sum=18\n4\t0\t", out)
  end)

  it("break on a static function of a stripped program through its .gnu_debuglink file", function()
    local out, err, code = count_secret(H.target("hidden_linked"))
    assert.are.equal(0, code, err)
    assert.matches("\n4\t0\t", out)
  end)

  it("break on a static function of a stripped program through debuginfod (DEBUGINFOD_URLS)", function()
    if not os.execute("command -v debuginfod >/dev/null") then
      error("debuginfod is not installed (scripts/deps installs it)")
    end
    -- Without a server the name is unknown: the server is what finds it.
    local _, err0, code0 = count_secret(H.target("hidden_bare"), "DEBUGINFOD_URLS=")
    assert.are.equal(1, code0)
    assert.matches("no symbol 'secret'", err0, 1, true)

    local port = 20000 + math.random(0, 9999) + (math.floor(os.time()) % 7) * 3000
    local db, log = H.tmpname() .. ".db", H.tmpname()
    os.execute(string.format("debuginfod -F %s/targets/debuginfod -p %d -d %s -t 0 -g 0 >%s 2>&1 & echo $! > %s.pid",
      H.build, port, db, log, log))
    local server = H.slurp(log .. ".pid"):match("%d+")
    local url = "http://127.0.0.1:" .. port
    -- Ready once it serves the file (each try with a fresh cache: a miss
    -- is cached).
    local bid = io.popen("readelf -n " .. H.target("hidden_bare") .. " | awk '/Build ID/{print $3}'"):read("l")
    local deadline = os.time() + 20
    local cache
    repeat
      assert(os.time() <= deadline, "debuginfod did not serve the file: " .. (H.slurp(log) or ""))
      cache = H.tmpname() .. ".cache"
      local _, _, c = H.sh(string.format("DEBUGINFOD_URLS=%s DEBUGINFOD_CACHE_PATH=%s debuginfod-find debuginfo %s",
        url, cache, bid))
      os.execute("rm -rf " .. cache)
      if c ~= 0 then os.execute("sleep 0.1") end
    until c == 0
    cache = H.tmpname() .. ".cache"
    local out, err, code = count_secret(H.target("hidden_bare"),
      string.format("DEBUGINFOD_URLS=%s DEBUGINFOD_CACHE_PATH=%s", url, cache))
    os.execute("kill " .. server .. "; rm -rf " .. cache .. " " .. db .. "*")
    assert.are.equal(0, code, err)
    assert.matches("\n4\t0\t", out)
  end)
  it("warns once about a mapped ELF object it cannot read, and not about data files", function()
    local bad, data = H.tmpname(), H.tmpname()
    io.open(bad, "wb"):write(H.slurp(H.target("loop")):sub(1, 200)):close()
    io.open(data, "wb"):write("just data\n"):close()
    local out, err, code = H.lutra(string.format("-e 'local p = lutra.target " ..
      "p:break_at(\"mapped\", function() p:modules() p:symbol(\"nosuch\") p:modules() end)' -- %s %s %s",
      H.target("mapper"), bad, data))
    assert.are.equal(0, code, err)
    assert.are.equal("mapped 2\n", out)
    err = err:gsub("process %d+", "process PID")
    assert.are.equal("lutra: warning: process PID: " .. bad ..
      ": truncated or damaged ELF file: its program headers (13 of 56 bytes at offset 0x40) lie past its end " ..
      "(200 bytes); its symbols are unknown\n", err)
  end)
end)
