-- count_calls.lua: a trace script. Counts the calls of every function that
-- matches a glob (default "*": every function of the executable) and prints
-- a table at exit, most-called first.
--   build/lutra examples/count_calls.lua 'p*' -- build/demo
local pattern = ... or "*"
local p = lutra.target
local group = p:break_at(pattern)
if not group[1] then group = {group} end -- a plain name gives one breakpoint
local result = p:run()
table.sort(group, function(a, b) return a.hits > b.hits end)
for _, bp in ipairs(group) do
  if bp.hits > 0 then print(string.format("%-24s %8d", bp.symbol, bp.hits)) end
end
print(string.format("program %s (%s)", result.reason, result.code or result.signal))
