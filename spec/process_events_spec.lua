-- process_events_spec: fork, vfork and exec under lutra.
local lutra = require "lutra"
local H = require "helper"

describe("fork without follow_fork", function()
  it("lets 10 children run untraced, none dies of SIGTRAP", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("forker"), "10"}, {stdout = out}))
    local bp = p:break_at("work")
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(1, bp.hits) -- the parent's own call only
    assert.are.equal("children ok\n", H.slurp(out))
  end)

  it("lets vfork children exec", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("forker"), "5", "vfork"}, {stdout = out}))
    local bp = p:break_at("work")
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(1, bp.hits)
    assert.are.equal("children ok\n", H.slurp(out))
  end)
end)

describe("fork with follow_fork", function()
  it("traces all 10 children: every hit seen, every child exits 0", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("forker"), "10"}, {stdout = out, follow_fork = true}))
    local bp = p:break_at("work")
    local children, exits, args = {}, {}, {}
    p:on("fork", function(parent, child)
      assert.are.equal(p, parent)
      assert.are.equal("stopped", child.state)
      children[#children + 1] = child.pid
    end)
    p:on("exit", function(proc, r) exits[proc.pid] = r end)
    bp.handler = function(t) -- work(int): the low 32 bits of rdi, signed
      args[#args + 1] = string.unpack("<i4", string.pack("<I4", t:arg(1) & 0xffffffff))
    end
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(11, bp.hits)
    assert.are.equal(10, #children)
    for _, pid in ipairs(children) do assert.are.same({reason = "exited", code = 0}, exits[pid]) end
    table.sort(args)
    assert.are.same({-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, args)
    assert.are.equal("children ok\n", H.slurp(out))
  end)

  it("lets the fork handler detach a child, which runs on untouched", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("forker"), "4"}, {stdout = out}))
    local bp = p:break_at("work")
    local n = 0
    p:on("fork", function(_, child)
      n = n + 1
      return n % 2 == 0 and "follow" or "detach"
    end)
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(3, bp.hits) -- 2 followed children and the parent
    assert.are.equal("children ok\n", H.slurp(out))
  end)

  it("follows vfork children through their exec", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("forker"), "3", "vfork"}, {stdout = out, follow_fork = true}))
    local execs = 0
    p:on("exec", function() execs = execs + 1 end)
    assert.are.same({reason = "exited", code = 0}, p:run())
    assert.are.equal(3, execs)
    assert.are.equal("children ok\n", H.slurp(out))
  end)
end)

describe("exec", function()
  for _, from in ipairs({"main", "thread"}) do
    it("from the " .. from .. " thread is reported, and the new program runs to its end", function()
      local p = assert(lutra.spawn({H.target("execer"), from, "/bin/true"}, {stdout = "null"}))
      local execs, hits = 0, 0
      p:break_at("before_exec", function() hits = hits + 1 end)
      p:on("exec", function(proc)
        execs = execs + 1
        assert.are.equal(p, proc)
        assert.are.equal(1, #proc:threads())
        assert.are.equal(p.pid, proc:threads()[1].tid)
      end)
      assert.are.same({reason = "exited", code = 0}, p:run())
      assert.are.equal(1, hits)
      assert.are.equal(1, execs)
    end)
  end

  it("keeps a symbolic breakpoint for the new program", function()
    local out = H.tmpname()
    local p = assert(lutra.spawn({H.target("execer"), "main", H.target("loop")}, {stdout = out}))
    local work = p:break_at("work", {pending = true})
    p:run()
    assert.are.equal(10, work.hits)
    assert.matches("sum=90", H.slurp(out))
  end)
  describe("a clone without CLONE_THREAD", function()
    local function run(mode, follow)
      local out = H.tmpname()
      local p = assert(lutra.spawn({H.target("cloneproc"), mode}, {stdout = out, follow_fork = follow}))
      local where = {}
      local bp = p:break_at("work", function(t) where[#where + 1] = (t.process == p and "parent " or "child ") .. t:arg(1) end)
      local threads = 0
      p:on("thread_create", function() threads = threads + 1 end)
      local r = p:run()
      return r, bp, where, H.slurp(out), threads
    end

    it("is a new process, not a thread: untraced without follow_fork", function()
      local r, bp, where, out, threads = run("", false)
      assert.are.same({reason = "exited", code = 0}, r)
      assert.are.same({"parent 2"}, where)
      assert.are.equal("child exited 7\n", out)
      assert.are.equal(0, threads) -- not taken for a thread of the parent
      assert.are.equal(1, bp.hits)
    end)

    it("is a Process of its own with follow_fork", function()
      local r, bp, where, out = run("", true)
      assert.are.same({reason = "exited", code = 0}, r)
      assert.are.same({"child 1", "parent 2"}, where)
      assert.are.equal("child exited 7\n", out)
      assert.are.equal(2, bp.hits)
    end)

    it("sharing the parent's memory (CLONE_VM), it is followed even without follow_fork", function()
      -- let go, it would die at the first int3 it shares with its parent
      local r, _, where, out = run("vm", false)
      assert.are.same({reason = "exited", code = 0}, r)
      assert.are.same({"child 1", "parent 2"}, where)
      assert.are.equal("child exited 7\n", out)
    end)
  end)
end)
