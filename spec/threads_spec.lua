-- threads_spec: thread create and exit causes, the main thread that calls
-- pthread_exit (a zombie leader), exit_group from a second thread, and a
-- thread that kills the process with a signal.
local lutra = require "lutra"
local H = require "helper"

-- Runs the low layer to the end; returns causes as strings, in order.
local function causes_of(p)
  local list = {}
  while true do
    assert(p:cont())
    local ev, why = p:wait_stop(30)
    if not ev then
      assert.are.equal("process exited", why)
      return list
    end
    for _, t in ipairs(ev) do list[#list + 1] = {tid = t.tid, cause = t:stopped(), thread = t} end
  end
end

describe("threads", function()
  it("report creation with the new thread, stopped, and exit with its status", function()
    local p = assert(lutra.spawn({H.target("thread_exits"), "join"}, {stdout = "null"}))
    local created, exits = nil, {}
    while true do
      assert(p:cont())
      local ev = p:wait_stop(30)
      if not ev then break end
      for _, t in ipairs(ev) do
        local c = t:stopped()
        if c.kind == "thread_create" then
          assert.are.equal("thread create", tostring(c))
          assert.are.equal("StoppedThreadCreate", t.state)
          created = c.thread
          assert.are.equal("Stopped", created.state)
          assert.are.equal(2, #p:threads())
        elseif c.kind == "thread_exit" then
          -- held at its exit when it is the last thread; let go at once
          -- while others run (one of them may be waiting for this exit)
          -- (let go, it may be reaped already by the end of the round)
          if t.tid == p.pid then
            assert.are.equal("StoppedExiting", t.state)
          else
            assert.is_true(t.state == "Exiting" or t.state == "Exited", t.state)
          end
          exits[#exits + 1] = {tid = t.tid, status = c.status, exited = c.exited}
        end
      end
    end
    assert.is_not_nil(created)
    assert.are.same({{tid = created.tid, status = 0, exited = true},
      {tid = p.pid, status = 0, exited = true}}, exits)
    assert.are.equal("Exited", created.state)
    assert.are.same({code = 0}, p.exit)
  end)

  it("follow a main thread that called pthread_exit while the others run", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("zombie_leader")}, {stdout = out}))
    local hit = p:symbol("hit")
    assert(p:add_breakpoint(hit))
    local hits, leader_exit, gone = 0, nil, false
    for _, e in ipairs(causes_of(p)) do
      if e.cause.kind == "breakpoint" then hits = hits + 1 end
      if e.cause.kind == "thread_exit" and e.tid == p.pid then leader_exit = e.cause end
    end
    assert.are.equal(20, hits)
    assert.is_not_nil(leader_exit)
    assert.are.same({code = 3}, p.exit)
    assert.are.equal("workers done\n", H.slurp(out))
    assert.are.same({}, p:threads())
  end)

  it("follow exit_group from a second thread", function()
    local p = assert(lutra.spawn({H.target("thread_exits"), "exit_group"}, {stdout = "null"}))
    local statuses = {}
    for _, e in ipairs(causes_of(p)) do
      if e.cause.kind == "thread_exit" then statuses[#statuses + 1] = e.cause.status end
    end
    assert.are.same({5, 5}, statuses)
    assert.are.same({code = 5}, p.exit)
  end)

  it("report a process killed by a signal from one thread", function()
    local p = assert(lutra.spawn({H.target("thread_exits"), "segv"}, {stdout = "null"}))
    local segv
    local r = p:on("signal", function(t, sig) segv = {tid = t.tid, sig = sig} end):run()
    assert.are.same({reason = "signaled", signal = "SIGSEGV"}, r)
    assert.are.equal("SIGSEGV", segv.sig)
    assert.are_not.equal(p.pid, segv.tid)
    assert.are.same({signal = "SIGSEGV"}, p.exit)
  end)

  it("report a process SIGKILLed from outside mid-trace", function()
    local p = assert(lutra.spawn({H.target("spin")}, {stdout = "null"}))
    local r = p:run({timeout = 0.2})
    assert.are.equal("timeout", r.reason)
    assert.are.equal("stopped", p.state)
    local worker = p:threads()[2]
    os.execute("kill -KILL " .. worker.tid)
    assert.are.same({reason = "signaled", signal = "SIGKILL"}, p:run())
    assert.are.same({signal = "SIGKILL"}, p.exit)
    assert.are.equal("Exited", worker.state)
  end)
end)

describe("threads blocked in a syscall during all-stop rounds", function()
  -- idle: a worker calls f() 2000 times while main waits in pthread_join
  -- and a sleeper in read(). They are interrupted once, found in a syscall
  -- and resumed with PTRACE_SYSCALL: the next rounds leave them be (their
  -- syscall's exit stops them before any code of theirs runs).
  local function idle(mode, opts)
    local out = H.tmpname()
    opts.stdout = out
    local p = assert(lutra.spawn({H.target("idle"), "2000", mode}, opts))
    return p, out
  end

  it("cost about one stop per hit, and go on when their syscall returns while it runs", function()
    local p, out = idle("pipe", {})
    local bp = p:break_at("f", function() end)
    assert.are.same({reason = "exited", code = 0}, p:run({timeout = 30}))
    assert.are.equal("woke=1 calls=2000\n", H.slurp(out))
    assert.are.equal(2000, bp.hits)
    local s = p:stats()
    -- all-stop without parking: 3 stops per hit (every idle thread interrupted)
    assert.is_true(s.stops_per_hit <= 1.2, string.format("%.2f stops per hit", s.stops_per_hit))
  end)

  it("are stopped to the script: state, registers, and their syscall returning in the round runs nothing", function()
    local fifo = H.tmpname()
    os.remove(fifo)
    assert(os.execute("mkfifo " .. fifo))
    local w = assert(io.open(fifo, "r+")) -- a writer, so that the child's open does not block
    local p, out = idle("stdin", {stdin = fifo})
    local woke = p:symbol("woke")
    local checked = false
    p:break_at("f", function(t, bp)
      if bp.hits ~= 1000 then return end
      local sleeper
      for _, u in ipairs(p:threads()) do
        if u ~= t and u.tid ~= p.pid then sleeper = u end
      end
      assert.are.equal("Stopped", sleeper.state)
      w:write("x")
      w:flush() -- its read returns now, in the middle of this round
      -- wait for the kernel's answer: the sleeper in a tracing stop (right),
      -- or running its code (woke = 1), or gone
      local stat = "/proc/" .. p.pid .. "/task/" .. sleeper.tid .. "/stat"
      local deadline = os.time() + 10
      local state
      repeat
        state = (H.slurp(stat) or ""):match("%) (%a)")
        assert(os.time() <= deadline, "the sleeper never stopped nor ran")
      until state == "t" or state == nil or p:unpack("<i4", woke) == 1
      assert.are.equal(0, p:unpack("<i4", woke))
      assert.are.equal("t", state)
      local r = sleeper:regs() -- a real stop for the script's asking
      assert.is_truthy(r.pc)
      assert.are.equal("Stopped", sleeper.state)
      checked = true
    end)
    assert.are.same({reason = "exited", code = 0}, p:run({timeout = 30}))
    w:close()
    os.remove(fifo)
    assert.is_true(checked)
    assert.are.equal("woke=1 calls=2000\n", H.slurp(out))
  end)
end)
