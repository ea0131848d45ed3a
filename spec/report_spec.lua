-- report_spec: recorded runs (lutra trace --record), read back offline by
-- `lutra report` (the -c table, the call tree, latency histograms), compared
-- by `lutra report --diff`, and asserted on through lutra.report.load.
local H = require "helper"
local report = require("lutra").report

local demo, twice = H.build .. "/demo", H.build .. "/demo_twice"

local function record(args)
  local rec = H.tmpname()
  local _, err, code = H.lutra("trace --record " .. rec .. " " .. args .. " >/dev/null")
  assert.are.equal(0, code, err)
  return rec
end

describe("lutra.report.load", function()
  it("reads every call of a recorded run, and how the run ended", function()
    local run = assert(report.load(record("-a 2 price ship -- " .. demo)))
    assert.are.equal(12, #run.calls)
    assert.are.equal(6, run:count("price"))
    assert.are.equal(6, run:count("ship"))
    assert.are.equal(0, run:count("nosuch"))
    assert.are.same({reason = "exited", code = 0}, run.exit)
    assert.are.same({demo}, run.header.command)
    assert.are.same({"price", "ship"}, run.header.patterns)
    -- price(qty, 10 + qty) returns qty * (10 + qty), orders 1 to 6
    local seen = {}
    for _, c in ipairs(run:calls_of("price")) do
      assert.are.equal(c.args[1] * c.args[2], c.ret)
      assert.are.equal(10 + c.args[1], c.args[2])
      assert.are.equal(1, c.depth)
      assert.is_true(c.dur > 0)
      seen[c.args[1]] = true
    end
    assert.are.same({true, true, true, true, true, true}, seen)
    local f = run:functions().price
    assert.are.equal(6, f.calls)
    assert.is_true(math.abs(f.total_us - run:total_us("price")) < 1e-9)
    assert.is_true(f.min_us <= f.avg_us and f.avg_us <= f.max_us)
  end)

  it("knows callers from callees: self time and the call tree", function()
    local run = assert(report.load(record("-a 1 fib -- " .. H.target("fib") .. " 4")))
    assert.are.equal(9, run:count("fib"))
    local tree = run:tree()
    assert.are.equal(1, #tree)
    -- fib(4); fib(3), fib(2); their four callees; fib(2)'s two under fib(3)
    local levels, node = {}, tree[1]
    while node do
      levels[#levels + 1] = node.calls
      node = node.children[1]
    end
    assert.are.same({1, 2, 4, 2}, levels)
    local f = run:functions().fib
    assert.is_true(f.self_us < f.total_us)
  end)

  it("answers a file that is no recording with nil and a message", function()
    local r, err = report.load("/no/such/file")
    assert.is_nil(r)
    assert.matches("No such file", err)
    local f = H.tmpname()
    io.open(f, "w"):write('{"traceEvents":[]}\n'):close()
    r, err = report.load(f)
    assert.is_nil(r)
    assert.are.equal(f .. ": not a lutra recording (lutra trace --record)", err)
  end)

  it("reads a recording cut short, and says it has no end", function()
    local rec = record("price ship -- " .. demo)
    local text = H.slurp(rec)
    local cut = H.tmpname()
    -- the header, five calls and half of the sixth
    local lines = {}
    for l in text:gmatch("[^\n]+\n") do lines[#lines + 1] = l end
    io.open(cut, "w"):write(table.concat(lines, "", 1, 6) .. lines[7]:sub(1, 20)):close()
    local run = assert(report.load(cut))
    assert.are.equal(5, #run.calls)
    assert.is_nil(run.exit)
  end)
end)

describe("lutra report FILE", function()
  it("prints the -c table, the call tree and a latency histogram per function", function()
    local rec = record("price ship -- " .. demo)
    local out, err, code = H.lutra("report " .. rec)
    assert.are.equal(0, code, err)
    assert.matches("exited with 0", out)
    assert.matches("FUNCTION%s+CALLS%s+TOTAL us%s+AVG us", out)
    assert.matches("\nprice%s+6%s+[%d.]+%s+[%d.]+", out)
    assert.matches("\nship%s+6%s+", out)
    assert.matches("Call tree %(calls, total us, function%):\n", out)
    assert.matches("\n +6 +[%d.]+  price\n", out)
    -- the histogram: 6 calls of each function
    for _, fn in ipairs({"price", "ship"}) do
      local block = out:match("@us%[" .. fn .. "%]:\n(.-)\n\n") or out:match("@us%[" .. fn .. "%]:\n(.*)$")
      assert.is_truthy(block, out)
      local n = 0
      for c in block:gmatch("%) +(%d+) |") do n = n + tonumber(c) end
      for c in block:gmatch("%] +(%d+) |") do n = n + tonumber(c) end
      assert.are.equal(6, n, block)
    end
  end)

  it("shows what changed between two runs, the largest change first", function()
    local old = record("price ship -- " .. demo)
    local new = record("price ship -- " .. twice)
    local out, err, code = H.lutra("report --diff " .. old .. " " .. new)
    assert.are.equal(0, code, err)
    local rows = {}
    for l in out:gmatch("[^\n]+") do
      local name, a, b, d, pct = l:match("^(%S+) +(%d+) +(%d+) +([+-]?%d+) +(%S+)")
      if name then rows[#rows + 1] = {name, tonumber(a), tonumber(b), d, pct} end
    end
    assert.are.same({{"price", 6, 12, "+6", "+100.0%"}, {"ship", 6, 6, "0", "0.0%"}}, rows)
  end)

  it("answers bad usage and bad files with one line", function()
    local _, err, code = H.lutra("report")
    assert.are.equal(2, code)
    assert.matches("^lutra report: no recording given\nusage: lutra report", err)
    _, err, code = H.lutra("report /no/such.rec")
    assert.are.equal(1, code)
    assert.are.equal("lutra report: /no/such.rec: No such file or directory\n", err)
    local out
    out, _, code = H.lutra("report --help")
    assert.are.equal(0, code)
    assert.matches("^usage: lutra report FILE", out)
  end)
end)
