-- code_only_spec: an int3 goes only into code (issue 12, item 3), and a
-- program without a dynamic loader decides every name at once (item 7).
--
-- Figures (PATH=/usr/bin:/bin, indicative: a shared 2-CPU machine):
--   `lutra trace -c 'libc.so.6:*' -- ls /` on main's code: ls killed by
--   SIGSEGV (3,613 breakpoints, 7 of them on STT_NOTYPE markers in data:
--   __start___libc_atexit, __stop___libc_freeres_ptrs, ...). Now: ls runs
--   to its end (exit 0, its 26 lines), 3,606 breakpoints set in 0.08 s,
--   the run 0.17 s for 4,519 hits instead of about 2 ms untraced.
--   `gcc` of `long counter = 5; int main(void) { return counter; }`,
--   `lutra -e 'lutra.target:break_at("counter")' -- ./c`: 204 on main's
--   code (the int3 in counter's low byte: 0xcc = 204); gdb 13.1 `break
--   counter` answers "Function "counter" not defined." Now: an error
--   naming it as data and p:watch, exit 1.
--   Static `nosuchfunc`: main's code printed nothing and exited 0; gdb
--   says 'Function "nosuchfunc" not defined.'
local lutra = require "lutra"
local H = require "helper"

local counter = H.target("counter")
local static = H.target("counter_static")

describe("breakpoints only in code", function()
  it("break_at on a variable is an error naming it as data and pointing at p:watch", function()
    local p = assert(lutra.spawn({counter}))
    local ok, err = pcall(p.break_at, p, "counter")
    assert.is_false(ok)
    assert.matches("'counter' is data (a variable in counter), not code: watch it with p:watch", tostring(err), 1, true)
    local r = p:run()
    assert.are.same({reason = "exited", code = 5}, r) -- the program's own value: no int3 in it
  end)

  it("the engine refuses an int3 outside executable memory, whatever asks", function()
    local p = assert(lutra.spawn({counter}))
    local addr = assert(p:symbol("counter"))
    local before = H.mem(p.pid, addr, 8)
    local ok, err, code = p:add_breakpoint(addr)
    assert.is_nil(ok)
    assert.are.equal("ENOTCODE", code)
    assert.matches("cannot set breakpoint at 0x%x+: it is data, not code %(rw%-p mapping of .*counter%)", err)
    assert.are.equal(before, H.mem(p.pid, addr, 8))
    local stack = p:threads()[1]:regs().sp
    assert.are.equal("ENOTCODE", select(3, p:add_breakpoint(stack)))
    assert.is_true(p:add_breakpoint(p:symbol("main")))
    assert.are.same({reason = "exited", code = 5}, (function()
      p:remove_breakpoint(p:symbol("main"))
      return p:run()
    end)())
    local _, lerr, lcode = H.lutra("-e 'lutra.target:break_at(\"counter\")' -- " .. counter)
    assert.are.equal(1, lcode)
    assert.matches("is data", lerr, 1, true)
  end)

  it("a glob matches code only: libc's markers in data get no int3", function()
    local p = assert(lutra.spawn({"/bin/ls", "/"}, {stdout = "null", env = {PATH = "/usr/bin:/bin"}}))
    for _, m in ipairs(p:modules()) do
      if m.executable then p:break_at(m.entry, {once = true, handler = function() return "stop" end}) end
    end
    p:run()
    -- __start_* / __stop_* section markers (STT_NOTYPE) in libc's data
    local markers = p:symbols("libc.so.6:__start___libc_*")
    for _, s in ipairs(p:symbols("libc.so.6:__stop___libc_*")) do markers[#markers + 1] = s end
    assert.is_true(#markers >= 8)
    for _, s in ipairs(markers) do assert.are.equal("object", s.type, s.name) end
    local group = p:break_at("libc.so.6:*")
    for _, bp in ipairs(group) do
      for _, s in ipairs(markers) do assert.are_not.equal(s.address, bp.address, s.name) end
    end
    p:kill()
  end)

  it("lutra trace -c 'libc.so.6:*' runs ls to its normal end", function()
    local out = H.tmpname()
    local stdout, err, code = H.sh("PATH=/usr/bin:/bin " .. H.lutra_bin .. " trace -c -o " .. out .. " 'libc.so.6:*' -- ls /")
    assert.are.equal(0, code, err)
    local plain = H.sh("PATH=/usr/bin:/bin ls /")
    assert.are.equal(plain, stdout)
    assert.matches("malloc", H.slurp(out))
  end)
end)

describe("a program without a dynamic loader", function()
  it("an unknown name is an error at once, in a script and in lutra trace", function()
    local p = assert(lutra.spawn({static}))
    local ok, err = pcall(p.break_at, p, "nosuchfunc")
    assert.is_false(ok)
    assert.matches("no symbol 'nosuchfunc' in process %d+ .* %(a program without a dynamic loader loads no library later%)", tostring(err))
    ok, err = pcall(p.break_at, p, "libplugin.so:plugin_entry")
    assert.is_false(ok)
    assert.matches("no module 'libplugin.so'", tostring(err), 1, true)
    local main = p:break_at("main")
    assert.are.same({reason = "exited", code = 5}, p:run())
    assert.are.equal(1, main.hits)
    local _, terr, code = H.sh("PATH=/usr/bin:/bin " .. H.lutra_bin .. " trace nosuchfunc -- " .. static)
    assert.are.equal(1, code)
    assert.matches("no symbol 'nosuchfunc'", terr, 1, true)
  end)
end)
