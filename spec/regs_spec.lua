-- regs_spec: Regs by name in the seed's order, by index, pairs, pc/sp, and
-- writes that go through to the thread (the program sees them).
local lutra = require "lutra"
local H = require "helper"

local ORDER = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
  "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"}

local function stop_at(p, name)
  local bp = p:break_at(name, {once = true, handler = function() return "stop" end})
  local r = p:run()
  assert.are.equal("stopped", r.reason)
  return r.thread, bp
end

describe("Regs", function()
  it("names the 24 registers in the seed's order, by name, index and pairs", function()
    local p = assert(lutra.spawn({H.target("loop"), "3"}, {stdout = "null"}))
    local t = stop_at(p, "work")
    local r = t:regs()
    assert.are.same(ORDER, r:names())
    for i, name in ipairs(ORDER) do assert.are.equal(r[name], r:get(i)) end
    local seen = {}
    for name, v in pairs(r) do
      seen[#seen + 1] = name
      assert.are.equal(r[name], v)
    end
    assert.are.same(ORDER, seen)
    assert.are.equal(r.rip, r.pc)
    assert.are.equal(r.rsp, r.sp)
    assert.is_nil(r.link)
    assert.are.equal(p:symbol("work"), r.pc)
    assert.matches("^rax%s+0x%x+\n", tostring(r))
    p:kill()
  end)

  it("write through: a changed argument changes what the program prints", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("loop"), "0"}, {stdout = out}))
    local t = stop_at(p, "add")
    local r = t:regs()
    assert.are.equal(2, r.rdi)
    r.rdi = 40
    assert.are.equal(40, r.rdi)
    r:set(5, 10) -- rsi
    assert.are.equal(40, t:regs().rdi)
    p:run()
    assert.matches("add=50", H.slurp(out))
  end)

  it("set_retval changes what the caller gets", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("loop"), "0"}, {stdout = out}))
    p:break_at("add", {on_return = function(t, rv)
      assert.are.equal(5, rv)
      t:set_retval(99)
    end})
    p:run()
    assert.matches("add=99", H.slurp(out))
  end)

  it("refuses registers of a running thread, in the seed's words", function()
    local pid = H.start(H.target("spin"), "ready")
    local p = assert(lutra.attach(pid))
    local t = p:threads()[1]
    local r = t:regs()
    assert(p:cont())
    local ok, err = pcall(t.regs, t)
    assert.is_false(ok)
    assert.matches("thread " .. t.tid .. ": cannot get registers in state Running", err, 1, true)
    ok, err = pcall(function() r.rax = 1 end)
    assert.is_false(ok)
    assert.matches("cannot set registers in state Running", err, 1, true)
    ok, err = pcall(t.stopped, t)
    assert.matches("cannot get stop cause in state Running", err, 1, true)
    assert(p:detach())
    os.execute("kill -TERM " .. pid)
    assert.is_true(H.wait_gone(pid))
  end)

  it("reads arguments past the sixth from the stack", function()
    local p = assert(lutra.spawn({H.target("args")}, {stdout = "null"}))
    local t = stop_at(p, "eight")
    for i = 1, 8 do assert.are.equal(i * 11, t:arg(i)) end
    p:kill()
  end)
end)
