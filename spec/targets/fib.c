/* fib.c: fib(N) (argv[1], default 15) computed recursively, in T threads
 * at once (argv[2], default 0: in the main thread only). fib(15) makes
 * 1973 calls per computation and returns 610. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long n = 15;

__attribute__((noinline)) long fib(long k) { return k < 2 ? k : fib(k - 1) + fib(k - 2); }

static void *worker(void *arg) {
  (void)arg;
  return (void *)fib(n);
}

int main(int argc, char **argv) {
  if (argc > 1) n = atol(argv[1]);
  int threads = argc > 2 ? atoi(argv[2]) : 0;
  if (threads == 0) {
    printf("fib(%ld)=%ld\n", n, fib(n));
    return 0;
  }
  pthread_t th[64];
  for (int i = 0; i < threads && i < 64; i++) pthread_create(&th[i], NULL, worker, NULL);
  long sum = 0;
  for (int i = 0; i < threads && i < 64; i++) {
    void *r;
    pthread_join(th[i], &r);
    sum += (long)r;
  }
  printf("sum=%ld\n", sum);
  return 0;
}
