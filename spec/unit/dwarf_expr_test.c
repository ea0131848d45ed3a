/* dwarf_expr_test.c: drives src/elf/dwarf_expr.c for dwarf_expr_spec.
 * Reads a machine state and expressions on stdin, one per line, prints
 * each result: `expr OPS` (a location) or `value OPS` (a value), where
 * OPS are operations by name with their operands (a branch names the
 * index of the operation it goes to; a block operand is hex bytes). */
#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/elf/dwarf_expr.h"

static const struct {
  const char *name;
  int atom;
} OPS[] = {
#define OP(n) {#n, n},
    OP(DW_OP_addr) OP(DW_OP_deref) OP(DW_OP_const1u) OP(DW_OP_const1s) OP(DW_OP_const2u) OP(DW_OP_const2s) OP(
        DW_OP_const4u) OP(DW_OP_const4s) OP(DW_OP_const8u) OP(DW_OP_const8s) OP(DW_OP_constu) OP(DW_OP_consts)
        OP(DW_OP_dup) OP(DW_OP_drop) OP(DW_OP_over) OP(DW_OP_pick) OP(DW_OP_swap) OP(DW_OP_rot) OP(DW_OP_abs)
            OP(DW_OP_and) OP(DW_OP_div) OP(DW_OP_minus) OP(DW_OP_mod) OP(DW_OP_mul) OP(DW_OP_neg) OP(
                DW_OP_not) OP(DW_OP_or) OP(DW_OP_plus) OP(DW_OP_plus_uconst) OP(DW_OP_shl) OP(DW_OP_shr)
                OP(DW_OP_shra) OP(DW_OP_xor) OP(DW_OP_bra) OP(DW_OP_eq) OP(DW_OP_ge) OP(DW_OP_gt) OP(DW_OP_le)
                    OP(DW_OP_lt) OP(DW_OP_ne) OP(DW_OP_skip) OP(DW_OP_regx) OP(DW_OP_fbreg) OP(DW_OP_bregx)
                        OP(DW_OP_piece) OP(DW_OP_deref_size) OP(DW_OP_nop) OP(DW_OP_call_frame_cfa)
                            OP(DW_OP_implicit_value) OP(DW_OP_stack_value) OP(DW_OP_implicit_pointer)
                                OP(DW_OP_GNU_implicit_pointer) OP(DW_OP_addrx) OP(DW_OP_constx)
                                    OP(DW_OP_entry_value) OP(DW_OP_GNU_entry_value) OP(DW_OP_const_type)
                                        OP(DW_OP_GNU_const_type) OP(DW_OP_regval_type)
                                            OP(DW_OP_GNU_regval_type) OP(DW_OP_deref_type)
                                                OP(DW_OP_GNU_deref_type) OP(DW_OP_convert)
                                                    OP(DW_OP_GNU_convert) OP(DW_OP_reinterpret)
                                                        OP(DW_OP_GNU_reinterpret) OP(DW_OP_GNU_parameter_ref)
                                                            OP(DW_OP_bit_piece) OP(DW_OP_form_tls_address)
                                                                OP(DW_OP_GNU_push_tls_address)
                                                                    OP(DW_OP_GNU_uninit) OP(DW_OP_call2)
#undef OP
};

#define MAXMEM 64
static struct {
  uint64_t addr;
  uint8_t byte;
} mem[MAXMEM * 8];
static size_t nmem;
static uint8_t regs[128][16];
static int reg_set[128];
static uint64_t fb, cfa, entry_val, param_val, tls_base;
static int have_fb, have_cfa, have_entry, have_param;
static struct {
  uint64_t off;
  lt_dwtype t;
} types[16];
static size_t ntypes;
static uint64_t addrx_vals[16];
static uint8_t blocks[64][32];
static size_t block_len[64];

static int c_reg(void *ud, int regno, uint8_t *buf, size_t *len, char *err, size_t errlen) {
  (void)ud;
  if (regno < 0 || regno >= 128 || !reg_set[regno]) {
    snprintf(err, errlen, "register %d is not known", regno);
    return -1;
  }
  memcpy(buf, regs[regno], 16);
  *len = 16;
  return 0;
}

static int c_mem(void *ud, uint64_t addr, void *buf, size_t len, char *err, size_t errlen) {
  (void)ud;
  for (size_t i = 0; i < len; i++) {
    size_t j = 0;
    while (j < nmem && mem[j].addr != addr + i) j++;
    if (j == nmem) {
      snprintf(err, errlen, "cannot access memory at 0x%llx", (unsigned long long)(addr + i));
      return -1;
    }
    ((uint8_t *)buf)[i] = mem[j].byte;
  }
  return 0;
}

static int c_fb(void *ud, uint64_t *out, char *err, size_t errlen) {
  (void)ud;
  if (!have_fb) return snprintf(err, errlen, "no frame base"), -1;
  *out = fb;
  return 0;
}

static int c_cfa(void *ud, uint64_t *out, char *err, size_t errlen) {
  (void)ud;
  if (!have_cfa) return snprintf(err, errlen, "no CFA"), -1;
  *out = cfa;
  return 0;
}

static int c_entry(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen) {
  (void)ud;
  (void)op;
  if (!have_entry) return snprintf(err, errlen, "entry value not recoverable"), -1;
  *out = entry_val;
  return 0;
}

static int c_param(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen) {
  (void)ud;
  (void)op;
  if (!have_param) return snprintf(err, errlen, "parameter not recoverable"), -1;
  *out = param_val;
  return 0;
}

static int c_type(void *ud, const Dwarf_Op *op, uint64_t off, lt_dwtype *t, char *err, size_t errlen) {
  (void)ud;
  (void)op;
  for (size_t i = 0; i < ntypes; i++)
    if (types[i].off == off) return *t = types[i].t, 0;
  snprintf(err, errlen, "no base type at 0x%llx", (unsigned long long)off);
  return -1;
}

static int c_block(void *ud, const Dwarf_Op *op, const uint8_t **data, size_t *len, char *err,
                   size_t errlen) {
  (void)ud;
  (void)err;
  (void)errlen;
  *data = blocks[op->offset / 10];
  *len = block_len[op->offset / 10];
  return 0;
}

static int c_addrx(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen) {
  (void)ud;
  if (op->number >= 16)
    return snprintf(err, errlen, "no .debug_addr entry %llu", (unsigned long long)op->number), -1;
  *out = addrx_vals[op->number];
  return 0;
}

static int c_tls(void *ud, uint64_t off, uint64_t *out, char *err, size_t errlen) {
  (void)ud;
  (void)err;
  (void)errlen;
  *out = tls_base + off;
  return 0;
}

/* DW_OP_regN, DW_OP_bregN, DW_OP_litN (N in 0..31), or -1. */
static int numbered(const char *s) {
  static const struct {
    const char *prefix;
    int base;
  } fam[] = {{"DW_OP_breg", DW_OP_breg0}, {"DW_OP_reg", DW_OP_reg0}, {"DW_OP_lit", DW_OP_lit0}};
  for (size_t f = 0; f < 3; f++) {
    size_t len = strlen(fam[f].prefix);
    if (strncmp(s, fam[f].prefix, len) == 0 && s[len] >= '0' && s[len] <= '9') {
      int n = atoi(s + len);
      return n <= 31 ? fam[f].base + n : -1;
    }
  }
  return -1;
}

static uint64_t num(const char *s) { return strtoull(s, NULL, 0); }
static uint64_t snum(const char *s) { return (uint64_t)strtoll(s, NULL, 0); }

static size_t hexbytes(const char *s, uint8_t *out, size_t max) {
  size_t n = 0;
  while (s[0] && s[1] && n < max) {
    unsigned b;
    sscanf(s, "%2x", &b);
    out[n++] = (uint8_t)b;
    s += 2;
  }
  return n;
}

static void print_loc(const lt_dwloc *loc) {
  if (loc->npieces == 0) printf("optimized out");
  for (int i = 0; i < loc->npieces; i++) {
    const lt_piece *p = &loc->pieces[i];
    if (i) printf(" | ");
    if (p->bits) printf("[%llu bits] ", (unsigned long long)p->bits);
    if (p->bit_offset) printf("[at bit %llu] ", (unsigned long long)p->bit_offset);
    switch (p->kind) {
    case LT_PIECE_MEMORY: printf("memory 0x%llx", (unsigned long long)p->addr); break;
    case LT_PIECE_REGISTER: printf("register %d", p->regno); break;
    case LT_PIECE_VALUE: {
      uint64_t v;
      memcpy(&v, p->value, 8);
      printf("value 0x%llx size %u", (unsigned long long)v, p->value_size);
      break;
    }
    case LT_PIECE_IMPLICIT:
      printf("implicit ");
      for (uint64_t k = 0; k < p->len; k++) printf("%02x", p->data[k]);
      break;
    case LT_PIECE_EMPTY: printf("empty"); break;
    case LT_PIECE_IMPLICIT_POINTER:
      printf("implicit_pointer 0x%llx%+lld", (unsigned long long)p->die, (long long)p->offset);
      break;
    }
  }
  printf("\n");
}

int main(void) {
  char line[4096];
  lt_dwexpr_ctx ctx = {NULL, c_reg, c_mem, c_fb, c_cfa, c_entry, c_param, c_type, c_block, c_addrx, c_tls, 0};
  while (fgets(line, sizeof line, stdin)) {
    char *tok[256];
    int nt = 0;
    for (char *s = strtok(line, " \t\n"); s && nt < 256; s = strtok(NULL, " \t\n")) tok[nt++] = s;
    if (nt == 0 || tok[0][0] == '#') continue;
    const char *cmd = tok[0];
    if (strcmp(cmd, "reg") == 0) {
      uint64_t v = num(tok[2]);
      memset(regs[num(tok[1])], 0, 16);
      memcpy(regs[num(tok[1])], &v, 8);
      reg_set[num(tok[1])] = 1;
    } else if (strcmp(cmd, "regd") == 0 || strcmp(cmd, "regf") == 0) {
      int r = (int)num(tok[1]);
      memset(regs[r], 0, 16);
      if (cmd[3] == 'd') {
        double d = strtod(tok[2], NULL);
        memcpy(regs[r], &d, 8);
      } else {
        float f = strtof(tok[2], NULL);
        memcpy(regs[r], &f, 4);
      }
      reg_set[r] = 1;
    } else if (strcmp(cmd, "mem") == 0) {
      uint64_t a = num(tok[1]), size = num(tok[2]), v = num(tok[3]);
      for (uint64_t i = 0; i < size && nmem < MAXMEM * 8; i++) {
        mem[nmem].addr = a + i;
        mem[nmem++].byte = (uint8_t)(v >> (8 * i));
      }
    } else if (strcmp(cmd, "fb") == 0) {
      fb = num(tok[1]);
      have_fb = 1;
    } else if (strcmp(cmd, "cfa") == 0) {
      cfa = num(tok[1]);
      have_cfa = 1;
    } else if (strcmp(cmd, "entry") == 0) {
      entry_val = num(tok[1]);
      have_entry = 1;
    } else if (strcmp(cmd, "param") == 0) {
      param_val = num(tok[1]);
      have_param = 1;
    } else if (strcmp(cmd, "type") == 0 && ntypes < 16) {
      types[ntypes].off = num(tok[1]);
      types[ntypes].t.size = (uint8_t)num(tok[2]);
      types[ntypes++].t.encoding = (uint8_t)num(tok[3]);
    } else if (strcmp(cmd, "addrx") == 0) {
      addrx_vals[num(tok[1]) % 16] = num(tok[2]);
    } else if (strcmp(cmd, "tls") == 0) {
      tls_base = num(tok[1]);
    } else if (strcmp(cmd, "bias") == 0) {
      ctx.bias = num(tok[1]);
    } else if (strcmp(cmd, "expr") == 0 || strcmp(cmd, "value") == 0) {
      Dwarf_Op ops[128];
      size_t n = 0;
      int bad = 0;
      /* operations are 10 bytes apart: a branch to index k goes to k*10 */
      for (int i = 1; i < nt && !bad; i++) {
        size_t k = 0;
        int atom = numbered(tok[i]);
        while (atom < 0 && k < sizeof OPS / sizeof OPS[0] && strcmp(OPS[k].name, tok[i]) != 0) k++;
        if (atom < 0 && k < sizeof OPS / sizeof OPS[0]) atom = OPS[k].atom;
        if (atom < 0) {
          printf("error: unknown operation %s\n", tok[i]);
          bad = 1;
          break;
        }
        Dwarf_Op *op = &ops[n];
        memset(op, 0, sizeof *op);
        op->atom = (uint8_t)atom;
        op->offset = n * 10;
        int a = op->atom;
        int nargs = 0;
        switch (a) {
        case DW_OP_bregx:
        case DW_OP_bit_piece:
        case DW_OP_implicit_pointer:
        case DW_OP_GNU_implicit_pointer:
        case DW_OP_regval_type:
        case DW_OP_GNU_regval_type:
        case DW_OP_deref_type:
        case DW_OP_GNU_deref_type: nargs = 2; break;
        case DW_OP_const_type:
        case DW_OP_GNU_const_type:
          nargs = 2; /* type, hex bytes */
          break;
        case DW_OP_addr:
        case DW_OP_const1u:
        case DW_OP_const1s:
        case DW_OP_const2u:
        case DW_OP_const2s:
        case DW_OP_const4u:
        case DW_OP_const4s:
        case DW_OP_const8u:
        case DW_OP_const8s:
        case DW_OP_constu:
        case DW_OP_consts:
        case DW_OP_pick:
        case DW_OP_plus_uconst:
        case DW_OP_bra:
        case DW_OP_skip:
        case DW_OP_regx:
        case DW_OP_fbreg:
        case DW_OP_piece:
        case DW_OP_deref_size:
        case DW_OP_implicit_value:
        case DW_OP_addrx:
        case DW_OP_constx:
        case DW_OP_convert:
        case DW_OP_GNU_convert:
        case DW_OP_reinterpret:
        case DW_OP_GNU_reinterpret:
        case DW_OP_GNU_parameter_ref:
        case DW_OP_entry_value:
        case DW_OP_GNU_entry_value:
        case DW_OP_call2: nargs = 1; break;
        default:
          if (a >= DW_OP_breg0 && a <= DW_OP_breg31) nargs = 1;
        }
        if (i + nargs >= nt) {
          printf("error: %s needs %d operands\n", tok[i], nargs);
          bad = 1;
          break;
        }
        if (a == DW_OP_implicit_value) {
          block_len[n] = hexbytes(tok[i + 1], blocks[n], 32);
          op->number = block_len[n];
        } else if (a == DW_OP_const_type || a == DW_OP_GNU_const_type) {
          op->number = num(tok[i + 1]);
          block_len[n] = hexbytes(tok[i + 2], blocks[n], 32);
        } else if (a == DW_OP_bra || a == DW_OP_skip) {
          int64_t target = (int64_t)num(tok[i + 1]) * 10;
          op->number = (uint64_t)(int64_t)(int16_t)(target - (int64_t)(op->offset + 3));
        } else {
          if (nargs >= 1) op->number = snum(tok[i + 1]);
          if (nargs >= 2) op->number2 = snum(tok[i + 2]);
        }
        i += nargs;
        n++;
      }
      if (bad) continue;
      char err[256] = "";
      if (cmd[0] == 'e') {
        lt_dwloc loc;
        if (lt_dwexpr_location(ops, n, &ctx, &loc, err, sizeof err) < 0)
          printf("error: %s\n", err);
        else
          print_loc(&loc);
      } else {
        uint64_t v = 0;
        if (lt_dwexpr_value(ops, n, &ctx, &v, 0, err, sizeof err) < 0)
          printf("error: %s\n", err);
        else
          printf("= 0x%llx\n", (unsigned long long)v);
      }
    } else {
      printf("error: unknown command %s\n", cmd);
    }
    fflush(stdout);
  }
  return 0;
}
