/* endbr: built with -fcf-protection=full, so that every function starts
 * with endbr64. add1(i) is called N times (argv[1]) and its results
 * summed; prints the sum. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long add1(long i) { return i + 1; } /* marker: starts with endbr64 */

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000, sum = 0;
  for (long i = 0; i < n; i++) sum += add1(i);
  printf("sum=%ld\n", sum);
  return 0;
}
