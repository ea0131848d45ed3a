/* ref_ptrace.c: the reference tracer bench/ compares lutra with: a minimal
 * C ptrace loop counting hits of one int3 with the classic step-over
 * (restore the byte, single-step, re-insert): two stops per hit.
 * usage: ref_ptrace ADDR PROGRAM [ARGS...]   (ADDR in hex, non-PIE target) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ref_spawn.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ref_ptrace ADDR PROGRAM [ARGS...]\n");
    return 2;
  }
  unsigned long addr = strtoul(argv[1], NULL, 16);
  pid_t pid = ref_spawn(argv + 2);
  if (pid < 0) return 1;
  int st;
  long orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, 0);
  long trap = (orig & ~0xffL) | 0xcc;
  if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)trap) < 0) return perror("poke"), 1;
  long hits = 0;
  for (;;) {
    ptrace(PTRACE_CONT, pid, 0, 0);
    if (waitpid(pid, &st, 0) < 0) return perror("waitpid"), 1;
    if (WIFEXITED(st) || WIFSIGNALED(st)) break;
    if (WSTOPSIG(st) != SIGTRAP) continue;
    hits++;
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, pid, 0, &r);
    r.rip -= 1;
    ptrace(PTRACE_SETREGS, pid, 0, &r);
    ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)orig);
    ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
    waitpid(pid, &st, 0);
    ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)trap);
  }
  printf("hits %ld\n", hits);
  return 0;
}
