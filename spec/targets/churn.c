/* churn.c: threads are born and end all the time (the hostile case
 * "attach refused by lutra's own earlier attach"). argv[1] spawner threads
 * (default 4) each create a thread that returns at once and join it,
 * forever; tick() is called by each new thread. It writes "ready\n" once
 * running. An attach lists /proc/PID/task while new threads keep coming:
 * one born of a thread already seized is traced by the tracer from birth
 * (PTRACE_O_TRACECLONE) before the tracer has seen its clone event, and
 * seizing it again from the listing fails with EPERM, TracerPid being the
 * tracer itself. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile long ticks;

__attribute__((noinline)) void tick(void) { __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED); }

static void *brief(void *arg) {
  (void)arg;
  tick();
  return NULL;
}

static void *spawner(void *arg) {
  (void)arg;
  for (;;) {
    pthread_t t;
    if (pthread_create(&t, NULL, brief, NULL) == 0) pthread_join(t, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4;
  pthread_t t;
  for (int i = 0; i < n; i++) pthread_create(&t, NULL, spawner, NULL);
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
