--- lutra.out.values: how a call's integers are written: small ones in
-- decimal and the rest in hex for people; exactly in JSON.
local M = {}

--- For a text line: decimal from -4096 to 65535, hex beyond (addresses).
function M.text(v)
  if v == nil then return "?" end
  if math.type(v) ~= "integer" then return tostring(v) end
  if v >= -4096 and v <= 65535 then return tostring(v) end
  return string.format("0x%x", v)
end

-- lua-cjson writes a number with 14 significant digits: integers of 15
-- digits and more would be rounded.
local EXACT = 100000000000000 -- 10^14

--- For JSON: the integer itself while it has at most 14 digits, else a
-- "0x..." string of its 64 bits, so an address is never rounded.
function M.json(v)
  if math.type(v) == "integer" and (v >= EXACT or v <= -EXACT) then return string.format("0x%x", v) end
  return v
end

--- Back from JSON: a number or a "0x..." string to the integer.
function M.from_json(v)
  if type(v) == "string" then return math.tointeger(tonumber(v)) or v end
  if type(v) == "number" then return math.tointeger(v) or v end
  return v
end

--- An array of integers for JSON; nil for an empty one (Debian's
-- lua-cjson 2.1.0 writes an empty table as {}, so it is left out instead).
function M.json_array(list)
  if #list == 0 then return nil end
  local out = {}
  for i, v in ipairs(list) do out[i] = M.json(v) end
  return out
end

return M
