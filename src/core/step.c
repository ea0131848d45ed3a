/* step.c: one thread runs alone until it stops, the others staying as they
 * are: a single-step over an instruction, a thread let into a trap it has
 * already taken, an injected call. The only wait loop below the rounds
 * (round.c). Also the saved state of a thread that runs injected code. */
#include <errno.h>
#include <sys/ptrace.h>

#include "internal.h"

/* Waits, for t alone, until it is no longer running: a step done, an
 * interrupt taken, an event (kept as its cause). Past the deadline the
 * thread is interrupted (a lock another stopped thread holds?). Never
 * abandoned half-way: an interruption of lutra is kept for the next wait,
 * once the thread is stopped again. */
static int wait_alone(lt_thread *t, double deadline) {
  lt_tracer *tr = t->proc->tracer;
  bool interrupted = false;
  int rc = 0;
  while (lt_state_is_running(t->state)) {
    int r = lt_decode_next(tr, t->tid, t->state == LT_STOPPING ? -1 : deadline);
    if (r == 0) {
      if (lt_thread_interrupt(t) < 0) break;
      continue;
    }
    if (r > 0) continue;
    if (tr->errcode == EINTR) {
      interrupted = true;
      continue;
    }
    if (tr->errcode == ECHILD) {
      lt_decode_vanished(t);
      break;
    }
    rc = -1;
    break;
  }
  if (interrupted) tr->interrupted = 1;
  return rc;
}

int lt_run_alone(lt_thread *t, int request, double timeout) {
  lt_state running = request == PTRACE_SINGLESTEP ? LT_SINGLE_STEPPING : LT_RUNNING;
  if (lt_thread_resume(t, request, 0) < 0) return -1;
  lt_thread_set_state(t, running);
  if (wait_alone(t, timeout >= 0 ? lt_now() + timeout : -1) < 0) return -1;
  if (t->state == LT_STOPPED && t->cause.kind == LT_CAUSE_STOPPED) return 0;
  return 1;
}

int lt_thread_unpark(lt_thread *t) {
  if (!lt_thread_lazy(t)) return 0;
  t->sys_parked = false; /* its syscall stop, if first, is just a stop */
  lt_thread_set_state(t, LT_RUNNING);
  if (lt_thread_interrupt(t) < 0) return -1;
  return wait_alone(t, -1);
}

int lt_process_unpark_all(lt_process *p) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);)
    if (lt_thread_unpark(v) < 0) return -1;
  return 0;
}

/* The registers of a stopped thread; a lazy one is stopped for real first. */
int lt_thread_get_regs(lt_thread *t, arch_regs *r) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "get registers");
  if (lt_thread_unpark(t) < 0) return -1;
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "get registers");
  if (lt_thread_load_regs(t) < 0) return -1;
  *r = t->regs;
  return 0;
}

int lt_thread_set_regs(lt_thread *t, const arch_regs *r) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "set registers");
  if (lt_thread_unpark(t) < 0) return -1;
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "set registers");
  t->regs = *r;
  t->regs_valid = true;
  t->regs_dirty = true;
  return 0;
}

/* The floating-point registers of this stop: valid while no stop has
 * happened in the process since they were read (a resumed thread stops
 * again only through a new stop). */
int lt_thread_get_fpregs(lt_thread *t, arch_fpregs *f) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "get floating-point registers");
  if (lt_thread_unpark(t) < 0) return -1;
  if (!t->fpregs_valid || t->fpregs_stamp != t->proc->stats.stops) {
    if (lt_ptrace(t->proc->tracer, PTRACE_GETFPREGS, t->tid, 0, &t->fpregs) < 0) return -1;
    t->fpregs_valid = true;
    t->fpregs_stamp = t->proc->stats.stops;
  }
  *f = t->fpregs;
  return 0;
}

int lt_thread_set_fpregs(lt_thread *t, const arch_fpregs *f) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "set floating-point registers");
  if (lt_thread_unpark(t) < 0) return -1;
  if (lt_ptrace(t->proc->tracer, PTRACE_SETFPREGS, t->tid, 0, (void *)f) < 0) return -1;
  t->fpregs = *f;
  t->fpregs_valid = true;
  t->fpregs_stamp = t->proc->stats.stops;
  return 0;
}

/* Single-steps t. 0: the step is done; 1: the thread reported another
 * event first, kept as its cause. */
int lt_step_thread(lt_thread *t) { return lt_run_alone(t, PTRACE_SINGLESTEP, -1); }

void lt_thread_save(lt_thread *t, lt_saved_thread *s) {
  s->regs = t->regs;
  s->state = t->state;
  s->cause = t->cause;
  s->bp = t->bp;
  s->signal = t->signal;
  s->in_events = t->in_events;
}

void lt_thread_restore(lt_thread *t, const lt_saved_thread *s, bool regs) {
  /* A signal that came meanwhile stays pending for the thread; an event
   * the injected code caused is not the round's. */
  int signal = s->signal;
  if (!signal && t->cause.kind == LT_CAUSE_SIGNAL && t->state == LT_STOPPED_SIGNAL) signal = t->cause.signo;
  if (t->in_events && !s->in_events) lt_events_remove(t);
  if (regs) {
    t->regs = s->regs;
    t->regs_valid = true;
    t->regs_dirty = true;
  }
  t->state = s->state;
  t->cause = s->cause;
  t->bp = s->bp;
  t->signal = signal;
}
