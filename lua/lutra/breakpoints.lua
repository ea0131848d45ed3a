--- lutra.breakpoints: the user's logical breakpoints on top of the engine's
-- physical int3 (one per address, several owners: user breakpoints, return
-- probes, lutra's own breakpoints at the entry point and in the loader).
-- Resolution of `where`, strict by default; pending breakpoints for
-- libraries loaded later.
local state = require "lutra.state"

local M = {}

local BP = {}
BP.__index = BP

local function fmt_addr(a) return string.format("0x%x", a) end

--- Takes one reference on the physical breakpoint at addr.
function M.claim(p, addr)
  local s = state.of(p)
  local n = s.owners[addr] or 0
  if n == 0 and not p:has_breakpoint(addr) then
    local ok, err, code = p:add_breakpoint(addr)
    if not ok then return nil, err, code end
  end
  s.owners[addr] = n + 1
  return true
end

--- Drops one reference; the int3 goes when nobody owns it.
function M.release(p, addr)
  local s = state.of(p)
  local n = (s.owners[addr] or 0) - 1
  if n <= 0 then
    s.owners[addr] = nil
    if p.state == "stopped" and p:has_breakpoint(addr) then p:remove_breakpoint(addr) end
  else
    s.owners[addr] = n
  end
end

local function attach_bp(p, bp, addr)
  local s = state.of(p)
  -- a name's probe goes past a Go function's stack-check prologue
  if bp.symbol then addr = p:probe_address(addr) end
  if bp.enabled then
    local ok, err, code = M.claim(p, addr)
    if not ok then return nil, err, code end
  end
  if bp.process == p then -- a followed child resolves it for itself only
    bp.address = addr
    bp.pending = false
  end
  local list = s.by_addr[addr]
  if not list then list = {}; s.by_addr[addr] = list end
  list[#list + 1] = bp
  -- stop = "thread" holds only when every breakpoint at the address says so
  local nonstop = true
  for _, b in ipairs(list) do nonstop = nonstop and b.stop == "thread" end
  if p:has_breakpoint(addr) then p:set_breakpoint_nonstop(addr, nonstop) end
  return true
end

--- Enables a disabled breakpoint (its int3 goes back in).
function BP:enable()
  if self.enabled or self.removed then return self end
  self.enabled = true
  if self.address and not self.pending then
    assert(M.claim(self.process, self.address))
  end
  return self
end

--- Disables the breakpoint: its int3 leaves memory, it keeps its options.
function BP:disable()
  if not self.enabled or self.removed then return self end
  self.enabled = false
  if self.address and not self.pending then M.release(self.process, self.address) end
  return self
end

--- Removes the breakpoint for good.
function BP:remove()
  if self.removed then return end
  local p, s = self.process, state.of(self.process)
  if self.address then
    local list = s.by_addr[self.address] or {}
    for i = #list, 1, -1 do if list[i] == self then table.remove(list, i) end end
    if #list == 0 then s.by_addr[self.address] = nil end
    if self.enabled and not self.pending then M.release(p, self.address) end
  end
  for _, q in ipairs({s.pending, s.deferred}) do
    for i = #q, 1, -1 do if q[i] == self then table.remove(q, i) end end
  end
  self.removed, self.enabled = true, false
end

function BP:__tostring()
  return string.format("breakpoint %s at %s (%d hits%s)", self.symbol or "?",
    self.address and fmt_addr(self.address) or "pending", self.hits,
    self.enabled and "" or ", disabled")
end

-- A group made by a glob: one breakpoint per match, acted on together.
local Group = {}
Group.__index = function(g, k)
  if k == "hits" then
    local n = 0
    for _, bp in ipairs(g) do n = n + bp.hits end
    return n
  end
  return Group[k]
end
function Group:enable() for _, bp in ipairs(self) do bp:enable() end return self end
function Group:disable() for _, bp in ipairs(self) do bp:disable() end return self end
function Group:remove() for _, bp in ipairs(self) do bp:remove() end end

local function is_glob(where) return where:find("[%*%?%[]") ~= nil end

local function new_bp(p, where, opts)
  if opts.stop ~= nil and opts.stop ~= "thread" and opts.stop ~= "all" then
    error(string.format("break_at: stop must be \"all\" or \"thread\", not %q", tostring(opts.stop)), 3)
  end
  if opts.stop == "thread" and opts.on_return then
    error("break_at: on_return needs stop = \"all\" (its return site is set during the hit)", 3)
  end
  return setmetatable({
    process = p, symbol = type(where) == "string" and where or nil,
    hits = 0, enabled = true, pending = true, removed = false,
    handler = opts.handler, cond = opts.cond, once = opts.once,
    on_return = opts.on_return, on_unwind = opts.on_unwind,
    stop = opts.stop,
  }, BP)
end

local function module_loaded(p, modname)
  for _, m in ipairs(p:modules()) do
    local base = m.path:match("[^/]+$")
    if m.path == modname or base == modname or base:sub(1, #modname + 1) == modname .. "." then
      return true
    end
  end
  return false
end

--- Tries to resolve a pending breakpoint now. Returns true once inserted.
function M.try_resolve(p, bp)
  if bp.resolve then return bp:resolve() end -- a USDT probe (lutra.usdt)
  local addr = p:symbol(bp.symbol)
  if not addr then return false end
  local ok, err = attach_bp(p, bp, addr)
  if not ok then error(string.format("break_at %q: %s", bp.symbol, err), 0) end
  return true
end

--- Resolves every pending breakpoint whose library has appeared.
function M.resolve_pending(p)
  local s = state.of(p)
  for i = #s.pending, 1, -1 do
    local bp = s.pending[i]
    if M.try_resolve(p, bp) then table.remove(s.pending, i) end
  end
end

--- Resolves breakpoints deferred at spawn, now that the libraries the
-- program was linked against are mapped; an unknown name is an error.
function M.resolve_deferred(p)
  local s = state.of(p)
  local deferred = s.deferred
  s.deferred = {}
  local missing = {}
  for _, bp in ipairs(deferred) do
    if not bp.removed and not M.try_resolve(p, bp) then missing[#missing + 1] = bp.symbol end
  end
  if #missing > 0 then
    error(string.format("break_at: no symbol %s in process %d or the libraries it is linked against",
      "'" .. table.concat(missing, "', '") .. "'", p.pid), 0)
  end
end

-- True right after spawn, while only the executable and the dynamic loader
-- are mapped: the libraries the program is linked against come later.
local function libraries_unmapped(p)
  local s = state.of(p)
  if not s.before_entry then return false end
  for _, m in ipairs(p:modules()) do
    if not m.executable and not require("lutra.loader").is_loader(m.path) then
      s.before_entry = false
      return false
    end
  end
  return true
end

local function in_executable(p, addr)
  for _, m in ipairs(p:modules()) do
    if m.executable then return addr >= m.base and addr < m["end"] end
  end
  return false
end

local function add_pending(p, bp)
  local s = state.of(p)
  s.pending[#s.pending + 1] = bp
  require("lutra.loader").watch(p)
  return bp
end

--- p:break_at(where, handler | opts): see docs/API.md.
function M.break_at(p, where, opts)
  if type(opts) == "function" then opts = {handler = opts} end
  opts = opts or {}
  if type(opts) ~= "table" then error("break_at: options must be a function or a table", 2) end
  local s = state.of(p)
  if math.type(where) == "integer" then
    local bp = new_bp(p, nil, opts)
    local ok, err = attach_bp(p, bp, where)
    if not ok then error(string.format("break_at %s: %s", fmt_addr(where), err), 2) end
    bp.symbol = select(1, p:symbolize(where))
    return bp
  end
  if type(where) ~= "string" then error("break_at: where must be an address or a name", 2) end
  if where:sub(1, 5) == "usdt:" then
    return require("lutra.usdt").break_at(p, where, opts,
      {new_bp = new_bp, attach_bp = attach_bp, add_pending = add_pending})
  end
  local file, line = where:match("^(.+):(%d+)$")
  if file then
    -- "file.c:42": where that line begins, in each function with code for it
    local addrs, err = p:source_lines(file, math.tointeger(tonumber(line)))
    if not addrs then error(string.format("break_at %q: %s", where, err), 2) end
    local group = setmetatable({}, Group)
    for _, a in ipairs(addrs) do
      local bp = new_bp(p, where, opts)
      local ok, aerr = attach_bp(p, bp, a)
      if not ok then error(string.format("break_at %q: %s", where, aerr), 2) end
      group[#group + 1] = bp
    end
    if #group == 1 then return group[1] end
    return group
  end
  if is_glob(where) then
    -- An unqualified glob looks at the executable only; "lib.so:pat" at a library.
    local modname, pat = where:match("^(.*):([^:]*)$")
    pat = pat or where
    if not modname then
      for _, m in ipairs(p:modules()) do
        if m.executable then modname = m.path:match("[^/]+$") end
      end
    else
      modname = modname:match("[^/]+$")
    end
    local group = setmetatable({}, Group)
    local seen = {}
    for _, sym in ipairs(p:symbols(pat)) do
      if sym.type == "function" and (not modname or sym.module == modname
          or sym.module:sub(1, #modname + 1) == modname .. ".")
        and not seen[sym.address] then
        seen[sym.address] = true
        local bp = new_bp(p, sym.name, opts)
        local ok, err = attach_bp(p, bp, sym.address)
        if not ok then error(string.format("break_at %q (%s): %s", where, sym.name, err), 2) end
        group[#group + 1] = bp
      end
    end
    if #group == 0 then
      error(string.format("break_at: no function matches '%s' in process %d", where, p.pid), 2)
    end
    return group
  end
  local bp = new_bp(p, where, opts)
  local addr = p:symbol(where)
  local modname = where:match("^(.*):[^:]+$")
  if addr and not modname and libraries_unmapped(p) and not in_executable(p, addr) then
    -- Found only in the loader (its own strlen, ...) while the libraries
    -- are not mapped yet: the program's is decided at entry.
    addr = nil
  end
  if addr then
    local ok, err = attach_bp(p, bp, addr)
    if not ok then error(string.format("break_at %q: %s", where, err), 2) end
    return bp
  end
  if opts.pending or (modname and not module_loaded(p, modname)) then
    return add_pending(p, bp)
  end
  if libraries_unmapped(p) then
    -- Right after spawn the libraries are not mapped yet: decide at entry.
    s.deferred[#s.deferred + 1] = bp
    require("lutra.loader").watch_entry(p)
    return bp
  end
  error(string.format("break_at: no symbol '%s' in process %d or its libraries", where, p.pid), 2)
end

--- Every logical breakpoint at addr (nil when none).
function M.at(p, addr) return state.of(p).by_addr[addr] end

return M
