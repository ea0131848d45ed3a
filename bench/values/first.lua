-- first.lua BIG: at the first hit of hot() in the generated program, the
-- cost of the first p:global (which indexes every unit's globals), of a
-- second one, and of t:args() there.
local p = assert(lutra.spawn({arg[1], "1"}, {stdout = "null"}))
local c = lutra.core
p:break_at("hot", function(t)
  local t0 = c.now()
  local v = assert(p:global("sink_1"))
  local t1 = c.now()
  assert(p:global("sink_2"))
  local t2 = c.now()
  local a = assert(t:args())
  local t3 = c.now()
  print(string.format("first p:global %.1f ms, second %.3f ms, t:args() %.3f ms (%s, %s)",
    (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, tostring(v), tostring(a.r[0])))
end)
p:run()
