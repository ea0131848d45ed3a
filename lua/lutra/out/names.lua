--- lutra.out.names: the names of traced processes and threads (their
-- comm, from /proc), read the first time a call of theirs begins, while
-- they are there to ask.
local M = {}

local comm = require("lutra.pidof").comm

--- names.new(): a table of what was read, by pid and by tid.
function M.new() return setmetatable({procs = {}, threads = {}}, {__index = M}) end

--- Reads the names of c's process and thread if not read yet; returns
-- the process's name when it was new, and the thread's when it was new.
function M:see(c)
  local pname, tname
  if self.procs[c.pid] == nil then
    pname = comm(c.pid)
    self.procs[c.pid] = pname or false
  end
  if self.threads[c.tid] == nil then
    tname = comm(c.pid, c.tid)
    self.threads[c.tid] = tname or false
  end
  return pname, tname
end

return M
