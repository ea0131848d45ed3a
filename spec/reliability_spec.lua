-- reliability_spec: lutra never harms what it traces: cycles of attach and
-- detach on a busy program, spawn and kill cycles that leak nothing, and
-- the command's cleanup on every signal. Longer versions: spec/stress/.
local lutra = require "lutra"
local H = require "helper"

local function fd_count()
  local n = 0
  for _ in require("lfs").dir("/proc/self/fd") do n = n + 1 end
  return n
end

describe("reliability", function()
  it("attach, hit, detach 40 times on a busy 2-thread program: it lives on, text intact", function()
    local pid = H.start(H.build .. "/bench/hot 100000000000 2", nil)
    -- wait for the exec of hot itself (the shell forks it)
    H.await(function() return (H.slurp("/proc/" .. pid .. "/comm") or "") == "hot\n" end, "the exec of hot")
    local f, orig
    for _ = 1, 40 do
      local p = assert(lutra.attach(pid))
      f = f or p:symbol("f")
      orig = orig or H.file_bytes(p, f, 16)
      p:break_at("f")
      for _ = 1, 3 do
        assert(p:cont())
        assert(p:wait_stop(10))
      end
      assert(p:detach())
      p:release()
      local st = H.slurp("/proc/" .. pid .. "/stat") or ""
      assert.is_nil(st:match("%) [ZX] "), "the program died")
      assert.are_not.equal("", st)
    end
    assert.are.equal(orig, H.mem(pid, f, 16))
    os.execute("kill -9 " .. pid)
  end)

  it("spawns and kills 200 times leaking no fd and no child", function()
    collectgarbage() -- earlier tests' processes close their fds when collected
    collectgarbage()
    local fds, kids = fd_count(), #H.children()
    for _ = 1, 200 do
      local p = assert(lutra.spawn({H.target("loop"), "1"}, {stdout = "null"}))
      assert(p:kill())
      p:release()
    end
    collectgarbage()
    assert.are.equal(fds, fd_count())
    assert.are.equal(kids, #H.children())
  end)

  it("counts 16 threads x 5,000 hits exactly", function()
    local p = assert(lutra.spawn({H.target("threads"), "16", "5000"}, {stdout = "null"}))
    local a, b = p:break_at("hit"), p:break_at("hit_riprel")
    p:run()
    assert.are.equal(80000, a.hits)
    assert.are.equal(80000, b.hits)
  end)

  it("on SIGHUP kills a spawned target and leaves no zombie", function()
    local s = H.tmpname() .. ".lua"
    io.open(s, "w"):write([[
      local f = io.open("/proc/self/stat") local me = f:read("n") f:close()
      local o = io.open(arg[1], "w") o:write(me, " ", lutra.target.pid, "\n") o:close()
      lutra.target:run()
    ]]):close()
    local sync, status = H.tmpname(), H.tmpname()
    os.execute(string.format("(%s %s %s -- %s >/dev/null 2>&1; echo $? > %s) &", H.lutra_bin, s, sync,
      H.target("spin"), status))
    H.await(function() return (H.slurp(sync) or ""):match("%d+ %d+") end, "lutra's and the program's pids")
    local me, target = H.slurp(sync):match("(%d+) (%d+)")
    os.execute("kill -HUP " .. me)
    H.await(function() return (H.slurp(status) or ""):match("%d") end, "lutra's exit status")
    assert.are.equal("129", H.slurp(status):match("%d+"))
    assert.is_true(H.wait_gone(target))
    os.remove(s)
  end)

  it("an uncaught script error detaches an attached target, which runs on intact", function()
    local pid, out = H.start(H.target("spin"), "ready")
    local s = H.tmpname() .. ".lua"
    io.open(s, "w"):write([[
      lutra.target:break_at("tick", function(t, bp) if bp.hits == 5 then error("handler bug") end end)
      lutra.target:run()
    ]]):close()
    local _, err, code = H.lutra("-p " .. pid .. " " .. s)
    assert.are.equal(1, code)
    assert.matches("handler bug", err)
    H.assert_spin_intact(pid, out)
    os.remove(s)
  end)
  for _, mode in ipairs({"all", "thread"}) do
    it("lutra's own bug (an assertion, stop = " .. mode .. ") still detaches an attached target", function()
      local pid, out = H.start(H.target("spin"), "ready")
      local _, err, code = H.lutra("-p " .. pid .. " -e 'lutra.target:break_at(\"tick\", {stop = \"" .. mode ..
        "\", handler = function(t, bp) if bp.hits == 3 then require(\"lutra.host\").internal_error(\"on purpose\") end end})'")
      assert.are.equal(128 + 6, code) -- SIGABRT, as a failed assert()
      err = err:gsub("[^\n]*Aborted[^\n]*\n$", "") -- the shell's own report
      assert.are.equal("lutra: internal error: on purpose\n" ..
        "lutra: internal error: fatal signal; releasing traced processes\n", err)
      H.assert_spin_intact(pid, out)
    end)
  end

  it("lutra's own bug kills a spawned target: no orphan left running", function()
    local pidfile = H.tmpname()
    local _, err, code = H.lutra("-e 'lutra.target:break_at(\"tick\", function() " ..
      "local f = io.open(\"" .. pidfile .. "\", \"w\") f:write(lutra.target.pid) f:close() " ..
      "require(\"lutra.host\").internal_error() end)' -- " .. H.target("spin"))
    assert.are.equal(128 + 6, code)
    assert.matches("internal error", err)
    assert.is_true(H.wait_gone(H.slurp(pidfile)))
  end)

  it("a script out of Lua memory (--lua-memory) ends in one message, the target detached intact", function()
    local pid, out = H.start(H.target("spin"), "ready")
    local _, err, code = H.lutra("--lua-memory 16 -p " .. pid .. " -e 'local keep = {} " ..
      "lutra.target:break_at(\"tick\", function() for i = 1, 1000 do keep[#keep + 1] = string.rep(\"x\", 1000) .. #keep end end)'")
    assert.are.equal(1, code)
    assert.are.equal("lutra: not enough memory (the script reached --lua-memory 16 MB)\n", err)
    H.assert_spin_intact(pid, out)
  end)

  it("counts every hit of a program that blocks SIGTRAP in all its threads", function()
    local p = assert(lutra.spawn({H.target("blocktrap")}, {stdout = "null"}))
    local bp = p:break_at("work")
    local r = p:run()
    assert.are.same({reason = "exited", code = 0}, r)
    assert.are.equal(4000, bp.hits)
  end)

  it("200 threads in waves of 20: every hit, every thread's birth and exit", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("waves")}, {stdout = out}))
    local bp = p:break_at("work")
    local born, died = {}, {}
    p:on("thread_create", function(_, nt) born[#born + 1] = nt.tid end)
    p:on("thread_exit", function(t) died[t.tid] = true end)
    local r = p:run()
    assert.are.same({reason = "exited", code = 0}, r)
    assert.are.equal(10000, bp.hits)
    assert.are.equal(200, #born)
    for _, tid in ipairs(born) do assert.is_true(died[tid], "no exit for thread " .. tid) end
    assert.are.equal("calls=10000\n", H.slurp(out))
  end)
  it("lutra SIGKILLed: the kernel kills the spawned target (PTRACE_O_EXITKILL)", function()
    -- No breakpoint: without EXITKILL the program would run on for ever.
    local sync = H.tmpname()
    os.execute(string.format("(%s -e 'local f = io.open(\"/proc/self/stat\") local me = f:read(\"n\") f:close() " ..
      "local o = io.open(\"%s\", \"w\") o:write(me, \" \", lutra.target.pid, \"\\n\") o:close() lutra.target:run()' -- %s >/dev/null 2>&1) &",
      H.lutra_bin, sync, H.target("spin")))
    H.await(function() return (H.slurp(sync) or ""):match("%d+ %d+") end, "lutra to start the program")
    local me, target = H.slurp(sync):match("(%d+) (%d+)")
    os.execute("kill -KILL " .. me)
    assert.is_true(H.wait_gone(target))
  end)
end)
