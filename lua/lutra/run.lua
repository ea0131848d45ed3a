--- lutra.run: the dispatch loop. Repeat cont and wait_stop; for each
-- eventful thread, in the order the events arrived, call its handler and
-- apply the continue policy it returns (docs/API.md, "Continue policy").
local core = require "lutra.core"
local state = require "lutra.state"
local returns = require "lutra.returns"
local syscalls = require "lutra.syscalls"
local watch = require "lutra.watch"
local probes = require "lutra.probes"

local M = {}

local now = core.now

local call = state.call

-- The methods the loop calls at every hit, looked up once (a method call
-- on a userdata goes through its __index each time).
local resume_wait = core.Process.resume_wait
local breakpoint_pc = core.Thread.breakpoint_pc

-- via: the trap of a probe in a trampoline (lutra.probes) that reported
-- the stop at its function's address pc, nil for an int3 at pc.
local function on_breakpoint(p, s, t, pc, via)
  local policy
  local internal = not via and s.internal[pc]
  if internal then policy = internal(t) end
  local rpolicy
  if not via and s.nframes > 0 then rpolicy = returns.check(p, t, pc) end
  if rpolicy ~= nil and rpolicy ~= "continue" and (policy == nil or policy == "continue") then policy = rpolicy end
  local list = s.by_addr[pc] -- bps.at(p, pc)
  if list then
    -- Handlers may remove breakpoints: walk a copy (one alone needs none:
    -- ipairs stops after it either way; no table per hit).
    local copy = list[2] and table.move(list, 1, #list, 1, {}) or list
    for i = 1, #copy do
      local bp = copy[i]
      if bp.enabled and not bp.removed and (not (via or bp.inline_at or bp.exprs) or probes.fires(bp, t, pc, via, p))
          and (not bp.cond or call(s, bp.cond, t, bp)) then
        bp.hits = bp.hits + 1
        if bp.on_return then returns.push(p, t, bp) end
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

-- A followed fork: the child gets the parent's Lua state (lutra.state) and
-- joins the family `run` dispatches; the fork handler may instead say
-- "detach". Returns nil: the parent simply goes on.
local function on_fork(p, s, cause)
  local child = cause.child
  if not child then return nil end
  state.copy_for_fork(s, state.of(child))
  local policy
  if s.handlers.fork then policy = call(s, s.handlers.fork, p, child) end
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
    syscalls.follow(p, child)
    local root = s.root or p
    local rs = state.of(root)
    rs.family = rs.family or {root}
    table.insert(rs.family, child)
    state.of(child).root = root
  else
    error(string.format("fork handler returned %q (expected \"follow\" or \"detach\")", tostring(policy)), 0)
  end
  return nil
end

local function dispatch(p, s, t)
  -- A hit, the hot path: no cause table.
  local pc, via = breakpoint_pc(t)
  if pc then return on_breakpoint(p, s, t, pc, via) end
  local cause = t:stopped()
  local kind = cause.kind
  local h = s.handlers
  if kind ~= "thread_exit" and kind ~= "exec" then
    local policy = returns.check(p, t, nil) -- frames it has left meanwhile
    if policy then return policy end
  end
  if kind == "signal" then
    if h.signal then return call(s, h.signal, t, cause.signal) end
  elseif kind == "thread_create" then
    if h.thread_create then return call(s, h.thread_create, t, cause.thread) end
  elseif kind == "thread_exit" then
    returns.drop_thread(p, t)
    if h.thread_exit then return call(s, h.thread_exit, t, cause) end
  elseif kind == "syscall" then
    return syscalls.dispatch(p, t, cause)
  elseif kind == "fork" then
    return on_fork(p, s, cause)
  elseif kind == "watchpoint" then
    return watch.hit(p, t, cause, function(fn, ...) return call(s, fn, ...) end)
  elseif kind == "exec" then
    returns.exec(p, t)
    state.reset_for_exec(p, s)
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
    if bp.process == p then -- a followed child's program may simply not have it
      io.stderr:write(string.format("lutra: warning: breakpoint '%s' never resolved (no loaded module had that symbol)\n",
        bp.symbol or "?"))
    end
  end
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
  if not s.family then
    s.alone = s.alone or {p}
    return s.alone
  end
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

--- p:run([{timeout = seconds, on_error = "raise"|"log"|"detach", every = seconds, tick = fn}])
function M.run(p, opts)
  opts = opts or {}
  local s = state.of(p)
  local on_error = opts.on_error or "raise"
  if on_error ~= "raise" and on_error ~= "log" and on_error ~= "detach" then
    error("run: on_error must be raise, log or detach", 2)
  end
  local deadline = opts.timeout and now() + opts.timeout
  local ticker = probes.ticker(opts) -- every/tick: called while the program runs
  local result -- p's own end, once it has come
  while true do
    -- The hot path: one process, its round's events dispatched, no stop
    -- pending. cont, wait_stop, and each event of the new round.
    while not s.family and not ticker and on_error == "raise" and s.qi > #s.queue do
      s.evbuf = s.evbuf or {}
      local events, _, code = resume_wait(p, deadline and math.max(0, deadline - now()) or nil, s.evbuf)
      if not events then
        if code == "ETIMEOUT" then return {reason = "timeout"} end
        if code == "EMISUSE" then break end -- neither stopped nor running: the general path
        return finish(p, s)
      end
      s.queue, s.qi = events, 1
      for i = 1, #events do
        if s.family then break end -- a fork joined: the general path takes the rest
        local t = events[i]
        s.qi = i + 1
        local policy = dispatch(p, s, t)
        if policy ~= nil and policy ~= "continue" then
          local r = apply(p, t, policy)
          if r then return r end
        end
      end
    end
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
      local tick_in = ticker and probes.tick(ticker, p, function(fn, ...) return call(s, fn, ...) end)
      local ticking = tick_in and (not remaining or tick_in < remaining)
      if ticking then remaining = tick_in end
      if #alive == 1 and alive[1] == p then
        -- one events table for every round of this process
        s.evbuf = s.evbuf or {}
        local events, _, code = p:wait_stop(remaining, s.evbuf, ticking)
        if not events then
          if code == "ETIMEOUT" and ticking then goto continue end -- a tick is due: the program runs on
          if code == "ETIMEOUT" then return {reason = "timeout"} end
          return finish(p, s)
        end
        s.queue, s.qi = events, 1
      else
        local w, why, code = core.wait_any(alive, remaining, ticking)
        if not w then
          if code == "ETIMEOUT" and ticking then goto continue end
          if code == "ETIMEOUT" then return {reason = "timeout"} end
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
    ::continue::
  end
end

--- p:on(event, handler): see docs/API.md ("Events").
local EVENTS = {breakpoint = true, signal = true, thread_create = true, thread_exit = true,
  exit = true, exec = true, fork = true}
function M.on(p, event, handler)
  if event == "syscall" then return syscalls.on(p, handler) end
  if event == "fork" then p:set_follow_fork(handler ~= nil or state.of(p).follow_fork) end
  if not EVENTS[event] then error(string.format("on: unknown event %q", tostring(event)), 2) end
  if handler ~= nil and type(handler) ~= "function" then error("on: handler must be a function", 2) end
  state.of(p).handlers[event] = handler
  return p
end

return M
