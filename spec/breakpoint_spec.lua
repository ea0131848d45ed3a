-- breakpoint_spec: the seed's AddBreakpoint/RemoveBreakpoint, Continue
-- stepping threads over breakpoints, exact hit counts under many threads,
-- and memory that never shows (or keeps) an int3 it should not.
local lutra = require "lutra"
local H = require "helper"

-- Low-layer loop: cont, wait_stop, count breakpoint causes per pc.
local function count_hits(p)
  local hits, kinds = {}, {}
  while true do
    assert(p:cont())
    local ev, why = p:wait_stop(30)
    if not ev then
      assert.are.equal("process exited", why)
      return hits, kinds
    end
    for _, t in ipairs(ev) do
      local c = t:stopped()
      kinds[c.kind] = (kinds[c.kind] or 0) + 1
      if c.kind == "breakpoint" then hits[c.pc] = (hits[c.pc] or 0) + 1 end
    end
  end
end

describe("breakpoints", function()
  it("stop a single thread at each call, with the pc at the breakpoint", function()
    local p = assert(lutra.spawn({H.target("loop"), "7"}, {stdout = "null"}))
    local work = assert(p:symbol("work"))
    assert(p:add_breakpoint(work))
    local n = 0
    while true do
      assert(p:cont())
      local ev = p:wait_stop()
      if not ev then break end
      assert.are.equal(1, #ev)
      local c = ev[1]:stopped()
      if c.kind == "thread_exit" then
        assert.are.equal("thread exited with status 0", tostring(c))
        goto next
      end
      assert.are.equal("breakpoint", c.kind)
      assert.are.equal(work, c.pc)
      assert.are.equal(string.format("breakpoint at 0x%x", work), tostring(c))
      assert.are.equal("StoppedBreakpoint", ev[1].state)
      assert.are.equal(work, ev[1]:regs().pc)
      assert.are.equal(n, ev[1]:arg(1))
      n = n + 1
      ::next::
    end
    assert.are.equal(7, n)
    assert.are.same({code = 0}, p.exit) -- sum 42 % 7
  end)

  it("refuse duplicates and unknown removals in the seed's words", function()
    local p = assert(lutra.spawn({H.target("loop")}, {stdout = "null"}))
    local work = p:symbol("work")
    assert(p:add_breakpoint(work))
    local ok, err = pcall(p.add_breakpoint, p, work)
    assert.is_false(ok)
    assert.matches(string.format("breakpoint already exists at PC 0x%x", work), err, 1, true)
    ok, err = pcall(p.remove_breakpoint, p, work + 1)
    assert.is_false(ok)
    assert.matches(string.format("no breakpoint at PC 0x%x", work + 1), err, 1, true)
    assert(p:remove_breakpoint(work))
    p:kill()
  end)

  it("refuse to change while a thread runs", function()
    local pid = H.start(H.target("spin"), "ready")
    local p = assert(lutra.attach(pid))
    assert(p:cont())
    local ok, err = pcall(p.add_breakpoint, p, p:symbol("tick"))
    assert.is_false(ok)
    assert.matches("thread %d+: cannot add breakpoint in state Running", err)
    assert(p:stop())
    assert.are.equal("stopped", p.state)
    assert(p:detach())
    os.execute("kill -TERM " .. pid)
    assert.is_true(H.wait_gone(pid))
  end)

  it("fail on an unmapped address with EFAULT", function()
    local p = assert(lutra.spawn({H.target("loop")}, {stdout = "null"}))
    local ok, err, code = p:add_breakpoint(0x10)
    assert.is_nil(ok)
    assert.are.equal("EFAULT", code)
    assert.matches("cannot set breakpoint at 0x10: address not mapped", err, 1, true)
    p:kill()
  end)

  it("are hidden from reads, and a write over one keeps it", function()
    local p = assert(lutra.spawn({H.target("loop"), "2"}, {stdout = "null"}))
    local work = p:symbol("work")
    local orig = p:read(work, 8)
    assert(p:add_breakpoint(work))
    assert.are.equal(orig, p:read(work, 8))
    assert.are.equal(orig:sub(1, 4), p:read(work - 2, 6):sub(3))
    assert.are_not.equal(orig:sub(1, 1), H.mem(p.pid, work, 1)) -- the int3 is there
    -- Writing the same bytes back over the breakpoint keeps it working.
    assert.are.equal(8, p:write(work, orig))
    assert.are.equal("\xcc", H.mem(p.pid, work, 1))
    local hits = count_hits(p)
    assert.are.equal(2, hits[work])
  end)

  it("count exactly 16,000 hits from 16 threads x 1,000 calls", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("threads"), "16", "1000"}, {stdout = out}))
    local hit = p:symbol("hit")
    assert(p:add_breakpoint(hit))
    local hits, kinds = count_hits(p)
    assert.are.equal(16000, hits[hit])
    assert.are.equal(16, kinds.thread_create)
    assert.are.equal("total=16000\n", H.slurp(out))
    assert.are.same({code = 0}, p.exit)
  end)

  -- Regression: a thread stopped with its pc on a breakpoint it had not
  -- executed yet (interrupted just before the int3) was stepped over as if
  -- it had hit, and the hit was lost (seen 1 in ~50,000 with 4 threads).
  it("report the hit of a thread resumed on a breakpoint it has not hit yet", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("loop"), "1"}, {stdout = out}))
    local work, add = p:symbol("work"), p:symbol("add")
    assert(p:add_breakpoint(work))
    assert(p:cont())
    local t = assert(p:wait_stop())[1]
    assert.are.equal(work, t:stopped().pc)
    assert(p:remove_breakpoint(work))
    assert(p:add_breakpoint(add))
    t:regs().pc = add -- work(0) becomes add(0, rsi): it returns to main
    local hits = count_hits(p)
    assert.are.equal(2, hits[add]) -- this one, then main's own call
  end)

  it("count every hit of 8 threads x 2,000 calls on an instruction run out of line", function()
    local p = assert(lutra.spawn({H.target("threads"), "8", "2000"}, {stdout = "null"}))
    local riprel = p:symbol("hit_riprel")
    assert(p:add_breakpoint(riprel))
    local hits = count_hits(p)
    assert.are.equal(16000, hits[riprel])
    assert.are.equal(16000, p:core_stats().displaced)
  end)

  it("after detach leave the text byte-identical to the file", function()
    local pid = H.start(H.target("spin"), "ready")
    local p = assert(lutra.attach(pid))
    local addrs = {p:symbol("tick"), p:symbol("worker"), p:symbol("main")}
    for _, a in ipairs(addrs) do assert(p:add_breakpoint(a)) end
    for _ = 1, 5 do
      assert(p:cont())
      assert(p:wait_stop(10))
    end
    assert(p:detach())
    local q = assert(lutra.attach(pid))
    for _, a in ipairs(addrs) do
      assert.are.equal(H.file_bytes(q, a, 16), H.mem(pid, a, 16))
    end
    assert(q:detach())
    os.execute("kill -TERM " .. pid)
    assert.is_true(H.wait_gone(pid))
  end)

  it("single-step one instruction with t:step(), over a breakpoint too", function()
    local p = assert(lutra.spawn({H.target("loop"), "1"}, {stdout = "null"}))
    local work = p:symbol("work")
    assert(p:add_breakpoint(work))
    assert(p:cont())
    local t = assert(p:wait_stop())[1]
    assert.are.equal(work, t:regs().pc)
    assert(t:step())
    assert.are.equal("Stopped", t.state)
    local pc = t:regs().pc
    assert.is_true(pc > work and pc < work + 16)
    assert(t:step())
    assert.is_true(t:regs().pc > pc)
    assert.are.same({reason = "exited", code = 0}, p:run())
  end)
end)
