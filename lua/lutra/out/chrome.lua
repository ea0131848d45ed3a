--- lutra.out.chrome: lutra trace --chrome FILE, the calls as Chrome
-- trace-event JSON (the "JSON Object Format" of Google's Trace Event Format
-- document), which Perfetto and chrome://tracing open: one complete event
-- (ph "X", ts and dur in microseconds) per call, and metadata events (ph
-- "M") naming each process and thread from /proc/PID/task/TID/comm.
-- Events are written as calls end, so memory does not grow with the trace.
local values = require "lutra.out.values"

local M = {}
local Chrome = {}
Chrome.__index = Chrome

--- chrome.new(file, {format_typed =}): writes the header now.
function M.new(file, opts)
  local self = setmetatable({file = file, cjson = require "cjson", first = true,
    names = require("lutra.out.names").new(),
    format_typed = opts and opts.format_typed}, Chrome)
  file:write('{"traceEvents":[\n')
  return self
end

function Chrome:event(e)
  self.file:write(self.first and "" or ",\n", self.cjson.encode(e))
  self.first = false
end

function Chrome:enter(c)
  local pname, tname = self.names:see(c)
  if pname then self:event({name = "process_name", ph = "M", pid = c.pid, tid = c.pid, args = {name = pname}}) end
  if tname then self:event({name = "thread_name", ph = "M", pid = c.pid, tid = c.tid, args = {name = tname}}) end
end

function Chrome:call(c)
  local args = {}
  for i, v in ipairs(c.args) do args["arg" .. i] = values.json(v) end
  if c.ret ~= nil then args.ret = values.json(c.ret) end
  if c.typed and self.format_typed then args.typed = self.format_typed(c) end
  if c.exec then args.exec = true end
  if c.unwound then args.unwound = c.why or true end
  self:event({name = c.name, cat = c.module or "lutra", ph = "X", pid = c.pid, tid = c.tid,
    ts = math.floor(c.start * 1e9 + 0.5) / 1000, dur = math.floor(c.dur * 1e9 + 0.5) / 1000, args = args})
end

function Chrome:finish()
  self.file:write("\n]}\n")
end

return M
