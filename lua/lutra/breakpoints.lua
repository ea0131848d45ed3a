--- lutra.breakpoints: the user's logical breakpoints on top of the engine's
-- physical int3 (one per address, several owners: user breakpoints, return
-- probes, lutra's own breakpoints at the entry point and in the loader).
-- Resolution of `where`, strict by default; pending breakpoints for
-- libraries loaded later. A breakpoint may have several locations (every
-- overload of a C++ name): one object, its hits summed.
local core = require "lutra.core"
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

-- A location's physical form: an int3, or for a probe (a counter, a
-- histogram, a `when`) its place in the program (lutra.probes); a plain
-- breakpoint where a probe's jump is becomes a trap in its trampoline.
local function claim_for(p, bp, addr)
  if bp.probe or bp.when then return require("lutra.probes").claim(p, bp, addr) end
  local ok, err, code = M.claim(p, addr)
  if not ok and code == "EBUSY" then return require("lutra.probes").claim(p, bp, addr, true) end
  return ok, err, code
end

local function release_for(p, bp, addr)
  if bp.probe or bp.when or bp.placed then return require("lutra.probes").release(p, bp, addr) end
  M.release(p, addr)
end

-- Adds one location to bp (its int3 goes in when bp is enabled).
local function attach_bp(p, bp, addr)
  local s = state.of(p)
  -- a name's probe goes past a Go function's stack-check prologue
  if bp.symbol then addr = p:probe_address(addr) end
  if bp.enabled then
    local ok, err, code = claim_for(p, bp, addr)
    if not ok then return nil, err, code end
  end
  if bp.process == p then -- a followed child resolves it for itself only
    if bp.pending then bp.address, bp.addresses = nil, {} end
    bp.address = bp.address or addr
    bp.addresses[#bp.addresses + 1] = addr
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
  if not self.pending then
    for _, a in ipairs(self.addresses) do assert(claim_for(self.process, self, a)) end
  end
  return self
end

--- Disables the breakpoint: its int3 leaves memory, it keeps its options.
function BP:disable()
  if not self.enabled or self.removed then return self end
  self.enabled = false
  if not self.pending then
    for _, a in ipairs(self.addresses) do release_for(self.process, self, a) end
  end
  return self
end

--- Removes the breakpoint for good.
function BP:remove()
  if self.removed then return end
  local p, s = self.process, state.of(self.process)
  if not self.pending then
    for _, a in ipairs(self.addresses) do
      local list = s.by_addr[a] or {}
      for i = #list, 1, -1 do if list[i] == self then table.remove(list, i) end end
      if #list == 0 then s.by_addr[a] = nil end
      if self.enabled then release_for(p, self, a) end
    end
  end
  for _, q in ipairs({s.pending, s.deferred}) do
    for i = #q, 1, -1 do if q[i] == self then table.remove(q, i) end end
  end
  self.removed, self.enabled = true, false
end

--- The name of the location at addr (one overload of a C++ name), else
-- the breakpoint's symbol.
function BP:location_name(addr)
  for _, l in ipairs(self.locations or {}) do
    if l.address == addr then return l.name end
  end
  return self.symbol
end

function BP:__tostring()
  local at = "pending"
  if not self.pending and #self.addresses > 1 then
    at = string.format("%d locations", #self.addresses)
  elseif self.address then
    at = fmt_addr(self.address)
  end
  return string.format("breakpoint %s at %s (%d hits%s)", self.symbol or "?", at, self.hits,
    self.enabled and "" or ", disabled")
end

-- A group made by a glob: one breakpoint per match, acted on together.
local Group = {}
M.Group = Group
Group.__index = function(g, k)
  if k == "mode" then return require("lutra.probes").mode_of(g) end
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
  if opts.when ~= nil then require("lutra.probes").check(opts.when, "break_at", 3) end
  return setmetatable({
    process = p, symbol = type(where) == "string" and where or nil,
    where = type(where) == "string" and where or nil, addresses = {},
    hits = 0, enabled = true, pending = true, removed = false,
    handler = opts.handler, cond = opts.cond, once = opts.once,
    on_return = opts.on_return, on_unwind = opts.on_unwind,
    stop = opts.stop,
    probe = opts.probe, when = opts.when, -- tested in the program (lutra.probes)
  }, BP)
end

local function module_loaded(p, modname) return p:module(modname) ~= nil end

-- A program without a dynamic loader (static, Go): nothing can define a
-- name later, so every name is decided at once.
local function static_program(p)
  for _, m in ipairs(p:modules()) do
    if m.executable then return not m.interp end
  end
  return false
end

-- A module prefix that may name a library not loaded yet: it looks like a
-- file name.
local function file_like(modname)
  return modname:find(".so", 1, true) ~= nil or modname:find("/", 1, true) ~= nil
end

local function describe_data(l)
  return string.format("'%s' is data (%s in %s), not code: watch it with p:watch", l.name,
    l.type == "object" and "a variable" or "a label in data", l.module)
end

local function in_executable(p, addr)
  for _, m in ipairs(p:modules()) do
    if m.executable then return addr >= m.base and addr < m["end"] end
  end
  return false
end

-- Puts bp at the code among locs (lookup's answer). nil, msg when the
-- name is data only.
local function place(p, bp, locs)
  local code, data = {}, nil
  for _, l in ipairs(locs) do
    if l.type == "function" then code[#code + 1] = l else data = data or l end
  end
  if #code == 0 then return nil, describe_data(data) end
  local seen = {}
  for _, l in ipairs(code) do
    if not seen[l.address] then
      seen[l.address] = true
      local ok, err = attach_bp(p, bp, l.address)
      if not ok then return nil, err end
    end
  end
  bp.locations = code
  -- A location in a library: it may be unloaded (dlclose), which only the
  -- loader's hook tells.
  for _, l in ipairs(code) do
    if not in_executable(p, l.address) then
      require("lutra.loader").watch(p)
      break
    end
  end
  -- A linkage name is printed demangled: "_ZN2ns1fEi" is "ns::f(int)".
  local modname, name = core.split_where(bp.where)
  if #code == 1 and core.demangle(name) then
    bp.symbol = (modname and modname .. ":" or "") .. code[1].name
  end
  return true
end

--- Tries to resolve a pending breakpoint now. Returns true once inserted,
-- false while its name is unknown (and the lookup's message and code).
function M.try_resolve(p, bp)
  if bp.resolve then return bp:resolve() end -- a USDT probe (lutra.usdt)
  local locs, err, code = p:lookup(bp.where)
  if not locs then return false, err, code end
  local ok, perr = place(p, bp, locs)
  if not ok then error(string.format("break_at %q: %s", bp.where, perr), 0) end
  return true
end

--- The int3s at addrs went with the object that held them (a dlclose):
-- the engine has dropped them without writing (p:forget_unmapped). Their
-- breakpoints wait for the object again, as gdb's do ("Temporarily
-- disabling breakpoints for unloaded shared library"): a name whose last
-- location went is pending again (resolved at the next load, wherever the
-- object lands); a breakpoint set by address went with its object.
function M.unloaded(p, addrs)
  local s = state.of(p)
  local queued = {}
  for _, bp in ipairs(s.pending) do queued[bp] = true end
  for _, a in ipairs(addrs) do
    local list = s.by_addr[a] or {}
    s.by_addr[a], s.owners[a], s.internal[a], s.ret_sites[a] = nil, nil, nil, nil
    for _, bp in ipairs(list) do
      if bp.process == p then
        for i = #bp.addresses, 1, -1 do
          if bp.addresses[i] == a then table.remove(bp.addresses, i) end
        end
        if bp.address == a then bp.address = bp.addresses[1] end
      end
      local orphaned = bp.process ~= p or #bp.addresses == 0
      if orphaned and not bp.removed and not queued[bp] then
        if bp.where then
          if bp.process == p then bp.pending, bp.address = true, nil end
          s.pending[#s.pending + 1] = bp
          queued[bp] = true
        elseif bp.process == p then
          bp.removed, bp.enabled = true, false
        end
      end
    end
  end
end

--- Resolves every pending breakpoint whose library has appeared.
function M.resolve_pending(p)
  local s = state.of(p)
  for i = #s.pending, 1, -1 do
    local bp = s.pending[i]
    if M.try_resolve(p, bp) then table.remove(s.pending, i) end
  end
end

-- What lutra knows about where a name could have been, as a parenthesis:
-- the object it searched is stripped (only its exported names are left),
-- or the program is a #! script whose traced image is its interpreter.
local function hints(p, modname, name)
  local out = {}
  local m
  if modname then
    m = p:module(modname)
  else
    for _, x in ipairs(p:modules()) do
      if x.executable then m = x end
    end
  end
  local script = state.of(p).script
  if script and not modname then
    out[#out + 1] = string.format("%s is a #! script: the traced program is its interpreter %s; " ..
      "a name in a library the interpreter loads later takes {pending = true}", script, m and m.path or "?")
  end
  if m and m.stripped then
    out[#out + 1] = string.format("%s is stripped: '%s' is not in its .dynsym", m.path, name)
  end
  if #out == 0 then return "" end
  return " (" .. table.concat(out, "; ") .. ")"
end

-- Why a name cannot be resolved now, in words. A name that may have been
-- in an object lutra cannot read gets the engine's answer, which names
-- the file and what is broken in it (EBADELF).
local function unknown(p, where, err, code)
  if code == "EBADELF" then return err end
  local modname, name = core.split_where(where)
  if modname and not module_loaded(p, modname) and file_like(modname) then
    return string.format("no module '%s' loaded in process %d (for symbol '%s')", modname, p.pid, name)
  elseif modname and not module_loaded(p, modname) then
    return string.format("'%s' is not a module of process %d (a C++ or Rust path is written with '::'; " ..
      "a library is named by its file: 'libfoo.so:%s')", modname, p.pid, name)
  end
  if modname then return string.format("no symbol '%s' in %s", name, modname) .. hints(p, modname, name) end
  return string.format("no symbol '%s' in process %d or the libraries it is linked against", where, p.pid) ..
    hints(p, nil, where)
end

--- Resolves breakpoints deferred at spawn, now that the libraries the
-- program was linked against are mapped; an unknown name is an error.
function M.resolve_deferred(p)
  local s = state.of(p)
  local deferred = s.deferred
  s.deferred = {}
  local missing = {}
  for _, bp in ipairs(deferred) do
    local ok, err, code
    if not bp.removed then ok, err, code = M.try_resolve(p, bp) end
    if not bp.removed and not ok then
      -- a USDT probe says why itself (lutra.usdt)
      missing[#missing + 1] = bp.resolve and select(2, require("lutra.usdt").resolve(p, bp.symbol))
        or unknown(p, bp.where, err, code)
    end
  end
  if #missing > 0 then error("break_at: " .. table.concat(missing, "; "), 0) end
end

-- True right after spawn, until the loader has mapped the libraries the
-- program is linked against (lutra.loader): they come later.
local function libraries_unmapped(p)
  local s = state.of(p)
  if not s.before_entry then return false end
  if static_program(p) then
    s.before_entry = false
    return false
  end
  if s.loader_watched then return true end -- its hook tells
  -- nobody watches the loader: the module list tells
  for _, m in ipairs(p:modules()) do
    if not m.executable and not require("lutra.loader").is_loader(m.path) then
      s.before_entry = false
      return false
    end
  end
  return true
end

-- bp waits in one of p's lists ("pending": for a library loaded later;
-- "deferred": to be decided once the libraries are mapped), resolved at
-- the loader's hook.
local function wait_in(list, p, bp)
  local s = state.of(p)
  s[list][#s[list] + 1] = bp
  require("lutra.loader").watch(p)
  return bp
end
local function add_pending(p, bp) return wait_in("pending", p, bp) end
local function defer(p, bp) return wait_in("deferred", p, bp) end

-- "pat" or "module:pat": one breakpoint per matching function (code only:
-- a variable or a marker in data never gets an int3). An unqualified glob
-- looks at the executable only.
local function break_glob(p, where, modname, pat, opts)
  -- the object the glob looks in, named by its path: which objects a
  -- prefix names is the engine's one rule (p:module)
  local path
  if not modname then
    for _, m in ipairs(p:modules()) do
      if m.executable then path = m.path end
    end
  else
    path = p:module(modname).path
  end
  local group = setmetatable({}, M.Group)
  local seen = {}
  local syms = path and p:symbols(path .. ":" .. pat) or {}
  -- thousands of them (a glob over libc): counted on a terminal, timed for --stats
  local meter = require("lutra.progress").start(p, "setting breakpoints", #syms)
  for i, sym in ipairs(syms) do
    meter:step(i)
    if sym.type == "function" and not seen[sym.address] then
      seen[sym.address] = true
      local bp = new_bp(p, sym.name, opts)
      local ok, err = attach_bp(p, bp, sym.address)
      if not ok then
        meter:done(0)
        group:remove()
        return nil, string.format("break_at %q (%s): %s", where, sym.name, err)
      end
      group[#group + 1] = bp
    end
  end
  meter:done(#group)
  if #group == 0 then
    return nil, string.format("break_at: no function matches '%s' in process %d", where, p.pid)
  end
  return group
end

--- p:break_at(where, handler | opts): see docs/API.md.
function M.break_at(p, where, opts)
  if type(opts) == "function" then opts = {handler = opts} end
  opts = opts or {}
  if type(opts) ~= "table" then error("break_at: options must be a function or a table", 2) end
  if math.type(where) == "integer" then
    local bp = new_bp(p, nil, opts)
    local ok, err = attach_bp(p, bp, where)
    if not ok then error(string.format("break_at %s: %s", fmt_addr(where), err), 2) end
    bp.symbol = select(1, p:symbolize(where))
    return bp
  end
  if type(where) ~= "string" then error("break_at: where must be an address or a name", 2) end
  if where:sub(1, 5) == "usdt:" then -- reserved: never a module named "usdt"
    return require("lutra.usdt").break_at(p, where, opts,
      {new_bp = new_bp, attach_bp = attach_bp, add_pending = add_pending})
  end
  local file, line = where:match("^(.+):(%d+)$")
  if file then
    -- "file.c:42": where that line begins, in each function with code for it
    local addrs, err = p:source_lines(file, math.tointeger(tonumber(line)))
    if not addrs then error(string.format("break_at %q: %s", where, err), 2) end
    local group = setmetatable({}, M.Group)
    for _, a in ipairs(addrs) do
      local bp = new_bp(p, where, opts)
      local ok, aerr = attach_bp(p, bp, a)
      if not ok then error(string.format("break_at %q: %s", where, aerr), 2) end
      group[#group + 1] = bp
    end
    if #group == 1 then return group[1] end
    return group
  end
  local modname, name = core.split_where(where)
  local bp = new_bp(p, where, opts)
  local loaded = not modname or module_loaded(p, modname)
  -- A name first, exactly ("operator[]" and "f(char const*)" are names);
  -- a glob only when nothing has that name.
  local locs, lerr, lcode
  if loaded then locs, lerr, lcode = p:lookup(where) end
  if locs and not modname and libraries_unmapped(p) then
    -- Found only in the loader (its own strlen, ...) while the libraries
    -- are not mapped yet: the program's is decided at entry.
    local exe = false
    for _, l in ipairs(locs) do exe = exe or in_executable(p, l.address) end
    if not exe then locs = nil end
  end
  if locs then
    local ok, err = place(p, bp, locs)
    if not ok then error(string.format("break_at %q: %s", where, err), 2) end
    return bp
  end
  if loaded and is_glob(name) then
    local group, err = break_glob(p, where, modname, name, opts)
    if not group then error(err, 2) end
    return group
  end
  if static_program(p) then
    -- No dynamic loader: nothing will ever define the name.
    error(string.format("break_at: %s (a program without a dynamic loader loads no library later)",
      unknown(p, where, lerr, lcode)), 2)
  end
  if opts.pending or (modname and not loaded and file_like(modname)) then
    return add_pending(p, bp)
  end
  if libraries_unmapped(p) then
    -- Right after spawn the libraries are not mapped yet: decide at entry.
    return defer(p, bp)
  end
  error("break_at: " .. unknown(p, where, lerr, lcode), 2)
end

--- Every logical breakpoint at addr (nil when none).
function M.at(p, addr) return state.of(p).by_addr[addr] end

return M
