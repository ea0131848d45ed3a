/* inject.c: running code in a stopped thread of the tracee, the other
 * threads staying stopped: one syscall (scratch pages are mapped this way),
 * or a call of a function (IFUNC resolvers). Registers, bytes and the
 * thread's state are put back afterwards. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "internal.h"

int lt_inject_thread(lt_process *p, bool leave_exec, lt_thread **out) {
  lt_thread *at_exec = NULL;
  uint64_t k;
  void *v;
  *out = NULL;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (!lt_state_is_stopped(t->state) || t->state == LT_STOPPED_EXITING) continue;
    if (lt_thread_load_regs(t) < 0) continue;
    if (!arch_in_syscall(&t->regs)) {
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
  lt_state state = t->state;
  lt_cause cause = t->cause;
  bool in_events = t->in_events;
  for (int i = 0; i < 3 && lt_thread_load_regs(t) == 0 && arch_in_syscall(&t->regs); i++) {
    if (lt_step_thread(t) != 0)
      return lt_fail(p->tracer, EINTR, "process %d: cannot step out of execve to inject code", (int)p->pid);
  }
  t->at_exec = false;
  t->state = state;
  t->cause = cause;
  t->in_events = in_events;
  if (lt_thread_load_regs(t) == 0 && !arch_in_syscall(&t->regs)) *out = t;
  return 0;
}

/* Runs one syscall in a stopped thread: the syscall instruction is written
 * at its pc and single-stepped; bytes, registers and state are put back. */
int lt_inject_syscall(lt_thread *t, long nr, const uint64_t args[6], int64_t *ret) {
  lt_process *p = t->proc;
  if (lt_thread_load_regs(t) < 0) return -1;
  if (arch_in_syscall(&t->regs)) /* its restart or return value would be lost */
    return lt_fail(p->tracer, EBUSY, "thread %d is inside a syscall: cannot inject one", (int)t->tid);
  arch_regs saved = t->regs;
  lt_state state = t->state;
  lt_cause cause = t->cause;
  int signal = t->signal;
  bool in_events = t->in_events;
  uint64_t at = arch_pc(&saved);
  uint8_t orig[ARCH_SYSCALL_INSN_LEN];
  if (lt_mem_read_raw(p, at, orig, sizeof orig) != (ssize_t)sizeof orig ||
      lt_mem_write_raw(p, at, arch_syscall_insn, sizeof orig) != (ssize_t)sizeof orig)
    return lt_fail_errno(p->tracer, "thread %d: cannot inject a syscall at 0x%" PRIx64, (int)t->tid, at);
  arch_regs r = saved;
  arch_setup_syscall(&r, nr, args);
  t->regs = r;
  t->regs_dirty = true;
  int rc = lt_step_thread(t);
  lt_mem_write_raw(p, at, orig, sizeof orig);
  if (rc == 0 && lt_thread_load_regs(t) == 0) *ret = arch_syscall_result(&t->regs);
  if (p->state == LT_PS_EXITED || t->state == LT_EXITED) return lt_fail(p->tracer, ESRCH, "process exited");
  /* Back as it was. A signal that arrived meanwhile stays pending for it. */
  if (rc == 1 && t->cause.kind == LT_CAUSE_SIGNAL && !signal) signal = t->cause.signo;
  if (rc == 1 && t->in_events && !in_events && p->nevents && p->events[p->nevents - 1] == t) {
    p->nevents--;
    t->in_events = false;
  }
  t->regs = saved;
  t->regs_valid = true;
  t->regs_dirty = true;
  t->state = state;
  t->cause = cause;
  t->signal = signal;
  if (rc != 0) return lt_fail(p->tracer, EINTR, "thread %d: injected syscall interrupted", (int)t->tid);
  return 0;
}

/* A slot holding one int3, where injected calls return to. */
static int landing_pad(lt_thread *t, uint64_t *pad) {
  lt_process *p = t->proc;
  if (p->call_pad) {
    *pad = p->call_pad;
    return 0;
  }
  uint64_t slot;
  if (lt_scratch_slot(t, arch_pc(&t->regs), &slot) < 0) return -1;
  uint8_t int3 = ARCH_BREAKPOINT_BYTE;
  if (lt_mem_write_raw(p, slot, &int3, 1) != 1)
    return lt_fail_errno(p->tracer, "process %d: cannot write the call landing pad", (int)p->pid);
  p->call_pad = slot;
  *pad = slot;
  return 0;
}

/* Calls fn() (no arguments) in thread t and returns its integer result.
 * The call must return within 2 s; the thread is interrupted otherwise. */
int lt_inject_call(lt_thread *t, uint64_t fn, uint64_t *ret) {
  lt_process *p = t->proc;
  lt_tracer *tr = p->tracer;
  if (!lt_state_is_stopped(t->state) || t->state == LT_STOPPED_EXITING)
    return lt_misuse_state(t, "call a function");
  if (lt_thread_load_regs(t) < 0) return -1;
  if (arch_in_syscall(&t->regs))
    return lt_fail(tr, EBUSY, "thread %d is inside a syscall: cannot inject a call", (int)t->tid);
  uint64_t pad;
  if (landing_pad(t, &pad) < 0) return -1;
  arch_regs saved = t->regs;
  arch_regs r = saved;
  uint64_t sp;
  arch_setup_call(&r, fn, &sp);
  if (lt_mem_write_raw(p, sp, &pad, sizeof pad) != (ssize_t)sizeof pad)
    return lt_fail_errno(tr, "thread %d: cannot set up a call", (int)t->tid);
  t->regs = r;
  t->regs_dirty = true;
  if (lt_thread_flush_regs(t) < 0 || ptrace(PTRACE_CONT, t->tid, 0, 0) < 0) {
    t->regs = saved;
    t->regs_dirty = true;
    return lt_fail_errno(tr, "thread %d: cannot run an injected call", (int)t->tid);
  }
  t->regs_valid = false;
  int st = 0, rc = -1;
  for (;;) {
    int w = lt_wait_event(tr, t->tid, &st, lt_now() + 2);
    if (w == 0) { /* stuck (a lock another stopped thread holds?) */
      ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
      continue;
    }
    if (w < 0 && tr->errcode == EINTR) continue;
    if (w < 0) return -1;
    if (!WIFSTOPPED(st)) { /* it died during the call */
      lt_handle_status(tr, t, st);
      return lt_fail(tr, ESRCH, "thread %d exited during an injected call", (int)t->tid);
    }
    if (lt_thread_load_regs(t) < 0) break;
    int sig = WSTOPSIG(st), event = st >> 16;
    if (sig == SIGTRAP && event == 0 && arch_pc(&t->regs) == pad + ARCH_BREAKPOINT_LEN) {
      *ret = arch_retval(&t->regs);
      rc = 0;
    } else if (event == 0 && sig != SIGTRAP && !t->signal) {
      t->signal = sig; /* a signal came meanwhile: delivered on the next cont */
    }
    break; /* any other stop: give up on the call */
  }
  t->regs = saved;
  t->regs_valid = true;
  t->regs_dirty = true;
  if (rc < 0) return lt_fail(tr, EINTR, "thread %d: the injected call did not return", (int)t->tid);
  return 0;
}
