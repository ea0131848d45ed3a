--- lutra: a Lua-scriptable tracer for Linux x86_64 processes.
-- The low layer (Process, Thread, Regs) is C (lutra.core); this module adds
-- the high layer: break_at, on, run, stats, backtrace. See docs/API.md.
-- Under another Lua (Debian's busted runs under 5.1 by default) lutra.core
-- cannot load: one line that says what to do instead of a linker error.
-- This file is also installed into the 5.1 to 5.3 module paths for that.
if _VERSION ~= "Lua 5.4" then
  error("lutra needs Lua 5.4, not " .. _VERSION .. ": run busted as `busted --lua=lua5.4` (or put " ..
    "lua = \"lua5.4\" in a .busted file: `lutra --new-probe DIR` writes one)", 0)
end

local core = require "lutra.core"
local state = require "lutra.state"
local bps = require "lutra.breakpoints"
local run = require "lutra.run"

local lutra = {
  version = "0.1.0",
  core = core,
}

local Process, Thread = core.Process, core.Thread

-- The file execve ran for argv[1] (searched in PATH as spawn does), when
-- it is a #! script: the kernel then runs its interpreter, which is the
-- image lutra traces.
local function script_path(argv)
  local name = type(argv) == "table" and argv[1] or argv
  if type(name) ~= "string" then return nil end
  local candidates = {}
  if name:find("/", 1, true) then
    candidates[1] = name
  else
    for dir in (os.getenv("PATH") or "/usr/local/bin:/usr/bin:/bin"):gmatch("[^:]*") do
      candidates[#candidates + 1] = (dir == "" and "." or dir) .. "/" .. name
    end
  end
  for _, path in ipairs(candidates) do
    local f = io.open(path, "rb")
    if f then
      local head = f:read(2)
      f:close()
      if head then return head == "#!" and path or nil end
    end
  end
  return nil
end

--- lutra.spawn(argv [, opts]) -> Process | nil, err, code
function lutra.spawn(argv, opts)
  local p, err, code = core.spawn(argv, opts)
  if not p then return nil, err, code end
  local s = state.of(p)
  s.script = script_path(argv)
  -- A dynamic program: its libraries are not mapped yet (a static one has
  -- none to wait for)
  for _, m in ipairs(p:modules()) do
    if require("lutra.loader").is_loader(m.path) then s.before_entry = true end
  end
  s.follow_fork = opts and opts.follow_fork and true or false
  return p
end

--- lutra.attach(pid [, opts]) -> Process | nil, err, code
function lutra.attach(pid, opts)
  if math.type(pid) ~= "integer" then
    local n = math.tointeger(tonumber(pid))
    if not n then return nil, string.format("cannot attach to %s: not a process id", tostring(pid)), "EINVAL" end
    pid = n
  end
  local p, err, code = core.attach(pid)
  if not p then return nil, err, code end
  if opts and opts.follow_fork then p:set_follow_fork(true) end
  return p
end

lutra.stats = require "lutra.stats"
lutra.report = require "lutra.report"
lutra.value = require "lutra.value"
Thread.return_value = lutra.value.return_value

Process.break_at = bps.break_at

-- t:stopped(): the engine's cause, with `breakpoint` the logical
-- breakpoint (the first one at that address) rather than its address.
local c_stopped = Thread.stopped
function Thread:stopped()
  local c = c_stopped(self)
  if c.kind == "breakpoint" then
    local list = bps.at(self.process, c.pc)
    if list and list[1] then c.breakpoint = list[1] end
  end
  return c
end

-- p:symbolize(addr): name (demangled), offset, module, and file, line when
-- the module has line tables, then the linkage name.
local c_symbolize = Process.symbolize
function Process:symbolize(addr)
  local name, off, mod, linkage = c_symbolize(self, addr)
  if not name then return nil end
  local file, line = self:source_of(addr)
  return name, off, mod, file, line, linkage
end
Process.run = run.run
local probes = require "lutra.probes"
Process.counter = probes.counter
Process.hist = probes.hist
Process.on = run.on
Process.watch = require("lutra.watch").watch

--- p:unpack(fmt, addr): reads string.packsize(fmt) bytes at addr and
-- unpacks them with string.unpack (fixed-size formats only).
function Process:unpack(fmt, addr)
  local size = string.packsize(fmt)
  local bytes, err, code = self:read(addr, size)
  if not bytes or #bytes < size then return nil, err, code end
  return string.unpack(fmt, bytes)
end

--- p:stats(): lutra's own cost, see docs/API.md.
function Process:stats()
  local c = self:core_stats()
  local s = state.of(self)
  local hits = c.hits
  return probes.stats(self, {
    stops = c.stops, hits = hits, steps = c.steps, emulated = c.emulated, displaced = c.displaced,
    stops_per_hit = hits > 0 and c.stops / hits or 0,
    syscalls = c.syscalls, syscalls_per_hit = hits > 0 and c.syscalls / hits or 0,
    us_per_hit = hits > 0 and (c.tracer_s + s.handler_s) * 1e6 / hits or 0,
    handler_s = s.handler_s, tracer_s = c.tracer_s,
  })
end

-- Return addresses by the frame-pointer chain: the fallback when CFI
-- unwinding fails.
local function frame_pointer_pcs(t, max)
  local p = t.process
  local r = t:regs()
  local pcs = {r.pc}
  -- At a function's first instruction the frame is not set up yet: the
  -- return address is at the top of the stack.
  local _, off = p:symbolize(r.pc)
  if off == 0 then
    local ret = p:unpack("<I8", r.sp)
    if ret then pcs[#pcs + 1] = ret end
  end
  local fp = r.rbp
  while #pcs < max and fp ~= 0 do
    local next_fp, ret = p:unpack("<I8I8", fp)
    if not next_fp or not ret or ret == 0 then break end
    pcs[#pcs + 1] = ret
    if next_fp <= fp then break end
    fp = next_fp
  end
  return pcs
end

--- t:backtrace([max]): the stopped thread's call stack, innermost first:
-- {pc=, name=, offset=, module=, file=, line=} per frame. Unwinds by the
-- DWARF CFI (.eh_frame/.debug_frame, so it works without frame pointers),
-- falling back to the frame-pointer chain when there is none.
function Thread:backtrace(max)
  max = max or 64
  local p = self.process
  local pcs = self:unwind(max)
  if not pcs or #pcs == 0 then pcs = frame_pointer_pcs(self, max) end
  local frames = {}
  local mods
  for i, pc in ipairs(pcs) do
    -- a return address may be the first byte after its call's function:
    -- look it up one byte back
    local at = i == 1 and pc or pc - 1
    local name, off, mod, file, line, linkage = p:symbolize(at)
    if not mod then -- no symbol covers it: at least name the module
      mods = mods or p:modules()
      for _, m in ipairs(mods) do
        if pc >= m.base and pc < m["end"] then mod = m.path:match("[^/]+$") end
      end
    end
    frames[i] = {pc = pc, name = name, offset = off and (pc - at) + off, module = mod,
      file = file, line = line, linkage_name = linkage}
  end
  return frames
end

return lutra
