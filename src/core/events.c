/* events.c: waiting for stops and decoding them into the seed's thread
 * states; the all-stop rounds of wait_stop and stop; cont and single-step. */
#include <errno.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

double lt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One wait status for `tid` (-1: any). Returns the tid, 0 on timeout, -1 on
 * error (EINTR when lt_tracer_interrupt was called). deadline < 0: none. */
int lt_wait_event(lt_tracer *tr, pid_t tid, int *status, double deadline) {
  if (deadline < 0) {
    for (;;) {
      if (tr->interrupted) {
        tr->interrupted = 0;
        return lt_fail(tr, EINTR, "interrupted");
      }
      pid_t r = waitpid(tid, status, __WALL);
      if (r > 0) return r;
      if (errno != EINTR) return lt_fail_errno(tr, "waitpid(%d)", (int)tid);
    }
  }
  /* With a deadline: SIGCHLD stays blocked for the whole loop, so one that
   * arrives between waitpid and sigtimedwait is not lost. */
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, &old) < 0) return lt_fail_errno(tr, "sigprocmask");
  int rc;
  for (;;) {
    if (tr->interrupted) {
      tr->interrupted = 0;
      rc = lt_fail(tr, EINTR, "interrupted");
      break;
    }
    pid_t r = waitpid(tid, status, __WALL | WNOHANG);
    if (r != 0) {
      rc = r > 0 ? r : lt_fail_errno(tr, "waitpid(%d)", (int)tid);
      break;
    }
    double left = deadline - lt_now();
    if (left <= 0) {
      rc = 0;
      break;
    }
    struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
    if (sigtimedwait(&chld, NULL, &ts) < 0 && errno != EAGAIN && errno != EINTR) {
      rc = lt_fail_errno(tr, "sigtimedwait");
      break;
    }
  }
  int err = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  errno = err;
  return rc;
}

void lt_note_event(lt_thread *t) {
  lt_process *p = t->proc;
  if (t->in_events) return;
  if (p->nevents == p->capevents) {
    size_t cap = p->capevents ? p->capevents * 2 : 8;
    lt_thread **e = realloc(p->events, cap * sizeof *e);
    if (!e) return;
    p->events = e;
    p->capevents = cap;
  }
  p->events[p->nevents++] = t;
  t->in_events = true;
}

static size_t live_threads(const lt_process *p) {
  size_t n = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);)
    if (((lt_thread *)v)->state != LT_EXITED) n++;
  return n;
}

static void process_exited(lt_process *p) {
  p->state = LT_PS_EXITED;
  lt_bp_forget_all(p);
  lt_pin_release(p);
}

static void thread_exited(lt_thread *t, int status) {
  lt_process *p = t->proc;
  bool reported = t->exit_reported;
  t->cause.kind = LT_CAUSE_THREAD_EXIT;
  if (WIFEXITED(status)) {
    t->cause.status = WEXITSTATUS(status);
    t->cause.signo = 0;
  } else {
    t->cause.status = -1;
    t->cause.signo = WTERMSIG(status);
  }
  if (t->tid == p->pid || live_threads(p) == 1) {
    p->exited_normally = WIFEXITED(status);
    p->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    p->exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  lt_thread_gone(t);
  if (!reported) lt_note_event(t);
  if (live_threads(p) == 0) process_exited(p);
}

/* A forked child inherits every int3: put the program's bytes back in its
 * copy and let it go. A vfork child shares our memory and keeps them. */
static void release_child(lt_process *p, pid_t child, bool shares_memory) {
  lt_tracer *tr = p->tracer;
  int st;
  if (!lt_tracer_take_orphan(tr, child, &st) && waitpid(child, &st, __WALL) < 0) return;
  if (!WIFSTOPPED(st)) return;
  if (!shares_memory) {
    lt_process tmp = *p;
    tmp.pid = child;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)child);
    tmp.memfd = open(path, O_RDWR | O_CLOEXEC);
    if (tmp.memfd >= 0) {
      uint64_t k;
      void *v;
      for (size_t i = 0; hm_next(&p->breakpoints, &i, &k, &v);) {
        lt_breakpoint *bp = v;
        if (bp->inserted) lt_mem_write_raw(&tmp, bp->addr, &bp->orig, 1);
      }
      close(tmp.memfd);
    }
  }
  ptrace(PTRACE_DETACH, child, 0, 0);
}

/* A forked child that is followed: a process of its own, stopped at its
 * first stop, with copies of the parent's breakpoint table and scratch
 * pages (its memory is a copy: the int3 bytes and copies are there). */
static lt_process *adopt_child(lt_process *p, pid_t child, bool vfork) {
  lt_tracer *tr = p->tracer;
  int st;
  if (!lt_tracer_take_orphan(tr, child, &st)) {
    while (waitpid(child, &st, __WALL) < 0)
      if (errno != EINTR) return NULL;
  }
  lt_process *c = lt_process_adopt(p, child, vfork);
  if (!c) {
    ptrace(PTRACE_DETACH, child, 0, 0);
    return NULL;
  }
  return c;
}

/* The thread is stopped by the kernel but the stop means nothing to the
 * user: let it go on as it was; a thread we were stopping stays stopped
 * (its interrupt is still pending and will be absorbed later). */
void lt_resume_quietly(lt_thread *t) {
  if (t->state == LT_STOPPING) {
    t->cause.kind = LT_CAUSE_STOPPED;
    lt_thread_set_state(t, LT_STOPPED);
    return;
  }
  int req = t->state == LT_SINGLE_STEPPING ? PTRACE_SINGLESTEP : lt_resume_request(t);
  if (lt_thread_resume(t, req, 0) < 0 && errno == ESRCH) return;
}

static void handle_exec(lt_thread *t) {
  lt_process *p = t->proc;
  /* Other threads vanished with the old program; the exec'ing thread now
   * has the leader's tid, and the address space is new. */
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *o = v;
    if (o != t && o->state != LT_EXITED) {
      lt_thread_gone(o);
    }
  }
  lt_bp_forget_all(p);
  p->shares_memory = false;
  p->nscratch = 0; /* the scratch pages went with the old address space */
  p->call_pad = 0;
  hm_free(&p->ifuncs);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)p->pid);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    close(p->memfd);
    p->memfd = fd;
  }
  t->cause.kind = LT_CAUSE_EXEC;
  t->at_exec = true;
  lt_thread_set_state(t, LT_STOPPED);
  lt_note_event(t);
}

/* A signal-delivery stop: reported, and delivered by the next cont
 * unless the user changes it. */
static void stopped_by_signal(lt_thread *t, int sig) {
  if (sig == SIGCONT) { /* job control: the group-stop is over */
    uint64_t k;
    void *v;
    for (size_t i = 0; hm_next(&t->proc->threads, &i, &k, &v);) ((lt_thread *)v)->group_stopped = false;
  }
  t->signal = sig;
  t->cause.kind = LT_CAUSE_SIGNAL;
  t->cause.signo = sig;
  lt_thread_set_state(t, LT_STOPPED_SIGNAL);
  lt_note_event(t);
}

/* One of our int3s: rewind to it and report the hit. */
static void hit_breakpoint(lt_thread *t, uint64_t at) {
  arch_set_pc(&t->regs, at);
  t->regs_dirty = true;
  t->cause.kind = LT_CAUSE_BREAKPOINT;
  t->cause.pc = at;
  lt_thread_set_state(t, LT_STOPPED_BREAKPOINT);
  t->regs_valid = true; /* the cache survives the state change */
  t->proc->stats.hits++;
  lt_note_event(t);
}

static void handle_trap(lt_thread *t) {
  lt_process *p = t->proc;
  /* The hot path: a running thread that stops just past one of our int3s
   * executed it (nothing else puts rip there: emulated and out-of-line
   * step-overs never trap at the original address). One syscall saved. */
  if (t->state != LT_SINGLE_STEPPING && lt_thread_load_regs(t) == 0) {
    uint64_t at = arch_breakpoint_addr(arch_pc(&t->regs));
    lt_breakpoint *bp = lt_bp_at(p, at);
    if (bp && bp->inserted) {
      hit_breakpoint(t, at);
      return;
    }
  }
  siginfo_t si;
  bool have_si = ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0;
  if (t->state == LT_SINGLE_STEPPING && have_si && si.si_code != SI_KERNEL &&
      si.si_code != SI_USER && si.si_code != SI_TKILL) {
    t->cause.kind = LT_CAUSE_STOPPED;
    lt_thread_set_state(t, LT_STOPPED);
    return;
  }
  if (have_si && si.si_code == TRAP_HWBKPT) {
    int slot = arch_watch_hit(t->tid);
    if (slot >= 0 && p->watch[slot].used) {
      t->cause.kind = LT_CAUSE_WATCH;
      t->cause.pc = p->watch[slot].addr;
      t->cause.signo = slot;
      if (p->watch[slot].kind == ARCH_WATCH_EXEC && lt_thread_load_regs(t) == 0) {
        arch_resume_past_exec_watch(&t->regs);
        t->regs_dirty = true;
      }
      lt_thread_set_state(t, LT_STOPPED);
      lt_note_event(t);
      return;
    }
  }
  if (have_si && si.si_code == SI_KERNEL && lt_thread_load_regs(t) == 0) {
    uint64_t at = arch_breakpoint_addr(arch_pc(&t->regs));
    lt_breakpoint *bp = lt_bp_at(p, at);
    if (bp && bp->inserted) {
      hit_breakpoint(t, at);
      return;
    }
  }
  /* The program's own int3, or a SIGTRAP someone sent: it is the program's. */
  stopped_by_signal(t, SIGTRAP);
}

/* A new process: followed (a Process of its own, reported as a fork), or
 * let go with its copy of memory cleaned of our int3s. */
static void handle_fork(lt_thread *t, pid_t child, bool shares_memory, bool must_follow) {
  lt_process *p = t->proc;
  /* A child with lutra's seccomp filter cannot be let go: without a
   * tracer its traced syscalls would fail (seccomp.c). */
  lt_process *c;
  if ((p->follow_fork || p->seccomp || must_follow) && (c = adopt_child(p, child, shares_memory))) {
    c->must_follow = must_follow || p->seccomp;
    t->cause.kind = LT_CAUSE_FORK;
    t->cause.new_tid = child;
    lt_thread_set_state(t, LT_STOPPED);
    lt_note_event(t);
    return;
  }
  release_child(p, child, shares_memory);
  lt_resume_quietly(t);
}

/* Did a clone make a new process (no CLONE_THREAD: its own thread group)
 * rather than a thread? The kernel reports PTRACE_EVENT_CLONE for any
 * clone whose exit signal is not SIGCHLD. */
static bool is_new_process(pid_t tid) {
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
  FILE *f = fopen(path, "re");
  if (!f) return false;
  long tgid = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Tgid: %ld", &tgid) == 1) break;
  fclose(f);
  return tgid == (long)tid;
}

/* Does the new process share its parent's memory (CLONE_VM)? Then our
 * int3s are its int3s: they must not be removed from "its copy". */
static bool shares_vm(pid_t a, pid_t b) {
  return syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0) == 0;
}

static void handle_new_thread(lt_thread *t) {
  lt_process *p = t->proc;
  unsigned long msg = 0;
  if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) < 0) return;
  pid_t tid = (pid_t)msg;
  if (is_new_process(tid)) {
    /* Sharing the parent's memory, it shares our int3s too: let go, it
     * would die at the first one it reaches. Such a child is followed. */
    bool vm = shares_vm(t->tid, tid);
    handle_fork(t, tid, vm, vm);
    return;
  }
  lt_thread *nt = lt_thread_new(p, tid, LT_STOPPING);
  if (nt) {
    int st;
    if (lt_tracer_take_orphan(p->tracer, tid, &st)) lt_handle_status(p->tracer, nt, st);
  }
  t->cause.kind = LT_CAUSE_THREAD_CREATE;
  t->cause.new_tid = tid;
  lt_thread_set_state(t, LT_STOPPED_THREAD_CREATE);
  lt_note_event(t);
}

/* Is another thread of t's process running, or on its way to a stop? */
static bool others_running(const lt_thread *t) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&t->proc->threads, &i, &k, &v);) {
    const lt_thread *o = v;
    if (o != t && lt_state_is_running(o->state)) return true;
  }
  return false;
}

static void debug_status(lt_thread *t, int status) {
  fprintf(stderr, "lutra: [%d/%d %s] ", (int)t->proc->pid, (int)t->tid, lt_state_name(t->state));
  if (WIFEXITED(status))
    fprintf(stderr, "exited %d\n", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    fprintf(stderr, "killed by %d\n", WTERMSIG(status));
  else
    fprintf(stderr, "stopped sig %d event %d\n", WSTOPSIG(status), status >> 16);
}

void lt_handle_status(lt_tracer *tr, lt_thread *t, int status) {
  lt_process *p = t->proc;
  if (tr->debug) debug_status(t, status);
  p->stats.stops++;
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    thread_exited(t, status);
    return;
  }
  if (!WIFSTOPPED(status)) return;
  int sig = WSTOPSIG(status), event = status >> 16;
  t->regs_valid = false;
  switch (event) {
  case PTRACE_EVENT_STOP: {
    /* A group-stop (job control: SIGSTOP, SIGTSTP... from outside) keeps
     * the thread stopped: lutra resumes it with PTRACE_LISTEN until a
     * SIGCONT comes (thread.c), as the program and its shell expect. */
    bool group = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
    if (group) {
      t->group_stopped = true;
    } else {
      /* An interrupt of ours; for a listening thread (ours report the stop
       * signal there), the wake-up by SIGCONT: the group-stop is over. */
      t->interrupt_pending = false;
      t->group_stopped = false;
    }
    if (t->state == LT_STOPPING) {
      t->cause.kind = LT_CAUSE_STOPPED;
      if (group) t->interrupt_pending = false; /* stopped, whatever stopped it */
      lt_thread_set_state(t, LT_STOPPED);
    } else if (lt_state_is_running(t->state)) {
      /* An interrupt left over from a raced round: the thread goes on;
       * a group-stop: it listens. */
      lt_resume_quietly(t);
    }
    return;
  }
  case PTRACE_EVENT_CLONE:
    handle_new_thread(t);
    return;
  case PTRACE_EVENT_FORK:
  case PTRACE_EVENT_VFORK: {
    unsigned long child = 0;
    if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &child) < 0) {
      lt_resume_quietly(t);
      return;
    }
    handle_fork(t, (pid_t)child, event == PTRACE_EVENT_VFORK, false);
    return;
  }
  case PTRACE_EVENT_VFORK_DONE:
    lt_resume_quietly(t);
    return;
  case PTRACE_EVENT_SECCOMP:
    lt_handle_seccomp(t);
    return;
  case PTRACE_EVENT_EXEC:
    handle_exec(t);
    return;
  case PTRACE_EVENT_EXIT: {
    unsigned long ws = 0;
    ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &ws);
    t->cause.kind = LT_CAUSE_THREAD_EXIT;
    t->cause.status = WIFEXITED((int)ws) ? WEXITSTATUS((int)ws) : -1;
    t->cause.signo = WIFSIGNALED((int)ws) ? WTERMSIG((int)ws) : 0;
    t->exit_reported = true;
    if (others_running(t)) {
      /* Another thread may be waiting in the kernel for this exit to
       * complete (an execve from a non-leader thread waits for the old
       * leader): holding this one while stopping that one would deadlock.
       * Report the exit, but let the thread finish it. */
      t->interrupt_pending = false;
      if (ptrace(PTRACE_CONT, t->tid, 0, 0) == 0 || errno == ESRCH)
        lt_thread_set_state(t, LT_EXITING);
    } else {
      lt_thread_set_state(t, LT_STOPPED_EXITING);
    }
    lt_note_event(t);
    return;
  }
  case 0:
    break;
  default: /* syscall stops and events we did not ask for */
    lt_resume_quietly(t);
    return;
  }
  if (sig == (SIGTRAP | 0x80)) {
    lt_handle_syscall(t);
    return;
  }
  if (sig == SIGTRAP) {
    handle_trap(t);
    return;
  }
  stopped_by_signal(t, sig);
}

/* Reads one status and hands it to its thread. */
static int dispatch_status(lt_tracer *tr, pid_t r, int st);

static int pump(lt_tracer *tr, pid_t tid, double deadline) {
  int st;
  int r = lt_wait_event(tr, tid, &st, deadline);
  if (r <= 0) return r;
  return dispatch_status(tr, r, st);
}

/* Takes the stops p's running threads have already reported, without
 * waiting: a thread that has hit a breakpoint already needs no interrupt
 * (which would stay pending and cost it one more stop at its next
 * resume). On one CPU the other threads often hit before lutra runs:
 * this halves the stops per hit of an all-stop round. */
static void pump_ready(lt_process *p) {
  /* The tids first: a status may add a thread (clone) to the table. At
   * most 64: threads past them are simply interrupted. */
  pid_t tids[64];
  size_t n = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; n < 64 && hm_next(&p->threads, &i, &k, &v);)
    if (((lt_thread *)v)->state == LT_RUNNING) tids[n++] = ((lt_thread *)v)->tid;
  for (size_t i = 0; i < n && p->state != LT_PS_EXITED; i++) {
    int st;
    if (waitpid(tids[i], &st, __WALL | WNOHANG) == tids[i]) dispatch_status(p->tracer, tids[i], st);
  }
}

static int dispatch_status(lt_tracer *tr, pid_t r, int st) {
  lt_thread *t = lt_tracer_thread(tr, r);
  if (!t) {
    if (WIFSTOPPED(st)) return lt_tracer_add_orphan(tr, r, st) < 0 ? -1 : 1;
    return 1; /* a child of ours we never traced */
  }
  lt_handle_status(tr, t, st);
  return 1;
}

/* Single-steps t (others stay as they are). 0: the step is done; 1: the
 * thread reported another event first, kept as its cause. */
int lt_step_thread(lt_thread *t) {
  lt_tracer *tr = t->proc->tracer;
  if (lt_thread_resume(t, PTRACE_SINGLESTEP, 0) < 0) return -1;
  lt_thread_set_state(t, LT_SINGLE_STEPPING);
  /* A step is never abandoned half-way: an interruption is kept for the
   * next wait, once the thread is stopped again. */
  bool interrupted = false;
  while (t->state == LT_SINGLE_STEPPING) {
    int st;
    int r = lt_wait_event(tr, t->tid, &st, -1);
    if (r < 0) {
      if (tr->errcode == EINTR) {
        interrupted = true;
        continue;
      }
      if (tr->errcode == ECHILD) {
        thread_exited(t, 0);
        break;
      }
      if (interrupted) tr->interrupted = 1;
      return -1;
    }
    lt_handle_status(tr, t, st);
  }
  if (interrupted) tr->interrupted = 1;
  if (t->state == LT_EXITED) return 1;
  if (t->state == LT_STOPPED && t->cause.kind == LT_CAUSE_STOPPED) return 0;
  return 1;
}

/* Stops every running thread and waits until none runs. With `any_event`
 * false (wait_stop), the round starts only once a thread reports an event. */
/* Does this round need every thread stopped? Not when each event is a hit
 * of a non-stop breakpoint that can be stepped over without removing it. */
static bool round_needs_all_stop(lt_process *p) {
  for (size_t i = 0; i < p->nevents; i++) {
    lt_thread *t = p->events[i];
    if (t->cause.kind != LT_CAUSE_BREAKPOINT) return true;
    lt_breakpoint *bp = lt_bp_at(p, t->cause.pc);
    if (!bp || !bp->nonstop) return true;
    if (!bp->planned || bp->plan.kind == ARCH_PLAN_STEP) return true;
    if (bp->plan.kind == ARCH_PLAN_DISPLACE && !bp->slot_ready) return true; /* set up all-stop */
  }
  return false;
}

static int settle(lt_process *p, bool force, double deadline) {
  lt_tracer *tr = p->tracer;
  for (;;) {
    if (p->state == LT_PS_EXITED) return 0;
    if (!force && p->nevents > 0 && !round_needs_all_stop(p)) return 0; /* non-stop */
    bool running = false, zombies = false;
    uint64_t k;
    void *v;
    if (force || p->nevents > 0) pump_ready(p);
    if (p->state == LT_PS_EXITED) return 0;
    for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
      lt_thread *t = v;
      if (t->state == LT_RUNNING && (force || p->nevents > 0)) {
        if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) == 0) {
          t->interrupt_pending = true;
          lt_thread_set_state(t, LT_STOPPING);
        } else if (errno != ESRCH) {
          return lt_fail_errno(tr, "ptrace(INTERRUPT) thread %d", (int)t->tid);
        } else {
          lt_thread_set_state(t, LT_STOPPING); /* dying: its exit will come */
        }
      }
      if (lt_state_is_running(t->state)) running = true;
      if (t->state == LT_EXITING) zombies = true;
    }
    if (!running && (force || p->nevents > 0 || !zombies)) {
      p->state = LT_PS_STOPPED;
      return 0;
    }
    int r = pump(tr, -1, deadline);
    if (r < 0) {
      if (tr->errcode == ECHILD) { /* every tracee is gone under us */
        process_exited(p);
        return 0;
      }
      return -1;
    }
    if (r == 0) return lt_fail(tr, LT_ETIMEOUT, "timeout");
  }
}

static void account(lt_process *p, double t0) { p->stats.tracer_s += lt_now() - t0; }

static void clear_events(lt_process *p);

int lt_wait_stop(lt_process *p, double timeout) {
  lt_tracer *tr = p->tracer;
  if (p->state == LT_PS_DETACHED)
    return lt_fail(tr, LT_EMISUSE, "process %d is detached", (int)p->pid);
  double t0 = lt_now();
  double deadline = timeout >= 0 ? t0 + timeout : -1;
  int rc = p->state == LT_PS_EXITED ? 0 : settle(p, false, deadline);
  if (rc < 0 && tr->errcode == LT_ETIMEOUT) {
    if (settle(p, true, -1) < 0) rc = -1;
    else lt_fail(tr, LT_ETIMEOUT, "timeout");
  }
  account(p, t0);
  if (rc == 0 && p->state == LT_PS_EXITED) {
    /* Events of the round the process ended in (threads' exits let go
     * because another thread still ran): given once, then the end. */
    if (p->nevents && !p->final_round_given) {
      p->final_round_given = true;
      return 0;
    }
    clear_events(p);
    return lt_fail(tr, LT_EEXITED, "process exited");
  }
  return rc;
}

int lt_stop(lt_process *p) {
  if (p->state == LT_PS_EXITED) return lt_fail(p->tracer, LT_EEXITED, "process exited");
  if (p->state == LT_PS_DETACHED)
    return lt_fail(p->tracer, LT_EMISUSE, "process %d is detached", (int)p->pid);
  double t0 = lt_now();
  int rc = settle(p, true, -1);
  account(p, t0);
  return rc;
}

size_t lt_process_events(const lt_process *p, lt_thread ***events) {
  *events = p->events;
  return p->nevents;
}

static void clear_events(lt_process *p) {
  for (size_t i = 0; i < p->nevents; i++) p->events[i]->in_events = false;
  p->nevents = 0;
}

int lt_cont(lt_process *p) {
  lt_tracer *tr = p->tracer;
  if (p->state == LT_PS_EXITED && p->final_round_given && p->nevents) {
    clear_events(p); /* after the final round: wait_stop now says it ended */
    return 0;
  }
  if (p->state == LT_PS_EXITED) return lt_fail(tr, LT_EEXITED, "process exited");
  if (p->state == LT_PS_DETACHED)
    return lt_fail(tr, LT_EMISUSE, "process %d is detached", (int)p->pid);
  double t0 = lt_now();
  clear_events(p);
  lt_process_free_dead(p);
  uint64_t k;
  void *v;
  /* Step every thread that reported a breakpoint over it, so that the
   * breakpoint can stay in memory. A thread merely stopped with its pc on
   * a breakpoint (interrupted just before the int3) has not hit it yet:
   * it resumes into the int3 and reports the hit, never skipped. */
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (t->state != LT_STOPPED_BREAKPOINT || t->cause.kind != LT_CAUSE_BREAKPOINT) continue;
    if (lt_thread_load_regs(t) < 0) {
      if (tr->errcode == ESRCH) continue;
      account(p, t0);
      return -1;
    }
    uint64_t pc = arch_pc(&t->regs);
    if (t->cause.kind != LT_CAUSE_BREAKPOINT || t->cause.pc != pc) continue;
    lt_breakpoint *bp = lt_bp_at(p, pc);
    if (bp && bp->inserted && lt_bp_step_over(t, bp) < 0) {
      account(p, t0);
      return -1;
    }
    if (p->state == LT_PS_EXITED) break;
  }
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (!lt_state_is_stopped(t->state) || t->in_events) continue;
    int sig = t->signal;
    t->signal = 0;
    bool exiting = t->state == LT_STOPPED_EXITING;
    int req = exiting ? PTRACE_CONT : lt_resume_request(t);
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


void lt_process_set_follow_fork(lt_process *p, int on) { p->follow_fork = on != 0; }

int lt_wait_any(lt_process *const *procs, size_t n, double timeout) {
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
        int rc = settle(p, false, -1);
        account(p, t1);
        if (rc < 0) return -1;
        if (p->state == LT_PS_EXITED) p->exit_seen = true;
        return (int)i;
      }
    }
    bool any = false;
    for (size_t i = 0; i < n; i++) any = any || procs[i]->state == LT_PS_RUNNING;
    if (!any) return lt_fail(tr, LT_EMISUSE, "wait_any: no process is running");
    int r = pump(tr, -1, deadline);
    if (r < 0) return -1;
    if (r == 0) {
      for (size_t i = 0; i < n; i++)
        if (procs[i]->state == LT_PS_RUNNING) settle(procs[i], true, -1);
      return lt_fail(tr, LT_ETIMEOUT, "timeout");
    }
  }
}
