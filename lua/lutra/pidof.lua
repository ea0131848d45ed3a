--- lutra.pidof: the process a name stands for (`-p NAME`): the one whose
-- comm or executable's basename is NAME, as pgrep -x and pidof see them.
local M = {}

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- What a process is called: its comm (at most 15 bytes, may be renamed
-- by the program) and the basename of its executable (which the comm cuts
-- short for long names).
--- The comm of a process, or of one of its threads; nil when gone.
function M.comm(pid, tid)
  local s = slurp("/proc/" .. pid .. (tid and "/task/" .. tid or "") .. "/comm")
  return s and (s:gsub("\n$", ""))
end

local function names_of(lfs, pid)
  local comm = M.comm(pid) or ""
  local exe = lfs.symlinkattributes("/proc/" .. pid .. "/exe", "target")
  local base = exe and exe:gsub(" %(deleted%)$", ""):match("[^/]+$")
  return comm, base
end

--- Every process named `name`, as {pid =, comm =, exe =}, by pid; lutra
-- itself is never a candidate.
function M.candidates(name)
  local ok, lfs = pcall(require, "lfs")
  if not ok then return nil, "-p NAME needs LuaFileSystem (Debian: lua-filesystem); give a pid instead" end
  local self = lfs.symlinkattributes("/proc/self", "target")
  local found = {}
  for entry in lfs.dir("/proc") do
    if entry:match("^%d+$") and entry ~= self then
      local comm, base = names_of(lfs, entry)
      local stat = slurp("/proc/" .. entry .. "/stat") or ""
      local zombie = stat:match("^%d+ %(.*%) ([ZX]) ")
      if not zombie and (comm == name or base == name) then
        found[#found + 1] = {pid = math.tointeger(tonumber(entry)), comm = comm, exe = base}
      end
    end
  end
  table.sort(found, function(a, b) return a.pid < b.pid end)
  return found
end

--- The pid of the one process named `name`, or nil and a message that
-- lists the candidates when there are several.
function M.find(name)
  local found, err = M.candidates(name)
  if not found then return nil, err end
  if #found == 1 then return found[1].pid end
  if #found == 0 then
    return nil, string.format("no process is named '%s' (its comm or its executable's name)", name)
  end
  local list = {}
  for i, c in ipairs(found) do
    if i > 10 then list[#list + 1] = string.format("... (%d more)", #found - 10) break end
    list[#list + 1] = string.format("%d (%s)", c.pid, c.comm)
  end
  return nil, string.format("%d processes are named '%s': %s; give one pid with -p PID", #found, name,
    table.concat(list, ", "))
end

return M
