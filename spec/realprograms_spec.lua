-- realprograms_spec: what real programs do that lutra's own targets did not
-- (issue 12): children sharing the parent's memory, calls made before the
-- entry point, tail calls, exec and abandoned frames. Each case runs on a
-- bundled program built to reproduce the pattern and, where the pattern
-- comes from one, on the system program (with PATH pinned: a long PATH of
-- shims hides some of these). The second tool's figure is in the comments.
local lutra = require "lutra"
local H = require "helper"

local ENV = "env PATH=/usr/bin:/bin "

local function lines_of(s)
  local t = {}
  for l in (s or ""):gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

describe("children that share the parent's memory (vfork, posix_spawn)", function()
  -- bpftrace -e 'uprobe:build/targets/vforker:work /pid == cpid/ {@parent = count()}
  --   uprobe:.../vforker:work /pid != cpid/ {@children = count()}' -c 'vforker 3 20000'
  -- counts @parent: 20000, @children: 3; every child exits 0 (untraced too).
  -- Before the fix each vfork child died of SIGTRAP (status 5) at work's int3.
  local function vforker(opts)
    local out = H.tmpname()
    opts.stdout = out
    local p = assert(lutra.spawn({H.target("vforker"), "3", "20000"}, opts))
    return p, out
  end

  it("run unharmed when not followed, and only the parent's calls count", function()
    local p, out = vforker({})
    local bp = p:break_at("work", {on_return = function() end})
    assert.are.same({reason = "exited", code = 0}, p:run({timeout = 30})) -- a deadlock times out
    local o = H.slurp(out)
    for i = 0, 2 do
      assert.matches("vfork child " .. i .. ": status 0\n", o, 1, true)
      assert.matches("posix_spawn child " .. i .. ": status 0\n", o, 1, true)
    end
    assert.are.equal(20000, bp.hits)
  end)

  it("report their calls before exec as theirs when followed", function()
    local p, out = vforker({follow_fork = true})
    local mine, theirs, children = 0, 0, {}
    p:on("fork", function(_, child) children[#children + 1] = child end)
    p:break_at("work", function(t)
      if t.process == p then mine = mine + 1 else theirs = theirs + 1 end
    end)
    -- the parent's rounds must not wait for its thread parked in vfork
    assert.are.same({reason = "exited", code = 0}, p:run({timeout = 30}))
    assert.are.equal(20000, mine)
    assert.are.equal(3, theirs) -- the vfork children's work(-1); posix_spawn's children call none
    assert.are.equal(6, #children)
    assert.matches("vfork child 2: status 0\n", H.slurp(out), 1, true)
  end)

  it("let dash run its commands: sh -c 'ls; echo rc=$?' with malloc traced", function()
    -- Debian's dash runs commands through vfork. Before the fix: rc=133
    -- (ls died of SIGTRAP). bpftrace -e 'uprobe:libc.so.6:malloc /pid == cpid/
    -- {@ = count()}' -c '/bin/sh -c ...' and lutra both count sh's own calls
    -- (90 here with the command run through a script: same figure).
    local count = H.tmpname()
    local out, err, code = H.sh(ENV .. H.lutra_bin ..
      " trace -c -o " .. count .. " libc.so.6:malloc -- /bin/sh -c 'ls / >/dev/null; echo rc=$?'")
    assert.are.equal("rc=0\n", out, err)
    assert.are.equal(0, code)
    local n = tonumber(H.slurp(count):match("malloc%s+(%d+)"))
    assert.is_true(n and n > 10, H.slurp(count))
  end)

  it("let Python's subprocess run its child", function()
    if not io.open("/usr/bin/python3") then
      print("skipped: /usr/bin/python3 is not installed")
      return
    end
    -- Before the fix: -5 (the child died of SIGTRAP).
    local out, err, code = H.sh(ENV .. H.lutra_bin ..
      " trace -c -o /dev/null libc.so.6:execve -- /usr/bin/python3 -c " ..
      "'import subprocess; print(subprocess.run([\"true\"]).returncode)'")
    assert.are.equal("0\n", out, err)
    assert.are.equal(0, code)
  end)
end)
