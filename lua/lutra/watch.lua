--- lutra.watch: p:watch(addr, len, mode, handler), hardware watchpoints
-- with the watched value before and after each hit.
local state = require "lutra.state"

local M = {}

local Watch = {}
Watch.__index = Watch

function Watch:remove()
  if self.removed then return end
  assert(self.process:remove_watch(self.slot))
  state.of(self.process).watches[self.slot] = nil
  self.removed = true
end

--- p:watch(addr, len, mode, handler): mode "w" (writes), "rw" (reads and
-- writes) or "x" (execution); handler(t, w, old, new) with the watched
-- value before and after (integers, little-endian).
function M.watch(p, addr, len, mode, handler)
  if type(addr) == "string" then
    addr = p:symbol(addr) or error(string.format("watch: no symbol '%s'", addr), 2)
  end
  if type(len) ~= "number" then len, mode, handler = 8, len, mode end
  mode = mode or "w"
  if type(mode) == "function" then mode, handler = "w", mode end
  local slot, err = p:add_watch(addr, len, mode)
  if not slot then error("watch: " .. err, 2) end
  local fmt = "<I" .. len
  local w = setmetatable({process = p, address = addr, len = len, mode = mode, slot = slot,
    hits = 0, handler = handler}, Watch)
  w.read = function() return p:unpack(fmt, addr) end
  w.value = w.read()
  state.of(p).watches[slot] = w
  return w
end

--- A watchpoint stop: count it, read the new value, call the handler.
-- Returns its policy.
function M.hit(p, t, cause, call)
  local w = state.of(p).watches[cause.slot]
  if not w then return nil end
  w.hits = w.hits + 1
  local old = w.value
  w.value = w.read()
  if w.handler then return call(w.handler, t, w, old, w.value) end
  return nil
end

return M
