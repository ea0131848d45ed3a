/* x86_64_plan.c: how to get a thread past the instruction under a
 * breakpoint with no second stop. Zydis decodes it (length, RIP-relative
 * displacement, branch category); function-entry instructions and relative
 * branches are emulated; anything else that does not depend on where it
 * runs is copied out of line with its RIP-relative displacement re-based. */
#include <Zydis/Zydis.h>
#include <string.h>

#include "arch.h"

enum {
  OP_NOP,  /* endbr64, nop: pc += len */
  OP_PUSH, /* push reg */
  OP_MOV_RSP_RBP,
  OP_CALL, /* call rel32 */
  OP_JMP,  /* jmp rel8/rel32 */
  OP_JCC,  /* jcc rel8/rel32, reg = condition code */
  OP_RET,  /* ret [imm16] */
};

/* The 16 general registers in encoding order, as user_regs_struct fields. */
static uint64_t *gpr(arch_regs *r, int n) {
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

static void emulate_as(arch_plan *out, uint8_t op, uint8_t len) {
  out->kind = ARCH_PLAN_EMULATE;
  out->op = op;
  out->len = len;
}

/* The common cases, recognised from their bytes. */
static int plan_by_bytes(const uint8_t *b, size_t n, uint64_t pc, arch_plan *out) {
  static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
  static const uint8_t mov_rsp_rbp[] = {0x48, 0x89, 0xe5};
  if (n >= 4 && memcmp(b, endbr64, 4) == 0) {
    emulate_as(out, OP_NOP, 4);
    out->resume_next = 1; /* 0f 1e fa: nop %edx, a hint nop like endbr64 itself */
    return 1;
  }
  if (n >= 3 && memcmp(b, mov_rsp_rbp, 3) == 0) return emulate_as(out, OP_MOV_RSP_RBP, 3), 1;
  if (b[0] == 0x90) {
    emulate_as(out, OP_NOP, 1);
    out->resume_next = 1;
    return 1;
  }
  if (b[0] >= 0x50 && b[0] <= 0x57) {
    emulate_as(out, OP_PUSH, 1);
    out->reg = (uint8_t)(b[0] - 0x50);
    return 1;
  }
  if (n >= 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57) {
    emulate_as(out, OP_PUSH, 2);
    out->reg = (uint8_t)(8 + b[1] - 0x50);
    return 1;
  }
  int32_t rel32;
  if (n >= 5 && (b[0] == 0xe8 || b[0] == 0xe9)) {
    memcpy(&rel32, b + 1, 4);
    emulate_as(out, b[0] == 0xe8 ? OP_CALL : OP_JMP, 5);
    out->target = pc + 5 + (uint64_t)(int64_t)rel32;
    return 1;
  }
  if (n >= 2 && b[0] == 0xeb) {
    emulate_as(out, OP_JMP, 2);
    out->target = pc + 2 + (uint64_t)(int64_t)(int8_t)b[1];
    return 1;
  }
  if (n >= 2 && b[0] >= 0x70 && b[0] <= 0x7f) {
    emulate_as(out, OP_JCC, 2);
    out->reg = (uint8_t)(b[0] & 0xf);
    out->target = pc + 2 + (uint64_t)(int64_t)(int8_t)b[1];
    return 1;
  }
  if (n >= 6 && b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f) {
    memcpy(&rel32, b + 2, 4);
    emulate_as(out, OP_JCC, 6);
    out->reg = (uint8_t)(b[1] & 0xf);
    out->target = pc + 6 + (uint64_t)(int64_t)rel32;
    return 1;
  }
  if (b[0] == 0xc3) return emulate_as(out, OP_RET, 1), 1;
  if (n >= 3 && b[0] == 0xc2) {
    emulate_as(out, OP_RET, 3);
    out->imm = (uint16_t)(b[1] | b[2] << 8);
    return 1;
  }
  return 0;
}

void arch_plan_insn(const uint8_t *insn, size_t avail, uint64_t pc, arch_plan *out) {
  memset(out, 0, sizeof *out);
  out->kind = ARCH_PLAN_STEP;
  out->disp_off = -1;
  if (avail > ARCH_MAX_INSN_LEN) avail = ARCH_MAX_INSN_LEN;
  memcpy(out->insn, insn, avail);
  if (avail == 0) return;
  ZydisDecoder dec;
  ZydisDecodedInstruction ins;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
      ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, insn, avail, &ins, ops)))
    return; /* not an instruction we know: the CPU will say (single-step) */
  out->len = ins.length;
  if (plan_by_bytes(insn, ins.length, pc, out)) return;
  switch (ins.meta.category) {
  case ZYDIS_CATEGORY_CALL:    /* would push the copy's address */
  case ZYDIS_CATEGORY_COND_BR: /* loop/jrcxz and prefixed forms */
  case ZYDIS_CATEGORY_UNCOND_BR:
  case ZYDIS_CATEGORY_RET:
  case ZYDIS_CATEGORY_SYSTEM:
  case ZYDIS_CATEGORY_INTERRUPT:
  case ZYDIS_CATEGORY_SYSCALL: return;
  default: break;
  }
  if ((ins.attributes & ZYDIS_ATTRIB_IS_RELATIVE) && ins.raw.disp.size == 0) return;
  for (int i = 0; i < ins.operand_count; i++) {
    if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[i].mem.base == ZYDIS_REGISTER_RIP) {
      if (ins.raw.disp.size != 32) return;
      out->disp_off = ins.raw.disp.offset;
      out->disp_target = pc + ins.length + (uint64_t)ins.raw.disp.value;
    }
  }
  out->kind = ARCH_PLAN_DISPLACE;
}

int arch_displace(const arch_plan *pl, uint64_t pc, uint64_t slot, uint8_t *out) {
  memcpy(out, pl->insn, pl->len);
  if (pl->disp_off >= 0) {
    int64_t disp = (int64_t)(pl->disp_target - (slot + pl->len));
    if (disp > INT32_MAX || disp < INT32_MIN) return -1;
    int32_t d32 = (int32_t)disp;
    memcpy(out + pl->disp_off, &d32, 4);
  }
  /* jmp *0(%rip), then the absolute address to return to */
  static const uint8_t jmp_abs[] = {0xff, 0x25, 0, 0, 0, 0};
  memcpy(out + pl->len, jmp_abs, sizeof jmp_abs);
  uint64_t back = pc + pl->len;
  memcpy(out + pl->len + sizeof jmp_abs, &back, 8);
  return pl->len + (int)sizeof jmp_abs + 8;
}

static int condition(uint8_t cc, uint64_t fl) {
  int cf = fl & 1, pf = fl >> 2 & 1, zf = fl >> 6 & 1, sf = fl >> 7 & 1, of = fl >> 11 & 1;
  int r;
  switch (cc >> 1) {
  case 0: r = of; break;
  case 1: r = cf; break;
  case 2: r = zf; break;
  case 3: r = cf || zf; break;
  case 4: r = sf; break;
  case 5: r = pf; break;
  case 6: r = sf != of; break;
  default: r = zf || sf != of; break;
  }
  return (cc & 1) ? !r : r;
}

int arch_emulate(const arch_plan *pl, uint64_t pc, arch_regs *r, const arch_mem *m) {
  uint64_t v;
  switch (pl->op) {
  case OP_NOP: r->rip = pc + pl->len; return 0;
  case OP_MOV_RSP_RBP:
    r->rbp = r->rsp;
    r->rip = pc + pl->len;
    return 0;
  case OP_PUSH:
    v = *gpr(r, pl->reg); /* push %rsp pushes the old value */
    if (m->write(m->ctx, r->rsp - 8, &v, 8) < 0) return -1;
    r->rsp -= 8;
    r->rip = pc + pl->len;
    return 0;
  case OP_CALL:
    v = pc + pl->len;
    if (m->write(m->ctx, r->rsp - 8, &v, 8) < 0) return -1;
    r->rsp -= 8;
    r->rip = pl->target;
    return 0;
  case OP_JMP: r->rip = pl->target; return 0;
  case OP_JCC: r->rip = condition(pl->reg, r->eflags) ? pl->target : pc + pl->len; return 0;
  case OP_RET:
    if (m->read(m->ctx, r->rsp, &v, 8) < 0) return -1;
    r->rsp += 8 + pl->imm;
    r->rip = v;
    return 0;
  default: return -1;
  }
}
