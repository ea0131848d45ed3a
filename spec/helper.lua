--- spec/helper.lua: paths to the build, temp files, running the lutra
-- command, and reading a process's memory without lutra (to check that
-- lutra left nothing behind).
local H = {}

H.build = os.getenv("LUTRA_BUILD") or "build"
H.lutra_bin = H.build .. "/lutra"

function H.target(name) return H.build .. "/targets/" .. name end

--- A spec program that a toolchain which may be missing builds (g++,
-- rustc, go, sys/sdt.h): its path, or nil after saying "skipped: ..." on
-- stderr. A spec that gets nil declares its tests with busted's `pending`
-- (TAP prints "# SKIP"), so a missing toolchain never passes in silence:
--   local shop = H.built("shop", "g++")
--   if not shop then pending("skipped: no g++") return end
function H.built(name, toolchain)
  local path = H.target(name)
  local f = io.open(path)
  if f then
    f:close()
    return path
  end
  io.stderr:write(string.format("skipped: %s was not built (no %s on this machine)\n", path, toolchain))
  return nil
end

function H.tmpname()
  local n = os.tmpname()
  H.tmps = H.tmps or {}
  H.tmps[#H.tmps + 1] = n
  return n
end

--- A Lua file holding text, removed with the other temporary files.
function H.script(text)
  local f = H.tmpname() .. ".lua"
  H.tmps[#H.tmps + 1] = f
  io.open(f, "w"):write(text):close()
  return f
end

--- Polls until f() is true (bounded, 10 s); returns what f returned.
-- Synchronises on something the program or lutra does, never on time.
function H.await(f, what)
  local deadline = os.time() + 10
  local v = f()
  while not v do
    assert(os.time() <= deadline, "timed out waiting for " .. what)
    os.execute("sleep 0.01")
    v = f()
  end
  return v
end

function H.slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- Runs a shell command; returns stdout, stderr, exit status.
function H.sh(cmd)
  local out, err = H.tmpname(), H.tmpname()
  local ok, how, code = os.execute(string.format("%s >%s 2>%s", cmd, out, err))
  if how == "signal" then code = 128 + code end
  return H.slurp(out), H.slurp(err), code
end

--- Runs lutra with a shell-quoted argument string.
function H.lutra(args) return H.sh(H.lutra_bin .. " " .. args) end

--- Starts a program in the background, returns its pid and the file its
-- stdout goes to, once it has written `ready` (a line) there.
function H.start(path, ready)
  local out = H.tmpname()
  local f = io.popen(string.format("%s >%s 2>&1 & echo $!", path, out))
  local pid = math.tointeger(tonumber(f:read("l")))
  f:close()
  if ready then
    -- Synchronise on the program's own word that it runs.
    H.await(function() return (H.slurp(out) or ""):find(ready, 1, true) end, path .. " to get ready")
  end
  return pid, out
end

--- Waits for a pid (not our child) to be gone, bounded.
function H.wait_gone(pid, seconds)
  local deadline = os.time() + (seconds or 10)
  while io.open("/proc/" .. pid .. "/stat") do
    local st = H.slurp("/proc/" .. pid .. "/stat") or ""
    if st:match("%) Z ") then return true end
    if os.time() > deadline then return false end
    os.execute("sleep 0.01")
  end
  return true
end

--- Bytes of a process's memory read through /proc/PID/mem, not lutra.
function H.mem(pid, addr, len)
  local f = assert(io.open("/proc/" .. pid .. "/mem", "rb"))
  f:seek("set", addr)
  local s = f:read(len)
  f:close()
  return s
end

--- The bytes at addr in the executable's file (text: file offset = address
-- - base for the objects our toolchain links).
function H.file_bytes(p, addr, len)
  for _, m in ipairs(p:modules()) do
    if addr >= m.base and m.executable then
      local f = assert(io.open(m.path, "rb"))
      f:seek("set", addr - m.base)
      local s = f:read(len)
      f:close()
      return s
    end
  end
end

--- Child processes of this process that are zombies or alive.
function H.children()
  local kids = {}
  local self = H.slurp("/proc/self/stat"):match("^(%d+)")
  local lfs = require "lfs"
  for tid in lfs.dir("/proc/" .. self .. "/task") do
    local c = tid:match("^%d+$") and H.slurp("/proc/" .. self .. "/task/" .. tid .. "/children") or ""
    for pid in c:gmatch("%d+") do kids[#kids + 1] = pid end
  end
  return kids
end

--- The spin program (spec/targets/spin.c) after lutra is gone from it:
-- alive, tick's bytes those of the file (no int3 left), and it answers
-- SIGTERM with its own message ("ticks=1" in its output file).
function H.assert_spin_intact(pid, out)
  local assert = require "luassert" -- busted's, which specs see as assert
  local q, err = require("lutra").attach(pid)
  assert(q, err)
  local tick = q:symbol("tick")
  assert.are.equal(H.file_bytes(q, tick, 8), H.mem(pid, tick, 8))
  q:detach()
  os.execute("kill -TERM " .. pid)
  assert.is_true(H.wait_gone(pid))
  assert.matches("ticks=1", H.slurp(out))
end

return H
