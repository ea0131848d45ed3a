/* recurse.c: down(n) calls itself until n is 0, argv[1] deep (default
 * 10), then main calls leaf() once: a deep call chain for lutra trace's
 * --max-depth. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int leaf(int x) { return x + 1; }

__attribute__((noinline)) int down(int n) {
  if (n == 0) return 0;
  return down(n - 1) + 1;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  printf("depth=%d leaf=%d\n", down(n), leaf(n));
  return 0;
}
