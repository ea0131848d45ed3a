--- lutra.stats: aggregations for trace scripts, printed the way bpftrace
-- prints its maps (aligned ASCII bars), or as JSON; and folded stacks
-- ("main;work;leaf 42") that flamegraph.pl and speedscope read.
--
--   local stats = require "lutra.stats"
--   local lat = stats.hist("latency_us")      -- power-of-two buckets
--   lat:add(us)                               -- or lat:add(us, key)
--   print(lat)                                -- bpftrace's layout
--
-- Every aggregation is keyed: add(value, key) with key nil for the single
-- unnamed row. count:add(key) counts.
local M = {}

local BAR = 52

local function suffix(n)
  local units = {{2^60, "E"}, {2^50, "P"}, {2^40, "T"}, {2^30, "G"}, {2^20, "M"}, {2^10, "K"}}
  for _, u in ipairs(units) do
    if n >= u[1] and n % u[1] == 0 then return string.format("%d%s", n // u[1], u[2]) end
  end
  return tostring(math.tointeger(n) or n)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) and (type(a) == "number" or type(a) == "string") then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

-- The key of the single unnamed row (add(value) without a key).
local NOKEY = setmetatable({}, {__tostring = function() return "" end})

local function label(name, key)
  if key == NOKEY then return "@" .. name end
  return string.format("@%s[%s]", name, tostring(key))
end


local Agg = {}
Agg.__index = Agg

local function new(kind, name, extra)
  local a = setmetatable({kind = kind, name = name or kind, rows = {}}, Agg)
  for k, v in pairs(extra or {}) do a[k] = v end
  return a
end

--- stats.count([name]): counts per key.
function M.count(name) return new("count", name) end
--- stats.sum([name]): sums values per key.
function M.sum(name) return new("sum", name) end
--- stats.hist([name]): power-of-two histogram per key (bpftrace's hist()).
function M.hist(name) return new("hist", name) end
--- stats.lhist([name,] min, max, step): linear histogram (bpftrace's lhist()).
function M.lhist(name, min, max, step)
  if type(name) == "number" then name, min, max, step = nil, name, min, max end
  assert(min and max and step and step > 0 and max > min, "lhist(min, max, step)")
  return new("lhist", name, {min = min, max = max, step = step})
end

-- Bucket index for a power-of-two histogram: 0 for values < 1 (bpftrace's
-- [0] row holds 0 only; negatives go there too), then k for [2^(k-1), 2^k).
local function pow2_bucket(v)
  if v < 1 then return 0 end
  local k = 1
  while v >= 2^k do k = k + 1 end
  return k
end

function Agg:add(value, key)
  if self.kind == "count" then
    key = value
    value = 1
  end
  if key == nil then key = NOKEY end
  local row = self.rows[key]
  if self.kind == "count" or self.kind == "sum" then
    self.rows[key] = (row or 0) + value
    return self
  end
  if not row then row = {}; self.rows[key] = row end
  local b
  if self.kind == "hist" then
    b = pow2_bucket(value)
  elseif value < self.min then
    b = -1
  elseif value >= self.max then
    b = math.huge
  else
    b = (value - self.min) // self.step
  end
  row[b] = (row[b] or 0) + 1
  return self
end

--- The value of one key (a number for count and sum, a bucket table else).
function Agg:get(key)
  if key == nil then key = NOKEY end
  return self.rows[key]
end

local function bucket_label(self, b)
  if self.kind == "hist" then
    if b == 0 then return "[0]" end
    if b == 1 then return "[1]" end
    return string.format("[%s, %s)", suffix(2^(b - 1)), suffix(2^b))
  end
  if b == -1 then return string.format("(..., %s)", suffix(self.min)) end
  if b == math.huge then return string.format("[%s, ...)", suffix(self.max)) end
  local lo = self.min + b * self.step
  return string.format("[%s, %s)", suffix(lo), suffix(lo + self.step))
end

local function render_buckets(self, row, out)
  local keys = sorted_keys(row)
  if #keys == 0 then return end
  local lo, hi = keys[1], keys[#keys]
  local max = 0
  for _, k in ipairs(keys) do if row[k] > max then max = row[k] end end
  -- every bucket between the first and the last is shown, empty or not
  local list = {}
  if self.kind == "hist" or (lo ~= -1 and hi ~= math.huge) then
    for b = lo, hi do list[#list + 1] = b end
  else
    local first = lo == -1 and 0 or lo
    local last = hi == math.huge and (self.max - self.min) // self.step - 1 or hi
    if lo == -1 then list[#list + 1] = -1 end
    for b = first, last do list[#list + 1] = b end
    if hi == math.huge then list[#list + 1] = math.huge end
  end
  for _, b in ipairs(list) do
    local n = row[b] or 0
    local bar = max > 0 and math.floor(n * BAR / max + 0.5) or 0
    out[#out + 1] = string.format("%-20s %8d |%s%s|", bucket_label(self, b), n,
      string.rep("@", bar), string.rep(" ", BAR - bar))
  end
end

--- tostring(agg): bpftrace's layout.
function Agg:__tostring()
  local out = {}
  local keys = sorted_keys(self.rows)
  if self.kind == "count" or self.kind == "sum" then
    table.sort(keys, function(a, b) return self.rows[a] < self.rows[b] end)
    for _, k in ipairs(keys) do
      out[#out + 1] = string.format("%s: %s", label(self.name, k), tostring(self.rows[k]))
    end
  else
    for _, k in ipairs(keys) do
      out[#out + 1] = label(self.name, k) .. ":"
      render_buckets(self, self.rows[k], out)
      out[#out + 1] = ""
    end
  end
  return table.concat(out, "\n")
end

--- agg:json(): one JSON object {name=, kind=, rows={key: value or {bucket: n}}}.
function Agg:json()
  local cjson = require "cjson"
  local rows = {}
  for k, v in pairs(self.rows) do
    local key = k == NOKEY and "" or tostring(k)
    if type(v) == "table" then
      local buckets = {}
      for b, n in pairs(v) do buckets[bucket_label(self, b)] = n end
      rows[key] = buckets
    else
      rows[key] = v
    end
  end
  return cjson.encode({name = self.name, kind = self.kind, rows = rows})
end

--- stats.folded(): stacks counted for flame graphs. add(frames [, n]) with
-- frames a backtrace (innermost first, as t:backtrace() gives) or an array
-- of names; tostring gives "root;...;leaf count" lines.
local Folded = {}
Folded.__index = Folded

function M.folded() return setmetatable({counts = {}}, Folded) end

function Folded:add(frames, n)
  local names = {}
  for i = #frames, 1, -1 do
    local f = frames[i]
    local name = f
    if type(f) == "table" then
      name = f.name or (f.module and "[" .. f.module .. "]") or string.format("0x%x", f.pc)
    end
    names[#names + 1] = tostring(name)
  end
  local line = table.concat(names, ";")
  self.counts[line] = (self.counts[line] or 0) + (n or 1)
  return self
end

function Folded:__tostring()
  local out = {}
  for _, line in ipairs(sorted_keys(self.counts)) do
    out[#out + 1] = line .. " " .. self.counts[line]
  end
  return table.concat(out, "\n")
end

return M
