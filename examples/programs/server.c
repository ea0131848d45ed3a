/* server.c: the program examples/sample_hot.lua attaches to. It "serves
 * requests" forever: handle_request() about every 200 microseconds, from
 * two threads, and says "ready" once it runs. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

__attribute__((noinline)) long handle_request(long id, long size) {
  long s = 0;
  for (long i = 0; i < size; i++) s += i * id;
  return s;
}

volatile long sink;

static void *serve(void *arg) {
  long base = (long)arg;
  struct timespec pause = {0, 200000};
  for (long id = base;; id += 2) {
    sink = handle_request(id, 64 + id % 1000);
    nanosleep(&pause, NULL);
  }
  return NULL;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, serve, (void *)1L);
  pthread_create(&b, NULL, serve, (void *)2L);
  printf("ready\n");
  fflush(stdout);
  pthread_join(a, NULL);
  return 0;
}
