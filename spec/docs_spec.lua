-- docs_spec: docs/API.md documents every public function and method of
-- the module (the functions of `lutra` and `lutra.core`, and the methods of
-- Process, Thread, Regs, breakpoints, watchpoints and aggregations), the
-- tutorial's commands run, and the man page renders.
local H = require "helper"
local lutra = require "lutra"

local doc = H.slurp("docs/API.md")

-- `name` appears after `sep` as a whole word: p:read is not documented by
-- p:read_string.
local function documented(sep, name)
  local pat = sep:gsub("%p", "%%%0") .. name:gsub("%p", "%%%0") .. "%f[^%w_]"
  return doc:find(pat) ~= nil
end

local function undocumented(sep, tbl, skip)
  local missing = {}
  for k in pairs(tbl) do
    if type(k) == "string" and not k:match("^_") and not (skip and skip[k])
        and not documented(sep, k) then
      missing[#missing + 1] = sep .. k
    end
  end
  table.sort(missing)
  return missing
end

local function methods(obj)
  local mt = getmetatable(obj)
  local idx = type(mt.__index) == "table" and mt.__index or mt
  local out = {}
  for k, v in pairs(idx) do
    if type(v) == "function" then out[k] = v end
  end
  return out
end

describe("docs/API.md", function()
  it("documents every function of lutra and lutra.core", function()
    assert.are.same({}, undocumented(".", lutra))
    assert.are.same({}, undocumented(".", lutra.core, {Process = true, Thread = true}))
    assert.are.same({}, undocumented(".", lutra.stats))
  end)

  it("documents every function of lutra.host (the lutra command's own)", function()
    local out, err, code = H.lutra("-e 'for k in pairs(require(\"lutra.host\")) do print(k) end'")
    assert.are.equal(0, code, err)
    local names = {}
    for k in out:gmatch("[^\n]+") do names[k] = true end
    assert.is_truthy(next(names))
    assert.are.same({}, undocumented(".", names))
  end)

  it("documents every method of Process, Thread and Regs", function()
    assert.are.same({}, undocumented(":", lutra.core.Process))
    assert.are.same({}, undocumented(":", lutra.core.Thread))
    local p = assert(lutra.spawn({H.target("loop")}, {stdout = "null"}))
    local r = p:threads()[1]:regs()
    local m = methods(r)
    p:kill()
    assert.is_truthy(next(m))
    assert.are.same({}, undocumented(":", m))
  end)

  it("documents the methods of breakpoints, watchpoints and aggregations", function()
    local p = assert(lutra.spawn({H.target("watched")}, {stdout = "null"}))
    local bp = p:break_at("main", function() end)
    local group = p:break_at("mai*", function() end)
    local w = p:watch("watched", 8, "w")
    local found = {}
    for _, obj in ipairs({bp, group, w, lutra.stats.count("c"), lutra.stats.sum("s"), lutra.stats.hist("h"),
      lutra.stats.lhist("l", 0, 10, 1), lutra.stats.folded()}) do
      for k in pairs(methods(obj)) do found[k] = true end
    end
    p:kill()
    local missing = {}
    for k in pairs(found) do
      if not k:match("^_") and not (documented(":", k) or documented(".", k)) then missing[#missing + 1] = k end
    end
    table.sort(missing)
    assert.are.same({}, missing)
  end)
end)

describe("docs/TUTORIAL.md", function()
  -- Each "$ build/lutra ..." command of the tutorial runs and prints every
  -- line the tutorial shows after it (the tutorial shows the parts of
  -- lines that do not change from run to run: no tids, no timings).
  it("shows commands that run and print what it says", function()
    local text = H.slurp("docs/TUTORIAL.md")
    local n = 0
    for block in text:gmatch("```sh\n(.-)```") do
      local cmd, shown = block:match("^%$ ([^\n]+)\n(.*)$")
      if cmd then
        n = n + 1
        cmd = (" " .. cmd):gsub("([%s=])build/", "%1" .. H.build:gsub("%%", "%%%%") .. "/")
        local out, err, code = H.sh("(" .. cmd .. ")")
        assert.are.equal(0, code, cmd .. "\n" .. (err or ""))
        for line in shown:gmatch("[^\n]+") do
          assert.is_truthy(out:find(line, 1, true), cmd .. "\nshould print: " .. line .. "\nprinted:\n" .. out)
        end
      end
    end
    assert.is_true(n >= 5, "the tutorial has " .. n .. " commands")
  end)
end)

describe("docs/lutra.1", function()
  it("renders with man", function()
    local out, err, code = H.sh("MANWIDTH=80 man -l docs/lutra.1 2>&1 | col -b")
    if code ~= 0 and (err or ""):match("not found") then pending("man is not installed") return end
    assert.are.equal(0, code, err)
    assert.matches("lutra %- ", out)
    assert.matches("SYNOPSIS", out)
  end)
end)
