--- lutra.returns: return probes. At the entry of a breakpoint with
-- `on_return`, the call's frame is remembered (where it returns to, and the
-- stack pointer once it has), and its return site gets an int3; a stop
-- there with that stack pointer is that call's return. The return address
-- on the stack is never rewritten (uretprobes do, and break Go and
-- programs that inspect their stacks). A frame left without returning
-- fires `on_unwind`.
local bps = require "lutra.breakpoints"
local state = require "lutra.state"

local M = {}

local call = state.call

-- A frame left without returning: why is "unwound" (longjmp, an exception
-- unwinding through it), "exec" (a successful execve ended the image) or
-- "exit" (its thread exited).
local function unwind(s, fr, why)
  s.nframes = s.nframes - 1
  if fr.bp.on_unwind then call(s, fr.bp.on_unwind, fr.t, fr.bp, why) end
end

--- At the entry of bp's function: remember the frame, arm its return site.
function M.push(p, t, bp)
  local s = state.of(p)
  local ret, sp_after = t:return_address()
  if not ret then return end
  local key, depth = t:frame_key(sp_after)
  if not key then return end
  local frames = s.frames[key]
  if not frames then frames = {}; s.frames[key] = frames end
  frames[#frames + 1] = {sp = depth, ret = ret, bp = bp, t = t, entry = t:breakpoint_pc()}
  s.nframes = s.nframes + 1
  if not s.ret_sites[ret] then
    -- Return sites keep their int3 until detach: one is reached only by
    -- returning from a traced call, so it costs nothing in between.
    if bps.claim(p, ret) then s.ret_sites[ret] = true end
  end
end

--- Is pc a return site of some probe?
function M.is_site(p, pc) return state.of(p).ret_sites[pc] end

--- Any stop of thread t (pc: the breakpoint it hit, or nil), before its own
-- event is dispatched. Frames are keyed by t:frame_key(): the thread and
-- the stack pointer once the call has returned, or in Go code the
-- goroutine and that stack pointer's distance from its stack's top (a
-- moved stack or another thread changes neither). A frame whose level the
-- thread is above (its stack pointer higher) has been left: at the frame's
-- own return site that is its return (several frames at once after tail
-- calls: one ret ends them all, innermost first), anywhere else it was
-- abandoned (on_unwind). Returns the policy of the on_return handlers.
function M.check(p, t, pc)
  local s = state.of(p)
  if s.nframes == 0 then return nil end
  local key, sp = t:frame_key()
  local frames = key and s.frames[key]
  if not frames or #frames == 0 then return nil end
  local site = pc and s.ret_sites[pc]
  local policy
  while #frames > 0 do
    local top = frames[#frames]
    if top.sp > sp or (top.sp == sp and not pc) then
      -- still active; or (at a stop that is no hit) level with it, which
      -- may be its return about to trap at the site: decided there
      break
    end
    frames[#frames] = nil
    if site and top.sp == sp and top.ret == pc then
      s.nframes = s.nframes - 1
      if top.bp.on_return then
        -- which function returns, for t:return_value() (lutra/value.lua)
        s.returning_tid, s.returning_fn = t.tid, top.entry or top.bp.address
        local r = call(s, top.bp.on_return, t, t:retval(), top.bp)
        s.returning_tid, s.returning_fn = nil, nil
        if r ~= nil and r ~= "continue" and (policy == nil or policy == "continue") then policy = r end
      end
    else
      unwind(s, top, "unwound")
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
  for i = #frames, 1, -1 do unwind(s, frames[i], "exit") end
end

--- A successful execve: every frame of the old image is left, the
-- exec'ing thread's (the execve call itself among them) and the frames of
-- the threads that vanished with the image, innermost first.
function M.exec(p, t)
  local s = state.of(p)
  local mine = s.frames[t.tid]
  s.frames[t.tid] = nil
  for i = #(mine or {}), 1, -1 do unwind(s, mine[i], "exec") end
  for key, frames in pairs(s.frames) do
    s.frames[key] = nil
    for i = #frames, 1, -1 do unwind(s, frames[i], "exec") end
  end
end

return M
