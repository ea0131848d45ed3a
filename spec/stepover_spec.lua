-- stepover_spec: a breakpoint on each kind of instruction is stepped over
-- correctly (the program's result does not change) and the way lutra
-- expects: emulated in the tracer, run out of line, or single-stepped.
local lutra = require "lutra"
local H = require "helper"

-- where: symbol name, or {symbol, offset}; how: the stats counter that moves
local CASES = {
  {"endbr64", "ins_endbr", "emulated"},
  {"push %rbx", "ins_push", "emulated"},
  {"push %rsp", "ins_pushrsp", "emulated"},
  {"RIP-relative load", "ins_riprel", "displaced"},
  {"RIP-relative lea", "ins_lea", "displaced"},
  {"call rel32", "ins_call", "emulated"},
  {"jmp rel8", "ins_jmp8", "emulated"},
  {"je rel8, taken and not", {"ins_jcc", 3}, "emulated"},
  {"jne rel32, taken and not", {"ins_jcc32", 2}, "emulated"},
  {"ret", "ins_ret_at", "emulated"},
  {"jmp *disp(%rip) (single-stepped)", "ins_stepped", "steps"},
}

describe("step-over", function()
  for _, case in ipairs(CASES) do
    local what, where, how = case[1], case[2], case[3]
    it("of " .. what .. " keeps the program right, one stop per hit", function()
      local out = H.tmpname()
      local p = assert(lutra.spawn({H.target("insns"), "100"}, {stdout = out}))
      local addr = type(where) == "table" and p:symbol(where[1]) + where[2] or p:symbol(where)
      local bp = p:break_at(addr)
      assert.are.same({reason = "exited", code = 0}, p:run())
      assert.are.equal("sum=13300\n", H.slurp(out))
      assert.are.equal(100, bp.hits)
      local s = p:stats()
      assert.are.equal(100, s[how])
      if how ~= "steps" then
        assert.are.equal(0, s.steps)
        assert.is_true(s.stops <= s.hits + 3, "stops " .. s.stops)
      end
    end)
  end

  it("of every kind at once, from 4 threads in parallel loops", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("threads"), "4", "3000"}, {stdout = out}))
    local a = p:break_at("hit_riprel")
    local b = p:break_at("hit")
    p:run()
    assert.are.equal(12000, a.hits)
    assert.are.equal(12000, b.hits)
    assert.are.equal("total=12000\n", H.slurp(out))
  end)

  it("with stop = 'thread' stops only the hitting thread, and counts exactly", function()
    local p = assert(lutra.spawn({H.target("threads"), "4", "3000"}, {stdout = "null"}))
    local others_running = 0
    local bp = p:break_at("hit_riprel", {stop = "thread", handler = function(t)
      assert.are.equal("StoppedBreakpoint", t.state)
      for _, o in ipairs(p:threads()) do
        if o.state == "Running" then others_running = others_running + 1 break end
      end
    end})
    p:run()
    assert.are.equal(12000, bp.hits)
    assert.is_true(others_running > 1000, "others ran in " .. others_running .. " hits")
    local s = p:stats()
    assert.is_true(s.stops < s.hits * 1.2, string.format("%d stops for %d hits", s.stops, s.hits))
  end)

  it("with stop = 'thread' a handler's stop still stops the whole process", function()
    local p = assert(lutra.spawn({H.target("threads"), "4", "3000"}, {stdout = "null"}))
    p:break_at("hit_riprel", {stop = "thread", handler = function(_, bp)
      if bp.hits == 100 then return "stop" end
    end})
    local r = p:run()
    assert.are.equal("stopped", r.reason)
    assert.are.equal("stopped", p.state)
    for _, t in ipairs(p:threads()) do assert.is_truthy(t.state:match("^Stopped"), t.state) end
    p:kill()
  end)

  it("refuses stop = 'thread' with on_return (its return site is set during the hit)", function()
    local p = assert(lutra.spawn({H.target("threads"), "1", "1"}, {stdout = "null"}))
    assert.has_error(function() p:break_at("hit", {stop = "thread", on_return = print}) end,
      'break_at: on_return needs stop = "all" (its return site is set during the hit)')
    assert.is_false(p:has_breakpoint(p:symbol("hit"))) -- nothing set
    p:kill()
  end)

  it("rewrites its out-of-line copy when the program's bytes under the breakpoint change", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("insns"), "2"}, {stdout = out}))
    local riprel = p:symbol("ins_riprel")
    local bp = p:break_at(riprel, function(t, b)
      if b.hits == 1 then
        -- mov ins_value(%rip),%eax -> mov $42,%eax (5 bytes) + nop
        assert(p:write(riprel, "\xb8\x2a\x00\x00\x00\x90"))
      end
    end)
    p:run()
    assert.are.equal(2, bp.hits)
    -- round 1: 61 - 3 + 42 (the write happens at the first hit, before it runs)
    assert.are.equal("sum=" .. (61 - 3 + 42 + 205 - 3 + 42) .. "\n", H.slurp(out))
  end)
end)

describe("a hit of a function starting with endbr64", function()
  -- The int3 over endbr64's first byte: the thread goes on where the trap
  -- left it (0f 1e fa is a hint nop), so a hit writes no register: wait4,
  -- GETREGS and CONT, 3 syscalls (a push or a RIP-relative load needs a
  -- SETREGS too: 4).
  local function run(handler)
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("endbr"), "2000"}, {stdout = out}))
    local bp = p:break_at("add1", handler)
    assert.are.equal("\xf3", p:read(bp.address, 1))
    assert.are.same({reason = "exited", code = 0}, p:run({timeout = 20}))
    return bp, p:stats(), H.slurp(out)
  end

  it("costs 3 syscalls and runs the function as it was", function()
    local bp, s, out = run(function() end)
    assert.are.equal(2000, bp.hits)
    assert.is_true(s.syscalls_per_hit < 3.05, string.format("%.2f syscalls per hit", s.syscalls_per_hit))
    assert.are.equal("sum=" .. (2000 * 2001 // 2) .. "\n", out)
  end)

  it("shows the function's address as pc, in the registers and the backtrace", function()
    local bp = run(function(t, b)
      assert.are.equal(b.address, t:regs().pc)
      assert.are.equal(b.address, t:backtrace(1)[1].pc)
    end)
    assert.are.equal(2000, bp.hits)
  end)

  it("lets a handler's register write take effect", function()
    local bp, _, out = run(function(t)
      local r = t:regs()
      r.rdi = 0 -- add1(0) every time
    end)
    assert.are.equal(2000, bp.hits)
    assert.are.equal("sum=2000\n", out)
  end)

  it("goes on right when the handler removes the breakpoint", function()
    local bp, _, out = run({once = true})
    assert.are.equal(1, bp.hits)
    assert.are.equal("sum=" .. (2000 * 2001 // 2) .. "\n", out)
  end)
end)
