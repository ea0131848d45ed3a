// throws: a C++ exception thrown through two frames (middle, thrower) and
// caught in main, which then calls after() above both.
#include <cstdio>
#include <stdexcept>

volatile int sink;

__attribute__((noinline)) void thrower(int x) {
  sink = x;
  throw std::runtime_error("up"); // marker: both frames are left here
}
__attribute__((noinline)) void middle(int x) { thrower(x + 1); sink++; }
__attribute__((noinline)) int after(int x) { return x + 1; }

int main() {
  int r = 0;
  for (int i = 0; i < 3; i++) {
    try {
      middle(i);
    } catch (const std::exception &) {
      r += after(i);
    }
  }
  std::printf("after %d\n", r);
  return 0;
}
