/* thread.c: one traced thread: the seed's state machine, the register cache
 * of a stop, resuming, and the stop cause. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

static const char *const state_names[] = {
    [LT_RUNNING] = "Running",
    [LT_SINGLE_STEPPING] = "SingleStepping",
    [LT_STOPPING] = "Stopping",
    [LT_STOPPED] = "Stopped",
    [LT_STOPPED_BREAKPOINT] = "StoppedBreakpoint",
    [LT_STOPPED_SIGNAL] = "StoppedSignal",
    [LT_STOPPED_THREAD_CREATE] = "StoppedThreadCreate",
    [LT_STOPPED_EXITING] = "StoppedExiting",
    [LT_EXITING] = "Exiting",
    [LT_EXITED] = "Exited",
    [LT_DETACHED] = "Detached",
};

const char *lt_state_name(lt_state s) { return state_names[s]; }

int lt_state_is_running(lt_state s) {
  return s == LT_RUNNING || s == LT_SINGLE_STEPPING || s == LT_STOPPING;
}

int lt_state_is_stopped(lt_state s) {
  return s == LT_STOPPED || s == LT_STOPPED_BREAKPOINT || s == LT_STOPPED_SIGNAL ||
         s == LT_STOPPED_THREAD_CREATE || s == LT_STOPPED_EXITING;
}

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

void lt_thread_set_state(lt_thread *t, lt_state st) {
  if (lt_state_is_stopped(t->state) && !lt_state_is_stopped(st)) t->regs_valid = false;
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
  if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs) < 0)
    return lt_fail_errno(t->proc->tracer, "ptrace(GETREGS) thread %d", (int)t->tid);
  t->regs_valid = true;
  t->regs_dirty = false;
  return 0;
}

int lt_thread_flush_regs(lt_thread *t) {
  if (!t->regs_dirty) return 0;
  if (ptrace(PTRACE_SETREGS, t->tid, 0, &t->regs) < 0)
    return lt_fail_errno(t->proc->tracer, "ptrace(SETREGS) thread %d", (int)t->tid);
  t->regs_dirty = false;
  return 0;
}

/* PTRACE_CONT / SINGLESTEP after writing back dirty registers and, when
 * they changed, the process's watchpoints (new threads do not inherit
 * debug registers). */
int lt_thread_resume(lt_thread *t, int request, int signo) {
  if (lt_thread_flush_regs(t) < 0) return -1;
  if (t->watch_gen != t->proc->watch_gen) {
    if (arch_set_watches(t->tid, t->proc->watch) < 0 && errno != ESRCH)
      return lt_fail_errno(t->proc->tracer, "thread %d: cannot set watchpoints", (int)t->tid);
    t->watch_gen = t->proc->watch_gen;
  }
  if (request == PTRACE_CONT && t->group_stopped && signo == 0) {
    /* Stay in the job-control stop, but report events (our interrupts,
     * the SIGCONT's wake-up). EIO: the group-stop is over. */
    if (ptrace(PTRACE_LISTEN, t->tid, 0, 0) == 0) {
      t->regs_valid = false;
      t->at_exec = false;
      return 0;
    }
    if (errno != EIO) return lt_fail_errno(t->proc->tracer, "ptrace(LISTEN) thread %d", (int)t->tid);
    t->group_stopped = false;
  }
  if (ptrace(request, t->tid, 0, (void *)(long)signo) < 0) {
    const char *name = request == PTRACE_SINGLESTEP ? "SINGLESTEP" : "CONT";
    return lt_fail_errno(t->proc->tracer, "ptrace(%s) thread %d", name, (int)t->tid);
  }
  t->regs_valid = false;
  t->at_exec = false;
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
  case LT_EXITED:
    *c = t->cause;
    return 0;
  default:
    return lt_misuse_state(t, "get stop cause");
  }
}

int lt_thread_get_regs(lt_thread *t, arch_regs *r) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "get registers");
  if (lt_thread_load_regs(t) < 0) return -1;
  *r = t->regs;
  return 0;
}

int lt_thread_set_regs(lt_thread *t, const arch_regs *r) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "set registers");
  t->regs = *r;
  t->regs_valid = true;
  t->regs_dirty = true;
  return 0;
}

int lt_thread_peek(lt_thread *t, uint64_t addr, void *buf, size_t len, size_t *done) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "peek text");
  ssize_t n = lt_read(t->proc, addr, buf, len);
  *done = n < 0 ? 0 : (size_t)n;
  return (size_t)*done == len ? 0 : -1;
}

int lt_thread_poke(lt_thread *t, uint64_t addr, const void *buf, size_t len, size_t *done) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "poke text");
  ssize_t n = lt_write(t->proc, addr, buf, len);
  *done = n < 0 ? 0 : (size_t)n;
  return (size_t)*done == len ? 0 : -1;
}

int lt_thread_signal(const lt_thread *t) { return t->signal; }

int lt_thread_set_signal(lt_thread *t, int signo) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "set signal");
  t->signal = signo;
  return 0;
}

int lt_thread_step(lt_thread *t) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "single step");
  if (t->state == LT_STOPPED_EXITING) return lt_misuse_state(t, "single step");
  lt_process *p = t->proc;
  p->nevents = 0; /* a step starts a new round of events for this thread */
  t->in_events = false;
  if (lt_thread_load_regs(t) < 0) return -1;
  lt_breakpoint *bp = lt_bp_at(p, arch_pc(&t->regs));
  int rc = bp && bp->inserted ? lt_bp_step_over(t, bp) : lt_step_thread(t);
  if (rc == 0 && t->state != LT_STOPPED) { /* emulated: no stop happened */
    t->cause.kind = LT_CAUSE_STOPPED;
    t->state = LT_STOPPED;
  }
  return rc < 0 ? -1 : 0;
}

int lt_thread_siginfo(lt_thread *t, siginfo_t *si) {
  if (t->state != LT_STOPPED_SIGNAL) return lt_misuse_state(t, "get siginfo");
  if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, si) < 0)
    return lt_fail_errno(t->proc->tracer, "ptrace(GETSIGINFO) thread %d", (int)t->tid);
  return 0;
}

int lt_thread_kill(lt_thread *t, int signo) {
  if (syscall(SYS_tgkill, t->proc->pid, t->tid, signo) < 0)
    return lt_fail_errno(t->proc->tracer, "tgkill(%d, %d, %d)", (int)t->proc->pid, (int)t->tid, signo);
  return 0;
}

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
  return lt_fail(tr, EBUSY, "watch 0x%llx: all %d hardware watchpoints are in use",
                 (unsigned long long)addr, ARCH_NWATCH);
}

int lt_watch_remove(lt_process *p, int slot) {
  if (slot < 0 || slot >= ARCH_NWATCH || !p->watch[slot].used)
    return lt_fail(p->tracer, LT_EMISUSE, "no watchpoint in slot %d", slot);
  p->watch[slot].used = 0;
  p->watch_gen++;
  return 0;
}
