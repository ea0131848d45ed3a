/* exprs.c: the inputs probes_spec checks probe expressions on. Calls
 * f(a, b, c) (a C function: a probe's jump fits, the expression runs
 * compiled in the program) and g(a, b, c) (4 bytes: no jump fits, the
 * tracer evaluates) N times (argv[1], default 3000) with values from a
 * 64-bit LCG that the spec replays in Lua, extremes every few calls; then
 * m(ptr) K times (argv[2], default 5) for each of: a record of known
 * bytes, NULL, address 16, a PROT_NONE page, the last byte of a page
 * followed by a PROT_NONE one. Prints "done". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

__attribute__((noinline)) long f(long a, long b, long c) { return a ^ b ^ c; }

long g(long a, long b, long c);
__asm__(".text\n.globl g\n.type g,@function\ng:\n  mov %rdi, %rax\n  ret\n.size g, .-g\n");

__attribute__((noinline)) long m(const unsigned char *p) { return p != NULL; }

struct rec {
  uint8_t a, b;
  uint16_t c;
  uint32_t d;
  uint64_t e;
} record = {0x81, 2, 0x8384, 0x85868788, 0x8990a0b0c0d0e0f0ULL};

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 3000;
  long k = argc > 2 ? atol(argv[2]) : 5;
  uint64_t x = 12345;
  for (long i = 0; i < n; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t a = (int64_t)x, b = (int64_t)(x >> 40) - (1 << 23), c = (int64_t)(x >> 59) - 16;
    switch (i % 16) { /* marker: extremes, replayed by the spec */
    case 0:
      a = INT64_MIN;
      c = -1;
      break;
    case 1: c = 0; break;
    case 2: c = 64; break;
    case 3: c = -64; break;
    case 4:
      a = -1;
      c = 63;
      break;
    case 5:
      b = INT64_MAX;
      c = 1;
      break;
    }
    f(a, b, c);
    g(a, b, c);
  }
  unsigned char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) return 1;
  memset(pages, 0x81, 4096);
  mprotect(pages + 4096, 4096, PROT_NONE);
  const unsigned char *ptrs[] = {(const unsigned char *)&record, NULL, (const unsigned char *)16,
                                 pages + 4096, pages + 4095};
  for (int j = 0; j < 5; j++)
    for (long i = 0; i < k; i++) m(ptrs[j]);
  printf("done\n");
  return 0;
}
