--- lutra.trace: `lutra trace`, calls of the matching functions without a
-- script (docs/API.md, "lutra trace"). Wiring only: lutra.command opens the
-- target, lutra.calls describes each call, and each output (lutra.out.*)
-- writes them its way: text lines (at each call's return: thread, indent
-- by depth, name, first arguments, return value, duration), --json, -c,
-- --chrome, --record.
local command = require "lutra.command"
local calls = require "lutra.calls"
local tv = require "lutra.trace_values"

local M = {}

M.USAGE = [==[
usage: lutra trace [-c] [--json] [--entries] [--chrome FILE] [--record FILE] [-f] [-a N]
                   [--max-depth N] [--no-pin] [--stats] [-o FILE]
                   PATTERN... (-- PROGRAM [ARGS...] | -p PID | -p NAME)
       lutra trace -l PATTERN [FILE | -- PROGRAM | -p PID]
       lutra trace --help
  PATTERN        a function (main), a library's (libc.so.6:malloc), a glob (str*)
  -c             a table of calls and time per function at the end
  --json         one JSON object per call (with -c: per function)
  --entries      entry lines only, the program never stopping (with -c:
                 calls counted in the program); drops counted at the end
  --chrome FILE  the calls as Chrome trace-event JSON (Perfetto, chrome://tracing)
  --record FILE  every call kept for `lutra report FILE`
  -f             follow forks: children are traced too, lines carry their pid
  -a N           N raw argument registers per call, 0 to 9 (default: the
                 function's arguments, typed, where it has DWARF; else 3)
  -l PATTERN     list the matching functions with their signatures and exit
  --max-depth N  text lines for calls at most N deep (default 64); the others
                 are counted in one line at the end (-c, --json, --chrome and
                 --record keep every call)
  -o FILE        the lines (or the -c table) go to FILE
  -p PID|NAME    attach to a running process, by pid or by name
  --no-pin       let a spawned program run on every CPU
  --stats        print lutra's own cost at the end]==]

local OPTIONS = {
  ["-c"] = {key = "count"},
  ["--json"] = {key = "json"},
  ["--entries"] = {key = "entries"}, -- lutra.ring
  ["--chrome"] = {key = "chrome", value = command.word("a file name")},
  ["--record"] = {key = "record", value = command.word("a file name")},
  ["-f"] = {key = "follow"},
  ["-a"] = {key = "nargs", value = function(v)
    local n = math.tointeger(tonumber(v or ""))
    if not n or n < 0 or n > 9 then return nil, "-a takes 0 to 9" end
    return n
  end},
  ["--max-depth"] = {key = "max_depth", value = command.integer(1, nil, "a depth of at least 1")},
  ["-o"] = {key = "output", value = command.word("a file name")},
  ["-p"] = {key = "target", value = command.pid_or_name},
  ["--no-pin"] = {key = "no_pin"},
  ["--stats"] = {key = "stats"},
  ["-l"] = {key = "list", value = command.word("a function pattern")},
  ["-h"] = {key = "help"},
  ["--help"] = {key = "help"},
}

local function parse(args)
  local patterns = {}
  local o, err = command.parse(args, OPTIONS, function(_, a) patterns[#patterns + 1] = a end)
  if not o then return nil, err end
  o.patterns = patterns
  if o.help then return o end
  if o.list then return tv.list_options(o) end
  o.typed = o.nargs == nil -- typed values where DWARF has them, unless -a N
  o.nargs = o.nargs or 3
  o.max_depth = o.max_depth or 64
  if #patterns == 0 then return nil, "no function pattern given" end
  if not o.program and not o.target then return nil, "give a program after -- or -p PID" end
  if o.program and o.target then return nil, "give a program or -p PID, not both" end
  if o.program and #o.program == 0 then return nil, "no program after --" end
  return o
end

local function fail(msg, status)
  io.stderr:write("lutra trace: ", msg, "\n")
  return status or 1
end

-- The files the outputs write, opened before the program starts so that
-- a bad path costs nothing.
local function open_files(o)
  local files = {}
  for _, k in ipairs({"output", "chrome", "record"}) do
    if o[k] then
      local f, err = io.open(o[k], "w")
      if not f then
        for _, g in pairs(files) do g:close() end
        return nil, err
      end
      files[k] = f
    end
  end
  return files
end

-- The outputs -c, --json, the text lines, --chrome and --record ask for.
local function outputs(o, files, p)
  local list = {}
  local out = files.output or io.stdout
  if o.count then
    list[#list + 1] = require("lutra.out.count").new(out, {json = o.json})
  elseif o.json then
    list[#list + 1] = require("lutra.out.json").new(out, {format_typed = tv.format_json})
  else
    list[#list + 1] = require("lutra.out.text").new(out, {max_depth = o.max_depth, pids = o.follow,
      format_typed = tv.format_text})
  end
  if files.chrome then list[#list + 1] = require("lutra.out.chrome").new(files.chrome, {format_typed = tv.format_json}) end
  if files.record then
    local lutra = require "lutra"
    list[#list + 1] = require("lutra.out.record").new(files.record, {
      lutra = lutra.version, command = o.program or {"-p", tostring(p.pid)}, patterns = o.patterns,
      nargs = o.nargs, started = os.time()})
  end
  return list
end

function M.main(args)
  local o, err = parse(args)
  if not o then
    io.stderr:write("lutra trace: ", err, "\n", M.USAGE, "\n")
    return 2
  end
  if o.help then print(M.USAGE) return 0 end
  if o.list then return tv.list_main(o, command) end

  if o.entries and (o.chrome or o.record) then
    return fail("--entries prints entry lines only: no --chrome or --record (they need the returns)", 2)
  end
  local files, ferr = open_files(o)
  if not files then return fail(ferr) end

  -- with --entries nothing stops: pinned to lutra's CPU it would only be slower
  local p, perr, pstatus = command.open(o, {pin = not o.no_pin and not o.entries, follow_fork = o.follow})
  if not p then
    io.stderr:write("lutra: ", perr, "\n")
    return pstatus
  end
  if o.program then
    -- where the libraries are mapped (patterns match their symbols) and
    -- none of their code has run yet (their initialisers' calls are seen)
    local ok, r = pcall(require("lutra.loader").run_to_libraries, p)
    if not ok then return fail(command.message(r)) end
    if r and r.reason ~= "stopped" then return fail("the program ended before its libraries were loaded") end
  end

  if o.entries then -- the program never stops (lutra.ring)
    local status = require("lutra.ring").run(p, o, files.output or io.stdout, o.json and require("cjson"))
    if files.output then files.output:close() end
    io.stdout:flush()
    if o.stats then command.print_stats(p) end
    return status
  end

  local typed = o.typed and not o.count
  local producer = calls.new({nargs = o.nargs, outputs = outputs(o, files, p),
    typed = typed and tv.entry_hook(o) or nil, typed_return = typed and tv.return_hook(o) or nil})
  local probe = producer:probe()
  for _, pat in ipairs(o.patterns) do
    local ok, berr = pcall(p.break_at, p, pat, probe)
    if not ok then return fail(command.message(berr)) end
  end

  local ok, result = pcall(p.run, p)
  local status
  if ok then
    result = command.result_of(p, result)
    status = command.status(result)
  else
    local msg = command.message(result)
    if msg:match("^interrupted") then
      io.stderr:write("lutra: ", msg, "\n")
    else
      io.stderr:write("lutra trace: ", msg, "\n")
    end
    result, status = {reason = "error", error = msg}, 1
  end
  producer:finish({result = result, status = status})
  for k, f in pairs(files) do
    if k ~= "output" or f ~= io.stdout then f:close() end
  end
  io.stdout:flush()
  if o.stats then command.print_stats(p) end
  return status
end

return M
