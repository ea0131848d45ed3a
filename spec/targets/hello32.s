# hello32.s: a static 32-bit (ELFCLASS32, i386) program, made with the
# assembler alone (as --32, ld -m elf_i386: no multilib C library needed).
# It writes "hello32\n"; then, without an argument, it exits 7; with one,
# it waits in pause() forever (a process to attach to). lutra must refuse
# it before its first instruction: nothing is printed under lutra.
.globl _start
_start:
  movl $4, %eax          # write(1, msg, 8)
  movl $1, %ebx
  movl $msg, %ecx
  movl $8, %edx
  int $0x80
  cmpl $1, (%esp)        # argc
  jne wait
  movl $1, %eax          # exit(7)
  movl $7, %ebx
  int $0x80
wait:
  movl $29, %eax         # pause()
  int $0x80
  jmp wait
.data
msg: .ascii "hello32\n"
