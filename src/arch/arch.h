/* arch.h: the contract between the engine and one CPU architecture.
 * The engine names no register; everything it needs from the CPU is here. */
#ifndef LUTRA_ARCH_H
#define LUTRA_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

typedef struct user_regs_struct arch_regs;

/* The breakpoint instruction and its length. */
#define ARCH_BREAKPOINT_BYTE 0xCC
#define ARCH_BREAKPOINT_LEN 1
#define ARCH_MAX_INSN_LEN 15
/* The end of the user half of the address space (4-level paging). */
#define ARCH_USER_TOP 0x7ffffffff000ULL

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
/* Is a stopped thread inside a syscall (its return or restart still to
 * come)? Code must not be injected through such a thread. */
int arch_in_syscall(const arch_regs *r);
/* The number of the syscall a thread is in (at a syscall stop). */
long arch_syscall_nr(const arch_regs *r);

/* How to move a thread past the instruction under a breakpoint without
 * removing the breakpoint (arch_plan), decided once per breakpoint. */
typedef enum {
  ARCH_PLAN_STEP,     /* single-step it (the fallback: needs a second stop) */
  ARCH_PLAN_EMULATE,  /* the tracer does what it does: no stop at all */
  ARCH_PLAN_DISPLACE, /* run a copy out of line that jumps back: no stop */
} arch_plan_kind;

typedef struct {
  arch_plan_kind kind;
  uint8_t len;     /* length of the original instruction */
  uint8_t op;      /* EMULATE: which operation (private to the arch file) */
  uint8_t reg;     /* EMULATE: register number, or condition code */
  uint16_t imm;    /* EMULATE: ret imm16 */
  uint64_t target; /* EMULATE: absolute branch target */
  uint8_t insn[ARCH_MAX_INSN_LEN]; /* the original bytes */
  uint8_t resume_next; /* EMULATE: what follows the int3 byte does what the
                          instruction does (endbr64's 0f 1e fa is a hint nop, a
                          nop's next instruction follows it): a hit goes on from
                          where the trap left the pc, no register written */
  int disp_off;    /* DISPLACE: offset of a RIP-relative disp32, -1 if none */
  uint64_t disp_target; /* DISPLACE: the absolute address it designates */
} arch_plan;

/* Decodes the original bytes of the instruction at pc. Never fails: an
 * instruction it cannot handle gets ARCH_PLAN_STEP. */
void arch_plan_insn(const uint8_t *insn, size_t avail, uint64_t pc, arch_plan *out);

/* The out-of-line copy for a DISPLACE plan, to run at `slot`: the
 * instruction (re-based) then a jump back to pc + len. Writes at most
 * ARCH_SLOT_SIZE bytes; returns its length, or -1 when the displacement
 * cannot reach from `slot` (choose a slot nearer the code). */
#define ARCH_SLOT_SIZE 32
#define ARCH_DISPLACE_REACH 0x7fff0000LL
int arch_displace(const arch_plan *pl, uint64_t pc, uint64_t slot, uint8_t *out);

/* Memory access the emulator needs (stack reads and writes). */
typedef struct {
  void *ctx;
  int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
  int (*write)(void *ctx, uint64_t addr, const void *buf, size_t len);
} arch_mem;

/* Applies an EMULATE plan at pc to the registers. 0, or -1 on a memory
 * fault (nothing changed then). */
int arch_emulate(const arch_plan *pl, uint64_t pc, arch_regs *r, const arch_mem *m);

/* Hardware watchpoints: ARCH_NWATCH slots per thread. */
#define ARCH_NWATCH 4
typedef enum { ARCH_WATCH_EXEC, ARCH_WATCH_WRITE, ARCH_WATCH_RW } arch_watch_kind;
typedef struct {
  uint64_t addr;
  uint8_t len; /* 1, 2, 4 or 8, addr aligned to it (1 for EXEC) */
  arch_watch_kind kind;
  int used;
} arch_watch;
/* Writes the watch slots into a stopped thread's debug registers. */
int arch_set_watches(pid_t tid, const arch_watch w[ARCH_NWATCH]);
/* After a hardware trap: which slot fired (-1 none); clears the status. */
int arch_watch_hit(pid_t tid);
/* An execute watchpoint traps before the instruction: let the resume run
 * it once without trapping again. */
void arch_resume_past_exec_watch(arch_regs *r);

/* Injected syscalls: the bytes of the syscall instruction, and how to set
 * up and read back a call. */
#define ARCH_SYSCALL_INSN_LEN 2
extern const uint8_t arch_syscall_insn[ARCH_SYSCALL_INSN_LEN];
void arch_setup_syscall(arch_regs *r, long nr, const uint64_t args[6]);
/* Sets up a call of fn(): the caller writes the return address at *sp
 * (below the red zone, ABI-aligned). */
void arch_setup_call(arch_regs *r, uint64_t fn, uint64_t *sp);
int64_t arch_syscall_result(const arch_regs *r);

/* Go's ABIInternal (go1.17+, x86_64_go.c). Integer argument word n
 * (1-based) of the register sequence: 1 and *v, or 0 past the last
 * register (ARCH_GO_NARGS). */
#define ARCH_GO_NARGS 9
int arch_go_arg(const arch_regs *r, int n, uint64_t *v);
/* The running goroutine's g, which Go code keeps in a register. */
uint64_t arch_go_g(const arch_regs *r);
/* The length of the stack-check prologue (compare sp with g.stackguard0,
 * branch to morestack) at the start of a Go function's code; 0 when the
 * code does not start with one (a leaf, a NOSPLIT function). */
size_t arch_go_prologue(const uint8_t *code, size_t avail);

/* SystemTap SDT argument operands (x86_64_sdt.c): the assembler's text
 * after "N@" in a .note.stapsdt argument, e.g. "%eax", "-8(%rbp)",
 * "$5", "counter(%rip)", "8(%rax,%rdx,4)". */
typedef enum { ARCH_SDT_REG, ARCH_SDT_MEM, ARCH_SDT_IMM } arch_sdt_kind;
typedef struct {
  arch_sdt_kind kind;
  int reg;        /* REG: register index (arch_reg_get); MEM: base, -1 none */
  int shift;      /* REG: 8 for %ah..%dh */
  int index;      /* MEM: index register, -1 none */
  int scale;      /* MEM: 1, 2, 4, 8 */
  int rip;        /* MEM: relative to %rip: sym holds the symbol */
  int64_t disp;   /* MEM: displacement; IMM: the value */
  char sym[128];  /* MEM: symbol of a symbol-relative operand, "" none */
} arch_sdt_operand;
/* Parses one operand of `len` bytes; 0, or -1 when it is not one. */
int arch_sdt_parse(const char *s, size_t len, arch_sdt_operand *op);
/* REG: the register's value (shifted for the high-byte registers); MEM:
 * the address without the symbol's (base + index * scale + disp). */
uint64_t arch_sdt_value(const arch_regs *r, const arch_sdt_operand *op);
/* Floating-point and vector registers (PTRACE_GETFPREGS / SETFPREGS). */
typedef struct user_fpregs_struct arch_fpregs;
#define ARCH_NXMM 16
void arch_xmm_get(const arch_fpregs *f, int n, uint8_t out[16]);
void arch_xmm_set(arch_fpregs *f, int n, const uint8_t in[16]);

/* DWARF register numbers (the psABI's): the stack pointer and return
 * address columns, and the bytes of register `regno` at a stop (f may be
 * NULL when the floating-point registers are not needed). Returns their
 * count, 0 when the register is not one this file knows. */
#define ARCH_DWARF_SP 7
#define ARCH_DWARF_RA 16
#define ARCH_DWARF_NREGS 67
/* The registers a callee preserves: rbx, rbp, r12-r15 (bit = DWARF number). */
#define ARCH_DWARF_CALLEE_SAVED ((1u << 3) | (1u << 6) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 15))
size_t arch_dwarf_reg(const arch_regs *r, const arch_fpregs *f, int regno, uint8_t out[16]);
int arch_dwarf_reg_is_fp(int regno);

/* Where the C ABI passes an argument and a return value, by the scalars
 * the type is made of (SysV classification of eightbytes). */
typedef enum { ARCH_SCALAR_INT, ARCH_SCALAR_FLOAT, ARCH_SCALAR_X87 } arch_scalar_kind;
typedef struct {
  uint32_t offset, size;
  arch_scalar_kind kind;
} arch_scalar;

typedef struct {
  int in_memory;         /* on the stack: at sp + stack_offset at entry */
  uint64_t stack_offset;
  int indirect;          /* the register (or stack slot) holds the object's address */
  int npieces;           /* else: eightbyte i is in DWARF register piece[i].dwreg */
  struct {
    int dwreg;
    uint32_t offset, size;
  } piece[2];
} arch_argloc;

typedef struct {
  int nint, nsse;
  uint64_t stack;
} arch_argstate;

/* Starts placing a function's arguments; `hidden_return`: its return
 * value is in memory, whose address takes the first integer register. */
void arch_args_begin(arch_argstate *s, int hidden_return);
/* The next argument: `size` bytes made of scalars sc[0..n); `by_reference`
 * for an object the ABI passes by invisible reference (C++). */
void arch_arg_place(arch_argstate *s, uint64_t size, const arch_scalar *sc, size_t n, int by_reference,
                    arch_argloc *out);
/* Where a returned value is once the function has returned. */
void arch_return_place(uint64_t size, const arch_scalar *sc, size_t n, int by_reference, arch_argloc *out);
/* The DWARF register of the n-th (1-based) floating-point argument, -1. */
int arch_float_arg_reg(int n);

#endif
