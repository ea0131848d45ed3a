/* watch.c: a process's hardware watchpoints: the slots it wants, which
 * each thread's debug registers catch up with when it resumes (thread.c). */
#include <errno.h>

#include "internal.h"

int lt_watch_add(lt_process *p, uint64_t addr, int len, char kind) {
  lt_tracer *tr = p->tracer;
  if (p->state != LT_PS_STOPPED)
    return lt_fail(tr, LT_EMISUSE, "process %d: cannot add a watchpoint while it runs", (int)p->pid);
  arch_watch_kind k = kind == 'x' ? ARCH_WATCH_EXEC : kind == 'w' ? ARCH_WATCH_WRITE : ARCH_WATCH_RW;
  if (k == ARCH_WATCH_EXEC) len = 1;
  if ((len != 1 && len != 2 && len != 4 && len != 8) || addr % (uint64_t)len != 0)
    return lt_fail(tr, EINVAL, "watch 0x%llx: length must be 1, 2, 4 or 8 and the address aligned to it",
                   (unsigned long long)addr);
  for (int i = 0; i < ARCH_NWATCH; i++) {
    if (p->watch[i].used) continue;
    p->watch[i] = (arch_watch){addr, (uint8_t)len, k, 1};
    p->watch_gen++;
    return i;
  }
  return lt_fail(tr, EBUSY, "watch 0x%llx: all %d hardware watchpoints are in use", (unsigned long long)addr,
                 ARCH_NWATCH);
}

int lt_watch_remove(lt_process *p, int slot) {
  if (slot < 0 || slot >= ARCH_NWATCH || !p->watch[slot].used)
    return lt_fail(p->tracer, LT_EMISUSE, "no watchpoint in slot %d", slot);
  p->watch[slot].used = 0;
  p->watch_gen++;
  return 0;
}
