--- lutra.trace: `lutra trace [-c] [--json] [-o FILE] PATTERN... (-- PROGRAM | -p PID)`.
-- Logs every call of the matching functions, one line per call at its
-- return: thread, indent by call depth, name, first arguments, return value
-- and duration. --json: one JSON object per line. -c: a table of calls and
-- time per function at the end instead.
local core = require "lutra.core"

local M = {}

local USAGE = "usage: lutra trace [-c] [--json] [-o FILE] [-a N (0-9)] [--no-pin] PATTERN... (-- PROGRAM [ARGS...] | -p PID)"

local function parse(args)
  local o = {patterns = {}, nargs = 3}
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--" then
      o.program = table.move(args, i + 1, #args, 1, {})
      break
    elseif a == "-c" then o.count = true
    elseif a == "--no-pin" then o.no_pin = true
    elseif a == "--json" then o.json = true
    elseif a == "-o" then
      i = i + 1
      o.output = args[i]
      if not o.output then return nil, "-o needs a file name" end
    elseif a == "-a" then
      i = i + 1
      o.nargs = math.tointeger(tonumber(args[i] or ""))
      if not o.nargs or o.nargs < 0 or o.nargs > 9 then return nil, "-a takes 0 to 9" end
    elseif a == "-p" then
      i = i + 1
      o.pid = math.tointeger(tonumber(args[i] or ""))
      if not o.pid then return nil, "-p needs a process id" end
    elseif a:sub(1, 1) == "-" then
      return nil, string.format("unknown option '%s'", a)
    else
      o.patterns[#o.patterns + 1] = a
    end
    i = i + 1
  end
  if #o.patterns == 0 then return nil, "no function pattern given" end
  if not o.program and not o.pid then return nil, "give a program after -- or -p PID" end
  if o.program and o.pid then return nil, "give a program or -p PID, not both" end
  if o.program and #o.program == 0 then return nil, "no program after --" end
  return o
end

local function fmt_arg(v)
  if v >= -4096 and v <= 65535 then return tostring(v) end
  return string.format("0x%x", v)
end

function M.main(args)
  local o, err = parse(args)
  if not o then
    io.stderr:write("lutra trace: ", err, "\n", USAGE, "\n")
    return 2
  end
  local lutra = require "lutra"
  local out = io.stdout
  if o.output then
    local f, ferr = io.open(o.output, "w")
    if not f then
      io.stderr:write("lutra trace: ", ferr, "\n")
      return 1
    end
    out = f
  end
  local json = o.json and require("cjson")

  local p, perr, code
  if o.program then
    p, perr, code = lutra.spawn(o.program, {pin = not o.no_pin})
  else
    p, perr, code = lutra.attach(o.pid)
  end
  if not p then
    io.stderr:write("lutra: ", perr, "\n")
    return code == "ENOENT" and 127 or 1
  end
  if o.program then
    -- where the libraries are mapped (patterns match their symbols) and
    -- none of their code has run yet (their initialisers' calls are seen)
    local r = require("lutra.loader").run_to_libraries(p)
    if r and r.reason ~= "stopped" then
      io.stderr:write("lutra trace: the program ended before its libraries were loaded\n")
      return 1
    end
  end

  local depth = {}   -- tid -> current depth
  local totals = {}  -- name -> {calls=, total=}
  local order = {}

  -- Calls nest per thread, and per goroutine in Go code (t:frame_key).
  local function nest(t) return (t:frame_key()) end

  local function emit(t, bp, entry, ret, unwound)
    local now = core.now()
    local k = nest(t)
    local d = depth[k] or 1
    depth[k] = d - 1
    local name = entry.name or bp.symbol or string.format("0x%x", bp.address)
    local us = (now - entry.time) * 1e6
    if o.count then
      local c = totals[name]
      if not c then c = {calls = 0, total = 0}; totals[name] = c; order[#order + 1] = name end
      c.calls = c.calls + 1
      c.total = c.total + us
      return
    end
    if json then
      out:write(json.encode({tid = t.tid, fn = name, args = entry.args, ret = ret,
        us = math.floor(us * 10 + 0.5) / 10, depth = d, unwound = unwound or nil}), "\n")
    else
      local argv = {}
      for i, v in ipairs(entry.args) do argv[i] = fmt_arg(v) end
      out:write(string.format("%-7d %s%s(%s) = %s  %.1f us\n", t.tid, string.rep("  ", d - 1), name,
        table.concat(argv, ", "), unwound and "?" or fmt_arg(ret), us))
    end
  end

  local entries = {} -- tid -> stack of {time=, args=}
  local opts = {
    handler = function(t, bp)
      local args = {}
      for i = 1, o.nargs do args[i] = t:arg(i) end
      local k = nest(t)
      depth[k] = (depth[k] or 0) + 1
      local st = entries[k]
      if not st then st = {}; entries[k] = st end
      -- one breakpoint for every overload: name the one called
      local name = bp.locations and bp.locations[2] and bp:location_name(t:breakpoint_pc())
      st[#st + 1] = {time = core.now(), args = args, name = name}
    end,
    on_return = function(t, ret, bp)
      local st = entries[nest(t)]
      emit(t, bp, table.remove(st), ret)
    end,
    on_unwind = function(t, bp)
      local st = entries[nest(t)]
      if st and #st > 0 then emit(t, bp, table.remove(st), nil, true) end
    end,
  }
  for _, pat in ipairs(o.patterns) do
    local ok, berr = pcall(p.break_at, p, pat, opts)
    if not ok then
      io.stderr:write("lutra trace: ", tostring(berr), "\n")
      return 1
    end
  end

  local ok, result = pcall(p.run, p)
  local status
  if ok then
    if result.reason == "exited" then status = result.code
    elseif result.reason == "signaled" then status = 128 + (core.signal_number(result.signal) or 0)
    else status = 0 end
  else
    io.stderr:write("lutra trace: ", tostring(result), "\n")
    status = 1
  end
  if o.count then
    table.sort(order, function(a, b) return totals[a].total > totals[b].total end)
    if json then
      for _, name in ipairs(order) do
        local c = totals[name]
        out:write(json.encode({fn = name, calls = c.calls, total_us = c.total, avg_us = c.total / c.calls}), "\n")
      end
    else
      out:write(string.format("%-32s %10s %14s %12s\n", "FUNCTION", "CALLS", "TOTAL us", "AVG us"))
      for _, name in ipairs(order) do
        local c = totals[name]
        out:write(string.format("%-32s %10d %14.1f %12.2f\n", name, c.calls, c.total, c.total / c.calls))
      end
    end
  end
  if out ~= io.stdout then out:close() else out:flush() end
  return status
end

return M
