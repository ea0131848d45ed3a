-- log_breakpoints.lua: automated breakpoint logging. At every hit of the
-- named functions, logs the thread, the first two arguments and who called
-- (a backtrace), as one line each, without stopping the program.
--   build/lutra examples/log_breakpoints.lua ship price -- build/demo
local p = lutra.target
local names = {...}
if #names == 0 then names = {"main"} end

local function caller_chain(t)
  local names_ = {}
  for i, frame in ipairs(t:backtrace(8)) do
    if i > 1 then names_[#names_ + 1] = frame.name or string.format("0x%x", frame.pc) end
  end
  return table.concat(names_, " < ")
end

for _, name in ipairs(names) do
  p:break_at(name, function(t, bp)
    io.write(string.format("%s hit #%d on thread %d: args (%d, %d), called from %s\n",
      bp.symbol, bp.hits, t.tid, t:arg(1), t:arg(2), caller_chain(t)))
  end)
end
p:run()
