--- lutra.loader: lutra's own breakpoint in the dynamic loader, at
-- _dl_debug_state, the function r_debug.r_brk names: the loader calls it
-- around every change of the list of loaded objects, the initial libraries
-- included (before their initialisers run) and every dlopen/dlclose. At
-- each call where the list is consistent again, names waiting for their
-- library are resolved. Where the hook cannot be set (no such symbol),
-- the program's entry point stands in for the initial libraries.
local state = require "lutra.state"
local bps -- lutra.breakpoints, required lazily (it requires us)

local M = {}

-- r_debug's r_state (glibc's <link.h>): the list is being changed (RT_ADD,
-- RT_DELETE) or is consistent (RT_CONSISTENT). It follows r_version, r_map
-- and r_brk.
local R_STATE_OFFSET, RT_CONSISTENT = 24, 0

--- Is this module path the dynamic loader (ld-linux*.so, ld.so*)?
function M.is_loader(path)
  return path:match("/ld%-linux[^/]*$") ~= nil or path:match("/ld%.so[^/]*$") ~= nil
end

local function internal(p, addr, fn)
  local s = state.of(p)
  if s.internal[addr] then return true end
  local ok, err = bps.claim(p, addr)
  if not ok then return nil, err end
  s.internal[addr] = fn
  return true
end

-- The loaded objects are consistent: the initial libraries are mapped (and
-- relocated, their initialisers not run yet), or a dlopen is done.
local function consistent(p)
  local s = state.of(p)
  s.before_entry = false
  -- An object unloaded since the last look (dlclose): its int3s went with
  -- it, and its breakpoints wait for it again.
  local gone = p:forget_unmapped()
  if #gone > 0 then bps.unloaded(p, gone) end
  bps.resolve_pending(p)
  bps.resolve_deferred(p)
  if s.stop_at_libraries then
    s.stop_at_libraries = false
    return "stop"
  end
end

--- Checks deferred names at the entry point, where every library the
-- program was linked against is mapped: for a loader without the hook.
local function watch_entry(p)
  local s = state.of(p)
  if s.entry_watched then return end
  for _, m in ipairs(p:modules()) do
    if m.executable then
      local entry = m.entry
      local ok = internal(p, entry, function()
        s.internal[entry] = nil
        bps.release(p, entry)
        return consistent(p)
      end)
      s.entry_watched = ok and true or false
      return
    end
  end
end

--- Breaks at the loader's debug hook, so that names wait for their
-- library only until it is mapped: the initial libraries before any of
-- their code runs, a dlopen'ed one before its initialisers.
function M.watch(p)
  bps = bps or require "lutra.breakpoints"
  local s = state.of(p)
  if s.loader_watched then return end
  for _, m in ipairs(p:modules()) do
    if M.is_loader(m.path) then
      local addr = p:symbol(m.path .. ":_dl_debug_state")
      local rdebug = p:symbol(m.path .. ":_r_debug")
      if addr and internal(p, addr, function()
            local st = rdebug and p:unpack("<i4", rdebug + R_STATE_OFFSET)
            if st == nil or st == RT_CONSISTENT then return consistent(p) end
          end) then
        s.loader_watched = true
        return
      end
    end
  end
  if s.before_entry then watch_entry(p) end
end

--- Runs a freshly spawned program until its libraries are mapped, before
-- any of their code (initialisers included) has run: then every name of
-- the program and its libraries resolves. Returns run's result
-- ({reason = "stopped"} when it got there).
function M.run_to_libraries(p)
  local s = state.of(p)
  if p.state == "exited" then return p:run() end -- its exec failed past the point of no return
  if not s.before_entry then return {reason = "stopped"} end
  s.stop_at_libraries = true
  M.watch(p)
  return p:run()
end

return M
