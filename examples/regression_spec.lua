-- regression_spec.lua: a regression probe over a recorded run, written as a
-- busted spec. `lutra trace --record` keeps every call of price and ship in
-- the demo program; the spec loads the recording with lutra.report.load and
-- compares it with the run recorded when the program was known good
-- (baseline/demo.rec, made by `lutra trace --record baseline/demo.rec price
-- ship -- build/demo`). It fails when a function is called half as often
-- again as in the baseline, or more: build/demo_twice, a variant that prices
-- each order twice, fails it.
--   cd examples && busted regression_spec.lua             (the .busted here)
--   DEMO=../build/demo_twice busted regression_spec.lua   (fails: price)
-- DEMO and LUTRA (the lutra command) default to this source tree's build/.
local lutra = require "lutra"

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local function exists(path) local f = io.open(path) if f then f:close() end return f ~= nil end

local DEMO = os.getenv("DEMO") or here .. "../build/demo"
local LUTRA = os.getenv("LUTRA") or (exists(here .. "../build/lutra") and here .. "../build/lutra" or "lutra")
local BASELINE = os.getenv("BASELINE") or here .. "baseline/demo.rec"

describe("the demo program, against its baseline recording", function()
  it("calls no function 1.5 times as often as the baseline did, or more", function()
    local rec = os.tmpname()
    finally(function() os.remove(rec) end)
    assert(os.execute(string.format("%s trace --record %s price ship -- %s >/dev/null", LUTRA, rec, DEMO)))
    local run = assert(lutra.report.load(rec))
    local baseline = assert(lutra.report.load(BASELINE))
    assert.are.same({reason = "exited", code = 0}, run.exit)
    for name, f in pairs(baseline:functions()) do
      local n = run:count(name)
      assert(n < 1.5 * f.calls, string.format("%s was called %d times; the baseline run called it %d times",
        name, n, f.calls))
    end
  end)
end)
