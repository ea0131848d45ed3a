--- lutra.calls: one description of each traced call, made from a
-- breakpoint's hit and the end of its frame, and handed to every output
-- (lutra trace's text lines, --json, -c, --chrome, --record).
--
-- A call is a table:
--   id, parent     numbers in entry order; parent: the enclosing traced call
--                  on the same thread (nil at the top)
--   pid, tid       the process, and the thread the call ended on (a Go
--                  goroutine may move between threads), as lutra sees them
--                  (the pids the user gave)
--   name, module   the function as printed (its symbol, or 0x... without
--                  one) and the basename of its object
--   args           the first arguments, raw integers
--   typed          nil, or what the `typed` hook made at entry (typed
--                  values from DWARF); outputs render it with their own
--                  `format_typed` hook
--   ret            the return value (nil when the frame did not return)
--   start, dur     seconds since the tracing began, and seconds it lasted
--   depth          1 for a call with no traced caller on its thread
--   unwound        the frame was left without returning (longjmp, an
--                  exception, its thread's exit, the end of tracing)
--   exec           the frame ended in a successful execve
--   why            how a frame that did not return ended: "exec",
--                  "unwound", "exit" (its thread exited), "end"
local core = require "lutra.core"

local M = {}
local Calls = {}
Calls.__index = Calls

--- calls.new{nargs = N, typed = fn(t, bp, call), typed_return = fn(t,
-- call), outputs = {...}}: the outputs are tables with call(self, c) (at
-- the call's end) and optional enter(self, c) (at its entry) and
-- finish(self, info); typed_return runs at a typed call's return.
function M.new(opts)
  return setmetatable({
    nargs = opts.nargs or 3,
    typed = opts.typed,
    typed_return = opts.typed_return,
    outputs = opts.outputs or {},
    stacks = {},   -- nesting key -> open calls, innermost last
    seq = 0,
    t0 = core.now(),
    names = setmetatable({}, {__mode = "k"}), -- breakpoint -> {name, module}
  }, Calls)
end

-- Calls nest per thread, and per goroutine in Go code (t:frame_key).
local function nest(t) return t:frame_key() or t.tid end

-- The name as printed and the module of a breakpoint's function, looked
-- up once per breakpoint (per address for a breakpoint on every overload).
local function name_of(self, t, bp)
  if bp.locations and bp.locations[2] then
    local pc = t:breakpoint_pc()
    local _, _, mod = t.process:symbolize(pc)
    return bp:location_name(pc), mod
  end
  local n = self.names[bp]
  if n then return n[1], n[2] end
  local name = bp.symbol or string.format("0x%x", bp.address)
  local _, _, mod = t.process:symbolize(bp.address)
  self.names[bp] = {name, mod}
  return name, mod
end

function Calls:emit(c)
  for _, out in ipairs(self.outputs) do out:call(c) end
end

--- At a traced function's entry (the breakpoint's handler).
function Calls:enter(t, bp)
  -- a hit reported in the round the whole process exited in (exit_group
  -- from another thread): its registers are gone, and so is the call
  local state = t.state
  if state == "Exiting" or state == "Exited" then return end
  local args = {}
  for i = 1, self.nargs do args[i] = t:arg(i) end
  local k = nest(t)
  local st = self.stacks[k]
  if not st then st = {}; self.stacks[k] = st end
  local top = st[#st]
  self.seq = self.seq + 1
  local name, mod = name_of(self, t, bp)
  local c = {id = self.seq, parent = top and top.id, pid = t.process.pid, tid = t.tid,
    name = name, module = mod, args = args, start = core.now() - self.t0, depth = #st + 1}
  if self.typed then c.typed = self.typed(t, bp, c) end
  st[#st + 1] = c
  for _, out in ipairs(self.outputs) do
    if out.enter then out:enter(c) end
  end
end

--- At its return (on_return).
function Calls:leave(t, ret)
  local st = self.stacks[nest(t)]
  local c = st and table.remove(st)
  if not c then return end
  c.ret = ret
  if c.typed and self.typed_return then self.typed_return(t, c) end
  c.tid = t.tid -- a goroutine may have moved to another thread meanwhile
  c.dur = core.now() - self.t0 - c.start
  self:emit(c)
end

-- Ends an open call that did not return.
local function abandon(self, c, why, at)
  c.dur = at - c.start
  c.why = why
  if why == "exec" then c.exec = true else c.unwound = true end
  self:emit(c)
end

--- When its frame was left without returning (on_unwind): `why` is the
-- return-probe layer's ("exec", "unwound", "exit"), nil from a layer that
-- does not say (then "unwound").
function Calls:unwind(t, why)
  local st = self.stacks[nest(t)]
  local c = st and table.remove(st)
  if not c then return end
  abandon(self, c, why or "unwound", core.now() - self.t0)
end


--- The breakpoint options that feed this producer.
function Calls:probe()
  return {
    handler = function(t, bp) self:enter(t, bp) end,
    on_return = function(t, ret) self:leave(t, ret) end,
    on_unwind = function(t, _, why) self:unwind(t, why) end,
  }
end

--- Tracing ends: calls still open (the program exited or was let go
-- inside them) end as unwound ("end"), innermost first; then every output
-- finishes with `info` ({result =, status =}).
function Calls:finish(info)
  local at = core.now() - self.t0
  local keys = {}
  for k in pairs(self.stacks) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local st = self.stacks[k]
    for i = #st, 1, -1 do abandon(self, st[i], "end", at) end
    self.stacks[k] = nil
  end
  for _, out in ipairs(self.outputs) do
    if out.finish then out:finish(info or {}) end
  end
end

return M
