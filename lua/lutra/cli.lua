--- lutra.cli: the command line (docs/API.md, "Command line"). main.c calls
-- main(args, version) under lua_pcall and exits with what it returns.
local M = {}

local USAGE = [==[
usage: lutra SCRIPT.lua [ARGS...] [-- PROGRAM [ARGS...]]
       lutra -p PID SCRIPT.lua [ARGS...]
       lutra -e 'CHUNK' [-- PROGRAM [ARGS...]]  (or -p PID)
       lutra trace [-c] [--json] [-o FILE] PATTERN... (-- PROGRAM [ARGS...] | -p PID)
options: -i (a Lua prompt with the target at hand once the script has run),
         --stats (print lutra's own cost at exit), --no-pin (let the program
         run on every CPU: slower stops, for CPU-bound parallel programs),
         --lua-memory MB (the most memory the script may hold), --help, --version]==]

local function usage_error(msg)
  io.stderr:write("lutra: ", msg, "\n", USAGE, "\n")
  return 2
end

local function status_of(result)
  if not result then return 0 end
  if result.reason == "exited" then return result.code end
  if result.reason == "signaled" then
    local n = require("lutra.core").signal_number(result.signal)
    return 128 + (n or 0)
  end
  if result.reason == "killed" then return 128 + 9 end
  return 0
end

local memory_limit -- MB, from --lua-memory

-- lutra's own Lua files: their frames are noise in a user's traceback.
local OWN_DIR = (debug.getinfo(1, "S").source:match("^@(.*/)") or "\0")

-- Lua reports running out of memory without calling the message handler:
-- say which limit was reached.
local function explain(err)
  if err == "not enough memory" then
    return memory_limit and string.format("not enough memory (the script reached --lua-memory %d MB)", memory_limit)
      or "not enough memory"
  end
  return err
end

-- The script's error as one clear block: the message, then the frames of
-- the user's code (none when the error is lutra's answer to bad input,
-- such as an unknown symbol).
local function traceback(err)
  if type(err) ~= "string" then err = tostring(err) end
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

local function print_stats(p)
  local s = p:stats()
  io.stderr:write(string.format(
    "lutra stats: %d hits, %d stops (%.2f per hit), %.1f us per hit, handlers %.3f s, tracer %.3f s\n",
    s.hits, s.stops, s.stops_per_hit, s.us_per_hit, s.handler_s, s.tracer_s))
end

--- Parses the command line into a table; returns nil, message on misuse.
local function parse(args)
  local o = {script_args = {}}
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--" then
      o.program = table.move(args, i + 1, #args, 1, {})
      break
    elseif o.script or o.chunk then
      o.script_args[#o.script_args + 1] = a
    elseif a == "-p" then
      i = i + 1
      if not args[i] then return nil, "-p needs a process id" end
      o.pid = math.tointeger(tonumber(args[i]))
      if not o.pid then return nil, string.format("-p: '%s' is not a process id", args[i]) end
    elseif a == "-e" then
      i = i + 1
      if not args[i] then return nil, "-e needs a chunk of Lua" end
      o.chunk = args[i]
    elseif a == "--stats" then
      o.stats = true
    elseif a == "-i" then
      o.interactive = true
    elseif a == "--no-pin" then
      o.no_pin = true
    elseif a == "--lua-memory" then
      i = i + 1
      o.lua_memory = math.tointeger(tonumber(args[i] or ""))
      if not o.lua_memory or o.lua_memory < 1 then
        return nil, string.format("--lua-memory: '%s' is not a number of megabytes", tostring(args[i]))
      end
    elseif a == "-h" or a == "--help" then
      o.help = true
    elseif a == "-v" or a == "--version" then
      o.version = true
    elseif a:sub(1, 1) == "-" and #a > 1 then
      return nil, string.format("unknown option '%s'", a)
    else
      o.script = a
    end
    i = i + 1
  end
  return o
end

function M.main(args, version)
  if args[1] == "trace" then
    return require("lutra.trace").main(table.move(args, 2, #args, 1, {}))
  end
  local o, err = parse(args)
  if not o then return usage_error(err) end
  if o.help then print(USAGE) return 0 end
  if o.version then print("lutra " .. version) return 0 end
  if not o.script and not o.chunk and not o.interactive then return usage_error("no script given") end
  if o.pid and o.program then return usage_error("give a program or -p PID, not both") end

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
  if o.program then
    local e, code
    target, e, code = lutra.spawn(o.program, {pin = not o.no_pin})
    if not target then
      io.stderr:write("lutra: ", e, "\n")
      return code == "ENOENT" and 127 or 1
    end
  elseif o.pid then
    local e
    target, e = lutra.attach(o.pid)
    if not target then
      io.stderr:write("lutra: ", e, "\n")
      return 1
    end
  end
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
    if target.state == "exited" then -- its end came in the script, or just now
      local e = target.exit or {}
      result = e.signal and {reason = "signaled", signal = e.signal} or {reason = "exited", code = e.code}
    elseif target.state == "detached" then
      result = {reason = "detached"}
    end
    status = status_of(result)
    if o.stats then print_stats(target) end
  end
  return status
end

return M
