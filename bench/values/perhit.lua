-- perhit.lua MODE N BIG: the per-hit cost of a handler on hot() of the
-- generated program BIG called N times: MODE none, arg (t:arg(1)), args
-- (t:args()), args_value (two values read), args_tostring.
local mode, n, big = arg[1], tonumber(arg[2]), arg[3]
local p = assert(lutra.spawn({big, tostring(n)}, {stdout = "null"}))
local core = lutra.core
local sink -- luacheck: ignore (the handlers' results go somewhere, as a script's would)
local h = ({
  arg = function(t) sink = t:arg(1) end,
  args = function(t) sink = t:args() end,
  args_value = function(t) local a = t:args(); sink = a.r.qty() + a.x() end,
  args_tostring = function(t) sink = tostring(t:args()[1]) end,
  none = function() end,
})[mode]
p:break_at("hot", h)
local t0 = core.now()
p:run()
local dt = core.now() - t0
local s = p:stats()
print(string.format("%-14s %d hits  %.2f us/hit wall  %.2f us/hit (stats)  handler %.3f s", mode, s.hits, dt * 1e6 / s.hits, s.us_per_hit, s.handler_s))
