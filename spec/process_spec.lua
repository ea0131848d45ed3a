-- process_spec: spawn and attach, the seed's ForkExec and Attach, and every
-- bad input they can meet.
local lutra = require "lutra"
local H = require "helper"

describe("spawn", function()
  it("returns the process stopped just after exec, one thread Stopped", function()
    local p = assert(lutra.spawn({H.target("loop"), "3"}, {stdout = "null"}))
    assert.are.equal("stopped", p.state)
    local ts = p:threads()
    assert.are.equal(1, #ts)
    assert.are.equal(p.pid, ts[1].tid)
    assert.are.equal("Stopped", ts[1].state)
    assert.are.equal("stopped", ts[1]:stopped().kind)
    assert.are.equal(ts[1], p:thread(p.pid))
    local r = p:run()
    assert.are.same({reason = "exited", code = 6}, r)
    assert.are.equal("exited", p.state)
    assert.are.same({code = 6}, p.exit)
  end)

  it("passes arguments, env, cwd and redirects stdout", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({"sh", "-c", "echo $LUTRA_X; pwd"},
      {env = {LUTRA_X = "hello"}, cwd = "/tmp", stdout = out}))
    p:run()
    assert.are.equal("hello\n/tmp\n", H.slurp(out))
  end)

  it("disables address randomization with aslr = false", function()
    local function base()
      local p = assert(lutra.spawn({H.target("loop")}, {aslr = false, stdout = "null"}))
      local a = p:symbol("work")
      p:kill()
      return a
    end
    assert.are.equal(base(), base())
  end)

  it("answers a truncated ELF and a 32-bit ELF with ENOEXEC", function()
    local trunc = H.tmpname()
    io.open(trunc, "wb"):write((H.slurp(H.target("loop")):sub(1, 200))):close()
    local elf32 = H.tmpname()
    io.open(elf32, "wb"):write("\x7fELF\x01\x01\x01\0" .. string.rep("\0", 400)):close()
    os.execute("chmod +x " .. trunc .. " " .. elf32)
    for _, f in ipairs({trunc, elf32}) do
      local p, err, code = lutra.spawn({f})
      assert.is_nil(p)
      assert.are.equal("ENOEXEC", code)
      assert.are.equal("cannot spawn " .. f .. ": Exec format error (not an x86_64 ELF executable nor a #! script)", err)
    end
  end)

  it("runs the program on the tracer's CPU by default, on every CPU with pin = false", function()
    local function cpus(pid)
      return H.slurp("/proc/" .. pid .. "/status"):match("Cpus_allowed_list:%s+(%S+)")
    end
    local all = cpus("self")
    local p = assert(lutra.spawn({H.target("loop")}, {stdout = "null"}))
    assert.matches("^%d+$", cpus(p.pid))
    assert.are.equal(cpus(p.pid), cpus("self"))
    p:run()
    assert.are.equal(all, cpus("self")) -- the tracer's own affinity is back
    local q = assert(lutra.spawn({H.target("loop")}, {stdout = "null", pin = false}))
    assert.are.equal(all, cpus(q.pid))
    q:kill()
  end)

  it("answers a missing program with ENOENT and leaves no child", function()
    local before = #H.children()
    local p, err, code = lutra.spawn({"./no-such-program"})
    assert.is_nil(p)
    assert.are.equal("cannot spawn ./no-such-program: No such file or directory", err)
    assert.are.equal("ENOENT", code)
    assert.are.equal(before, #H.children())
  end)

  it("answers a non-executable file with EACCES and a non-ELF executable with ENOEXEC", function()
    local _, err, code = lutra.spawn({"/etc/passwd"})
    assert.are.equal("EACCES", code)
    assert.matches("Permission denied", err)
    local f = H.tmpname()
    io.open(f, "w"):write("\1\2\3 not a program\n"):close()
    os.execute("chmod +x " .. f)
    local p2, err2, code2 = lutra.spawn({f})
    assert.is_nil(p2)
    assert.are.equal("ENOEXEC", code2)
    assert.matches("Exec format error", err2)
  end)

end)

describe("attach", function()
  it("stops every thread of a running program and detaches leaving it running", function()
    local pid, out = H.start(H.target("spin"), "ready")
    local p = assert(lutra.attach(pid))
    assert.are.equal("stopped", p.state)
    local ts = p:threads()
    assert.are.equal(2, #ts)
    for _, t in ipairs(ts) do assert.are.equal("Stopped", t.state) end
    assert.is_true(ts[1].tid < ts[2].tid)
    local tick = assert(p:symbol("tick"))
    local before = H.mem(pid, tick, 1)
    assert(p:add_breakpoint(tick))
    local hits = 0
    while hits < 10 do
      assert(p:cont())
      for _, t in ipairs(assert(p:wait_stop(10))) do
        if t:stopped().kind == "breakpoint" then hits = hits + 1 end
      end
    end
    assert(p:detach())
    assert.are.equal("detached", p.state)
    -- The program's text is its own again, and it goes on and answers SIGTERM.
    assert.are.equal(before, H.mem(pid, tick, 1))
    local again = assert(lutra.attach(pid))
    assert.are.equal(H.file_bytes(again, tick, 1), before)
    assert(again:detach())
    os.execute("kill -TERM " .. pid)
    assert.is_true(H.wait_gone(pid))
    assert.matches("ticks=1", H.slurp(out))
  end)

  it("answers bad pids with clear messages", function()
    local p, err, code = lutra.attach(999999999)
    assert.is_nil(p)
    assert.are.equal("ESRCH", code)
    assert.are.equal("cannot attach to 999999999: no such process", err)
    _, err, code = lutra.attach(0)
    assert.are.equal("ESRCH", code)
    _, err, code = lutra.attach(-3)
    assert.are.equal("ESRCH", code)
    local self = math.tointeger(tonumber(H.slurp("/proc/self/stat"):match("^(%d+)")))
    _, err, code = lutra.attach(self)
    assert.are.equal("EPERM", code)
    assert.matches("lutra itself", err)
    _, err, code = lutra.attach("abc")
    assert.are.equal("EINVAL", code)
  end)

  it("refuses a process another tracer holds, naming the tracer", function()
    local pid = H.start(H.target("spin"), nil)
    local p = assert(lutra.attach(pid))
    -- A second tracer: gdb-like, but simplest is a second lutra state.
    local out, err, code = H.lutra("-p " .. pid .. " -e 'print(1)'")
    assert.are_not.equal(0, code)
    assert.matches("cannot attach to " .. pid .. ": Operation not permitted", err)
    assert.matches("already traced by process", err)
    p:kill()
  end)
end)
