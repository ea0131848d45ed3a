/* call.c: a function of the tracee called in one of its stopped threads
 * (IFUNC resolvers), the other threads staying stopped. The call returns to
 * an int3 in a scratch slot (the landing pad), which decode.c knows. */
#include <errno.h>
#include <sys/ptrace.h>

#include "internal.h"

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
  lt_saved_thread saved;
  lt_thread_save(t, &saved);
  arch_regs r = saved.regs;
  uint64_t sp;
  arch_setup_call(&r, fn, &sp);
  if (lt_mem_write_raw(p, sp, &pad, sizeof pad) != (ssize_t)sizeof pad)
    return lt_fail_errno(tr, "thread %d: cannot set up a call", (int)t->tid);
  t->regs = r;
  t->regs_dirty = true;
  int rc = lt_run_alone(t, PTRACE_CONT, 2.0);
  if (rc < 0) {
    if (lt_state_is_stopped(t->state)) lt_thread_restore(t, &saved, true); /* it never ran */
    return -1;
  }
  if (t->state == LT_EXITED || p->state == LT_PS_EXITED)
    return lt_fail(tr, ESRCH, "thread %d exited during an injected call", (int)t->tid);
  bool returned = rc == 0 && lt_thread_load_regs(t) == 0 && arch_pc(&t->regs) == pad + ARCH_BREAKPOINT_LEN;
  if (returned) *ret = arch_retval(&t->regs);
  lt_thread_restore(t, &saved, true);
  if (!returned) return lt_fail(tr, EINTR, "thread %d: the injected call did not return", (int)t->tid);
  return 0;
}
