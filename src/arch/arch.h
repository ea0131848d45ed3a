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
  uint8_t len;                     /* length of the original instruction */
  uint8_t op;                      /* EMULATE: which operation (private to the arch file) */
  uint8_t reg;                     /* EMULATE: register number, or condition code */
  uint16_t imm;                    /* EMULATE: ret imm16 */
  uint64_t target;                 /* EMULATE: absolute branch target */
  uint8_t insn[ARCH_MAX_INSN_LEN]; /* the original bytes */
  uint8_t resume_next;             /* EMULATE: what follows the int3 byte does what the
                          instruction does (endbr64's 0f 1e fa is a hint nop, a
                          nop's next instruction follows it): a hit goes on from
                          where the trap left the pc, no register written */
  int disp_off;                    /* DISPLACE: offset of a RIP-relative disp32, -1 if none */
  uint64_t disp_target;            /* DISPLACE: the absolute address it designates */
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
  int reg;       /* REG: register index (arch_reg_get); MEM: base, -1 none */
  int shift;     /* REG: 8 for %ah..%dh */
  int index;     /* MEM: index register, -1 none */
  int scale;     /* MEM: 1, 2, 4, 8 */
  int rip;       /* MEM: relative to %rip: sym holds the symbol */
  int64_t disp;  /* MEM: displacement; IMM: the value */
  char sym[128]; /* MEM: symbol of a symbol-relative operand, "" none */
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
  int in_memory; /* on the stack: at sp + stack_offset at entry */
  uint64_t stack_offset;
  int indirect; /* the register (or stack slot) holds the object's address */
  int npieces;  /* else: eightbyte i is in DWARF register piece[i].dwreg */
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

/* ---- Probes in the program (x86_64_reloc.c, x86_64_tramp.c) ----------
 * A probe replaces the first instructions of a function by a jump to a
 * trampoline in a scratch page: the trampoline runs the probe's operations
 * (counters, histograms, conditions, entry records, a trap), then the
 * displaced instructions, relocated, and jumps back. */

#define ARCH_JUMP_LEN 5  /* the jump written at the site */
#define ARCH_RELOC_MAX 8 /* instructions displaced at most */

typedef struct {
  uint8_t off, len; /* where the instruction was, from the site */
  uint8_t kind;     /* private to the arch file */
  int8_t disp_off;  /* offset of a RIP-relative disp32, -1 if none */
  uint64_t target;  /* its RIP-relative or branch target, absolute */
} arch_reloc_insn;

typedef struct {
  uint8_t len; /* bytes displaced (>= ARCH_JUMP_LEN) */
  uint8_t n;   /* instructions displaced */
  uint8_t orig[ARCH_RELOC_MAX * ARCH_MAX_INSN_LEN];
  arch_reloc_insn insn[ARCH_RELOC_MAX];
} arch_reloc;

/* Decides which instructions at `site` move to make room for the jump
 * (code: the program's bytes, `avail` of them up to the function's end).
 * 0, or -1 with *why when they cannot move: the function is shorter than
 * the jump, an instruction cannot be relocated (loop/jrcxz, a call not
 * last, the program's own int3, undecodable). */
int arch_reloc_plan(const uint8_t *code, size_t avail, uint64_t site, arch_reloc *r, const char **why);

/* Scans a whole function ([start, start+len) of code) for what makes the
 * jump unsafe: a direct branch landing strictly inside (lo, hi), or an
 * indirect jump (a jump table could land anywhere; a tail call through
 * a RIP-relative slot is fine). 0, or -1 with *why. */
int arch_scan_function(const uint8_t *code, size_t len, uint64_t start, uint64_t lo, uint64_t hi,
                       const char **why, uint64_t *where);

/* The jump at site to `to` (ARCH_JUMP_LEN bytes); -1 when out of reach. */
int arch_jump(uint64_t site, uint64_t to, uint8_t out[ARCH_JUMP_LEN]);

/* Expressions, as postfix operations on a stack of 64-bit integers (the
 * engine's parser produces them, src/core/expr.c; the tracer interprets
 * them at a stop, the trampoline runs them compiled). A value's
 * arithmetic wraps, `/` and `%` floor as Lua's `//` and `%` do, shifts
 * are Lua's (logical, 0 past 63 bits, a negative count the other way);
 * a LOAD that would fault and a division by zero make the whole
 * expression false. */
typedef enum {
  ARCH_X_CONST, /* push imm */
  ARCH_X_REG,   /* push register imm (arch_reg_get index) as at the probe */
  ARCH_X_TID,
  ARCH_X_PID,
  ARCH_X_LOAD, /* pop an address, push the imm bytes (1, 2, 4, 8) there, zero-extended */
  ARCH_X_SEXT, /* sign-extend the top from imm bytes */
  ARCH_X_NEG,
  ARCH_X_BNOT,
  ARCH_X_NOT,
  ARCH_X_BOOL,
  ARCH_X_ADD,
  ARCH_X_SUB,
  ARCH_X_MUL,
  ARCH_X_DIV,
  ARCH_X_MOD,
  ARCH_X_BAND,
  ARCH_X_BOR,
  ARCH_X_BXOR,
  ARCH_X_SHL,
  ARCH_X_SHR,
  ARCH_X_EQ,
  ARCH_X_NE,
  ARCH_X_LT,
  ARCH_X_LE,
  ARCH_X_GT,
  ARCH_X_GE,
  ARCH_X_JFALSE, /* top == 0: jump to label imm keeping it, else pop */
  ARCH_X_JTRUE,  /* top != 0: make it 1 and jump to label imm, else pop */
  ARCH_X_LABEL,  /* label imm */
} arch_xop_kind;

typedef struct {
  uint8_t op;
  int64_t imm;
} arch_xop;

/* Can a probe's expression read this register (the general registers,
 * rsp and rip as at the function's first instruction; eflags only where
 * the trampoline saves it)? */
int arch_expr_reg_ok(int idx);
/* The register (arch_reg_get index) holding integer argument n of the C
 * ABI, or of Go's register ABI; -1 past the registers. */
int arch_arg_reg(int n);
int arch_go_arg_reg(int n);

/* What a trampoline does, in order. */
typedef enum {
  ARCH_OP_COUNT, /* add 1 to the counter at slot (when cond holds) */
  ARCH_OP_HIST,  /* add 1 to bucket log2(value) of the 65 at slot; slot[65] counts the drops */
  ARCH_OP_TRAP,  /* when cond holds (and the tracer is alive): stop the thread at an int3 */
  ARCH_OP_ENTRY, /* write an entry record into the ring at slot */
} arch_op_kind;

typedef struct {
  arch_op_kind kind;
  const arch_xop *cond; /* COUNT, TRAP: NULL for always */
  size_t ncond;
  const arch_xop *value; /* HIST */
  size_t nvalue;
  uint64_t slot; /* counter, histogram or ring header, in the tracee */
  uint32_t tag;  /* ENTRY: written in each record */
  uint8_t nargs; /* ENTRY: arguments recorded, 0..ARCH_ENTRY_ARGS */
} arch_probe_op;

/* A ring of entry records (Vyukov's bounded queue: a producer reserves a
 * cell by a compare-and-swap on head when the cell's sequence says it is
 * free, fills it and publishes it by storing seq = position + 1; the
 * tracer consumes in order and frees a cell by storing seq = position +
 * size). The header's words sit on cache lines of their own. */
#define ARCH_ENTRY_ARGS 9
typedef struct {
  uint64_t seq;
  uint64_t cycles; /* arch_cycles() when written */
  uint32_t tid, tag;
  uint64_t ret; /* the return address */
  uint64_t args[ARCH_ENTRY_ARGS];
  uint64_t pad[3];
} arch_entry; /* 128 bytes: a cell's index << 7 is its offset */
_Static_assert(sizeof(arch_entry) == 128, "arch_entry is 128 bytes");
typedef struct {
  uint64_t head, pad0[7];
  uint64_t drops, pad1[7]; /* records lost to a full ring */
  uint64_t mask, pad2[7];  /* cells - 1 (a power of two) */
} arch_ring_header;        /* the cells follow */

/* Where the trampoline finds what the engine keeps for it. */
typedef struct {
  uint64_t site;         /* where the jump is */
  uint64_t func;         /* the function's address: rip in expressions, the trap's pc */
  int go_abi;            /* arguments of ENTRY records by Go's register ABI */
  int save_flags;        /* flags may be live at the site (not a function entry) */
  int glibc_tid;         /* the thread's tid is glibc's, in its TCB (else gettid) */
  uint64_t private_page; /* per-address-space words: vfork exclusions (ARCH_PRIV_*) */
  uint64_t owner;        /* the tracer's robust futex word: 0 or OWNER_DIED, no trap */
  const arch_reloc *reloc;
  const arch_probe_op *ops;
  size_t nops;
} arch_tramp_spec;

/* The private page: byte 0 is non-zero while a vfork child that lutra
 * does not follow shares the memory; then a thread whose fs base is one
 * of the ARCH_PRIV_SLOTS words from offset 8 is that child and skips every
 * operation (1), or every thread does (2: no rdfsbase). */
#define ARCH_PRIV_SLOTS 15

#define ARCH_TRAMP_MAX 4096
#define ARCH_TRAMP_TRAPS 16
#define ARCH_TRAMP_GUARDS 64
typedef struct {
  size_t len;
  uint32_t trap[ARCH_TRAMP_TRAPS]; /* per TRAP op (in op order): where its int3 goes (an endbr64) */
  size_t ntraps;
  uint32_t guard[ARCH_TRAMP_GUARDS]; /* loads that may fault, and where to go on */
  uint32_t guard_fix[ARCH_TRAMP_GUARDS];
  size_t nguards;
  uint32_t body_lo, body_hi; /* a thread in [lo, hi) may leave for exit_at (rsp = rbx first when frame) */
  uint32_t exit_at;
  int frame;                          /* the body keeps its frame in rbx */
  uint32_t reloc_at;                  /* the relocated instructions */
  uint32_t reloc_off[ARCH_RELOC_MAX]; /* each one's offset in the copy */
} arch_tramp_layout;

/* Emits the trampoline to run at `at` into out (ARCH_TRAMP_MAX bytes).
 * Returns its length, or -1 with *why (an expression too large, a
 * displacement out of reach from `at`). */
int arch_tramp_emit(const arch_tramp_spec *s, uint64_t at, uint8_t *out, arch_tramp_layout *lay,
                    const char **why);
/* A thread found at pc inside a trampoline's body: where it may go on
 * with no operation left to run (the registers it needs updated). 1 when
 * it was moved. */
int arch_tramp_leave(const arch_tramp_layout *lay, uint64_t tramp, arch_regs *r);

/* The CPU's cycle counter (rdtsc), which trampolines stamp records with. */
uint64_t arch_cycles(void);
/* The fs base of a stopped thread (its TLS): what a vfork child shares
 * with the thread parked in vfork. */
uint64_t arch_tls_base(const arch_regs *r);
/* Does the kernel let user code read the fs base (rdfsbase)? */
int arch_can_read_tls_base(void);
/* glibc's TCB holds the thread's tid at this offset from the fs base. */
#define ARCH_GLIBC_TID_OFFSET 0x2d0

#endif
