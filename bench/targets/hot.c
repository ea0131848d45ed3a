/* hot.c: T threads (argv[2], default 1) each call f() N times (argv[1]):
 * the hot loop every tool in bench/ counts. Built without PIE so the
 * reference loop can take f's address from nm. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long n;
static volatile long sink;

__attribute__((noinline)) void f(long i) { sink += i; }

__attribute__((noinline)) void never(void) { sink = -1; }

static void *loop(void *arg) {
  (void)arg;
  for (long i = 0; i < n; i++) f(i);
  return NULL;
}

int main(int argc, char **argv) {
  n = argc > 1 ? atol(argv[1]) : 1000;
  int t = argc > 2 ? atoi(argv[2]) : 1;
  if (t <= 1) {
    loop(NULL);
  } else {
    pthread_t th[64];
    for (int i = 0; i < t && i < 64; i++) pthread_create(&th[i], NULL, loop, NULL);
    for (int i = 0; i < t && i < 64; i++) pthread_join(th[i], NULL);
  }
  if (argc > 3) never();
  return 0;
}
