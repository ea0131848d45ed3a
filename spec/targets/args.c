/* args.c: calls eight(11, 22, ..., 88): two arguments on the stack. */
#include <stdio.h>

__attribute__((noinline)) long eight(long a, long b, long c, long d, long e, long f, long g, long h) {
  return a + b + c + d + e + f + g + h;
}

int main(void) {
  printf("%ld\n", eight(11, 22, 33, 44, 55, 66, 77, 88));
  return 0;
}
