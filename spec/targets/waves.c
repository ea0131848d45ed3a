/* waves.c: 200 threads in 10 waves of 20; each calls work() 50 times
 * while the others of its wave run; prints the number of calls (10000). */
#include <pthread.h>
#include <stdio.h>

#define WAVES 10
#define PER_WAVE 20
#define CALLS 50

static volatile long calls;

__attribute__((noinline)) void work(void) { __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); }

static void *run(void *arg) {
  (void)arg;
  for (int i = 0; i < CALLS; i++) work();
  return NULL;
}

int main(void) {
  for (int w = 0; w < WAVES; w++) {
    pthread_t th[PER_WAVE];
    for (int i = 0; i < PER_WAVE; i++) pthread_create(&th[i], NULL, run, NULL);
    for (int i = 0; i < PER_WAVE; i++) pthread_join(th[i], NULL);
  }
  printf("calls=%ld\n", calls);
  return 0;
}
