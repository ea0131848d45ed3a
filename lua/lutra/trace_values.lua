--- lutra.trace_values: typed arguments and return values in `lutra trace`
-- lines (`price(o=0x7ffc10 {id = 1, qty = 11}, discount=0.25) = 11`) and
-- JSON, and `lutra trace -l PATTERN`, the signatures of functions. trace.lua
-- calls these; without DWARF they answer nil and trace prints raw registers.
local core = require "lutra.core"
local value = require "lutra.value"

local M = {}

--- entry(t, json): the typed arguments of the function t has just entered,
-- as {text = "o=..., discount=0.25"} and, with `json`, json = {{name=,
-- type=, value=, deref=}, ...}; nil when its DWARF is unknown.
function M.entry(t, want_json)
  local args = t:args()
  if not args then return nil end
  local names = {}
  for k, v in pairs(args) do
    if type(k) == "string" then names[v] = k end
  end
  local text, json = {}, want_json and {} or nil
  for i, v in ipairs(args) do
    local name = names[v]
    text[i] = (name and name .. "=" or "") .. value.trace_text(v)
    if json then
      local j = {name = name, type = value.type(v), value = value.json_value(v)}
      if value.kind(v) == "pointer" and value.pointer(v) ~= 0 then
        local ok, target = pcall(value.deref, v)
        if ok and (value.kind(target) == "struct" or value.kind(target) == "union") then
          j.deref = value.json_value(target)
        end
      end
      json[i] = j
    end
  end
  return {text = table.concat(text, ", "), json = json}
end

--- ret(t, json): the typed return value at an on_return: its text and
-- (with `json`) its JSON value; "void" for a void function; nil without DWARF.
function M.ret(t, want_json)
  local ok, v, err = pcall(t.return_value, t)
  if not ok or (v == nil and err) then return nil end
  if v == nil then return "void", nil end
  return value.trace_text(v), want_json and value.json_value(v) or nil
end

--- The hooks of lutra.calls (lutra trace wires them): typed arguments at
-- a call's entry, its typed return value at its end.
function M.entry_hook(o)
  local json = o.json or o.chrome ~= nil
  return function(t) return M.entry(t, json) end
end

function M.return_hook(o)
  local json = o.json or o.chrome ~= nil
  return function(t, c)
    c.typed.ret_text, c.typed.ret_json = M.ret(t, json)
  end
end

--- What the outputs (lutra.out.text, .json, .chrome) show of a typed call.
function M.format_text(c) return c.typed.text end

function M.format_json(c)
  return {args = c.typed.json, ["return"] = c.typed.ret_json}
end

local function glob_of(pattern)
  local mod, pat = pattern:match("^(.*):([^:]*)$")
  if mod and mod ~= "" then return mod, pat end
  return nil, pattern
end

local function line_of(prefix, f)
  return prefix .. (f.signature or (f.name .. "(...)  (no DWARF)"))
end

-- The matches of one pattern in one ELF file, as lines.
local function file_lines(path, glob, prefix, out)
  local fs, warn, code = core.file_functions(path, glob)
  if not fs then return nil, warn, code end
  if warn then io.stderr:write("lutra: warning: ", warn, "\n") end
  table.sort(fs, function(a, b) return a.name < b.name end)
  for _, f in ipairs(fs) do out[#out + 1] = line_of(prefix, f) end
  return true
end

local function basename(path) return path:match("[^/]+$") end

-- A module name as break_at takes it matches a library path: "libc.so.6",
-- "libc.so", "libc".
local function module_matches(name, path)
  local base = basename(path)
  return path == name or base == name or base:sub(1, #name + 1) == name .. "."
end

--- list(patterns, target): lines for `lutra trace -l`. target is
-- {file = PATH} or {program = PATH} (the ELF objects, nothing run) or
-- {process = p} (a process attached to).
function M.list(patterns, target)
  local out = {}
  for _, pattern in ipairs(patterns) do
    local mod, glob = glob_of(pattern)
    if target.process then
      local p = target.process
      for _, s in ipairs(p:symbols(pattern)) do
        if s.type == "function" then
          local sig = p:signature(s.address)
          local prefix = (mod and s.module .. ":") or ""
          out[#out + 1] = prefix .. (sig or (s.name .. "(...)  (no DWARF)"))
        end
      end
    elseif target.file and not target.program then
      local ok, err, code = file_lines(target.file, glob, "", out)
      if not ok then return nil, err, code end
    else
      local path = target.program
      if not mod then
        local ok, err, code = file_lines(path, glob, "", out)
        if not ok then return nil, err, code end
      else
        local libs, err, code = core.elf_needed(path)
        if not libs then return nil, err, code end
        local found = false
        for _, lib in ipairs(libs) do
          if module_matches(mod, lib) then
            found = true
            file_lines(lib, glob, basename(lib) .. ":", out)
          end
        end
        if not found then
          return nil, string.format("%s is not linked against a library '%s'", path, mod), "ENOSYM"
        end
      end
    end
  end
  return out
end

--- list_options(o): checks trace's options for -l PATTERN [FILE | --
-- PROGRAM | -p PID] (the words after the options are FILE).
function M.list_options(o)
  local given = (#o.patterns > 0 and 1 or 0) + (o.program and 1 or 0) + (o.target and 1 or 0)
  if given ~= 1 then return nil, "-l PATTERN takes one FILE, -- PROGRAM or -p PID" end
  if #o.patterns > 1 then return nil, "-l PATTERN takes one FILE" end
  if o.program and #o.program == 0 then return nil, "no program after --" end
  o.file = o.patterns[1]
  return o
end

-- A program name as the shell finds it.
local function in_path(name)
  if name:find("/") then return name end
  for dir in (os.getenv("PATH") or "/usr/bin:/bin"):gmatch("[^:]+") do
    local f = io.open(dir .. "/" .. name, "rb")
    if f then
      f:close()
      return dir .. "/" .. name
    end
  end
  return nil
end

--- list_main(o, command): prints the signatures, returns the exit status.
function M.list_main(o, command)
  local target, p = {}, nil
  if o.target then
    local err, status
    p, err, status = command.open({target = o.target}, {})
    if not p then
      io.stderr:write("lutra: ", err, "\n")
      return status or 1
    end
    target.process = p
  elseif o.program then
    target.program = in_path(o.program[1])
    if not target.program then
      io.stderr:write(string.format("lutra trace: cannot find %s (not found in PATH)\n", o.program[1]))
      return 127
    end
  else
    target.file = o.file
  end
  local lines, err = M.list({o.list}, target)
  if p then p:detach() end
  if not lines then
    io.stderr:write("lutra trace: ", err, "\n")
    return 1
  end
  if #lines == 0 then
    io.stderr:write(string.format("lutra trace: no function matches '%s'\n", o.list))
    return 1
  end
  for _, l in ipairs(lines) do io.stdout:write(l, "\n") end
  return 0
end

return M
