-- sample_hot.lua: attaches to a running program, counts the calls of one
-- function for a few seconds (per thread, and a histogram of its first
-- argument), then detaches: the program runs on as if nothing happened.
--   build/examples/server & build/lutra -p $! examples/sample_hot.lua handle_request 5
local p = lutra.target
local name, seconds = ..., tonumber((select(2, ...))) or 5
name = name or "handle_request"
assert(p and not p.spawned, "sample_hot.lua attaches: run it with lutra -p PID")

local per_thread = lutra.stats.count("calls_per_thread")
local arg1 = lutra.stats.hist("arg1")
local bp = p:break_at(name, function(t)
  per_thread:add(t.tid)
  arg1:add(t:arg(1))
end)

local t0 = lutra.core.now()
local result = p:run({timeout = seconds})
local elapsed = lutra.core.now() - t0
if result.reason == "timeout" then
  p:detach()
else
  print("the program ended first: " .. (result.reason or "?"))
end
print(string.format("%s: %d calls in %.1f s (%.0f/s), pid %d %s", name, bp.hits, elapsed,
  bp.hits / elapsed, p.pid, p.state == "detached" and "detached and running" or p.state))
print(per_thread)
print(arg1)
