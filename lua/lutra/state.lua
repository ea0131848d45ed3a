--- lutra.state: what the Lua layer keeps per traced process, keyed weakly
-- by the Process userdata so that it goes when the process does. Every
-- field is declared here, with what a followed fork's child shares or
-- copies of it and what an exec resets.
local now = require("lutra.core").now

local M = {}

--- Calls a user handler, its time counted in s.handler_s (p:stats()).
-- Reading the clock twice costs about 5% of a hit: past the first 64
-- calls, one call in 16 is timed and counts for 16.
function M.call(s, fn, ...)
  local n = s.handler_calls + 1
  s.handler_calls = n
  if n > 64 and n % 16 ~= 0 then return fn(...) end
  local t0 = now()
  local r = fn(...)
  s.handler_s = s.handler_s + (now() - t0) * (n > 64 and 16 or 1)
  return r
end

local states = setmetatable({}, {__mode = "k"})

local function fresh()
  return {
    -- the user's
    handlers = {},   -- event name -> function (syscall: {fn=, on_entry=, on_exit=})
    by_addr = {},    -- address -> array of logical breakpoints
    pending = {},    -- breakpoints waiting for their library
    deferred = {},   -- names to decide once the libraries are mapped
    watches = {},    -- hardware slot -> watchpoint
    follow_fork = false,
    -- lutra's own
    owners = {},     -- address -> references on the physical int3
    internal = {},   -- address -> lutra's own handler (entry, loader)
    frames = {},     -- frame key -> stack of return-probe frames (lutra.returns)
    nframes = 0,     -- how many, all keys together
    ret_sites = {},  -- addresses holding a return probe's int3
    loader_watched = false, entry_watched = false,
    before_entry = false, -- spawned and the libraries not mapped yet
    script = nil,    -- spawned as a #! script: its path (the image traced is its interpreter)
    stop_at_libraries = false, -- run stops once they are (lutra.loader)
    sys_filter = nil, sys_seccomp = nil, -- how syscalls are traced
    sys_calls = {},  -- tid -> the syscall entry whose exit is awaited
    -- run's
    queue = {}, qi = 1, -- events not yet dispatched (after a "stop")
    evbuf = nil,     -- the events table wait_stop refills
    family = nil,    -- for the process run was called on: it and its followed children
    root = nil,      -- for a followed child: the process run dispatches it with
    exit_fired = false,
    handler_s = 0,   -- time spent in the user's handlers (p:stats())
    handler_calls = 0, -- how many (state.call times some of them)
  }
end

--- The state of process p, made on first use.
function M.of(p)
  local s = states[p]
  if not s then
    s = fresh()
    states[p] = s
  end
  return s
end

--- A followed fork: the child shares the parent's handlers and logical
-- breakpoints (so hits add up across processes) and gets copies of the
-- tables that describe its memory, which is a copy of the parent's.
function M.copy_for_fork(s, cs)
  cs.handlers = s.handlers
  cs.follow_fork = s.follow_fork
  for k, list in pairs(s.by_addr) do cs.by_addr[k] = list end
  for k, v in pairs(s.owners) do cs.owners[k] = v end
  for k, v in pairs(s.internal) do cs.internal[k] = v end
  for k, v in pairs(s.ret_sites) do cs.ret_sites[k] = v end
  for i, bp in ipairs(s.pending) do cs.pending[i] = bp end
  cs.sys_filter, cs.sys_seccomp = s.sys_filter, s.sys_seccomp
end

--- An exec of p: a new program, every address void. Symbolic breakpoints
-- wait again (they go back to `pending`); the rest of the user's state
-- stays (hardware watchpoints too: the engine keeps them armed). A
-- breakpoint made on another process (the parent of a followed child) is
-- resolved again in p, but its fields stay its own process's.
function M.reset_for_exec(p, s)
  local seen = {}
  for _, list in pairs(s.by_addr) do
    for _, bp in ipairs(list) do
      if bp.symbol and not bp.removed and not seen[bp] then
        seen[bp] = true
        if bp.process == p then bp.pending, bp.address = true, nil end
        s.pending[#s.pending + 1] = bp
      end
    end
  end
  s.by_addr, s.owners, s.internal, s.ret_sites, s.frames, s.nframes = {}, {}, {}, {}, {}, 0
  s.loader_watched, s.entry_watched = false, false
end

return M
