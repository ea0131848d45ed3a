--- lutra.value: typed values (lutra.Value) printed in gdb's one-line
-- `print` form, bounded in depth, elements and length; the functions on
-- values (type, address, pointer, enum_name...); and the formatting of
-- typed arguments for `lutra trace`.
local core = require "lutra.core"

local cv = core.value
local M = {}
for k, f in pairs(cv) do
  if type(f) == "function" then M[k] = f end
end

--- The bounds of a printed value (gdb's `print elements` is 200 and its
-- `print repeats` 10; `depth` is gdb's `print max-depth`, lower here).
M.limits = {depth = 8, elements = 200, repeats = 10, length = 4096}

local kind, fields, state = cv.kind, cv.fields, cv.state

local ESC = {["\""] = "\\\"", ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r",
  ["\a"] = "\\a", ["\b"] = "\\b", ["\f"] = "\\f", ["\v"] = "\\v", ["\27"] = "\\033"}

-- One character as gdb writes it inside quotes (q is the quote).
local function esc_char(c, q)
  if c == q or c == "\\" then return "\\" .. c end
  local e = ESC[c]
  if e and c ~= "\"" and c ~= "'" then return e end
  local b = c:byte()
  if b < 32 or b >= 127 then return string.format("\\%03o", b) end
  return c
end

local function quote(s, q)
  q = q or "\""
  return q .. s:gsub(".", function(c) return esc_char(c, q) end) .. q
end
M.quote = quote

-- A run of bytes as gdb prints char arrays: quoted segments, and runs of
-- `repeats` or more equal bytes as 'c' <repeats N times>.
local function char_runs(s, limits, truncated)
  local out, seg = {}, {}
  local i, n = 1, #s
  local function flush()
    if #seg > 0 then out[#out + 1] = quote(table.concat(seg)); seg = {} end
  end
  while i <= n do
    local c = s:sub(i, i)
    local j = i
    while j < n and s:sub(j + 1, j + 1) == c do j = j + 1 end
    local run = j - i + 1
    if run >= limits.repeats then
      flush()
      out[#out + 1] = string.format("%s <repeats %d times>", quote(c, "'"), run)
    else
      seg[#seg + 1] = s:sub(i, j)
    end
    i = j + 1
  end
  flush()
  if #out == 0 then out[1] = "\"\"" end
  return table.concat(out, ", ") .. (truncated and "..." or "")
end

local function fmt_float(x, size)
  if x ~= x then return "nan(0x8000000000000)" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  local s = string.format(size == 4 and "%.9g" or "%.17g", x)
  return s
end

local function char_lit(n)
  local b = n & 0xff
  return string.format("%d %s", n, quote(string.char(b), "'"))
end

local format -- forward

local function err_text(v, msg)
  local st = state(v)
  if st == "optimized out" then return "<optimized out>" end
  return string.format("<error: %s>", msg or st or "?")
end

-- A pointer's text: 0x... and, for char pointers, the string; for
-- function pointers, the symbol.
local function fmt_pointer(v, limits, top)
  local info, msg = cv.pointer_info(v, limits.elements)
  if not info then return err_text(v, msg) end
  local hex = string.format("0x%x", info.address)
  -- gdb's `print symbol`: a pointer into the program's code or data is
  -- followed by the symbol it points into
  local sym = info.symbol and string.format(" <%s%s>", info.symbol, info.offset ~= 0 and "+" .. info.offset or "") or ""
  if info.string then return hex .. sym .. " " .. quote(info.string) .. (info.truncated and "..." or "") end
  if info.error then return hex .. sym .. " <error: " .. info.error .. ">" end
  if info.target == "function" then
    return (top and "{" .. M.type(cv.deref(v)) .. "} " or "") .. hex .. sym
  end
  return hex .. sym
end

local function fmt_array(v, limits, depth)
  local n = #v
  local ek = n > 0 and kind(v[0]) or nil
  if ek == "char" or ek == "uchar" then
    local want = math.min(n, limits.elements)
    local bytes, msg = M.bytes(v, want)
    if not bytes then return err_text(v, msg) end
    -- gdb drops the NUL that ends an array printed whole
    if want == n and bytes:sub(-1) == "\0" then bytes = bytes:sub(1, -2) end
    return char_runs(bytes, limits, n > limits.elements)
  end
  if depth >= limits.depth then return "{...}" end
  local parts, i, shown = {}, 0, 0
  local texts = {}
  local function text_of(k)
    local t = texts[k]
    if not t then t = format(v[k], limits, depth + 1); texts[k] = t end
    return t
  end
  while i < n and shown < limits.elements do
    local text = text_of(i)
    local j = i
    -- a run of equal elements: scalars are compared by value, cheaply
    local base = (ek ~= "struct" and ek ~= "union" and ek ~= "array") and v[i]() or nil
    if base ~= nil then
      while j + 1 < n and v[j + 1]() == base do j = j + 1 end
    else
      while j + 1 < n and j - i < limits.elements and text_of(j + 1) == text do j = j + 1 end
    end
    local run = j - i + 1
    if run >= limits.repeats then
      parts[#parts + 1] = string.format("%s <repeats %d times>", text, run)
      shown = shown + limits.repeats
    else
      local k = i
      while k <= j and shown < limits.elements do
        parts[#parts + 1] = text
        shown = shown + 1
        k = k + 1
      end
      j = k - 1
    end
    i = j + 1
  end
  return "{" .. table.concat(parts, ", ") .. (i < n and "..." or "") .. "}"
end

local function is_std_string(v)
  return M.type(v, true):match("^std::__cxx11::basic_string<char,") ~= nil
end

-- libstdc++'s std::string as gdb's pretty-printer shows it: its text.
local function fmt_std_string(v, limits)
  local ok, r = pcall(function()
    local len = v._M_string_length()
    local p = v._M_dataplus._M_p
    if not len then return nil end
    local bytes = M.process(v):read(M.pointer(p), math.min(len, limits.elements))
    if not bytes then return nil end
    return quote(bytes) .. (len > limits.elements and "..." or "")
  end)
  return ok and r or nil
end

local function fmt_struct(v, limits, depth)
  if depth >= limits.depth then return "{...}" end
  local loaded, msg = cv.load(v) -- one read for all its members
  if not loaded then return "<error: " .. tostring(msg) .. ">" end
  v = loaded
  if is_std_string(v) then
    local s = fmt_std_string(v, limits)
    if s then return s end
  end
  local ok, fs = pcall(fields, v)
  if not ok then return "<incomplete type>" end
  if #fs == 0 then
    return "{<No data fields>}"
  end
  local parts = {}
  for i, f in ipairs(fs) do
    if i > limits.elements then parts[#parts + 1] = "..."; break end
    local text = format(f.value, limits, depth + 1)
    if f.base then
      parts[#parts + 1] = string.format("<%s> = %s", M.type(f.value), text)
    elseif f.name then
      parts[#parts + 1] = f.name .. " = " .. text
    else
      parts[#parts + 1] = text
    end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function fmt_scalar(v, k)
  local x, msg = v()
  if x == nil then return err_text(v, msg) end
  if k == "bool" then return x and "true" or "false" end
  if k == "char" or k == "uchar" then return char_lit(x) end
  if k == "enum" then return M.enum_name(v) or tostring(x) end
  if k == "uint" and x < 0 then -- above 2^63: Lua's integers are signed
    local q = (x >> 1) // 5
    return tostring(q) .. tostring(x - q * 10)
  end
  if k == "float" then
    local t = M.type(v)
    return fmt_float(x, (t:match("^float") or t:match(" float$") or t == "float") and 4 or 8)
  end
  return tostring(x)
end

--- format(v [, limits [, depth]]): v in gdb's one-line print form.
format = function(v, limits, depth)
  limits = limits or M.limits
  depth = depth or 0
  local k = kind(v)
  local st = state(v)
  if st == "optimized out" and k ~= "struct" and k ~= "union" and k ~= "array" then return "<optimized out>" end
  if k == "pointer" then return fmt_pointer(v, limits, depth == 0) end
  if k == "reference" then
    local a, msg = M.pointer(v)
    if not a then return err_text(v, msg) end
    return string.format("@0x%x: %s", a, format(cv.deref(v), limits, depth + 1))
  end
  if k == "array" then
    local ok, n = pcall(function() return #v end)
    if not ok then return string.format("0x%x", M.address(v) or 0) end
    if n == 0 then return "{}" end
    return fmt_array(v, limits, depth)
  end
  if k == "struct" or k == "union" then
    if st == "optimized out" then return "<optimized out>" end
    if st == "unreadable" then return err_text(v, select(2, M.bytes(v, 1))) end
    return fmt_struct(v, limits, depth)
  end
  if k == "function" then
    local a = M.address(v)
    return string.format("{%s} 0x%x", M.type(v), a or 0)
  end
  if k == "void" then return "void" end
  if k == "other" then return "<unsupported type " .. M.type(v) .. ">" end
  return fmt_scalar(v, k)
end

--- M.format(v [, limits]): the text; at most limits.length bytes.
function M.format(v, limits)
  limits = limits or M.limits
  local ok, s = pcall(format, v, limits, 0)
  if not ok then s = "<error: " .. tostring(s):gsub("^[^:]*:%d+: ", "") .. ">" end
  if #s > limits.length then s = s:sub(1, limits.length) .. "..." end
  return s
end

cv.metatable.__tostring = function(v) return M.format(v) end

-- The limits of a trace line: short enough to read.
M.trace_limits = {depth = 3, elements = 16, repeats = 10, length = 512}

--- trace_text(v): a typed argument in a trace line: its print form, and
-- for a pointer to a struct or union, the pointee's too, one level
-- (`0x7ffc10 {id = 1, qty = 11}`).
function M.trace_text(v)
  local lim = M.trace_limits
  local s = M.format(v, lim)
  if kind(v) == "pointer" then
    local ok, target = pcall(cv.deref, v)
    if ok and (kind(target) == "struct" or kind(target) == "union") and M.pointer(v) ~= 0 then
      s = s .. " " .. M.format(target, {depth = 2, elements = lim.elements, repeats = lim.repeats, length = lim.length})
    end
  end
  return s
end

--- json_value(v): a typed argument as JSON-able Lua data (numbers,
-- strings, booleans, tables for structs and arrays, bounded as trace is).
function M.json_value(v, depth)
  depth = depth or 0
  local lim = M.trace_limits
  local k = kind(v)
  if state(v) == "optimized out" then return "<optimized out>" end
  if k == "struct" or k == "union" then
    if depth >= lim.depth then return "{...}" end
    if is_std_string(v) then
      local s = fmt_std_string(v, lim)
      if s then return (load("return " .. s:gsub("%.%.%.$", "")) or function() return s end)() end
    end
    local ok, fs = pcall(fields, v)
    if not ok then return "<incomplete type>" end
    local o = {}
    for i, f in ipairs(fs) do
      if i > lim.elements then break end
      o[f.name or (f.base and M.type(f.value)) or ("#" .. i)] = M.json_value(f.value, depth + 1)
    end
    return o
  end
  if k == "array" then
    local ok, n = pcall(function() return #v end)
    if not ok then return M.format(v, lim) end
    local e = n > 0 and kind(v[0])
    if e == "char" or e == "uchar" then return (M.string(v, math.min(n, 4096))) end
    if depth >= lim.depth then return "{...}" end
    local a = {}
    for i = 0, math.min(n, lim.elements) - 1 do a[#a + 1] = M.json_value(v[i], depth + 1) end
    return a
  end
  if k == "pointer" then
    local target_kind = kind(cv.deref(v))
    if target_kind == "char" or target_kind == "uchar" then
      local s = M.string(v, 4096)
      if s then return s end
    end
    local a = M.pointer(v)
    return a and string.format("0x%x", a) or M.format(v, lim)
  end
  if k == "enum" then return M.enum_name(v) or v() end
  if k == "float" or k == "int" or k == "uint" or k == "bool" then
    local x = v()
    if x == nil then return M.format(v, lim) end
    return x
  end
  if k == "char" or k == "uchar" then return v() end
  return M.format(v, lim)
end

--- t:return_value(): in on_return, the value the function returned, typed
-- by its DWARF (nothing for a void function); nil, msg, "ENODWARF"
-- without DWARF. run.lua tells which function is returning.
function M.return_value(t)
  local s = require("lutra.state").of(t.process)
  if s.returning_tid ~= t.tid or not s.returning_fn then
    error(string.format("thread %d: return_value() is for on_return handlers", t.tid), 2)
  end
  return t:_return_value(s.returning_fn)
end

return M
