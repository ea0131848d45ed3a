/* syscall.c: syscall tracing. Threads resume with PTRACE_SYSCALL; each
 * entry and exit stop is read with PTRACE_GET_SYSCALL_INFO. Calls outside
 * the filter are resumed here, without reaching the user. With a filter,
 * a spawned process gets a seccomp filter instead (seccomp.c): only the
 * filtered calls stop, at a seccomp stop that stands for their entry, and
 * the thread is then resumed with PTRACE_SYSCALL to its exit stop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#include "internal.h"
#include "syscall_names.h"

const char *lt_syscall_name(long nr) {
  long n = (long)(sizeof syscall_names / sizeof syscall_names[0]);
  return nr >= 0 && nr < n ? syscall_names[nr] : NULL;
}

long lt_syscall_number(const char *name) {
  long n = (long)(sizeof syscall_names / sizeof syscall_names[0]);
  for (long i = 0; i < n; i++)
    if (syscall_names[i] && strcmp(syscall_names[i], name) == 0) return i;
  return -1;
}

static bool wanted(const lt_process *p, uint64_t nr) {
  if (!p->sys_filter) return true;
  return nr < LT_NSYSCALLS && (p->sys_filter[nr / 8] >> (nr % 8) & 1);
}

/* Is every syscall of `filter` in `set` (both LT_NSYSCALLS bits)? */
static bool subset(const uint8_t *filter, const uint8_t *set) {
  for (size_t i = 0; i < LT_NSYSCALLS / 8; i++)
    if (filter[i] & ~set[i]) return false;
  return true;
}

int lt_resume_request(const lt_thread *t) {
  const lt_process *p = t->proc;
  if (t->sys_want_exit) return PTRACE_SYSCALL;
  return p->trace_syscalls && !p->sys_via_seccomp ? PTRACE_SYSCALL : PTRACE_CONT;
}

int lt_trace_syscalls(lt_process *p, int on, const uint8_t *filter) {
  if (p->state == LT_PS_EXITED || p->state == LT_PS_DETACHED)
    return lt_fail(p->tracer, LT_EMISUSE, "process %d: cannot trace syscalls: process %s",
                   (int)p->pid, p->state == LT_PS_EXITED ? "exited" : "detached");
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


/* A seccomp stop: a filtered syscall's entry. */
void lt_handle_seccomp(lt_thread *t) {
  lt_process *p = t->proc;
  struct __ptrace_syscall_info si;
  memset(&si, 0, sizeof si);
  long n = ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof si, &si);
  /* Not wanted now (tracing off, another filter, or PTRACE_SYSCALL
   * tracing, whose own entry stop reports it): on at full speed. */
  if (n <= 0 || si.op != PTRACE_SYSCALL_INFO_SECCOMP || !p->trace_syscalls || !p->sys_via_seccomp ||
      !wanted(p, si.seccomp.nr)) {
    lt_resume_quietly(t);
    return;
  }
  t->sys_nr = (long)si.seccomp.nr;
  t->sys_want_exit = true;
  lt_cause *c = &t->cause;
  c->kind = LT_CAUSE_SYSCALL;
  c->sys_nr = t->sys_nr;
  c->sys_entry = true;
  memcpy(c->sys_args, si.seccomp.args, sizeof c->sys_args);
  c->sys_ret = 0;
  c->sys_error = 0;
  lt_thread_set_state(t, LT_STOPPED);
  lt_note_event(t);
}

void lt_handle_syscall(lt_thread *t) {
  lt_process *p = t->proc;
  struct __ptrace_syscall_info si;
  memset(&si, 0, sizeof si);
  long n = ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof si, &si);
  if (n <= 0 || (si.op != PTRACE_SYSCALL_INFO_ENTRY && si.op != PTRACE_SYSCALL_INFO_EXIT)) {
    lt_resume_quietly(t);
    return;
  }
  if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
    t->sys_nr = (long)si.entry.nr;
  } else if (t->sys_nr < 0 && lt_thread_load_regs(t) == 0) {
    /* an exit whose entry we did not see (execve's, right after spawn) */
    t->sys_nr = arch_syscall_nr(&t->regs);
  }
  if (si.op == PTRACE_SYSCALL_INFO_EXIT && t->skip_syscall && lt_thread_load_regs(t) == 0) {
    arch_set_retval(&t->regs, (uint64_t)t->skip_ret);
    t->regs_dirty = true;
    t->skip_syscall = false;
    si.exit.rval = t->skip_ret;
    si.exit.is_error = t->skip_ret < 0 && t->skip_ret > -4096;
  }
  long nr = t->sys_nr;
  if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
    t->sys_nr = -1;
    t->sys_want_exit = false;
  }
  if (!p->trace_syscalls || nr < 0 || !wanted(p, (uint64_t)nr)) {
    lt_resume_quietly(t);
    return;
  }
  lt_cause *c = &t->cause;
  c->kind = LT_CAUSE_SYSCALL;
  c->sys_nr = nr;
  c->sys_entry = si.op == PTRACE_SYSCALL_INFO_ENTRY;
  if (c->sys_entry) {
    memcpy(c->sys_args, si.entry.args, sizeof c->sys_args);
    c->sys_ret = 0;
    c->sys_error = 0;
  } else {
    c->sys_ret = si.exit.rval;
    c->sys_error = si.exit.is_error;
  }
  lt_thread_set_state(t, LT_STOPPED);
  lt_note_event(t);
}

int lt_thread_skip_syscall(lt_thread *t, int64_t ret) {
  if (t->state != LT_STOPPED || t->cause.kind != LT_CAUSE_SYSCALL || !t->cause.sys_entry)
    return lt_fail(t->proc->tracer, LT_EMISUSE,
                   "thread %d: can skip a syscall only at its entry stop", (int)t->tid);
  if (lt_thread_load_regs(t) < 0) return -1;
  arch_skip_syscall(&t->regs);
  t->regs_dirty = true;
  t->skip_syscall = true;
  t->skip_ret = ret;
  return 0;
}
