/* loop.c: calls work(i) for i in 0..N-1 (N = argv[1], default 10) and
 * prints the sum of the results, so a spec can count hits of `work` and
 * see the effect of changing its argument or return value. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long work(long i) { return i * 2; }

__attribute__((noinline)) long add(long a, long b) { return a + b; }

int global_counter = 42;

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10;
  long sum = 0;
  for (long i = 0; i < n; i++) sum += work(i);
  printf("sum=%ld\n", sum);
  printf("add=%ld\n", add(2, 3));
  printf("counter=%d\n", global_counter);
  fflush(stdout);
  return (int)(sum % 7);
}
