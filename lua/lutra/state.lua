--- lutra.state: what the Lua layer keeps per traced process (handlers,
-- breakpoints, return-probe frames, queued events), keyed weakly by the
-- Process userdata so it goes when the process does.
local M = {}

local states = setmetatable({}, {__mode = "k"})

function M.of(p)
  local s = states[p]
  if not s then
    s = {
      handlers = {},   -- event name -> function
      by_addr = {},    -- address -> array of logical breakpoints
      owners = {},     -- address -> references on the physical int3
      internal = {},   -- address -> lutra's own handler (entry, loader)
      pending = {},    -- breakpoints waiting for their library
      deferred = {},   -- names to check at the entry point
      frames = {},     -- tid -> stack of return-probe frames
      ret_sites = {},  -- addresses holding a return probe's int3
      queue = {}, qi = 1, -- events not yet dispatched (after a "stop")
      handler_s = 0,
      before_entry = false,
    }
    states[p] = s
  end
  return s
end

return M
