/* unwinds: frames left without returning. abandon() longjmps out of
 * itself back to main; then main calls after() once, well above the
 * abandoned frame; deep() calls abandon() under a chain of three more
 * calls before its longjmp, so that after the jump main is above all. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf back;
volatile int sink;

__attribute__((noinline)) void abandon(int x) {
  sink = x;
  longjmp(back, 1); /* marker: the frame is left here */
}
__attribute__((noinline)) void deep(int n) {
  if (n > 0)
    deep(n - 1);
  else
    abandon(n);
  sink++;
}
__attribute__((noinline)) int after(int x) { return x + 1; }

int main(void) {
  /* The calls are not the last thing before the joins: a longjmp landing
   * where a call returns, at the stack pointer it returns with, would look
   * exactly like its return. */
  if (!setjmp(back)) {
    abandon(1);
    sink = 7;
  }
  int r = after(1);
  if (!setjmp(back)) {
    deep(3);
    sink = 8;
  }
  r += after(2);
  printf("after %d\n", r);
  return 0;
}
