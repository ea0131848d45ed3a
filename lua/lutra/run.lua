--- lutra.run: the dispatch loop. Repeat cont and wait_stop; for each
-- eventful thread, in the order the events arrived, call its handler and
-- apply the continue policy it returns (docs/API.md, "Continue policy").
local core = require "lutra.core"
local state = require "lutra.state"
local bps = require "lutra.breakpoints"

local M = {}

local now = core.now

local on_syscall, on_fork

local POLICIES = {continue = true, stop = true, detach = true, kill = true, suppress = true}

-- Calls a user handler, timing it for p:stats().
local function call(s, fn, ...)
  local t0 = now()
  local r = fn(...)
  s.handler_s = s.handler_s + (now() - t0)
  return r
end

local function u64(p, addr)
  local bytes, err = p:read(addr, 8)
  if not bytes or #bytes < 8 then return nil, err end
  return (string.unpack("<I8", bytes))
end

-- A frame left without returning (longjmp, an exception, thread exit).
local function unwind(s, t, fr)
  if fr.bp.on_unwind then call(s, fr.bp.on_unwind, t, fr.bp) end
end

-- A stop at a return-probe address: fire on_return for the frame it ends.
local function on_return_site(p, s, t, pc)
  local frames = s.frames[t.tid]
  if not frames or #frames == 0 then return nil end
  local sp = t:regs().sp
  local policy
  while #frames > 0 do
    local top = frames[#frames]
    if top.sp < sp then -- its caller's frame is already gone
      frames[#frames] = nil
      unwind(s, t, top)
    elseif top.sp == sp and top.ret == pc then
      frames[#frames] = nil
      if top.bp.on_return then
        policy = call(s, top.bp.on_return, t, t:retval(), top.bp)
      end
      break
    else
      break
    end
  end
  return policy
end

local function push_frame(p, s, t, bp)
  local sp = t:regs().sp
  local ret = u64(p, sp)
  if not ret then return end
  local frames = s.frames[t.tid]
  if not frames then frames = {}; s.frames[t.tid] = frames end
  frames[#frames + 1] = {sp = sp + 8, ret = ret, bp = bp}
  if not s.ret_sites[ret] then
    -- Return sites keep their int3 until detach: one is reached only by
    -- returning from a traced call, so it costs nothing in between.
    if bps.claim(p, ret) then s.ret_sites[ret] = true end
  end
end

local function on_breakpoint(p, s, t, pc)
  local policy
  local internal = s.internal[pc]
  if internal then internal(t) end
  if s.ret_sites[pc] then policy = on_return_site(p, s, t, pc) end
  local list = bps.at(p, pc)
  if list then
    -- Handlers may remove breakpoints: walk a copy (one alone needs none:
    -- ipairs stops after it either way; no table per hit).
    local copy = list[2] and table.move(list, 1, #list, 1, {}) or list
    for _, bp in ipairs(copy) do
      if bp.enabled and not bp.removed and (not bp.cond or call(s, bp.cond, t, bp)) then
        bp.hits = bp.hits + 1
        if bp.on_return then push_frame(p, s, t, bp) end
        local r
        if bp.handler then
          r = call(s, bp.handler, t, bp)
        elseif s.handlers.breakpoint then
          r = call(s, s.handlers.breakpoint, t, bp)
        end
        if bp.once then bp:remove() end
        if r ~= nil and r ~= "continue" and (policy == nil or policy == "continue") then policy = r end
      end
    end
  elseif not internal and not s.ret_sites[pc] and s.handlers.breakpoint then
    -- A breakpoint set with the low layer's add_breakpoint.
    policy = call(s, s.handlers.breakpoint, t, nil)
  end
  return policy
end

-- A syscall stop: on_entry/on_exit (or the one handler for both) get the
-- call, its exit carrying the arguments of its entry. At entry a handler
-- may return "skip", value: the call does not run and returns value
-- (a number, or an errno name such as "ENOENT" for -ENOENT).
on_syscall = function(p, s, t, cause)
  local h = s.handlers.syscall
  if not h then return nil end
  local entry = cause.phase == "entry"
  if entry then
    s.sys_calls[t.tid] = cause
  else
    local e = s.sys_calls[t.tid]
    s.sys_calls[t.tid] = nil
    if e and e.nr == cause.nr then cause.args = e.args end
  end
  local fn = entry and (h.on_entry or h.fn) or (not entry and (h.on_exit or h.fn))
  if not fn then return nil end
  local t0 = now()
  local policy, value = fn(t, cause)
  s.handler_s = s.handler_s + (now() - t0)
  if policy == "skip" then
    if not entry then error("a syscall can be skipped only at its entry", 0) end
    if type(value) == "string" then
      local e = core.errno_number(value)
      if not e then error(string.format("skip: unknown errno name %q", value), 0) end
      value = -e
    end
    t:skip_syscall(value or 0)
    return nil
  end
  return policy
end

-- A followed fork: the child gets a copy of the parent's Lua state (the
-- same handlers and logical breakpoints, so hits add up across processes)
-- and joins the family `run` dispatches; the fork handler may instead say
-- "detach". Returns nil: the parent simply goes on.
on_fork = function(p, s, t, cause)
  local child = cause.child
  if not child then return nil end
  local cs = state.of(child)
  cs.handlers = s.handlers
  cs.follow_fork = s.follow_fork
  for k, list in pairs(s.by_addr) do cs.by_addr[k] = list end
  for k, v in pairs(s.owners) do cs.owners[k] = v end
  for k, v in pairs(s.internal) do cs.internal[k] = v end
  for k, v in pairs(s.ret_sites) do cs.ret_sites[k] = v end
  cs.sys_calls = {}
  cs.sys_filter, cs.sys_seccomp = s.sys_filter, s.sys_seccomp
  local policy
  if s.handlers.fork then
    local t0 = now()
    policy = s.handlers.fork(p, child)
    s.handler_s = s.handler_s + (now() - t0)
  end
  if policy == nil then policy = s.follow_fork and "follow" or "detach" end
  if policy == "detach" and child.must_follow then
    -- lutra's seccomp filter is in the child: let go, its traced syscalls
    -- would fail with ENOSYS (strace --seccomp-bpf also implies -f). Or it
    -- shares the parent's memory (clone with CLONE_VM), int3s included,
    -- and would die at the first one. It is followed instead.
    policy = "follow"
  end
  if policy == "detach" then
    child:detach()
  elseif policy == "follow" then
    if s.handlers.syscall then -- the same syscall tracing as its parent
      local ok, err = child:trace_syscalls(true, s.sys_filter, s.sys_seccomp)
      if not ok then error("fork: " .. tostring(err), 0) end
    end
    local root = s.root or p
    local rs = state.of(root)
    rs.family = rs.family or {root}
    table.insert(rs.family, child)
    cs.root = root
  else
    error(string.format("fork handler returned %q (expected \"follow\" or \"detach\")", tostring(policy)), 0)
  end
  return nil
end

local function drop_frames(s, t)
  local frames = s.frames[t.tid]
  if not frames then return end
  s.frames[t.tid] = nil
  for i = #frames, 1, -1 do unwind(s, t, frames[i]) end
end

local function dispatch(p, s, t)
  -- A hit, the hot path: no cause table.
  local pc = t:breakpoint_pc()
  if pc then return on_breakpoint(p, s, t, pc) end
  local cause = t:stopped()
  local kind = cause.kind
  local h = s.handlers
  if kind == "signal" then
    if h.signal then return call(s, h.signal, t, cause.signal) end
  elseif kind == "thread_create" then
    if h.thread_create then return call(s, h.thread_create, t, cause.thread) end
  elseif kind == "thread_exit" then
    drop_frames(s, t)
    if h.thread_exit then return call(s, h.thread_exit, t, cause) end
  elseif kind == "syscall" then
    return on_syscall(p, s, t, cause)
  elseif kind == "fork" then
    return on_fork(p, s, t, cause)
  elseif kind == "watchpoint" then
    local w = s.watches and s.watches[cause.slot]
    if not w then return nil end
    w.hits = w.hits + 1
    local old = w.value
    w.value = w.read()
    if w.handler then return call(s, w.handler, t, w, old, w.value) end
  elseif kind == "exec" then
    -- A new program: every address is void, symbolic breakpoints wait again.
    for _, list in pairs(s.by_addr) do
      for _, bp in ipairs(list) do
        if bp.symbol and not bp.removed then
          bp.pending, bp.address = true, nil
          s.pending[#s.pending + 1] = bp
        end
      end
    end
    s.by_addr, s.owners, s.internal, s.ret_sites, s.frames = {}, {}, {}, {}, {}
    s.loader_watched, s.entry_watched = false, false
    if #s.pending > 0 then require("lutra.loader").watch(p) end
    if h.exec then return call(s, h.exec, p) end
  end
  return nil
end

-- Applies a handler's return value; returns run's result when run ends.
local function apply(p, t, policy)
  if policy == nil or policy == "continue" then return nil end
  if policy == "stop" then
    -- after a stop = "thread" hit the other threads still run: stop them
    if p.state == "running" then assert(p:stop()) end
    return {reason = "stopped", thread = t}
  end
  if policy == "detach" then
    assert(p:detach())
    return {reason = "detached"}
  end
  if policy == "kill" then
    assert(p:kill())
    return {reason = "killed"}
  end
  if policy == "suppress" then
    if t.state ~= "Exited" then t:set_signal(nil) end
    return nil
  end
  if type(policy) == "string" and core.signal_number(policy) then
    t:set_signal(policy)
    return nil
  end
  error(string.format("handler returned an unknown policy %q (expected continue, stop, detach, kill, suppress or a signal name)",
    tostring(policy)), 0)
end

local function exit_result(p)
  local e = p.exit or {}
  if e.signal then return {reason = "signaled", signal = e.signal} end
  return {reason = "exited", code = e.code or 0}
end

local function finish(p, s)
  local result = exit_result(p)
  for _, bp in ipairs(s.pending) do
    io.stderr:write(string.format("lutra: warning: breakpoint '%s' never resolved (no loaded module had that symbol)\n",
      bp.symbol or "?"))
  end
  s.pending_warned = true
  if s.handlers.exit and not s.exit_fired then
    s.exit_fired = true
    call(s, s.handlers.exit, p, result)
  end
  return result
end

local function handle_error(p, s, on_error, err)
  if on_error == "log" then
    io.stderr:write("lutra: error in handler: ", tostring(err), "\n")
    return nil
  elseif on_error == "detach" then
    p:detach()
    return {reason = "detached", error = tostring(err)}
  end
  error(err, 0)
end

-- The processes run dispatches: p alone, or p and the children it
-- follows, still alive.
local function members(p, s)
  if not s.family then return {p} end
  local alive = {}
  for _, q in ipairs(s.family) do
    if q.state ~= "exited" and q.state ~= "detached" then alive[#alive + 1] = q end
  end
  return alive
end

-- The next member with events not yet dispatched (after a "stop").
local function queued(list)
  for _, q in ipairs(list) do
    local qs = state.of(q)
    if qs.qi <= #qs.queue then return q, qs end
  end
end

--- p:run([{timeout = seconds, on_error = "raise"|"log"|"detach"}])
function M.run(p, opts)
  opts = opts or {}
  local s = state.of(p)
  local on_error = opts.on_error or "raise"
  if on_error ~= "raise" and on_error ~= "log" and on_error ~= "detach" then
    error("run: on_error must be raise, log or detach", 2)
  end
  local deadline = opts.timeout and now() + opts.timeout
  local result -- p's own end, once it has come
  while true do
    local alive = members(p, s)
    local q, qs = queued(alive)
    if not q then
      if p.state == "exited" and not result then result = finish(p, s) end
      if p.state == "detached" and not result then result = {reason = "detached"} end
      if #alive == 0 then return result end
      for _, m in ipairs(alive) do
        -- "running" too: after a stop = "thread" hit only that thread stopped
        if m.state == "stopped" or m.state == "running" then
          local ok, err = m:cont()
          if not ok and m.state ~= "exited" then error("run: " .. tostring(err), 0) end
        end
      end
      local remaining = deadline and math.max(0, deadline - now()) or nil
      if #alive == 1 and alive[1] == p then
        -- one events table for every round of this process
        s.evbuf = s.evbuf or {}
        local events, why = p:wait_stop(remaining, s.evbuf)
        if not events then
          if why == "timeout" then return {reason = "timeout"} end
          return finish(p, s)
        end
        s.queue, s.qi = events, 1
      else
        local w, why = core.wait_any(alive, remaining)
        if not w then
          if why == "timeout" then return {reason = "timeout"} end
          error("run: " .. tostring(why), 0)
        end
        local ws = state.of(w)
        if w.state == "exited" then
          local r = finish(w, ws)
          if w == p then result = r end
        else
          ws.queue, ws.qi = w:events(), 1
        end
      end
    else
      local t = qs.queue[qs.qi]
      qs.qi = qs.qi + 1
      local r
      if on_error == "raise" then
        r = apply(q, t, dispatch(q, qs, t))
      else
        local ok, res = pcall(function() return apply(q, t, dispatch(q, qs, t)) end)
        if ok then r = res else r = handle_error(q, qs, on_error, res) end
      end
      if r and q == p then return r end
    end
  end
end

--- p:watch(addr, len, mode, handler): a hardware watchpoint, mode "w"
-- (writes), "rw" (reads and writes) or "x" (execution); handler(t, w, old,
-- new) with the watched value before and after (integers, little-endian).
local Watch = {}
Watch.__index = Watch
function Watch:remove()
  if self.removed then return end
  assert(self.process:remove_watch(self.slot))
  state.of(self.process).watches[self.slot] = nil
  self.removed = true
end

function M.watch(p, addr, len, mode, handler)
  if type(addr) == "string" then
    addr = p:symbol(addr) or error(string.format("watch: no symbol '%s'", addr), 2)
  end
  if type(len) ~= "number" then len, mode, handler = 8, len, mode end
  mode = mode or "w"
  if type(mode) == "function" then mode, handler = "w", mode end
  local slot, err = p:add_watch(addr, len, mode)
  if not slot then error("watch: " .. err, 2) end
  local fmt = "<I" .. len
  local w = setmetatable({process = p, address = addr, len = len, mode = mode, slot = slot,
    hits = 0, handler = handler}, Watch)
  w.read = function() return p:unpack(fmt, addr) end
  w.value = w.read()
  local s = state.of(p)
  s.watches = s.watches or {}
  s.watches[slot] = w
  return w
end

--- p:on(event, handler): see docs/API.md ("Events").
local EVENTS = {breakpoint = true, signal = true, thread_create = true, thread_exit = true,
  exit = true, exec = true, fork = true}
function M.on(p, event, handler)
  if event == "syscall" then return M.on_syscall(p, handler) end
  if event == "fork" then p:set_follow_fork(handler ~= nil or state.of(p).follow_fork) end
  if not EVENTS[event] then error(string.format("on: unknown event %q", tostring(event)), 2) end
  if handler ~= nil and type(handler) ~= "function" then error("on: handler must be a function", 2) end
  state.of(p).handlers[event] = handler
  return p
end

--- p:on("syscall", fn | {filter = {"openat", ...}, on_entry = fn, on_exit = fn}):
-- turns syscall tracing on (nil turns it off); only filtered calls stop.
function M.on_syscall(p, h)
  local s = state.of(p)
  if h == nil then
    s.handlers.syscall = nil
    assert(p:trace_syscalls(false))
    return p
  end
  if type(h) == "function" then h = {fn = h} end
  if type(h) ~= "table" then error("on: syscall handler must be a function or a table", 3) end
  if h.filter ~= nil and type(h.filter) ~= "table" then error("on: syscall filter must be an array of names", 3) end
  for _, name in ipairs(h.filter or {}) do
    if type(name) == "string" and not core.syscall_number(name) then
      error(string.format("on: unknown syscall %q", name), 3)
    end
  end
  s.handlers.syscall = {fn = h.fn or h[1], on_entry = h.on_entry, on_exit = h.on_exit}
  s.sys_filter, s.sys_seccomp = h.filter, h.seccomp
  s.sys_calls = {}
  local ok, err = p:trace_syscalls(true, h.filter, h.seccomp)
  if not ok then error("on: " .. tostring(err), 3) end
  return p
end

M.POLICIES = POLICIES
return M
