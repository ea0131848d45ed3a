/* cloneproc.c: makes a new process with clone() and no CLONE_THREAD, and
 * no exit signal (so the kernel reports it to a tracer as a clone, not a
 * fork). argv[1] == "vm": with CLONE_VM (it shares the parent's memory).
 * The child calls work(1) and exits 7; the parent waits for it, calls
 * work(2), and prints "child exited 7" when it did. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) int work(int i) { return i * 3; }

static int child(void *arg) {
  (void)arg;
  work(1);
  return 7;
}

int main(int argc, char **argv) {
  int flags = argc > 1 && strcmp(argv[1], "vm") == 0 ? CLONE_VM : 0;
  size_t size = 1 << 16;
  char *stack = malloc(size);
  pid_t pid = clone(child, stack + size, flags, NULL);
  if (pid < 0) {
    perror("clone");
    return 1;
  }
  int st = 0;
  if (waitpid(pid, &st, __WALL) < 0) {
    perror("waitpid");
    return 1;
  }
  work(2);
  printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
