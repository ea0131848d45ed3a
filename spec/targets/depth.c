/* depth.c: main -> level1 -> level2 -> level3 -> level4 -> level5, built
 * with -O2 -fomit-frame-pointer (CMakeLists.txt), for CFI backtraces. Each
 * level adds after its call so no call becomes a jump. */
#include <stdio.h>
#include <stdlib.h>

volatile int depth_sink;

__attribute__((noinline)) int level5(int x) {
  depth_sink = x;
  return x + 5;
}
__attribute__((noinline)) int level4(int x) { return level5(x * 3) + 4; }
__attribute__((noinline)) int level3(int x) { return level4(x ^ 1) + 3; }
__attribute__((noinline)) int level2(int x) { return level3(x + 7) + 2; }
__attribute__((noinline)) int level1(int x) { return level2(x - 1) + 1; }

int main(int argc, char **argv) {
  printf("%d\n", level1(argc > 1 ? atoi(argv[1]) : 2));
  return 0;
}
