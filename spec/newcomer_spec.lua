-- newcomer_spec: busted and the command line without surprises. Debian's
-- busted runs under Lua 5.1: `require "lutra"` there says in one line that
-- lutra needs Lua 5.4 and how to run busted under it; examples/ and
-- `lutra --new-probe DIR` are folders where plain `busted` works; a script
-- that uses lutra.target without a target is told how to name one.
local H = require "helper"

local plain_env = "env -u LUA_PATH -u LUA_CPATH PATH=/usr/bin:/bin "
local sanitized = os.getenv("ASAN_OPTIONS") ~= nil
local src = require("lfs").currentdir() -- the source tree, where ctest runs the specs

local function have(cmd) return os.execute("command -v " .. cmd .. " >/dev/null 2>&1") end

describe("require 'lutra' under another Lua than 5.4", function()
  it("fails with one line saying lutra needs Lua 5.4 and how to run busted under it", function()
    if not have("lua5.1") then
      io.stderr:write("newcomer_spec: SKIPPED the Lua 5.1 case (no lua5.1)\n")
      pending("lua5.1 is not installed")
      return
    end
    local out, err, code = H.sh(plain_env .. "lua5.1 -e 'package.path = \"lua/?.lua;lua/?/init.lua;\" .. package.path; " ..
      "package.cpath = \"" .. H.build .. "/lib/?.so;\" .. package.cpath; " ..
      "local ok, e = pcall(require, \"lutra\") print(e)'")
    assert.are.equal(0, code, err)
    assert.are.equal("lutra needs Lua 5.4, not Lua 5.1: run busted as `busted --lua=lua5.4` (or put " ..
      "lua = \"lua5.4\" in a .busted file: `lutra --new-probe DIR` writes one)\n", out)
  end)

  it("says so in plain busted's report of a spec folder without a .busted file", function()
    if not have("busted") or not have("lua5.1") then
      pending("busted or lua5.1 is not installed")
      return
    end
    local dir = H.tmpname() .. ".d"
    os.execute("mkdir -p " .. dir)
    io.open(dir .. "/a_spec.lua", "w"):write('local lutra = require "lutra"\n'):close()
    local out = H.sh("cd " .. dir .. " && " .. plain_env .. "LUA_PATH='" .. src ..
      "/lua/?.lua;" .. src .. "/lua/?/init.lua;;' busted --pattern=_spec .")
    os.execute("rm -rf " .. dir)
    assert.matches("lutra needs Lua 5.4, not Lua 5.1: run busted as `busted --lua=lua5.4`", out, 1, true)
    assert.not_matches("lua_absindex", out)
  end)
end)

describe("plain busted", function()
  it("runs the specs of examples/ (its .busted picks Lua 5.4 and this tree's lutra)", function()
    if not have("busted") then pending("busted is not installed") return end
    if not io.open("build/lib/lutra/core.so") then
      io.stderr:write("newcomer_spec: SKIPPED plain busted in examples/ (no build/ beside the sources)\n")
      pending("examples/.busted points at build/, which is not built")
      return
    end
    local out, err, code = H.sh("cd examples && " .. plain_env .. "busted --output=TAP")
    assert.are.equal(0, code, (out or "") .. (err or ""))
    assert.matches("ok 1 %- ", out)
    assert.matches("ok 2 %- ", out)
    assert.not_matches("not ok", out)
  end)

  it("runs the first spec `lutra --new-probe DIR` writes, and the files are not written twice", function()
    local dir = H.tmpname() .. ".probe"
    local out, err, code = H.lutra("--new-probe " .. dir)
    assert.are.equal(0, code, err)
    assert.matches("run `cd " .. dir:gsub("%p", "%%%0") .. " && busted`", out)
    assert.matches('lua = "lua5.4"', H.slurp(dir .. "/.busted"), 1, true)
    assert.matches('require "lutra"', H.slurp(dir .. "/probe_spec.lua"), 1, true)
    if sanitized or not have("busted") then
      -- a sanitized lutra/core.so cannot load into plain lua5.4
      io.stderr:write("newcomer_spec: SKIPPED running the new probe (sanitized build, or no busted)\n")
    else
      local bout, berr, bcode = H.sh("cd " .. dir .. " && " .. plain_env .. "busted --output=TAP")
      assert.are.equal(0, bcode, (bout or "") .. (berr or ""))
      assert.matches("ok 1 %- /bin/true calls exit once and exits 0", bout)
    end
    io.open(dir .. "/probe_spec.lua", "w"):write("-- mine\n"):close()
    local _, err2, code2 = H.lutra("--new-probe " .. dir)
    assert.are.equal(0, code2)
    assert.matches("probe_spec.lua exists; left as it is", err2, 1, true)
    assert.are.equal("-- mine\n", H.slurp(dir .. "/probe_spec.lua"))
    os.execute("rm -rf " .. dir)
  end)
end)

describe("a script that uses lutra.target without a target", function()
  it("is told how to name one", function()
    local _, err, code = H.lutra("-e 'lutra.target:break_at(\"main\")'")
    assert.are.equal(1, code)
    assert.matches("^lutra: %(command line%):1: attempt to index a nil value %(field 'target'%)\n" ..
      "lutra.target is nil: no program was named %(run the script as lutra SCRIPT.lua %-%- PROGRAM %[ARGS...%], " ..
      "or lutra %-p PID SCRIPT.lua%)\n", err)
    -- with a target, such an error is the script's own and gets no hint
    _, err = H.lutra("-e 'local t = {} t.target.x = 1' -- " .. H.target("loop"))
    assert.matches("attempt to index a nil value %(field 'target'%)", err)
    assert.not_matches("no program was named", err)
  end)
end)
