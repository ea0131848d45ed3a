--- lutra.cli: the command line (docs/API.md, "Command line"). main.c calls
-- main(args, version) under lua_pcall and exits with what it returns.
local command = require "lutra.command"

local M = {}

local USAGE = [==[
usage: lutra SCRIPT.lua [ARGS...] [-- PROGRAM [ARGS...]]
       lutra -p PID|NAME SCRIPT.lua [ARGS...]
       lutra -e 'CHUNK' [-- PROGRAM [ARGS...]]  (or -p PID|NAME)
       lutra trace [-c] [--json] [--chrome FILE] [--record FILE] [-f] [-a N]
                   [--max-depth N] [-o FILE] PATTERN... (-- PROGRAM [ARGS...] | -p PID|NAME)
       lutra report [--diff OLD] FILE
       lutra --new-probe DIR
       lutra --lua SCRIPT [ARGS...]
options: -p PID|NAME (attach to a running process: a pid, or the one process
           with that name), -e CHUNK (run a chunk of Lua instead of a script),
         -i (a Lua prompt with the target at hand once the script has run),
         --stats (print lutra's own cost at exit), --no-pin (let the program
         run on every CPU: slower stops, for CPU-bound parallel programs),
         --lua-memory MB (the most memory the script may hold),
         --lua SCRIPT (a plain Lua interpreter with lutra built in, for busted),
         --new-probe DIR (a folder for busted specs that use lutra),
         --help, --version
trace options (lutra trace --help says more): -c (table of calls and time),
         --json, --chrome FILE, --record FILE, -f (follow forks), -a N (arguments
         shown, 0-6), --max-depth N, -o FILE, --no-pin, --stats]==]

local function usage_error(msg)
  io.stderr:write("lutra: ", msg, "\n", USAGE, "\n")
  return 2
end

local memory_limit -- MB, from --lua-memory
local lutra_target_given -- a program or -p was named

-- lutra's own Lua files: their frames are noise in a user's traceback.
local OWN_DIR = (debug.getinfo(1, "S").source:match("^@(.*/)") or "\0")

-- Lua reports running out of memory without calling the message handler:
-- say which limit was reached.
local function explain(err)
  if err == "not enough memory" then
    return memory_limit and string.format("not enough memory (the script reached --lua-memory %d MB)", memory_limit)
      or "not enough memory"
  end
  err = command.message(err)
  -- lutra.target is nil without a target (the contract): say how to name one
  if not lutra_target_given and err:find("(field 'target')", 1, true) then
    local hint = "lutra.target is nil: no program was named (run the script as " ..
      "lutra SCRIPT.lua -- PROGRAM [ARGS...], or lutra -p PID SCRIPT.lua)"
    local first, rest = err:match("^([^\n]*)(.*)$")
    err = first .. "\n" .. hint .. rest
  end
  return err
end

-- The script's error as one clear block: the message, then the frames of
-- the user's code (none when the error is lutra's answer to bad input,
-- such as an unknown symbol).
local function traceback(err)
  err = command.message(err)
  if err:match("^interrupted") then return err end

  local frames = {}
  for line in debug.traceback("", 2):gmatch("[^\n]+") do
    local trimmed = line:match("^%s*(.-)$")
    if line:match("^%s") and not trimmed:match("^%[C%]") and trimmed ~= "(...tail calls...)"
        and trimmed:sub(1, #OWN_DIR) ~= OWN_DIR then
      frames[#frames + 1] = line
    end
  end
  if #frames == 0 then return err end
  return err .. "\nstack traceback:\n" .. table.concat(frames, "\n")
end

local OPTIONS = {
  ["-p"] = {key = "target", value = command.pid_or_name},
  ["-e"] = {key = "chunk", value = command.word("a chunk of Lua"), after = function(o) o.rest = o.script_args end},
  ["--stats"] = {key = "stats"},
  ["-i"] = {key = "interactive"},
  ["--no-pin"] = {key = "no_pin"},
  ["--lua-memory"] = {key = "lua_memory", value = command.integer(1, nil, "a number of megabytes")},
  ["--new-probe"] = {key = "new_probe", value = command.word("a directory")},
  ["-h"] = {key = "help"},
  ["--help"] = {key = "help"},
  ["-v"] = {key = "version"},
  ["--version"] = {key = "version"},
}

--- Parses the command line into a table; returns nil, message on misuse.
local function parse(args)
  local script_args = {}
  local o, err = command.parse(args, OPTIONS, function(o, a)
    o.script = a
    o.rest = script_args
  end)
  if not o then return nil, err end
  o.script_args = script_args
  return o
end

function M.main(args, version)
  if args[1] == "trace" then
    return require("lutra.trace").main(table.move(args, 2, #args, 1, {}))
  elseif args[1] == "report" then
    return require("lutra.report_command").main(table.move(args, 2, #args, 1, {}))
  end
  local o, err = parse(args)
  if not o then return usage_error(err) end
  if o.help then print(USAGE) return 0 end
  if o.version then print("lutra " .. version) return 0 end
  if o.new_probe then return require("lutra.newprobe").main(o.new_probe) end
  if not o.script and not o.chunk and not o.interactive then return usage_error("no script given") end
  if o.target and o.program then return usage_error("give a program or -p PID, not both") end

  local lutra = require "lutra"
  _G.lutra = lutra
  if o.lua_memory then
    local ok, host = pcall(require, "lutra.host")
    if not ok then return usage_error("--lua-memory needs the lutra command") end
    host.set_memory_limit(o.lua_memory)
    memory_limit = o.lua_memory
  end

  local chunk, lerr
  if o.chunk then
    chunk, lerr = load(o.chunk, "=(command line)")
  elseif o.script then
    chunk, lerr = loadfile(o.script)
  else
    chunk = function() end -- -i alone: straight to the prompt
  end
  if not chunk then
    io.stderr:write("lutra: ", lerr, "\n")
    return 1
  end

  local target
  if o.program or o.target then
    local oerr, status
    target, oerr, status = command.open(o, {pin = not o.no_pin})
    if not target then
      io.stderr:write("lutra: ", oerr, "\n")
      return status
    end
  end
  lutra_target_given = target ~= nil
  lutra.target = target

  _G.arg = {[0] = o.script or "-e"}
  for k, v in ipairs(o.script_args) do _G.arg[k] = v end

  local ok, res = xpcall(chunk, traceback, table.unpack(o.script_args))
  if not ok then
    io.stderr:write("lutra: ", explain(res), "\n")
    return 1
  end
  local function prompt()
    require("lutra.repl").run({p = target}, target and string.format(
      "lutra %s: the target is p (pid %d, %s); p:run() goes on; quit or Ctrl-D leaves",
      version, target.pid, target.state) or ("lutra " .. version .. ": quit or Ctrl-D leaves"))
  end
  if o.interactive then prompt() end
  local status = 0
  if target then
    local result
    -- To its end: a handler's "stop" returns to the prompt with -i, and is
    -- run through otherwise.
    while target.state == "stopped" or target.state == "running" do
      ok, result = xpcall(target.run, traceback, target)
      if not ok then
        io.stderr:write("lutra: ", explain(result), "\n")
        return 1
      end
      if result.reason ~= "stopped" then break end
      if o.interactive then
        print(string.format("stopped: thread %d, %s", result.thread.tid, tostring(result.thread:stopped())))
        prompt()
      end
    end
    -- its end came in the script, or just now
    status = command.status(command.result_of(target, result))
    if o.stats then command.print_stats(target) end
  end
  return status
end

return M
