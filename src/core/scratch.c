/* scratch.c: pages in the tracee for out-of-line copies of instructions
 * under breakpoints. A page must lie within reach of a RIP-relative
 * displacement from the code it serves, so lutra finds a free gap near the
 * code in /proc/PID/maps and maps it there by making a stopped thread run
 * an mmap syscall. Pages stay mapped for the life of the process: a thread
 * may sit in a copy at any time, even after detach, and a copy ends with a
 * jump back, so leaving them is safe. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "internal.h"

#define PAGE 4096ULL

/* Runs one syscall in a stopped thread: the syscall instruction is written
 * at its pc and single-stepped; bytes, registers and state are put back. */
int lt_inject_syscall(lt_thread *t, long nr, const uint64_t args[6], int64_t *ret) {
  lt_process *p = t->proc;
  if (lt_thread_load_regs(t) < 0) return -1;
  arch_regs saved = t->regs;
  lt_state state = t->state;
  lt_cause cause = t->cause;
  int signal = t->signal;
  bool in_events = t->in_events;
  uint64_t at = arch_pc(&saved);
  uint8_t orig[ARCH_SYSCALL_INSN_LEN];
  if (lt_mem_read_raw(p, at, orig, sizeof orig) != (ssize_t)sizeof orig ||
      lt_mem_write_raw(p, at, arch_syscall_insn, sizeof orig) != (ssize_t)sizeof orig)
    return lt_fail_errno(p->tracer, "thread %d: cannot inject a syscall at 0x%" PRIx64, (int)t->tid, at);
  arch_regs r = saved;
  arch_setup_syscall(&r, nr, args);
  t->regs = r;
  t->regs_dirty = true;
  int rc = lt_step_thread(t);
  lt_mem_write_raw(p, at, orig, sizeof orig);
  if (rc == 0 && lt_thread_load_regs(t) == 0) *ret = arch_syscall_result(&t->regs);
  if (p->state == LT_PS_EXITED || t->state == LT_EXITED) return lt_fail(p->tracer, ESRCH, "process exited");
  /* Back as it was. A signal that arrived meanwhile stays pending for it. */
  if (rc == 1 && t->cause.kind == LT_CAUSE_SIGNAL && !signal) signal = t->cause.signo;
  if (rc == 1 && t->in_events && !in_events && p->nevents && p->events[p->nevents - 1] == t) {
    p->nevents--;
    t->in_events = false;
  }
  t->regs = saved;
  t->regs_valid = true;
  t->regs_dirty = true;
  t->state = state;
  t->cause = cause;
  t->signal = signal;
  if (rc != 0) return lt_fail(p->tracer, EINTR, "thread %d: injected syscall interrupted", (int)t->tid);
  return 0;
}

/* The free page nearest to `near` (within reach), from /proc/PID/maps. */
static int find_room(lt_process *p, uint64_t near, uint64_t *addr) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)p->pid);
  FILE *f = fopen(path, "re");
  if (!f) return lt_fail_errno(p->tracer, "open %s", path);
  uint64_t prev_end = 0x10000, best = 0, best_dist = UINT64_MAX;
  for (;;) {
    uint64_t start = 0x7ffffffff000ULL, end = start;
    bool stack = false, more = fgets(line, sizeof line, f) != NULL;
    if (more) {
      if (sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) != 2) continue;
      stack = strstr(line, "[stack]") != NULL;
    }
    if (!stack && start > prev_end && start - prev_end >= PAGE) {
      /* the page of the gap nearest to `near` */
      uint64_t cand = near < prev_end ? prev_end : start - PAGE;
      uint64_t dist = cand > near ? cand - near : near - cand;
      if (dist < best_dist) {
        best = cand;
        best_dist = dist;
      }
    }
    if (!more) break;
    if (end > prev_end) prev_end = end;
  }
  fclose(f);
  if (!best || best_dist > (uint64_t)ARCH_DISPLACE_REACH / 2)
    return lt_fail(p->tracer, ENOMEM, "process %d: no free page near 0x%" PRIx64, (int)p->pid, near);
  *addr = best;
  return 0;
}

int lt_scratch_slot(lt_thread *t, uint64_t near, uint64_t *slot) {
  lt_process *p = t->proc;
  uint64_t half = (uint64_t)ARCH_DISPLACE_REACH / 2;
  for (size_t i = 0; i < p->nscratch; i++) {
    lt_scratch *s = &p->scratch[i];
    uint64_t dist = s->addr > near ? s->addr - near : near - s->addr;
    if (dist < half && s->used + ARCH_SLOT_SIZE <= PAGE) {
      *slot = s->addr + s->used;
      s->used += ARCH_SLOT_SIZE;
      return 0;
    }
  }
  uint64_t room = 0;
  if (find_room(p, near, &room) < 0) return -1;
  uint64_t args[6] = {room, PAGE, PROT_READ | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (uint64_t)-1, 0};
  int64_t got = 0;
  if (lt_inject_syscall(t, SYS_mmap, args, &got) < 0) return -1;
  if (got < 0 && got > -4096) {
    errno = (int)-got;
    return lt_fail_errno(p->tracer, "process %d: mmap of a scratch page at 0x%" PRIx64, (int)p->pid, room);
  }
  lt_scratch *ns = realloc(p->scratch, (p->nscratch + 1) * sizeof *ns);
  if (!ns) return lt_fail(p->tracer, ENOMEM, "out of memory");
  p->scratch = ns;
  p->scratch[p->nscratch].addr = (uint64_t)got;
  p->scratch[p->nscratch].used = ARCH_SLOT_SIZE;
  p->nscratch++;
  *slot = (uint64_t)got;
  return 0;
}
