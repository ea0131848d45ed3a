--- lutra.record: the file format of lutra trace --record (docs/API.md,
-- "Recorded runs"): JSON lines, a header, one line per call in the order
-- the calls ended, and a last line saying how the run ended. Writing one
-- line at a time and reading it back.
local values = require "lutra.out.values"

local M = {}

M.FORMAT = "lutra-record"
M.VERSION = 1

local function cjson() return require "cjson" end

--- The header line: {"format","version","lutra","command","patterns",
-- "nargs","started"}.
function M.header(info)
  return cjson().encode({format = M.FORMAT, version = M.VERSION, lutra = info.lutra,
    command = info.command, patterns = info.patterns,
    nargs = info.nargs, started = info.started}) .. "\n"
end

--- One call's line (a call as lutra.calls describes it): ts and dur in
-- microseconds since the tracing began.
function M.call(c)
  return cjson().encode({id = c.id, parent = c.parent, pid = c.pid, tid = c.tid, fn = c.name,
    module = c.module, args = values.json_array(c.args),
    ret = c.ret ~= nil and values.json(c.ret) or nil,
    ts = math.floor(c.start * 1e7 + 0.5) / 10, dur = math.floor(c.dur * 1e7 + 0.5) / 10,
    depth = c.depth, exec = c.exec or nil, unwound = c.unwound and (c.why or "unwound") or nil}) .. "\n"
end

--- The last line: {"end": {reason, code | signal}, "status", "calls",
-- "threads": {tid: name}}.
function M.trailer(info)
  local threads = {}
  for tid, name in pairs(info.threads or {}) do
    if name then threads[tostring(tid)] = name end
  end
  return cjson().encode({["end"] = info.result or {reason = "unknown"}, status = info.status,
    calls = info.calls, threads = threads}) .. "\n"
end

local function to_call(o)
  local args = {}
  for i, v in ipairs(o.args or {}) do args[i] = values.from_json(v) end
  return {id = values.from_json(o.id), parent = values.from_json(o.parent), pid = values.from_json(o.pid),
    tid = values.from_json(o.tid), name = o.fn, module = o.module, args = args,
    ret = values.from_json(o.ret), ts = o.ts, dur = o.dur, depth = values.from_json(o.depth),
    exec = o.exec or nil, unwound = o.unwound and true or nil, why = o.exec and "exec" or o.unwound or nil}
end

--- Reads a recorded run: {header =, calls = {...}, trailer = (nil when the
-- recording was cut short)}; each call {id, parent, pid, tid, name,
-- module, args, ret, ts, dur (us), depth, exec, unwound, why}. Returns
-- nil, message when the file cannot be read or is not a recording.
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local json = cjson()
  local run = {calls = {}}
  local n = 0
  for line in f:lines() do
    n = n + 1
    local ok, o = pcall(json.decode, line)
    if not ok or type(o) ~= "table" then
      local last = f:read(0) == nil -- a run cut short may end in half a line
      f:close()
      if n == 1 then return nil, string.format("%s: not a lutra recording (lutra trace --record)", path) end
      if last then return run end
      return nil, string.format("%s:%d: not a line of a lutra recording", path, n)
    end
    if n == 1 then
      if o.format ~= M.FORMAT then
        f:close()
        return nil, string.format("%s: not a lutra recording (lutra trace --record)", path)
      end
      if (values.from_json(o.version) or 0) > M.VERSION then
        f:close()
        return nil, string.format("%s: a recording of format %s (this lutra reads %d)", path,
          tostring(o.version), M.VERSION)
      end
      run.header = o
    elseif o["end"] then
      for k, v in pairs(o["end"]) do o["end"][k] = values.from_json(v) end
      o.status, o.calls = values.from_json(o.status), values.from_json(o.calls)
      run.trailer = o
    else
      run.calls[#run.calls + 1] = to_call(o)
    end
  end
  f:close()
  if not run.header then return nil, string.format("%s: empty, not a lutra recording", path) end
  return run
end

return M
