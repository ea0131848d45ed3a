/* x86_64.c: registers, breakpoint, ABI and the tiny instruction emulator
 * for x86_64 Linux. The only file of lutra that knows a register name. */
#include "arch.h"

#include <stddef.h>
#include <string.h>

/* The seed's register order; each entry is a field of user_regs_struct. */
// clang-format off
#define REGS(X) \
  X(rax) X(rbx) X(rcx) X(rdx) X(rsi) X(rdi) X(rbp) X(rsp) \
  X(r8) X(r9) X(r10) X(r11) X(r12) X(r13) X(r14) X(r15) \
  X(rip) X(eflags) X(cs) X(ss) X(ds) X(es) X(fs) X(gs)
// clang-format on

#define NAME(r) #r,
#define OFFSET(r) offsetof(arch_regs, r),
static const char *const reg_names[] = {REGS(NAME)};
static const size_t reg_offsets[] = {REGS(OFFSET)};
#define NREGS ((int)(sizeof reg_names / sizeof reg_names[0]))

int arch_nregs(void) { return NREGS; }

const char *arch_reg_name(int idx) { return idx >= 0 && idx < NREGS ? reg_names[idx] : NULL; }

int arch_reg_index(const char *name) {
  for (int i = 0; i < NREGS; i++)
    if (strcmp(name, reg_names[i]) == 0) return i;
  return -1;
}

uint64_t arch_reg_get(const arch_regs *r, int idx) {
  uint64_t v;
  memcpy(&v, (const char *)r + reg_offsets[idx], sizeof v);
  return v;
}

void arch_reg_set(arch_regs *r, int idx, uint64_t v) { memcpy((char *)r + reg_offsets[idx], &v, sizeof v); }

uint64_t arch_pc(const arch_regs *r) { return r->rip; }
void arch_set_pc(arch_regs *r, uint64_t pc) { r->rip = pc; }
uint64_t arch_sp(const arch_regs *r) { return r->rsp; }
void arch_set_sp(arch_regs *r, uint64_t sp) { r->rsp = sp; }

uint64_t arch_breakpoint_addr(uint64_t pc_after_trap) { return pc_after_trap - ARCH_BREAKPOINT_LEN; }

int arch_arg(const arch_regs *r, int n, uint64_t *v, uint64_t *stack_addr) {
  switch (n) {
  case 1: *v = r->rdi; return 1;
  case 2: *v = r->rsi; return 1;
  case 3: *v = r->rdx; return 1;
  case 4: *v = r->rcx; return 1;
  case 5: *v = r->r8; return 1;
  case 6: *v = r->r9; return 1;
  default:
    /* At entry [rsp] is the return address; the 7th argument follows it. */
    *stack_addr = r->rsp + 8 * (uint64_t)(n - 6);
    return 0;
  }
}

uint64_t arch_retval(const arch_regs *r) { return r->rax; }
void arch_set_retval(arch_regs *r, uint64_t v) { r->rax = v; }
uint64_t arch_return_slot(const arch_regs *r) { return r->rsp; }
uint64_t arch_sp_after_return(uint64_t sp_at_entry) { return sp_at_entry + 8; }

void arch_skip_syscall(arch_regs *r) { r->orig_rax = (unsigned long long)-1; }
long arch_syscall_nr(const arch_regs *r) { return (long)r->orig_rax; }
int arch_in_syscall(const arch_regs *r) { return (long)r->orig_rax >= 0; }

const uint8_t arch_syscall_insn[ARCH_SYSCALL_INSN_LEN] = {0x0f, 0x05};

void arch_setup_syscall(arch_regs *r, long nr, const uint64_t args[6]) {
  r->rax = (uint64_t)nr;
  r->orig_rax = (uint64_t)-1; /* not inside a syscall: no restart games */
  r->rdi = args[0];
  r->rsi = args[1];
  r->rdx = args[2];
  r->r10 = args[3];
  r->r8 = args[4];
  r->r9 = args[5];
}

int64_t arch_syscall_result(const arch_regs *r) { return (int64_t)r->rax; }

void arch_setup_call(arch_regs *r, uint64_t fn, uint64_t *sp) {
  /* skip the 128-byte red zone, align to 16, then the return address */
  *sp = ((r->rsp - 256) & ~(uint64_t)15) - 8;
  r->rsp = *sp;
  r->rip = fn;
  r->rax = 0;
  r->orig_rax = (uint64_t)-1; /* not in a syscall: no restart on the way */
}
