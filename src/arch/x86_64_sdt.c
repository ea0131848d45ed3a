/* x86_64_sdt.c: the assembler operands of SystemTap SDT probe arguments
 * (AT&T syntax, as GCC prints them into .note.stapsdt): registers of any
 * width, memory operands, immediates, symbol(%rip). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"

typedef struct {
  const char *name;
  const char *full; /* the 64-bit register it is part of */
  int shift;
} subreg;

static const subreg subregs[] = {
    {"eax", "rax", 0}, {"ebx", "rbx", 0}, {"ecx", "rcx", 0}, {"edx", "rdx", 0}, {"esi", "rsi", 0},
    {"edi", "rdi", 0}, {"ebp", "rbp", 0}, {"esp", "rsp", 0}, {"ax", "rax", 0},  {"bx", "rbx", 0},
    {"cx", "rcx", 0},  {"dx", "rdx", 0},  {"si", "rsi", 0},  {"di", "rdi", 0},  {"bp", "rbp", 0},
    {"sp", "rsp", 0},  {"al", "rax", 0},  {"bl", "rbx", 0},  {"cl", "rcx", 0},  {"dl", "rdx", 0},
    {"sil", "rsi", 0}, {"dil", "rdi", 0}, {"bpl", "rbp", 0}, {"spl", "rsp", 0}, {"ah", "rax", 8},
    {"bh", "rbx", 8},  {"ch", "rcx", 8},  {"dh", "rdx", 8},
};

/* "%r9d" -> index of r9; -1 when unknown. */
static int reg_named(const char *s, size_t len, int *shift) {
  char name[8];
  *shift = 0;
  if (len < 2 || len > 5 || s[0] != '%') return -1;
  memcpy(name, s + 1, len - 1);
  name[len - 1] = 0;
  int idx = arch_reg_index(name);
  if (idx >= 0) return idx;
  for (size_t i = 0; i < sizeof subregs / sizeof subregs[0]; i++)
    if (strcmp(name, subregs[i].name) == 0) {
      *shift = subregs[i].shift;
      return arch_reg_index(subregs[i].full);
    }
  /* r8d, r8w, r8b, r8l */
  size_t n = strlen(name);
  if (name[0] == 'r' && n >= 3 && strchr("dwbl", name[n - 1])) {
    name[n - 1] = 0;
    return isdigit((unsigned char)name[1]) ? arch_reg_index(name) : -1;
  }
  return -1;
}

/* A decimal or 0x number, optionally signed; the end in *end. */
static int number(const char *s, const char *lim, int64_t *v, const char **end) {
  char buf[32];
  size_t n = (size_t)(lim - s);
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *e;
  errno = 0;
  long long x = strtoll(buf, &e, 0);
  if (e == buf || errno) {
    /* 0xffffffffffffffff and friends do not fit a signed long long */
    errno = 0;
    unsigned long long u = strtoull(buf, &e, 0);
    if (e == buf || errno) return -1;
    x = (long long)u;
  }
  *v = x;
  *end = s + (e - buf);
  return 0;
}

static int parse_mem(const char *s, const char *lim, arch_sdt_operand *op) {
  op->kind = ARCH_SDT_MEM;
  op->reg = op->index = -1;
  op->scale = 1;
  const char *paren = memchr(s, '(', (size_t)(lim - s));
  const char *dend = paren ? paren : lim;
  /* the displacement: a number, or a symbol with an optional +/-number */
  if (dend > s) {
    if (isdigit((unsigned char)*s) || *s == '-' || *s == '+') {
      const char *e;
      if (number(s, dend, &op->disp, &e) < 0 || e != dend) return -1;
    } else {
      const char *q = s;
      while (q < dend && *q != '+' && *q != '-') q++;
      if ((size_t)(q - s) >= sizeof op->sym) return -1;
      memcpy(op->sym, s, (size_t)(q - s));
      op->sym[q - s] = 0;
      if (q < dend) {
        const char *e;
        if (number(q, dend, &op->disp, &e) < 0 || e != dend) return -1;
      }
    }
  }
  if (!paren) return op->sym[0] || dend > s ? 0 : -1;
  if (lim[-1] != ')') return -1;
  const char *in = paren + 1, *close = lim - 1;
  const char *c1 = memchr(in, ',', (size_t)(close - in));
  const char *bend = c1 ? c1 : close;
  int shift;
  if (bend > in) {
    if ((size_t)(bend - in) == 4 && memcmp(in, "%rip", 4) == 0) {
      op->rip = 1;
      return op->sym[0] && !c1 ? 0 : -1; /* only sym(%rip) means something at a probe */
    }
    if ((op->reg = reg_named(in, (size_t)(bend - in), &shift)) < 0 || shift) return -1;
  }
  if (!c1) return 0;
  const char *is = c1 + 1;
  const char *c2 = memchr(is, ',', (size_t)(close - is));
  const char *iend = c2 ? c2 : close;
  if ((op->index = reg_named(is, (size_t)(iend - is), &shift)) < 0 || shift) return -1;
  if (c2) {
    int64_t sc;
    const char *e;
    if (number(c2 + 1, close, &sc, &e) < 0 || e != close) return -1;
    if (sc != 1 && sc != 2 && sc != 4 && sc != 8) return -1;
    op->scale = (int)sc;
  }
  return 0;
}

int arch_sdt_parse(const char *s, size_t len, arch_sdt_operand *op) {
  memset(op, 0, sizeof *op);
  const char *lim = s + len;
  if (len == 0) return -1;
  if (s[0] == '%') {
    op->kind = ARCH_SDT_REG;
    op->reg = reg_named(s, len, &op->shift);
    return op->reg < 0 ? -1 : 0;
  }
  if (s[0] == '$') {
    const char *e;
    op->kind = ARCH_SDT_IMM;
    if (number(s + 1, lim, &op->disp, &e) < 0 || e != lim) return -1;
    return 0;
  }
  return parse_mem(s, lim, op);
}

uint64_t arch_sdt_value(const arch_regs *r, const arch_sdt_operand *op) {
  switch (op->kind) {
  case ARCH_SDT_REG: return arch_reg_get(r, op->reg) >> op->shift;
  case ARCH_SDT_MEM: {
    uint64_t a = (uint64_t)op->disp;
    if (op->reg >= 0) a += arch_reg_get(r, op->reg);
    if (op->index >= 0) a += arch_reg_get(r, op->index) * (uint64_t)op->scale;
    return a;
  }
  default: return (uint64_t)op->disp;
  }
}
