--- lutra.progress: long work (setting thousands of breakpoints) shown as
-- it goes on a terminal, quiet otherwise, and timed for --stats along
-- with the engine's time spent reading symbols.
local core = require "lutra.core"

local M = {}

-- Thousands of steps show their count at once; fewer only once they have
-- taken QUIET seconds. The count is redrawn at most every EVERY seconds.
local MANY, QUIET, EVERY = 1000, 0.3, 0.1

local spent = setmetatable({}, {__mode = "k"}) -- process -> {what -> {s =, n =}}

local tty -- is stderr a terminal? asked once
local function on_tty()
  if tty == nil then tty = core.isatty(2) end
  return tty
end

local Meter = {}
Meter.__index = Meter

--- progress.start(p, what, total): a meter for `total` steps of work on
-- p ("setting breakpoints"); step(i) after each, done() at the end.
function M.start(p, what, total)
  local t0 = core.now()
  return setmetatable({p = p, what = what, total = total, t0 = t0, shown = false}, Meter)
end

function Meter:step(i)
  if i % 64 ~= 0 then return end -- the clock is read once per 64 steps
  local now = core.now()
  self.next = self.next or (self.total >= MANY and now or self.t0 + QUIET)
  if now < self.next or not on_tty() then return end
  self.next = now + EVERY
  self.shown = true
  io.stderr:write(string.format("\rlutra: %s %d/%d\27[K", self.what, i, self.total))
end

function Meter:done(n)
  local s = spent[self.p]
  if not s then s = {}; spent[self.p] = s end
  local w = s[self.what] or {s = 0, n = 0}
  s[self.what] = w
  w.s = w.s + (core.now() - self.t0)
  w.n = w.n + (n or self.total)
  if self.shown then io.stderr:write("\r\27[K") end
end

--- Time and count of each kind of long work on p, {what -> {s =, n =}}.
function M.spent(p) return spent[p] or {} end

--- One line for --stats: time reading symbols (the engine's) and setting
-- breakpoints.
function M.summary(p)
  local c = p:core_stats()
  local bp = M.spent(p)["setting breakpoints"] or {s = 0, n = 0}
  return string.format("lutra stats: symbols read in %.3f s (%d objects), %d breakpoints set by globs in %.3f s",
    c.symbols_s or 0, c.symbol_files or 0, bp.n, bp.s)
end

return M
