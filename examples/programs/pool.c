/* pool.c: the program examples/thread_pool.lua watches. A pool starts
 * its workers, gives each a task, and joins them, in three waves of four:
 * twelve threads come and go, at most four at a time besides main. */
#include <pthread.h>
#include <stdio.h>

#define WAVES 3
#define WORKERS 4

__attribute__((noinline)) long task(long n) {
  long s = 0;
  for (long i = 0; i < n * 100000; i++) s += i ^ n;
  return s;
}

volatile long sink;

static void *worker(void *arg) {
  sink = task((long)arg);
  return NULL;
}

int main(void) {
  for (int w = 0; w < WAVES; w++) {
    pthread_t th[WORKERS];
    for (long i = 0; i < WORKERS; i++) pthread_create(&th[i], NULL, worker, (void *)(i + 1));
    for (int i = 0; i < WORKERS; i++) pthread_join(th[i], NULL);
  }
  puts("pool done");
  return 0;
}
