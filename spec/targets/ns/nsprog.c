/* nsprog.c: the program containers_spec runs in a mount namespace of its
 * own: calls lib_answer() from libnsv.so (found beside it, rpath $ORIGIN)
 * every millisecond, after writing "ready <answer>" once, until killed. */
#include <stdio.h>
#include <time.h>

int lib_answer(void);

int main(void) {
  printf("ready %d\n", lib_answer());
  fflush(stdout);
  struct timespec ms = {0, 1000000};
  for (;;) {
    lib_answer();
    nanosleep(&ms, NULL);
  }
}
