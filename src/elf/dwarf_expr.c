/* dwarf_expr.c: the DWARF expression stack machine, location descriptions
 * and their pieces, the typed stack of DWARF 5 (floats in registers).
 * Pure: every fact about the program comes from the caller's callbacks. */
#include "dwarf_expr.h"

#include <dwarf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define STACK_MAX 64

typedef struct {
  uint64_t v; /* the value's bits, zero-extended from its size */
  lt_dwtype t;
} entry;

typedef struct {
  entry st[STACK_MAX];
  int sp;
  char *err;
  size_t errlen;
} machine;

static int fail(machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(machine *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->err, m->errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static int push(machine *m, uint64_t v, lt_dwtype t) {
  if (m->sp == STACK_MAX) return fail(m, "DWARF expression: stack overflow");
  m->st[m->sp].v = v;
  m->st[m->sp].t = t;
  m->sp++;
  return 0;
}

static const lt_dwtype generic = {0, 0};

static int pop(machine *m, entry *e) {
  if (m->sp == 0) return fail(m, "DWARF expression: stack underflow");
  *e = m->st[--m->sp];
  return 0;
}

static bool is_float(lt_dwtype t) { return t.encoding == DW_ATE_float && (t.size == 4 || t.size == 8); }
static bool is_signed(lt_dwtype t) {
  return t.size == 0 || t.encoding == DW_ATE_signed || t.encoding == DW_ATE_signed_char;
}

static uint64_t mask_to(uint64_t v, uint8_t size) {
  return size == 0 || size >= 8 ? v : v & ((UINT64_C(1) << (8 * size)) - 1);
}

static int64_t as_signed(entry e) {
  uint8_t size = e.t.size;
  if (size == 0 || size >= 8) return (int64_t)e.v;
  uint64_t sign = UINT64_C(1) << (8 * size - 1);
  return (int64_t)((mask_to(e.v, size) ^ sign) - sign);
}

static double as_double(entry e) {
  if (e.t.size == 4) {
    float f;
    uint32_t b = (uint32_t)e.v;
    memcpy(&f, &b, 4);
    return f;
  }
  double d;
  memcpy(&d, &e.v, 8);
  return d;
}

static uint64_t from_double(double d, uint8_t size) {
  if (size == 4) {
    float f = (float)d;
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
  }
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}

/* DW_OP_convert: the top of the stack as another base type. */
static uint64_t convert(entry e, lt_dwtype to) {
  if (is_float(e.t) && !is_float(to)) {
    double d = as_double(e);
    return mask_to(is_signed(to) ? (uint64_t)(int64_t)d : (uint64_t)d, to.size);
  }
  if (!is_float(e.t) && is_float(to))
    return from_double(is_signed(e.t) ? (double)as_signed(e) : (double)e.v, to.size);
  if (is_float(e.t) && is_float(to)) return from_double(as_double(e), to.size);
  return mask_to(is_signed(e.t) ? (uint64_t)as_signed(e) : e.v, to.size);
}

static int arith(machine *m, int atom) {
  entry b = {0, {0, 0}}, a = b;
  if (pop(m, &b) < 0 || pop(m, &a) < 0) return -1;
  lt_dwtype t = a.t;
  if (is_float(t) && is_float(b.t)) {
    double x = as_double(a), y = as_double(b), r;
    switch (atom) {
    case DW_OP_plus: r = x + y; break;
    case DW_OP_minus: r = x - y; break;
    case DW_OP_mul: r = x * y; break;
    case DW_OP_div: r = x / y; break;
    case DW_OP_eq: return push(m, x == y, generic);
    case DW_OP_ne: return push(m, x != y, generic);
    case DW_OP_lt: return push(m, x < y, generic);
    case DW_OP_gt: return push(m, x > y, generic);
    case DW_OP_le: return push(m, x <= y, generic);
    case DW_OP_ge: return push(m, x >= y, generic);
    default: return fail(m, "DWARF expression: operation 0x%x on floating-point values", atom);
    }
    return push(m, from_double(r, t.size), t);
  }
  uint64_t x = a.v, y = b.v, r;
  int64_t sx = as_signed(a), sy = as_signed(b);
  bool sgn = is_signed(t);
  switch (atom) {
  case DW_OP_and: r = x & y; break;
  case DW_OP_or: r = x | y; break;
  case DW_OP_xor: r = x ^ y; break;
  case DW_OP_plus: r = x + y; break;
  case DW_OP_minus: r = x - y; break;
  case DW_OP_mul: r = x * y; break;
  case DW_OP_div:
    if (y == 0) return fail(m, "DWARF expression: division by zero");
    if (sgn && !(sx == INT64_MIN && sy == -1))
      r = (uint64_t)(sx / sy);
    else
      r = x / y;
    break;
  case DW_OP_mod:
    if (y == 0) return fail(m, "DWARF expression: division by zero");
    r = x % y; /* unsigned on the generic type, as gdb */
    break;
  case DW_OP_shl: r = y >= 64 ? 0 : x << y; break;
  case DW_OP_shr: r = y >= 64 ? 0 : mask_to(x, t.size) >> y; break;
  case DW_OP_shra: /* arithmetic: the sign fills in (without shifting a signed value) */
    r = y >= 64 ? (sx < 0 ? ~0ull : 0) : sx < 0 ? ~(~(uint64_t)sx >> y) : (uint64_t)sx >> y;
    break;
  case DW_OP_eq: return push(m, sgn ? sx == sy : x == y, generic);
  case DW_OP_ne: return push(m, sgn ? sx != sy : x != y, generic);
  case DW_OP_lt: return push(m, sgn ? sx < sy : x < y, generic);
  case DW_OP_gt: return push(m, sgn ? sx > sy : x > y, generic);
  case DW_OP_le: return push(m, sgn ? sx <= sy : x <= y, generic);
  case DW_OP_ge: return push(m, sgn ? sx >= sy : x >= y, generic);
  default: return fail(m, "DWARF expression: unknown operation 0x%x", atom);
  }
  return push(m, mask_to(r, t.size), t);
}

static int read_reg(machine *m, const lt_dwexpr_ctx *c, int regno, uint64_t *v) {
  uint8_t buf[16] = {0};
  size_t len = sizeof buf;
  if (!c->reg || c->reg(c->ud, regno, buf, &len, m->err, m->errlen) < 0) {
    if (!c->reg) fail(m, "DWARF expression: no registers here");
    return -1;
  }
  memcpy(v, buf, 8);
  return 0;
}

static int read_mem(machine *m, const lt_dwexpr_ctx *c, uint64_t addr, size_t size, uint64_t *v) {
  if (size > 8) return fail(m, "DWARF expression: dereference of %zu bytes", size);
  *v = 0;
  if (!c->mem) return fail(m, "DWARF expression: no memory here");
  return c->mem(c->ud, addr, v, size, m->err, m->errlen);
}

static int base_type(machine *m, const lt_dwexpr_ctx *c, const Dwarf_Op *op, uint64_t off, lt_dwtype *t) {
  if (off == 0) { /* the generic type */
    *t = generic;
    return 0;
  }
  if (!c->base_type) return fail(m, "DWARF expression: typed operation without types");
  if (c->base_type(c->ud, op, off, t, m->err, m->errlen) < 0) return -1;
  if (t->size > 8) return fail(m, "DWARF expression: a %u-byte base type on the stack", t->size);
  return 0;
}

/* The index of the operation at byte offset `off`, or -1. */
static long op_at(const Dwarf_Op *ops, size_t n, uint64_t off) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ops[mid].offset == off) return (long)mid;
    if (ops[mid].offset < off)
      lo = mid + 1;
    else
      hi = mid;
  }
  /* past the last operation: the end of the expression (its length is
   * not kept by libdw) */
  return n == 0 || off > ops[n - 1].offset ? (long)n : -1;
}

/* What the operations before a piece (or the end) located. */
typedef enum { PEND_NONE, PEND_REG, PEND_STACK_VALUE, PEND_IMPLICIT, PEND_IMPLICIT_PTR } pending_kind;

typedef struct {
  pending_kind kind;
  int regno;
  const uint8_t *data;
  size_t len;
  uint64_t die;
  int64_t offset;
} pending;

static int close_piece(machine *m, pending *pd, lt_dwloc *out, uint64_t bits, uint64_t bit_offset,
                       bool whole) {
  if (out->npieces == LT_DWEXPR_MAX_PIECES) return fail(m, "DWARF expression: too many pieces");
  lt_piece *pc = &out->pieces[out->npieces];
  memset(pc, 0, sizeof *pc);
  pc->bits = whole ? 0 : bits;
  pc->bit_offset = bit_offset;
  switch (pd->kind) {
  case PEND_REG:
    pc->kind = LT_PIECE_REGISTER;
    pc->regno = pd->regno;
    break;
  case PEND_STACK_VALUE: {
    entry e = {0, {0, 0}};
    if (pop(m, &e) < 0) return -1;
    pc->kind = LT_PIECE_VALUE;
    memcpy(pc->value, &e.v, 8);
    pc->value_size = e.t.size ? e.t.size : 8;
    break;
  }
  case PEND_IMPLICIT:
    pc->kind = LT_PIECE_IMPLICIT;
    pc->data = pd->data;
    pc->len = pd->len;
    break;
  case PEND_IMPLICIT_PTR:
    pc->kind = LT_PIECE_IMPLICIT_POINTER;
    pc->die = pd->die;
    pc->offset = pd->offset;
    break;
  case PEND_NONE:
    if (m->sp == 0) {
      pc->kind = LT_PIECE_EMPTY;
    } else {
      entry e;
      pop(m, &e);
      pc->kind = LT_PIECE_MEMORY;
      pc->addr = e.v;
    }
    break;
  }
  out->npieces++;
  pd->kind = PEND_NONE;
  m->sp = 0; /* each piece has its own expression */
  return 0;
}

static int run(machine *m, const Dwarf_Op *ops, size_t n, const lt_dwexpr_ctx *c, lt_dwloc *out) {
  pending pd = {PEND_NONE, 0, NULL, 0, 0, 0};
  size_t steps = 0;
  for (size_t i = 0; i < n; i++) {
    if (++steps > 100000) return fail(m, "DWARF expression: does not terminate");
    const Dwarf_Op *op = &ops[i];
    uint8_t atom = op->atom;
    if (pd.kind != PEND_NONE && atom != DW_OP_piece && atom != DW_OP_bit_piece)
      return fail(m, "DWARF expression: operation 0x%x after a location", atom);
    entry a = {0, {0, 0}}, b = a, cc = a;
    uint64_t v;
    lt_dwtype t;
    switch (atom) {
    case DW_OP_addr:
      if (push(m, op->number + c->bias, generic) < 0) return -1;
      break;
    case DW_OP_addrx:
    case DW_OP_GNU_addr_index:
    case DW_OP_constx:
    case DW_OP_GNU_const_index:
      if (!c->addrx) return fail(m, "DWARF expression: no .debug_addr here");
      if (c->addrx(c->ud, op, &v, m->err, m->errlen) < 0) return -1;
      if (atom == DW_OP_addrx || atom == DW_OP_GNU_addr_index) v += c->bias;
      if (push(m, v, generic) < 0) return -1;
      break;
    case DW_OP_deref:
    case DW_OP_deref_size:
    case DW_OP_deref_type:
    case DW_OP_GNU_deref_type: {
      size_t size = atom == DW_OP_deref ? 8 : (size_t)op->number;
      t = generic;
      if ((atom == DW_OP_deref_type || atom == DW_OP_GNU_deref_type) &&
          base_type(m, c, op, op->number2, &t) < 0)
        return -1;
      if (pop(m, &a) < 0 || read_mem(m, c, a.v, size, &v) < 0 || push(m, v, t) < 0) return -1;
      break;
    }
    case DW_OP_const1u:
    case DW_OP_const2u:
    case DW_OP_const4u:
    case DW_OP_const8u:
    case DW_OP_const1s:
    case DW_OP_const2s:
    case DW_OP_const4s:
    case DW_OP_const8s:
    case DW_OP_constu:
    case DW_OP_consts:
      if (push(m, op->number, generic) < 0) return -1;
      break;
    case DW_OP_dup:
      if (m->sp < 1) return fail(m, "DWARF expression: stack underflow");
      if (push(m, m->st[m->sp - 1].v, m->st[m->sp - 1].t) < 0) return -1;
      break;
    case DW_OP_drop:
      if (pop(m, &a) < 0) return -1;
      break;
    case DW_OP_over:
    case DW_OP_pick: {
      uint64_t k = atom == DW_OP_over ? 1 : op->number;
      if (k >= (uint64_t)m->sp) return fail(m, "DWARF expression: stack underflow");
      entry e = m->st[m->sp - 1 - (int)k];
      if (push(m, e.v, e.t) < 0) return -1;
      break;
    }
    case DW_OP_swap:
      if (pop(m, &a) < 0 || pop(m, &b) < 0) return -1;
      push(m, a.v, a.t);
      push(m, b.v, b.t);
      break;
    case DW_OP_rot: /* top three: a b c (c top) -> c a b */
      if (pop(m, &cc) < 0 || pop(m, &b) < 0 || pop(m, &a) < 0) return -1;
      push(m, cc.v, cc.t);
      push(m, a.v, a.t);
      push(m, b.v, b.t);
      break;
    case DW_OP_abs:
    case DW_OP_neg:
    case DW_OP_not:
      if (pop(m, &a) < 0) return -1;
      if (is_float(a.t)) {
        double d = as_double(a);
        if (atom == DW_OP_not) return fail(m, "DWARF expression: DW_OP_not on a floating-point value");
        d = atom == DW_OP_neg ? -d : (d < 0 ? -d : d);
        v = from_double(d, a.t.size);
      } else if (atom == DW_OP_not) {
        v = mask_to(~a.v, a.t.size);
      } else {
        int64_t s = as_signed(a);
        v = mask_to(atom == DW_OP_neg || s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s, a.t.size);
        if (atom == DW_OP_abs && s >= 0) v = a.v;
      }
      if (push(m, v, a.t) < 0) return -1;
      break;
    case DW_OP_plus_uconst:
      if (pop(m, &a) < 0 || push(m, mask_to(a.v + op->number, a.t.size), a.t) < 0) return -1;
      break;
    case DW_OP_and:
    case DW_OP_div:
    case DW_OP_minus:
    case DW_OP_mod:
    case DW_OP_mul:
    case DW_OP_or:
    case DW_OP_plus:
    case DW_OP_shl:
    case DW_OP_shr:
    case DW_OP_shra:
    case DW_OP_xor:
    case DW_OP_eq:
    case DW_OP_ge:
    case DW_OP_gt:
    case DW_OP_le:
    case DW_OP_lt:
    case DW_OP_ne:
      if (arith(m, atom) < 0) return -1;
      break;
    case DW_OP_skip:
    case DW_OP_bra: {
      if (atom == DW_OP_bra) {
        if (pop(m, &a) < 0) return -1;
        if (a.v == 0) break;
      }
      /* libdw keeps the signed 2-byte offset, counted from the next op */
      uint64_t target = op->offset + 3 + (uint64_t)(int64_t)(int16_t)op->number;
      long j = op_at(ops, n, target);
      if (j < 0)
        return fail(m, "DWARF expression: branch to offset %llu, not an operation",
                    (unsigned long long)target);
      i = (size_t)j - 1; /* the loop's i++ lands on it */
      break;
    }
    case DW_OP_nop:
    case DW_OP_GNU_uninit: break;
    case DW_OP_regx:
    case DW_OP_reg0 ... DW_OP_reg31:
      pd.kind = PEND_REG;
      pd.regno = atom == DW_OP_regx ? (int)op->number : atom - DW_OP_reg0;
      break;
    case DW_OP_bregx:
    case DW_OP_breg0 ... DW_OP_breg31: {
      int regno = atom == DW_OP_bregx ? (int)op->number : atom - DW_OP_breg0;
      int64_t off = (int64_t)(atom == DW_OP_bregx ? op->number2 : op->number);
      if (read_reg(m, c, regno, &v) < 0 || push(m, v + (uint64_t)off, generic) < 0) return -1;
      break;
    }
    case DW_OP_lit0 ... DW_OP_lit31:
      if (push(m, (uint64_t)(atom - DW_OP_lit0), generic) < 0) return -1;
      break;
    case DW_OP_fbreg:
      if (!c->frame_base) return fail(m, "DWARF expression: no frame base here");
      if (c->frame_base(c->ud, &v, m->err, m->errlen) < 0) return -1;
      if (push(m, v + op->number, generic) < 0) return -1;
      break;
    case DW_OP_call_frame_cfa:
      if (!c->cfa) return fail(m, "DWARF expression: no call frame information here");
      if (c->cfa(c->ud, &v, m->err, m->errlen) < 0 || push(m, v, generic) < 0) return -1;
      break;
    case DW_OP_stack_value:
      pd.kind = PEND_STACK_VALUE;
      if (m->sp == 0) return fail(m, "DWARF expression: DW_OP_stack_value on an empty stack");
      break;
    case DW_OP_implicit_value:
      if (!c->block) return fail(m, "DWARF expression: no implicit values here");
      if (c->block(c->ud, op, &pd.data, &pd.len, m->err, m->errlen) < 0) return -1;
      pd.kind = PEND_IMPLICIT;
      break;
    case DW_OP_implicit_pointer:
    case DW_OP_GNU_implicit_pointer:
      pd.kind = PEND_IMPLICIT_PTR;
      pd.die = op->number;
      pd.offset = (int64_t)op->number2;
      break;
    case DW_OP_piece:
    case DW_OP_bit_piece:
      if (!out) return fail(m, "DWARF expression: a piece in a value expression");
      if (close_piece(m, &pd, out, atom == DW_OP_piece ? op->number * 8 : op->number,
                      atom == DW_OP_bit_piece ? op->number2 : 0, false) < 0)
        return -1;
      break;
    case DW_OP_entry_value:
    case DW_OP_GNU_entry_value:
      if (!c->entry_value) return fail(m, "DWARF expression: no entry values here");
      if (c->entry_value(c->ud, op, &v, m->err, m->errlen) < 0 || push(m, v, generic) < 0) return -1;
      break;
    case DW_OP_GNU_parameter_ref:
      if (!c->param_ref) return fail(m, "DWARF expression: no parameter references here");
      if (c->param_ref(c->ud, op, &v, m->err, m->errlen) < 0 || push(m, v, generic) < 0) return -1;
      break;
    case DW_OP_regval_type:
    case DW_OP_GNU_regval_type:
      if (base_type(m, c, op, op->number2, &t) < 0 || read_reg(m, c, (int)op->number, &v) < 0 ||
          push(m, mask_to(v, t.size), t) < 0)
        return -1;
      break;
    case DW_OP_const_type:
    case DW_OP_GNU_const_type: {
      const uint8_t *data;
      size_t len;
      if (base_type(m, c, op, op->number, &t) < 0) return -1;
      if (!c->block) return fail(m, "DWARF expression: no constants here");
      if (c->block(c->ud, op, &data, &len, m->err, m->errlen) < 0) return -1;
      if (len > 8) return fail(m, "DWARF expression: a %zu-byte typed constant", len);
      v = 0;
      memcpy(&v, data, len);
      if (push(m, v, t) < 0) return -1;
      break;
    }
    case DW_OP_convert:
    case DW_OP_GNU_convert:
    case DW_OP_reinterpret:
    case DW_OP_GNU_reinterpret:
      if (base_type(m, c, op, op->number, &t) < 0 || pop(m, &a) < 0) return -1;
      v = atom == DW_OP_convert || atom == DW_OP_GNU_convert ? convert(a, t) : mask_to(a.v, t.size);
      if (push(m, v, t) < 0) return -1;
      break;
    case DW_OP_form_tls_address:
    case DW_OP_GNU_push_tls_address:
      if (!c->tls) return fail(m, "DWARF expression: no thread-local storage here");
      if (pop(m, &a) < 0 || c->tls(c->ud, a.v, &v, m->err, m->errlen) < 0 || push(m, v, generic) < 0)
        return -1;
      break;
    default: return fail(m, "DWARF expression: operation 0x%x is not supported", atom);
    }
  }
  if (out) {
    if (out->npieces > 0) {
      if (pd.kind != PEND_NONE || m->sp > 0)
        return fail(m, "DWARF expression: a location after its last piece");
      return 0;
    }
    if (n == 0) return 0; /* empty: optimised out */
    return close_piece(m, &pd, out, 0, 0, true);
  }
  if (!out && pd.kind == PEND_REG) { /* a register holding the value */
    uint64_t v;
    if (read_reg(m, c, pd.regno, &v) < 0) return -1;
    return push(m, v, generic);
  }
  if (!out && pd.kind != PEND_NONE && pd.kind != PEND_STACK_VALUE)
    return fail(m, "DWARF expression: a location where a value was expected");
  return 0;
}

int lt_dwexpr_location(const Dwarf_Op *ops, size_t n, const lt_dwexpr_ctx *ctx, lt_dwloc *out, char *err,
                       size_t errlen) {
  machine m = {.sp = 0, .err = err, .errlen = errlen};
  out->npieces = 0;
  return run(&m, ops, n, ctx, out);
}

int lt_dwexpr_value(const Dwarf_Op *ops, size_t n, const lt_dwexpr_ctx *ctx, uint64_t *value, int push_first,
                    char *err, size_t errlen) {
  machine m = {.sp = 0, .err = err, .errlen = errlen};
  if (push_first) push(&m, *value, generic);
  if (run(&m, ops, n, ctx, NULL) < 0) return -1;
  if (m.sp == 0) return fail(&m, "DWARF expression: empty stack at its end");
  *value = m.st[m.sp - 1].v;
  return 0;
}
