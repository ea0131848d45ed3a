--- lutra.usdt: breakpoints on SystemTap SDT probes, `where = "usdt:PROVIDER:NAME"`
-- (every mapped object) or `"usdt:MODULE:PROVIDER:NAME"`. One probe object
-- stands for every site of the probe (an SDT probe may sit at several
-- places); its semaphores are raised while it is enabled, so the program's
-- `if (PROVIDER_NAME_ENABLED())` paths run. Resolution is as strict as for
-- names: see docs/API.md.
local state = require "lutra.state"

local M = {}

--- Splits a usdt `where`: module (nil for every object), provider, name.
-- Raises an error naming the accepted forms for anything else.
function M.parse(where)
  local parts = {}
  for part in (where:sub(6) .. ":"):gmatch("(.-):") do parts[#parts + 1] = part end
  local ok = (#parts == 2 or #parts == 3)
  for _, part in ipairs(parts) do ok = ok and part ~= "" end
  if not ok then
    error(string.format("break_at %q: a USDT probe is usdt:PROVIDER:NAME or usdt:MODULE:PROVIDER:NAME", where), 0)
  end
  if #parts == 2 then return nil, parts[1], parts[2] end
  return parts[1], parts[2], parts[3]
end

-- Right after spawn only the executable and the dynamic loader are mapped.
local function libraries_unmapped(p)
  local s = state.of(p)
  if not s.before_entry then return false end
  for _, m in ipairs(p:modules()) do
    if not m.executable and not require("lutra.loader").is_loader(m.path) then return false end
  end
  return true
end

local function looks_like_file(name) return name:find(".so", 1, true) ~= nil or name:find("/", 1, true) ~= nil end

--- The sites of a USDT probe in p: an array of {address=, semaphore=,
-- module=, args=, nargs=} (what p:usdt_probes gives), or nil, message,
-- "ENOSYM", and a fourth value saying when to ask again: "entry" (the
-- libraries are not mapped yet), "load" (its module is not loaded yet),
-- nil (never: an error).
function M.resolve(p, where)
  local module, provider, name = M.parse(where)
  local list, err, code = p:usdt_probes(module)
  if not list then
    if looks_like_file(module) then return nil, err, code, "load" end
    return nil, err, code, libraries_unmapped(p) and "entry" or nil
  end
  local sites = {}
  for _, pr in ipairs(list) do
    if pr.provider == provider and pr.name == name then sites[#sites + 1] = pr end
  end
  if #sites > 0 and (module or not libraries_unmapped(p)) then return sites end
  if not module and libraries_unmapped(p) then
    return nil, string.format("no USDT probe %s:%s mapped yet in process %d", provider, name, p.pid), "ENOSYM", "entry"
  end
  local where_msg = module or string.format("process %d (%d objects searched)", p.pid, #p:modules())
  return nil, string.format("no USDT probe %s:%s in %s", provider, name, where_msg), "ENOSYM"
end

local Probe = {}
Probe.__index = function(pr, k)
  if k == "hits" then
    local n = 0
    for _, bp in ipairs(pr.sites) do n = n + bp.hits end
    return n
  end
  return Probe[k]
end

local function raise(pr, delta)
  local p = pr.process
  for addr in pairs(pr.semaphores) do
    local ok, err = p:usdt_semaphore(addr, delta)
    if not ok and delta > 0 then error(string.format("break_at %q: semaphore at 0x%x: %s", pr.symbol, addr, err), 0) end
  end
end

--- Inserts the probe at its sites (on the engine's breakpoints) and raises
-- its semaphores. Returns true, or false when it cannot be resolved yet.
function Probe:resolve()
  local p = self.process
  local sites, err = M.resolve(p, self.symbol)
  if not sites then return false, err end
  local br = self.breakpoints
  self.sites, self.addresses, self.semaphores = {}, {}, {}
  for _, site in ipairs(sites) do
    local bp = br.new_bp(p, self.symbol, self.site_opts)
    bp.usdt = self
    -- after an exec the site waits again: the probe resolves afresh
    bp.resolve = function(b)
      for i, s in ipairs(self.sites) do if s == b then table.remove(self.sites, i) end end
      if #self.sites == 0 then return self:resolve() end
      return true
    end
    local ok, aerr = br.attach_bp(p, bp, site.address)
    if not ok then error(string.format("break_at %q: %s", self.symbol, aerr), 0) end
    if not self.enabled then bp:disable() end
    self.sites[#self.sites + 1] = bp
    self.addresses[#self.addresses + 1] = site.address
    if site.semaphore then self.semaphores[site.semaphore] = true end
  end
  self.address, self.pending = self.addresses[1], false
  if self.enabled then raise(self, 1) end
  return true
end

function Probe:enable()
  if self.enabled or self.removed then return self end
  self.enabled = true
  for _, bp in ipairs(self.sites) do bp:enable() end
  if not self.pending then raise(self, 1) end
  return self
end

function Probe:disable()
  if not self.enabled or self.removed then return self end
  self.enabled = false
  for _, bp in ipairs(self.sites) do bp:disable() end
  if not self.pending then raise(self, -1) end
  return self
end

function Probe:remove()
  if self.removed then return end
  local s = state.of(self.process)
  if self.enabled and not self.pending and self.process.state == "stopped" then raise(self, -1) end
  for _, bp in ipairs(self.sites) do bp:remove() end
  for _, q in ipairs({s.pending, s.deferred}) do
    for i = #q, 1, -1 do if q[i] == self then table.remove(q, i) end end
  end
  self.removed, self.enabled = true, false
end

function Probe:__tostring()
  return string.format("USDT probe %s at %s (%d hits%s)", self.symbol,
    self.pending and "pending" or string.format("%d site%s", #self.sites, #self.sites == 1 and "" or "s"),
    self.hits, self.enabled and "" or ", disabled")
end

--- p:break_at("usdt:...", opts) (called by lutra.breakpoints with its
-- new_bp, attach_bp and add_pending).
function M.break_at(p, where, opts, br)
  if opts.on_return then
    error(string.format("break_at %q: on_return does not apply to a USDT probe (it marks a place, not a function)", where), 3)
  end
  local pr = setmetatable({process = p, symbol = where, sites = {}, addresses = {}, semaphores = {},
    enabled = true, pending = true, removed = false, breakpoints = br}, Probe)
  -- The sites call the user's handler with the probe object.
  local handler, cond = opts.handler, opts.cond
  pr.site_opts = {
    stop = opts.stop,
    probe = opts.probe, when = opts.when, -- counters and conditions in the program (lutra.probes)
    handler = function(t)
      if opts.once then pr:remove() end
      if handler then return handler(t, pr) end
      local h = state.of(p).handlers.breakpoint
      if h then return h(t, pr) end
    end,
    cond = cond and function(t) return cond(t, pr) end,
  }
  local sites, err, _, later = M.resolve(p, where)
  if sites then
    pr:resolve()
    return pr
  end
  local s = state.of(p)
  if later == "load" or opts.pending then
    return br.add_pending(p, pr)
  end
  if later == "entry" then
    s.deferred[#s.deferred + 1] = pr
    require("lutra.loader").watch(p)
    return pr
  end
  error(string.format("break_at: %s", err), 3)
end

return M
