/* threads.c: T threads (argv[1], default 16) each call hit() and
 * hit_riprel() N times (argv[2], default 1000), then are joined; prints the
 * total. The breakpoint spec expects exactly T*N hits of each. hit starts
 * with push %rbp (lutra emulates it); hit_riprel starts with a RIP-relative
 * load (lutra single-steps it). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long n_calls;
static volatile long total;

__attribute__((noinline)) void hit(long id) { __atomic_add_fetch(&total, id >= 0, __ATOMIC_RELAXED); }

long riprel_calls;
void hit_riprel(void);
__asm__(".text\n.globl hit_riprel\n.type hit_riprel,@function\nhit_riprel:\n"
        "  movq riprel_calls(%rip), %rax\n  ret\n.size hit_riprel, .-hit_riprel\n");

static void *worker(void *arg) {
  for (long i = 0; i < n_calls; i++) {
    hit((long)arg);
    hit_riprel();
  }
  return NULL;
}

int main(int argc, char **argv) {
  int nt = argc > 1 ? atoi(argv[1]) : 16;
  n_calls = argc > 2 ? atol(argv[2]) : 1000;
  pthread_t th[256];
  if (nt > 256) nt = 256;
  for (int i = 0; i < nt; i++) pthread_create(&th[i], NULL, worker, (void *)(long)i);
  for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
  printf("total=%ld\n", total);
  return 0;
}
