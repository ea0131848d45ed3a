/* spin.c: a long-running program to attach to. Two threads call tick()
 * forever (pausing 1 ms between calls); it writes "ready\n" to stdout once
 * running and, on SIGTERM, prints "ticks=N" and exits 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile long ticks;
static volatile sig_atomic_t term;

__attribute__((noinline)) void tick(void) { __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED); }

static void on_term(int s) {
  (void)s;
  term = 1;
}

static void *worker(void *arg) {
  (void)arg;
  struct timespec ms = {0, 1000000};
  for (;;) {
    tick();
    nanosleep(&ms, NULL);
  }
  return NULL;
}

int main(void) {
  signal(SIGTERM, on_term);
  pthread_t th;
  pthread_create(&th, NULL, worker, NULL);
  printf("ready\n");
  fflush(stdout);
  struct timespec ms = {0, 1000000};
  while (!term) {
    tick();
    nanosleep(&ms, NULL);
  }
  printf("ticks=%ld\n", ticks > 0 ? 1L : 0L);
  fflush(stdout);
  return 0;
}
