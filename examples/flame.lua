-- flame.lua: a backtrace at each hit of a function, counted as folded
-- stacks ("main;clerk;price 3"), the input of flamegraph.pl and speedscope.
--   build/lutra examples/flame.lua price -- build/demo > price.folded
local p = lutra.target
local folded = lutra.stats.folded()
for _, name in ipairs({...}) do
  p:break_at(name, function(t) folded:add(t:backtrace()) end)
end
p:run()
print(folded)
