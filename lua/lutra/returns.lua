--- lutra.returns: return probes. At the entry of a breakpoint with
-- `on_return`, the call's frame is remembered (where it returns to, and the
-- stack pointer once it has), and its return site gets an int3; a stop
-- there with that stack pointer is that call's return. The return address
-- on the stack is never rewritten (uretprobes do, and break Go and
-- programs that inspect their stacks). A frame left without returning
-- fires `on_unwind`.
local bps = require "lutra.breakpoints"
local state = require "lutra.state"
local core = require "lutra.core"

local M = {}

local now = core.now

local function call(s, fn, ...)
  local t0 = now()
  local r = fn(...)
  s.handler_s = s.handler_s + (now() - t0)
  return r
end

local function unwind(s, t, fr)
  if fr.bp.on_unwind then call(s, fr.bp.on_unwind, t, fr.bp) end
end

--- At the entry of bp's function: remember the frame, arm its return site.
function M.push(p, t, bp)
  local s = state.of(p)
  local ret, sp_after = t:return_address()
  if not ret then return end
  local key, depth = t:frame_key(sp_after)
  local frames = s.frames[key]
  if not frames then frames = {}; s.frames[key] = frames end
  frames[#frames + 1] = {sp = depth, ret = ret, bp = bp}
  if not s.ret_sites[ret] then
    -- Return sites keep their int3 until detach: one is reached only by
    -- returning from a traced call, so it costs nothing in between.
    if bps.claim(p, ret) then s.ret_sites[ret] = true end
  end
end

--- Is pc a return site of some probe?
function M.is_site(p, pc) return state.of(p).ret_sites[pc] end

--- A stop at a return site: fire on_return for the frame it ends. Returns
-- the handler's policy.
function M.at_site(p, t, pc)
  local s = state.of(p)
  -- Frames are keyed by t:frame_key(): the thread and sp, or in Go code the
  -- goroutine and sp's distance from its stack's top (a moved stack or
  -- another thread changes neither).
  local key, sp = t:frame_key()
  local frames = s.frames[key]
  if not frames or #frames == 0 then return nil end
  local policy
  while #frames > 0 do
    local top = frames[#frames]
    if top.sp < sp then -- its caller's frame is already gone
      frames[#frames] = nil
      unwind(s, t, top)
    elseif top.sp == sp and top.ret == pc then
      frames[#frames] = nil
      if top.bp.on_return then
        policy = call(s, top.bp.on_return, t, t:retval(), top.bp)
      end
      break
    else
      break
    end
  end
  return policy
end

--- The thread has exited: every frame it had is abandoned.
function M.drop_thread(p, t)
  local s = state.of(p)
  local frames = s.frames[t.tid]
  if not frames then return end
  s.frames[t.tid] = nil
  for i = #frames, 1, -1 do unwind(s, t, frames[i]) end
end

return M
