/* hidden.c: a program whose interesting function is static: in a
 * stripped build only a separate symbol table names it. secret() is called
 * argv[1] times (default 5); prints the sum. */
#include <stdio.h>
#include <stdlib.h>

static __attribute__((noinline)) long secret(long x) { return x * 3; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5;
  long s = 0;
  for (int i = 0; i < n; i++) s += secret(i);
  printf("sum=%ld\n", s);
  return 0;
}
