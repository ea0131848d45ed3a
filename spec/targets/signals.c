/* signals.c: installs a SIGUSR1 handler that counts, raises SIGUSR1 N times
 * (argv[1], default 3), then prints how many the handler saw. Also has its
 * own int3 (argv[2] == "int3") under a SIGTRAP handler, to check that a
 * program's own breakpoint instruction reaches the program. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t usr1, traps;

static void on_usr1(int s) {
  (void)s;
  usr1++;
}
static void on_trap(int s) {
  (void)s;
  traps++;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  signal(SIGUSR1, on_usr1);
  signal(SIGTRAP, on_trap);
  for (int i = 0; i < n; i++) raise(SIGUSR1);
  if (argc > 2 && strcmp(argv[2], "int3") == 0) __asm__ volatile("int3");
  printf("usr1=%d traps=%d\n", (int)usr1, (int)traps);
  return 0;
}
