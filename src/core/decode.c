/* decode.c: what a wait status means. Each status is turned into the seed's
 * thread state and stop cause (a hit, a signal, a new thread or process, an
 * exec, an exit, a syscall stop); a stop that means nothing to the user is
 * resumed here. This file is the one owner of each process's list of
 * eventful threads (the round's events). */
#include <errno.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

void lt_events_add(lt_thread *t) {
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

void lt_events_remove(lt_thread *t) {
  lt_process *p = t->proc;
  if (!t->in_events) return;
  for (size_t i = 0; i < p->nevents; i++) {
    if (p->events[i] != t) continue;
    memmove(&p->events[i], &p->events[i + 1], (p->nevents - i - 1) * sizeof p->events[0]);
    p->nevents--;
    break;
  }
  t->in_events = false;
}

void lt_events_clear(lt_process *p) {
  for (size_t i = 0; i < p->nevents; i++) p->events[i]->in_events = false;
  p->nevents = 0;
}

size_t lt_process_events(const lt_process *p, lt_thread ***events) {
  *events = p->events;
  return p->nevents;
}

static void process_exited(lt_process *p) {
  p->state = LT_PS_EXITED;
  lt_process_unshare(p);
  lt_process_forget_breakpoints(p);
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
  if (t->tid == p->pid || lt_process_live_threads(p) == 1) {
    p->exited_normally = WIFEXITED(status);
    p->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    p->exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  lt_thread_gone(t);
  if (!reported) lt_events_add(t);
  if (lt_process_live_threads(p) == 0) process_exited(p);
}

void lt_decode_vanished(lt_thread *t) { thread_exited(t, 0); }
void lt_decode_process_gone(lt_process *p) { process_exited(p); }

/* A forked child inherits every int3: put the program's bytes back in its
 * copy and let it go. A vfork child shares our memory and keeps them. */
static void release_child(lt_process *p, pid_t child, bool shares_memory) {
  lt_tracer *tr = p->tracer;
  int st;
  if (lt_wait_tid(tr, child, &st) < 0 || !WIFSTOPPED(st)) return;
  if (!shares_memory) {
    int fd = lt_mem_open(tr, child);
    if (fd >= 0) {
      uint64_t k;
      void *v;
      for (size_t i = 0; hm_next(&lt_process_mem_owner(p)->breakpoints, &i, &k, &v);) {
        lt_breakpoint *bp = v;
        if (bp->inserted) lt_mem_write_fd(fd, bp->addr, &bp->orig, 1);
      }
      lt_patch_restore_fd(p, fd); /* and probes' jumps */
      close(fd);
    }
  }
  lt_ptrace_q(p->tracer, PTRACE_DETACH, child, 0, 0);
}

/* A forked child that is followed: a process of its own, stopped at its
 * first stop (process.c copies the parent's breakpoints and pages). */
static lt_process *adopt_child(lt_process *p, pid_t child, bool vfork) {
  int st;
  if (lt_wait_tid(p->tracer, child, &st) < 0) return NULL;
  lt_process *c = lt_process_adopt(p, child, vfork);
  if (!c) lt_ptrace_q(p->tracer, PTRACE_DETACH, child, 0, 0);
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
  lt_thread_resume(t, req, 0); /* ESRCH: its exit will come */
}

static void handle_exec(lt_thread *t) {
  lt_process *p = t->proc;
  /* Other threads vanished with the old program; the exec'ing thread now
   * has the leader's tid, and the address space is new. */
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *o = v;
    if (o != t && o->state != LT_EXITED) lt_thread_gone(o);
  }
  lt_process_unshare(p);
  lt_process_forget_breakpoints(p);
  lt_probeset_exec(p);
  p->shares_memory = false;
  p->mem_owner = NULL;
  t->in_vfork = false;
  p->nscratch = 0; /* the scratch pages went with the old address space */
  p->call_pad = 0;
  hm_free(&p->ifuncs);
  hm_free(&p->semaphores); /* the counters went with the old program */
  int fd = lt_mem_open(p->tracer, p->pid);
  if (fd >= 0) {
    close(p->memfd);
    p->memfd = fd;
  }
  t->cause.kind = LT_CAUSE_EXEC;
  t->at_exec = true;
  lt_thread_set_state(t, LT_STOPPED);
  lt_events_add(t);
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
  lt_events_add(t);
}

/* One of our int3s: rewind to it and report the hit; the thread keeps the
 * breakpoint (Delve's CurrentBreakpoint) until it resumes. */
static void hit_breakpoint(lt_thread *t, lt_breakpoint *bp) {
  arch_set_pc(&t->regs, lt_bp_report(bp)); /* what the user sees (a probe's trap: at its function) */
  if (bp->planned && bp->plan.resume_next && !t->regs_dirty) {
    t->pc_ahead = true; /* no register write when it goes on (stepover.c) */
  } else {
    t->regs_dirty = true;
  }
  t->cause.kind = LT_CAUSE_BREAKPOINT;
  t->cause.pc = lt_bp_report(bp);
  lt_thread_set_state(t, LT_STOPPED_BREAKPOINT);
  t->bp = bp;
  t->regs_valid = true; /* the cache survives the state change */
  t->proc->stats.hits++;
  t->hit_round = t->proc->rounds + 1;
  lt_events_add(t);
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
      hit_breakpoint(t, bp);
      return;
    }
    if (p->call_pad && at == p->call_pad) { /* an injected call returned (call.c) */
      t->cause.kind = LT_CAUSE_STOPPED;
      lt_thread_set_state(t, LT_STOPPED);
      return;
    }
  }
  siginfo_t si;
  bool have_si = lt_ptrace_q(p->tracer, PTRACE_GETSIGINFO, t->tid, 0, &si) == 0;
  if (t->state == LT_SINGLE_STEPPING && have_si && si.si_code != SI_KERNEL && si.si_code != SI_USER &&
      si.si_code != SI_TKILL) {
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
      lt_events_add(t);
      return;
    }
  }
  if (have_si && si.si_code == SI_KERNEL && lt_thread_load_regs(t) == 0) {
    lt_breakpoint *bp = lt_bp_at(p, arch_breakpoint_addr(arch_pc(&t->regs)));
    if (bp && bp->inserted) {
      hit_breakpoint(t, bp);
      return;
    }
  }
  /* The program's own int3, or a SIGTRAP someone sent: it is the program's. */
  stopped_by_signal(t, SIGTRAP);
}

/* A new process: followed (a Process of its own, reported as a fork), or
 * let go with its copy of memory cleaned of our int3s. A vfork child
 * shares the parent's memory, int3s included, until it execs or exits:
 * followed or not it stays traced until then (when nobody follows it, as a
 * hidden process that round.c steps over every breakpoint it hits), and
 * the parent's thread that called vfork is parked in the kernel meanwhile. */
static void handle_fork(lt_thread *t, pid_t child, bool shares_memory, bool must_follow, bool vfork) {
  lt_process *p = t->proc;
  /* A child with lutra's seccomp filter cannot be let go: without a
   * tracer its traced syscalls would fail (seccomp.c). */
  lt_process *c;
  if (vfork) t->in_vfork = true;
  if ((p->follow_fork || p->seccomp || must_follow) && (c = adopt_child(p, child, shares_memory))) {
    c->must_follow = must_follow || p->seccomp;
    t->cause.kind = LT_CAUSE_FORK;
    t->cause.new_tid = child;
    lt_thread_set_state(t, LT_STOPPED);
    lt_events_add(t);
    return;
  }
  if (vfork) lt_patch_vfork(t, true); /* the probes' trampolines skip the child */
  if (vfork && (c = adopt_child(p, child, true))) {
    c->hidden = true;
    lt_thread *ct = lt_process_thread(c, child);
    if (ct && lt_thread_resume(ct, PTRACE_CONT, 0) == 0) {
      lt_thread_set_state(ct, LT_RUNNING);
      c->state = LT_PS_RUNNING;
    }
  } else {
    release_child(p, child, shares_memory);
  }
  lt_resume_quietly(t);
}

/* The child of a vfork has exec'd or exited: the thread that called vfork
 * runs again. Kept stopped when its process is (or is being) stopped. */
static void handle_vfork_done(lt_thread *t) {
  lt_process *p = t->proc;
  t->in_vfork = false;
  lt_patch_vfork(t, false);
  if (t->state == LT_RUNNING && (p->settling || p->state == LT_PS_STOPPED)) {
    t->cause.kind = LT_CAUSE_STOPPED;
    lt_thread_set_state(t, LT_STOPPED);
    return;
  }
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
static bool shares_vm(pid_t a, pid_t b) { return syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0) == 0; }

/* The thread a clone event names, made known once: an attach may have
 * met it in /proc/PID/task already, traced from birth (lifecycle.c). */
static void new_thread_known(lt_process *p, pid_t tid) {
  lt_thread *known = lt_process_thread(p, tid);
  if (known && known->state != LT_EXITED) return;
  lt_thread *nt = lt_thread_new(p, tid, LT_STOPPING);
  if (nt) {
    int st;
    if (lt_tracer_take_orphan(p->tracer, tid, &st)) lt_handle_status(p->tracer, nt, st);
  }
}

static void handle_new_thread(lt_thread *t) {
  lt_process *p = t->proc;
  unsigned long msg = 0;
  if (lt_ptrace_q(t->proc->tracer, PTRACE_GETEVENTMSG, t->tid, 0, &msg) < 0) return;
  pid_t tid = (pid_t)msg;
  if (is_new_process(tid)) {
    /* Sharing the parent's memory, it shares our int3s too: let go, it
     * would die at the first one it reaches. Such a child is followed. */
    bool vm = shares_vm(t->tid, tid);
    handle_fork(t, tid, vm, vm, false);
    return;
  }
  new_thread_known(p, tid);
  t->cause.kind = LT_CAUSE_THREAD_CREATE;
  t->cause.new_tid = tid;
  lt_thread_set_state(t, LT_STOPPED_THREAD_CREATE);
  lt_events_add(t);
}

static void handle_thread_exit(lt_thread *t) {
  unsigned long ws = 0;
  lt_ptrace_q(t->proc->tracer, PTRACE_GETEVENTMSG, t->tid, 0, &ws);
  t->cause.kind = LT_CAUSE_THREAD_EXIT;
  t->cause.status = WIFEXITED((int)ws) ? WEXITSTATUS((int)ws) : -1;
  t->cause.signo = WIFSIGNALED((int)ws) ? WTERMSIG((int)ws) : 0;
  t->exit_reported = true;
  if (lt_process_others_running(t->proc, t)) {
    /* Another thread may be waiting in the kernel for this exit to
     * complete (an execve from a non-leader thread waits for the old
     * leader): holding this one while stopping that one would deadlock.
     * Report the exit, but let the thread finish it. */
    t->interrupt_pending = false;
    if (lt_ptrace_q(t->proc->tracer, PTRACE_CONT, t->tid, 0, 0) == 0 || errno == ESRCH)
      lt_thread_set_state(t, LT_EXITING);
  } else {
    lt_thread_set_state(t, LT_STOPPED_EXITING);
  }
  lt_events_add(t);
}

/* A PTRACE_EVENT_STOP: our interrupt, or a group-stop (job control:
 * SIGSTOP, SIGTSTP... from outside), which keeps the thread stopped: lutra
 * resumes it with PTRACE_LISTEN until a SIGCONT comes (thread.c), as the
 * program and its shell expect. */
static void handle_event_stop(lt_thread *t, int sig) {
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
}

/* What the kernel says of t's syscall stop (PTRACE_GET_SYSCALL_INFO): the
 * bytes it filled, <= 0 when none. */
static long syscall_info(lt_thread *t, struct __ptrace_syscall_info *si) {
  memset(si, 0, sizeof *si);
  return lt_ptrace_q(t->proc->tracer, PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof *si, si);
}

static bool syscall_wanted(const lt_process *p, uint64_t nr) {
  if (!p->sys_filter) return true;
  return nr < LT_NSYSCALLS && (p->sys_filter[nr / 8] >> (nr % 8) & 1);
}

/* A seccomp stop that lutra's filter did not ask for: the program's own
 * filter answered SECCOMP_RET_TRACE (its data is not LT_SECCOMP_DATA).
 * With no tracer, or one that did not ask for seccomp stops, the kernel
 * skips such a call and it fails with ENOSYS: so it does here (syscall
 * number -1 skips it, and the kernel leaves the return value as set).
 * A call the user traces too is reported as any other; its exit stop
 * shows the -ENOSYS. */
static void skip_foreign_seccomp(lt_thread *t) {
  unsigned long data = 0;
  if (lt_ptrace_q(t->proc->tracer, PTRACE_GETEVENTMSG, t->tid, 0, &data) < 0 || data == LT_SECCOMP_DATA)
    return;
  if (lt_thread_load_regs(t) < 0) return; /* ESRCH: its exit will come */
  arch_skip_syscall(&t->regs);
  arch_set_retval(&t->regs, (uint64_t)-ENOSYS);
  t->regs_dirty = true;
}

/* The thread stops for the script at a syscall: its entry, with its
 * arguments, or its exit, with its value (the entry's arguments stay). */
static void stop_at_syscall(lt_thread *t, long nr, bool entry, const uint64_t args[6], int64_t ret,
                            int error) {
  lt_cause *c = &t->cause;
  c->kind = LT_CAUSE_SYSCALL;
  c->sys_nr = nr;
  c->sys_entry = entry;
  if (entry) memcpy(c->sys_args, args, sizeof c->sys_args);
  c->sys_ret = entry ? 0 : ret;
  c->sys_error = entry ? 0 : error;
  lt_thread_set_state(t, LT_STOPPED);
  lt_events_add(t);
}

/* A seccomp stop: a filtered syscall's entry (seccomp.c). */
static void handle_seccomp(lt_thread *t) {
  lt_process *p = t->proc;
  skip_foreign_seccomp(t);
  struct __ptrace_syscall_info si;
  long n = syscall_info(t, &si);
  /* Not wanted now (tracing off, another filter, or PTRACE_SYSCALL
   * tracing, whose own entry stop reports it): on at full speed. */
  if (n <= 0 || si.op != PTRACE_SYSCALL_INFO_SECCOMP || !p->trace_syscalls || !p->sys_via_seccomp ||
      !syscall_wanted(p, si.seccomp.nr)) {
    lt_resume_quietly(t);
    return;
  }
  t->sys_nr = (long)si.seccomp.nr;
  t->sys_want_exit = true;
  stop_at_syscall(t, t->sys_nr, true, si.seccomp.args, 0, 0);
}

/* A PTRACE_SYSCALL stop, at a syscall's entry or exit. */
static void handle_syscall(lt_thread *t) {
  lt_process *p = t->proc;
  struct __ptrace_syscall_info si;
  long n = syscall_info(t, &si);
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
    si.exit.is_error = lt_syscall_failed(t->skip_ret);
  }
  long nr = t->sys_nr;
  if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
    t->sys_nr = -1;
    t->sys_want_exit = false;
  }
  if (!p->trace_syscalls || nr < 0 || !syscall_wanted(p, (uint64_t)nr)) {
    lt_resume_quietly(t);
    return;
  }
  if (si.op == PTRACE_SYSCALL_INFO_ENTRY)
    stop_at_syscall(t, nr, true, si.entry.args, 0, 0);
  else
    stop_at_syscall(t, nr, false, NULL, si.exit.rval, si.exit.is_error);
}

/* A syscall stop of a thread parked in a syscall (round.c): the restart of
 * the call it was interrupted in (it stays parked), or its exit: it is
 * about to run its own code, so it goes on if its process runs, and stays
 * stopped, for real now, if the process is (or is being) stopped. */
static void handle_parked_syscall(lt_thread *t) {
  lt_process *p = t->proc;
  struct __ptrace_syscall_info si;
  long n = syscall_info(t, &si);
  if (n > 0 && si.op == PTRACE_SYSCALL_INFO_ENTRY) {
    lt_thread_resume(t, PTRACE_SYSCALL, 0); /* ESRCH: its exit will come */
    return;
  }
  t->sys_parked = false;
  if (t->state == LT_RUNNING && !p->settling && p->state != LT_PS_STOPPED) {
    lt_thread_resume(t, lt_resume_request(t), 0);
    return;
  }
  t->cause.kind = LT_CAUSE_STOPPED;
  lt_thread_set_state(t, LT_STOPPED);
}

/* A stop of a parked thread: its syscall's (handled above), or anything
 * else, which ends the parking. Returns true when the status is dealt with. */
static bool parked_status(lt_thread *t, int status) {
  lt_process *p = t->proc;
  if (WSTOPSIG(status) == (SIGTRAP | 0x80) && (status >> 16) == 0) {
    handle_parked_syscall(t);
    return true;
  }
  if (lt_thread_lazy(t) && p->state == LT_PS_STOPPED && !p->settling) {
    /* its process is stopped for the script: the next cont decodes it */
    t->held_status = status;
    t->has_held = true;
    return true;
  }
  t->sys_parked = false;
  if (t->state == LT_STOPPED) lt_thread_set_state(t, LT_RUNNING); /* a round stops it again */
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
  if (p->dying) { /* SIGKILLed (lt_kill): every stop goes on to the end */
    lt_ptrace_q(t->proc->tracer, PTRACE_CONT, t->tid, 0, 0);
    return;
  }
  if (t->sys_parked && parked_status(t, status)) return;
  int sig = WSTOPSIG(status), event = status >> 16;
  t->regs_valid = false;
  switch (event) {
  case PTRACE_EVENT_STOP: handle_event_stop(t, sig); return;
  case PTRACE_EVENT_CLONE: handle_new_thread(t); return;
  case PTRACE_EVENT_FORK:
  case PTRACE_EVENT_VFORK: {
    unsigned long child = 0;
    if (lt_ptrace_q(t->proc->tracer, PTRACE_GETEVENTMSG, t->tid, 0, &child) < 0) {
      lt_resume_quietly(t);
      return;
    }
    bool vfork = event == PTRACE_EVENT_VFORK;
    handle_fork(t, (pid_t)child, vfork, false, vfork);
    return;
  }
  case PTRACE_EVENT_VFORK_DONE: handle_vfork_done(t); return;
  case PTRACE_EVENT_SECCOMP: handle_seccomp(t); return;
  case PTRACE_EVENT_EXEC: handle_exec(t); return;
  case PTRACE_EVENT_EXIT: handle_thread_exit(t); return;
  case 0: break;
  default: /* events we did not ask for */ lt_resume_quietly(t); return;
  }
  if (sig == (SIGTRAP | 0x80)) {
    handle_syscall(t);
    return;
  }
  if (sig == SIGTRAP) {
    handle_trap(t);
    return;
  }
  if (lt_patch_fault(t, sig)) { /* a probe's read of memory faulted: its expression is false */
    lt_resume_quietly(t);
    return;
  }
  stopped_by_signal(t, sig);
}

int lt_decode_status(lt_tracer *tr, pid_t tid, int status) {
  lt_thread *t = lt_tracer_thread(tr, tid);
  if (!t) {
    if (WIFSTOPPED(status)) return lt_tracer_add_orphan(tr, tid, status) < 0 ? -1 : 1;
    return 1; /* a child of ours we never traced */
  }
  lt_handle_status(tr, t, status);
  return 1;
}

int lt_decode_next(lt_tracer *tr, pid_t tid, double deadline) {
  int st;
  int r = lt_wait_event(tr, tid, &st, deadline);
  if (r <= 0) return r;
  return lt_decode_status(tr, r, st);
}
