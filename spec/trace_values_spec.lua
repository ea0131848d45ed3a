-- trace_values_spec: `lutra trace` with DWARF: arguments by name and type,
-- as many as the function has, typed return values, --json carrying them,
-- raw registers without DWARF or with -a N, and `lutra trace -l`.
-- gdb for the same calls (break price / finish):
--   price (o=0x7fffffffe690, discount=0.25) ... Value returned is $1 = 11
--   p *o -> {id = 1, qty = 11, name = 0x555555556015 "widget", price = 2.5, color = GREEN}
local H = require "helper"

local T = H.build .. "/targets/values/typed_gcc_O0"

-- Runs lutra trace with its lines in a file (the program writes to stdout
-- too); returns them, stderr, status.
local function trace(args)
  local f = H.tmpname()
  local _, err, code = H.lutra("trace -o " .. f .. " " .. args .. " >/dev/null")
  return H.slurp(f) or "", err, code
end

describe("lutra trace with DWARF", function()
  it("prints arguments by name and type, a struct behind a pointer, strings quoted, typed returns", function()
    local out, err, code = trace("price greet scale make_pair walk -- " .. T)
    assert.are.equal(0, code, err)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = (l:gsub("^%d+%s+", ""):gsub("  [%d.]+ us$", ""):gsub("0x%x+", "0x?")) end
    assert.are.same({
      "price(o=0x? {id = 1, qty = 11, name = 0x? \"widget\", price = 2.5, color = GREEN}, discount=0.25) = 11",
      "scale(f=1.5, d=2.25, n=3) = 10.125",
      "make_pair(a=9, b=4.5) = {a = 9, b = 4.5}",
      "greet(name=0x? \"hello\", c=GREEN) = 0x? \"ello\"",
      "walk(head=0x? <ring> {v = 1, next = 0x? <ring+16>}) = 6",
    }, lines)
  end)

  it("takes as many arguments as the function has: eleven for base_types, one for mark", function()
    local out = trace("base_types mark -- " .. T)
    local bt = out:match("base_types%((.-)%) =")
    local n = 0
    for _ in (bt .. ", "):gmatch(", ") do n = n + 1 end
    assert.are.equal(11, n)
    assert.matches("ul=18000000000000000000", bt)
    assert.matches("mark%(i=%d+%) = void", out)
  end)

  it("-a N still prints N raw registers", function()
    local out = trace("-a 2 price -- " .. T)
    assert.matches("price%(0x%x+, 0x%x+%) = 11", out)
  end)

  it("raw registers without DWARF, as before", function()
    local out = trace("work -- " .. H.target("loop_stripped") .. " 2")
    assert.matches("work%(0, %d+, %d+%) = 0", out)
  end)

  it("--json carries the typed values", function()
    local cjson = require "cjson"
    local out = trace("--json price make_pair -- " .. T)
    local recs = {}
    for l in out:gmatch("[^\n]+") do recs[#recs + 1] = cjson.decode(l) end
    assert.are.equal("price", recs[1].fn)
    local a = recs[1].typed.args
    assert.are.same({name = "o", type = "const struct order *"}, {name = a[1].name, type = a[1].type})
    assert.are.same({id = 1, qty = 11, name = "widget", price = 2.5, color = "GREEN"}, a[1].deref)
    assert.are.same({name = "discount", type = "double", value = 0.25}, a[2])
    assert.are.equal(11, recs[1].typed["return"])
    assert.are.same({a = 9, b = 4.5}, recs[2].typed["return"])
    -- the raw registers stay beside them, as without DWARF
    assert.are.equal(3, #recs[1].args)
  end)

  -- gdb: info functions ^price -> int price(const struct order *, double);
  it("-l lists signatures from a FILE or a PROGRAM's objects without running them, or from a process", function()
    local out, err, code = H.lutra("trace -l 'ma*' " .. T)
    assert.are.equal(0, code, err)
    assert.are.equal(table.concat({"int main(int argc, char **argv)", "struct big make_big(long int seed)",
      "struct fpair make_fpair(float x, float y)", "struct pair make_pair(long int a, double b)", "void mark(int i)"}, "\n") .. "\n", out)
    out = H.lutra("trace -l 'n*' -- " .. T)
    assert.are.equal("int nested_args(struct nested *n)\n", out)
    -- a library the program is linked against (libc6-dbg gives it DWARF here; without it, no DWARF)
    out, err, code = H.lutra("trace -l 'libc.so.6:puts' -- " .. T)
    assert.are.equal(0, code, err)
    assert.matches("^libc%.so%.6:", out)
    assert.matches("puts", out)
    local _, err2, code2 = H.lutra("trace -l 'nosuch*' " .. T)
    assert.are.equal(1, code2)
    assert.matches("no function matches 'nosuch%*'", err2)
    local _, err3, code3 = H.lutra("trace -l 'x' /no/such/file")
    assert.are.equal(1, code3)
    assert.matches("/no/such/file", err3)
    local pid, pout = H.start(H.target("spin"), "ready")
    out, err, code = H.lutra("trace -l 'tick' -p " .. pid)
    assert.are.equal(0, code, err)
    assert.matches("tick%(", out)
    H.assert_spin_intact(pid, pout)
  end)

  -- a copy of the target whose .debug_info is replaced by bytes libdw
  -- cannot read (same size, and a 16-byte one)
  for _, case in ipairs({{"garbage", 0xa95}, {"truncated", 16}}) do
    it("a corrupt .debug_info (" .. case[1] .. ") is one warning and untyped values, never a crash", function()
      local bad, junk = H.tmpname(), H.tmpname()
      local f = assert(io.open(junk, "wb"))
      local bytes = {}
      for i = 1, case[2] do bytes[i] = string.char((i * 37 + 11) % 256) end
      f:write(table.concat(bytes))
      f:close()
      local _, oerr, ocode = H.sh(string.format("PATH=/usr/bin:/bin objcopy --update-section .debug_info=%s %s %s", junk, T, bad))
      assert.are.equal(0, ocode, oerr)
      local out, err, code = trace("price scale greet -- " .. bad)
      assert.are.equal(0, code, err)
      local warnings = 0
      for l in err:gmatch("[^\n]+") do
        if l:match("^lutra: warning: .*cannot read its DWARF.*its values are untyped") then warnings = warnings + 1 end
      end
      assert.are.equal(1, warnings, err)
      assert.matches("price%(0x%x+, 0x%x+, 0x%x+%) = 11", out)
      assert.matches("greet%(", out)
    end)
  end
end)

