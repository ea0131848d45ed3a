/* arch.h: the contract between the engine and one CPU architecture.
 * The engine names no register; everything it needs from the CPU is here. */
#ifndef LUTRA_ARCH_H
#define LUTRA_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

typedef struct user_regs_struct arch_regs;

/* The breakpoint instruction and its length. */
#define ARCH_BREAKPOINT_BYTE 0xCC
#define ARCH_BREAKPOINT_LEN 1
#define ARCH_MAX_INSN_LEN 15

/* Registers by index, in the seed's order; index 0..arch_nregs()-1. */
int arch_nregs(void);
const char *arch_reg_name(int idx);
int arch_reg_index(const char *name); /* -1 when unknown */
uint64_t arch_reg_get(const arch_regs *r, int idx);
void arch_reg_set(arch_regs *r, int idx, uint64_t v);

uint64_t arch_pc(const arch_regs *r);
void arch_set_pc(arch_regs *r, uint64_t pc);
uint64_t arch_sp(const arch_regs *r);
void arch_set_sp(arch_regs *r, uint64_t sp);

/* After the breakpoint trap the CPU reports this PC; where was the trap? */
uint64_t arch_breakpoint_addr(uint64_t pc_after_trap);

/* Integer argument n (1-based) of the C ABI at function entry: in a
 * register (returns 1 and *v) or on the stack at *stack_addr (returns 0). */
int arch_arg(const arch_regs *r, int n, uint64_t *v, uint64_t *stack_addr);
uint64_t arch_retval(const arch_regs *r);
void arch_set_retval(arch_regs *r, uint64_t v);
/* Where the return address sits at function entry, and what SP will be
 * once the function has returned to it. */
uint64_t arch_return_slot(const arch_regs *r);
uint64_t arch_sp_after_return(uint64_t sp_at_entry);

/* At a syscall-entry stop: make the kernel skip the call. */
void arch_skip_syscall(arch_regs *r);
/* The number of the syscall a thread is in (at a syscall stop). */
long arch_syscall_nr(const arch_regs *r);

/* Emulate the instruction `insn` (the original bytes under a breakpoint at
 * PC) on `r` without running it. Returns the number of bytes the
 * instruction pushes on the stack below the old SP (value in *push,
 * to be written by the caller at the new SP), 0 when emulated with no memory
 * write, or -1 when this instruction cannot be emulated. */
int arch_emulate(const uint8_t *insn, size_t len, arch_regs *r, uint64_t *push);

#endif
