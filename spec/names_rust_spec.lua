-- names_rust_spec: Rust names as rustc-demangle shows them (issue 14,
-- item 3) on spec/targets/rsdemo.rs, built by Debian's /usr/bin/rustc in
-- both manglings (legacy, the default, and -C symbol-mangling-version=v0):
-- module paths without the legacy hash, trait impls, closures, generics,
-- two threads, return values.
--
-- Second tools, same programs (`rsdemo_* 3`, PATH=/usr/bin:/bin; the
-- program prints compute=6 fields=3 area=49):
--   bpftrace 0.17 `uprobe:./rsdemo_legacy:"rsdemo::*" {@[probe]=count()}`:
--   compute 6, parse::line 1, apply 1, the closures 1/1/2/2/2;
--   `uprobe:./rsdemo_legacy:*Square*`: area 2. On rsdemo_v0 bpftrace
--   demangles nothing ("No probes to attach" for "rsdemo::*"); by the
--   mangled glob `uprobe:./rsdemo_v0:_RNvCs*compute`: 6.
local lutra = require "lutra"
local H = require "helper"

local builds = {legacy = H.built("rsdemo_legacy", "rustc"), v0 = H.built("rsdemo_v0", "rustc")}

for _, mangling in ipairs({"legacy", "v0"}) do
  local prog = builds[mangling]
  describe("Rust names (" .. mangling .. " mangling)", function()
    if not prog then
      pending("skipped: no /usr/bin/rustc, spec/targets/rsdemo.rs was not built")
      return
    end

    local function spawn(n)
      local out = H.tmpname()
      return assert(lutra.spawn({prog, tostring(n)}, {stdout = out})), out
    end

    it("a crate::module::function path, in two threads, with its return values", function()
      local p, out = spawn(3)
      local tids, rets = {}, {}
      local compute = p:break_at("rsdemo::compute", {
        handler = function(t) tids[t.tid] = true end,
        on_return = function(_, rv) rets[#rets + 1] = rv end,
      })
      local lines = {}
      local line = p:break_at("rsdemo::parse::line", {on_return = function(_, rv) lines[#lines + 1] = rv end})
      assert.are.equal("exited", p:run().reason)
      assert.matches("compute=6 ", H.slurp(out))
      assert.are.equal(6, compute.hits) -- bpftrace: 6
      local n = 0
      for _ in pairs(tids) do n = n + 1 end
      assert.are.equal(2, n)
      table.sort(rets)
      assert.are.same({1, 3, 5, 201, 203, 205}, rets) -- compute(i + w*100) = 2x + 1
      assert.are.equal(1, line.hits)
      assert.are.same({3}, lines) -- the program: fields=3
    end)

    it("a trait impl and a generic function as rustc-demangle prints them", function()
      local p = spawn(1)
      local area = p:break_at("<rsdemo::Square as rsdemo::Shape>::area", {on_return = function(_, rv)
        assert.are.equal(49, rv)
      end})
      local apply = p:break_at("rsdemo::apply")
      p:run()
      assert.are.equal(2, area.hits) -- bpftrace: 2
      assert.are.equal(1, apply.hits)
    end)

    it("closures by their path", function()
      local p = spawn(2)
      local glob = mangling == "v0" and "rsdemo::main::{closure#*}" or "rsdemo::main::{{closure}}"
      local found = p:symbols(glob)
      assert.is_true(#found >= 3, glob)
      local bp = p:break_at(glob)
      p:run()
      assert.is_true(bp.hits >= 5, tostring(bp.hits)) -- bpftrace (legacy): 1 + 1 + 2 + 2 + 2 = 8 with n=3
    end)

    it("printed without the legacy hash, with the mangled name as linkage_name", function()
      local p = spawn(1)
      local addr = p:symbol("rsdemo::compute")
      local name, off, _, _, _, linkage = p:symbolize(addr)
      assert.are.equal("rsdemo::compute", name)
      assert.are.equal(0, off)
      assert.matches(mangling == "v0" and "^_RNv" or "^_ZN6rsdemo7compute17h%x+E$", linkage)
      -- the mangled name is a name too
      local bp = p:break_at(linkage)
      assert.are.equal("rsdemo::compute", bp.symbol)
      local out, err, code = H.sh("PATH=/usr/bin:/bin " .. H.lutra_bin .. " trace rsdemo::compute -- " .. prog .. " 1")
      assert.are.equal(0, code, err)
      assert.matches("rsdemo::compute%(", out)
      assert.is_nil(out:find("::h%x%x%x%x"))
      p:kill()
    end)
  end)
end
