-- messages_spec: the exact words of lutra's common errors, as a user sees
-- them on the command line: what happened, to which object, what to do;
-- one message, no traceback into lutra's own files, and the exit status.
local H = require "helper"

local loop = H.target("loop")

-- Files the table below needs.
local dir = H.tmpname() .. ".d"
os.execute("mkdir -p " .. dir)
local function file(name, bytes, mode)
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(bytes)
  f:close()
  os.execute(string.format("chmod %s %s/%s", mode, dir, name))
  return dir .. "/" .. name
end
local noexec = file("noexec", "\127ELF", "644")
local notelf = file("notelf", "hello\n", "755")
local syntax = file("syntax.lua", "print(1\n", "644")
local elf = H.slurp(loop)
local trunc = file("trunc", elf:sub(1, 100), "755")
-- loop whose section header offset (e_shoff) points past its end: the
-- kernel runs it (it needs the program headers only), libelf cannot read it.
local damaged = file("damaged", elf:sub(1, 0x28) .. string.pack("<I8", 0x7fffffff) .. elf:sub(0x31), "755")
local shnum, shentsize = string.unpack("<I2", elf, 0x3d), string.unpack("<I2", elf, 0x3b)
local broken = string.format("truncated or damaged ELF file: its section headers (%d of %d bytes at offset " ..
  "0x7fffffff) lie past its end (%d bytes)", shnum, shentsize, #elf)
-- a #! script whose interpreter is a spec program (so that the interpreter,
-- not stripped, gives the same words on every machine)
local script = file("script", "#!" .. loop .. "\n", "755")
local stripped = H.target("loop_stripped")

local CASES = {
  {"missing program", "-e 'x=1' -- /no/such/prog", 127,
    "lutra: cannot spawn /no/such/prog: No such file or directory\n"},
  {"program not in PATH", "-e 'x=1' -- no-such-prog-lutra", 127,
    "lutra: cannot spawn no-such-prog-lutra: No such file or directory (not found in PATH)\n"},
  {"a directory", "-e 'x=1' -- " .. dir, 1,
    "lutra: cannot spawn " .. dir .. ": Permission denied (it is a directory)\n"},
  {"not executable", "-e 'x=1' -- " .. noexec, 1,
    "lutra: cannot spawn " .. noexec .. ": Permission denied (is it executable? chmod +x, or a noexec mount)\n"},
  {"not an ELF", "-e 'x=1' -- " .. notelf, 1,
    "lutra: cannot spawn " .. notelf .. ": Exec format error (not an x86_64 ELF executable nor a #! script)\n"},
  {"a truncated ELF", "-e 'x=1' -- " .. trunc, 1,
    "lutra: cannot spawn " .. trunc .. ": Exec format error (not an x86_64 ELF executable nor a #! script)\n"},
  {"missing script", "/no/such/script.lua", 1,
    "lutra: cannot open /no/such/script.lua: No such file or directory\n"},
  {"script syntax error", syntax, 1,
    "lutra: " .. syntax .. ":2: ')' expected (to close '(' at line 1) near <eof>\n"},
  {"pid 0", "-p 0 -e 'x=1'", 1, "lutra: cannot attach to 0: not a process id (pids are positive)\n"},
  {"no such pid", "-p 999999999 -e 'x=1'", 1, "lutra: cannot attach to 999999999: no such process\n"},
  {"unknown symbol", "-e 'lutra.target:break_at(\"nosuch\")' -- " .. loop, 1,
    "lutra: break_at: no symbol 'nosuch' in process PID or the libraries it is linked against\n"},
  {"unmapped breakpoint address", "-e 'assert(lutra.target:add_breakpoint(16))' -- " .. loop, 1,
    "lutra: (command line):1: process PID: cannot set breakpoint at 0x10: address not mapped\n" ..
    "stack traceback:\n\t(command line):1: in main chunk\n"},
  {"unmapped read", "-e 'assert(lutra.target:read(16, 4))' -- " .. loop, 1,
    "lutra: (command line):1: process PID: cannot read 4 bytes at 0x10: address not mapped\n" ..
    "stack traceback:\n\t(command line):1: in main chunk\n"},
  {"unknown policy word", "-e 'lutra.target:break_at(\"main\", function() return \"contine\" end)' -- " .. loop, 1,
    "lutra: handler returned an unknown policy \"contine\" (expected continue, stop, detach, kill, suppress or a signal name)\n"},
  {"an error in a handler", "-e 'lutra.target:break_at(\"main\", function() error(\"boom\") end)' -- " .. loop, 1,
    "lutra: (command line):1: boom\nstack traceback:\n\t(command line):1: in local 'fn'\n"},
  {"unknown option", "--bogus", 2, "lutra: unknown option '--bogus'\nusage: "},
  -- issue 13, item 10: what lutra knows about where a name could have been
  {"a name missing from a stripped program", "-e 'lutra.target:break_at(\"nosuch\")' -- " .. stripped, 1,
    "lutra: break_at: no symbol 'nosuch' in process PID or the libraries it is linked against (" .. stripped ..
    " is stripped: 'nosuch' is not in its .dynsym)\n"},
  {"a name in a damaged ELF file", "-e 'lutra.target:break_at(\"main\")' -- " .. damaged, 1,
    "lutra: warning: process PID: " .. damaged .. ": " .. broken .. "; its symbols are unknown\n" ..
    "lutra: break_at: no symbol 'main' in process PID: the symbols of " .. damaged .. " cannot be read: " ..
    broken .. "\n"},
  {"a name in a #! script", "-e 'lutra.target:break_at(\"myfunc\")' -- " .. script, 1,
    "lutra: break_at: no symbol 'myfunc' in process PID or the libraries it is linked against (" .. script ..
    " is a #! script: the traced program is its interpreter " .. loop ..
    "; a name in a library the interpreter loads later takes {pending = true})\n"},
}

describe("error messages", function()
  for _, c in ipairs(CASES) do
    local what, args, status, want = c[1], c[2], c[3], c[4]
    it(what .. ": says exactly what happened", function()
      local _, err, code = H.lutra(args)
      err = err:gsub("process %d+", "process PID")
      if want:sub(-7) == "usage: " then
        assert.are.equal(want, err:sub(1, #want))
      else
        assert.are.equal(want, err)
      end
      assert.are.equal(status, code)
    end)
  end

  it("attaching to lutra itself", function()
    local _, err, code = H.sh("exec " .. H.lutra_bin .. " -p $$ -e 'x=1'")
    assert.matches("^lutra: cannot attach to %d+: it is lutra itself\n$", err)
    assert.are.equal(1, code)
  end)

  it("the symbols of a damaged ELF file: EBADELF, not ENOSYM", function()
    local p = assert(require("lutra").spawn({damaged}, {stdout = "null", stderr = "null"}))
    local a, err, code = p:symbol("main")
    assert.is_nil(a)
    assert.are.equal("EBADELF", code)
    assert.are.equal("no symbol 'main' in process " .. p.pid .. ": the symbols of " .. damaged .. " cannot be read: " ..
      broken, err)
    p:kill()
  end)

  it("registers of an exited thread: the contract's words", function()
    local _, err, code = H.lutra("-e 'local dead local p = lutra.target " ..
      "p:on(\"thread_exit\", function(t) if t.tid ~= p.pid then dead = t end end) p:run() dead:regs()' -- " ..
      H.target("threads") .. " 2 3")
    assert.are.equal(1, code)
    assert.are.equal("lutra: (command line):1: thread TID: cannot get registers in state Exited\n" ..
      "stack traceback:\n\t(command line):1: in main chunk\n", (err:gsub("thread %d+", "thread TID")))
  end)

  -- strace has the same rule for itself only ("I'm sorry, I can't let you
  -- do that, Dave."): `sh -c 'strace -p $$; true'` attaches to the shell,
  -- which waits for strace, and both wait until killed.
  it("attaching to lutra's parent or another ancestor: one line, status 1, at once", function()
    local _, err, code = H.sh("timeout 20 sh -c '" .. H.lutra_bin .. " -p $$ -e x=1; exit $?'")
    assert.are.equal(1, code)
    assert.matches("^lutra: cannot attach to %d+: it is lutra's parent %(tracing a process that waits for lutra " ..
      "freezes both%)\n$", err)
    _, err, code = H.sh("timeout 20 sh -c \"sh -c '" .. H.lutra_bin .. " -p \\$PPID -e x=1; exit \\$?'; exit \\$?\"")
    assert.are.equal(1, code)
    assert.matches("^lutra: cannot attach to %d+: it is an ancestor of lutra, 2 generations up %(tracing a process " ..
      "that waits for lutra freezes both%)\n$", err)
  end)

  it("a 32-bit program: one line, status 1, nothing printed", function()
    local hello32 = H.target("hello32")
    if (select(1, H.sh(hello32)) or "") ~= "hello32\n" then
      pending("skipped: the kernel runs no 32-bit program (no ia32 emulation) or hello32 was not built")
      return
    end
    local out, err, code = H.lutra("-e 'x=1' -- " .. hello32)
    assert.are.equal("", out)
    assert.are.equal("lutra: cannot spawn " .. hello32 .. ": 32-bit programs are not supported\n", err)
    assert.are.equal(1, code)
  end)

  teardown(function() os.execute("rm -rf " .. dir) end)
end)
