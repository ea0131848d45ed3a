-- trace_spec: lutra trace for people (issue 12 item 10 and issue 19): help,
-- Ctrl-C, the -c table's width, --max-depth, -f, execve's `= <exec>`, and
-- the outputs that share one description of each call: --json, --chrome
-- (checked with lua-cjson against the trace-event format's fields) and
-- --record.
local H = require "helper"
local cjson = require "cjson"

local demo = H.build .. "/demo"

local function lines_of(s)
  local out = {}
  for l in (s or ""):gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

local function json_lines(path)
  local out = {}
  for l in io.lines(path) do out[#out + 1] = cjson.decode(l) end
  return out
end

local await = H.await

describe("lutra trace --help", function()
  it("prints the usage on stdout and exits 0, with -h too", function()
    for _, flag in ipairs({"--help", "-h"}) do
      local out, err, code = H.lutra("trace " .. flag)
      assert.are.equal(0, code, err)
      assert.matches("^usage: lutra trace ", out)
      for _, opt in ipairs({"-c", "--json", "--chrome FILE", "--record FILE", "-f", "-a N", "--max-depth N",
          "-o FILE", "-p PID|NAME", "--no-pin", "--stats"}) do
        assert.is_truthy(out:find("\n  " .. opt, 1, true), opt .. " is not explained in\n" .. out)
      end
      assert.are.equal("", err)
    end
  end)

  it("lutra --help lists every option of the command", function()
    local out, _, code = H.lutra("--help")
    assert.are.equal(0, code)
    for _, opt in ipairs({"-p PID|NAME", "-e CHUNK", "-i", "--stats", "--no-pin", "--lua-memory MB", "--lua SCRIPT",
        "--new-probe DIR", "--help", "--version", "lutra trace", "lutra report", "-a N", "--chrome FILE",
        "--record FILE", "--max-depth N", "-f"}) do
      assert.is_truthy(out:find(opt, 1, true), opt .. " is missing from lutra --help:\n" .. out)
    end
  end)
end)

describe("lutra trace on Ctrl-C", function()
  it("ends with 'lutra: interrupted', no Lua position, status 130, and writes what it has", function()
    -- lutra waits for the program, which sleeps in clock_nanosleep
    local rec, errf, status, pidf = H.tmpname(), H.tmpname(), H.tmpname(), H.tmpname()
    os.execute(string.format("(%s trace -c --record %s libc.so.6:clock_nanosleep -- /bin/sleep 30 >/dev/null 2>%s & " ..
      "echo $! > %s; wait $!; echo $? > %s) &", H.lutra_bin, rec, errf, pidf, status))
    await(function() return (H.slurp(pidf) or ""):match("%d+") end, "lutra's pid")
    local lpid = H.slurp(pidf):match("%d+")
    -- the program is in its sleep (syscall 230, clock_nanosleep), lutra in its wait
    await(function()
      local kids = H.slurp("/proc/" .. lpid .. "/task/" .. lpid .. "/children") or ""
      local kid = kids:match("%d+")
      return kid and (H.slurp("/proc/" .. kid .. "/syscall") or ""):match("^230 ")
    end, "the program's sleep")
    os.execute("kill -INT " .. lpid)
    await(function() return (H.slurp(status) or ""):match("%d+") end, "lutra's end")
    assert.are.equal("130", H.slurp(status):match("%d+"))
    assert.are.equal("lutra: interrupted\n", H.slurp(errf))
    -- the recording is whole: the call still open when lutra stopped is kept
    local calls = json_lines(rec)
    assert.are.equal("lutra-record", calls[1].format)
    assert.is_truthy(calls[#calls]["end"])
  end)
end)

describe("lutra trace -c", function()
  it("sizes the name column to the longest name", function()
    local out, err, code = H.lutra("trace -c compute_the_monthly_statement_of_every_account_in_the_ledger tiny -- " ..
      H.target("longnames"))
    assert.are.equal(0, code, err)
    local rows = lines_of(out:match("(FUNCTION.*)$"))
    assert.are.equal(3, #rows, out)
    -- the CALLS column ends at the same place on every row
    local ends = {}
    for i, l in ipairs(rows) do ends[i] = select(2, l:find(i == 1 and "CALLS" or "^%S+%s+%d+")) end
    assert.are.equal(ends[1], ends[2], out)
    assert.are.equal(ends[1], ends[3], out)
    assert.matches("\ncompute_the_monthly_statement_of_every_account_in_the_ledger +2 ", out)
    assert.matches("\ntiny +3 ", out)
  end)
end)

describe("lutra trace --max-depth", function()
  -- down(10000) recurses 10,001 calls deep: the text lines stop at the
  -- depth, the other outputs keep every call.
  local prog = H.target("recurse") .. " 10000"

  it("prints calls at most 64 deep by default and says how many it left out", function()
    -- to a file: the program's own output would land between lutra's lines
    local f = H.tmpname()
    local _, err, code = H.lutra("trace -o " .. f .. " -a 1 down leaf -- " .. prog)
    assert.are.equal(0, code, err)
    local out = H.slurp(f)
    local lines = lines_of(out)
    assert.are.equal("(9937 calls deeper than --max-depth 64 not shown)", lines[#lines])
    local downs, deepest = 0, 0
    for _, l in ipairs(lines) do
      local indent = l:match("^%d+ +( *)down%(")
      if indent then
        downs = downs + 1
        deepest = math.max(deepest, #l:match("^%d+ ( *)") // 2)
      end
    end
    assert.are.equal(64, downs)
    assert.is_true(deepest <= 64 + 4) -- the tid column's padding, then 2 per level
    assert.is_true(#out < 100000, #out .. " bytes")
  end)

  it("takes N, and -c, --json and --record keep every call", function()
    local out, _, code = H.lutra("trace --max-depth 3 -a 1 down -- " .. H.target("recurse") .. " 10")
    assert.are.equal(0, code)
    local shown = 0
    for l in out:gmatch("[^\n]+") do if l:match("down%(") then shown = shown + 1 end end
    assert.are.equal(3, shown)
    assert.matches("%(8 calls deeper than %-%-max%-depth 3 not shown%)\n$", out)

    out = H.lutra("trace -c --max-depth 3 down -- " .. prog)
    assert.matches("\ndown +10001 ", out)
    local f, rec = H.tmpname(), H.tmpname()
    H.lutra("trace --json -o " .. f .. " --record " .. rec .. " --max-depth 3 down -- " .. prog)
    assert.are.equal(10001, #json_lines(f))
    assert.are.equal(10001 + 2, #json_lines(rec))
  end)

  it("refuses a depth that is no number", function()
    local _, err, code = H.lutra("trace --max-depth deep down -- " .. prog)
    assert.are.equal(2, code)
    assert.matches("--max-depth: 'deep' is not a depth of at least 1", err, 1, true)
  end)
end)

describe("lutra trace -f", function()
  it("follows forks, and each line carries its process's pid", function()
    local out, err, code = H.lutra("trace -f -a 1 work -- " .. H.target("forker") .. " 3")
    assert.are.equal(0, code, err)
    assert.matches("children ok", out)
    local by_arg = {}
    for pid, tid, arg in out:gmatch("\n?(%d+) +(%d+) +work%((%w+)%)") do
      by_arg[math.tointeger(tonumber(arg))] = {pid = tonumber(pid), tid = tonumber(tid)}
    end
    -- the raw argument: work(int -1) leaves 0xffffffff in rdi
    local parent = by_arg[0xffffffff]
    assert.is_truthy(parent, out)
    assert.are.equal(parent.pid, parent.tid)
    local pids = {}
    for i = 0, 2 do
      local c = by_arg[i]
      assert.is_truthy(c, "work(" .. i .. ") is missing:\n" .. out)
      assert.are_not.equal(parent.pid, c.pid)
      pids[c.pid] = true
    end
    local n = 0
    for _ in pairs(pids) do n = n + 1 end
    assert.are.equal(3, n)
  end)

  it("without -f, the children's calls are not traced and the lines have no pid column", function()
    local out, _, code = H.lutra("trace -a 1 work -- " .. H.target("forker") .. " 3")
    assert.are.equal(0, code)
    local n = 0
    for l in out:gmatch("[^\n]+") do
      if l:match("work%(") then
        n = n + 1
        assert.matches("^%d+ +work%(0xffffffff%) = 0xfffffffe  ", l)
      end
    end
    assert.are.equal(1, n)
  end)
end)

describe("lutra trace and execve", function()
  -- strace -f -e execve on the same program: execve("/bin/true", ...) = 0, once.
  it("ends a successful execve's line with = <exec> and counts it", function()
    local prog = H.target("execer")
    local out, err, code = H.lutra("trace -a 1 before_exec libc.so.6:execve -- " .. prog)
    assert.are.equal(0, code, err)
    assert.matches("libc%.so%.6:execve%(0x%x+%) = <exec>  [%d.]+ us\n", out)
    assert.matches("before_exec%(%-?%w+%) = ", out)

    out = H.lutra("trace -c libc.so.6:execve -- " .. prog)
    assert.matches("\nlibc%.so%.6:execve +1 ", out)

    local f = H.tmpname()
    H.lutra("trace --json -o " .. f .. " libc.so.6:execve -- " .. prog)
    local calls = json_lines(f)
    assert.are.equal(1, #calls)
    assert.is_true(calls[1].exec)
    assert.is_nil(calls[1].ret)
  end)
end)

describe("lutra trace --chrome", function()
  -- The Trace Event Format (Google's document): {"traceEvents": [...]};
  -- a complete event has ph "X", name, ts and dur in microseconds, pid,
  -- tid; metadata events (ph "M") name processes and threads in args.name.
  it("writes trace-event JSON: complete events, thread names, nested calls inside their callers", function()
    local f = H.tmpname()
    local out, err, code = H.lutra("trace --chrome " .. f .. " -a 1 fib -- " .. H.target("fib") .. " 4")
    assert.are.equal(0, code, err)
    assert.matches("fib%(4%) = 3", out) -- the text lines are still printed
    local doc = cjson.decode(H.slurp(f))
    assert.is_table(doc.traceEvents)
    local complete, threads, procs = {}, {}, {}
    for _, e in ipairs(doc.traceEvents) do
      assert.is_string(e.name)
      assert.is_true(math.tointeger(e.pid) ~= nil and math.tointeger(e.tid) ~= nil)
      if e.ph == "X" then
        assert.is_number(e.ts)
        assert.is_number(e.dur)
        assert.is_true(e.ts >= 0 and e.dur >= 0)
        assert.are.equal("fib", e.name)
        assert.are.equal("fib", e.cat)
        assert.is_number(e.args.arg1)
        assert.is_number(e.args.ret)
        complete[#complete + 1] = e
      elseif e.ph == "M" then
        if e.name == "thread_name" then threads[e.tid] = e.args.name end
        if e.name == "process_name" then procs[e.pid] = e.args.name end
      else
        error("unexpected event phase " .. tostring(e.ph))
      end
    end
    -- fib(4) makes 9 calls, one thread, named after the program
    assert.are.equal(9, #complete)
    local pid = complete[1].pid
    assert.are.equal("fib", threads[pid])
    assert.are.equal("fib", procs[pid])
    -- each call lies inside the call of its caller (fib(n) calls fib(n-1), fib(n-2))
    local top
    for _, e in ipairs(complete) do if e.args.arg1 == 4 then top = e end end
    assert.are.equal(3, top.args.ret)
    for _, e in ipairs(complete) do
      assert.is_true(e.ts >= top.ts and e.ts + e.dur <= top.ts + top.dur + 0.001)
    end
  end)

  it("has the same calls and times as --record and -c in the same run", function()
    local chrome, rec, c = H.tmpname(), H.tmpname(), H.tmpname()
    local _, err, code = H.lutra(string.format("trace -c -o %s --chrome %s --record %s price ship -- %s",
      c, chrome, rec, demo))
    assert.are.equal(0, code, err)
    local events = {}
    for _, e in ipairs(cjson.decode(H.slurp(chrome)).traceEvents) do
      if e.ph == "X" then events[#events + 1] = e end
    end
    local calls = json_lines(rec)
    table.remove(calls, 1) -- the header
    table.remove(calls)    -- the end
    assert.are.equal(12, #events)
    assert.are.equal(12, #calls)
    for i, e in ipairs(events) do
      assert.are.equal(calls[i].fn, e.name)
      assert.are.equal(calls[i].tid, e.tid)
      assert.is_true(math.abs(calls[i].dur - e.dur) < 0.1)
    end
    assert.matches("\nprice +6 ", H.slurp(c))
    assert.matches("\nship +6 ", H.slurp(c))
  end)

  it("writes addresses exactly (as \"0x...\" strings past 14 digits)", function()
    -- execve's argv is on the stack, at 0x7ff... (15 hex digits): a double
    -- with lua-cjson's 14 digits would round it
    local f, rec = H.tmpname(), H.tmpname()
    local out = H.lutra("trace -a 2 --record " .. rec .. " --json -o " .. f .. " libc.so.6:execve -- " ..
      H.target("execer"))
    local argv = json_lines(f)[1].args[2]
    assert.is_string(argv, out)
    assert.matches("^0x7ff%x+$", argv)
    assert.are.equal(argv, json_lines(rec)[2].args[2])
    local report = require("lutra.report").load(rec)
    assert.are.equal(math.tointeger(tonumber(argv)), report.calls[1].args[2])
  end)

  it("leaves args out with -a 0 (an empty table would read as an object)", function()
    local f = H.tmpname()
    H.lutra("trace --json -o " .. f .. " -a 0 price -- " .. demo)
    local calls = json_lines(f)
    assert.are.equal(6, #calls)
    assert.is_nil(calls[1].args)
    assert.are.equal(11, calls[1].ret)
  end)

  it("answers a file it cannot write with one line, before starting the program", function()
    local _, err, code = H.lutra("trace --chrome /no/such/dir/t.json price -- " .. demo)
    assert.are.equal(1, code)
    assert.are.equal("lutra trace: /no/such/dir/t.json: No such file or directory\n", err)
  end)
end)
