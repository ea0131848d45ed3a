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

  teardown(function() os.execute("rm -rf " .. dir) end)
end)
