/* tailcall: built at -O2, where f's `return g(x + 1)` is a tail call (a
 * jmp to g): one ret ends both frames. Also glibc's realloc(NULL, n),
 * which tail-calls malloc. Prints what each call returned. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int g(int x) { return x * 2; }
__attribute__((noinline)) int f(int x) { return g(x + 1); } /* marker: tail call */

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5;
  long sum = 0;
  for (int i = 0; i < n; i++) sum += f(i);
  void *p = realloc(NULL, 64); /* realloc tail-calls malloc */
  printf("sum %ld %s\n", sum, p ? "ok" : "null");
  free(p);
  return 0;
}
