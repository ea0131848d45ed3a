/* breakpoint.c: the physical int3 at one address of one process: inserting
 * and restoring its byte, stepping a thread over it, and hiding it from
 * reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

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
  bp->emulable = -1;
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

/* Reads the instruction under the breakpoint once and decides whether the
 * architecture can emulate it. */
static int bp_decode(lt_process *p, lt_breakpoint *bp) {
  uint8_t buf[ARCH_MAX_INSN_LEN];
  ssize_t n = lt_mem_read_raw(p, bp->addr, buf, sizeof buf);
  if (n <= 0) {
    bp->emulable = 0;
    return 0;
  }
  buf[0] = bp->orig;
  memcpy(bp->insn, buf, (size_t)n);
  bp->insn_len = (size_t)n;
  arch_regs scratch = {0};
  uint64_t push;
  bp->emulable = arch_emulate(bp->insn, bp->insn_len, &scratch, &push) >= 0;
  return 0;
}

/* Moves a thread sitting on `bp` past the original instruction. Emulated
 * when the architecture can (no stop at all), else the seed's way: restore
 * the byte, single-step, re-insert, while every other thread is stopped.
 * Returns 1 when a new event stopped the thread first (it is recorded). */
int lt_bp_step_over(lt_thread *t, lt_breakpoint *bp) {
  lt_process *p = t->proc;
  if (bp->emulable < 0) bp_decode(p, bp);
  if (bp->emulable) {
    if (lt_thread_load_regs(t) < 0) return -1;
    arch_regs r = t->regs;
    uint64_t push = 0;
    int pushed = arch_emulate(bp->insn, bp->insn_len, &r, &push);
    if (pushed > 0 && lt_mem_write_raw(p, arch_sp(&r), &push, (size_t)pushed) != pushed)
      return lt_fail_errno(p->tracer, "thread %d: cannot emulate push at 0x%llx", (int)t->tid,
                           (unsigned long long)bp->addr);
    t->regs = r;
    t->regs_dirty = true;
    p->stats.emulated++;
    return 0;
  }
  if (lt_bp_restore(p, bp) < 0) return -1;
  int rc = lt_step_thread(t);
  p->stats.steps++;
  if (p->state != LT_PS_EXITED && lt_bp_insert(p, bp) < 0 && rc >= 0) rc = -1;
  return rc;
}
