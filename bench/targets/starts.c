/* starts.c: functions whose first instruction is each kind a probe meets
 * (bench/run.lua compares lutra's counters and conditions with bpftrace's
 * uprobes on them): f_endbr (endbr64: the kernel single-steps it), f_push
 * (push %rbx: the kernel emulates it), f_nop5 (a 5-byte nop: the kernel
 * optimises the uprobe). `starts FUNC N [THREADS]` calls FUNC(i) for
 * i = 0..N-1 in each of THREADS threads (default 1), prints "sum=S". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long f_endbr(long), f_push(long), f_nop5(long);
__asm__(
    ".text\n"
    ".globl f_endbr\n.type f_endbr,@function\n.p2align 4\nf_endbr:\n"
    "  endbr64\n  lea 1(%rdi), %rax\n  add %rdi, %rax\n  ret\n.size f_endbr, .-f_endbr\n"
    ".globl f_push\n.type f_push,@function\n.p2align 4\nf_push:\n"
    "  push %rbx\n  lea 1(%rdi), %rbx\n  lea (%rbx,%rdi), %rax\n  pop %rbx\n  ret\n.size f_push, .-f_push\n"
    ".globl f_nop5\n.type f_nop5,@function\n.p2align 4\nf_nop5:\n"
    "  nopl 0x0(%rax,%rax,1)\n  lea 1(%rdi), %rax\n  add %rdi, %rax\n  ret\n.size f_nop5, .-f_nop5\n");

static long (*fn)(long);
static long n;

static void *loop(void *arg) {
  long s = 0;
  for (long i = 0; i < n; i++) s += fn(i);
  *(long *)arg = s;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: starts f_endbr|f_push|f_nop5 N [THREADS]\n");
    return 2;
  }
  fn = !strcmp(argv[1], "f_endbr") ? f_endbr : !strcmp(argv[1], "f_nop5") ? f_nop5 : f_push;
  n = atol(argv[2]);
  int t = argc > 3 ? atoi(argv[3]) : 1;
  if (t < 1 || t > 64) t = 1;
  pthread_t th[64];
  long sums[64], sum = 0;
  if (t == 1) { /* in the main thread: no idle thread for a stop to interrupt */
    loop(&sum);
    printf("sum=%ld\n", sum);
    return 0;
  }
  for (int i = 0; i < t; i++) pthread_create(&th[i], NULL, loop, &sums[i]);
  for (int i = 0; i < t; i++) {
    pthread_join(th[i], NULL);
    sum += sums[i];
  }
  printf("sum=%ld\n", sum);
  return 0;
}
