/* x86_64_go.c: Go's ABIInternal on amd64 (the integer argument registers,
 * the g register) and the stack-check prologue Go's compiler puts at the
 * start of a function, recognised with Zydis (cmd/internal/obj/x86/obj6.go). */
#include <Zydis/Zydis.h>
#include <string.h>

#include "arch.h"

int arch_go_arg(const arch_regs *r, int n, uint64_t *v) {
  switch (n) {
  case 1: *v = r->rax; return 1;
  case 2: *v = r->rbx; return 1;
  case 3: *v = r->rcx; return 1;
  case 4: *v = r->rdi; return 1;
  case 5: *v = r->rsi; return 1;
  case 6: *v = r->r8; return 1;
  case 7: *v = r->r9; return 1;
  case 8: *v = r->r10; return 1;
  case 9: *v = r->r11; return 1;
  default: return 0;
  }
}

uint64_t arch_go_g(const arch_regs *r) { return r->r14; }

static int is_reg(const ZydisDecodedOperand *o, ZydisRegister r) {
  return o->type == ZYDIS_OPERAND_TYPE_REGISTER && o->reg.value == r;
}

/* [g + 16]: g.stackguard0, with g in r14 (ABIInternal) or in the register
 * loaded from thread-local storage (ABI0, Go before 1.17). */
static int is_stackguard(const ZydisDecodedOperand *o, ZydisRegister g) {
  return o->type == ZYDIS_OPERAND_TYPE_MEMORY && o->mem.base == g && o->mem.index == ZYDIS_REGISTER_NONE &&
         o->mem.disp.value == 16 && o->mem.segment != ZYDIS_REGISTER_FS;
}

/* The forms, by frame size (obj6.go's stacksplit):
 *   small: cmp rsp, [g+16]; jbe more
 *   large: lea tmp, [rsp-N]; cmp tmp, [g+16]; jbe more
 *   huge:  mov tmp, rsp; sub tmp, N; jb more; cmp tmp, [g+16]; jbe more
 * each optionally preceded by `mov g, fs:[...]` when g is not in r14. */
size_t arch_go_prologue(const uint8_t *code, size_t avail) {
  ZydisDecoder dec;
  if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) return 0;
  ZydisRegister g = ZYDIS_REGISTER_R14, tmp = ZYDIS_REGISTER_RSP;
  size_t off = 0;
  int compared = 0;
  for (int i = 0; i < 6 && off < avail; i++) {
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, code + off, avail - off, &ins, ops))) return 0;
    off += ins.length;
    switch (ins.mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
      if (i == 0 && ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[1].mem.segment == ZYDIS_REGISTER_FS &&
          ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
        g = ops[0].reg.value;
        continue;
      }
      if (!compared && is_reg(&ops[1], ZYDIS_REGISTER_RSP) && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
        tmp = ops[0].reg.value;
        continue;
      }
      return 0;
    case ZYDIS_MNEMONIC_SUB:
      if (!compared && tmp != ZYDIS_REGISTER_RSP && is_reg(&ops[0], tmp) &&
          ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
        continue;
      return 0;
    case ZYDIS_MNEMONIC_LEA:
      if (!compared && ops[1].mem.base == ZYDIS_REGISTER_RSP && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
        tmp = ops[0].reg.value;
        continue;
      }
      return 0;
    case ZYDIS_MNEMONIC_JB: /* the huge form's wrap-around check */
      if (!compared && tmp != ZYDIS_REGISTER_RSP) continue;
      return 0;
    case ZYDIS_MNEMONIC_CMP:
      if (!compared && is_reg(&ops[0], tmp) && is_stackguard(&ops[1], g)) {
        compared = 1;
        continue;
      }
      return 0;
    case ZYDIS_MNEMONIC_JBE: return compared ? off : 0;
    default: return 0;
    }
  }
  return 0;
}
