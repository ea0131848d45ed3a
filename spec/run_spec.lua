-- run_spec: the high layer: break_at in all its forms, the continue policies,
-- events, once/cond/enable/disable/remove, return probes under recursion and
-- threads, timeouts, and errors in handlers.
local lutra = require "lutra"
local H = require "helper"

local function spawn(name, args, out)
  return assert(lutra.spawn({H.target(name), table.unpack(args or {})}, {stdout = out or "null"}))
end

describe("break_at", function()
  it("takes an address, a name, a qualified name and a glob", function()
    local p = spawn("many")
    local g = p:break_at("step_*")
    assert.are.equal(20, #g)
    local addr = p:break_at(p:symbol("main"), function(t, bp)
      assert.are.equal(bp, t:stopped().breakpoint)
      assert.are.equal(bp.address, t:stopped().pc)
    end)
    assert.are.equal("main", addr.symbol)
    local puts = p:break_at("libc.so.6:puts") -- after entry: resolves then
    local r = p:run()
    assert.are.same({reason = "exited", code = 0}, r)
    assert.are.equal(20, g.hits)
    for _, bp in ipairs(g) do assert.are.equal(1, bp.hits) end
    assert.are.equal(1, addr.hits)
    assert.is_false(puts.pending)
  end)

  it("raises an error naming an unknown symbol", function()
    local p = spawn("loop")
    local ok, err = pcall(p.break_at, p, "wrok")
    -- Right after spawn the check waits for the entry point: run raises it.
    if ok then
      ok, err = pcall(p.run, p)
    end
    assert.is_false(ok)
    assert.matches("no symbol 'wrok'", err, 1, true)
    assert.are.equal("stopped", p.state)
    p:kill()
    -- once running, the error comes at once
    p = spawn("loop")
    p:break_at(p:modules()[1].entry, {once = true, handler = function() return "stop" end})
    p:run()
    ok, err = pcall(p.break_at, p, "wrok")
    assert.is_false(ok)
    assert.matches("no symbol 'wrok'", err, 1, true)
    ok, err = pcall(p.break_at, p, "nomatch_*")
    assert.matches("no function matches 'nomatch_*'", err, 1, true)
    p:kill()
  end)

  it("resolves a library function named before the library is mapped", function()
    local p = spawn("loop", {"2"})
    local calls = 0
    local bp = p:break_at("malloc", function() calls = calls + 1 end)
    p:run()
    assert.is_true(calls >= 1)
    assert.are.equal(calls, bp.hits)
  end)

  it("fires a pending breakpoint in a library dlopen'ed later, both ways of saying it", function()
    local out = H.tmpname()
    local p = spawn("dlopen", {H.target("libplugin.so")}, out)
    local a = p:break_at("libplugin.so:plugin_entry", function(t) assert.are.equal(7, t:arg(1)) end)
    local b = p:break_at("plugin_entry", {pending = true})
    assert.is_true(a.pending)
    assert.is_true(b.pending)
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(1, a.hits)
    assert.are.equal(1, b.hits)
    assert.is_false(a.pending)
    assert.are.equal("plugin=42\n", H.slurp(out))
  end)

  it("warns about a pending breakpoint that never resolved and keeps it pending", function()
    local p = spawn("loop", {"1"})
    local bp = p:break_at("libnothere.so:f")
    -- the warning goes to stderr: catch it there
    local real, caught = io.stderr, H.tmpname()
    io.stderr = assert(io.open(caught, "w"))
    local ok, err = pcall(p.run, p)
    io.stderr:close()
    io.stderr = real
    assert(ok, err)
    assert.are.equal("lutra: warning: breakpoint 'libnothere.so:f' never resolved (no loaded module had that symbol)\n",
      H.slurp(caught))
    assert.is_true(bp.pending)
    assert.are.equal(0, bp.hits)
  end)

  it("honours once, cond, disable, enable and remove", function()
    local p = spawn("loop", {"10"})
    local once = p:break_at("work", {once = true})
    local even = p:break_at("work", {cond = function(t) return t:arg(1) % 2 == 0 end})
    local toggled = p:break_at("work")
    local removed = p:break_at("work")
    toggled:disable()
    local seen = 0
    p:on("breakpoint", function(t, bp)
      if bp == even then
        seen = seen + 1
        if t:arg(1) == 4 then toggled:enable() end
        if t:arg(1) == 6 then removed:remove() end
      end
    end)
    p:run()
    assert.are.equal(1, once.hits)
    assert.are.equal(5, even.hits)
    assert.are.equal(5, seen)
    assert.are.equal(6, toggled.hits) -- 4..9
    assert.are.equal(6, removed.hits) -- 0..5: removed during the 7th hit, before its turn
  end)
end)

describe("return probes", function()
  it("match every return under recursion: fib(15) has 1973 of each", function()
    local out = H.tmpname()
    local p = spawn("fib", {"15"}, out)
    local entries, returns, depth, maxdepth = 0, 0, 0, 0
    local args = {}
    p:break_at("fib", {
      handler = function(t)
        entries = entries + 1
        depth = depth + 1
        if depth > maxdepth then maxdepth = depth end
        args[#args + 1] = t:arg(1)
      end,
      on_return = function(t, rv)
        returns = returns + 1
        depth = depth - 1
        local k = table.remove(args)
        local a, b = 0, 1
        for _ = 1, k do a, b = b, a + b end
        assert.are.equal(a, rv) -- fib(k)
      end,
    })
    p:run()
    assert.are.equal(1973, entries)
    assert.are.equal(1973, returns)
    assert.are.equal(15, maxdepth)
    assert.are.equal("fib(15)=610\n", H.slurp(out))
    assert.is_true(p:stats().stops_per_hit <= 2.1)
  end)

  it("match returns per thread with 8 threads in the same function", function()
    local out = H.tmpname()
    local p = spawn("fib", {"10", "8"}, out)
    local per = {}
    local top = 0
    p:break_at("fib", {on_return = function(t, rv)
      per[t.tid] = (per[t.tid] or 0) + 1
      if rv == 55 then top = top + 1 end
    end})
    p:run()
    local threads = 0
    for _, n in pairs(per) do
      threads = threads + 1
      assert.are.equal(177, n) -- calls made by fib(10)
    end
    assert.are.equal(8, threads)
    assert.are.equal(8, top)
    assert.are.equal("sum=440\n", H.slurp(out))
  end)
end)

describe("policies", function()
  it("stop returns with the process stopped, and a later run goes on", function()
    local p = spawn("loop", {"5"})
    local bp = p:break_at("work", function(t) if t:arg(1) == 2 then return "stop" end end)
    local r = p:run()
    assert.are.equal("stopped", r.reason)
    assert.are.equal(2, r.thread:arg(1))
    assert.are.equal("stopped", p.state)
    assert.are.equal(3, bp.hits)
    assert.are.same({reason = "exited", code = 6}, p:run())
    assert.are.equal(5, bp.hits)
  end)

  it("detach leaves the program running to its end, untouched", function()
    local out = H.tmpname()
    local p = spawn("loop", {"5"}, out)
    p:break_at("work", function() return "detach" end)
    assert.are.same({reason = "detached"}, p:run())
    assert.are.equal("detached", p.state)
    assert.is_true(H.wait_gone(p.pid))
    assert.matches("sum=20", H.slurp(out))
  end)

  it("kill ends the program", function()
    local out = H.tmpname()
    local p = spawn("loop", {"5"}, out)
    p:break_at("work", function() return "kill" end)
    assert.are.same({reason = "killed"}, p:run())
    assert.are.equal("exited", p.state)
    assert.are.same({signal = "SIGKILL"}, p.exit)
    assert.are.equal("", H.slurp(out))
  end)

  it("an unknown policy word is an error naming it", function()
    local p = spawn("loop", {"5"})
    p:break_at("work", function() return "contine" end)
    local ok, err = pcall(p.run, p)
    assert.is_false(ok)
    assert.matches('unknown policy "contine"', err, 1, true)
    p:kill()
  end)
end)

describe("events", function()
  it("thread_create, thread_exit and exit are dispatched", function()
    local p = spawn("threads", {"3", "2"})
    local created, exited, result = {}, {}, nil
    p:on("thread_create", function(t, new) created[#created + 1] = new.tid end)
    p:on("thread_exit", function(t, cause)
      exited[#exited + 1] = t.tid
      assert.are.equal(0, cause.status)
    end)
    p:on("exit", function(proc, r) result = r end)
    local r = p:run()
    assert.are.equal(3, #created)
    assert.are.equal(4, #exited)
    assert.are.same(r, result)
    assert.are.same({reason = "exited", code = 0}, r)
  end)

  it("rejects unknown events", function()
    local p = spawn("loop")
    assert.has_error(function() p:on("brekpoint", print) end, 'on: unknown event "brekpoint"')
    p:kill()
  end)
end)

describe("run", function()
  it("times out with the process stopped, and goes on after", function()
    local p = assert(lutra.spawn({H.target("spin")}, {stdout = "null"}))
    local ticks = p:break_at("tick", function(_, bp) if bp.hits == 5 then return "stop" end end)
    ticks:disable()
    local t0 = lutra.core.now()
    assert.are.same({reason = "timeout"}, p:run({timeout = 0.2}))
    local waited = lutra.core.now() - t0
    assert.is_true(waited >= 0.2 and waited < 2, "waited " .. waited)
    assert.are.equal("stopped", p.state)
    for _, t in ipairs(p:threads()) do assert.are.equal("Stopped", t.state) end
    assert.are.equal(0, ticks.hits)
    ticks:enable()
    local r = p:run({timeout = 30})
    assert.are.equal("stopped", r.reason)
    assert.are.equal(5, ticks.hits)
    p:kill()
    assert.are.equal("exited", p.state)
  end)

  it("propagates a handler's error with the process stopped and still traced", function()
    local p = spawn("loop", {"5"})
    local bp = p:break_at("work", function(t) if t:arg(1) == 1 then error("boom") end end)
    local ok, err = pcall(p.run, p)
    assert.is_false(ok)
    assert.matches("run_spec.lua:%d+: boom", err)
    assert.are.equal("stopped", p.state)
    assert.are.equal(2, bp.hits)
    assert.are.same({reason = "exited", code = 6}, p:run())
    assert.are.equal(5, bp.hits)
  end)

  it("on_error = 'log' goes on, 'detach' detaches", function()
    local p = spawn("loop", {"5"})
    p:break_at("work", function() error("logged") end)
    assert.are.same({reason = "exited", code = 6}, p:run({on_error = "log"}))
    p = spawn("loop", {"5"})
    p:break_at("work", function() error("bail") end)
    local r = p:run({on_error = "detach"})
    assert.are.equal("detached", r.reason)
    assert.matches("bail", r.error)
  end)
end)
