/* ref_spawn.h: what bench/'s reference tracers share: the program
 * started under PTRACE_TRACEME and stopped at its exec, killed with them. */
#ifndef REF_SPAWN_H
#define REF_SPAWN_H

#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* argv[0] started traced; its pid at the exec stop, or -1. */
static pid_t ref_spawn(char **argv) {
  pid_t pid = fork();
  if (pid < 0) return perror("fork"), -1;
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) return fprintf(stderr, "no exec stop\n"), -1;
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
  return pid;
}

#endif
