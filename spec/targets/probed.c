/* probed.c: functions of the shapes a probe's jump meets (probes_spec).
 * `probed NAME N [THREADS]` calls NAME(i) for i = 0..N-1 (in each of
 * THREADS threads, default 1) and prints "NAME sum=S", the sum of what it
 * returned, which no probe may change. A jump fits:
 *   plain      C: push %rbp; mov %rsp,%rbp (two instructions in the jump's bytes)
 *   endbr      endbr64 first (the jump goes after it)
 *   nop5       a 5-byte nop first
 *   riprel     a RIP-relative load first (re-based in the copy)
 *   short_jcc  a short conditional branch among the first bytes (widened)
 *   call_last  a call as the last instruction the jump displaces
 * no jump fits (an int3 instead, "trap" mode):
 *   tiny       4 bytes long, tiny_next right after it: shorter than the jump
 *   back       a loop branching back to its second instruction
 *   jumptable  an indirect jump
 *   call_first an indirect call that is not the last displaced instruction
 *              (a thread in the callee returns into the bytes the jump takes)
 * Also `probed exec PROGRAM`: calls plain once, then execs PROGRAM. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long base = 100;

__attribute__((noinline)) long plain(long i) { return i + 1; }

__attribute__((noinline)) long helper(long i) { return i * 3; }

long endbr(long), nop5(long), riprel(long), short_jcc(long), call_last(long), tiny(long), tiny_next(long),
    back(long), jumptable(long), call_first(long, long (*)(long));

#define FN(name, body) \
  __asm__(".text\n.globl " #name "\n.type " #name ",@function\n.p2align 4\n" #name ":\n" body ".size " #name \
          ", .-" #name "\n")
FN(endbr, "  endbr64\n  push %rbx\n  lea 2(%rdi), %rax\n  pop %rbx\n  ret\n");
FN(nop5, "  nopl 0x0(%rax,%rax,1)\n  lea 5(%rdi), %rax\n  ret\n");
FN(riprel, "  movq base(%rip), %rax\n  add %rdi, %rax\n  ret\n");
FN(short_jcc, "  test %rdi, %rdi\n  jz 1f\n  lea 1(%rdi), %rax\n  ret\n1:\n  mov $7, %eax\n  ret\n");
FN(call_last, "  push %rbx\n  call helper\n  add $1, %rax\n  pop %rbx\n  ret\n");
/* tiny_next follows tiny with no padding: a jump at tiny would take its first byte */
__asm__(".text\n.globl tiny\n.type tiny,@function\n.p2align 4\ntiny:\n  mov %rdi, %rax\n  ret\n.size tiny, "
        ".-tiny\n"
        ".globl tiny_next\n.type tiny_next,@function\ntiny_next:\n  lea 9(%rdi), %rax\n  ret\n.size "
        "tiny_next, .-tiny_next\n");
/* marker: the jnz lands on the add, inside the bytes a jump would take */
FN(back, "  xor %eax, %eax\n1:\n  add $1, %rax\n  cmp $2, %rax\n  jb 1b\n  add %rdi, %rax\n  ret\n");
/* marker: the indirect jump lands on the add, inside the bytes a jump would take */
FN(jumptable,
   "  xor %eax, %eax\n1:\n  add $1, %rax\n  cmp $2, %rax\n  jae 2f\n  lea 1b(%rip), %rdx\n  jmp *%rdx\n2:\n"
   "  add %rdi, %rax\n  ret\n");
FN(call_first, "  call *%rsi\n  add $4, %rax\n  ret\n");

static const char *name;
static long n;

static long call(long i) {
  if (!strcmp(name, "plain")) return plain(i);
  if (!strcmp(name, "endbr")) return endbr(i);
  if (!strcmp(name, "nop5")) return nop5(i);
  if (!strcmp(name, "riprel")) return riprel(i);
  if (!strcmp(name, "short_jcc")) return short_jcc(i);
  if (!strcmp(name, "call_last")) return call_last(i);
  if (!strcmp(name, "tiny")) return tiny(i) + tiny_next(i);
  if (!strcmp(name, "back")) return back(i);
  if (!strcmp(name, "jumptable")) return jumptable(i);
  if (!strcmp(name, "call_first")) return call_first(i, helper);
  fprintf(stderr, "probed: no function %s\n", name);
  exit(2);
}

static void *loop(void *arg) {
  long *sum = arg;
  for (long i = 0; i < n; i++) *sum += call(i);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: probed NAME N [THREADS] | probed exec PROGRAM\n");
    return 2;
  }
  if (!strcmp(argv[1], "exec")) {
    plain(0);
    execl(argv[2], argv[2], "plain", "10", (char *)NULL);
    return 127;
  }
  name = argv[1];
  n = atol(argv[2]);
  int nt = argc > 3 ? atoi(argv[3]) : 1;
  long sums[64] = {0};
  pthread_t th[64];
  if (nt < 1 || nt > 64) nt = 1;
  for (int t = 0; t < nt; t++) pthread_create(&th[t], NULL, loop, &sums[t]);
  long sum = 0;
  for (int t = 0; t < nt; t++) {
    pthread_join(th[t], NULL);
    sum += sums[t];
  }
  printf("%s sum=%ld\n", name, sum);
  return 0;
}
