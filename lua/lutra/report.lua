--- lutra.report: a recorded run (lutra trace --record FILE) to look at
-- and assert on, offline: calls and time per function, the call tree, and
-- the difference between two runs. `lutra report` prints them; a busted
-- spec reads them:
--
--   local report = require("lutra").report   -- or require "lutra.report"
--   local run = assert(report.load("run.rec"))
--   assert.are.equal(6, run:count("price"))
local record = require "lutra.record"

local M = {}
local Run = {}
Run.__index = Run

--- report.load(FILE) -> Run | nil, message: the recording's calls
-- (run.calls, each {id, parent, pid, tid, name, module, args, ret, ts,
-- dur, depth, exec, unwound, why}, ts and dur in microseconds), its
-- header (run.header: command, patterns...) and how it ended (run.exit:
-- {reason =, code = | signal =}, nil when the recording was cut short).
function M.load(path)
  local r, err = record.read(path)
  if not r then return nil, err end
  local run = setmetatable({path = path, calls = r.calls, header = r.header, trailer = r.trailer,
    exit = r.trailer and r.trailer["end"], threads = r.trailer and r.trailer.threads or {}}, Run)
  return run
end

--- run:functions() -> {name -> {name, calls, total_us, self_us, avg_us,
-- min_us, max_us}}; self time leaves out the time of traced callees.
function Run:functions()
  if self._functions then return self._functions end
  local by_id, child_us = {}, {}
  for _, c in ipairs(self.calls) do by_id[c.id] = c end
  for _, c in ipairs(self.calls) do
    if c.parent and by_id[c.parent] then child_us[c.parent] = (child_us[c.parent] or 0) + c.dur end
  end
  local f = {}
  for _, c in ipairs(self.calls) do
    local r = f[c.name]
    if not r then
      r = {name = c.name, calls = 0, total_us = 0, self_us = 0, min_us = math.huge, max_us = 0}
      f[c.name] = r
    end
    r.calls = r.calls + 1
    r.total_us = r.total_us + c.dur
    r.self_us = r.self_us + c.dur - (child_us[c.id] or 0)
    r.min_us = math.min(r.min_us, c.dur)
    r.max_us = math.max(r.max_us, c.dur)
  end
  for _, r in pairs(f) do r.avg_us = r.total_us / r.calls end
  self._functions = f
  return f
end

--- run:count(name): how many calls of name were recorded (0 if none).
function Run:count(name)
  local r = self:functions()[name]
  return r and r.calls or 0
end

--- run:total_us(name): the time spent in name's calls, in microseconds.
function Run:total_us(name)
  local r = self:functions()[name]
  return r and r.total_us or 0
end

--- run:calls_of(name): the calls of name, in the order they ended.
function Run:calls_of(name)
  local list = {}
  for _, c in ipairs(self.calls) do
    if c.name == name then list[#list + 1] = c end
  end
  return list
end

--- run:tree() -> the call tree, calls of one path (main > work > leaf)
-- merged: an array of roots, each {name, calls, total_us, children =
-- {...}}, children by total time, largest first.
function Run:tree()
  local by_id = {}
  for _, c in ipairs(self.calls) do by_id[c.id] = c end
  local node_of = {} -- call id -> tree node
  local roots = {name = "", children = {}, index = {}}
  local function node(c)
    local n = node_of[c.id]
    if n then return n end
    local parent = c.parent and by_id[c.parent] and node(by_id[c.parent]) or roots
    n = parent.index[c.name]
    if not n then
      n = {name = c.name, calls = 0, total_us = 0, children = {}, index = {}, first = c.ts}
      parent.index[c.name] = n
      parent.children[#parent.children + 1] = n
    end
    node_of[c.id] = n
    return n
  end
  for _, c in ipairs(self.calls) do
    local n = node(c)
    n.calls = n.calls + 1
    n.total_us = n.total_us + c.dur
    n.first = math.min(n.first, c.ts)
  end
  local function order(n)
    table.sort(n.children, function(a, b)
      if a.total_us ~= b.total_us then return a.total_us > b.total_us end
      return a.name < b.name
    end)
    n.index = nil
    for _, ch in ipairs(n.children) do order(ch) end
  end
  order(roots)
  return roots.children
end

--- run:diff(old) -> rows {name, old_calls, new_calls, calls_diff,
-- old_us, new_us, us_diff, us_pct}, one per function of either run,
-- sorted by change: the largest change in calls first (relative to the
-- old count), then the largest change in time.
function Run:diff(old)
  local a, b = old:functions(), self:functions()
  local names, rows = {}, {}
  for n in pairs(a) do names[n] = true end
  for n in pairs(b) do names[n] = true end
  for n in pairs(names) do
    local o, w = a[n] or {calls = 0, total_us = 0}, b[n] or {calls = 0, total_us = 0}
    rows[#rows + 1] = {name = n, old_calls = o.calls, new_calls = w.calls, calls_diff = w.calls - o.calls,
      old_us = o.total_us, new_us = w.total_us, us_diff = w.total_us - o.total_us,
      us_pct = o.total_us > 0 and (w.total_us - o.total_us) * 100 / o.total_us or nil}
  end
  local function calls_change(r) return math.abs(r.calls_diff) / math.max(r.old_calls, 1) end
  table.sort(rows, function(x, y)
    local cx, cy = calls_change(x), calls_change(y)
    if cx ~= cy then return cx > cy end
    if math.abs(x.us_diff) ~= math.abs(y.us_diff) then return math.abs(x.us_diff) > math.abs(y.us_diff) end
    return x.name < y.name
  end)
  return rows
end

return M
