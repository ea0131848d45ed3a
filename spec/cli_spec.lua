-- cli_spec: the lutra command: exit statuses, -e, -p, usage and script
-- errors, cleanup on SIGINT/SIGTERM, and `lutra trace`.
local H = require "helper"

local script = H.script

-- Polls a file until it holds `pattern` (bounded, 10 s); returns the match.
local function await_file(path, pattern)
  return H.await(function() return (H.slurp(path) or ""):match(pattern) end, pattern .. " in " .. path)
end

describe("lutra command", function()
  it("prints its version and help", function()
    local out, _, code = H.lutra("--version")
    assert.are.equal(0, code)
    assert.are.equal("lutra 0.1.0\n", out)
    out, _, code = H.lutra("--help")
    assert.are.equal(0, code)
    assert.matches("usage: lutra SCRIPT.lua", out, 1, true)
  end)

  it("answers usage errors with status 2 and a usage line", function()
    local _, err, code = H.lutra("--bogus x.lua")
    assert.are.equal(2, code)
    assert.matches("lutra: unknown option '--bogus'", err, 1, true)
    assert.matches("usage:", err, 1, true)
    _, err, code = H.lutra("")
    assert.are.equal(2, code)
    assert.matches("no script given", err, 1, true)
    _, err, code = H.lutra("-p")
    assert.are.equal(2, code)
  end)

  it("runs the target to its end even through handlers that say stop", function()
    local _, _, code = H.lutra("-e 'lutra.target:break_at(\"work\", function() return \"stop\" end)' -- " ..
      H.target("loop") .. " 5")
    assert.are.equal(6, code)
  end)

  it("exits with the target's status, 128+signal when it was killed", function()
    local _, _, code = H.lutra("-e 'x = 1' -- " .. H.target("loop") .. " 5")
    assert.are.equal(6, code)
    local _, _, code2 = H.lutra("-e 'lutra.target:kill()' -- " .. H.target("loop"))
    assert.are.equal(137, code2)
    local _, _, code3 = H.lutra("-e 'lutra.target:break_at(\"work\", function() return \"detach\" end)' -- " .. H.target("loop"))
    assert.are.equal(0, code3)
    local _, _, code4 = H.lutra("-e 'os.exit(9)' -- " .. H.target("loop"))
    assert.are.equal(9, code4)
  end)

  it("passes script arguments in ... and arg, and the target in lutra.target", function()
    local s = script([[
      local a, b = ...
      print(a, b, arg[1], arg[2], arg[0] ~= nil, lutra.target ~= nil, require("lutra") == lutra)
    ]])
    local out, _, code = H.lutra(s .. " one two")
    assert.are.equal(0, code)
    assert.are.equal("one\ttwo\tone\ttwo\ttrue\tfalse\ttrue\n", out)
  end)

  it("reports script errors with file:line and status 1", function()
    local _, err, code = H.lutra(script("local x = = 1"))
    assert.are.equal(1, code)
    assert.matches("lua:1:", err)
    local s = script("\n\nerror('broken here')\n")
    _, err, code = H.lutra(s)
    assert.are.equal(1, code)
    assert.matches(s .. ":3: broken here", err, 1, true)
    _, err, code = H.lutra("/no/such/script.lua")
    assert.are.equal(1, code)
    assert.matches("cannot open /no/such/script.lua", err, 1, true)
  end)

  it("answers a missing program with one line and 127", function()
    local _, err, code = H.lutra("-e 'x=1' -- ./no-such-program")
    assert.are.equal(127, code)
    assert.are.equal("lutra: cannot spawn ./no-such-program: No such file or directory\n", err)
  end)

  it("kills a spawned target when the script fails", function()
    local s = script([[
      local f = io.open(arg[1], "w") f:write(lutra.target.pid) f:close()
      error("stop here")
    ]])
    local pidfile = H.tmpname()
    local _, _, code = H.lutra(s .. " " .. pidfile .. " -- " .. H.target("spin"))
    assert.are.equal(1, code)
    local pid = H.slurp(pidfile)
    assert.is_true(H.wait_gone(pid))
  end)

  it("on SIGINT inside a stop = thread handler, puts back the hitting thread's pc before detaching", function()
    -- The other thread runs while the handler loops: cleanup has to stop it
    -- first, and the hitting thread, rewound onto the breakpoint in lutra's
    -- register cache, must get that pc back (else it resumes past the int3
    -- in the middle of the function and crashes).
    local pid, progout = H.start(H.target("spin"), "ready")
    local s = script([[
      local f = io.open("/proc/self/stat") local me = f:read("n") f:close()
      local p = lutra.target
      p:break_at("tick", {stop = "thread", handler = function(t, bp)
        if bp.hits == 3 then
          local o = io.open(arg[1], "w") o:write("ready ", me, "\n") o:close()
          while true do end -- until the signal
        end
      end})
      p:run()
    ]])
    local sync, status = H.tmpname(), H.tmpname()
    os.execute(string.format("(%s -p %d %s %s >/dev/null 2>%s.err; echo $? > %s) &",
      H.lutra_bin, pid, s, sync, status, status))
    local lutra_pid = await_file(sync, "ready (%d+)")
    os.execute("kill -INT " .. lutra_pid)
    assert.are.equal("130", await_file(status, "(%d+)"))
    assert.are.equal("lutra: interrupted by SIGINT\n", H.slurp(status .. ".err"))
    H.assert_spin_intact(pid, progout)
  end)

  for _, sig in ipairs({"INT", "TERM"}) do
    it("on SIG" .. sig .. " detaches an attached target, which keeps running with its text intact", function()
      local pid, progout = H.start(H.target("spin"), "ready")
      local s = script([[
        local f = io.open("/proc/self/stat") local me = f:read("n") f:close()
        local p = lutra.target
        p:break_at("tick", function(t, bp)
          if bp.hits == 3 then
            local o = io.open(arg[1], "w") o:write("ready ", me, "\n") o:close()
          end
        end)
        p:run()
      ]])
      local sync, status = H.tmpname(), H.tmpname()
      os.execute(string.format("(%s -p %d %s %s >/dev/null 2>%s.err; echo $? > %s) &",
        H.lutra_bin, pid, s, sync, status, status))
      local lutra_pid = await_file(sync, "ready (%d+)")
      os.execute("kill -" .. sig .. " " .. lutra_pid)
      assert.are.equal(({INT = "130", TERM = "143"})[sig], await_file(status, "(%d+)"))
      assert.matches("interrupted", H.slurp(status .. ".err"))
      H.assert_spin_intact(pid, progout)
    end)
  end
end)

-- A file holding these lines: what a user types at the prompt.
local function lines_file(lines)
  local input = H.tmpname()
  io.open(input, "w"):write(table.concat(lines, "\n") .. "\n"):close()
  return input
end

describe("lutra -i", function()
  it("evaluates lines with the target at hand, and run goes on from the prompt", function()
    local input = lines_file({
      "p.pid > 0",
      "bp = p:break_at('work', function() return 'stop' end)",
      "r = p:run()",
      "r.reason, r.thread:arg(1)",
      "p:run().reason",
      "bp.hits",
      "wrok(",
      "quit",
      "bp.hits", -- the third hit stops again: back at the prompt
      "bp:remove()",
      "quit",
    })
    local out, err, code = H.sh(H.lutra_bin .. " -i -- " .. H.target("loop") .. " 3 < " .. input)
    assert.are.equal(6, code, err) -- after quit, the target runs to its end
    assert.matches("the target is p %(pid %d+, stopped%)", out)
    assert.matches("lutra> true\n", out)
    assert.matches("lutra> stopped\t0\n", out, 1, false)
    assert.matches("lutra> stopped\n", out)
    assert.matches("lutra> 2\n", out)
    assert.matches("unexpected symbol near <eof>", out)
    assert.matches("stopped: thread %d+, breakpoint at 0x%x+\nlutra %S+: the target is p", out)
    assert.matches("lutra> 3\n", out)
  end)
end)

describe("lutra -i on a terminal", function()
  it("edits lines with readline through a pty and keeps a history", function()
    if not os.execute("command -v script >/dev/null") then
      error("script(1) (util-linux) is needed to drive a pty")
    end
    local home = H.tmpname() .. ".home"
    os.execute("mkdir -p " .. home)
    local input = lines_file({
      "p.pid > 0",
      "bp = p:break_at('work', function() return 'stop' end)",
      "r = p:run()",
      "r.reason, r.thread:arg(1)",
      "quit",
      "bp:remove()",
      "quit",
    })
    -- script(1) gives lutra a pseudo-terminal as stdin and stdout.
    -- Under ASan, leaks are not checked here: libreadline keeps its
    -- history and keymaps until exit, by design (the same session without
    -- a terminal, in the spec above, is checked).
    local out, err, code = H.sh(string.format("ASAN_OPTIONS=detect_leaks=0 HOME=%s TERM=dumb script -qec '%s -i -- %s 3' /dev/null < %s",
      home, H.lutra_bin, H.target("loop"), input))
    local history = H.slurp(home .. "/.lutra_history") or ""
    os.execute("rm -rf " .. home)
    assert.are.equal(6, code, err) -- script -e: the status of lutra, the target's
    out = out:gsub("\r", "")
    assert.matches("the target is p %(pid %d+, stopped%)", out)
    assert.matches("lutra> p.pid > 0\ntrue\n", out, 1, true)
    assert.matches("lutra> r.reason, r.thread:arg(1)\nstopped\t0\n", out, 1, true)
    assert.matches("stopped: thread %d+, breakpoint at 0x%x+\nlutra %S+: the target is p", out)
    assert.matches("counter=42", out, 1, true) -- the program ran to its end
    assert.matches("r = p:run()", history, 1, true)
    assert.matches("bp:remove()", history, 1, true)
  end)
end)

describe("lutra trace", function()
  it("logs each call with thread, arguments, return value and duration", function()
    local out, err, code = H.lutra("trace -o /dev/stdout price ship -- " .. H.build .. "/demo")
    assert.are.equal(0, code, err)
    local lines = {}
    for l in out:gmatch("[^\n]+") do
      if l:match("^%d+ ") then lines[#lines + 1] = l end
    end
    assert.are.equal(12, #lines)
    -- demo has DWARF: arguments by name, as many as each function has
    assert.matches("^%d+%s+price%(qty=1, unit=11%) = 11  [%d.]+ us$", lines[1])
    assert.matches("^%d+%s+ship%(order=1, amount=11%) = 0  [%d.]+ us$", lines[2])
  end)

  it("indents nested calls by depth", function()
    local out, _, code = H.lutra("trace -a 1 fib -- " .. H.target("fib") .. " 3")
    assert.are.equal(0, code)
    local calls = {}
    for l in out:gmatch("[^\n]+") do
      -- the thread id takes 7 columns and a space; the indent follows
      local indent, arg, ret = l:sub(9):match("^( *)fib%((%d+)%) = (%d+)")
      if indent then calls[#calls + 1] = {#indent // 2, tonumber(arg), tonumber(ret)} end
    end
    -- fib(3) -> fib(2) -> fib(1), fib(0); fib(1); printed at return
    assert.are.same({{2, 1, 1}, {2, 0, 0}, {1, 2, 1}, {1, 1, 1}, {0, 3, 2}}, calls)
  end)

  it("writes one JSON object per call with --json", function()
    local f = H.tmpname()
    local _, _, code = H.lutra("trace --json -o " .. f .. " price -- " .. H.build .. "/demo")
    assert.are.equal(0, code)
    local cjson = require "cjson"
    local n = 0
    for l in io.lines(f) do
      local o = cjson.decode(l)
      n = n + 1
      assert.are.equal("price", o.fn)
      assert.are.equal(n * (10 + n), o.ret)
      assert.are.equal(n, o.args[1])
      assert.are.same({name = "qty", type = "long int", value = n}, o.typed.args[1]) -- demo has DWARF
      assert.is_number(o.us)
    end
    assert.are.equal(6, n)
  end)

  it("counts calls and time per function with -c", function()
    local out, _, code = H.lutra("trace -c 'p*' ship -- " .. H.build .. "/demo")
    assert.are.equal(0, code)
    assert.matches("FUNCTION%s+CALLS%s+TOTAL us%s+AVG us", out)
    assert.matches("\nprice%s+6%s+[%d.]+%s+[%d.]+", out)
    assert.matches("\nship%s+6%s+", out)
  end)

  it("rejects bad usage with status 2", function()
    local _, err, code = H.lutra("trace -- " .. H.target("loop"))
    assert.are.equal(2, code)
    assert.matches("no function pattern given", err, 1, true)
    _, err, code = H.lutra("trace work")
    assert.are.equal(2, code)
  end)
end)
