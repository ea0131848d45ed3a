/* syscall.c: turning syscall tracing on and off. Threads resume with
 * PTRACE_SYSCALL and stop at entry and exit (decode.c reads the stops and
 * resumes calls outside the filter). With a filter, a spawned process gets
 * a seccomp filter instead (seccomp.c): only the filtered calls stop, at a
 * seccomp stop that stands for their entry, and the thread is then resumed
 * with PTRACE_SYSCALL to its exit stop. Also skipping a call at its entry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Is every syscall of `filter` in `set` (both LT_NSYSCALLS bits)? */
static bool subset(const uint8_t *filter, const uint8_t *set) {
  for (size_t i = 0; i < LT_NSYSCALLS / 8; i++)
    if (filter[i] & ~set[i]) return false;
  return true;
}

int lt_trace_syscalls(lt_process *p, int on, const uint8_t *filter) {
  if (p->state == LT_PS_EXITED || p->state == LT_PS_DETACHED)
    return lt_fail(p->tracer, LT_EMISUSE, "process %d: cannot trace syscalls: process %s", (int)p->pid,
                   p->state == LT_PS_EXITED ? "exited" : "detached");
  uint8_t *copy = NULL;
  if (on && filter) {
    copy = malloc(LT_NSYSCALLS / 8);
    if (!copy) return lt_fail(p->tracer, ENOMEM, "out of memory");
    memcpy(copy, filter, LT_NSYSCALLS / 8);
  }
  /* A spawned process with a filter: a seccomp filter makes the other
   * syscalls free. Not for an attached one: it must survive a detach. */
  if (copy && p->spawned && !p->no_seccomp && !(p->seccomp && subset(copy, p->seccomp_set)) &&
      lt_seccomp_install(p, copy) < 0) {
    free(copy);
    return -1;
  }
  free(p->sys_filter);
  p->sys_filter = copy;
  p->trace_syscalls = on != 0;
  /* Syscalls come through the seccomp filter: every wanted one is in it. */
  p->sys_via_seccomp = copy && p->seccomp && subset(copy, p->seccomp_set);
  return 0;
}

void lt_process_set_seccomp(lt_process *p, int allowed) { p->no_seccomp = !allowed; }
int lt_process_seccomp(const lt_process *p) { return p->seccomp; }

int lt_thread_skip_syscall(lt_thread *t, int64_t ret) {
  if (t->state != LT_STOPPED || t->cause.kind != LT_CAUSE_SYSCALL || !t->cause.sys_entry)
    return lt_fail(t->proc->tracer, LT_EMISUSE, "thread %d: can skip a syscall only at its entry stop",
                   (int)t->tid);
  if (lt_thread_load_regs(t) < 0) return -1;
  arch_skip_syscall(&t->regs);
  t->regs_dirty = true;
  t->skip_syscall = true;
  t->skip_ret = ret;
  return 0;
}
