/* x86_64.c: registers, breakpoint, ABI and the tiny instruction emulator
 * for x86_64 Linux. The only file of lutra that knows a register name. */
#include "arch.h"

#include <stddef.h>
#include <string.h>

/* The seed's register order; each entry is a field of user_regs_struct. */
#define REGS(X) \
  X(rax) X(rbx) X(rcx) X(rdx) X(rsi) X(rdi) X(rbp) X(rsp) \
  X(r8) X(r9) X(r10) X(r11) X(r12) X(r13) X(r14) X(r15) \
  X(rip) X(eflags) X(cs) X(ss) X(ds) X(es) X(fs) X(gs)

#define NAME(r) #r,
#define OFFSET(r) offsetof(arch_regs, r),
static const char *const reg_names[] = {REGS(NAME)};
static const size_t reg_offsets[] = {REGS(OFFSET)};
#define NREGS ((int)(sizeof reg_names / sizeof reg_names[0]))

int arch_nregs(void) { return NREGS; }

const char *arch_reg_name(int idx) {
  return idx >= 0 && idx < NREGS ? reg_names[idx] : NULL;
}

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

void arch_reg_set(arch_regs *r, int idx, uint64_t v) {
  memcpy((char *)r + reg_offsets[idx], &v, sizeof v);
}

uint64_t arch_pc(const arch_regs *r) { return r->rip; }
void arch_set_pc(arch_regs *r, uint64_t pc) { r->rip = pc; }
uint64_t arch_sp(const arch_regs *r) { return r->rsp; }
void arch_set_sp(arch_regs *r, uint64_t sp) { r->rsp = sp; }

uint64_t arch_breakpoint_addr(uint64_t pc_after_trap) {
  return pc_after_trap - ARCH_BREAKPOINT_LEN;
}

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

/* push r64: 50+r, or REX.B (41) 50+r for r8..r15. */
static uint64_t *gpr_by_number(arch_regs *r, int n) {
  switch (n) {
  case 0: return (uint64_t *)&r->rax;
  case 1: return (uint64_t *)&r->rcx;
  case 2: return (uint64_t *)&r->rdx;
  case 3: return (uint64_t *)&r->rbx;
  case 4: return (uint64_t *)&r->rsp;
  case 5: return (uint64_t *)&r->rbp;
  case 6: return (uint64_t *)&r->rsi;
  case 7: return (uint64_t *)&r->rdi;
  case 8: return (uint64_t *)&r->r8;
  case 9: return (uint64_t *)&r->r9;
  case 10: return (uint64_t *)&r->r10;
  case 11: return (uint64_t *)&r->r11;
  case 12: return (uint64_t *)&r->r12;
  case 13: return (uint64_t *)&r->r13;
  case 14: return (uint64_t *)&r->r14;
  default: return (uint64_t *)&r->r15;
  }
}

/* Function entries start with a handful of instructions that touch no flags
 * and at most one stack slot: emulating them saves the single-step stop. */
int arch_emulate(const uint8_t *insn, size_t len, arch_regs *r, uint64_t *push) {
  static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
  static const uint8_t mov_rsp_rbp[] = {0x48, 0x89, 0xe5};
  if (len >= 4 && memcmp(insn, endbr64, 4) == 0) {
    r->rip += 4;
    return 0;
  }
  if (len >= 3 && memcmp(insn, mov_rsp_rbp, 3) == 0) {
    r->rbp = r->rsp;
    r->rip += 3;
    return 0;
  }
  if (len >= 1 && insn[0] == 0x90) { /* nop */
    r->rip += 1;
    return 0;
  }
  int rex_b = 0, n = 0;
  if (len >= 2 && insn[0] == 0x41) {
    rex_b = 8;
    n = 1;
  }
  if ((size_t)n < len && insn[n] >= 0x50 && insn[n] <= 0x57) {
    *push = *gpr_by_number(r, rex_b + (insn[n] - 0x50)); /* before rsp moves */
    r->rsp -= 8;
    r->rip += (uint64_t)n + 1;
    return 8;
  }
  return -1;
}
