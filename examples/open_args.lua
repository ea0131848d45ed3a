-- open_args.lua: every call to the C library's open-like functions, with
-- its arguments decoded (path, flags, mode, directory fd) and its result,
-- one line per call at its return. (open64 and fopen64 are the same
-- functions as open and fopen in glibc.)
--   build/lutra examples/open_args.lua -- build/examples/files
--   build/lutra examples/open_args.lua libc.so.6 open fopen -- /bin/cat /etc/hostname
local p = lutra.target
local lib = ... or "libc.so.6"
local names = {select(2, ...)}
if #names == 0 then names = {"open", "openat", "creat", "fopen", "freopen"} end

local FLAGS = { -- <fcntl.h> on x86_64, beyond the access mode
  {0x40, "O_CREAT"}, {0x80, "O_EXCL"}, {0x100, "O_NOCTTY"}, {0x200, "O_TRUNC"},
  {0x400, "O_APPEND"}, {0x800, "O_NONBLOCK"}, {0x10000, "O_DIRECTORY"},
  {0x20000, "O_NOFOLLOW"}, {0x80000, "O_CLOEXEC"}, {0x410000, "O_TMPFILE"},
}
local function flags(v)
  local out = {({[0] = "O_RDONLY", "O_WRONLY", "O_RDWR"})[v & 3] or tostring(v & 3)}
  for _, f in ipairs(FLAGS) do
    if v & f[1] == f[1] then out[#out + 1] = f[2] end
  end
  return table.concat(out, "|")
end

local function str(addr) return string.format("%q", p:read_string(addr) or "?") end
local function dirfd(v)
  v = v & 0xffffffff
  if v >= 0x80000000 then v = v - 0x100000000 end
  return v == -100 and "AT_FDCWD" or tostring(v)
end

-- Each function: how to show its arguments.
local SHOW = {
  open = function(t)
    local s = str(t:arg(1)) .. ", " .. flags(t:arg(2))
    if t:arg(2) & 0x40 ~= 0 then s = s .. string.format(", 0%o", t:arg(3) & 0xfff) end
    return s
  end,
  openat = function(t)
    local s = dirfd(t:arg(1)) .. ", " .. str(t:arg(2)) .. ", " .. flags(t:arg(3))
    if t:arg(3) & 0x40 ~= 0 then s = s .. string.format(", 0%o", t:arg(4) & 0xfff) end
    return s
  end,
  creat = function(t) return str(t:arg(1)) .. string.format(", 0%o", t:arg(2) & 0xfff) end,
  fopen = function(t) return str(t:arg(1)) .. ", " .. str(t:arg(2)) end,
  freopen = function(t) return str(t:arg(1)) .. ", " .. str(t:arg(2)) .. string.format(", 0x%x", t:arg(3)) end,
}

-- A qualified name is pending until its library is mapped: right after
-- spawn only the program and the loader are.
local calls = {}
for _, name in ipairs(names) do
  local show = SHOW[name] or function(t)
    return string.format("0x%x, 0x%x, 0x%x", t:arg(1), t:arg(2), t:arg(3))
  end
  p:break_at(lib .. ":" .. name, {
    handler = function(t)
      local s = calls[t] or {}
      calls[t] = s
      s[#s + 1] = name .. "(" .. show(t) .. ")"
    end,
    on_return = function(t, ret)
      local call = table.remove(calls[t])
      local r
      if name:match("^f") then
        r = ret == 0 and "NULL" or string.format("0x%x", ret)
      else
        ret = ret & 0xffffffff
        r = tostring(ret >= 0x80000000 and ret - 0x100000000 or ret)
      end
      print(string.format("%d  %s = %s", t.tid, call, r))
    end,
  })
end
p:run()
