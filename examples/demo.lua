-- demo.lua: what scripts/demo runs. Logs each order the demo program
-- prices and ships, with arguments and return values, and counts them.
--   build/lutra examples/demo.lua -- build/demo
local p = lutra.target
local priced = 0
local args = {} -- thread -> arguments at entry (registers change before return)

p:break_at("price", {
  handler = function(t)
    priced = priced + 1
    args[t] = {t:arg(1), t:arg(2)}
  end,
  on_return = function(t, total)
    local a = args[t]
    print(string.format("[thread %d] price(%d, %d) = %d", t.tid, a[1], a[2], total))
  end,
})

p:break_at("ship", function(t)
  print(string.format("[thread %d] ship(order %d, amount %d)", t.tid, t:arg(1), t:arg(2)))
end)

p:on("thread_create", function(t, new)
  print(string.format("[thread %d] created thread %d", t.tid, new.tid))
end)

local result = p:run()
print(string.format("%d orders priced; program %s with code %d", priced, result.reason, result.code))
