/* seccomp.c: a seccomp-bpf filter in a spawned tracee that makes only the
 * filtered syscalls stop (SECCOMP_RET_TRACE, PTRACE_O_TRACESECCOMP), as
 * strace --seccomp-bpf does: the others run at full speed. A filter can
 * never be removed, and without a tracer its traced syscalls fail with
 * ENOSYS: such a process is never detached (it is killed at cleanup, and
 * its forked children are followed). Filters only add up: a later filter
 * traces more syscalls; calls traced but no longer wanted are resumed by
 * the engine at their one stop. The filter's SECCOMP_RET_DATA is lutra's
 * own (LT_SECCOMP_DATA): a program's own filter may answer
 * SECCOMP_RET_TRACE too, and such a call must fail with ENOSYS as it does
 * with no tracer (decode.c). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "internal.h"

/* Builds: arch != x86_64 -> allow; nr in set -> trace; else allow. */
static size_t build_filter(const uint8_t *set, struct sock_filter *prog, size_t max) {
  size_t n = 0;
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (unsigned nr = 0; nr < LT_NSYSCALLS && n + 3 < max; nr++) {
    if (!(set[nr / 8] >> (nr % 8) & 1)) continue;
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | LT_SECCOMP_DATA);
  }
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  return n;
}

int lt_seccomp_install(lt_process *p, const uint8_t *set) {
  lt_tracer *tr = p->tracer;
  if (p->state != LT_PS_STOPPED)
    return lt_fail(tr, LT_EMISUSE, "process %d: the process must be stopped to install a seccomp filter",
                   (int)p->pid);
  lt_thread *t;
  if (lt_inject_thread(p, true, &t) < 0) return -1;
  if (!t)
    return lt_fail(tr, EBUSY, "process %d: every thread is inside a syscall: cannot install a seccomp filter",
                   (int)p->pid);
  struct sock_filter prog[2 * LT_NSYSCALLS + 8];
  size_t n = build_filter(set, prog, sizeof prog / sizeof prog[0]);
  /* The program and its header go below the thread's stack pointer,
   * past the red zone; the kernel copies them. */
  uint64_t sp = arch_sp(&t->regs);
  size_t bytes = n * sizeof prog[0];
  uint64_t at = (sp - 4096 - bytes - 64) & ~(uint64_t)15;
  struct {
    uint64_t len; /* unsigned short, padded as struct sock_fprog is */
    uint64_t filter;
  } hdr = {n, at + 16};
  if (lt_mem_write_raw(p, at, &hdr, sizeof hdr) != (ssize_t)sizeof hdr ||
      lt_mem_write_raw(p, at + 16, prog, bytes) != (ssize_t)bytes)
    return lt_fail_errno(tr, "process %d: cannot write the seccomp filter", (int)p->pid);
  uint64_t args[6] = {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, at, 0, 0, 0};
  int64_t ret = 0;
  if (lt_inject_syscall(t, SYS_seccomp, args, &ret) < 0) return -1;
  if (ret == -EACCES) { /* no CAP_SYS_ADMIN: the kernel wants no_new_privs first */
    uint64_t nnp[6] = {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0};
    int64_t r2 = 0;
    if (lt_inject_syscall(t, SYS_prctl, nnp, &r2) < 0) return -1;
    if (lt_inject_syscall(t, SYS_seccomp, args, &ret) < 0) return -1;
  }
  if (ret != 0) {
    int e = ret < 0 ? (int)-ret : EAGAIN; /* > 0: a thread that could not sync */
    return lt_fail(tr, e, "process %d: seccomp filter refused: %s", (int)p->pid, strerror(e));
  }
  /* Every thread reports the filter's stops (new ones inherit this). */
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *th = v;
    if (th->state == LT_EXITED || th->state == LT_EXITING) continue;
    long opts = LT_PTRACE_OPTIONS | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;
    if (lt_ptrace_q(tr, PTRACE_SETOPTIONS, th->tid, 0, (void *)opts) < 0 && errno != ESRCH)
      return lt_fail_errno(tr, "thread %d: cannot set PTRACE_O_TRACESECCOMP", (int)th->tid);
  }
  if (!p->seccomp_set) {
    p->seccomp_set = calloc(1, LT_NSYSCALLS / 8);
    if (!p->seccomp_set) return lt_fail(tr, ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < LT_NSYSCALLS / 8; i++) p->seccomp_set[i] |= set[i];
  p->seccomp = true;
  return 0;
}
