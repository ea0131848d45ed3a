/* big.c: a function of 40,000 nops that never runs: room for 10,000
 * breakpoints, to measure lutra's memory with that many. */
#include <stdio.h>

__attribute__((noinline, used)) void big(void) { __asm__ volatile(".rept 40000\n nop\n .endr"); }

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 5) big();
  return 0;
}
