/* ctorlib: a library whose constructor calls its own function and calloc
 * before the program's main (and before its entry point): curl's
 * libraries do that at load time. */
#include <stdlib.h>

volatile long ctor_sink;

__attribute__((noinline)) void ctor_work(long x) { ctor_sink += x; }

__attribute__((constructor)) static void init(void) {
  for (int i = 0; i < 3; i++) ctor_work(i); /* marker: before main */
  for (int i = 0; i < 5; i++) {
    void *volatile keep = calloc(1, 16 + (size_t)i);
    free(keep);
  }
}
