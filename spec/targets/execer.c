/* execer.c: calls before_exec(), then execs argv[2] (default /bin/true)
 * from the main thread, or from a second thread when argv[1] == "thread"
 * (the main thread then blocks in pthread_join, and vanishes). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "/bin/true";

__attribute__((noinline)) void before_exec(void) {}

static void *run_exec(void *arg) {
  (void)arg;
  before_exec();
  execl(prog, prog, (char *)NULL);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 2) prog = argv[2];
  if (argc > 1 && strcmp(argv[1], "thread") == 0) {
    pthread_t th;
    pthread_create(&th, NULL, run_exec, NULL);
    pthread_join(th, NULL);
    return 1;
  }
  run_exec(NULL);
  return 1;
}
