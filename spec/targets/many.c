/* many.c: twenty functions step_01 .. step_20, each called once, for
 * globs ("step_*" makes 20 breakpoints); prints the final value (210). */
#include <stdio.h>

__attribute__((noinline)) int step_01(int x) { return x + 1; }
__attribute__((noinline)) int step_02(int x) { return x + 2; }
__attribute__((noinline)) int step_03(int x) { return x + 3; }
__attribute__((noinline)) int step_04(int x) { return x + 4; }
__attribute__((noinline)) int step_05(int x) { return x + 5; }
__attribute__((noinline)) int step_06(int x) { return x + 6; }
__attribute__((noinline)) int step_07(int x) { return x + 7; }
__attribute__((noinline)) int step_08(int x) { return x + 8; }
__attribute__((noinline)) int step_09(int x) { return x + 9; }
__attribute__((noinline)) int step_10(int x) { return x + 10; }
__attribute__((noinline)) int step_11(int x) { return x + 11; }
__attribute__((noinline)) int step_12(int x) { return x + 12; }
__attribute__((noinline)) int step_13(int x) { return x + 13; }
__attribute__((noinline)) int step_14(int x) { return x + 14; }
__attribute__((noinline)) int step_15(int x) { return x + 15; }
__attribute__((noinline)) int step_16(int x) { return x + 16; }
__attribute__((noinline)) int step_17(int x) { return x + 17; }
__attribute__((noinline)) int step_18(int x) { return x + 18; }
__attribute__((noinline)) int step_19(int x) { return x + 19; }
__attribute__((noinline)) int step_20(int x) { return x + 20; }

int main(void) {
  int v = 0;
  v = step_01(v);
  v = step_02(v);
  v = step_03(v);
  v = step_04(v);
  v = step_05(v);
  v = step_06(v);
  v = step_07(v);
  v = step_08(v);
  v = step_09(v);
  v = step_10(v);
  v = step_11(v);
  v = step_12(v);
  v = step_13(v);
  v = step_14(v);
  v = step_15(v);
  v = step_16(v);
  v = step_17(v);
  v = step_18(v);
  v = step_19(v);
  v = step_20(v);
  printf("v=%d\n", v);
  return 0;
}
