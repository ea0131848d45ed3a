-- bench/probes.lua: probes that do not stop the program (issue 17), side by
-- side with bpftrace on the same binary and functions (bench/targets/starts.c);
-- bench/run.lua runs it last, `build/lutra --lua bench/probes.lua` alone.
-- Each rate is calls / (time of the command with the calls - time of the
-- same command with none), median of BENCH_REPS (3) runs.
local C = dofile("bench/common.lua")
local B, REPS, BB = C.B, C.REPS, C.BB
local sh, have, median = C.sh, C.have, C.median

do
  local starts = BB .. "/starts"
  local lutra_bin = B .. "/lutra"
  local function rate(cmd_of, n, check)
    local t0 = median((function() local l = {} for _ = 1, REPS do l[#l + 1] = sh(cmd_of(0)) end return l end)())
    local runs = {}
    for _ = 1, REPS do
      local dt, text = sh(cmd_of(n))
      local ok, why = check(text)
      if not ok then return nil, why end
      runs[#runs + 1] = n / math.max(1e-9, dt - t0)
    end
    return median(runs)
  end
  local function counted(want)
    return function(text)
      local got = tonumber(text:match("count%s+(%d+)") or text:match("@c: (%d+)") or "")
      if got ~= want then return false, string.format("counted %s, expected %d: %s", tostring(got), want, text:sub(1, 200)) end
      return true
    end
  end
  local function lutra_counter(fn, expr)
    return function(n)
      return string.format("%s --no-pin -e 'local c = lutra.target:counter(\"%s\"%s) lutra.target:run() print(\"count\", c:value())' -- %s %s %d",
        lutra_bin, fn, expr and (", \"" .. expr .. "\"") or "", starts, fn, n)
    end
  end
  local function bpf(fn, pred)
    return function(n)
      return string.format("bpftrace -e 'uprobe:%s:%s %s { @c = count(); }' -c '%s %s %d'", starts, fn, pred or "", starts, fn, n)
    end
  end
  print(string.format("\nprobes that do not stop the program, calls/s, median of %d runs:", REPS))
  print(string.format("  %-8s %-26s %14s %14s %8s", "function", "probe", "lutra", "bpftrace", "ratio"))
  local N, NB = 50000000, 1000000
  for _, fn in ipairs({"f_endbr", "f_push", "f_nop5"}) do
    for _, case in ipairs({{"counter", nil, nil, N, NB}, {"counter arg1 % 1000 == 0", "arg1 % 1000 == 0", "/arg0 % 1000 == 0/", N // 1000, NB // 1000}}) do
      local l, lerr = rate(lutra_counter(fn, case[2]), N, counted(case[4]))
      local b, berr
      if have("bpftrace") then b, berr = rate(bpf(fn, case[3]), NB, counted(case[5])) end
      print(string.format("  %-8s %-26s %14s %14s %8s%s", fn, case[1], l and string.format("%.0f", l) or "-",
        b and string.format("%.0f", b) or "-", l and b and string.format("%.1f", l / b) or "-",
        (lerr or berr) and ("  (" .. (lerr or berr) .. ")") or ""))
    end
  end
  -- the cost of a counter per call, single-threaded
  local plain = rate(function(n) return string.format("%s f_push %d", starts, n) end, N, function() return true end)
  local counter = rate(lutra_counter("f_push"), N, counted(N))
  if plain and counter then
    print(string.format("  a counter adds %.2f ns per call (f_push: %.2f ns untraced, %.2f ns counted)",
      1e9 / counter - 1e9 / plain, 1e9 / plain, 1e9 / counter))
  end
  -- a when true for 0.1% of 10M calls: its whole command, and past start-up
  local function when_cmd(n)
    return string.format("%s -e 'local n = 0 lutra.target:break_at(\"f_push\", {when = \"arg1 %% 1000 == 0\", handler = function() n = n + 1 end}) lutra.target:run() print(\"count\", n)' -- %s f_push %d",
      lutra_bin, starts, n)
  end
  local w0, wall = {}, {}
  for _ = 1, REPS do
    w0[#w0 + 1] = sh(when_cmd(0))
    local dt, text = sh(when_cmd(10000000))
    if counted(10000)(text) then wall[#wall + 1] = dt end
  end
  -- the floor: 10,000 hits of a plain breakpoint (each a stop) in this same run
  local floor = {}
  for _ = 1, REPS do
    floor[#floor + 1] = sh(string.format("%s -e 'local n = 0 lutra.target:break_at(\"f_push\", function() n = n + 1 end) lutra.target:run() print(\"count\", n)' -- %s f_push 10000",
      lutra_bin, starts)) - median(w0)
  end
  if #wall > 0 then
    print(string.format("  when true for 0.1%% of 10M calls (10,000 stops): %.3f s, %.3f s past start-up; 10,000 hits of a plain breakpoint: %.3f s past start-up",
      median(wall), median(wall) - median(w0), median(floor)))
  end
  -- 16 threads x 1M calls, counted exactly
  do
    local dt, text = sh(string.format("%s --no-pin -e 'local c = lutra.target:counter(\"f_push\") lutra.target:run() print(\"count\", c:value())' -- %s f_push 1000000 16",
      lutra_bin, starts))
    local ok = counted(16000000)(text)
    local pdt = sh(string.format("%s f_push 1000000 16", starts))
    print(string.format("  16 threads x 1M calls: %s in %.3f s (untraced %.3f s)", ok and "16000000 counted exactly" or ("WRONG: " .. text:sub(1, 100)), dt, pdt))
  end
  -- lutra trace: entry lines from the ring against today's trace (a stop per entry and return)
  do
    local function trace_cmd(entries, n)
      return string.format("%s trace %s-a 1 -o /dev/null f_push -- %s f_push %d", lutra_bin, entries and "--entries " or "", starts, n)
    end
    local t0, tr = {}, {}
    local dropped_line
    for _ = 1, REPS do
      t0[#t0 + 1] = sh(trace_cmd(true, 0))
      local dt, text = sh(trace_cmd(true, 5000000))
      local traced, dropped = text:match("(%d+) calls traced, (%d+) dropped")
      if traced then
        tr[#tr + 1] = tonumber(traced) / math.max(1e-9, dt - median(t0))
        dropped_line = string.format("%s traced, %s dropped of 5,000,000", traced, dropped)
      end
    end
    local old = rate(function(n) return trace_cmd(false, n) end, 20000, function() return true end)
    if #tr > 0 and old then
      print(string.format("  lutra trace --entries: %.0f entry lines/s formatted in Lua (%s); lutra trace (returns too): %.0f calls/s; ratio %.1f",
        median(tr), dropped_line, old, median(tr) / old))
    end
  end
  -- the counter schemes (bench/targets/counters.c): one atomic counter, per-CPU slots
  local names = {[1] = "atomic (lock inc)", [3] = "per-CPU, rseq cpu_id + lock inc", [4] = "per-CPU, rseq critical section"}
  for _, threads in ipairs({1, 16}) do
    local base = {}
    for _ = 1, REPS do
      local _, text = sh(string.format("%s/counters 0 5000000 %d", BB, threads))
      base[#base + 1] = tonumber(text:match("([%d.]+) ns"))
    end
    for _, m in ipairs({1, 3, 4}) do
      local l = {}
      for _ = 1, REPS do
        local _, text = sh(string.format("%s/counters %d 5000000 %d", BB, m, threads))
        l[#l + 1] = tonumber(text:match("([%d.]+) ns"))
      end
      print(string.format("  counter scheme %-34s %2d thread(s): +%.2f ns per call", names[m], threads, median(l) - median(base)))
    end
  end
end
