/* waiter.c: writes "ready", waits for SIGUSR1, then calls work(i) five
 * times from its only thread and exits 0: a program to attach to whose
 * end is known (containers_spec). */
#include <signal.h>
#include <stdio.h>

__attribute__((noinline)) int work(int i) { return i * 3; }

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("ready\n");
  fflush(stdout);
  int sig;
  sigwait(&set, &sig);
  int s = 0;
  for (int i = 0; i < 5; i++) s += work(i);
  printf("sum=%d\n", s);
  return 0;
}
