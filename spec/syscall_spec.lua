-- syscall_spec: p:on("syscall"): entry and exit with names, arguments and
-- return values, a filter, and fault injection with "skip".
local lutra = require "lutra"
local H = require "helper"

describe("syscall tracing", function()
  it("sees exactly the files the program opens, with their results", function()
    local out = H.tmpname()
    local files = {"/etc/hostname", "/no/such/file", "/etc/passwd"}
    local p = assert(lutra.spawn({H.target("opens"), table.unpack(files)}, {stdout = out}))
    local seen = {}
    p:on("syscall", {filter = {"openat"}, on_exit = function(t, call)
      assert.are.equal("openat", call.name)
      assert.are.equal(257, call.nr)
      assert.are.equal("exit", call.phase)
      local path = p:read_string(call.args[2])
      seen[#seen + 1] = path .. " " .. (call.ret >= 0 and "ok" or call.errno)
    end})
    assert.are.same({reason = "exited", code = 0}, p:run())
    -- the loader's opens come first; the program's are the last three
    local mine = table.move(seen, #seen - 2, #seen, 1, {})
    assert.are.same({"/etc/hostname ok", "/no/such/file ENOENT", "/etc/passwd ok"}, mine)
    assert.are.equal(table.concat(mine, "\n") .. "\n", H.slurp(out))
  end)

  it("injects a failure with 'skip' that the program reports", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("opens"), "/etc/hostname", "/etc/passwd"}, {stdout = out}))
    local entries, exits = 0, 0
    p:on("syscall", {filter = {"openat"},
      on_entry = function(t, call)
        entries = entries + 1
        assert.is_nil(call.ret)
        if p:read_string(call.args[2]) == "/etc/passwd" then return "skip", "ENOENT" end
      end,
      on_exit = function(t, call) exits = exits + 1 end})
    p:run()
    assert.are.equal("/etc/hostname ok\n/etc/passwd ENOENT\n", H.slurp(out))
    assert.are.equal(entries, exits)
  end)

  it("calls one handler at entry and exit, and stops when turned off", function()
    local p = assert(lutra.spawn({H.target("loop"), "1"}, {stdout = "null"}))
    local phases = {}
    p:on("syscall", function(t, call)
      phases[#phases + 1] = call.name .. " " .. call.phase
      if call.name == "write" and call.phase == "exit" then
        p:on("syscall", nil)
        assert.matches("^syscall write = %d+$", tostring(t:stopped()))
      end
    end)
    p:run()
    -- spawn stops inside execve: its exit comes first, then pairs
    assert.are.equal("execve exit", phases[1])
    assert.matches(" entry$", phases[2])
    assert.are.equal(phases[2]:gsub("entry", "exit"), phases[3])
    assert.are.equal("write exit", phases[#phases])
    assert.has_error(function() p:on("syscall", {filter = {"opne"}}) end, 'on: unknown syscall "opne"')
  end)
  describe("with a filter in a spawned program (seccomp-bpf)", function()
    local function trace(seccomp)
      local p = assert(lutra.spawn({H.target("getppids"), "10000"}, {stdout = "null"}))
      local opened = {}
      p:on("syscall", {filter = {"openat"}, seccomp = seccomp, on_entry = function(t, call)
        opened[#opened + 1] = p:read_string(call.args[2])
      end})
      local r = p:run()
      return p, r, opened
    end

    it("stops only at the filtered calls: 10,000 getppid cost no stop", function()
      local p, r, opened = trace(nil)
      assert.are.same({reason = "exited", code = 0}, r)
      assert.is_true(p.seccomp)
      assert.are.equal("/etc/hostname", opened[#opened])
      -- two stops per openat (the loader's and the program's), a few more
      -- for exec and exit: nothing near 10,000
      assert.is_true(p:core_stats().stops < 60, "stops: " .. p:core_stats().stops)
    end)

    it("seccomp = false traces the same calls the classic way, each syscall stopping", function()
      local p, r, opened = trace(false)
      assert.are.same({reason = "exited", code = 0}, r)
      assert.is_false(p.seccomp)
      assert.are.equal("/etc/hostname", opened[#opened])
      assert.is_true(p:core_stats().stops > 20000)
    end)

    it("refuses to detach such a program, saying why", function()
      local p = assert(lutra.spawn({H.target("getppids"), "10"}, {stdout = "null"}))
      p:on("syscall", {filter = {"openat"}, fn = function() end})
      local ok, err = pcall(p.detach, p)
      assert.is_false(ok)
      assert.matches("cannot detach process %d+: lutra's seccomp filter %(syscall tracing%) stays in it " ..
        "and would make its traced syscalls fail with ENOSYS; kill it or run it to its end", err)
      assert.are.same({reason = "exited", code = 0}, p:run())
    end)

    it("follows forked children (they carry the filter) and traces their calls too", function()
      local out = H.tmpname()
      local p = assert(lutra.spawn({H.target("forker"), "10"}, {stdout = out}))
      local exits = 0
      p:on("syscall", {filter = {"exit_group"}, on_entry = function() exits = exits + 1 end})
      assert.are.same({reason = "exited", code = 0}, p:run())
      assert.are.equal(11, exits) -- the parent and its 10 children
      assert.are.equal("children ok\n", H.slurp(out))
    end)

    it("is not used for an attached program, which must survive a detach", function()
      local pid = H.start(H.target("spin"), "ready")
      local p = assert(lutra.attach(pid))
      local n = 0
      p:on("syscall", {filter = {"clock_nanosleep", "nanosleep"}, fn = function() n = n + 1 return "stop" end})
      assert.is_false(p.seccomp)
      assert.are.equal("stopped", p:run({timeout = 10}).reason)
      p:detach()
      assert.are.equal(1, n)
      assert.matches("State:%s+[SR]", H.slurp("/proc/" .. pid .. "/status"))
      os.execute("kill -TERM " .. pid)
      assert.is_true(H.wait_gone(pid))
    end)
  end)
end)
