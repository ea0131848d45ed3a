--- lutra.syscalls: p:on("syscall", ...) and the dispatch of syscall
-- stops: on_entry / on_exit (or one handler for both), the exit carrying
-- its entry's arguments, and "skip" at entry.
local core = require "lutra.core"
local state = require "lutra.state"

local M = {}

--- A syscall stop. At entry a handler may return "skip", value: the call
-- does not run and returns value (a number, or an errno name such as
-- "ENOENT" for -ENOENT). Returns the handler's policy.
function M.dispatch(p, t, cause)
  local s = state.of(p)
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
  local t0 = core.now()
  local policy, value = fn(t, cause)
  s.handler_s = s.handler_s + (core.now() - t0)
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

--- A followed child is traced the way its parent is.
function M.follow(p, child)
  local s = state.of(p)
  if not s.handlers.syscall then return end
  local ok, err = child:trace_syscalls(true, s.sys_filter, s.sys_seccomp)
  if not ok then error("fork: " .. tostring(err), 0) end
end

--- p:on("syscall", fn | {filter = {"openat", ...}, on_entry = fn, on_exit = fn}):
-- turns syscall tracing on (nil turns it off); only filtered calls stop.
function M.on(p, h)
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

return M
