/* x86_64_tramp.c: a probe's trampoline and the machine code of its
 * expressions, encoded by Zydis' encoder: save what the operations use,
 * skip a vfork child that shares the memory, run the operations
 * (counters, histograms, entry records, conditions and their trap), put
 * the registers back, run the relocated instructions, jump back. */
#include <Zydis/Zydis.h>
#include <stdbool.h>
#include <string.h>
#include <sys/auxv.h>
#include <x86intrin.h>

#include "arch.h"
#include "x86_64_probe.h"

#define MAXLABELS 512
#define MAXFIX 1024

/* A little assembler over Zydis' encoder: a buffer, labels, and the
 * rel32 fields of jumps to labels, patched at the end. */
typedef struct {
  uint8_t *buf;
  size_t len;
  const char *err;
  int nlabels;
  int32_t label[MAXLABELS]; /* offset, -1 until placed */
  struct {
    uint32_t at; /* the rel32 field */
    int label;
  } fix[MAXFIX];
  size_t nfix;
  arch_tramp_layout *lay;
} as_t;

static ZydisEncoderOperand R(ZydisRegister r) {
  ZydisEncoderOperand o;
  memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_REGISTER;
  o.reg.value = r;
  return o;
}

static ZydisEncoderOperand I(int64_t v) {
  ZydisEncoderOperand o;
  memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
  o.imm.s = v;
  return o;
}

static ZydisEncoderOperand MX(ZydisRegister base, ZydisRegister index, int scale, int64_t disp, int size) {
  ZydisEncoderOperand o;
  memset(&o, 0, sizeof o);
  o.type = ZYDIS_OPERAND_TYPE_MEMORY;
  o.mem.base = base;
  o.mem.index = index;
  o.mem.scale = (ZyanU8)(index == ZYDIS_REGISTER_NONE ? 0 : scale);
  o.mem.displacement = disp;
  o.mem.size = (ZyanU16)size;
  return o;
}

static ZydisEncoderOperand M(ZydisRegister base, int64_t disp, int size) {
  return MX(base, ZYDIS_REGISTER_NONE, 0, disp, size);
}

static void ins(as_t *a, ZydisMnemonic m, int n, const ZydisEncoderOperand *ops,
                ZydisInstructionAttributes pfx) {
  if (a->err) return;
  ZydisEncoderRequest req;
  memset(&req, 0, sizeof req);
  req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
  req.mnemonic = m;
  req.prefixes = pfx;
  req.operand_count = (ZyanU8)n;
  for (int i = 0; i < n; i++) req.operands[i] = ops[i];
  ZyanUSize len = ARCH_TRAMP_MAX - a->len;
  if (a->len + ZYDIS_MAX_INSTRUCTION_LENGTH > ARCH_TRAMP_MAX) {
    a->err = "the trampoline is too large (too many probes or too long an expression at one place)";
    return;
  }
  if (ZYAN_FAILED(ZydisEncoderEncodeInstruction(&req, a->buf + a->len, &len))) {
    a->err = "an instruction Zydis cannot encode";
    return;
  }
  a->len += len;
}

static void i0(as_t *a, ZydisMnemonic m) { ins(a, m, 0, NULL, 0); }
static void i1(as_t *a, ZydisMnemonic m, ZydisEncoderOperand x) { ins(a, m, 1, &x, 0); }
static void i2(as_t *a, ZydisMnemonic m, ZydisEncoderOperand x, ZydisEncoderOperand y) {
  ZydisEncoderOperand o[2] = {x, y};
  ins(a, m, 2, o, 0);
}
static void lock2(as_t *a, ZydisMnemonic m, ZydisEncoderOperand x, ZydisEncoderOperand y) {
  ZydisEncoderOperand o[2] = {x, y};
  ins(a, m, 2, o, ZYDIS_ATTRIB_HAS_LOCK);
}
static void lock1(as_t *a, ZydisMnemonic m, ZydisEncoderOperand x) {
  ins(a, m, 1, &x, ZYDIS_ATTRIB_HAS_LOCK);
}

static int new_label(as_t *a) {
  if (a->nlabels == MAXLABELS) {
    a->err = "the trampoline is too large (too many labels)";
    return 0;
  }
  a->label[a->nlabels] = -1;
  return a->nlabels++;
}

static void place(as_t *a, int l) { a->label[l] = (int32_t)a->len; }

/* A jump (jmp or jcc) to a label, always in its rel32 form. */
static void jump(as_t *a, ZydisMnemonic m, int l) {
  if (a->err) return;
  ZydisEncoderRequest req;
  memset(&req, 0, sizeof req);
  req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
  req.mnemonic = m;
  req.branch_type = ZYDIS_BRANCH_TYPE_NEAR;
  req.branch_width = ZYDIS_BRANCH_WIDTH_32;
  req.operand_count = 1;
  req.operands[0] = I(0);
  ZyanUSize len = ARCH_TRAMP_MAX - a->len;
  if (a->len + ZYDIS_MAX_INSTRUCTION_LENGTH > ARCH_TRAMP_MAX ||
      ZYAN_FAILED(ZydisEncoderEncodeInstruction(&req, a->buf + a->len, &len))) {
    a->err = "the trampoline is too large";
    return;
  }
  a->len += len;
  if (a->nfix == MAXFIX) {
    a->err = "the trampoline is too large (too many jumps)";
    return;
  }
  a->fix[a->nfix].at = (uint32_t)(a->len - 4);
  a->fix[a->nfix++].label = l;
}

static void resolve(as_t *a) {
  for (size_t i = 0; i < a->nfix && !a->err; i++) {
    int32_t to = a->label[a->fix[i].label];
    if (to < 0) {
      a->err = "a jump to a label never placed";
      return;
    }
    int32_t d = to - (int32_t)(a->fix[i].at + 4);
    memcpy(a->buf + a->fix[i].at, &d, 4);
  }
}

/* ---- the frame ---------------------------------------------------------
 * The full frame: below the red zone (128 bytes) and the flags when they
 * are saved, the 15 registers pushed in this order; rbx then points at
 * them for the whole body. */
static const ZydisRegister frame_regs[15] = {
    ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RSI,
    ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_R8,  ZYDIS_REGISTER_R9,  ZYDIS_REGISTER_R10,
    ZYDIS_REGISTER_R11, ZYDIS_REGISTER_R12, ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15};
/* arch_reg_get index (the seed's order) of each of them */
static const int frame_idx[15] = {0, 2, 3, 1, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15};
#define IDX_RSP 7
#define IDX_RIP 16
#define IDX_EFLAGS 17

typedef struct {
  const arch_tramp_spec *s;
  bool full;
} ctx_t;

static int frame_size(const ctx_t *c) { return (c->full ? 15 * 8 : 8) + (c->s->save_flags ? 8 : 0); }

/* The displacement from rbx of a register's saved value; -1 for none. */
static int64_t slot_of(int idx) {
  for (int k = 0; k < 15; k++)
    if (frame_idx[k] == idx) return (14 - k) * 8;
  return -1;
}

static void save(as_t *a, const ctx_t *c) {
  i2(a, ZYDIS_MNEMONIC_LEA, R(ZYDIS_REGISTER_RSP), M(ZYDIS_REGISTER_RSP, -128, 8));
  if (c->s->save_flags) i0(a, ZYDIS_MNEMONIC_PUSHFQ);
  if (c->full) {
    for (int k = 0; k < 15; k++) i1(a, ZYDIS_MNEMONIC_PUSH, R(frame_regs[k]));
    i2(a, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_RBX), R(ZYDIS_REGISTER_RSP));
  } else {
    i1(a, ZYDIS_MNEMONIC_PUSH, R(ZYDIS_REGISTER_R11));
  }
}

static void restore(as_t *a, const ctx_t *c) {
  if (c->full) {
    for (int k = 14; k >= 0; k--) i1(a, ZYDIS_MNEMONIC_POP, R(frame_regs[k]));
  } else {
    i1(a, ZYDIS_MNEMONIC_POP, R(ZYDIS_REGISTER_R11));
  }
  if (c->s->save_flags) i0(a, ZYDIS_MNEMONIC_POPFQ);
  i2(a, ZYDIS_MNEMONIC_LEA, R(ZYDIS_REGISTER_RSP), M(ZYDIS_REGISTER_RSP, 128, 8));
}

/* rax = a register as at the probe (full frame only). */
static void load_reg(as_t *a, const ctx_t *c, int idx) {
  const ZydisRegister rax = ZYDIS_REGISTER_RAX;
  int64_t at = slot_of(idx);
  if (at >= 0) {
    i2(a, ZYDIS_MNEMONIC_MOV, R(rax), M(ZYDIS_REGISTER_RBX, at, 8));
  } else if (idx == IDX_RSP) {
    i2(a, ZYDIS_MNEMONIC_LEA, R(rax), M(ZYDIS_REGISTER_RBX, frame_size(c) + 128, 8));
  } else if (idx == IDX_RIP) {
    i2(a, ZYDIS_MNEMONIC_MOV, R(rax), I((int64_t)c->s->func));
  } else if (idx == IDX_EFLAGS && c->s->save_flags) {
    i2(a, ZYDIS_MNEMONIC_MOV, R(rax), M(ZYDIS_REGISTER_RBX, 15 * 8, 8));
  } else {
    a->err = "a register a probe cannot read";
  }
}

/* rax = the thread's tid (rcx, r11 clobbered). glibc keeps it in its TCB,
 * which the fs base points at once the TLS is set up (before that the fs
 * base is 0: the syscall then). */
static void load_tid(as_t *a, const ctx_t *c) {
  const ZydisRegister rax = ZYDIS_REGISTER_RAX, eax = ZYDIS_REGISTER_EAX;
  int sys = new_label(a), done = new_label(a);
  if (c->s->glibc_tid) {
    i1(a, ZYDIS_MNEMONIC_RDFSBASE, R(rax));
    i2(a, ZYDIS_MNEMONIC_TEST, R(rax), R(rax));
    jump(a, ZYDIS_MNEMONIC_JZ, sys);
    i2(a, ZYDIS_MNEMONIC_MOV, R(eax), M(rax, ARCH_GLIBC_TID_OFFSET, 4));
    jump(a, ZYDIS_MNEMONIC_JMP, done);
  }
  place(a, sys);
  i2(a, ZYDIS_MNEMONIC_MOV, R(eax), I(186)); /* gettid */
  i0(a, ZYDIS_MNEMONIC_SYSCALL);
  place(a, done);
}

/* ---- expressions ---------------------------------------------------------
 * A stack machine: the top in rax, the values under it pushed on the
 * thread's stack (below the frame: rsp = rbx again when the expression is
 * done or abandoned). `fail`: where a fault or a division by zero goes. */
typedef struct {
  as_t *a;
  const ctx_t *c;
  int depth;
  int fail;
  int labels[64]; /* the expression's labels */
} expr_t;

static void push_acc(expr_t *e) {
  if (e->depth > 0) i1(e->a, ZYDIS_MNEMONIC_PUSH, R(ZYDIS_REGISTER_RAX));
  e->depth++;
}

/* Drops the top: the next value down comes back into rax. */
static void pop_acc(expr_t *e) {
  e->depth--;
  if (e->depth > 0) i1(e->a, ZYDIS_MNEMONIC_POP, R(ZYDIS_REGISTER_RAX));
}

/* rcx = the top, rax = the one under it. */
static void binary(expr_t *e) {
  i2(e->a, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_RCX), R(ZYDIS_REGISTER_RAX));
  i1(e->a, ZYDIS_MNEMONIC_POP, R(ZYDIS_REGISTER_RAX));
  e->depth--;
}

static void set_flag(as_t *a, ZydisMnemonic setcc) {
  i1(a, setcc, R(ZYDIS_REGISTER_AL));
  i2(a, ZYDIS_MNEMONIC_MOVZX, R(ZYDIS_REGISTER_EAX), R(ZYDIS_REGISTER_AL));
}

static void divide(expr_t *e, bool mod) {
  as_t *a = e->a;
  const ZydisRegister rax = ZYDIS_REGISTER_RAX, rcx = ZYDIS_REGISTER_RCX, rdx = ZYDIS_REGISTER_RDX,
                      r11 = ZYDIS_REGISTER_R11;
  int normal = new_label(a), exact = new_label(a), done = new_label(a);
  i2(a, ZYDIS_MNEMONIC_TEST, R(rcx), R(rcx));
  jump(a, ZYDIS_MNEMONIC_JZ, e->fail);
  i2(a, ZYDIS_MNEMONIC_CMP, R(rcx), I(-1)); /* mininteger // -1 would trap */
  jump(a, ZYDIS_MNEMONIC_JNZ, normal);
  if (mod)
    i2(a, ZYDIS_MNEMONIC_XOR, R(ZYDIS_REGISTER_EAX), R(ZYDIS_REGISTER_EAX));
  else
    i1(a, ZYDIS_MNEMONIC_NEG, R(rax));
  jump(a, ZYDIS_MNEMONIC_JMP, done);
  place(a, normal);
  i0(a, ZYDIS_MNEMONIC_CQO);
  i1(a, ZYDIS_MNEMONIC_IDIV, R(rcx));
  /* idiv truncates; Lua floors: a remainder whose sign differs from the divisor's moves once */
  i2(a, ZYDIS_MNEMONIC_TEST, R(rdx), R(rdx));
  jump(a, ZYDIS_MNEMONIC_JZ, exact);
  i2(a, ZYDIS_MNEMONIC_MOV, R(r11), R(rdx));
  i2(a, ZYDIS_MNEMONIC_XOR, R(r11), R(rcx));
  jump(a, ZYDIS_MNEMONIC_JNS, exact);
  if (mod)
    i2(a, ZYDIS_MNEMONIC_ADD, R(rdx), R(rcx));
  else
    i1(a, ZYDIS_MNEMONIC_DEC, R(rax));
  place(a, exact);
  if (mod) i2(a, ZYDIS_MNEMONIC_MOV, R(rax), R(rdx));
  place(a, done);
}

/* Lua's shifts: x << n for 0 <= n < 64, x >> -n (logical) for a negative
 * n, 0 for |n| >= 64. `right` negates the count first. */
static void shift(expr_t *e, bool right) {
  as_t *a = e->a;
  const ZydisRegister rax = ZYDIS_REGISTER_RAX, rcx = ZYDIS_REGISTER_RCX;
  int big = new_label(a), zero = new_label(a), done = new_label(a);
  if (right) i1(a, ZYDIS_MNEMONIC_NEG, R(rcx));
  i2(a, ZYDIS_MNEMONIC_CMP, R(rcx), I(63));
  jump(a, ZYDIS_MNEMONIC_JNBE, big); /* unsigned: negatives too */
  i2(a, ZYDIS_MNEMONIC_SHL, R(rax), R(ZYDIS_REGISTER_CL));
  jump(a, ZYDIS_MNEMONIC_JMP, done);
  place(a, big);
  i2(a, ZYDIS_MNEMONIC_TEST, R(rcx), R(rcx));
  jump(a, ZYDIS_MNEMONIC_JNS, zero);
  i1(a, ZYDIS_MNEMONIC_NEG, R(rcx));
  i2(a, ZYDIS_MNEMONIC_CMP, R(rcx), I(63));
  jump(a, ZYDIS_MNEMONIC_JNBE, zero);
  i2(a, ZYDIS_MNEMONIC_SHR, R(rax), R(ZYDIS_REGISTER_CL));
  jump(a, ZYDIS_MNEMONIC_JMP, done);
  place(a, zero);
  i2(a, ZYDIS_MNEMONIC_XOR, R(ZYDIS_REGISTER_EAX), R(ZYDIS_REGISTER_EAX));
  place(a, done);
}

/* A read of the program's memory. The NULL page is refused without a
 * fault; any other fault stops the thread with SIGSEGV or SIGBUS, and
 * the tracer moves it on to `fail` (the load is listed as guarded). With
 * no tracer alive to do that, no load is tried. */
static void load(expr_t *e, int size) {
  as_t *a = e->a;
  const ZydisRegister rax = ZYDIS_REGISTER_RAX, rcx = ZYDIS_REGISTER_RCX, eax = ZYDIS_REGISTER_EAX;
  i2(a, ZYDIS_MNEMONIC_CMP, R(rax), I(4096));
  jump(a, ZYDIS_MNEMONIC_JB, e->fail);
  i2(a, ZYDIS_MNEMONIC_MOV, R(rcx), I((int64_t)e->c->s->owner));
  i2(a, ZYDIS_MNEMONIC_TEST, M(rcx, 0, 4), I(0x3fffffff));
  jump(a, ZYDIS_MNEMONIC_JZ, e->fail);
  arch_tramp_layout *lay = a->lay;
  if (lay->nguards == ARCH_TRAMP_GUARDS) {
    a->err = "too many memory reads in the probes at one place";
    return;
  }
  lay->guard[lay->nguards] = (uint32_t)a->len;
  lay->guard_fix[lay->nguards] = (uint32_t)e->fail; /* a label for now: resolved at the end */
  lay->nguards++;
  switch (size) {
  case 1: i2(a, ZYDIS_MNEMONIC_MOVZX, R(eax), M(rax, 0, 1)); break;
  case 2: i2(a, ZYDIS_MNEMONIC_MOVZX, R(eax), M(rax, 0, 2)); break;
  case 4: i2(a, ZYDIS_MNEMONIC_MOV, R(eax), M(rax, 0, 4)); break;
  default: i2(a, ZYDIS_MNEMONIC_MOV, R(rax), M(rax, 0, 8)); break;
  }
}

static int expr_label(expr_t *e, int64_t l) {
  if (l < 0 || l >= 64) {
    e->a->err = "an expression with too many conditions";
    return 0;
  }
  if (e->labels[l] < 0) e->labels[l] = new_label(e->a);
  return e->labels[l];
}

/* Leaves the value in rax with rsp back at rbx; a fault jumps to fail. */
static void compile(as_t *a, const ctx_t *c, const arch_xop *ops, size_t n, int fail) {
  expr_t e = {a, c, 0, fail, {0}};
  for (int i = 0; i < 64; i++) e.labels[i] = -1;
  const ZydisRegister rax = ZYDIS_REGISTER_RAX, rcx = ZYDIS_REGISTER_RCX;
  for (size_t i = 0; i < n && !a->err; i++) {
    const arch_xop *o = &ops[i];
    switch ((arch_xop_kind)o->op) {
    case ARCH_X_CONST:
      push_acc(&e);
      i2(a, ZYDIS_MNEMONIC_MOV, R(rax), I(o->imm));
      break;
    case ARCH_X_REG:
      push_acc(&e);
      load_reg(a, c, (int)o->imm);
      break;
    case ARCH_X_TID:
      push_acc(&e);
      load_tid(a, c);
      break;
    case ARCH_X_PID:
      push_acc(&e);
      i2(a, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_EAX), I(39)); /* getpid */
      i0(a, ZYDIS_MNEMONIC_SYSCALL);
      break;
    case ARCH_X_LOAD: load(&e, (int)o->imm); break;
    case ARCH_X_SEXT:
      if (o->imm == 1)
        i2(a, ZYDIS_MNEMONIC_MOVSX, R(rax), R(ZYDIS_REGISTER_AL));
      else if (o->imm == 2)
        i2(a, ZYDIS_MNEMONIC_MOVSX, R(rax), R(ZYDIS_REGISTER_AX));
      else if (o->imm == 4)
        i2(a, ZYDIS_MNEMONIC_MOVSXD, R(rax), R(ZYDIS_REGISTER_EAX));
      break;
    case ARCH_X_NEG: i1(a, ZYDIS_MNEMONIC_NEG, R(rax)); break;
    case ARCH_X_BNOT: i1(a, ZYDIS_MNEMONIC_NOT, R(rax)); break;
    case ARCH_X_NOT:
    case ARCH_X_BOOL:
      i2(a, ZYDIS_MNEMONIC_TEST, R(rax), R(rax));
      set_flag(a, o->op == ARCH_X_NOT ? ZYDIS_MNEMONIC_SETZ : ZYDIS_MNEMONIC_SETNZ);
      break;
    case ARCH_X_ADD:
      binary(&e);
      i2(a, ZYDIS_MNEMONIC_ADD, R(rax), R(rcx));
      break;
    case ARCH_X_SUB:
      binary(&e);
      i2(a, ZYDIS_MNEMONIC_SUB, R(rax), R(rcx));
      break;
    case ARCH_X_MUL:
      binary(&e);
      i2(a, ZYDIS_MNEMONIC_IMUL, R(rax), R(rcx));
      break;
    case ARCH_X_BAND:
      binary(&e);
      i2(a, ZYDIS_MNEMONIC_AND, R(rax), R(rcx));
      break;
    case ARCH_X_BOR:
      binary(&e);
      i2(a, ZYDIS_MNEMONIC_OR, R(rax), R(rcx));
      break;
    case ARCH_X_BXOR:
      binary(&e);
      i2(a, ZYDIS_MNEMONIC_XOR, R(rax), R(rcx));
      break;
    case ARCH_X_DIV:
      binary(&e);
      divide(&e, false);
      break;
    case ARCH_X_MOD:
      binary(&e);
      divide(&e, true);
      break;
    case ARCH_X_SHL:
      binary(&e);
      shift(&e, false);
      break;
    case ARCH_X_SHR:
      binary(&e);
      shift(&e, true);
      break;
    case ARCH_X_EQ:
    case ARCH_X_NE:
    case ARCH_X_LT:
    case ARCH_X_LE:
    case ARCH_X_GT:
    case ARCH_X_GE: {
      static const ZydisMnemonic set[] = {ZYDIS_MNEMONIC_SETZ,  ZYDIS_MNEMONIC_SETNZ,  ZYDIS_MNEMONIC_SETL,
                                          ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE, ZYDIS_MNEMONIC_SETNL};
      binary(&e);
      i2(a, ZYDIS_MNEMONIC_CMP, R(rax), R(rcx));
      set_flag(a, set[o->op - ARCH_X_EQ]);
      break;
    }
    case ARCH_X_JFALSE: {
      int l = expr_label(&e, o->imm);
      i2(a, ZYDIS_MNEMONIC_TEST, R(rax), R(rax));
      jump(a, ZYDIS_MNEMONIC_JZ, l);
      pop_acc(&e);
      break;
    }
    case ARCH_X_JTRUE: {
      int l = expr_label(&e, o->imm), no = new_label(a);
      i2(a, ZYDIS_MNEMONIC_TEST, R(rax), R(rax));
      jump(a, ZYDIS_MNEMONIC_JZ, no);
      i2(a, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_EAX), I(1));
      jump(a, ZYDIS_MNEMONIC_JMP, l);
      place(a, no);
      pop_acc(&e);
      break;
    }
    case ARCH_X_LABEL: place(a, expr_label(&e, o->imm)); break;
    default: a->err = "an unknown expression operation"; break;
    }
  }
  if (!a->err && e.depth != 1) a->err = "a malformed expression";
}

/* ---- operations ------------------------------------------------------- */

static void counter(as_t *a, uint64_t slot) {
  i2(a, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_R11), I((int64_t)slot));
  lock1(a, ZYDIS_MNEMONIC_INC, M(ZYDIS_REGISTER_R11, 0, 8));
}

static void hist(as_t *a, const ctx_t *c, const arch_probe_op *op, int next) {
  const ZydisRegister rax = ZYDIS_REGISTER_RAX, rcx = ZYDIS_REGISTER_RCX;
  int drop = new_label(a), b0 = new_label(a), store = new_label(a);
  compile(a, c, op->value, op->nvalue, drop);
  i2(a, ZYDIS_MNEMONIC_TEST, R(rax), R(rax));
  jump(a, ZYDIS_MNEMONIC_JLE, b0);
  i2(a, ZYDIS_MNEMONIC_BSR, R(rax), R(rax));
  i1(a, ZYDIS_MNEMONIC_INC, R(ZYDIS_REGISTER_EAX));
  jump(a, ZYDIS_MNEMONIC_JMP, store);
  place(a, b0);
  i2(a, ZYDIS_MNEMONIC_XOR, R(ZYDIS_REGISTER_EAX), R(ZYDIS_REGISTER_EAX));
  place(a, store);
  i2(a, ZYDIS_MNEMONIC_MOV, R(rcx), I((int64_t)op->slot));
  lock1(a, ZYDIS_MNEMONIC_INC, MX(rcx, rax, 8, 0, 8));
  jump(a, ZYDIS_MNEMONIC_JMP, next);
  place(a, drop);
  i2(a, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_RSP), R(ZYDIS_REGISTER_RBX));
  counter(a, op->slot + 65 * 8);
}

/* An entry record into the ring (arch_ring_header, Vyukov's protocol). */
static void entry(as_t *a, const ctx_t *c, const arch_probe_op *op) {
  const ZydisRegister rax = ZYDIS_REGISTER_RAX, rcx = ZYDIS_REGISTER_RCX, rdx = ZYDIS_REGISTER_RDX,
                      rsi = ZYDIS_REGISTER_RSI, rdi = ZYDIS_REGISTER_RDI, r8 = ZYDIS_REGISTER_R8,
                      r9 = ZYDIS_REGISTER_R9, rbx = ZYDIS_REGISTER_RBX;
  int retry = new_label(a), cas = new_label(a), full = new_label(a), done = new_label(a);
  const int64_t hdr = (int64_t)sizeof(arch_ring_header);
  i2(a, ZYDIS_MNEMONIC_MOV, R(rcx), I((int64_t)op->slot));
  i2(a, ZYDIS_MNEMONIC_MOV, R(rax), M(rcx, 0, 8));
  place(a, retry);
  i2(a, ZYDIS_MNEMONIC_MOV, R(rdx), R(rax));
  i2(a, ZYDIS_MNEMONIC_AND, R(rdx), M(rcx, offsetof(arch_ring_header, mask), 8));
  i2(a, ZYDIS_MNEMONIC_SHL, R(rdx), I(7));
  i2(a, ZYDIS_MNEMONIC_LEA, R(rdx), MX(rcx, rdx, 1, hdr, 8));
  i2(a, ZYDIS_MNEMONIC_MOV, R(rsi), M(rdx, 0, 8));
  i2(a, ZYDIS_MNEMONIC_CMP, R(rsi), R(rax));
  jump(a, ZYDIS_MNEMONIC_JZ, cas);
  i2(a, ZYDIS_MNEMONIC_SUB, R(rsi), R(rax));
  jump(a, ZYDIS_MNEMONIC_JS, full);                /* the cell still holds a record of the lap before */
  i2(a, ZYDIS_MNEMONIC_MOV, R(rax), M(rcx, 0, 8)); /* taken meanwhile: again */
  jump(a, ZYDIS_MNEMONIC_JMP, retry);
  place(a, cas);
  i2(a, ZYDIS_MNEMONIC_LEA, R(rdi), M(rax, 1, 8));
  lock2(a, ZYDIS_MNEMONIC_CMPXCHG, M(rcx, 0, 8), R(rdi));
  jump(a, ZYDIS_MNEMONIC_JNZ, retry);
  i2(a, ZYDIS_MNEMONIC_MOV, R(r8), R(rax)); /* the position */
  i2(a, ZYDIS_MNEMONIC_MOV, R(r9), R(rdx)); /* the cell */
  i0(a, ZYDIS_MNEMONIC_RDTSC);
  i2(a, ZYDIS_MNEMONIC_SHL, R(rdx), I(32));
  i2(a, ZYDIS_MNEMONIC_OR, R(rax), R(rdx));
  i2(a, ZYDIS_MNEMONIC_MOV, M(r9, offsetof(arch_entry, cycles), 8), R(rax));
  load_tid(a, c);
  i2(a, ZYDIS_MNEMONIC_MOV, M(r9, offsetof(arch_entry, tid), 4), R(ZYDIS_REGISTER_EAX));
  i2(a, ZYDIS_MNEMONIC_MOV, M(r9, offsetof(arch_entry, tag), 4), I((int64_t)(int32_t)op->tag));
  int64_t entry_sp = frame_size(c) + 128;
  i2(a, ZYDIS_MNEMONIC_MOV, R(rax), M(rbx, entry_sp, 8));
  i2(a, ZYDIS_MNEMONIC_MOV, M(r9, offsetof(arch_entry, ret), 8), R(rax));
  for (int n = 1; n <= op->nargs && n <= ARCH_ENTRY_ARGS; n++) {
    int reg = c->s->go_abi ? arch_go_arg_reg(n) : arch_arg_reg(n);
    if (reg >= 0)
      load_reg(a, c, reg);
    else
      i2(a, ZYDIS_MNEMONIC_MOV, R(rax), M(rbx, entry_sp + 8 * (n - 6), 8)); /* C: on the stack */
    i2(a, ZYDIS_MNEMONIC_MOV, M(r9, (int64_t)offsetof(arch_entry, args) + 8 * (n - 1), 8), R(rax));
  }
  i2(a, ZYDIS_MNEMONIC_LEA, R(rax), M(r8, 1, 8));
  i2(a, ZYDIS_MNEMONIC_MOV, M(r9, 0, 8), R(rax)); /* published */
  jump(a, ZYDIS_MNEMONIC_JMP, done);
  place(a, full);
  lock1(a, ZYDIS_MNEMONIC_INC, M(rcx, offsetof(arch_ring_header, drops), 8));
  place(a, done);
}

static bool needs_frame(const arch_tramp_spec *s) {
  for (size_t i = 0; i < s->nops; i++)
    if (s->ops[i].kind != ARCH_OP_COUNT || s->ops[i].cond) return true;
  return false;
}

int arch_tramp_emit(const arch_tramp_spec *s, uint64_t at, uint8_t *out, arch_tramp_layout *lay,
                    const char **why) {
  as_t st;
  as_t *a = &st;
  memset(a, 0, sizeof *a);
  memset(lay, 0, sizeof *lay);
  a->buf = out;
  a->lay = lay;
  ctx_t c = {s, needs_frame(s)};
  const ZydisRegister r11 = ZYDIS_REGISTER_R11, rax = ZYDIS_REGISTER_RAX;
  int vfork = new_label(a), back = new_label(a), out_l = new_label(a), skip = new_label(a);
  int next[ARCH_TRAMP_TRAPS + 64], traps[ARCH_TRAMP_TRAPS];
  if (s->nops > 64) {
    *why = "too many probes at one place";
    return -1;
  }
  save(a, &c);
  /* A vfork child nobody follows runs in this memory: it skips all */
  i2(a, ZYDIS_MNEMONIC_MOV, R(r11), I((int64_t)s->private_page));
  i2(a, ZYDIS_MNEMONIC_CMP, M(r11, 0, 1), I(0));
  jump(a, ZYDIS_MNEMONIC_JNZ, vfork);
  place(a, back);
  lay->frame = c.full;
  lay->body_lo = (uint32_t)a->len;
  size_t ntrap = 0;
  for (size_t i = 0; i < s->nops && !a->err; i++) {
    const arch_probe_op *op = &s->ops[i];
    next[i] = new_label(a);
    int fail = new_label(a);
    if (op->cond) {
      compile(a, &c, op->cond, op->ncond, fail);
      i2(a, ZYDIS_MNEMONIC_TEST, R(rax), R(rax));
      jump(a, ZYDIS_MNEMONIC_JZ, fail);
    }
    switch (op->kind) {
    case ARCH_OP_COUNT: counter(a, op->slot); break;
    case ARCH_OP_HIST: hist(a, &c, op, next[i]); break;
    case ARCH_OP_ENTRY: entry(a, &c, op); break;
    case ARCH_OP_TRAP:
      if (ntrap == ARCH_TRAMP_TRAPS) {
        a->err = "too many conditions at one place";
        break;
      }
      /* no tracer to take the trap: go on without it */
      i2(a, ZYDIS_MNEMONIC_MOV, R(rax), I((int64_t)s->owner));
      i2(a, ZYDIS_MNEMONIC_TEST, M(rax, 0, 4), I(0x3fffffff));
      jump(a, ZYDIS_MNEMONIC_JZ, next[i]);
      traps[ntrap] = new_label(a);
      jump(a, ZYDIS_MNEMONIC_JMP, traps[ntrap++]);
      break;
    }
    jump(a, ZYDIS_MNEMONIC_JMP, next[i]);
    place(a, fail);
    if (c.full) i2(a, ZYDIS_MNEMONIC_MOV, R(ZYDIS_REGISTER_RSP), R(ZYDIS_REGISTER_RBX));
    place(a, next[i]);
  }
  lay->body_hi = (uint32_t)a->len;
  place(a, skip);
  lay->exit_at = (uint32_t)a->len;
  restore(a, &c);
  lay->reloc_at = (uint32_t)a->len;
  if (!a->err) {
    int n = x86_reloc_emit(s->reloc, s->site, at + a->len, a->buf + a->len, ARCH_TRAMP_MAX - a->len,
                           lay->reloc_off, why);
    if (n < 0) return -1;
    a->len += (size_t)n;
  }
  /* Each trap: the registers back as at the function's first instruction,
   * the int3 (written over this endbr64 by the engine), then the frame again
   * and on with the next operation. */
  ntrap = 0;
  for (size_t i = 0; i < s->nops && !a->err; i++) {
    if (s->ops[i].kind != ARCH_OP_TRAP) continue;
    place(a, traps[ntrap]);
    restore(a, &c);
    lay->trap[ntrap++] = (uint32_t)a->len;
    /* an endbr64: the int3 over its first byte leaves a hint nop after it,
     * so the thread goes on from where the trap left it (no register write) */
    i0(a, ZYDIS_MNEMONIC_ENDBR64);
    save(a, &c);
    jump(a, ZYDIS_MNEMONIC_JMP, next[i]);
  }
  lay->ntraps = ntrap;
  /* the vfork check, out of line: the flag is 2 without rdfsbase (every
   * thread skips), else the child is the thread whose fs base is listed */
  place(a, vfork);
  i2(a, ZYDIS_MNEMONIC_CMP, M(r11, 0, 1), I(2));
  jump(a, ZYDIS_MNEMONIC_JZ, skip);
  i1(a, ZYDIS_MNEMONIC_PUSH, R(rax));
  i1(a, ZYDIS_MNEMONIC_RDFSBASE, R(rax));
  for (int k = 0; k < ARCH_PRIV_SLOTS; k++) {
    i2(a, ZYDIS_MNEMONIC_CMP, R(rax), M(r11, 8 + 8 * k, 8));
    jump(a, ZYDIS_MNEMONIC_JZ, out_l);
  }
  i1(a, ZYDIS_MNEMONIC_POP, R(rax));
  jump(a, ZYDIS_MNEMONIC_JMP, back);
  place(a, out_l);
  i1(a, ZYDIS_MNEMONIC_POP, R(rax));
  jump(a, ZYDIS_MNEMONIC_JMP, skip);
  resolve(a);
  for (size_t i = 0; i < lay->nguards && !a->err; i++)
    lay->guard_fix[i] = (uint32_t)a->label[lay->guard_fix[i]];
  if (a->err) {
    *why = a->err;
    return -1;
  }
  lay->len = a->len;
  return (int)a->len;
}

int arch_tramp_leave(const arch_tramp_layout *lay, uint64_t tramp, arch_regs *r) {
  if (r->rip < tramp + lay->body_lo || r->rip >= tramp + lay->body_hi) return 0;
  if (lay->frame) r->rsp = r->rbx; /* an expression's values pushed under the frame */
  r->rip = tramp + lay->exit_at;
  return 1;
}

int arch_expr_reg_ok(int idx) { return (idx >= 0 && idx <= 15) || idx == IDX_RIP; }

int arch_arg_reg(int n) {
  static const int regs[] = {5, 4, 3, 2, 8, 9}; /* rdi rsi rdx rcx r8 r9 */
  return n >= 1 && n <= 6 ? regs[n - 1] : -1;
}

int arch_go_arg_reg(int n) {
  static const int regs[] = {0, 1, 2, 5, 4, 8, 9, 10, 11}; /* rax rbx rcx rdi rsi r8 r9 r10 r11 */
  return n >= 1 && n <= 9 ? regs[n - 1] : -1;
}

uint64_t arch_cycles(void) { return __rdtsc(); }

uint64_t arch_tls_base(const arch_regs *r) { return r->fs_base; }

int arch_can_read_tls_base(void) {
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif
  return (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
}
