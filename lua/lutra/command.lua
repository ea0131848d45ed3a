--- lutra.command: what the lutra command's modes share (a script run by
-- lutra.cli, lutra trace, lutra report): option parsing, opening the target
-- (spawn, attach by pid or by name), the exit status, and one-line messages.
local M = {}

--- Parses args against `options` (flag -> {key =, value = converter}).
-- A converter gets the next word and returns the value, or nil, message.
-- `word(o, a)` takes a word that is no option and may return a message;
-- once `o.rest` is a table, every further word goes there (a script's
-- arguments). "--" ends the options: what follows is o.program.
function M.parse(args, options, word)
  local o = {}
  local i = 1
  while i <= #args do
    local a = args[i]
    local opt = not o.rest and options[a]
    if a == "--" then
      o.program = table.move(args, i + 1, #args, 1, {})
      break
    elseif o.rest then
      o.rest[#o.rest + 1] = a
    elseif opt then
      if opt.value then
        i = i + 1
        local v, err = opt.value(args[i], a)
        if v == nil then return nil, err end
        o[opt.key] = v
      else
        o[opt.key] = true
      end
      if opt.after then opt.after(o) end
    elseif a:sub(1, 1) == "-" and #a > 1 then
      return nil, string.format("unknown option '%s'", a)
    else
      local err = word(o, a)
      if err then return nil, err end
    end
    i = i + 1
  end
  return o
end

--- Converter for -p: a pid (digits) or a process name.
function M.pid_or_name(v, flag)
  if not v then return nil, flag .. " needs a process id or name" end
  if v:match("^%-?%d+$") then return {pid = math.tointeger(tonumber(v))} end
  return {name = v}
end

--- Converter for a whole number within [min, max].
function M.integer(min, max, what)
  return function(v, flag)
    local n = math.tointeger(tonumber(v or ""))
    if not n or n < min or (max and n > max) then
      return nil, string.format("%s: '%s' is not %s", flag, tostring(v), what)
    end
    return n
  end
end

--- Converter for a word (a file name...).
function M.word(what)
  return function(v, flag)
    if not v then return nil, string.format("%s needs %s", flag, what) end
    return v
  end
end

--- The process -p names: o.target = {pid = N} or {name = NAME}. Returns
-- a pid, or nil and the message.
function M.pid_of(target)
  if target.pid then return target.pid end
  return require("lutra.pidof").find(target.name)
end

--- Opens the target: o.program spawned, or o.target (-p) attached.
-- opts: pin, follow_fork. Returns the Process, or nil, message and the
-- exit status to end with (127 for a program that does not exist).
function M.open(o, opts)
  local lutra = require "lutra"
  opts = opts or {}
  if o.program then
    local p, err, code = lutra.spawn(o.program, {pin = opts.pin, follow_fork = opts.follow_fork})
    if not p then return nil, err, code == "ENOENT" and 127 or 1 end
    return p
  end
  local pid, err = M.pid_of(o.target)
  if not pid then return nil, err, 1 end
  local p, aerr = lutra.attach(pid, {follow_fork = opts.follow_fork})
  if not p then return nil, aerr, 1 end
  return p
end

--- The result of a target's end as run gives it, also when the end came
-- earlier (in the script) or the target was let go.
function M.result_of(p, result)
  if p.state == "exited" then
    local e = p.exit or {}
    return e.signal and {reason = "signaled", signal = e.signal} or {reason = "exited", code = e.code}
  elseif p.state == "detached" then
    return {reason = "detached"}
  end
  return result
end

--- The exit status for a target's end: its code, 128+signal when a signal
-- or lutra killed it, 0 when it was detached or there is none.
function M.status(result)
  if not result then return 0 end
  if result.reason == "exited" then return result.code or 0 end
  if result.reason == "signaled" then
    local n = require("lutra.core").signal_number(result.signal)
    return 128 + (n or 0)
  end
  if result.reason == "killed" then return 128 + 9 end
  return 0
end

-- lutra's own Lua files: a position in them means nothing to a user.
local OWN_DIR = debug.getinfo(1, "S").source:match("^@(.*/)")

--- An error as one line for the user: a position in lutra's own files
-- goes, and an interruption (SIGINT, SIGTERM) reads `interrupted...`
-- wherever in lutra it came.
function M.message(err)
  if type(err) ~= "string" then err = tostring(err) end
  if OWN_DIR and err:sub(1, #OWN_DIR) == OWN_DIR then
    err = err:gsub("^[^:]*:%d+: ", "", 1)
  end
  err = err:gsub("^run: (interrupted)", "%1", 1)
  return err
end

--- --stats: lutra's own cost for p, on stderr.
function M.print_stats(p)
  local s = p:stats()
  io.stderr:write(string.format(
    "lutra stats: %d hits, %d stops (%.2f per hit), %.1f us per hit, handlers %.3f s, tracer %.3f s\n",
    s.hits, s.stops, s.stops_per_hit, s.us_per_hit, s.handler_s, s.tracer_s))
  io.stderr:write(require("lutra.progress").summary(p), "\n")
end

return M
