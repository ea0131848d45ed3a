-- leaks.lua: pairs every malloc/calloc/realloc with its free and reports,
-- at exit, the blocks never freed, grouped by the two callers that
-- allocated them (largest first). The allocator's own calls (libc's stdio buffers,
-- the loader) are reported too: they are real blocks never freed.
--   build/lutra examples/leaks.lua -- build/examples/leaky
local p = lutra.target
local live = {}     -- address -> {size =, site =}
local pending = {}  -- thread -> stack of {size, site} awaiting the return
local allocs, frees = 0, 0

-- Where the allocator was called from: the two frames above it, as
-- function+offset, from the stack at its entry.
local function call_site(t)
  local frames = t:backtrace(3)
  local where = {}
  for i = 2, #frames do
    local f = frames[i]
    where[#where + 1] = f.name and string.format("%s+0x%x", f.name, f.offset)
      or string.format("0x%x", f.pc)
  end
  return table.concat(where, " <- ")
end

local function on_entry(size_of)
  return function(t)
    local s = pending[t] or {}
    pending[t] = s
    s[#s + 1] = {size = size_of(t), site = call_site(t)}
  end
end

local function on_return(t, ptr)
  local call = table.remove(pending[t])
  if ptr ~= 0 then
    allocs = allocs + 1
    live[ptr] = call
  end
end

local function forget(ptr)
  if ptr ~= 0 and live[ptr] then
    live[ptr] = nil
    frees = frees + 1
  end
end

p:break_at("malloc", {handler = on_entry(function(t) return t:arg(1) end), on_return = on_return})
p:break_at("calloc", {handler = on_entry(function(t) return t:arg(1) * t:arg(2) end), on_return = on_return})
p:break_at("realloc", {
  handler = function(t)
    forget(t:arg(1))
    on_entry(function() return t:arg(2) end)(t)
  end,
  on_return = on_return,
})
p:break_at("free", function(t) forget(t:arg(1)) end)

local result = p:run()

local by_site = {}
for _, b in pairs(live) do
  local s = by_site[b.site] or {site = b.site, blocks = 0, bytes = 0}
  by_site[b.site] = s
  s.blocks, s.bytes = s.blocks + 1, s.bytes + b.size
end
local rows = {}
for _, s in pairs(by_site) do rows[#rows + 1] = s end
table.sort(rows, function(a, b) return a.bytes > b.bytes or (a.bytes == b.bytes and a.site < b.site) end)

print(string.format("%d allocations, %d frees; program %s", allocs, frees,
  result.code and ("exited with code " .. result.code) or result.reason))
if #rows == 0 then print("no leaks") end
for _, s in ipairs(rows) do
  print(string.format("leaked %6d bytes in %3d block%s from %s", s.bytes, s.blocks,
    s.blocks == 1 and " " or "s", s.site))
end
