-- bench/run.lua: lutra's benchmark, run by scripts/bench as
-- `build/lutra --lua bench/run.lua`. In one run it alternates the tools on
-- the same programs and prints hits/s (median of REPS runs) and ratios.
-- Each rate is (hits) / (time with hits - time of the same command with no
-- hits), so start-up costs cancel out.
local C = dofile("bench/common.lua")
local B, REPS, BB = C.B, C.REPS, C.BB
local sh, have, median = C.sh, C.have, C.median

local function addr_of(bin, sym)
  local p = io.popen("nm " .. bin .. " | awk '$3==\"" .. sym .. "\" {print $1}'")
  local a = p:read("l")
  p:close()
  return a
end

local hot = BB .. "/hot"
local f_addr = addr_of(hot, "f")

-- lutra counting hits on f in bin, with extra command-line flags and the
-- break_at handler (a function or an options table) as Lua source.
local function lutra_tool(name, n, bin, flags, handler)
  return {name = name, n = n,
    cmd = function(k, t) return string.format(
      "%s%s -e 'local n=0 lutra.target:break_at(\"f\", %s) lutra.target:run() print(\"hits\", n)' -- %s %d %d",
      B .. "/lutra", flags, handler, bin, k, t) end,
    hits = function(s) return tonumber(s:match("hits%s+(%d+)")) end}
end
local count = "function() n=n+1 end"

-- Each tool: cmd(n, threads) -> shell command; hits(text) -> hits counted.
local tools = {
  lutra_tool("lutra", 100000, hot, "", count),
  lutra_tool("lutra-no-pin", 30000, hot, " --no-pin", count), -- tracer and tracee free to run on any CPU
  lutra_tool("lutra-stop-thread", 100000, hot, "", -- stop = "thread": other threads keep running
    "{stop=\"thread\", handler=" .. count .. "}"),
  {name = "gdb-python", n = 4000, need = "gdb",
    cmd = function(n, t) return string.format("gdb -batch -nx -x bench/gdb_count.py --args %s %d %d", hot, n, t) end,
    hits = function(s) return tonumber(s:match("hits (%d+)")) end},
  {name = "ltrace", n = 4000, need = "ltrace", single = true,
    cmd = function(n, t) return string.format("ltrace -x f -c %s %d %d", hot, n, t) end,
    hits = function(s) return tonumber(s:match("%s(%d+)%s+f\n")) end},
  {name = "bpftrace", n = 300000, need = "bpftrace",
    cmd = function(n, t) return string.format(
      "bpftrace -e 'uprobe:%s:f { @c = count(); }' -c '%s %d %d'", hot, hot, n, t) end,
    hits = function(s) return tonumber(s:match("@c: (%d+)")) or 0 end},
  {name = "reference", n = 50000, single = true,
    cmd = function(n, t) return string.format("%s/ref_ptrace %s %s %d %d", BB, f_addr, hot, n, t) end,
    hits = function(s) return tonumber(s:match("hits (%d+)")) end},
  {name = "reference-pin", n = 100000, single = true, -- the same, on one CPU like lutra
    cmd = function(n, t) return string.format("taskset -c 0 %s/ref_ptrace %s %s %d %d", BB, f_addr, hot, n, t) end,
    hits = function(s) return tonumber(s:match("hits (%d+)")) end},
}

local function measure(tool, threads)
  local n = tool.n // threads
  local t0 = sh(tool.cmd(0, threads))
  local t1, text = sh(tool.cmd(n, threads))
  local got = tool.hits(text)
  if got ~= n * threads then
    return nil, string.format("%s counted %s hits, expected %d: %s", tool.name, tostring(got), n * threads,
      text:sub(1, 200))
  end
  return (n * threads) / (t1 - t0)
end

-- The median rate of each tool over REPS runs, the tools alternating; a
-- tool that is not installed or miscounts is skipped, with the reason.
-- n, when given, replaces each tool's hit count.
local function medians(list, threads, n)
  local runs, skipped = {}, {}
  for _ = 1, REPS do
    for _, tool in ipairs(list) do
      if tool.need and not have(tool.need) then
        skipped[tool.name] = tool.need .. " is not installed"
      elseif not (tool.single and threads > 1) and not skipped[tool.name] then
        local rate, err = measure(n and {name = tool.name, n = n, cmd = tool.cmd, hits = tool.hits} or tool, threads)
        if rate then
          runs[tool.name] = runs[tool.name] or {}
          table.insert(runs[tool.name], rate)
        else
          skipped[tool.name] = err
        end
      end
    end
  end
  local r = {}
  for name, rates in pairs(runs) do r[name] = median(rates) end
  return r, skipped
end

local function bench(threads)
  local r, skipped = medians(tools, threads)
  print(string.format("\n%d thread(s), hits/s, median of %d runs:", threads, REPS))
  for _, tool in ipairs(tools) do
    if r[tool.name] then
      print(string.format("  %-14s %10.0f", tool.name, r[tool.name]))
    elseif skipped[tool.name] then
      print(string.format("  %-14s %10s  (%s)", tool.name, "-", skipped[tool.name]))
    end
  end
  local function ratio(a, b)
    if r[a] and r[b] then print(string.format("  %s / %s = %.2f", a, b, r[a] / r[b])) end
  end
  ratio("lutra", "gdb-python")
  ratio("lutra", "reference")
  ratio("lutra", "reference-pin")
  ratio("lutra", "bpftrace")
  ratio("lutra", "ltrace")
  ratio("lutra", "lutra-no-pin")
  ratio("lutra-stop-thread", "bpftrace")
end

print(string.format("lutra benchmark, %s, %d CPUs", os.date("%Y-%m-%d"), tonumber(io.popen("nproc"):read("l"))))
bench(1)
bench(4)

-- The stop path at its floor (issue 18): on f compiled with endbr64 a hit
-- needs no register write; the bare C loop `ref_ptrace --regs` does exactly waitpid +
-- GETREGS + CONT per hit, pinned to one CPU like lutra.
do
  local cet = BB .. "/hot_cet"
  local cet_addr = addr_of(cet, "f")
  local floor = {
    lutra_tool("lutra-endbr64", 100000, cet, "", count),
    {name = "ref-regs-pin", n = 100000,
      cmd = function(n, t) return string.format("taskset -c 0 %s/ref_ptrace --regs %s %s %d %d", BB, cet_addr, cet, n, t) end,
      hits = function(txt) return tonumber(txt:match("hits (%d+)")) end},
  }
  local r, skipped = medians(floor, 1)
  for _, why in pairs(skipped) do print("  " .. why) end
  local a, b = r["lutra-endbr64"], r["ref-regs-pin"]
  if a and b then
    local _, text = sh(string.format(
      "%s -e 'lutra.target:break_at(\"f\", function() end) lutra.target:run() local s = lutra.target:stats() print(\"sph\", s.syscalls_per_hit)' -- %s 20000 1",
      B .. "/lutra", cet))
    print(string.format("\nstop path, f starting with endbr64, 1 thread: lutra %.0f hits/s, bare GETREGS+CONT loop (pinned) %.0f hits/s: %.2fx; %s syscalls per hit",
      a, b, a / b, text:match("sph%s+(%S+)") or "?"))
  end
end

-- Threads on the hot loop (issue 18): all-stop against stop = "thread" and
-- bpftrace, 1 to 16 threads.
do
  local by = {}
  for _, tool in ipairs(tools) do
    if tool.name == "lutra" or tool.name == "lutra-stop-thread" or tool.name == "bpftrace" then by[#by + 1] = tool end
  end
  print("\nthreads, hits/s (median of " .. REPS .. "): all-stop, stop = \"thread\", bpftrace, all-stop / stop-thread")
  for _, threads in ipairs({1, 2, 4, 8, 16}) do
    local r = medians(by, threads, 48000)
    print(string.format("  %2d: %10.0f %10.0f %10s   %.2f", threads, r["lutra"] or 0, r["lutra-stop-thread"] or 0,
      r["bpftrace"] and string.format("%.0f", r["bpftrace"]) or "-",
      (r["lutra"] or 0) / math.max(1, r["lutra-stop-thread"] or 1)))
  end
end

-- on_return: stops per call on fib(20) (21891 calls).
do
  local _, text = sh(string.format(
    "%s --stats -e 'local c=0 lutra.target:break_at(\"fib\", {on_return=function() c=c+1 end}) lutra.target:run() print(\"returns\", c)' -- %s/fib 20",
    B .. "/lutra", BB))
  local returns = tonumber(text:match("returns%s+(%d+)"))
  local stops = tonumber(text:match("(%d+) stops"))
  print(string.format("\non_return on fib(20): %s returns, %s stops, %.2f stops per call",
    returns, stops, stops / returns))
end

-- No hits: the cost of being traced at all.
do
  local plain = {}
  local traced = {}
  for _ = 1, REPS do
    plain[#plain + 1] = sh(string.format("%s 20000000 1", hot))
    traced[#traced + 1] = sh(string.format("%s -e 'lutra.target:break_at(\"never\")' -- %s 20000000 1", B .. "/lutra", hot))
  end
  print(string.format("\nno hits (20M calls, breakpoint never hit): untraced %.3f s, under lutra %.3f s",
    median(plain), median(traced)))
  -- The price of pinning: a CPU-bound program with 4 threads and no hits.
  local fib4 = B .. "/targets/fib 32 4"
  local free_, pinned = {}, {}
  for _ = 1, REPS do
    free_[#free_ + 1] = sh(string.format("%s --no-pin -e 'x=1' -- %s", B .. "/lutra", fib4))
    pinned[#pinned + 1] = sh(string.format("%s -e 'x=1' -- %s", B .. "/lutra", fib4))
  end
  print(string.format("CPU-bound, 4 threads, no hits (fib 32 x4): --no-pin %.3f s, pinned (default) %.3f s",
    median(free_), median(pinned)))
end

-- Syscall tracing with a filter on another syscall: 1,000,000 getppid
-- calls, the filter on openat. A seccomp filter (the default for a spawned
-- program) makes getppid free; without it (seccomp = false) every call
-- stops twice and is resumed inside the engine.
do
  local sys = BB .. "/sys 1000000"
  local chunk = "lutra.target:on(\"syscall\", {filter = {\"openat\"}, seccomp = %s, fn = function() end})"
  local plain, sec, nosec, st = {}, {}, {}, {}
  for _ = 1, REPS do
    plain[#plain + 1] = sh(sys)
    sec[#sec + 1] = sh(string.format("%s -e '%s' -- %s", B .. "/lutra", chunk:format("true"), sys))
    nosec[#nosec + 1] = sh(string.format("%s -e '%s' -- %s", B .. "/lutra", chunk:format("false"), sys))
    if have("strace") then
      st[#st + 1] = sh(string.format("strace -f --seccomp-bpf -e trace=openat -o /dev/null %s", sys))
    end
  end
  print(string.format("\nsyscalls: 1,000,000 getppid, filter on openat: untraced %.3f s, lutra (seccomp) %.3f s (%.2fx), " ..
    "lutra (seccomp = false) %.3f s (%.1fx)%s", median(plain), median(sec), median(sec) / median(plain),
    median(nosec), median(nosec) / median(plain),
    #st > 0 and string.format(", strace --seccomp-bpf %.3f s (%.2fx)", median(st), median(st) / median(plain)) or ""))
end

-- Memory: lutra's peak RSS with 10,000 breakpoints.
do
  local _, text = sh(string.format([[%s -e '
    local p = lutra.target
    local base = p:symbol("big")
    for i = 0, 9999 do p:add_breakpoint(base + 16 + i * 4) end
    local st = io.open("/proc/self/status"):read("a")
    print("hwm", st:match("VmHWM:%%s+(%%d+)"))
    p:kill()' -- %s/big]], B .. "/lutra", BB))
  print(string.format("\npeak RSS of lutra with 10,000 breakpoints: %s kB", text:match("hwm%s+(%d+)") or "?"))
end


-- Probes that do not stop the program (issue 17): bench/probes.lua, also
-- runnable alone (`build/lutra --lua bench/probes.lua`).
dofile("bench/probes.lua")
