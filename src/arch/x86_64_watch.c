/* x86_64_watch.c: hardware watchpoints through the debug registers
 * DR0-DR3 (addresses), DR6 (status) and DR7 (control), written with
 * PTRACE_POKEUSER into struct user's u_debugreg. */
#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "arch.h"

#define DR_OFFSET(i) (offsetof(struct user, u_debugreg) + (size_t)(i) * sizeof(unsigned long long))

static unsigned len_bits(uint8_t len) {
  switch (len) {
  case 2: return 1;
  case 4: return 3;
  case 8: return 2;
  default: return 0;
  }
}

int arch_set_watches(pid_t tid, const arch_watch w[ARCH_NWATCH]) {
  unsigned long long dr7 = 0;
  /* disable first, so no half-written slot can fire */
  if (ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFFSET(7), (void *)0) < 0) return -1;
  for (int i = 0; i < ARCH_NWATCH; i++) {
    if (!w[i].used) continue;
    if (ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFFSET(i), (void *)(uintptr_t)w[i].addr) < 0) return -1;
    unsigned rw = w[i].kind == ARCH_WATCH_EXEC ? 0 : w[i].kind == ARCH_WATCH_WRITE ? 1 : 3;
    unsigned len = w[i].kind == ARCH_WATCH_EXEC ? 0 : len_bits(w[i].len);
    dr7 |= 1ULL << (2 * i); /* local enable */
    dr7 |= (unsigned long long)(rw | len << 2) << (16 + 4 * i);
  }
  if (dr7 && ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFFSET(7), (void *)(uintptr_t)dr7) < 0) return -1;
  return 0;
}

int arch_watch_hit(pid_t tid) {
  errno = 0;
  long dr6 = ptrace(PTRACE_PEEKUSER, tid, (void *)DR_OFFSET(6), 0);
  if (dr6 == -1 && errno) return -1;
  ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFFSET(6), (void *)0);
  for (int i = 0; i < ARCH_NWATCH; i++)
    if (dr6 & (1L << i)) return i;
  return -1;
}

void arch_resume_past_exec_watch(arch_regs *r) { r->eflags |= 1ULL << 16; /* RF */ }
