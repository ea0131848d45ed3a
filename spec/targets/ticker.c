/* ticker.c: a long-running program to attach to, whose calls carry a
 * count: tick(count) every 200 us, count (a global) going up by one each
 * time from 1, so that a spec can move it (and a probe's condition on
 * arg1 with it). Writes "ready\n" once running; on SIGTERM prints
 * "ticks=1" (it ticked) and exits 0. */
#include <signal.h>
#include <stdio.h>
#include <time.h>

volatile long count = 1;
static volatile long last;
static volatile sig_atomic_t term;

__attribute__((noinline)) void tick(long n) { last = n; }

static void on_term(int s) {
  (void)s;
  term = 1;
}

int main(void) {
  signal(SIGTERM, on_term);
  printf("ready\n");
  fflush(stdout);
  struct timespec us200 = {0, 200000};
  while (!term) {
    tick(count);
    count = count + 1;
    nanosleep(&us200, NULL);
  }
  printf("ticks=%ld\n", last > 0 ? 1L : 0L);
  fflush(stdout);
  return 0;
}
