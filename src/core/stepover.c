/* stepover.c: getting a thread past the instruction under a breakpoint,
 * the breakpoint staying in memory: the plan decided once per breakpoint
 * (src/arch: emulate it, run a copy out of line, or single-step it),
 * the out-of-line copy, non-stop breakpoints, and t:step. */
#include <errno.h>
#include <sys/uio.h>

#include "internal.h"

/* Reads the instruction under the breakpoint (the program's bytes) and
 * lets the architecture decide how to step over it. */
static void bp_plan(lt_process *p, lt_breakpoint *bp) {
  uint8_t buf[ARCH_MAX_INSN_LEN];
  ssize_t n = lt_mem_read_raw(p, bp->addr, buf, sizeof buf);
  if (n <= 0) {
    n = 1;
    buf[0] = bp->orig;
  }
  lt_bp_shadow(p, bp->addr, buf, (size_t)n);
  arch_plan_insn(buf, (size_t)n, bp->addr, &bp->plan);
  bp->planned = true;
  bp->slot_ready = false;
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len) {
  return lt_mem_read_raw(ctx, addr, buf, len) == (ssize_t)len ? 0 : -1;
}

static int mem_write(void *ctx, uint64_t addr, const void *buf, size_t len) {
  lt_process *p = ctx;
  struct iovec local = {(void *)buf, len}, remote = {(void *)(uintptr_t)addr, len};
  if (process_vm_writev(p->pid, &local, 1, &remote, 1, 0) == (ssize_t)len) return 0;
  return lt_mem_write_raw(p, addr, buf, len) == (ssize_t)len ? 0 : -1;
}

/* Writes the breakpoint's out-of-line copy into a scratch slot near it. */
static int bp_prepare_slot(lt_thread *t, lt_breakpoint *bp) {
  lt_process *p = t->proc;
  if (!bp->slot && lt_scratch_slot(t, bp->addr, &bp->slot) < 0) return -1;
  uint8_t code[ARCH_SLOT_SIZE];
  int len = arch_displace(&bp->plan, bp->addr, bp->slot, code);
  if (len < 0 || lt_mem_write_raw(p, bp->slot, code, (size_t)len) != len) return -1;
  bp->slot_ready = true;
  return 0;
}

/* Non-stop needs a step-over that never removes the int3 and never
 * injects code while other threads run: the plan is decided now, and a
 * breakpoint whose out-of-line copy is not written yet, or that must be
 * single-stepped, is hit all-stop (lt_stepover_nonstop_ready). */
int lt_set_breakpoint_nonstop(lt_process *p, uint64_t addr, int on) {
  lt_breakpoint *bp = lt_bp_at(p, addr);
  if (!bp) return lt_fail(p->tracer, LT_EMISUSE, "no breakpoint at PC 0x%llx", (unsigned long long)addr);
  bp->nonstop = on != 0;
  if (on && !bp->planned) bp_plan(p, bp);
  return 0;
}

bool lt_stepover_nonstop_ready(const lt_breakpoint *bp) {
  if (!bp->nonstop || !bp->planned || bp->plan.kind == ARCH_PLAN_STEP) return false;
  return bp->plan.kind != ARCH_PLAN_DISPLACE || bp->slot_ready; /* else set up all-stop */
}

/* Emulated or run out of line when the architecture can (no second stop);
 * else the seed's way: restore the byte, single-step while every other
 * thread is stopped, re-insert. */
int lt_bp_step_over(lt_thread *t, lt_breakpoint *bp) {
  lt_process *p = t->proc;
  if (t->pc_ahead && !t->regs_dirty && bp->planned && bp->plan.resume_next) {
    p->stats.emulated++; /* the kernel's pc is already where it goes on */
    return 0;
  }
  if (!bp->planned) bp_plan(p, bp);
  if (bp->plan.kind == ARCH_PLAN_EMULATE) {
    if (lt_thread_load_regs(t) < 0) return -1;
    arch_regs r = t->regs;
    arch_mem m = {p, mem_read, mem_write};
    if (arch_emulate(&bp->plan, bp->addr, &r, &m) == 0) {
      t->regs = r;
      t->regs_dirty = true;
      p->stats.emulated++;
      return 0;
    }
  } else if (bp->plan.kind == ARCH_PLAN_DISPLACE) {
    if (!bp->slot_ready && bp_prepare_slot(t, bp) < 0)
      bp->plan.kind = ARCH_PLAN_STEP; /* no room near the code: step it */
    if (bp->slot_ready) {
      if (lt_thread_load_regs(t) < 0) return -1;
      arch_set_pc(&t->regs, bp->slot);
      t->regs_dirty = true;
      p->stats.displaced++;
      return 0;
    }
  }
  if (lt_bp_restore(p, bp) < 0) return -1;
  int rc = lt_step_thread(t);
  p->stats.steps++;
  if (p->state != LT_PS_EXITED && lt_bp_insert(p, bp) < 0 && rc >= 0) rc = -1;
  return rc;
}

/* t:step(): one instruction of one thread, over a breakpoint it sits on.
 * The step starts a new round of events for this thread only: the other
 * eventful threads keep theirs, to be resumed by the next cont. */
int lt_thread_step(lt_thread *t) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "single step");
  if (t->state == LT_STOPPED_EXITING) return lt_misuse_state(t, "single step");
  lt_process *p = t->proc;
  if (lt_thread_unpark(t) < 0) return -1;
  lt_events_remove(t);
  if (lt_thread_load_regs(t) < 0) return -1;
  /* at a probe's trap the thread is shown at its function, its trap elsewhere */
  lt_breakpoint *bp =
      t->bp && lt_bp_report(t->bp) == arch_pc(&t->regs) ? t->bp : lt_bp_at(p, arch_pc(&t->regs));
  int rc = bp && bp->inserted ? lt_bp_step_over(t, bp) : lt_step_thread(t);
  if (rc == 0 && t->state != LT_STOPPED) { /* emulated: no stop happened */
    t->cause.kind = LT_CAUSE_STOPPED;
    lt_thread_set_state(t, LT_STOPPED);
  }
  return rc < 0 ? -1 : 0;
}
