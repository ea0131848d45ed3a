/* idle: one busy thread and idle ones. The worker calls f() N times
 * (argv[1]); main waits in pthread_join; the sleeper is blocked in read()
 * until a byte comes, then sets `woke` and exits. With argv[2] "pipe" the
 * worker itself writes that byte halfway through (the sleeper wakes while
 * the program runs); with "stdin" the byte comes on stdin, from whoever
 * holds the other end. Prints woke and the calls made. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long n;
static int fds[2];
static int from_pipe;
volatile int woke;
volatile long sink;

__attribute__((noinline)) void f(long i) { sink += i; }

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; i < n; i++) {
    f(i);
    if (from_pipe && i == n / 2 && write(fds[1], "x", 1) != 1) exit(2);
  }
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  char c;
  if (read(from_pipe ? fds[0] : 0, &c, 1) != 1) exit(3); /* marker: blocked here */
  woke = 1;
  return NULL;
}

int main(int argc, char **argv) {
  n = argc > 1 ? atol(argv[1]) : 1000;
  from_pipe = argc > 2 && strcmp(argv[2], "pipe") == 0;
  if (pipe(fds) < 0) return 1;
  pthread_t w, s;
  pthread_create(&s, NULL, sleeper, NULL);
  pthread_create(&w, NULL, worker, NULL);
  pthread_join(w, NULL);
  pthread_join(s, NULL);
  printf("woke=%d calls=%ld\n", woke, n);
  return 0;
}
