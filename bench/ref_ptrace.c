/* ref_ptrace.c: the reference tracers bench/ compares lutra with: minimal
 * C ptrace loops counting hits of one int3.
 *   ref_ptrace ADDR PROGRAM [ARGS...]: the classic step-over (restore the
 *     byte, single-step, re-insert): two stops per hit;
 *   ref_ptrace --regs ADDR PROGRAM [ARGS...]: the floor of a hit, the int3
 *     over the first byte of a function starting with endbr64 (the thread
 *     goes on from where the trap leaves it: 0f 1e fa is a hint nop), and
 *     per hit waitpid, GETREGS and CONT: what any tracer that looks at a
 *     hit's registers must do.
 * ADDR in hex, a non-PIE target; one thread. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ref_spawn.h"

int main(int argc, char **argv) {
  int floor = argc > 1 && strcmp(argv[1], "--regs") == 0;
  argv += floor;
  argc -= floor;
  if (argc < 3) {
    fprintf(stderr, "usage: ref_ptrace [--regs] ADDR PROGRAM [ARGS...]\n");
    return 2;
  }
  unsigned long addr = strtoul(argv[1], NULL, 16);
  pid_t pid = ref_spawn(argv + 2);
  if (pid < 0) return 1;
  int st;
  long orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, 0);
  if (floor && (orig & 0xffffffffL) != 0xfa1e0ff3L) return fprintf(stderr, "no endbr64 at %lx\n", addr), 1;
  long trap = (orig & ~0xffL) | 0xcc;
  if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)trap) < 0) return perror("poke"), 1;
  long hits = 0;
  for (;;) {
    ptrace(PTRACE_CONT, pid, 0, 0);
    if (waitpid(pid, &st, 0) < 0) return perror("waitpid"), 1;
    if (WIFEXITED(st) || WIFSIGNALED(st)) break;
    if (WSTOPSIG(st) != SIGTRAP) continue;
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, pid, 0, &r);
    if (floor) {
      if (r.rip == addr + 1) hits++;
      continue;
    }
    hits++;
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
