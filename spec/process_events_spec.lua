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
end)
