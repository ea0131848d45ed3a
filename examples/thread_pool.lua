-- thread_pool.lua: watches a thread pool's threads come and go: a line for
-- each thread created and each that exits (with how long it lived and how
-- many threads were left), then how many there were and the most that ran
-- at once.
--   build/lutra examples/thread_pool.lua -- build/examples/pool
local p = lutra.target
local now = lutra.core.now
local born, live, created, most = {}, 1, 0, 1
local lifetimes = lutra.stats.hist("lifetime_us")

p:on("thread_create", function(parent, child)
  created = created + 1
  live = live + 1
  if live > most then most = live end
  born[child.tid] = now()
  print(string.format("+ thread %d created by %d (%d running)", child.tid, parent.tid, live))
end)

p:on("thread_exit", function(t, cause)
  live = live - 1
  local t0 = born[t.tid]
  local life = ""
  if t0 then
    local us = (now() - t0) * 1e6
    lifetimes:add(us)
    life = string.format(" after %.1f ms", us / 1000)
  end
  print(string.format("- thread %d exited (%s)%s (%d running)", t.tid, tostring(cause), life, live))
end)

local result = p:run()
print(string.format("%d threads created, at most %d running at once (main included); program %s",
  created, most, result.code and ("exited with code " .. result.code) or result.reason))
print(lifetimes)
