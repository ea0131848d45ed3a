/* counters.c: what a trampoline's counter costs, by scheme: the measurement
 * behind lutra's choice of one atomic counter (docs/DESIGN-NOTES.md). Each
 * mode wraps the same call in a different increment, in inline assembly as
 * a trampoline would: 0 none, 1 one atomic counter (lock inc), 2 per-CPU
 * slots found by rdpid + lock inc, 3 per-CPU slots by rseq's cpu_id + lock
 * inc, 4 per-CPU slots in an rseq critical section (a plain add, restarted
 * on migration), 5 a gettid syscall, 6 rdfsbase.
 * `counters MODE N THREADS` prints the CPU time per call (2 CPUs at most)
 * and the counts, which must be exact. Built without PIE (absolute
 * addresses in the assembly). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/rseq.h>
#include <time.h>

static volatile uint64_t shared_ctr __attribute__((aligned(64)));
static uint64_t percpu[64 * 8] __attribute__((aligned(64))); /* a cache line per CPU */
static long n, rseq_off;
static int mode;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

__attribute__((noinline)) static void f0(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) static void f1(void) {
  __asm__ volatile("push %%r11\n movabs %0, %%r11\n lock incq (%%r11)\n pop %%r11" ::"i"(&shared_ctr)
                   : "memory", "cc");
}
__attribute__((noinline)) static void f2(void) {
  __asm__ volatile("push %%r11\n push %%rax\n rdpid %%rax\n and $63,%%eax\n shl $6,%%eax\n movabs %0,%%r11\n"
                   " lock incq (%%r11,%%rax)\n pop %%rax\n pop %%r11" ::"i"(percpu)
                   : "memory", "cc");
}
__attribute__((noinline)) static void f3(void) {
  __asm__ volatile(
      "push %%r11\n push %%rax\n mov %1,%%r11\n mov %%fs:4(%%r11),%%eax\n and $63,%%eax\n"
      " shl $6,%%eax\n movabs %0,%%r11\n lock incq (%%r11,%%rax)\n pop %%rax\n pop %%r11" ::"i"(percpu),
      "m"(rseq_off)
      : "memory", "cc");
}
struct rseq_cs_d {
  uint32_t version, flags;
  uint64_t start_ip, post_commit_offset, abort_ip;
} __attribute__((aligned(32)));
static struct rseq_cs_d csd;
extern char rs_start[], rs_post[], rs_abort[];
__attribute__((noinline)) static void f4(void) {
  __asm__ volatile("push %%r11\n push %%rax\n push %%rcx\n mov %1,%%rcx\n"
                   "1: lea %2, %%rax\n mov %%rax, %%fs:8(%%rcx)\n"
                   "rs_start: mov %%fs:4(%%rcx),%%eax\n and $63,%%eax\n shl $6,%%eax\n movabs %0,%%r11\n"
                   " addq $1,(%%r11,%%rax)\n"
                   "rs_post:\n jmp 3f\n .long 0x53053053\n"
                   "rs_abort: jmp 1b\n"
                   "3: pop %%rcx\n pop %%rax\n pop %%r11\n" ::"i"(percpu),
                   "m"(rseq_off), "m"(csd)
                   : "memory", "cc");
}
__attribute__((noinline)) static void f5(void) {
  __asm__ volatile("push %%rcx\n push %%r11\n push %%rax\n mov $186,%%eax\n syscall\n pop %%rax\n pop %%r11\n"
                   " pop %%rcx" ::
                       : "memory", "cc");
}
__attribute__((noinline)) static void f6(void) {
  __asm__ volatile("push %%r11\n rdfsbase %%r11\n pop %%r11" ::: "memory");
}

static void (*const fns[])(void) = {f0, f1, f2, f3, f4, f5, f6};

static void *loop(void *arg) {
  (void)arg;
  void (*g)(void) = fns[mode];
  for (long i = 0; i < n; i++) g();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: counters MODE(0-6) N [THREADS]\n");
    return 2;
  }
  mode = atoi(argv[1]) % 7;
  n = atol(argv[2]);
  int t = argc > 3 ? atoi(argv[3]) : 1;
  if (t < 1 || t > 64) t = 1;
  rseq_off = __rseq_offset;
  csd.start_ip = (uint64_t)rs_start;
  csd.post_commit_offset = (uint64_t)(rs_post - rs_start);
  csd.abort_ip = (uint64_t)rs_abort;
  double t0 = now();
  pthread_t th[64];
  for (int i = 0; i < t; i++) pthread_create(&th[i], NULL, loop, NULL);
  for (int i = 0; i < t; i++) pthread_join(th[i], NULL);
  double dt = now() - t0;
  uint64_t s = 0;
  for (int i = 0; i < 64; i++) s += percpu[i * 8];
  printf("mode %d threads %d: %.2f ns/call shared=%lu percpu=%lu expect=%ld\n", mode, t,
         dt * 1e9 / (double)(n * t) * (t > 2 ? 2 : t), (unsigned long)shared_ctr, (unsigned long)s, n * t);
  return 0;
}
