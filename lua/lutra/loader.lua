--- lutra.loader: lutra's own breakpoints that follow the dynamic loader:
-- one at the program's entry point (the libraries it was linked against are
-- mapped by then) and one at _dl_debug_state, the function the loader's
-- r_debug.r_brk names, which it calls around every library load, dlopen
-- included.
local state = require "lutra.state"
local bps -- lutra.breakpoints, required lazily (it requires us)

local M = {}

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

--- Breaks at the loader's debug hook so pending breakpoints resolve as
-- soon as their library is mapped.
function M.watch(p)
  bps = bps or require "lutra.breakpoints"
  local s = state.of(p)
  if s.loader_watched then return end
  for _, m in ipairs(p:modules()) do
    if M.is_loader(m.path) then
      local addr = p:symbol(m.path .. ":_dl_debug_state")
      if addr and internal(p, addr, function() bps.resolve_pending(p) end) then
        s.loader_watched = true
      end
      return
    end
  end
end

--- Checks deferred names at the entry point, where every library the
-- program was linked against is mapped.
function M.watch_entry(p)
  bps = bps or require "lutra.breakpoints"
  local s = state.of(p)
  if s.entry_watched then return end
  for _, m in ipairs(p:modules()) do
    if m.executable then
      local entry = m.entry
      local ok = internal(p, entry, function()
        s.before_entry = false
        s.internal[entry] = nil
        bps.release(p, entry)
        bps.resolve_pending(p)
        bps.resolve_deferred(p)
      end)
      s.entry_watched = ok and true or false
      return
    end
  end
end

return M
