-- install_spec: `cmake --install`, `cpack -G DEB` and `luarocks make` put
-- the command, the module and the man page where Debian's lua5.4, man and
-- busted find them.
local H = require "helper"

local function plain_build_only()
  if H.build:match("asan") then
    pending("the sanitized module needs the ASan runtime in lua5.4")
    return false
  end
  return true
end

local function require_from(tree)
  return string.format("LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;;' " ..
    "LUA_CPATH='%s/lib/lua/5.4/?.so;;' ", tree, tree, tree)
end

describe("cmake --install", function()
  it("installs a module plain lua5.4 can require, and the man page", function()
    if not plain_build_only() then return end
    local prefix = H.tmpname() .. ".d"
    local _, err, code = H.sh(string.format("cmake --install %s --prefix %s", H.build, prefix))
    assert.are.equal(0, code, err)
    local out, err2, code2 = H.sh(require_from(prefix) ..
      "lua5.4 -e 'local l = require \"lutra\" print(l.version, type(l.spawn))'")
    assert.are.equal(0, code2, err2)
    assert.are.equal("0.1.0\tfunction\n", out)
    local man = H.slurp(prefix .. "/share/man/man1/lutra.1")
    assert.matches("^%.TH LUTRA 1", man)
    -- The installed command finds its Lua files beside itself, not in
    -- the source tree.
    local v, err3, code3 = H.sh(prefix .. "/bin/lutra -e 'print(package.searchpath(\"lutra\", package.path))'")
    assert.are.equal(0, code3, err3)
    assert.are.equal(prefix .. "/bin/../share/lua/5.4/lutra/init.lua\n", v)
    os.execute("rm -rf " .. prefix)
  end)
end)

describe("cpack -G DEB", function()
  it("builds a .deb that installs and runs lutra --version", function()
    if not plain_build_only() then return end
    local dir = H.tmpname() .. ".deb.d"
    local out, err, code = H.sh(string.format(
      "cd %s && cpack -G DEB -B %s", H.build, dir))
    assert.are.equal(0, code, (out or "") .. (err or ""))
    local deb = io.popen("ls " .. dir .. "/lutra_*.deb"):read("l")
    assert.is_truthy(deb, out)
    local info = H.sh("dpkg-deb --field " .. deb .. " Package Version Depends")
    assert.matches("Package: lutra\nVersion: 0.1.0\n", info)
    assert.matches("liblua5.4", info)
    assert.matches("libdw1", info)
    local files = H.sh("dpkg-deb --contents " .. deb)
    assert.matches("%./usr/bin/lutra\n", files)
    assert.matches("%./usr/lib/lua/5.4/lutra/core.so\n", files)
    assert.matches("%./usr/share/lua/5.4/lutra/init.lua\n", files)
    assert.matches("%./usr/share/man/man1/lutra.1\n", files)

    local root = io.popen("id -u"):read("l") == "0"
    local sudo = not root and os.execute("sudo -n true 2>/dev/null")
    if root or sudo then
      -- Install it for real, unless a lutra package is there already.
      local pre = root and "" or "sudo -n "
      local had = os.execute("dpkg-query -W lutra >/dev/null 2>&1")
      if not had then
        local _, e, c = H.sh(pre .. "dpkg -i " .. deb)
        assert.are.equal(0, c, e)
        local v, _, c2 = H.sh("/usr/bin/lutra --version")
        local r, _, c3 = H.sh("lua5.4 -e 'print(require(\"lutra\").version)'")
        H.sh(pre .. "dpkg -r lutra")
        assert.are.equal(0, c2)
        assert.are.equal("lutra 0.1.0\n", v)
        assert.are.equal(0, c3)
        assert.are.equal("0.1.0\n", r)
      end
    end
    -- Unpacked anywhere, the command finds its own Lua files.
    local x = dir .. "/x"
    H.sh("dpkg-deb -x " .. deb .. " " .. x)
    local v, e, c = H.sh(x .. "/usr/bin/lutra -e 'print(lutra.version, package.searchpath(\"lutra\", package.path))'")
    assert.are.equal(0, c, e)
    assert.are.equal("0.1.0\t" .. x .. "/usr/bin/../share/lua/5.4/lutra/init.lua\n", v)
    os.execute("rm -rf " .. dir)
  end)
end)

describe("luarocks make", function()
  it("builds and installs a module busted can require", function()
    if not plain_build_only() then return end
    if not os.execute("command -v luarocks >/dev/null") then
      error("luarocks is not installed (scripts/deps installs it)")
    end
    -- Build a copy of the tracked tree, as a user's checkout would be.
    local src, tree = H.tmpname() .. ".src", H.tmpname() .. ".tree"
    local _, err, code = H.sh(string.format(
      "mkdir -p %s && (git ls-files -z 2>/dev/null || find . -path ./build\\* -prune -o -type f -print0) | " ..
      "tar --null -cf - -T - | tar -xf - -C %s", src, src))
    assert.are.equal(0, code, err)
    local out, err2, code2 = H.sh(string.format(
      "cd %s && luarocks --lua-version 5.4 --tree %s make lutra-0.1.0-1.rockspec", src, tree))
    assert.are.equal(0, code2, (out or "") .. (err2 or ""))
    local spec = src .. "/rock_spec.lua"
    local f = assert(io.open(spec, "w"))
    f:write([[
local lutra = require "lutra"
describe("the rock", function()
  it("traces a program", function()
    local p = assert(lutra.spawn({"/bin/true"}))
    local r = p:run()
    assert.are.equal("exited", r.reason)
    assert.are.equal(0, r.code)
  end)
end)
]])
    f:close()
    local o3, e3, c3 = H.sh(string.format("cd %s && %slua5.4 /usr/bin/busted --output=TAP rock_spec.lua",
      src, require_from(tree)))
    assert.are.equal(0, c3, (o3 or "") .. (e3 or ""))
    assert.matches("ok 1 %- the rock traces a program", o3)
    local v = H.sh(tree .. "/bin/lutra --version")
    assert.are.equal("lutra 0.1.0\n", v)
    os.execute("rm -rf " .. src .. " " .. tree)
  end)
end)
