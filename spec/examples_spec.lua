-- examples_spec: every script in examples/ runs against its bundled program
-- and says what its header promises, so the examples never rot.
local H = require "helper"
local demo = H.build .. "/demo"

describe("examples", function()
  it("demo.lua logs prices, shipments and threads", function()
    local out, err, code = H.lutra("examples/demo.lua -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("price%(1, 11%) = 11", out)
    assert.matches("ship%(order 6, amount 96%)", out)
    assert.matches("created thread %d+", out)
    assert.matches("6 orders priced; program exited with code 0", out, 1, true)
  end)

  it("count_calls.lua counts calls per function", function()
    local out, err, code = H.lutra("examples/count_calls.lua '*' -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("\nprice%s+6\n", "\n" .. out)
    assert.matches("\nship%s+6\n", "\n" .. out)
    assert.matches("\nclerk%s+2\n", "\n" .. out)
    assert.matches("\nmain%s+1\n", "\n" .. out)
  end)

  it("log_breakpoints.lua logs each hit with its callers", function()
    local out, err, code = H.lutra("examples/log_breakpoints.lua ship price -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("ship hit #1 on thread %d+: args %(1, 11%), called from clerk", out)
    assert.matches("price hit #6 on thread %d+: args %(6, 16%), called from clerk", out)
  end)

  it("latency_hist.lua prints a histogram of 6 calls", function()
    local out, err, code = H.lutra("examples/latency_hist.lua ship -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("@ship_us:\n", out)
    local total = 0
    for n in out:gmatch("%) +(%d+) |") do total = total + tonumber(n) end
    assert.are.equal(6, total)
  end)

  it("flame.lua folds the stacks of each hit", function()
    local out, err, code = H.lutra("examples/flame.lua price -- " .. demo)
    assert.are.equal(0, code, err)
    local n = out:match("\n[^\n]*clerk;price (%d+)")
    assert.are.equal("6", n, out)
  end)

  it("probe_spec.lua passes as a busted spec against the demo", function()
    -- lutra --lua: the interpreter with this build's lutra built in
    local out, err, code = H.sh("DEMO=" .. demo .. " " .. H.lutra_bin ..
      " --lua /usr/bin/busted --output=TAP examples/probe_spec.lua")
    assert.are.equal(0, code, (out or "") .. (err or ""))
    assert.matches("ok 1 %- the demo program prices each order once", out)
  end)
end)
