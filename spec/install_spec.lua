-- install_spec: `cmake --install` puts the command, the module and the man
-- page where Debian's lua5.4 and man look.
local H = require "helper"

describe("cmake --install", function()
  it("installs a module plain lua5.4 can require, and the man page", function()
    if H.build:match("asan") then
      pending("the sanitized module needs the ASan runtime in lua5.4")
      return
    end
    local prefix = H.tmpname() .. ".d"
    local _, err, code = H.sh(string.format("cmake --install %s --prefix %s", H.build, prefix))
    assert.are.equal(0, code, err)
    local out, err2, code2 = H.sh(string.format(
      "LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;;' LUA_CPATH='%s/lib/lua/5.4/?.so;;' " ..
      "lua5.4 -e 'local l = require \"lutra\" print(l.version, type(l.spawn))'", prefix, prefix, prefix))
    assert.are.equal(0, code2, err2)
    assert.are.equal("0.1.0\tfunction\n", out)
    local man = H.slurp(prefix .. "/share/man/man1/lutra.1")
    assert.matches("^%.TH LUTRA 1", man)
    assert.is_truthy(H.slurp(prefix .. "/bin/lutra"))
    os.execute("rm -rf " .. prefix)
  end)
end)
