-- examples_spec: every script in examples/ runs against its bundled program
-- and says what its header promises, so the examples never rot.
local H = require "helper"
local demo = H.build .. "/demo"
local function program(name) return H.build .. "/examples/" .. name end

describe("examples", function()
  it("demo.lua logs prices, shipments and threads", function()
    local out, err, code = H.lutra("examples/demo.lua -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("price%(1, 11%) = 11", out)
    assert.matches("ship%(order 6, amount 96%)", out)
    assert.matches("created thread %d+", out)
    assert.matches("6 orders priced; program exited with code 0", out, 1, true)
  end)

  it("count_calls.lua counts calls per function", function()
    local out, err, code = H.lutra("examples/count_calls.lua '*' -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("\nprice%s+6\n", "\n" .. out)
    assert.matches("\nship%s+6\n", "\n" .. out)
    assert.matches("\nclerk%s+2\n", "\n" .. out)
    assert.matches("\nmain%s+1\n", "\n" .. out)
  end)

  it("count_calls.lua counts one function named plainly", function()
    local out, err, code = H.lutra("examples/count_calls.lua price -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("\nprice%s+6\nprogram exited %(0%)", "\n" .. out)
  end)

  it("log_breakpoints.lua logs each hit with its callers", function()
    local out, err, code = H.lutra("examples/log_breakpoints.lua ship price -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("ship hit #1 on thread %d+: args %(1, 11%), called from clerk", out)
    assert.matches("price hit #6 on thread %d+: args %(6, 16%), called from clerk", out)
  end)

  it("latency_hist.lua prints a histogram of 6 calls", function()
    local out, err, code = H.lutra("examples/latency_hist.lua ship -- " .. demo)
    assert.are.equal(0, code, err)
    assert.matches("@ship_us:\n", out)
    local total = 0
    for n in out:gmatch("%) +(%d+) |") do total = total + tonumber(n) end
    assert.are.equal(6, total)
  end)

  it("flame.lua folds the stacks of each hit", function()
    local out, err, code = H.lutra("examples/flame.lua price -- " .. demo)
    assert.are.equal(0, code, err)
    local n = out:match("\n[^\n]*clerk;price (%d+)")
    assert.are.equal("6", n, out)
  end)

  it("probe_spec.lua passes as a busted spec against the demo", function()
    -- lutra --lua: the interpreter with this build's lutra built in
    local out, err, code = H.sh("DEMO=" .. demo .. " " .. H.lutra_bin ..
      " --lua /usr/bin/busted --output=TAP examples/probe_spec.lua")
    assert.are.equal(0, code, (out or "") .. (err or ""))
    assert.matches("ok 1 %- the demo program prices each order once", out)
  end)
  it("regression_spec.lua passes on the demo and fails on the variant that prices twice", function()
    local function run(prog)
      return H.sh("DEMO=" .. prog .. " LUTRA=" .. H.lutra_bin .. " " .. H.lutra_bin ..
        " --lua /usr/bin/busted --output=TAP examples/regression_spec.lua")
    end
    local out, err, code = run(demo)
    assert.are.equal(0, code, (out or "") .. (err or ""))
    assert.matches("ok 1 %- the demo program, against its baseline recording", out)
    out, _, code = run(H.build .. "/demo_twice")
    assert.are_not.equal(0, code)
    assert.matches("not ok 1 %- the demo program", out)
    assert.matches("price was called 12 times; the baseline run called it 6 times", out, 1, true)
  end)

  it("leaks.lua reports the blocks never freed, by call site", function()
    local out, err, code = H.lutra("examples/leaks.lua -- " .. program("leaky"))
    assert.are.equal(0, code, err)
    -- 10 kept records + calloc + realloc + 4 remembered; 10 + 2 freed
    assert.matches("16 allocations, 12 frees; program exited with code 0", out, 1, true)
    -- remember() lost 3 records and the 4th is still held: 4 x 56 bytes
    assert.matches("leaked    224 bytes in   4 blocks from make_record%+0x%x+ <%- remember%+0x%x+", out)
    assert.not_matches("main", out)
  end)

  it("open_args.lua decodes each open-like call of the C library", function()
    local dir = H.tmpname() .. ".d"
    os.execute("mkdir -p " .. dir)
    local out, err, code = H.lutra("examples/open_args.lua -- " .. program("files") .. " " .. dir)
    os.execute("rm -rf " .. dir)
    assert.are.equal(0, code, err)
    assert.matches('%d+  fopen%("/etc/hostname", "r"%) = ', out)
    assert.matches('%d+  open%("/nonexistent/lutra.conf", O_RDONLY%) = %-1\n', out)
    assert.matches('%d+  open%("' .. dir:gsub("%p", "%%%0") .. '/files%-demo.out", O_WRONLY|O_CREAT|O_TRUNC, 0640%) = %d+\n', out)
    assert.matches('%d+  open%("' .. dir:gsub("%p", "%%%0") .. '", O_RDONLY|O_DIRECTORY%) = (%d+)\n', out)
    local dfd = out:match('O_DIRECTORY%) = (%d+)')
    assert.matches("%d+  openat%(" .. dfd .. ', "files%-demo.out", O_RDONLY%) = %d+\n', out)
  end)

  it("thread_pool.lua sees twelve workers come and go", function()
    local out, err, code = H.lutra("examples/thread_pool.lua -- " .. program("pool"))
    assert.are.equal(0, code, err)
    local created, exited = 0, 0
    for _ in out:gmatch("%+ thread %d+ created by %d+") do created = created + 1 end
    for _ in out:gmatch("%- thread %d+ exited %(thread exited with status 0%) after") do exited = exited + 1 end
    assert.are.equal(12, created, out)
    assert.are.equal(12, exited, out)
    assert.matches("12 threads created, at most (%d) running at once", out)
    local most = tonumber(out:match("at most (%d+) running"))
    assert.is_true(most >= 2 and most <= 5, out)
    assert.matches("program exited with code 0", out, 1, true)
  end)

  it("sample_hot.lua attaches, samples, detaches, and the server runs on", function()
    local pid = H.start(program("server"), "ready")
    local out, err, code = H.lutra("-p " .. pid .. " examples/sample_hot.lua handle_request 1")
    local alive = H.slurp("/proc/" .. pid .. "/status")
    -- lutra left no int3 in the server: attach again and compare the text
    -- with the file.
    local lutra = require "lutra"
    local p = assert(lutra.attach(pid))
    local addr = assert(p:symbol("handle_request"))
    local mem, file = H.mem(pid, addr, 16), H.file_bytes(p, addr, 16)
    p:detach()
    os.execute("kill " .. pid)
    assert.are.equal(0, code, err)
    assert.is_truthy(alive and alive:match("State:%s+[SR]"), alive)
    local n = out:match("handle_request: (%d+) calls in [%d.]+ s %(%d+/s%), pid %d+ detached and running")
    assert.is_truthy(n, out)
    assert.is_true(tonumber(n) > 0)
    local per = 0
    for c in out:gmatch("@calls_per_thread%[%d+%]: (%d+)") do per = per + tonumber(c) end
    assert.are.equal(tonumber(n), per)
    assert.are.equal(file, mem)
  end)
end)
