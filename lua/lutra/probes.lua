--- lutra.probes: probes that do not stop the program (docs/API.md):
-- p:counter, p:hist, the `when` of break_at and run's ticks. Each is a
-- logical breakpoint of lutra.breakpoints (so `where` resolves exactly as
-- break_at's does: strict, pending, globs, overloads, USDT, exec) whose
-- locations are placed inline by the engine, a jump to a trampoline that
-- counts or tests in the program, or, where the jump cannot go, as an
-- int3 that the tracer counts or tests at (trap mode).
local core = require "lutra.core"
local stats = require "lutra.stats"

local M = {}

-- Per process: how many locations run inline and how many trap.
local tallies = setmetatable({}, {__mode = "k"})
local function tally(p)
  local t = tallies[p]
  if not t then t = {inline = 0, trap = 0}; tallies[p] = t end
  return t
end

--- Checks an expression's syntax; raises "WHO: bad expression ...: column N: ..." at `level`.
function M.check(expr, who, level)
  if type(expr) ~= "string" then
    error(string.format("%s: the expression must be a string, not %s", who, type(expr)), level + 1)
  end
  local ok, err = core.check_expr(expr)
  if not ok then error(string.format("%s: %s", who, err), level + 1) end
end

-- The breakpoints behind a probe object: one, a glob's group, a USDT probe's sites.
local function members(obj)
  if obj.sites then return obj.sites end
  if obj.process == nil or getmetatable(obj) == require("lutra.breakpoints").Group then return obj end
  return {obj}
end

-- "inline" when every location runs inline, else "trap".
local function mode_of(obj)
  local mode
  for _, bp in ipairs(members(obj)) do
    for _, m in pairs(bp.modes or {}) do
      if m == "trap" then return "trap" end
      mode = "inline"
    end
  end
  return mode
end
M.mode_of = mode_of

-- The operation a location of bp runs in the program.
local function op_of(bp)
  local pr = bp.probe
  if not pr then return "trap", bp.when end
  return pr.kind, pr.expr
end

--- Places location addr of bp (lutra.breakpoints calls this instead of
-- claiming an int3): inline where the engine can, else an int3.
-- `always`: a plain breakpoint on bytes a probe's jump holds (a trap in
-- that trampoline instead of the int3 that cannot go there).
function M.claim(p, bp, addr, always)
  local bps = require "lutra.breakpoints"
  local kind, expr = op_of(bp)
  if always then kind, expr = "trap", nil end
  local pr = bp.probe
  local opts = {}
  if kind == "count" or kind == "trap" then opts.cond = expr end
  if kind == "hist" then opts.value = expr end
  if kind == "count" or kind == "hist" then
    bp.core = bp.core or core.counter(kind == "hist")
    opts.counter = bp.core
  end
  if kind == "entry" then
    opts.tag, opts.nargs = pr.tag(bp, addr), pr.nargs
  end
  bp.modes = bp.modes or {}
  local id, err, code = p:probe_add(addr, kind, opts)
  if id then
    bp.placed = bp.placed or {}
    bp.placed[#bp.placed + 1] = {process = p, addr = addr, id = id}
    if kind == "trap" then
      -- its int3 moves when the site's trampoline is rebuilt: known by id
      bp.inline_at = bp.inline_at or {}
      bp.inline_at[addr] = id
      p:set_breakpoint_nonstop(p:probe_trap(id), bp.stop == "thread")
    end
    bp.modes[addr] = "inline"
    bp.mode = mode_of(bp)
    tally(p).inline = tally(p).inline + 1
    return true
  end
  if code ~= "ENOINLINE" then return nil, err, code end
  if always then return nil, err, code end
  -- Trap mode: an int3, its condition tested by the tracer.
  bp.why = bp.why or err
  bp.modes[addr] = "trap"
  bp.mode = "trap"
  if expr then
    local e, eerr = p:probe_expr(addr, expr)
    if not e then return nil, eerr end
    bp.exprs = bp.exprs or {}
    bp.exprs[addr] = e
  end
  local ok, cerr, ccode = bps.claim(p, addr)
  if ok then tally(p).trap = tally(p).trap + 1 end
  return ok, cerr, ccode
end

--- Takes location addr of bp away (inline or int3).
function M.release(p, bp, addr)
  local bps = require "lutra.breakpoints"
  for i, pl in ipairs(bp.placed or {}) do
    if pl.process == p and pl.addr == addr then
      -- the engine needs every thread stopped; otherwise the probe stays
      -- (never reported again: the breakpoint is gone) until detach or exit
      if p.state == "stopped" then p:probe_remove(pl.id) end
      table.remove(bp.placed, i)
      if bp.inline_at then bp.inline_at[addr] = nil end
      tally(p).inline = tally(p).inline - 1
      return
    end
  end
  if bp.modes and bp.modes[addr] == "trap" then
    tally(p).trap = tally(p).trap - 1
    bp.modes[addr] = nil
  end
  bps.release(p, addr)
end

--- Does a stop at pc fire bp? A location placed inline fires only by its
-- own trap (via); a location in trap mode only by its int3, when its
-- condition (a when, a counter's expression) holds.
function M.fires(bp, t, pc, via, p)
  local id = bp.inline_at and bp.inline_at[pc]
  if id then return via ~= nil and via == (p or t.process):probe_trap(id) end
  if via then return false end
  local e = bp.exprs and bp.exprs[pc]
  if e and not (bp.probe and bp.probe.kind == "hist") then
    local v = e:eval(t)
    return v ~= nil and v ~= 0
  end
  return true
end


--- Resolves where as break_at does, its errors named for `who`.
local function place(p, who, where, opts)
  local bps = require "lutra.breakpoints"
  local ok, obj = pcall(bps.break_at, p, where, opts)
  if not ok then
    local msg = tostring(obj):gsub("^.-probes%.lua:%d+: ", ""):gsub("^break_at", who)
    error(msg, 3)
  end
  return obj
end

local Counter = {}
Counter.__index = function(c, k)
  if k == "mode" then return mode_of(c.bp) end
  return Counter[k]
end

--- c:value(): calls counted, inline and in trap mode, in the process and
-- the children it follows.
function Counter:value()
  if self.final then return self.final end
  local n = 0
  for _, bp in ipairs(members(self.bp)) do
    if bp.core then n = n + bp.core:read() end
    n = n + bp.hits
  end
  return n
end

--- c:remove(): the program's bytes back; value() keeps the count so far.
function Counter:remove()
  if self.final then return end
  local v = self:value()
  self.bp:remove()
  self.final = v
end

function Counter:__tostring()
  return string.format("counter %s%s: %d (%s)", self.where, self.expr and " [" .. self.expr .. "]" or "",
    self:value(), self.mode or "pending")
end

--- p:counter(where [, expr])
function M.counter(p, where, expr)
  if expr ~= nil then M.check(expr, "counter", 2) end
  local c = setmetatable({process = p, where = where, expr = expr, kind = "count"}, Counter)
  c.bp = place(p, "counter", where, {probe = c, stop = "thread", handler = function() end})
  return c
end

-- Histograms: a lutra.stats histogram whose rows are the program's
-- buckets (and those trap mode adds), read when it is printed.
local NOKEY = next(stats.hist():add(1).rows) -- lutra.stats' key of the unnamed row
local Agg = getmetatable(stats.hist())
local Hist = {}
for k, v in pairs(Agg) do Hist[k] = v end

local function refresh(h)
  local row, any = {}, false
  local inline = {}
  for _, bp in ipairs(members(h.bp)) do
    if bp.core then
      for i, n in ipairs(bp.core:read()) do inline[i] = (inline[i] or 0) + n end
    end
  end
  local extra = h.shadow.rows[NOKEY] or {}
  for b = 0, 64 do
    local n = (inline[b + 1] or 0) + (extra[b] or 0)
    if n > 0 then row[b], any = n, true end
  end
  rawset(h, "rows", any and {[NOKEY] = row} or {})
  return (inline[66] or 0) + h.shadow_drops
end

Hist.__index = function(h, k)
  if k == "dropped" then return refresh(h) end
  if k == "mode" then return mode_of(h.bp) end
  if k == "rows" then refresh(h) return rawget(h, "rows") end
  return Hist[k]
end
function Hist:__tostring() refresh(self) return Agg.__tostring(self) end
function Hist:json() refresh(self) return Agg.json(self) end
function Hist:get(key) refresh(self) return Agg.get(self, key) end
--- h:remove(): the program's bytes back; the histogram keeps its buckets.
function Hist:remove()
  if self.removed then return end
  refresh(self)
  self.bp:remove()
  self.removed = true
end

--- p:hist(where, expr)
function M.hist(p, where, expr)
  if expr == nil then error("hist: an expression is needed (the value whose log2 buckets are counted)", 2) end
  M.check(expr, "hist", 2)
  local h = {kind = "hist", name = where, process = p, where = where, expr = expr,
    shadow = stats.hist(), shadow_drops = 0}
  setmetatable(h, Hist)
  rawset(h, "rows", {})
  h.bp = place(p, "hist", where, {probe = h, stop = "thread", handler = function(t, bp)
    -- trap mode: the tracer evaluates the value
    local e = bp.exprs and bp.exprs[t:breakpoint_pc()]
    local v = e and e:eval(t)
    if v then h.shadow:add(v) else h.shadow_drops = h.shadow_drops + 1 end
  end})
  return h
end

--- Fields for p:stats(): locations placed inline and in trap mode.
function M.stats(p, into)
  local t = tallies[p] or {inline = 0, trap = 0}
  into.inline, into.trap = t.inline, t.trap
  return into
end

--- run's ticks: opts.every (seconds) and opts.tick (fn(p)); nil without.
function M.ticker(opts)
  if opts.every == nil and opts.tick == nil then return nil end
  if type(opts.every) ~= "number" or opts.every <= 0 then
    error("run: every must be a number of seconds > 0 (with tick)", 3)
  end
  if type(opts.tick) ~= "function" then error("run: tick must be a function (with every)", 3) end
  return {every = opts.every, fn = opts.tick, next = core.now() + opts.every}
end

--- Calls the tick when it is due; returns the seconds until the next one.
function M.tick(ticker, p, call)
  local now = core.now()
  if now >= ticker.next then
    call(ticker.fn, p)
    now = core.now()
    ticker.next = math.max(ticker.next + ticker.every, now)
  end
  return math.max(0, ticker.next - now)
end

return M
