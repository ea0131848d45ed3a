-- go_spec: Go programs (spec/targets/go/gocalls.go, built with Debian's go
-- 1.19, and a copy stripped with -ldflags=-s -w): names as Go prints them,
-- from .gopclntab when stripped; probes past the stack-check prologue, so a
-- call that grows (and moves) the stack counts once; t:arg in Go's register
-- ABI; t:goroutine; return probes and trace nesting that follow a
-- goroutine across stack moves and threads. Every figure is checked
-- against the program's own output.
--
-- The second tools, on the same program (gocalls 4 1000 1000, which makes
-- 4000 Add calls and 4004 Deep calls):
--   bpftrace -e 'uprobe:./gocalls:main.Add { @add = count() }
--                uprobe:./gocalls:main.Deep { @deep = count() }' -c './gocalls 4 1000 1000'
--     @add: 4000, @deep: 4040 (its uprobe sits on the first instruction:
--     the 40 calls that grew the stack ran that instruction twice); and on
--     `gocalls 1 1 1`, uprobe:./gocalls:main.Huge counts 7 for Huge's 4 calls
--   adding `uretprobe:./gocalls:main.Deep { @ret = count() }` crashes the
--     program: "runtime: g 19: unexpected return pc for main.Deep called
--     from 0x7fffffffe000 / fatal error: unknown caller pc" (uretprobes
--     rewrite the return address, which Go's stack copier then reads)
--   gdb 13: `break main.Deep`, `main.Huge`, `main.Hop` go past the prologue
--     (+18, +26, +10 bytes), where lutra's do; with `ignore 1 1000000` it reports "breakpoint already
--     hit 4044 times" for Deep and 4034 for Add (4066/4077 on another run):
--     Go's preemption signal (SIGURG) arriving during gdb's step-over
--     replays the breakpoint; with `handle SIGURG nopass`, 4004 and 4001.
--     `info args` at main.Nine: a=1 ... i=9; at main.Greet: s="gopher",
--     times=7, as t:arg reads them (a string takes two words).
local lutra = require "lutra"
local H = require "helper"

local missing = H.slurp(H.target("go.missing"))
if missing then
  print("skipped: go_spec: " .. missing)
  os.exit(77)
end

local ENV = {"PATH=/usr/bin:/bin", "GOMAXPROCS=2"}

-- The program's own figures: workers by goroutine id, and main's line.
local function report(out)
  local text = assert(H.slurp(out))
  local r = {workers = {}, goroutines = {}}
  for w, g, sum, deep in text:gmatch("worker (%d+) goroutine (%d+) sum (%d+) deep (%d+)") do
    r.workers[#r.workers + 1] = {w = tonumber(w), g = tonumber(g), sum = tonumber(sum), deep = tonumber(deep)}
    r.goroutines[tonumber(g)] = true
  end
  local greet, nine, adds, deeps, huge = text:match("greet (%d+) nine (%d+) adds (%d+) deeps (%d+) huge (%d+)")
  assert(greet, "no summary line in: " .. text)
  r.greet, r.nine, r.adds, r.deeps, r.huge = tonumber(greet), tonumber(nine), tonumber(adds), tonumber(deeps), tonumber(huge)
  return r
end

local function spawn(prog, args, out)
  local argv = {H.target(prog)}
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return assert(lutra.spawn(argv, {stdout = out, env = ENV, pin = false}))
end

for _, prog in ipairs({"gocalls", "gocalls_stripped"}) do
  describe("Go (" .. prog .. ")", function()
    it("names functions as Go prints them and maps pcs back to them", function()
      local p = spawn(prog, {}, "/dev/null")
      for _, name in ipairs({"main.Add", "main.(*Counter).Bump", "main.Deep", "runtime.mallocgc"}) do
        assert.is_truthy(p:symbol(name), name)
      end
      -- a Go function and its ABI0 wrapper (for assembly callers) share a
      -- name in .gopclntab; the wrapper is "name.abi0", as in .symtab
      local go, abi0 = p:symbol("runtime.goexit1"), p:symbol("runtime.goexit1.abi0")
      assert.is_truthy(go and abi0 and go ~= abi0)
      local deep = p:symbol("main.Deep")
      local name, off, mod = p:symbolize(deep + 5)
      assert.are.same({"main.Deep", 5, "gocalls" .. (prog == "gocalls" and "" or "_stripped")},
        {name, off, mod})
      local names = {}
      for _, s in ipairs(p:symbols("main.*")) do names[s.name] = s.type end
      for _, n in ipairs({"main.Add", "main.(*Counter).Bump", "main.Greet", "main.Nine", "main.Deep", "main.Hop", "main.main"}) do
        assert.are.equal("function", names[n], n)
      end
      p:kill()
    end)

    it("counts each call once though the stack grows and moves under it", function()
      local out = H.tmpname()
      local p = spawn(prog, {"4", "1000", "1000"}, out)
      local deep = p:break_at("main.Deep")
      local add = p:break_at("main.Add")
      local huge = p:break_at("main.Huge")
      local hop = p:break_at("main.Hop")
      -- Probes sit past the stack check, where gdb puts its breakpoints:
      -- Deep's (lea, cmp, jbe: 18 bytes), Huge's (mov, sub, jb, cmp, jbe:
      -- 26), Hop's (cmp, jbe: 10). Add is a leaf without one.
      assert.are.equal(p:symbol("main.Deep") + 18, deep.address)
      assert.are.equal(p:symbol("main.Huge") + 26, huge.address)
      assert.are.equal(p:symbol("main.Hop") + 10, hop.address)
      assert.are.equal(p:symbol("main.Add"), add.address)
      assert.are.same({reason = "exited", code = 0}, p:run())
      local r = report(out)
      assert.are.equal(4004, r.deeps)
      assert.are.equal(r.deeps, deep.hits)
      assert.are.equal(r.adds, add.hits)
      assert.are.equal(3, r.huge)
      assert.are.equal(4, huge.hits) -- Huge(3) .. Huge(0), each on a new stack
    end)

    it("reads arguments and results in Go's registers, a string as two words", function()
      local out = H.tmpname()
      local p = spawn(prog, {"2", "5", "3"}, out)
      local nine, greet, sums = {}, {}, {}
      p:break_at("main.Nine", function(t) for i = 1, 9 do nine[i] = t:arg(i) end end)
      p:break_at("main.Greet", {handler = function(t)
        greet = {p:read(t:arg(1), t:arg(2)), t:arg(3)}
        assert.has_error(function() t:arg(10) end, "thread " .. t.tid .. ": Go passes at most 9 integer words in registers (argument 10 asked)")
      end, on_return = function(t, ret) greet[3] = ret end})
      p:break_at("main.Add", {on_return = function(t, ret)
        local g = t:goroutine()
        sums[g] = ret -- the last sum each goroutine got back
      end})
      assert.are.same({reason = "exited", code = 0}, p:run())
      local r = report(out)
      assert.are.same({1, 2, 3, 4, 5, 6, 7, 8, 9}, nine)
      assert.are.same({"gopher", 7, r.greet}, greet)
      assert.are.equal(285, r.nine)
      for _, w in ipairs(r.workers) do assert.are.equal(w.sum, sums[w.g]) end
    end)

    it("knows the goroutine, and says ENOTGO outside Go code", function()
      local out = H.tmpname()
      local p = spawn(prog, {"4", "10", "5"}, out)
      local t0 = p:threads()[1]
      local id, msg, code = t0:goroutine() -- at exec: in the runtime's assembly entry
      assert.are.same({nil, "ENOTGO"}, {id, code})
      assert.matches("is not in Go code", msg)
      local seen = {}
      p:break_at("main.(*Counter).Bump", function(t) seen[t:goroutine()] = true end)
      p:run()
      assert.are.same(report(out).goroutines, seen)
      local c = assert(lutra.spawn({H.target("loop")}, {stdout = "null"}))
      c:break_at("work", {once = true, handler = function(t)
        assert.are.same({nil, "ENOTGO"}, {select(1, t:goroutine()), select(3, t:goroutine())})
      end})
      c:run()
    end)

    it("returns from every call to the frame that made it, across stack moves", function()
      local out = H.tmpname()
      local p = spawn(prog, {"4", "100", "1000"}, out)
      local calls, returns, wrong = 0, 0, 0
      local pending = {} -- goroutine -> stack of Deep's argument
      p:break_at("main.Deep", {handler = function(t)
        calls = calls + 1
        local g = assert(t:goroutine())
        pending[g] = pending[g] or {}
        table.insert(pending[g], t:arg(1))
      end, on_return = function(t, ret)
        returns = returns + 1
        -- Deep(n) returns n: the frame returning is the last one entered
        if table.remove(pending[t:goroutine()]) ~= ret then wrong = wrong + 1 end
      end})
      assert.are.same({reason = "exited", code = 0}, p:run())
      local r = report(out)
      assert.are.equal(r.deeps, calls)
      assert.are.equal(r.deeps, returns)
      assert.are.equal(0, wrong)
      for _, w in ipairs(r.workers) do assert.are.equal(1000, w.deep) end
    end)

    it("returns to a goroutine the runtime moved to another thread", function()
      local out = H.tmpname()
      local p = spawn(prog, {"hop", "10"}, out)
      local entered, returned, rets = {}, {}, {}
      p:break_at("main.Hop", {handler = function(t) entered[t.tid] = true end,
        on_return = function(t, ret) returned[t.tid] = true; rets[#rets + 1] = ret end})
      assert.are.same({reason = "exited", code = 0}, p:run())
      local h, before, after = H.slurp(out):match("hop (%d+) tid (%d+) %-> (%d+)")
      before, after = math.tointeger(tonumber(before)), math.tointeger(tonumber(after))
      assert.are_not.equal(before, after) -- the program's word that it moved
      assert.are.same({[before] = true}, entered)
      assert.are.same({[after] = true}, returned)
      assert.are.same({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, rets)
      assert.are.equal("10", h)
    end)

    it("traces Go calls with 9 arguments, nested by goroutine", function()
      local out, err, code = H.lutra("trace -a 9 main.Nine -- " .. H.target(prog) .. " 1 1 1")
      assert.are.equal(0, code, err)
      assert.matches("%d+ +main%.Nine%(1, 2, 3, 4, 5, 6, 7, 8, 9%) = 285 ", out)
      out, err, code = H.lutra("trace --json main.Hop -- " .. H.target(prog) .. " hop 4")
      assert.are.equal(0, code, err)
      local after = math.tointeger(tonumber(out:match("hop 4 tid %d+ %-> (%d+)")))
      local depths = {}
      for line in out:gmatch("[^\n]+") do
        if line:sub(1, 1) == "{" then
          local j = require("cjson").decode(line)
          depths[j.args[1] + 1] = j.depth
          -- printed at its return, on the thread the goroutine moved to
          assert.are.same({after, nil}, {j.tid, j.unwound})
        end
      end
      assert.are.same({5, 4, 3, 2, 1}, depths) -- Hop(0) is the innermost call
      out, err, code = H.lutra("trace -a 10 main.Nine -- " .. H.target(prog))
      assert.are.equal(2, code)
      assert.matches("-a takes 0 to 9", err)
    end)
  end)
end
