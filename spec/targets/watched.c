/* watched.c: writes the global `watched` exactly once (to 42), reads it
 * twice, and calls ping() three times; prints the value. */
#include <stdio.h>

volatile long watched = 7;
volatile long other;

__attribute__((noinline)) void ping(void) { other++; }

int main(void) {
  other = watched;
  for (int i = 0; i < 3; i++) ping();
  watched = 42;
  other = watched;
  printf("watched=%ld\n", watched);
  return 0;
}
