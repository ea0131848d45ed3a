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
end)
