/* x86_64_reloc.c: making room for a probe's jump: which instructions at a
 * function's start move into the trampoline and how they are relocated
 * there (RIP-relative operands re-based, short branches widened, a call
 * only as the last one), and the scan of the whole function that tells
 * whether a jump may go there at all. Zydis decodes. */
#include <Zydis/Zydis.h>
#include <stdbool.h>
#include <string.h>

#include "arch.h"
#include "x86_64_probe.h"

enum {
  RK_PLAIN, /* copied, its RIP-relative displacement (if any) re-based */
  RK_JMP,   /* jmp rel8/rel32: a jmp rel32 to the same target */
  RK_JCC,   /* jcc rel8/rel32: a jcc rel32; the condition in the high bits */
  RK_CALL,  /* call rel32: a call to the same target */
};

static int decode(const uint8_t *code, size_t avail, ZydisDecodedInstruction *ins,
                  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT]) {
  ZydisDecoder dec;
  if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) return -1;
  return ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, code, avail, ins, ops)) ? -1 : 0;
}

/* The absolute target of a relative branch, or of a RIP-relative memory
 * operand; 0 when the instruction has neither. */
static int rel_target(const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops, uint64_t pc,
                      uint64_t *target, int *is_mem) {
  for (int i = 0; i < ins->operand_count_visible; i++) {
    const ZydisDecodedOperand *o = &ops[i];
    bool rel_imm = o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && o->imm.is_relative;
    bool rip_mem = o->type == ZYDIS_OPERAND_TYPE_MEMORY && o->mem.base == ZYDIS_REGISTER_RIP;
    if (!rel_imm && !rip_mem) continue;
    ZyanU64 abs;
    if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(ins, o, pc, &abs))) return 0;
    *target = abs;
    *is_mem = rip_mem;
    return 1;
  }
  return 0;
}

int arch_reloc_plan(const uint8_t *code, size_t avail, uint64_t site, arch_reloc *r, const char **why) {
  memset(r, 0, sizeof *r);
  size_t off = 0;
  while (off < ARCH_JUMP_LEN) {
    if (r->n == ARCH_RELOC_MAX || off >= avail) {
      *why = "the function is shorter than the jump";
      return -1;
    }
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (decode(code + off, avail - off, &ins, ops) < 0) {
      *why = off + ARCH_MAX_INSN_LEN > avail ? "the function is shorter than the jump"
                                             : "an instruction Zydis cannot decode";
      return -1;
    }
    arch_reloc_insn *ri = &r->insn[r->n];
    ri->off = (uint8_t)off;
    ri->len = ins.length;
    ri->kind = RK_PLAIN;
    ri->disp_off = -1;
    uint64_t pc = site + off, target = 0;
    int is_mem = 0;
    bool relative = rel_target(&ins, ops, pc, &target, &is_mem);
    bool last = off + ins.length >= ARCH_JUMP_LEN;
    bool terminal = false;
    switch (ins.meta.category) {
    case ZYDIS_CATEGORY_INTERRUPT:
      *why = ins.mnemonic == ZYDIS_MNEMONIC_INT3 ? "the program's own int3 among the first bytes"
                                                 : "an interrupt instruction among the first bytes";
      return -1;
    case ZYDIS_CATEGORY_UNCOND_BR:
      terminal = true;
      if (relative && !is_mem) ri->kind = RK_JMP;
      break;
    case ZYDIS_CATEGORY_COND_BR:
      if (ins.mnemonic == ZYDIS_MNEMONIC_JRCXZ || ins.mnemonic == ZYDIS_MNEMONIC_JECXZ ||
          ins.mnemonic == ZYDIS_MNEMONIC_LOOP || ins.mnemonic == ZYDIS_MNEMONIC_LOOPE ||
          ins.mnemonic == ZYDIS_MNEMONIC_LOOPNE) {
        *why = "a loop or jrcxz among the first bytes (no long form to relocate it to)";
        return -1;
      }
      /* jcc: the condition is the low nibble of its opcode (70+cc, 0F 80+cc) */
      ri->kind = (uint8_t)(RK_JCC | (ins.opcode & 0x0f) << 4);
      break;
    case ZYDIS_CATEGORY_CALL:
      /* Its return address must not point into the patched bytes: it may
       * only be the last instruction moved (it returns to the jump back). */
      if (!last) {
        *why = "a call among the first bytes that is not the last one displaced";
        return -1;
      }
      if (relative && !is_mem) ri->kind = RK_CALL;
      break;
    case ZYDIS_CATEGORY_RET: terminal = true; break;
    default:
      if (ins.mnemonic == ZYDIS_MNEMONIC_XBEGIN) {
        *why = "an xbegin among the first bytes";
        return -1;
      }
      break;
    }
    if (relative && !is_mem && ri->kind == RK_PLAIN) {
      *why = "a relative operand that cannot be relocated";
      return -1;
    }
    if (relative && is_mem) {
      if (ins.raw.disp.size != 32) {
        *why = "a RIP-relative operand without a 32-bit displacement";
        return -1;
      }
      ri->disp_off = (int8_t)ins.raw.disp.offset;
    }
    if (relative) ri->target = target;
    memcpy(r->orig + off, code + off, ins.length);
    off += ins.length;
    r->n++;
    if (terminal && off < ARCH_JUMP_LEN) {
      *why = "the function is shorter than the jump";
      return -1;
    }
  }
  r->len = (uint8_t)off;
  /* A branch among the moved instructions that lands among them again
   * would need the copy's address: not worth it, fall back. */
  for (int i = 0; i < r->n; i++) {
    const arch_reloc_insn *ri = &r->insn[i];
    if (ri->disp_off < 0 && ri->kind != RK_PLAIN && ri->target > site && ri->target < site + r->len) {
      *why = "a branch among the first bytes that lands among them";
      return -1;
    }
  }
  return 0;
}

int arch_scan_function(const uint8_t *code, size_t len, uint64_t start, uint64_t lo, uint64_t hi,
                       const char **why, uint64_t *where) {
  size_t off = 0;
  while (off < len) {
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    uint64_t pc = start + off;
    *where = pc;
    if (decode(code + off, len - off, &ins, ops) < 0) {
      *why = "an instruction of the function that Zydis cannot decode";
      return -1;
    }
    uint64_t target;
    int is_mem = 0;
    bool branch = ins.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
                  ins.meta.category == ZYDIS_CATEGORY_COND_BR || ins.meta.category == ZYDIS_CATEGORY_CALL ||
                  ins.mnemonic == ZYDIS_MNEMONIC_XBEGIN;
    if (branch && rel_target(&ins, ops, pc, &target, &is_mem) && !is_mem && target > lo && target < hi) {
      *why = "a branch of the function lands inside the patched bytes";
      return -1;
    }
    if (ins.meta.category == ZYDIS_CATEGORY_UNCOND_BR && !(ins.attributes & ZYDIS_ATTRIB_IS_RELATIVE)) {
      /* jmp *slot(%rip) is a tail call through the GOT; any other indirect
       * jump (a switch's table) could land anywhere */
      const ZydisDecodedOperand *o = &ops[0];
      bool got = o->type == ZYDIS_OPERAND_TYPE_MEMORY && o->mem.base == ZYDIS_REGISTER_RIP &&
                 o->mem.index == ZYDIS_REGISTER_NONE;
      if (!got) {
        *why = "an indirect jump in the function (a jump table could land anywhere)";
        return -1;
      }
    }
    off += ins.length;
  }
  return 0;
}

static int rel32(uint64_t from_end, uint64_t to, int32_t *out) {
  int64_t d = (int64_t)(to - from_end);
  if (d > INT32_MAX || d < INT32_MIN) return -1;
  *out = (int32_t)d;
  return 0;
}

int arch_jump(uint64_t site, uint64_t to, uint8_t out[ARCH_JUMP_LEN]) {
  int32_t d;
  if (rel32(site + 5, to, &d) < 0) return -1;
  out[0] = 0xe9;
  memcpy(out + 1, &d, 4);
  return 0;
}

/* The relocated instructions at `at` (the trampoline's x86_64_tramp.c
 * calls this), then the jump back to the instruction after them; a call
 * out of rel32 reach goes through a literal after that jump. Returns the
 * length, -1 with *why. offs[i]: each instruction's place in the copy. */
int x86_reloc_emit(const arch_reloc *r, uint64_t site, uint64_t at, uint8_t *out, size_t cap, uint32_t *offs,
                   const char **why) {
  size_t n = 0;
  struct {
    size_t disp_at; /* the disp32 of a call *lit(%rip) */
    uint64_t target;
  } lits[ARCH_RELOC_MAX];
  int nlits = 0;
  for (int i = 0; i < r->n; i++) {
    const arch_reloc_insn *ri = &r->insn[i];
    if (n + 16 > cap) goto full;
    offs[i] = (uint32_t)n;
    uint64_t here = at + n;
    int32_t d;
    uint8_t kind = ri->kind & 0x0f;
    if (kind == RK_PLAIN) {
      memcpy(out + n, r->orig + ri->off, ri->len);
      if (ri->disp_off >= 0) {
        if (rel32(here + ri->len, ri->target, &d) < 0) goto reach;
        memcpy(out + n + ri->disp_off, &d, 4);
      }
      n += ri->len;
    } else if (kind == RK_JMP) {
      if (rel32(here + 5, ri->target, &d) < 0) goto reach;
      out[n] = 0xe9;
      memcpy(out + n + 1, &d, 4);
      n += 5;
    } else if (kind == RK_JCC) {
      if (rel32(here + 6, ri->target, &d) < 0) goto reach;
      out[n] = 0x0f;
      out[n + 1] = (uint8_t)(0x80 | ri->kind >> 4);
      memcpy(out + n + 2, &d, 4);
      n += 6;
    } else { /* RK_CALL */
      if (rel32(here + 5, ri->target, &d) == 0) {
        out[n] = 0xe8;
        memcpy(out + n + 1, &d, 4);
        n += 5;
      } else { /* call *lit(%rip) */
        out[n] = 0xff;
        out[n + 1] = 0x15;
        lits[nlits].disp_at = n + 2;
        lits[nlits++].target = ri->target;
        n += 6;
      }
    }
  }
  if (n + 5 > cap) goto full;
  int32_t d;
  if (rel32(at + n + 5, site + r->len, &d) < 0) goto reach;
  out[n] = 0xe9;
  memcpy(out + n + 1, &d, 4);
  n += 5;
  for (int i = 0; i < nlits; i++) {
    if (n + 8 > cap) goto full;
    int32_t ld = (int32_t)(n - (lits[i].disp_at + 4));
    memcpy(out + lits[i].disp_at, &ld, 4);
    memcpy(out + n, &lits[i].target, 8);
    n += 8;
  }
  return (int)n;
full:
  *why = "the trampoline is too large";
  return -1;
reach:
  *why = "a displacement out of reach of the trampoline";
  return -1;
}
