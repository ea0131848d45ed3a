/* round.c: all-stop rounds over a whole process (the seed's WaitStop,
 * Stop and Continue): wait until a thread reports an event, stop every
 * other thread, report; step the threads that hit breakpoints over them
 * and resume everything. Also waiting on several processes, and waiting
 * for a killed process to end. Every wait here goes through decode.c. */
#include <errno.h>
#include <sys/ptrace.h>

#include "internal.h"

/* A thread that runs its own code: it will report a stop of its own or
 * must be interrupted (not a parked thread, zombie or vfork parent). */
static bool runs(const lt_thread *t) {
  return t->state == LT_RUNNING && !t->sys_parked && !lt_thread_parked(t);
}

/* Takes the stops p's running threads have already reported, without
 * waiting: a thread that has hit a breakpoint already needs no interrupt
 * (which would stay pending and cost it one more stop at its next
 * resume). On one CPU the other threads often hit before lutra runs:
 * this halves the stops per hit of an all-stop round. */
static void take_ready(lt_process *p) {
  /* The tids first: a status may add a thread (clone) to the table. At
   * most 64: threads past them are simply interrupted. */
  pid_t tids[64];
  size_t n = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; n < 64 && hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (runs(t)) tids[n++] = t->tid;
  }
  for (size_t i = 0; i < n && p->state != LT_PS_EXITED; i++) {
    int st;
    if (lt_wait_ready(p->tracer, tids[i], &st)) lt_decode_status(p->tracer, tids[i], st);
  }
}

/* Does this round need every thread stopped? Not when each event is a hit
 * of a non-stop breakpoint that can be stepped over without removing it. */
static bool round_needs_all_stop(lt_process *p) {
  for (size_t i = 0; i < p->nevents; i++) {
    lt_thread *t = p->events[i];
    if (t->cause.kind != LT_CAUSE_BREAKPOINT || !t->bp) return true;
    if (!lt_stepover_nonstop_ready(t->bp)) return true;
  }
  return false;
}

/* A hidden process (a vfork child nobody follows, decode.c) has stopped:
 * its breakpoint hits are stepped over, its signals delivered; at its exec
 * (a memory of its own, without int3s) it is let go, at its exit forgotten.
 * Served from every loop below that waits for any tracee. */
static void serve_hidden(lt_tracer *tr) {
  for (lt_process *p = tr->procs, *next; p; p = next) {
    next = p->next;
    if (!p->hidden || p->dying || (p->nevents == 0 && p->state != LT_PS_EXITED)) continue;
    bool release = p->state == LT_PS_EXITED;
    for (size_t i = 0; i < p->nevents && !release; i++) release = p->events[i]->cause.kind == LT_CAUSE_EXEC;
    if (!release) {
      lt_cont(p);
      continue;
    }
    uint64_t k;
    void *v;
    for (size_t i = 0; p->state != LT_PS_EXITED && hm_next(&p->threads, &i, &k, &v);) {
      lt_thread *t = v;
      if (lt_state_is_stopped(t->state)) lt_ptrace_q(tr, PTRACE_DETACH, t->tid, 0, (void *)(long)t->signal);
    }
    lt_process_destroy(p);
  }
}

static int decode_next(lt_tracer *tr, double deadline) {
  int r = lt_decode_next(tr, -1, deadline);
  if (r > 0) serve_hidden(tr);
  return r;
}

/* The round's first event has come. Threads that hit a breakpoint in this
 * round or the last one are likely to hit again at once: they get a moment
 * (up to 200 us; on one CPU lutra's waiting is what lets them run) to
 * report their own stop rather than an interrupt, which would cost them
 * one stop more for nothing. A thread that ran no breakpoint lately is
 * interrupted at once. The script sees the round only once every thread
 * is stopped, whichever way: all-stop as before, fewer stops. */
static int grace(lt_process *p) {
  double until = lt_now() + 0.0002;
  for (;;) {
    bool waiting = false;
    uint64_t k;
    void *v;
    for (size_t i = 0; hm_next(&p->threads, &i, &k, &v) && !waiting;) {
      lt_thread *t = v;
      waiting = runs(t) && t->hit_round >= p->rounds;
    }
    if (!waiting || p->state == LT_PS_EXITED) return 0;
    int r = decode_next(p->tracer, until);
    if (r <= 0) return r; /* the moment is over, or an error */
  }
}

/* Stops every running thread and waits until none runs. With `force`
 * false (wait_stop), the round starts only once a thread reports an event. */
int lt_settle(lt_process *p, bool force, double deadline) {
  lt_tracer *tr = p->tracer;
  bool graced = force;
  for (;;) {
    p->settling = false;
    if (p->state == LT_PS_EXITED) return 0;
    if (!force && p->nevents > 0 && !round_needs_all_stop(p)) return 0; /* non-stop */
    bool running = false, parked = false;
    uint64_t k;
    void *v;
    p->settling = force || p->nevents > 0;
    if (p->settling) take_ready(p);
    if (p->settling && !graced) {
      graced = true;
      if (grace(p) < 0) return -1;
    }
    if (p->state == LT_PS_EXITED) return 0;
    for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
      lt_thread *t = v;
      if (lt_thread_parked(t)) { /* it cannot run: no need to stop it */
        parked = true;
        continue;
      }
      if (t->state == LT_RUNNING && t->sys_parked && p->settling) {
        /* blocked in a syscall, its exit will stop it before it runs any
         * code of its own: stopped as far as the round goes ("lazy") */
        t->cause.kind = LT_CAUSE_STOPPED;
        lt_thread_set_state(t, LT_STOPPED);
        continue;
      }
      if (t->state == LT_RUNNING && p->settling && lt_thread_interrupt(t) < 0) return -1;
      if (lt_state_is_running(t->state)) running = true;
    }
    if (!running && (p->settling || !parked)) {
      p->settling = false;
      p->state = LT_PS_STOPPED;
      p->rounds++;
      return 0;
    }
    int r = decode_next(tr, deadline);
    if (r < 0) {
      p->settling = false;
      if (tr->errcode == ECHILD) { /* every tracee is gone under us */
        lt_decode_process_gone(p);
        return 0;
      }
      return -1;
    }
    if (r == 0) {
      p->settling = false;
      return lt_fail(tr, LT_ETIMEOUT, "timeout");
    }
  }
}

static void account(lt_process *p, double t0) { p->stats.tracer_s += lt_now() - t0; }

/* `stop`: a timeout stops the process (the seed's WaitStop), else it is
 * left running (run's ticks read counters while the program runs). */
static int wait_round(lt_process *p, double timeout, bool stop) {
  lt_tracer *tr = p->tracer;
  if (p->state == LT_PS_DETACHED) return lt_fail(tr, LT_EMISUSE, "process %d is detached", (int)p->pid);
  double t0 = lt_now();
  double deadline = timeout >= 0 ? t0 + timeout : -1;
  int rc = p->state == LT_PS_EXITED ? 0 : lt_settle(p, false, deadline);
  if (rc < 0 && tr->errcode == LT_ETIMEOUT && stop) {
    if (lt_settle(p, true, -1) < 0)
      rc = -1;
    else
      lt_fail(tr, LT_ETIMEOUT, "timeout");
  }
  account(p, t0);
  if (rc == 0 && p->state == LT_PS_EXITED) {
    /* Events of the round the process ended in (threads' exits let go
     * because another thread still ran): given once, then the end. */
    if (p->nevents && !p->final_round_given) {
      p->final_round_given = true;
      return 0;
    }
    lt_events_clear(p);
    return lt_fail(tr, LT_EEXITED, "process exited");
  }
  return rc;
}

int lt_wait_stop(lt_process *p, double timeout) { return wait_round(p, timeout, true); }
int lt_wait_stop_running(lt_process *p, double timeout) { return wait_round(p, timeout, false); }

int lt_stop(lt_process *p) {
  if (p->state == LT_PS_EXITED) return lt_fail(p->tracer, LT_EEXITED, "process exited");
  if (p->state == LT_PS_DETACHED)
    return lt_fail(p->tracer, LT_EMISUSE, "process %d is detached", (int)p->pid);
  double t0 = lt_now();
  int rc = lt_settle(p, true, -1);
  account(p, t0);
  return rc;
}

/* Resumes an interrupted thread (cause stopped, nothing to deliver) that
 * sits in a blocking syscall with PTRACE_SYSCALL, parked: the next rounds
 * need not interrupt it (decode.c stops it at the syscall's exit). Looking
 * costs a GETREGS, so a thread found running its own code is looked at
 * again only after 1, 2, 4 ... 64 rounds. */
static bool park(lt_thread *t) {
  lt_process *p = t->proc;
  if (t->state != LT_STOPPED || t->cause.kind != LT_CAUSE_STOPPED || t->signal || t->group_stopped ||
      p->trace_syscalls || t->sys_want_exit || t->regs_dirty || t->at_exec)
    return false;
  unsigned n = ++t->busy_streak;
  if (n > 64) n = t->busy_streak = 64;
  if ((n & (n - 1)) != 0) return false; /* not a power of two: not now */
  if (lt_thread_load_regs(t) < 0 || !arch_in_syscall(&t->regs)) return false;
  t->busy_streak = 0;
  return true;
}

int lt_cont(lt_process *p) {
  lt_tracer *tr = p->tracer;
  if (p->state == LT_PS_EXITED && p->final_round_given && p->nevents) {
    lt_events_clear(p); /* after the final round: wait_stop now says it ended */
    return 0;
  }
  if (p->state == LT_PS_EXITED) return lt_fail(tr, LT_EEXITED, "process exited");
  if (p->state == LT_PS_DETACHED) return lt_fail(tr, LT_EMISUSE, "process %d is detached", (int)p->pid);
  double t0 = lt_now();
  lt_events_clear(p);
  lt_process_free_dead(p);
  uint64_t k;
  void *v;
  /* Statuses of lazy threads that came while the process was stopped: an
   * event among them is the next round's (its thread stays stopped). */
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (!t->has_held) continue;
    t->has_held = false;
    t->sys_parked = false;
    lt_thread_set_state(t, LT_RUNNING);
    lt_handle_status(tr, t, t->held_status);
  }
  /* Step every thread that reported a breakpoint over it, so that the
   * breakpoint can stay in memory. A thread merely stopped with its pc on
   * a breakpoint (interrupted just before the int3) has not hit it yet:
   * it resumes into the int3 and reports the hit, never skipped. */
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (t->state != LT_STOPPED_BREAKPOINT || t->cause.kind != LT_CAUSE_BREAKPOINT) continue;
    /* The one it hit, or the one a handler put back at that address */
    lt_breakpoint *bp = t->bp ? t->bp : lt_bp_at(p, t->cause.pc);
    if (!bp || !bp->inserted) continue;
    if (lt_thread_load_regs(t) < 0) {
      if (tr->errcode == ESRCH) continue;
      account(p, t0);
      return -1;
    }
    if (lt_bp_report(bp) != arch_pc(&t->regs)) continue; /* the handler moved it on */
    if (lt_bp_step_over(t, bp) < 0) {
      account(p, t0);
      return -1;
    }
    if (p->state == LT_PS_EXITED) break;
  }
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (lt_thread_lazy(t)) { /* still in its syscall, which will stop it */
      lt_thread_set_state(t, LT_RUNNING);
      continue;
    }
    if (!lt_state_is_stopped(t->state) || t->in_events) continue;
    bool parks = park(t);
    int sig = t->signal;
    t->signal = 0;
    bool exiting = t->state == LT_STOPPED_EXITING;
    int req = exiting ? PTRACE_CONT : parks ? PTRACE_SYSCALL : lt_resume_request(t);
    t->sys_parked = parks;
    if (lt_thread_resume(t, req, sig) < 0 && tr->errcode != ESRCH) {
      account(p, t0);
      return -1;
    }
    lt_thread_set_state(t, exiting ? LT_EXITING : LT_RUNNING);
  }
  if (p->state != LT_PS_EXITED) p->state = LT_PS_RUNNING;
  account(p, t0);
  return 0;
}

static int wait_any(lt_process *const *procs, size_t n, double timeout, bool stop) {
  if (n == 0) return -1;
  lt_tracer *tr = procs[0]->tracer;
  double t0 = lt_now();
  double deadline = timeout >= 0 ? t0 + timeout : -1;
  for (;;) {
    for (size_t i = 0; i < n; i++) {
      lt_process *p = procs[i];
      if (p->state == LT_PS_EXITED && !p->exit_seen) {
        p->exit_seen = true;
        return (int)i;
      }
      if (p->state == LT_PS_RUNNING && p->nevents > 0) {
        double t1 = lt_now();
        int rc = lt_settle(p, false, -1);
        account(p, t1);
        if (rc < 0) return -1;
        if (p->state == LT_PS_EXITED) p->exit_seen = true;
        return (int)i;
      }
    }
    bool any = false;
    for (size_t i = 0; i < n; i++) any = any || procs[i]->state == LT_PS_RUNNING;
    if (!any) return lt_fail(tr, LT_EMISUSE, "wait_any: no process is running");
    int r = decode_next(tr, deadline);
    if (r < 0) return -1;
    if (r == 0) {
      for (size_t i = 0; i < n && stop; i++)
        if (procs[i]->state == LT_PS_RUNNING) lt_settle(procs[i], true, -1);
      return lt_fail(tr, LT_ETIMEOUT, "timeout");
    }
  }
}

int lt_wait_any(lt_process *const *procs, size_t n, double timeout) {
  return wait_any(procs, n, timeout, true);
}
int lt_wait_any_running(lt_process *const *procs, size_t n, double timeout) {
  return wait_any(procs, n, timeout, false);
}

int lt_wait_exit(lt_process *p, double timeout) {
  lt_tracer *tr = p->tracer;
  double deadline = lt_now() + timeout;
  while (p->state != LT_PS_EXITED) {
    int r = decode_next(tr, deadline);
    if (r < 0 && tr->errcode == EINTR) continue;
    if (r <= 0) return -1; /* ECHILD or a tracee that will not die */
  }
  return 0;
}
