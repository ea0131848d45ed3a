-- probe_spec.lua: a regression probe, a busted spec that runs a binary under
-- lutra and asserts on what happened inside it: the demo program must price
-- every order exactly once, with the unit price it is meant to use, and ship
-- what it priced.
--   cd examples && busted                       (the .busted here: Lua 5.4)
--   DEMO=build/demo build/lutra --lua /usr/bin/busted examples/probe_spec.lua
-- DEMO defaults to this source tree's build/demo.
local lutra = require "lutra"

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local DEMO = os.getenv("DEMO") or here .. "../build/demo"

describe("the demo program", function()
  it("prices each order once and ships what it priced", function()
    local p = assert(lutra.spawn({DEMO}, {stdout = "null"}))
    local priced, shipped = {}, {}
    local args = {}
    p:break_at("price", {
      handler = function(t) args[t] = {t:arg(1), t:arg(2)} end,
      on_return = function(t, total)
        local qty, unit = table.unpack(args[t])
        priced[qty] = {unit = unit, total = total}
      end,
    })
    p:break_at("ship", function(t) shipped[t:arg(1)] = t:arg(2) end)
    assert.are.same({reason = "exited", code = 0}, p:run())
    for order = 1, 6 do
      assert.are.equal(10 + order, priced[order].unit)
      assert.are.equal(priced[order].total, shipped[order])
    end
    assert.are.equal(6, #shipped)
  end)
end)
