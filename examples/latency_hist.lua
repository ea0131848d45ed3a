-- latency_hist.lua: a latency histogram of one function, bpftrace-style:
-- the time from each call to its return, in microseconds, in power-of-two
-- buckets, printed at exit.
--   build/lutra examples/latency_hist.lua ship -- build/demo
local p = lutra.target
local name = ... or "main"
local lat = lutra.stats.hist(name .. "_us")
local started = {} -- thread -> stack of entry times (recursion-safe)

p:break_at(name, {
  handler = function(t)
    local s = started[t] or {}
    started[t] = s
    s[#s + 1] = lutra.core.now()
  end,
  on_return = function(t)
    local t0 = table.remove(started[t])
    lat:add((lutra.core.now() - t0) * 1e6)
  end,
})
p:run()
print(lat)
