/* thread_exits.c: argv[1] picks how a second thread ends the story:
 * "exit_group" (the thread calls exit(5) while main waits),
 * "segv" (the thread writes to address 8 and the process dies of SIGSEGV),
 * "join" (the thread returns 7 and main joins it and exits 0). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *mode = "join";

__attribute__((noinline)) void marker(void) {}

static void *worker(void *arg) {
  (void)arg;
  marker();
  if (strcmp(mode, "exit_group") == 0) exit(5);
  if (strcmp(mode, "segv") == 0) *(volatile int *)8 = 1;
  return (void *)7L;
}

int main(int argc, char **argv) {
  if (argc > 1) mode = argv[1];
  pthread_t th;
  pthread_create(&th, NULL, worker, NULL);
  void *ret;
  pthread_join(th, &ret);
  printf("joined %ld\n", (long)ret);
  return 0;
}
