-- watch_spec: hardware watchpoints through the debug registers.
local lutra = require "lutra"
local H = require "helper"

describe("watchpoints", function()
  it("catch the one write to a global, with the old and new value", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("watched")}, {stdout = out}))
    local writes = {}
    local w = p:watch("watched", 8, "w", function(t, w, old, new)
      writes[#writes + 1] = {old, new}
      assert.matches("^watchpoint at 0x%x+$", tostring(t:stopped()))
    end)
    local x = p:watch("ping", 1, "x")
    local rw = p:watch("watched", 8, "rw")
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.same({{7, 42}}, writes)
    assert.are.equal(1, w.hits)
    assert.are.equal(3, x.hits)
    assert.are.equal(3, rw.hits) -- read, write, read
    assert.are.equal("watched=42\n", H.slurp(out))
  end)

  it("watch threads created after the watchpoint", function()
    local p = assert(lutra.spawn({H.target("threads"), "4", "50"}, {stdout = "null"}))
    local w = p:watch("total", 8, "w")
    p:run()
    assert.are.equal(200, w.hits)
  end)

  it("refuse a fifth watchpoint and a misaligned one, plainly", function()
    local p = assert(lutra.spawn({H.target("watched")}, {stdout = "null"}))
    local g = p:symbol("watched")
    for i = 0, 3 do p:watch(g, 8, "rw") end
    assert.has_error(function() p:watch(g, 8, "w") end,
      string.format("watch: watch 0x%x: all 4 hardware watchpoints are in use", g))
    local q = assert(lutra.spawn({H.target("watched")}, {stdout = "null"}))
    local ok, err = pcall(q.watch, q, q:symbol("watched") + 1, 8, "w")
    assert.is_false(ok)
    assert.matches("aligned", err)
    p:kill()
    q:kill()
  end)

  it("stop firing once removed", function()
    local p = assert(lutra.spawn({H.target("watched")}, {stdout = "null"}))
    local x
    x = p:watch("ping", 1, "x", function(t, w) w:remove() end)
    p:run()
    assert.are.equal(1, x.hits)
  end)
end)
