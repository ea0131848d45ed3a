-- containers_spec: targets by name (-p NAME) and in containers. A process
-- in a mount (and pid) namespace of its own runs a program that exists only
-- there, with a libnsv.so built from other code than the host's file of the
-- same path: lutra reads the container's files through /proc/PID/root
-- (symbols in src/elf/modules.c, DWARF in src/elf/dwarf.c) and shows the
-- pid the user gave (the host's), never the namespace's.
local H = require "helper"

local await, script = H.await, H.script

-- A copy of spin under a name of its own, started; returns pid, output file.
local function spin_named(name)
  local dir = H.tmpname() .. ".d"
  os.execute("mkdir -p " .. dir .. " && cp " .. H.target("spin") .. " " .. dir .. "/" .. name)
  return H.start(dir .. "/" .. name, "ready")
end

local function stop_spin(pid)
  os.execute("kill -TERM " .. pid)
  H.wait_gone(pid)
end

describe("-p NAME", function()
  local name = "spinname" .. math.random(100000, 999999)

  it("attaches to the one process of that name, for scripts and lutra trace", function()
    local pid = spin_named(name)
    finally(function() stop_spin(pid) end)
    local out, err, code = H.lutra("-p " .. name .. " -e 'print(lutra.target.pid) lutra.target:detach()'")
    assert.are.equal(0, code, err)
    assert.are.equal(pid .. "\n", out)
  end)

  it("attaches lutra trace by name, and the program's end ends the trace", function()
    -- waiter: one thread that calls work() five times once it gets SIGUSR1
    local wname = "waitname" .. math.random(100000, 999999)
    local dir = H.tmpname() .. ".d"
    os.execute("mkdir -p " .. dir .. " && cp " .. H.target("waiter") .. " " .. dir .. "/" .. wname)
    local pid = H.start(dir .. "/" .. wname, "ready")
    finally(function() os.execute("kill -KILL " .. pid .. " 2>/dev/null") H.wait_gone(pid) end)
    local q = assert(require("lutra").attach(pid))
    local work = q:symbol("work")
    q:detach()
    local res, status = H.tmpname(), H.tmpname()
    os.execute(string.format("(%s trace -c -p %s work >%s 2>&1; echo $? >%s) &", H.lutra_bin, wname, res, status))
    await(function() return H.mem(pid, work, 1) == "\xcc" end, "lutra trace's breakpoint")
    os.execute("kill -USR1 " .. pid)
    await(function() return (H.slurp(status) or ""):match("%d") end, "lutra trace to end")
    assert.are.equal("0", H.slurp(status):match("%d+"), H.slurp(res))
    assert.matches("\nwork +5 ", H.slurp(res))
  end)

  it("lists the candidates when several processes have the name", function()
    local a = spin_named(name)
    local b = spin_named(name)
    finally(function() stop_spin(a) stop_spin(b) end)
    local lo, hi = math.min(a, b), math.max(a, b)
    local _, err, code = H.lutra("-p " .. name .. " -e 'lutra.target:detach()'")
    assert.are.equal(1, code)
    assert.are.equal(string.format("lutra: 2 processes are named '%s': %d (%s), %d (%s); give one pid with -p PID\n",
      name, lo, name, hi, name), err)
    -- bounded: a lutra that attached to one of them would trace it forever
    _, err, code = H.sh("PATH=/usr/bin:/bin timeout 10 " .. H.lutra_bin .. " trace tick -p " .. name)
    assert.are.equal(1, code)
    assert.matches("2 processes are named", err, 1, true)
  end)

  it("says when no process has the name, and takes digits as a pid", function()
    local _, err, code = H.lutra("-p no_such_proc_lutra -e 'x = 1'")
    assert.are.equal(1, code)
    assert.are.equal("lutra: no process is named 'no_such_proc_lutra' (its comm or its executable's name)\n", err)
    _, err, code = H.lutra("-p 999999999 -e 'x = 1'")
    assert.are.equal(1, code)
    assert.are.equal("lutra: cannot attach to 999999999: no such process\n", err)
  end)

  it("matches the executable's name where the comm cuts it short", function()
    local long = "averylongprogramname" .. math.random(1000, 9999) -- comm keeps 15 bytes
    local pid = spin_named(long)
    finally(function() stop_spin(pid) end)
    local out, err, code = H.lutra("-p " .. long .. " -e 'print(lutra.target.pid) lutra.target:detach()'")
    assert.are.equal(0, code, err)
    assert.are.equal(pid .. "\n", out)
  end)
end)

describe("a process in a container (its own mount and pid namespaces)", function()
  local root = (H.slurp("/proc/self/status") or ""):match("\nUid:%s+0%s") ~= nil
  local unshare = os.execute("command -v unshare >/dev/null 2>&1")

  it("is read through /proc/PID/root: its own program and library, the host's pid", function()
    if not root or not unshare then
      io.stderr:write("containers_spec: SKIPPED the mount namespace case (needs root and unshare)\n")
      pending("needs root and unshare (util-linux)")
      return
    end
    -- On the host, DIR holds the host's libnsv.so; in the namespace a tmpfs
    -- hides it and holds the program (nowhere else) and the other build.
    local dir = H.tmpname() .. ".ns"
    local name = "nsp" .. math.random(100000, 999999)
    os.execute("mkdir -p " .. dir .. " && cp " .. H.build .. "/targets/ns/libnsv.so " .. dir .. "/")
    local out = H.tmpname()
    os.execute(string.format("PATH=/usr/bin:/bin unshare -m -p -f --propagation private sh -c " ..
      "'mount -t tmpfs lutra-ns %s && cp %s/targets/ns/nsprog %s/%s && cp %s/targets/ns_alt/libnsv.so %s/ && exec %s/%s'" ..
      " >%s 2>&1 &", dir, H.build, dir, name, H.build, dir, dir, name, out))
    await(function() return (H.slurp(out) or ""):find("ready", 1, true) end, "the program in its namespace")
    assert.are.equal("ready 2\n", H.slurp(out))
    local pid
    local lfs = require "lfs"
    for e in lfs.dir("/proc") do
      if e:match("^%d+$") and (H.slurp("/proc/" .. e .. "/comm") or "") == name .. "\n" then pid = e end
    end
    assert.is_truthy(pid)
    finally(function()
      os.execute("kill -KILL " .. pid)
      H.wait_gone(tonumber(pid))
      os.execute("rm -rf " .. dir)
    end)
    -- in its namespace it is pid 1; lutra shows the host's pid, as given
    assert.matches("NSpid:%s+" .. pid .. "%s+1\n", H.slurp("/proc/" .. pid .. "/status"))
    assert.is_nil(io.open(dir .. "/" .. name)) -- the program is not on the host

    local s = script([[
      local p = lutra.target
      print("pid", p.pid)
      print("container's build", p:symbol("libnsv.so:container_build_only") ~= nil)
      print("host's build", p:symbol("libnsv.so:host_build_only") ~= nil)
      local file = p:source_of(p:symbol("libnsv.so:lib_answer"))
      print("source", file)
      local got = {}
      p:break_at("libnsv.so:lib_answer", {handler = function() end, on_return = function(t, ret)
        got[#got + 1] = ret
        if #got == 3 then return "detach" end
      end})
      p:run{timeout = 5}
      if p.state ~= "detached" then p:detach() end
      print("answers", table.concat(got, ","))
    ]])
    for _, how in ipairs({"-p " .. name, "-p " .. pid}) do
      local res, err, code = H.lutra(how .. " " .. s)
      assert.are.equal(0, code, err)
      assert.are.equal("", err)
      assert.matches("pid\t" .. pid .. "\n", res)
      assert.matches("container's build\ttrue\n", res)
      assert.matches("host's build\tfalse\n", res)
      assert.matches("source\t[^\n]*/nsv_alt%.c\n", res)
      assert.matches("answers\t2,2,2\n", res)
    end
    -- detached, it runs on
    assert.matches("State:%s+[SR]", H.slurp("/proc/" .. pid .. "/status"))
  end)
end)
