/* insns.c: one function per kind of first instruction, for the step-over
 * specs: each returns a known value, and main prints the sum over N rounds
 * (argv[1], default 100), so a wrong step-over shows in the output.
 *   ins_endbr   endbr64            ins_push    push %rbx
 *   ins_riprel  mov disp(%rip)     ins_lea     lea disp(%rip)
 *   ins_call    call rel32         ins_jmp8    jmp rel8
 *   ins_jcc     je rel8 (taken when the argument is 1)
 *   ins_ret_at  a label on a ret   ins_stepped jmp *disp(%rip) (single-stepped)
 *   ins_pushrsp push %rsp          ins_jcc32   jne rel32 */
#include <stdio.h>
#include <stdlib.h>

int ins_value = 3;
void *ins_target;
int ins_endbr(void), ins_push(void), ins_riprel(void), ins_lea(void), ins_call(void);
int ins_jmp8(void), ins_jcc(int), ins_ret(void), ins_stepped(void), ins_pushrsp(void);
int ins_jcc32(int);

__asm__(".text\n"
        ".globl ins_endbr\nins_endbr:\n endbr64\n mov $1, %eax\n ret\n"
        ".globl ins_push\nins_push:\n push %rbx\n mov $2, %eax\n pop %rbx\n ret\n"
        ".globl ins_riprel\nins_riprel:\n mov ins_value(%rip), %eax\n ret\n"
        ".globl ins_lea\nins_lea:\n lea ins_value(%rip), %rax\n mov (%rax), %eax\n add %eax, %eax\n ret\n"
        "ins_four:\n mov $4, %eax\n ret\n"
        ".globl ins_call\nins_call:\n call ins_four\n ret\n"
        ".globl ins_jmp8\nins_jmp8:\n jmp 1f\n mov $0, %eax\n ret\n1:\n mov $5, %eax\n ret\n"
        ".globl ins_jcc\nins_jcc:\n cmp $1, %edi\n je 1f\n mov $6, %eax\n ret\n1:\n mov $60, %eax\n ret\n"
        ".globl ins_ret\nins_ret:\n mov $7, %eax\n.globl ins_ret_at\nins_ret_at:\n ret\n"
        ".globl ins_stepped\nins_stepped:\n jmp *ins_target(%rip)\n"
        "ins_eight:\n mov $8, %eax\n ret\n"
        ".globl ins_pushrsp\nins_pushrsp:\n push %rsp\n pop %rax\n sub %rsp, %rax\n add $9, %eax\n ret\n"
        ".globl ins_jcc32\nins_jcc32:\n test %edi, %edi\n .byte 0x0f, 0x85\n .long 2f - 1f\n1:\n mov $10, "
        "%eax\n ret\n"
        " .fill 200, 1, 0x90\n2:\n mov $100, %eax\n ret\n");
extern char ins_eight[];

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100;
  ins_target = ins_eight;
  long sum = 0;
  for (int i = 0; i < n; i++)
    sum += ins_endbr() + ins_push() + ins_riprel() + ins_lea() + ins_call() + ins_jmp8() + ins_jcc(i & 1) +
           ins_ret() + ins_stepped() + ins_pushrsp() + ins_jcc32(i & 1);
  printf("sum=%ld\n", sum);
  return 0;
}
