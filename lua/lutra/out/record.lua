--- lutra.out.record: lutra trace --record FILE, every call kept in the
-- format of lutra.record for `lutra report` and lutra.report.load.
local record = require "lutra.record"

local M = {}
local Record = {}
Record.__index = Record

--- record.new(file, header): writes the header line now.
function M.new(file, header)
  file:write(record.header(header))
  return setmetatable({file = file, n = 0, names = require("lutra.out.names").new()}, Record)
end

function Record:enter(c) self.names:see(c) end

function Record:call(c)
  self.n = self.n + 1
  self.file:write(record.call(c))
end

function Record:finish(info)
  self.file:write(record.trailer({result = info.result, status = info.status, calls = self.n,
    threads = self.names.threads}))
end

return M
