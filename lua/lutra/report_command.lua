--- lutra.report_command: `lutra report FILE` prints a recorded run offline
-- (the -c table, the call tree, a latency histogram per function);
-- `lutra report --diff OLD NEW` what changed between two runs, in calls and
-- time per function, sorted by change (uftrace's report --diff).
local command = require "lutra.command"
local report = require "lutra.report"
local count = require "lutra.out.count"
local stats = require "lutra.stats"

local M = {}

M.USAGE = [==[
usage: lutra report FILE              the -c table, call tree and latency histograms
       lutra report --diff OLD NEW    calls and time per function, NEW against OLD
  FILE, OLD, NEW  recordings made by lutra trace --record FILE
  --diff OLD      compare with the recording OLD
  --tree-depth N  call tree levels shown (default 8)]==]

local OPTIONS = {
  ["--diff"] = {key = "diff", value = command.word("the older recording")},
  ["--tree-depth"] = {key = "tree_depth", value = command.integer(1, nil, "a depth of at least 1")},
  ["-h"] = {key = "help"},
  ["--help"] = {key = "help"},
}

local function ending(run)
  local e = run.exit
  if not e then return "the recording was cut short" end
  if e.reason == "exited" then return "exited with " .. tostring(e.code) end
  if e.reason == "signaled" then return "killed by " .. tostring(e.signal) end
  return e.reason
end

local function title(run)
  local cmd = run.header.command or {}
  return string.format("%s: %s (%d calls; %s)", run.path, table.concat(cmd, " "), #run.calls, ending(run))
end

local function tree_lines(nodes, depth, max, out)
  for _, n in ipairs(nodes) do
    out[#out + 1] = string.format("%8d %14.1f  %s%s", n.calls, n.total_us, string.rep("  ", depth - 1), n.name)
    if depth < max then
      tree_lines(n.children, depth + 1, max, out)
    elseif #n.children > 0 then
      out[#out + 1] = string.format("%8s %14s  %s...", "", "", string.rep("  ", depth))
    end
  end
end

--- The report of one run, as text.
function M.render(run, opts)
  opts = opts or {}
  local out = {title(run), ""}
  local rows = {}
  for _, r in pairs(run:functions()) do rows[#rows + 1] = r end
  out[#out + 1] = "Calls per function:"
  out[#out + 1] = count.render(rows)
  out[#out + 1] = "Call tree (calls, total us, function):"
  local lines = {}
  tree_lines(run:tree(), 1, opts.tree_depth or 8, lines)
  out[#out + 1] = table.concat(lines, "\n")
  out[#out + 1] = ""
  out[#out + 1] = "Latency per function (us):"
  local h = stats.hist("us")
  for _, c in ipairs(run.calls) do h:add(c.dur, c.name) end
  out[#out + 1] = tostring(h)
  return table.concat(out, "\n")
end

local function signed(v, fmt)
  return (v > 0 and "+" or "") .. string.format(fmt, v)
end

--- The difference between two runs, as text: calls and total time per
-- function in OLD and NEW, the change and its percentage.
function M.render_diff(old, new)
  local rows = new:diff(old)
  local w = #"FUNCTION"
  for _, r in ipairs(rows) do w = math.max(w, #r.name) end
  local row = "%-" .. w .. "s %8s %8s %8s %8s   %12s %12s %12s %8s"
  local out = {"old: " .. title(old), "new: " .. title(new), "",
    string.format("%-" .. w .. "s %s   %s", "", ("-"):rep(14) .. " CALLS " .. ("-"):rep(14),
      ("-"):rep(18) .. " TOTAL us " .. ("-"):rep(19)),
    string.format(row, "FUNCTION", "OLD", "NEW", "DIFF", "%", "OLD", "NEW", "DIFF", "%")}
  for _, r in ipairs(rows) do
    local cpct = r.old_calls > 0 and signed(r.calls_diff * 100 / r.old_calls, "%.1f") .. "%" or "new"
    if r.new_calls == 0 then cpct = "gone" end
    local tpct = r.us_pct and signed(r.us_pct, "%.1f") .. "%" or ""
    out[#out + 1] = string.format(row, r.name, r.old_calls, r.new_calls, signed(r.calls_diff, "%d"), cpct,
      string.format("%.1f", r.old_us), string.format("%.1f", r.new_us), signed(r.us_diff, "%.1f"), tpct)
  end
  for i, l in ipairs(out) do out[i] = l:gsub("%s+$", "") end
  return table.concat(out, "\n") .. "\n"
end

function M.main(args)
  local files = {}
  local o, err = command.parse(args, OPTIONS, function(_, a) files[#files + 1] = a end)
  if o and o.program then err, o = "lutra report reads recordings, it runs no program", nil end
  if o and o.help then print(M.USAGE) return 0 end
  if o and #files ~= 1 then err, o = #files == 0 and "no recording given" or "one recording, or --diff OLD NEW", nil end
  if not o then
    io.stderr:write("lutra report: ", err, "\n", M.USAGE, "\n")
    return 2
  end
  local new, lerr = report.load(files[1])
  if not new then
    io.stderr:write("lutra report: ", lerr, "\n")
    return 1
  end
  if o.diff then
    local old, oerr = report.load(o.diff)
    if not old then
      io.stderr:write("lutra report: ", oerr, "\n")
      return 1
    end
    io.stdout:write(M.render_diff(old, new))
  else
    io.stdout:write(M.render(new, {tree_depth = o.tree_depth}), "\n")
  end
  return 0
end

return M
