--- lutra.out.text: lutra trace's lines, one per call at its end:
-- `[PID] TID  <indent by depth>name(args) = ret  12.3 us`; calls deeper
-- than max_depth are counted, not printed, and one line at the end says
-- how many.
local values = require "lutra.out.values"

local M = {}
local Text = {}
Text.__index = Text

--- text.new(file, {max_depth =, pids =, format_typed =}): pids adds the
-- process column (lutra trace -f); format_typed(call) renders a call's
-- typed values (nil: the raw arguments are shown).
function M.new(file, opts)
  opts = opts or {}
  return setmetatable({file = file, max_depth = opts.max_depth, pids = opts.pids,
    format_typed = opts.format_typed, deeper = 0}, Text)
end

--- The arguments of a call as the line shows them.
function M.args(c, format_typed)
  if c.typed and format_typed then
    local s = format_typed(c)
    if s then return s end
  end
  local argv = {}
  for i, v in ipairs(c.args) do argv[i] = values.text(v) end
  return table.concat(argv, ", ")
end

--- What follows "=": the value, `<exec>` for a successful execve, `?` for
-- a frame left without returning.
function M.ret(c)
  if c.exec then return "<exec>" end
  if c.unwound then return "?" end
  if c.typed and c.typed.ret_text then return c.typed.ret_text end -- typed by DWARF (trace_values)
  return values.text(c.ret)
end

function Text:call(c)
  if self.max_depth and c.depth > self.max_depth then
    self.deeper = self.deeper + 1
    return
  end
  local f = self.file
  if self.pids then f:write(string.format("%-7d ", c.pid)) end
  f:write(string.format("%-7d %s%s(%s) = %s  %.1f us\n", c.tid, string.rep("  ", c.depth - 1), c.name,
    M.args(c, self.format_typed), M.ret(c), c.dur * 1e6))
end

function Text:finish()
  if self.deeper > 0 then
    self.file:write(string.format("(%d call%s deeper than --max-depth %d not shown)\n", self.deeper,
      self.deeper == 1 and "" or "s", self.max_depth))
  end
end

return M
