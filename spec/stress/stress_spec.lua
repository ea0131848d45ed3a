-- stress_spec: the long versions (ctest -L stress, or scripts/stress):
-- 16 threads x 100,000 hits exactly; 10,000 spawn/kill cycles leaking
-- nothing; 60 s of attach/detach every 100 ms on a busy program.
local lutra = require "lutra"
local H = require "helper"

describe("stress", function()
  it("16 threads x 100,000 hits, exact", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("threads"), "16", "100000"}, {stdout = out}))
    local bp = p:break_at("hit_riprel")
    local t0 = lutra.core.now()
    p:run()
    local dt = lutra.core.now() - t0
    assert.are.equal(1600000, bp.hits)
    assert.are.equal("total=1600000\n", H.slurp(out))
    print(string.format("\n# 1,600,000 hits in %.1f s (%.0f hits/s)", dt, 1600000 / dt))
  end)

  it("10,000 spawn/kill cycles leak no fd and no child", function()
    local function fds()
      local n = 0
      for _ in require("lfs").dir("/proc/self/fd") do n = n + 1 end
      return n
    end
    collectgarbage() -- earlier tests' processes close their fds when collected
    collectgarbage()
    local f0, k0 = fds(), #H.children()
    local t0 = lutra.core.now()
    for i = 1, 10000 do
      local p = assert(lutra.spawn({H.target("loop"), "1"}, {stdout = "null"}))
      assert(p:kill())
      p:release()
      if i % 1000 == 0 then collectgarbage() end
    end
    collectgarbage()
    assert.are.equal(f0, fds())
    assert.are.equal(k0, #H.children())
    print(string.format("\n# 10,000 spawn/kill cycles in %.1f s", lutra.core.now() - t0))
  end)

  it("60 s of attach/detach every 100 ms on a busy program that stays healthy", function()
    local pid, out = H.start(H.target("spin"), "ready")
    local t0, n = lutra.core.now(), 0
    while lutra.core.now() - t0 < 60 do
      local p = assert(lutra.attach(pid))
      p:break_at("tick")
      assert(p:cont())
      assert(p:wait_stop(10))
      assert(p:detach())
      p:release()
      n = n + 1
      os.execute("sleep 0.1")
    end
    os.execute("kill -TERM " .. pid)
    assert.is_true(H.wait_gone(pid))
    assert.matches("ticks=1", H.slurp(out))
    print(string.format("\n# %d attach/detach cycles in 60 s; the program answered SIGTERM", n))
  end)
end)
