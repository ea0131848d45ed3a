/* zombie_live.c: a long-running program whose leader called pthread_exit
 * (a zombie leader: /proc/PID/mem and /proc/PID/maps of the leader read
 * nothing, its memory is reached through a live thread's
 * /proc/PID/task/TID/...). Two workers call hit() every millisecond and
 * count the calls in `hits`; `magic` holds 0x5a17ab1e for a reader to
 * find. The main thread prints "ready" and leaves. On SIGTERM a worker
 * prints "hits=N" (N > 0 as 1) and the process exits 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

volatile long hits;
volatile long magic = 0x5a17ab1e;
static volatile sig_atomic_t term;

__attribute__((noinline)) void hit(void) { __atomic_add_fetch(&hits, 1, __ATOMIC_RELAXED); }

static void on_term(int s) {
  (void)s;
  term = 1;
}

static void *worker(void *arg) {
  struct timespec ms = {0, 1000000};
  while (!term) {
    hit();
    nanosleep(&ms, NULL);
  }
  if (arg) { /* the first worker reports and ends the process */
    printf("hits=%ld\n", hits > 0 ? 1L : 0L);
    fflush(stdout);
    exit(0);
  }
  for (;;) pause();
  return NULL;
}

int main(void) {
  signal(SIGTERM, on_term);
  pthread_t a, b;
  pthread_create(&a, NULL, worker, (void *)1L);
  pthread_create(&b, NULL, worker, NULL);
  printf("ready\n");
  fflush(stdout);
  pthread_exit(NULL); /* marker: the leader becomes a zombie here */
}
