--- lutra.out.count: lutra trace -c, calls and time per function, printed
-- at the end as a table (the name column as wide as the longest name) or
-- as JSON lines with --json. `lutra report` prints the same table.
local M = {}
local Count = {}
Count.__index = Count

--- count.new(file, {json = bool})
function M.new(file, opts)
  return setmetatable({file = file, json = opts and opts.json, rows = {}, order = {}}, Count)
end

function Count:call(c)
  local r = self.rows[c.name]
  if not r then
    r = {name = c.name, calls = 0, total_us = 0}
    self.rows[c.name] = r
    self.order[#self.order + 1] = r
  end
  r.calls = r.calls + 1
  r.total_us = r.total_us + c.dur * 1e6
end

--- Rows ({name, calls, total_us}) sorted by total time, largest first.
function M.sorted(rows)
  local list = table.move(rows, 1, #rows, 1, {})
  table.sort(list, function(a, b)
    if a.total_us ~= b.total_us then return a.total_us > b.total_us end
    return a.name < b.name
  end)
  return list
end

--- The table as text: FUNCTION CALLS TOTAL us AVG us.
function M.render(rows)
  local w = #"FUNCTION"
  for _, r in ipairs(rows) do w = math.max(w, #r.name) end
  w = math.max(w, 32)
  local out = {string.format("%-" .. w .. "s %10s %14s %12s", "FUNCTION", "CALLS", "TOTAL us", "AVG us")}
  for _, r in ipairs(M.sorted(rows)) do
    out[#out + 1] = string.format("%-" .. w .. "s %10d %14.1f %12.2f", r.name, r.calls, r.total_us,
      r.total_us / r.calls)
  end
  return table.concat(out, "\n") .. "\n"
end

--- The table as JSON lines: {"fn","calls","total_us","avg_us"}.
function M.render_json(rows)
  local cjson = require "cjson"
  local out = {}
  for _, r in ipairs(M.sorted(rows)) do
    out[#out + 1] = cjson.encode({fn = r.name, calls = r.calls, total_us = r.total_us,
      avg_us = r.total_us / r.calls}) .. "\n"
  end
  return table.concat(out)
end

function Count:finish()
  self.file:write(self.json and M.render_json(self.order) or M.render(self.order))
end

return M
