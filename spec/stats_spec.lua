-- stats_spec: lutra.stats renders what bpftrace users expect.
local stats = require "lutra.stats"

describe("lutra.stats", function()
  it("counts and sums per key, sorted by value", function()
    local c = stats.count("calls")
    c:add("b"):add("a"):add("b")
    assert.are.equal("@calls[a]: 1\n@calls[b]: 2", tostring(c))
    local s = stats.sum("bytes")
    s:add(10, "x"):add(5, "x"):add(1)
    assert.are.equal(15, s:get("x"))
    assert.are.equal("@bytes: 1\n@bytes[x]: 15", tostring(s))
  end)

  it("draws power-of-two histograms as bpftrace does", function()
    local h = stats.hist("lat")
    for _, v in ipairs({0, 1, 2, 3, 5, 6, 7, 1500}) do h:add(v) end
    local lines = {}
    for l in tostring(h):gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.are.equal("@lat:", lines[1])
    assert.matches("^%[0%]%s+1 |@+%s*|$", lines[2])
    assert.matches("^%[1%]%s+1 |", lines[3])
    assert.matches("^%[2, 4%)%s+2 |", lines[4])
    assert.matches("^%[4, 8%)%s+3 |" .. string.rep("@", 52) .. "|$", lines[5]) -- the largest: a full bar
    assert.matches("^%[1K, 2K%)%s+1 |", lines[#lines])
    assert.are.equal(13, #lines) -- empty buckets between are shown
  end)

  it("draws linear histograms with out-of-range rows", function()
    local l = stats.lhist("ms", 0, 100, 25)
    for _, v in ipairs({-1, 10, 30, 30, 99, 150}) do l:add(v) end
    local text = tostring(l)
    assert.matches("%(..., 0%)%s+1 |", text)
    assert.matches("%[25, 50%)%s+2 |", text)
    assert.matches("%[50, 75%)%s+0 |", text)
    assert.matches("%[100, ...%)%s+1 |", text)
  end)

  it("encodes JSON and folds stacks root first", function()
    local h = stats.hist("x")
    h:add(3, "k")
    assert.are.same({name = "x", kind = "hist", rows = {k = {["[2, 4)"] = 1}}},
      require("cjson").decode(h:json()))
    local f = stats.folded()
    f:add({{name = "leaf"}, {name = "mid"}, {name = "main"}})
    f:add({"leaf", "mid", "main"}, 2)
    assert.are.equal("main;mid;leaf 3", tostring(f))
  end)
end)
