-- signals_spec: signals stop the thread, are reported, and are delivered
-- (the target's own handler counts them) unless a policy drops or swaps
-- them; a program's own int3 is the program's.
local lutra = require "lutra"
local H = require "helper"

local function run_signals(args, on_signal)
  local out = H.tmpname()
  local p = assert(lutra.spawn({H.target("signals"), table.unpack(args)}, {stdout = out}))
  local seen = {}
  p:on("signal", function(t, sig)
    seen[#seen + 1] = sig
    if on_signal then return on_signal(t, sig, #seen) end
  end)
  local r = p:run()
  return r, seen, H.slurp(out)
end

describe("signals", function()
  it("are reported and delivered to the program", function()
    local r, seen, out = run_signals({"3"})
    assert.are.same({"SIGUSR1", "SIGUSR1", "SIGUSR1"}, seen)
    assert.are.equal("usr1=3 traps=0\n", out)
    assert.are.same({reason = "exited", code = 0}, r)
  end)

  it("are dropped by 'suppress' and swapped by a signal name", function()
    local _, _, out = run_signals({"3"}, function(_, _, n)
      if n == 1 then return "suppress" end
    end)
    assert.are.equal("usr1=2 traps=0\n", out)
    local _, seen, out2 = run_signals({"2"}, function(_, sig)
      if sig == "SIGUSR1" then return "SIGTRAP" end
    end)
    assert.are.same({"SIGUSR1", "SIGUSR1"}, seen)
    assert.are.equal("usr1=0 traps=2\n", out2)
  end)

  it("can be dropped with t:set_signal(nil) in the low layer", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("signals"), "2"}, {stdout = out}))
    local causes = {}
    while true do
      assert(p:cont())
      local ev = p:wait_stop()
      if not ev then break end
      for _, t in ipairs(ev) do
        local c = t:stopped()
        causes[#causes + 1] = tostring(c)
        if c.kind == "signal" then
          assert.are.equal("StoppedSignal", t.state)
          assert.are.equal(10, c.signo)
          assert.are.equal("SIGUSR1", t:pending_signal())
          local si = t:siginfo()
          assert.are.equal(10, si.signo)
          assert.are.equal(p.pid, si.pid) -- raise(): sent by the program itself
          t:set_signal(nil)
        end
      end
    end
    assert.are.same({"SIGUSR1", "SIGUSR1", "thread exited with status 0"}, causes)
    assert.are.equal("usr1=0 traps=0\n", H.slurp(out))
  end)

  it("give the fault address of a SIGSEGV", function()
    local p = assert(lutra.spawn({H.target("thread_exits"), "segv"}, {stdout = "null"}))
    local info
    p:on("signal", function(t, sig) info = t:siginfo() end)
    p:run()
    assert.are.equal("SIGSEGV", info.signal)
    assert.are.equal(8, info.addr)
  end)

  it("can be sent to one thread with t:signal(sig)", function()
    local p = assert(lutra.spawn({H.target("signals"), "0"}, {stdout = "null"}))
    -- at main's entry the program has no SIGUSR1 handler yet: it dies of it
    local bp = p:break_at("main", {once = true, handler = function(t) assert(t:signal("SIGUSR1")) end})
    local seen
    p:on("signal", function(t, sig) seen = sig end)
    assert.are.same({reason = "signaled", signal = "SIGUSR1"}, p:run())
    assert.are.equal(1, bp.hits)
    assert.are.equal("SIGUSR1", seen)
  end)

  it("a program's own int3 reaches the program's SIGTRAP handler", function()
    local _, seen, out = run_signals({"0", "int3"})
    assert.are.same({"SIGTRAP"}, seen)
    assert.are.equal("usr1=0 traps=1\n", out)
  end)
  it("keeps a SIGSTOP from outside as job control: no progress until SIGCONT", function()
    local p = assert(lutra.spawn({H.target("spin")}, {stdout = "null"}))
    local bp = p:break_at("tick")
    local seen = {}
    p:on("signal", function(_, s) seen[#seen + 1] = s end)
    -- Running: tick() is hit (every 1 ms).
    p:break_at("tick", {once = true, handler = function() return "stop" end})
    assert.are.equal("stopped", p:run().reason)
    -- Records every signal; `run` returns at the one named.
    local got = {}
    local function stop_at(name)
      return function(_, s)
        seen[#seen + 1] = s
        if s == name then got[name] = true return "stop" end
      end
    end
    os.execute("kill -STOP " .. p.pid)
    -- The SIGSTOP is reported, then the program stays stopped: 0.3 s
    -- without one more hit (it would make about 300).
    p:on("signal", stop_at("SIGSTOP"))
    assert.are.equal("stopped", p:run().reason)
    assert.is_true(got.SIGSTOP)
    -- A hit of the other thread may have come in the same round as the
    -- SIGSTOP: this run dispatches it, then the program is stopped.
    assert.are.equal("timeout", p:run({timeout = 0.1}).reason)
    local before = bp.hits
    assert.are.equal("timeout", p:run({timeout = 0.3}).reason)
    assert.are.equal(before, bp.hits)
    -- SIGCONT: reported, and it goes on.
    os.execute("kill -CONT " .. p.pid)
    p:on("signal", stop_at("SIGCONT"))
    assert.are.equal("stopped", p:run({timeout = 10}).reason)
    assert.is_true(got.SIGCONT)
    p:break_at("tick", {once = true, handler = function() return "stop" end})
    assert.are.equal("stopped", p:run({timeout = 10}).reason)
    assert.is_true(bp.hits > before)
    assert.are.same({"SIGSTOP", "SIGCONT"}, seen)
    p:kill()
  end)
end)
