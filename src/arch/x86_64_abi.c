/* x86_64_abi.c: the System V AMD64 psABI as lutra needs it for typed
 * values: DWARF register numbers, xmm registers, and where arguments and
 * return values are, by the classification of their eightbytes. */
#include <stddef.h>
#include <string.h>

#include "arch.h"

/* DWARF numbers 0..16 of the psABI (figure 3.36) as user_regs_struct fields. */
static const size_t gp_offsets[17] = {
    offsetof(arch_regs, rax), offsetof(arch_regs, rdx), offsetof(arch_regs, rcx), offsetof(arch_regs, rbx),
    offsetof(arch_regs, rsi), offsetof(arch_regs, rdi), offsetof(arch_regs, rbp), offsetof(arch_regs, rsp),
    offsetof(arch_regs, r8),  offsetof(arch_regs, r9),  offsetof(arch_regs, r10), offsetof(arch_regs, r11),
    offsetof(arch_regs, r12), offsetof(arch_regs, r13), offsetof(arch_regs, r14), offsetof(arch_regs, r15),
    offsetof(arch_regs, rip)};

void arch_xmm_get(const arch_fpregs *f, int n, uint8_t out[16]) {
  memcpy(out, (const uint8_t *)f->xmm_space + 16 * n, 16);
}

void arch_xmm_set(arch_fpregs *f, int n, const uint8_t in[16]) {
  memcpy((uint8_t *)f->xmm_space + 16 * n, in, 16);
}

int arch_dwarf_reg_is_fp(int regno) { return regno >= 17 && regno <= 40; }

size_t arch_dwarf_reg(const arch_regs *r, const arch_fpregs *f, int regno, uint8_t out[16]) {
  memset(out, 0, 16);
  if (regno >= 0 && regno <= 16) {
    memcpy(out, (const char *)r + gp_offsets[regno], 8);
    return 8;
  }
  if (regno >= 17 && regno <= 32) {
    if (!f) return 0;
    arch_xmm_get(f, regno - 17, out);
    return 16;
  }
  if (regno >= 33 && regno <= 40) { /* st0..st7, in stack order in FXSAVE */
    if (!f) return 0;
    memcpy(out, (const uint8_t *)f->st_space + 16 * (regno - 33), 10);
    return 10;
  }
  if (regno == 49) {
    memcpy(out, &r->eflags, 8);
    return 8;
  }
  static const size_t seg[6] = {offsetof(arch_regs, es), offsetof(arch_regs, cs), offsetof(arch_regs, ss),
                                offsetof(arch_regs, ds), offsetof(arch_regs, fs), offsetof(arch_regs, gs)};
  if (regno >= 50 && regno <= 55) {
    memcpy(out, (const char *)r + seg[regno - 50], 8);
    return 8;
  }
  if (regno == 58 || regno == 59) {
    memcpy(out, regno == 58 ? &r->fs_base : &r->gs_base, 8);
    return 8;
  }
  return 0;
}

static const int int_regs[6] = {5, 4, 1, 2, 8, 9}; /* rdi rsi rdx rcx r8 r9 */
enum { C_NONE, C_INTEGER, C_SSE, C_MEMORY };

/* The classes of the (at most two) eightbytes; 0 when it goes in memory. */
static int classify(uint64_t size, const arch_scalar *sc, size_t n, int cls[2]) {
  cls[0] = cls[1] = C_NONE;
  if (size == 0 || size > 16) return 0;
  for (size_t i = 0; i < n; i++) {
    if (sc[i].kind == ARCH_SCALAR_X87) return 0;
    if (sc[i].offset % (sc[i].size ? sc[i].size : 1) != 0 && sc[i].size <= 8)
      return 0; /* unaligned (packed) */
    for (uint64_t b = sc[i].offset / 8; b <= (sc[i].offset + (sc[i].size ? sc[i].size : 1) - 1) / 8 && b < 2;
         b++) {
      int c = sc[i].kind == ARCH_SCALAR_FLOAT ? C_SSE : C_INTEGER;
      if (cls[b] == C_NONE || c == C_INTEGER) cls[b] = c;
    }
  }
  for (int b = 0; b < 2; b++)
    if (cls[b] == C_NONE && (uint64_t)b * 8 < size) cls[b] = C_SSE; /* padding only: as gcc */
  return 1;
}

void arch_args_begin(arch_argstate *s, int hidden_return) {
  s->nint = hidden_return ? 1 : 0;
  s->nsse = 0;
  s->stack = 0;
}

static void on_stack(arch_argstate *s, uint64_t size, arch_argloc *out, int align16) {
  if (align16) s->stack = (s->stack + 15) & ~(uint64_t)15;
  out->in_memory = 1;
  out->stack_offset = 8 + s->stack; /* [sp] is the return address */
  s->stack += (size + 7) & ~(uint64_t)7;
}

void arch_arg_place(arch_argstate *s, uint64_t size, const arch_scalar *sc, size_t n, int by_reference,
                    arch_argloc *out) {
  memset(out, 0, sizeof *out);
  if (by_reference) {
    out->indirect = 1;
    if (s->nint < 6) {
      out->npieces = 1;
      out->piece[0].dwreg = int_regs[s->nint++];
      out->piece[0].size = 8;
    } else {
      on_stack(s, 8, out, 0);
    }
    return;
  }
  int cls[2];
  int align16 = 0;
  for (size_t i = 0; i < n; i++)
    if (sc[i].size == 16 || sc[i].kind == ARCH_SCALAR_X87) align16 = 1;
  if (!classify(size, sc, n, cls)) {
    on_stack(s, size, out, align16);
    return;
  }
  int need_int = 0, need_sse = 0, words = size > 8 ? 2 : 1;
  for (int b = 0; b < words; b++) {
    if (cls[b] == C_INTEGER)
      need_int++;
    else
      need_sse++;
  }
  if (s->nint + need_int > 6 || s->nsse + need_sse > 8) {
    on_stack(s, size, out, align16);
    return;
  }
  for (int b = 0; b < words; b++) {
    out->piece[b].offset = (uint32_t)(8 * b);
    out->piece[b].size = (uint32_t)(size - 8 * (uint64_t)b > 8 ? 8 : size - 8 * (uint64_t)b);
    out->piece[b].dwreg = cls[b] == C_INTEGER ? int_regs[s->nint++] : 17 + s->nsse++;
  }
  out->npieces = words;
}

void arch_return_place(uint64_t size, const arch_scalar *sc, size_t n, int by_reference, arch_argloc *out) {
  memset(out, 0, sizeof *out);
  int cls[2];
  if (n == 1 && sc[0].kind == ARCH_SCALAR_X87 && !by_reference) { /* long double: st0 */
    out->npieces = 1;
    out->piece[0].dwreg = 33;
    out->piece[0].size = 10;
    return;
  }
  if (by_reference || !classify(size, sc, n, cls)) {
    out->indirect = 1; /* the caller's buffer, whose address comes back in rax */
    out->npieces = 1;
    out->piece[0].dwreg = 0;
    out->piece[0].size = 8;
    return;
  }
  int ni = 0, ns = 0, words = size > 8 ? 2 : 1;
  static const int ret_int[2] = {0, 1}; /* rax rdx */
  for (int b = 0; b < words; b++) {
    out->piece[b].offset = (uint32_t)(8 * b);
    out->piece[b].size = (uint32_t)(size - 8 * (uint64_t)b > 8 ? 8 : size - 8 * (uint64_t)b);
    out->piece[b].dwreg = cls[b] == C_INTEGER ? ret_int[ni++] : 17 + ns++;
  }
  out->npieces = words;
}

int arch_float_arg_reg(int n) { return n >= 1 && n <= 8 ? 17 + n - 1 : -1; }
