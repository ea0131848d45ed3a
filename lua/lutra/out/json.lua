--- lutra.out.json: lutra trace --json, one JSON object a line per call at
-- its end: {"pid","tid","fn","args","ret","us","depth"} and "unwound" or
-- "exec" when the frame did not return.
local values = require "lutra.out.values"

local M = {}
local Json = {}
Json.__index = Json

--- json.new(file, {format_typed =}): format_typed(call) gives the typed
-- values as a JSON-ready value, written as "typed".
function M.new(file, opts)
  return setmetatable({file = file, cjson = require "cjson", format_typed = opts and opts.format_typed}, Json)
end

--- The JSON object of one call (a Lua table for cjson).
function M.object(c, format_typed)
  return {
    pid = c.pid, tid = c.tid, fn = c.name, args = values.json_array(c.args),
    ret = c.ret ~= nil and values.json(c.ret) or nil,
    us = math.floor(c.dur * 1e7 + 0.5) / 10, depth = c.depth,
    unwound = c.unwound or nil, exec = c.exec or nil,
    typed = c.typed and format_typed and format_typed(c) or nil,
  }
end

function Json:call(c)
  self.file:write(self.cjson.encode(M.object(c, self.format_typed)), "\n")
end

return M
