/* thread.c: one traced thread: the seed's state machine, the register
 * cache of a stop, resuming, and the accessors of its stop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

lt_thread *lt_thread_new(lt_process *p, pid_t tid, lt_state st) {
  lt_thread *t = calloc(1, sizeof *t);
  if (!t) {
    lt_fail(p->tracer, ENOMEM, "thread %d: out of memory", (int)tid);
    return NULL;
  }
  t->tid = tid;
  t->proc = p;
  t->state = st;
  t->cause.kind = LT_CAUSE_STOPPED;
  t->sys_nr = -1;
  if (hm_put(&p->threads, (uint64_t)tid, t) < 0 || lt_tracer_add_thread(p->tracer, t) < 0) {
    hm_del(&p->threads, (uint64_t)tid);
    free(t);
    lt_fail(p->tracer, ENOMEM, "thread %d: out of memory", (int)tid);
    return NULL;
  }
  return t;
}

/* The register cache is the kernel's copy only while the thread stays
 * stopped; the breakpoint it reported is its own only in that stop. */
void lt_thread_set_state(lt_thread *t, lt_state st) {
  if (lt_state_is_stopped(t->state) && !lt_state_is_stopped(st)) t->regs_valid = false;
  if (st != LT_STOPPED_BREAKPOINT) t->bp = NULL;
  if (!lt_state_is_stopped(st)) t->pc_ahead = false;
  t->state = st;
}

/* The thread is gone from the kernel: it stays readable (state Exited) until
 * the next cont, so the round's events can still name it. */
void lt_thread_gone(lt_thread *t) {
  lt_process *p = t->proc;
  lt_thread_set_state(t, LT_EXITED);
  lt_tracer_del_thread(p->tracer, t);
  if (p->ndead == p->capdead) {
    size_t cap = p->capdead ? p->capdead * 2 : 8;
    lt_thread **d = realloc(p->dead, cap * sizeof *d);
    if (!d) return; /* keep it in the table; freed with the process */
    p->dead = d;
    p->capdead = cap;
  }
  p->dead[p->ndead++] = t;
}

void lt_process_free_dead(lt_process *p) {
  for (size_t i = 0; i < p->ndead; i++) {
    hm_del(&p->threads, (uint64_t)p->dead[i]->tid);
    free(p->dead[i]);
  }
  p->ndead = 0;
}

int lt_thread_load_regs(lt_thread *t) {
  if (t->regs_valid) return 0;
  if (lt_thread_lazy(t)) /* not in a ptrace-stop: unpark it first (step.c) */
    return lt_fail(t->proc->tracer, EAGAIN, "thread %d is parked in a syscall", (int)t->tid);
  if (lt_ptrace(t->proc->tracer, PTRACE_GETREGS, t->tid, 0, &t->regs) < 0) return -1;
  t->regs_valid = true;
  t->regs_dirty = false;
  t->pc_ahead = false;
  return 0;
}

int lt_thread_flush_regs(lt_thread *t) {
  if (!t->regs_dirty) return 0;
  if (lt_ptrace(t->proc->tracer, PTRACE_SETREGS, t->tid, 0, &t->regs) < 0) return -1;
  t->regs_dirty = false;
  t->pc_ahead = false;
  return 0;
}

int lt_resume_request(const lt_thread *t) {
  const lt_process *p = t->proc;
  if (t->sys_want_exit) return PTRACE_SYSCALL;
  return p->trace_syscalls && !p->sys_via_seccomp ? PTRACE_SYSCALL : PTRACE_CONT;
}

/* PTRACE_CONT / SINGLESTEP after writing back dirty registers and, when
 * they changed, the process's watchpoints (new threads do not inherit
 * debug registers). */
int lt_thread_resume(lt_thread *t, int request, int signo) {
  lt_tracer *tr = t->proc->tracer;
  if (lt_thread_flush_regs(t) < 0) return -1;
  if (t->watch_gen != t->proc->watch_gen) {
    if (arch_set_watches(t->tid, t->proc->watch) < 0 && errno != ESRCH)
      return lt_fail_errno(tr, "thread %d: cannot set watchpoints", (int)t->tid);
    t->watch_gen = t->proc->watch_gen;
  }
  if (request == PTRACE_CONT && t->group_stopped && signo == 0) {
    /* Stay in the job-control stop, but report events (our interrupts,
     * the SIGCONT's wake-up). EIO: the group-stop is over. */
    if (lt_ptrace_q(t->proc->tracer, PTRACE_LISTEN, t->tid, 0, 0) == 0) {
      t->regs_valid = false;
      t->at_exec = false;
      return 0;
    }
    if (errno != EIO) return lt_fail_errno(tr, "ptrace(LISTEN) thread %d", (int)t->tid);
    t->group_stopped = false;
  }
  if (lt_ptrace(tr, request, t->tid, 0, (void *)(long)signo) < 0) return -1;
  t->regs_valid = false;
  t->at_exec = false;
  return 0;
}

/* PTRACE_INTERRUPT: the thread will report a stop; it is Stopping until
 * then. A thread that is dying (ESRCH) will report its exit instead. */
int lt_thread_interrupt(lt_thread *t) {
  if (lt_ptrace_q(t->proc->tracer, PTRACE_INTERRUPT, t->tid, 0, 0) == 0) {
    t->interrupt_pending = true;
  } else if (errno != ESRCH) {
    return lt_fail_errno(t->proc->tracer, "ptrace(INTERRUPT) thread %d", (int)t->tid);
  }
  lt_thread_set_state(t, LT_STOPPING);
  return 0;
}

lt_process *lt_thread_process(const lt_thread *t) { return t->proc; }
pid_t lt_thread_tid(const lt_thread *t) { return t->tid; }
lt_state lt_thread_state(const lt_thread *t) { return t->state; }

int lt_thread_cause(lt_thread *t, lt_cause *c) {
  switch (t->state) {
  case LT_STOPPED:
  case LT_STOPPED_BREAKPOINT:
  case LT_STOPPED_SIGNAL:
  case LT_STOPPED_THREAD_CREATE:
  case LT_STOPPED_EXITING:
  case LT_EXITING:
  case LT_EXITED: *c = t->cause; return 0;
  default: return lt_misuse_state(t, "get stop cause");
  }
}

int lt_thread_signal(const lt_thread *t) { return t->signal; }

int lt_thread_set_signal(lt_thread *t, int signo) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "set signal");
  t->signal = signo;
  return 0;
}

int lt_thread_siginfo(lt_thread *t, siginfo_t *si) {
  if (t->state != LT_STOPPED_SIGNAL) return lt_misuse_state(t, "get siginfo");
  if (lt_ptrace(t->proc->tracer, PTRACE_GETSIGINFO, t->tid, 0, si) < 0) return -1;
  return 0;
}

int lt_thread_kill(lt_thread *t, int signo) {
  if (syscall(SYS_tgkill, t->proc->pid, t->tid, signo) < 0)
    return lt_fail_errno(t->proc->tracer, "tgkill(%d, %d, %d)", (int)t->proc->pid, (int)t->tid, signo);
  return 0;
}
