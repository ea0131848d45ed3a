--- lutra.repl: the Lua prompt of `lutra -i`. Each line is evaluated as an
-- expression (its values printed) or else as a statement, with `lutra` and
-- the target (`p`) at hand. Line editing and history come from
-- lua-readline when standard input is a terminal; plain lines otherwise.
local M = {}

local function printable(...)
  local out = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "table" and getmetatable(v) == nil then
      local parts = {}
      for k, x in pairs(v) do parts[#parts + 1] = tostring(k) .. "=" .. tostring(x) end
      table.sort(parts)
      v = "{" .. table.concat(parts, ", ") .. "}"
    end
    out[#out + 1] = tostring(v)
  end
  return table.concat(out, "\t")
end

local function line_reader()
  local tty = os.execute("test -t 0")
  local ok, R = pcall(require, "readline")
  if tty and ok then
    -- History in ~/.lutra_history when HOME is a writable directory.
    local home = os.getenv("HOME")
    local writable = home and os.execute(string.format("test -d %q -a -w %q", home, home))
    R.set_options({histfile = writable and home .. "/.lutra_history" or "", keeplines = 500})
    return function(prompt)
      local line = R.readline(prompt)
      if line and line:match("%S") then R.add_history(line) end
      return line
    end, function() R.save_history() end
  end
  return function(prompt)
    io.write(prompt)
    io.flush()
    return io.read("l")
  end, function() end
end

--- Runs the prompt until end of input or `quit`; `env` is the chunk
-- environment (falls back to the globals).
function M.run(env, banner)
  env = setmetatable(env or {}, {__index = _G, __newindex = _G})
  local read, done = line_reader()
  if banner then print(banner) end
  while true do
    local line = read("lutra> ")
    if not line or line == "quit" or line == "exit" then break end
    if line:match("%S") then
      local chunk, err = load("return " .. line, "=prompt", "t", env)
      if not chunk then chunk, err = load(line, "=prompt", "t", env) end
      if not chunk then
        print(err)
      else
        local res = table.pack(pcall(chunk))
        if not res[1] then
          print(tostring(res[2]))
        elseif res.n > 1 then
          print(printable(table.unpack(res, 2, res.n)))
        end
      end
    end
  end
  done()
  print()
end

return M
