-- bench/common.lua: what the benchmark scripts share (bench/run.lua,
-- bench/probes.lua): where the build is, how many runs, running a command
-- timed, the median. Loaded with dofile("bench/common.lua").
local core = require "lutra.core"

local C = {}
C.B = os.getenv("LUTRA_BUILD") or "build"
C.REPS = tonumber(os.getenv("BENCH_REPS") or "3")
C.BB = C.B .. "/bench"

--- Runs a shell command: its time, its output (stdout and stderr), its status.
function C.sh(cmd)
  local out = os.tmpname()
  local t0 = core.now()
  local ok = os.execute(cmd .. " >" .. out .. " 2>&1")
  local dt = core.now() - t0
  local f = io.open(out)
  local text = f:read("a")
  f:close()
  os.remove(out)
  return dt, text, ok
end

function C.have(prog) return os.execute("command -v " .. prog .. " >/dev/null 2>&1") end

function C.median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end

return C
