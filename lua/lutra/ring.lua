--- lutra.ring: `lutra trace --entries` and `lutra trace -c --entries`: the
-- program never stops. Each traced function's trampoline writes an entry
-- record (thread, arguments, return address) into the ring lutra shares
-- with the process (lutra.probes, src/core/ring.c); this module drains it
-- while the program runs and formats one line per call. With -c it counts
-- calls with in-program counters instead (exact: nothing to drop). A
-- function where the jump cannot go is traced by an int3 that formats the
-- same line (the program stops there, as plain trace does).
local core = require "lutra.core"
local bps = require "lutra.breakpoints"

local M = {}

local BATCH = 4096

-- The text formatter of records with n arguments: "TID     name(a1, a2)"
-- with small values in decimal and others in hex, as trace prints them.
-- One string.format per 16 records, with the formats their values need.
local function formatter(nargs, names)
  local sf, concat, unpack, min = string.format, table.concat, table.unpack, math.min
  local fmts, tids = {}, {}
  local function fmt_for(k)
    local f = fmts[k]
    if not f then
      local parts = {}
      for i = 1, nargs do parts[i] = (k >> (i - 1)) & 1 == 1 and "0x%x" or "%d" end
      f = "%s%s(" .. concat(parts, ", ") .. ")\n"
      fmts[k] = f
    end
    return f
  end
  local stride = 2 + nargs
  local parts, vals = {}, {}
  -- buf: tid, tag, arguments per record (p:ring_drain's shape with nargs)
  return function(buf, n, write)
    local i = 0
    while i < n do
      local m = min(16, n - i)
      local nv = 0
      for r = 0, m - 1 do
        local b = (i + r) * stride
        local tid = buf[b + 1]
        local ts = tids[tid]
        if not ts then
          ts = sf("%-7d ", tid)
          tids[tid] = ts
        end
        vals[nv + 1], vals[nv + 2] = ts, names[buf[b + 2]] or "?"
        nv = nv + 2
        local k = 0
        for a = 1, nargs do
          local v = buf[b + 2 + a]
          if v < -4096 or v > 65535 then k = k | (1 << (a - 1)) end
          nv = nv + 1
          vals[nv] = v
        end
        parts[r + 1] = fmt_for(k)
      end
      write(sf(concat(parts, "", 1, m), unpack(vals, 1, nv)))
      i = i + m
    end
  end
end

-- Resolves a pattern as trace does (break_at's rules), with `probe`.
local function place(p, pat, opts)
  local ok, obj = pcall(bps.break_at, p, pat, opts)
  if not ok then return nil, tostring(obj) end
  return obj
end

local function members(obj)
  if obj.sites then return obj.sites end
  if obj.process == nil or getmetatable(obj) == bps.Group then return obj end
  return {obj}
end

local function exit_status(ok, result)
  if not ok then return 1 end
  if result.reason == "exited" then return result.code end
  if result.reason == "signaled" then return 128 + (core.signal_number(result.signal) or 0) end
  return 0
end

-- -c --entries: one counter per function.
local function count(p, o, out, json)
  local rows = {}
  for _, pat in ipairs(o.patterns) do
    local obj, err = place(p, pat, {probe = {kind = "count"}, stop = "thread", handler = function() end})
    if not obj then
      io.stderr:write("lutra trace: ", err, "\n")
      return 1
    end
    for _, bp in ipairs(members(obj)) do rows[#rows + 1] = bp end
  end
  local ok, result = pcall(p.run, p)
  if not ok then io.stderr:write("lutra trace: ", tostring(result), "\n") end
  local counted = {}
  for _, bp in ipairs(rows) do
    local n = (bp.core and bp.core:read() or 0) + bp.hits
    counted[#counted + 1] = {name = bp.symbol or string.format("0x%x", bp.address or 0), calls = n}
  end
  table.sort(counted, function(a, b) return a.calls > b.calls end)
  if json then
    for _, c in ipairs(counted) do out:write(json.encode({fn = c.name, calls = c.calls}), "\n") end
  else
    out:write(string.format("%-32s %10s\n", "FUNCTION", "CALLS"))
    for _, c in ipairs(counted) do out:write(string.format("%-32s %10d\n", c.name, c.calls)) end
  end
  return exit_status(ok, result)
end

--- Runs p to its end with entry records; returns trace's exit status.
-- o: trace's options (patterns, nargs, count); out: where lines go.
function M.run(p, o, out, json)
  if o.count then return count(p, o, out, json) end
  local names = {}
  local nargs = o.nargs
  local text = formatter(nargs, names)
  local written = 0
  local function write(s) out:write(s) end
  local function tag(bp, addr)
    names[#names + 1] = bp:location_name(addr) or bp.symbol or string.format("0x%x", addr)
    return #names
  end
  local function emit_json(tid, name, args, time)
    out:write(json.encode({tid = tid, fn = name, args = {table.unpack(args, 1, nargs)}, ts = time}), "\n")
  end
  local opts = {probe = {kind = "entry", nargs = nargs, tag = tag}, stop = "thread",
    -- trap mode (no jump there): the same line, from the stop
    handler = function(t, bp)
      local args = {}
      for i = 1, nargs do args[i] = t:arg(i) end
      local name = bp:location_name(t:breakpoint_pc()) or bp.symbol
      written = written + 1
      if json then return emit_json(t.tid, name, args, core.now()) end
      local one = {t.tid, 0}
      for i = 1, nargs do one[2 + i] = args[i] end
      names[0] = name
      text(one, 1, write)
    end}
  for _, pat in ipairs(o.patterns) do
    local obj, err = place(p, pat, opts)
    if not obj then
      io.stderr:write("lutra trace: ", err, "\n")
      return 1
    end
  end
  local buf, args = {}, {}
  local function drain()
    local n
    repeat
      if json then
        n = p:ring_drain(buf, BATCH)
        for i = 0, n - 1 do
          local b = i * 13
          for k = 1, nargs do args[k] = buf[b + 4 + k] end
          emit_json(buf[b + 1], names[buf[b + 2]] or "?", args, buf[b + 3])
        end
      else
        n = p:ring_drain(buf, BATCH, nargs)
        text(buf, n, write)
      end
      written = written + n
    until n < BATCH
  end
  local ok, result = pcall(p.run, p, {every = 0.002, tick = drain})
  if not ok then io.stderr:write("lutra trace: ", tostring(result), "\n") end
  drain() -- what the last calls wrote
  local dropped = p:ring_dropped()
  io.stderr:write(string.format("lutra trace: %d calls traced, %d dropped%s\n", written, dropped,
    dropped > 0 and " (the ring was full: the program never waits for lutra)" or ""))
  return exit_status(ok, result)
end

return M
