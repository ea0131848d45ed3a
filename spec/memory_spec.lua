-- memory_spec: read, write (also into read-only text), read_string,
-- unpack, the seed's Peek/Poke, and unmapped addresses.
local lutra = require "lutra"
local H = require "helper"

describe("memory", function()
  local p
  before_each(function()
    p = assert(lutra.spawn({H.target("loop"), "1"}, {stdout = H.tmpname()}))
  end)
  after_each(function() if p.state ~= "exited" then p:kill() end end)

  it("reads and writes data the program then uses", function()
    local g = assert(p:symbol("global_counter"))
    assert.are.equal(42, p:unpack("<i4", g))
    assert.are.equal(4, p:write(g, string.pack("<i4", 7)))
    assert.are.equal(string.pack("<i4", 7), p:read(g, 4))
    local out = H.tmpname()
    p:kill()
    p = assert(lutra.spawn({H.target("loop"), "1"}, {stdout = out}))
    p:write(p:symbol("global_counter"), string.pack("<i4", 7))
    p:run()
    assert.matches("counter=7", H.slurp(out))
  end)

  it("writes into read-only text", function()
    local work = p:symbol("work")
    local orig = p:read(work, 2)
    assert.are.equal(2, p:write(work, "\x90\x90"))
    assert.are.equal("\x90\x90", H.mem(p.pid, work, 2))
    p:write(work, orig)
    assert.are.equal(orig, H.mem(p.pid, work, 2))
  end)

  it("reads C strings, bounded", function()
    -- the program's first argument sits on its stack: find it via argv
    local t = p:threads()[1]
    local sp = t:regs().sp
    local argv1 = p:unpack("<I8", sp + 16)
    assert.are.equal("1", p:read_string(argv1))
    local argv0 = p:unpack("<I8", sp + 8)
    assert.are.equal(H.target("loop"), p:read_string(argv0))
    assert.are.equal(H.target("loop"):sub(1, 4), p:read_string(argv0, 4))
  end)

  it("answers unmapped addresses with EFAULT, and short reads with the bytes read", function()
    local data, err, code = p:read(0x10, 4)
    assert.is_nil(data)
    assert.are.equal("EFAULT", code)
    assert.matches("cannot read 4 bytes at 0x10: address not mapped", err, 1, true)
    local n, werr, wcode = p:write(0x10, "x")
    assert.is_nil(n)
    assert.are.equal("EFAULT", wcode)
    assert.is_nil((p:read_string(0x10)))
    -- a read running off the end of the stack's mapping
    local top
    for line in io.lines("/proc/" .. p.pid .. "/maps") do
      local s, e = line:match("^(%x+)-(%x+).*%[stack%]")
      if s then top = tonumber(e, 16) end
    end
    local bytes, serr, scode = p:read(top - 8, 16)
    assert.are.equal(8, #bytes)
    assert.are.equal("EFAULT", scode)
    assert.is_string(serr)
  end)

  it("peeks and pokes through a stopped thread, refused while it runs", function()
    local t = p:threads()[1]
    local g = p:symbol("global_counter")
    assert.are.equal(string.pack("<i4", 42), t:peek(g, 4))
    assert.are.equal(4, t:poke(g, string.pack("<i4", 5)))
    assert.are.equal(5, p:unpack("<i4", g))
    local _, _, code = t:peek(0x10, 1)
    assert.are.equal("EFAULT", code)
  end)

  it("is refused once the process has exited", function()
    p:run()
    local data, err, code = p:read(0x400000, 1)
    assert.is_nil(data)
    assert.are.equal("ESRCH", code)
    assert.matches("has exited", err)
  end)
end)
