/* fib.c: fib(N) recursively (argv[1]): the on_return benchmark. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long fib(long k) { return k < 2 ? k : fib(k - 1) + fib(k - 2); }

int main(int argc, char **argv) {
  printf("%ld\n", fib(argc > 1 ? atol(argv[1]) : 20));
  return 0;
}
