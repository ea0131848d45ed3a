/* inject.c: one syscall run in a stopped thread of the tracee, the other
 * threads staying stopped (scratch pages, the seccomp filter and the
 * probes' shared memory are set up this way), and the choice of a thread
 * that can run injected code. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/ptrace.h>

#include "internal.h"

/* Is t stopped where the kernel handles signals and job control (an
 * interrupt, a signal, a single-step), outside any syscall?
 * A syscall it was blocked in has returned there with its restart code in
 * rax: injected code may run first, and the restored registers restart
 * it. Inside a syscall (entry and exit stops, ptrace events) it may not. */
static bool at_signal_stop(lt_thread *t) {
  siginfo_t si;
  if (t->group_stopped) return false; /* resuming it would end its job-control stop */
  if (lt_ptrace_q(t->proc->tracer, PTRACE_GETSIGINFO, t->tid, 0, &si) < 0) return false;
  if (si.si_signo != SIGTRAP) return true;
  if (si.si_code == (SIGTRAP | 0x80)) return false;                 /* a syscall stop */
  if (si.si_code >> 8) return si.si_code >> 8 == PTRACE_EVENT_STOP; /* ptrace events: only an interrupt */
  return true;
}

/* Can t run injected code now? */
static bool can_inject(lt_thread *t) { return !arch_in_syscall(&t->regs) || at_signal_stop(t); }

int lt_inject_thread(lt_process *p, bool leave_exec, lt_thread **out) {
  lt_thread *at_exec = NULL;
  uint64_t k;
  void *v;
  *out = NULL;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (!lt_state_is_stopped(t->state) || t->state == LT_STOPPED_EXITING || lt_thread_lazy(t)) continue;
    if (lt_thread_load_regs(t) < 0) continue;
    if (can_inject(t)) {
      *out = t;
      return 0;
    }
    if (t->at_exec && !at_exec) at_exec = t;
  }
  if (!leave_exec || !at_exec) return 0;
  /* execve's return value is written after this stop: run the new
   * program's first instruction. The first step is reported at the
   * syscall's exit, before any instruction has run: step until out. */
  lt_thread *t = at_exec;
  lt_saved_thread saved;
  lt_thread_save(t, &saved);
  for (int i = 0; i < 3 && lt_thread_load_regs(t) == 0 && arch_in_syscall(&t->regs); i++) {
    if (lt_step_thread(t) != 0)
      return lt_fail(p->tracer, EINTR, "process %d: cannot step out of execve to inject code", (int)p->pid);
  }
  t->at_exec = false;
  lt_thread_restore(t, &saved, false); /* its registers are those past execve now */
  if (lt_thread_load_regs(t) == 0 && !arch_in_syscall(&t->regs)) *out = t;
  return 0;
}

/* Runs one syscall in a stopped thread: the syscall instruction is written
 * at its pc and single-stepped; bytes, registers and state are put back. */
int lt_inject_syscall(lt_thread *t, long nr, const uint64_t args[6], int64_t *ret) {
  lt_process *p = t->proc;
  if (lt_thread_load_regs(t) < 0) return -1;
  if (!can_inject(t)) /* its restart or return value would be lost */
    return lt_fail(p->tracer, EBUSY, "thread %d is inside a syscall: cannot inject one", (int)t->tid);
  lt_saved_thread saved;
  lt_thread_save(t, &saved);
  uint64_t at = arch_pc(&saved.regs);
  uint8_t orig[ARCH_SYSCALL_INSN_LEN];
  if (lt_mem_read_raw(p, at, orig, sizeof orig) != (ssize_t)sizeof orig ||
      lt_mem_write_raw(p, at, arch_syscall_insn, sizeof orig) != (ssize_t)sizeof orig)
    return lt_fail_errno(p->tracer, "thread %d: cannot inject a syscall at 0x%" PRIx64, (int)t->tid, at);
  arch_regs r = saved.regs;
  arch_setup_syscall(&r, nr, args);
  t->regs = r;
  t->regs_dirty = true;
  int rc = lt_step_thread(t);
  lt_mem_write_raw(p, at, orig, sizeof orig);
  if (rc == 0 && lt_thread_load_regs(t) == 0) *ret = arch_syscall_result(&t->regs);
  if (p->state == LT_PS_EXITED || t->state == LT_EXITED) return lt_fail(p->tracer, ESRCH, "process exited");
  lt_thread_restore(t, &saved, true);
  if (rc != 0) return lt_fail(p->tracer, EINTR, "thread %d: injected syscall interrupted", (int)t->tid);
  return 0;
}
