/* breakpoint.c: the physical int3 at one address of one process: inserting
 * and restoring its byte, stepping a thread over it, and hiding it from
 * reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "internal.h"

lt_breakpoint *lt_bp_at(const lt_process *p, uint64_t addr) {
  return hm_get(&p->breakpoints, addr);
}

int lt_has_breakpoint(const lt_process *p, uint64_t addr) {
  return lt_bp_at(p, addr) != NULL;
}

int lt_bp_insert(lt_process *p, lt_breakpoint *bp) {
  if (bp->inserted) return 0;
  uint8_t int3 = ARCH_BREAKPOINT_BYTE;
  if (lt_mem_read_raw(p, bp->addr, &bp->orig, 1) != 1 ||
      lt_mem_write_raw(p, bp->addr, &int3, 1) != 1) {
    int err = errno == EIO || errno == EFAULT ? EFAULT : errno;
    return lt_fail(p->tracer, err, "process %d: cannot set breakpoint at 0x%llx: %s",
                   (int)p->pid, (unsigned long long)bp->addr,
                   err == EFAULT ? "address not mapped" : strerror(err));
  }
  bp->inserted = true;
  return 0;
}

int lt_bp_restore(lt_process *p, lt_breakpoint *bp) {
  if (!bp->inserted) return 0;
  if (lt_mem_write_raw(p, bp->addr, &bp->orig, 1) != 1)
    return lt_fail_errno(p->tracer, "process %d: cannot remove breakpoint at 0x%llx",
                         (int)p->pid, (unsigned long long)bp->addr);
  bp->inserted = false;
  return 0;
}

int lt_bp_restore_all(lt_process *p) {
  int rc = 0;
  if (p->shares_memory) return 0; /* they are its vfork parent's */
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->breakpoints, &i, &k, &v);)
    if (lt_bp_restore(p, v) < 0) rc = -1;
  return rc;
}

void lt_bp_forget_all(lt_process *p) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->breakpoints, &i, &k, &v);) free(v);
  hm_free(&p->breakpoints);
}

void lt_bp_shadow(const lt_process *p, uint64_t addr, uint8_t *buf, size_t len) {
  if (p->breakpoints.len == 0) return;
  if (len <= p->breakpoints.len * 4) {
    for (size_t i = 0; i < len; i++) {
      lt_breakpoint *bp = lt_bp_at(p, addr + i);
      if (bp && bp->inserted) buf[i] = bp->orig;
    }
    return;
  }
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->breakpoints, &i, &k, &v);) {
    lt_breakpoint *bp = v;
    if (bp->inserted && k >= addr && k - addr < len) buf[k - addr] = bp->orig;
  }
}

static int check_all_stopped(lt_process *p, const char *what) {
  if (p->state == LT_PS_EXITED || p->state == LT_PS_DETACHED)
    return lt_fail(p->tracer, LT_EMISUSE, "process %d: cannot %s: process %s", (int)p->pid,
                   what, p->state == LT_PS_EXITED ? "exited" : "detached");
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (lt_state_is_running(t->state)) return lt_misuse_state(t, what);
  }
  return 0;
}

int lt_add_breakpoint(lt_process *p, uint64_t addr) {
  if (check_all_stopped(p, "add breakpoint") < 0) return -1;
  if (lt_bp_at(p, addr))
    return lt_fail(p->tracer, LT_EMISUSE, "breakpoint already exists at PC 0x%llx",
                   (unsigned long long)addr);
  lt_breakpoint *bp = calloc(1, sizeof *bp);
  if (!bp) return lt_fail(p->tracer, ENOMEM, "out of memory");
  bp->addr = addr;
  if (lt_bp_insert(p, bp) < 0 || hm_put(&p->breakpoints, addr, bp) < 0) {
    lt_bp_restore(p, bp);
    free(bp);
    return -1;
  }
  return 0;
}

int lt_remove_breakpoint(lt_process *p, uint64_t addr) {
  if (check_all_stopped(p, "remove breakpoint") < 0) return -1;
  lt_breakpoint *bp = lt_bp_at(p, addr);
  if (!bp)
    return lt_fail(p->tracer, LT_EMISUSE, "no breakpoint at PC 0x%llx", (unsigned long long)addr);
  int rc = lt_bp_restore(p, bp);
  hm_del(&p->breakpoints, addr);
  free(bp);
  return rc;
}

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
 * single-stepped, is hit all-stop (round_needs_all_stop in events.c). */
int lt_set_breakpoint_nonstop(lt_process *p, uint64_t addr, int on) {
  lt_breakpoint *bp = lt_bp_at(p, addr);
  if (!bp)
    return lt_fail(p->tracer, LT_EMISUSE, "no breakpoint at PC 0x%llx", (unsigned long long)addr);
  bp->nonstop = on != 0;
  if (on && !bp->planned) bp_plan(p, bp);
  return 0;
}

/* Moves a thread that hit `bp` past the original instruction, the
 * breakpoint staying in memory. Emulated or run out of line when the
 * architecture can (no second stop); else the seed's way: restore the byte,
 * single-step while every other thread is stopped, re-insert. Returns 1
 * when a new event stopped the thread first (it is recorded). */
int lt_bp_step_over(lt_thread *t, lt_breakpoint *bp) {
  lt_process *p = t->proc;
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
