--- lutra.newprobe: `lutra --new-probe DIR`, a folder where plain `busted`
-- runs specs that use lutra: a .busted file (Debian's busted runs under Lua
-- 5.1 unless told `lua = "lua5.4"`; the paths of this lutra's module when
-- it is not installed where lua5.4 looks) and a first spec that passes.
local M = {}

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

-- Where this lutra's Lua files and lutra/core.so are, when lua5.4 would not
-- find them by itself: a source tree and its build directory.
local function module_paths()
  local lua_dir = debug.getinfo(1, "S").source:match("^@(.*)/lutra/[^/]*$")
  local ok, lfs = pcall(require, "lfs")
  local exe = ok and lfs.symlinkattributes("/proc/self/exe", "target") or nil
  local bin = exe and exe:match("^(.*)/[^/]*$")
  local lib
  for _, dir in ipairs(bin and {bin .. "/lib", bin .. "/../lib/lua/5.4"} or {}) do
    if exists(dir .. "/lutra/core.so") then lib = dir break end
  end
  return lua_dir, lib
end

local BUSTED = [[
-- .busted: plain `busted` in this folder runs its specs under Lua 5.4, as
-- lutra needs (Debian's busted runs under Lua 5.1 by default).
return {
  default = {
    lua = "lua5.4",
    ROOT = {"."},
    pattern = "_spec",
%s  },
}
]]

local SPEC = [[
-- probe_spec.lua: a first regression probe. It runs a program under lutra
-- and asserts on what happened inside it: here /bin/true calls the C
-- library's exit once and ends with status 0. Run it with `busted`.
local lutra = require "lutra"

describe("/bin/true", function()
  it("calls exit once and exits 0", function()
    local p = assert(lutra.spawn({"/bin/true"}))
    local exit = p:break_at("libc.so.6:exit", function(t) assert.are.equal(0, t:arg(1)) end)
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(1, exit.hits)
  end)
end)
]]

--- Writes DIR/.busted and DIR/probe_spec.lua (never over existing files);
-- returns the exit status.
function M.main(dir)
  if not os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'") then
    io.stderr:write("lutra: --new-probe: cannot make the directory ", dir, "\n")
    return 1
  end
  local lua_dir, lib = module_paths()
  local paths = ""
  if lua_dir and exists(lua_dir .. "/lutra/init.lua") then
    paths = paths .. string.format("    lpath = %q,\n", lua_dir .. "/?.lua;" .. lua_dir .. "/?/init.lua")
  end
  if lib then paths = paths .. string.format("    cpath = %q,\n", lib .. "/?.so") end
  for name, text in pairs({[".busted"] = BUSTED:format(paths), ["probe_spec.lua"] = SPEC}) do
    local path = dir .. "/" .. name
    if exists(path) then
      io.stderr:write("lutra: --new-probe: ", path, " exists; left as it is\n")
    else
      local f, err = io.open(path, "w")
      if not f then
        io.stderr:write("lutra: --new-probe: ", err, "\n")
        return 1
      end
      f:write(text)
      f:close()
    end
  end
  print(string.format("%s: .busted and probe_spec.lua; run `cd %s && busted`", dir, dir))
  return 0
end

return M
