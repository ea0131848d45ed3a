/* blocktrap.c: blocks SIGTRAP in every thread (the mask is inherited),
 * then 4 threads call work() 1,000 times each; prints the total. A
 * breakpoint's trap is synchronous: the kernel delivers it to the tracer
 * whatever the mask says. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

static volatile long total;

__attribute__((noinline)) void work(long n) { __atomic_add_fetch(&total, n, __ATOMIC_RELAXED); }

static void *run(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) work(1);
  return NULL;
}

int main(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTRAP);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, run, NULL);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  printf("total=%ld\n", total);
  return 0;
}
