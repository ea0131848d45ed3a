-- progress_spec: long work shows its progress on a terminal and stays quiet
-- otherwise (setting thousands of breakpoints: a glob over libc; reading a
-- big object's symbols: libbulky.so, 20 MB); --stats says how long reading
-- symbols and setting breakpoints took.
local H = require "helper"

-- A glob over the C library, set at main (libc is mapped by then); the
-- program is killed before it runs on.
local GLOB = [[
local p = lutra.target
p:break_at("main", function() return "stop" end)
p:run()
local g = p:break_at("libc.so.6:*", function() end)
io.stderr:write("set ", #g, "\n")
p:kill()
]]

local script_file = H.script

-- Runs a lutra command line with a terminal (util-linux's script) as its
-- stdout and stderr; returns what the terminal got (script exits with the
-- command's status).
local function on_tty(args)
  local log = H.tmpname()
  H.sh(string.format("PATH=/usr/bin:/bin script -qec %q %s >/dev/null", H.lutra_bin .. " " .. args, log))
  return H.slurp(log)
end

local have_script = os.execute("PATH=/usr/bin:/bin command -v script >/dev/null 2>&1")

describe("progress", function()
  it("counts thousands of breakpoints on a terminal, and erases its line", function()
    if not have_script then pending("no script(1) (util-linux) to make a terminal") return end
    local s = script_file(GLOB)
    local tty = on_tty(s .. " -- " .. H.target("loop"))
    local total = tty:match("set (%d+)")
    assert.is_truthy(total, tty)
    assert.is_true(tonumber(total) >= 1000, total)
    assert.matches("\rlutra: setting breakpoints 64/%d+\27%[K", tty)
    assert.matches("\r\27%[Kset " .. total, tty)
  end)

  it("stays quiet when stderr is no terminal", function()
    local _, err, code = H.lutra(script_file(GLOB) .. " -- " .. H.target("loop"))
    assert.are.equal(137, code) -- killed by the script
    assert.matches("^set %d+\n$", err)
  end)

  it("says on a terminal that it reads a big object's symbols", function()
    if not have_script then pending("no script(1) (util-linux) to make a terminal") return end
    local tty = on_tty("trace -c bulky_first -- " .. H.target("bulky"))
    assert.matches("\rlutra: reading the symbols of libbulky.so %(20 MB%)...\27%[K\r\27%[K", tty)
    local _, err = H.lutra("trace -c bulky_first -- " .. H.target("bulky"))
    assert.are.equal("", err)
  end)
end)

describe("--stats", function()
  it("prints the time spent reading symbols and setting breakpoints", function()
    local _, err = H.lutra("--stats " .. script_file(GLOB) .. " -- " .. H.target("loop"))
    local set = tonumber(err:match("set (%d+)"))
    local objects, n = err:match("lutra stats: symbols read in [%d.]+ s %((%d+) objects%), (%d+) breakpoints set by globs in [%d.]+ s\n")
    assert.is_truthy(objects, err)
    -- the executable, the loader, libc
    assert.is_true(tonumber(objects) >= 3, err)
    assert.are.equal(set, tonumber(n))
    local _, terr, code = H.lutra("trace --stats -c bulky_first -- " .. H.target("bulky"))
    assert.are.equal(1, code) -- bulky's own status
    assert.matches("lutra stats: %d+ hits", terr)
    assert.matches("lutra stats: symbols read in [%d.]+ s %(%d+ objects%), %d+ breakpoints set by globs in [%d.]+ s\n", terr)
  end)
end)
