-- names_spec: C++ names as the source writes them (issue 14, items 1 and
-- 2) on spec/targets/shop.cc (g++): every overload by its qualified name
-- (one breakpoint, several locations), one overload by its signature in
-- several spellings, the mangled name, globs over demangled names, names
-- holding glob characters, demangled names everywhere lutra prints one,
-- and the module prefix rules.
--
-- Second tools, same program (`shop 3`, PATH=/usr/bin:/bin):
--   gdb 13.1 `break shop::Basket::add`: "3 locations", "already hit 18
--   times"; `break shop::Basket::add(const char*)`: 3 hits; `break
--   shop::twice`: 2 locations (twice<int>, twice<double>), 6 hits.
--   bpftrace 0.17 `uprobe:./shop:"shop::Basket::add*" { @[probe] =
--   count() }`: add(int) 12, add(char const*) 3, add(unsigned long, int)
--   3. (0.17 has no `uprobe:BIN:cpp:NAME` form yet: "uprobe probe type
--   requires 2 arguments"; a quoted demangled glob works.)
-- The program prints items=12 (one per add(int)).
local lutra = require "lutra"
local H = require "helper"

local shop = H.built("shop", "g++")

-- Spawns shop, runs it to its entry point (its libraries mapped).
local function at_entry(args)
  local argv = {shop}
  for _, a in ipairs(args or {"3"}) do argv[#argv + 1] = a end
  local out = H.tmpname()
  local p = assert(lutra.spawn(argv, {stdout = out}))
  for _, m in ipairs(p:modules()) do
    if m.executable then p:break_at(m.entry, {once = true, handler = function() return "stop" end}) end
  end
  assert.are.equal("stopped", p:run().reason)
  return p, out
end

local function errmsg(fn)
  local ok, err = pcall(fn)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

describe("C++ names", function()
  if not shop then
    pending("skipped: no g++, spec/targets/shop.cc was not built")
    return
  end

  it("every overload by its qualified name: one breakpoint, several locations, hits summed", function()
    local p, out = at_entry()
    local bp = p:break_at("shop::Basket::add")
    assert.are.equal(3, #bp.addresses)
    assert.are.equal(bp.addresses[1], bp.address)
    local names = {}
    for _, l in ipairs(bp.locations) do names[#names + 1] = l.name end
    table.sort(names)
    assert.are.same({"shop::Basket::add(char const*)", "shop::Basket::add(int)",
      "shop::Basket::add(unsigned long, int)"}, names)
    assert.are.equal("exited", p:run().reason)
    assert.are.equal(18, bp.hits) -- gdb: 18
    assert.matches("items=12 ", H.slurp(out))
  end)

  it("one overload by its signature, however the const and the integer types are spelled", function()
    local p = at_entry()
    local spellings = {"shop::Basket::add(const char*)", "shop::Basket::add(char const *)",
      "shop::Basket::add( const char * )", "shop::Basket::add(char const*)"}
    local bps = {}
    for _, w in ipairs(spellings) do
      local bp = p:break_at(w)
      assert.are.equal(1, #bp.addresses, w)
      bps[#bps + 1] = bp
    end
    local ul = {}
    for _, w in ipairs({"shop::Basket::add(unsigned long, int)", "shop::Basket::add(long unsigned int,int)",
        "shop::Basket::add(size_t, int)", "shop::Basket::add(std::size_t, signed)"}) do
      ul[#ul + 1] = p:break_at(w)
    end
    local get = p:break_at("shop::price_of(const std::string &)")
    local none = p:break_at("shop::nothing(void)")
    local int = p:break_at("shop::Basket::add(int)")
    assert.are.equal("exited", p:run().reason)
    for i, bp in ipairs(bps) do assert.are.equal(3, bp.hits, spellings[i]) end -- gdb: 3
    for _, bp in ipairs(ul) do assert.are.equal(3, bp.hits) end
    assert.are.equal(3, get.hits)
    assert.are.equal(3, none.hits)
    assert.are.equal(12, int.hits) -- bpftrace: 12; the program: items=12
  end)

  it("the mangled name too, printed demangled", function()
    local p = at_entry()
    local bp = p:break_at("_ZN4shop6Basket3addEi")
    assert.are.equal("shop::Basket::add(int)", bp.symbol)
    assert.are.equal(p:symbol("shop::Basket::add(int)"), bp.address)
    p:run()
    assert.are.equal(12, bp.hits)
  end)

  it("a name holding glob characters is a name first; a glob gives one breakpoint per function", function()
    local p = at_entry()
    local idx = p:break_at("shop::Basket::operator[](int) const")
    assert.are.equal(1, #idx.addresses)
    local all = p:break_at("shop::*")
    local names = {}
    for _, bp in ipairs(all) do names[bp.symbol] = bp end
    assert.is_truthy(names["shop::Basket::add(int)"])
    assert.is_truthy(names["shop::nothing()"])
    assert.is_truthy(names["int shop::twice<int>(int)"])
    assert.is_nil(names["shop::total"]) -- data: a glob matches code only
    local push = p:break_at("*::push_back")
    assert.are.equal(1, #push)
    assert.matches("^std::vector<int, std::allocator<int> >::push_back%(int const&%)$", push[1].symbol)
    p:run()
    assert.are.equal(3, idx.hits)
    assert.are.equal(12, push.hits)
    assert.are.equal(12, names["shop::Basket::add(int)"].hits)
  end)

  it("a bare method name does not match a qualified one; a template by its name gives every instance", function()
    local p = at_entry()
    assert.matches("no symbol 'add'", errmsg(function() p:break_at("add") end), 1, true)
    local any = p:break_at("*::add")
    assert.are.equal(3, #any)
    local tw = p:break_at("shop::twice")
    assert.are.equal(2, #tw.addresses) -- gdb: 2 locations
    p:run()
    assert.are.equal(6, tw.hits) -- gdb: 6
    assert.are.equal(18, any.hits)
  end)

  it("enable, disable and remove act on every location", function()
    local p = at_entry()
    local bp = p:break_at("shop::Basket::add", function(_, b) b:disable() end)
    local function inserted()
      local n = 0
      for _, a in ipairs(bp.addresses) do if p:has_breakpoint(a) then n = n + 1 end end
      return n
    end
    assert.are.equal(3, inserted())
    bp:disable()
    assert.are.equal(0, inserted())
    bp:enable()
    assert.are.equal(3, inserted())
    p:run()
    assert.are.equal(1, bp.hits) -- disabled at its first hit, on all three
    local p2 = at_entry()
    local b2 = p2:break_at("shop::Basket::add")
    b2:remove()
    for _, a in ipairs(b2.addresses) do assert.is_false(p2:has_breakpoint(a)) end
    p2:run()
    assert.are.equal(0, b2.hits)
  end)

  it("demangled in p:symbols, p:symbolize and backtraces, with linkage names", function()
    local p = at_entry()
    local syms = p:symbols("shop::Basket::add*")
    assert.are.equal(3, #syms)
    for _, s in ipairs(syms) do
      assert.matches("^shop::Basket::add%(", s.name)
      assert.matches("^_ZN4shop6Basket3add", s.linkage_name)
      assert.are.equal("function", s.type)
    end
    local addr = p:symbol("shop::Basket::add(int)")
    local name, off, mod, _, _, linkage = p:symbolize(addr + 1)
    assert.are.same({"shop::Basket::add(int)", 1, "shop", "_ZN4shop6Basket3addEi"}, {name, off, mod, linkage})
    local callers = {}
    p:break_at("shop::Basket::add(int)", function(t)
      local bt = t:backtrace(4)
      assert.are.equal("shop::Basket::add(int)", bt[1].name)
      assert.are.equal("_ZN4shop6Basket3addEi", bt[1].linkage_name)
      callers[bt[2].name] = true
    end)
    p:run()
    assert.is_true(callers["shop::Basket::add(char const*)"])
    assert.is_true(callers["shop::Basket::add(unsigned long, int)"])
    assert.is_true(callers["main"])
  end)

  it("lutra trace prints the overload each call went to, in lines and in -c", function()
    local out, err, code = H.sh("PATH=/usr/bin:/bin " .. H.lutra_bin .. " trace -c 'shop::Basket::add' -- " .. shop .. " 3")
    assert.are.equal(0, code, err)
    local counts = {}
    for fn, n in out:gmatch("\n(shop::Basket::add%b())%s+(%d+)") do counts[fn] = tonumber(n) end
    assert.are.same({["shop::Basket::add(int)"] = 12, ["shop::Basket::add(char const*)"] = 3,
      ["shop::Basket::add(unsigned long, int)"] = 3}, counts) -- bpftrace: 12, 3, 3
    out, err, code = H.sh("PATH=/usr/bin:/bin " .. H.lutra_bin .. " trace 'shop::*' -- " .. shop .. " 1")
    assert.are.equal(0, code, err)
    assert.matches("shop::price_of%(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&%)%(", out)
    assert.is_nil(out:find("_ZN", 1, true))
  end)

  it("every C++ function of the program and of libstdc++ is found by its own demangled name", function()
    local p = at_entry()
    local checked = 0
    for _, glob in ipairs({"*", "libstdc++.so.6:std::*"}) do
      local syms = p:symbols(glob)
      for i = 1, #syms, glob == "*" and 1 or 7 do
        local s = syms[i]
        if s.type == "function" and s.name ~= s.linkage_name and not s.name:find("[clone", 1, true) then
          local where = (glob == "*" and "" or "libstdc++.so.6:") .. s.name
          local locs = assert(p:lookup(where), where)
          local found = false
          for _, l in ipairs(locs) do found = found or l.linkage_name == s.linkage_name or l.address == s.address end
          assert.is_true(found, where)
          checked = checked + 1
        end
      end
    end
    assert.is_true(checked > 500, tostring(checked))
  end)
end)

describe("the module prefix", function()
  if not shop then
    pending("skipped: no g++, spec/targets/shop.cc was not built")
    return
  end

  it("is never a '::' and is a module when it names a mapped object", function()
    local p = at_entry()
    for _, w in ipairs({"libc.so.6:malloc", "libc:malloc", "/lib/x86_64-linux-gnu/libc.so.6:malloc",
        "shop:shop::nothing()", "libstdc++.so.6:std::__throw_bad_alloc()"}) do
      local bp = p:break_at(w)
      assert.is_false(bp.pending, w)
    end
    assert.are.equal(p:symbol("libc.so.6:malloc"), p:symbol("libc:malloc"))
    p:kill()
  end)

  it("any other prefix is an error at once, not a silent pending breakpoint", function()
    local p = at_entry()
    assert.matches("'ns' is not a module", errmsg(function() p:break_at("ns:nothing") end), 1, true)
    assert.matches("'lbc' is not a module", errmsg(function() p:break_at("lbc:malloc") end), 1, true)
    -- usdt: is reserved for USDT probes, never a module called usdt
    assert.matches("USDT", errmsg(function() p:break_at("usdt:shop:sold") end), 1, true)
    assert.is_nil(p:lookup("ns:f"))
    p:kill()
  end)

  it("before the libraries are mapped, an unknown prefix is decided at the entry point", function()
    local p = assert(lutra.spawn({shop, "1"}, {stdout = "null"}))
    local bp = p:break_at("lbc:malloc")
    assert.is_true(bp.pending)
    local ok, err = pcall(p.run, p)
    assert.is_false(ok)
    assert.matches("'lbc' is not a module", tostring(err), 1, true)
    p:kill()
  end)

  it("a prefix that looks like a file stays pending until its library loads", function()
    local p = at_entry()
    local bp = p:break_at("libnosuch.so:f")
    assert.is_true(bp.pending)
    local dir = p:break_at("/opt/nosuch/libx:f")
    assert.is_true(dir.pending)
    p:kill()
  end)

  it("on the command line: one clear error and a non-zero exit", function()
    local _, err, code = H.sh("PATH=/usr/bin:/bin " .. H.lutra_bin .. " trace ns:f -- " .. shop)
    assert.are.equal(1, code)
    assert.matches("'ns' is not a module", err, 1, true)
  end)
end)

describe("the spelling of signatures", function()
  it("writes what a user types as the demangler does", function()
    local spell = lutra.core.spell
    assert.are.equal(spell("f(char const*)"), spell("f(const char *)"))
    assert.are.equal(spell("f(char const* const)"), spell("f(const char *const)"))
    assert.are.equal(spell("f(unsigned long, int)"), spell("f(long unsigned int, signed int)"))
    assert.are.equal(spell("f(unsigned int)"), spell("f(unsigned)"))
    assert.are.equal(spell("f(unsigned long)"), spell("f(std::uint64_t)"))
    assert.are.equal(spell("f()"), spell("f(void)"))
    assert.are.equal(spell("K::get() const"), spell("K::get()const"))
    assert.are.equal(spell("f(std::vector<int, std::allocator<int> > const&)"),
      spell("f(const std::vector<int, std::allocator<int>>&)"))
    assert.are.equal(spell("f(int (*)(int))"), spell("f(int(*)(int))"))
    assert.are.equal("ns::Klass::method", spell("ns::Klass::method"))
    assert.are.equal("f(char const*) [clone .cold]", spell("f(const char*) [clone .cold]"))
  end)

  it("demangles C++ and both Rust manglings with libiberty", function()
    local d = lutra.core.demangle
    assert.are.equal("shop::Basket::add(char const*)", d("_ZN4shop6Basket3addEPKc"))
    assert.are.equal("int shop::twice<int>(int)", d("_ZN4shop5twiceIiEET_S1_"))
    assert.are.equal("rsdemo::compute", d("_ZN6rsdemo7compute17h4479d711dca05b9eE")) -- no hash
    assert.are.equal("<rsdemo::Square as rsdemo::Shape>::area",
      d("_ZN48_$LT$rsdemo..Square$u20$as$u20$rsdemo..Shape$GT$4area17hc9a624cf144b4417E"))
    assert.are.equal("rsdemo::compute", d("_RNvCsiMTEyp56st8_6rsdemo7compute"))
    assert.are.equal("<rsdemo::Square as rsdemo::Shape>::area", d("_RNvXCsiMTEyp56st8_6rsdemoNtB2_6SquareNtB2_5Shape4area"))
    assert.is_nil(d("malloc"))
  end)
end)
