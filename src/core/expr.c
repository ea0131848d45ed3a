/* expr.c: the probe expression language: a recursive-descent parser with
 * Lua's precedence (both Lua's and C's spellings of the operators) into
 * postfix operations, and their evaluation by the tracer with the
 * semantics the compiled code has (Lua's integer arithmetic). */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

typedef struct {
  const char *src;
  size_t pos;
  arch_xop *ops;
  size_t n, cap;
  int depth, max_depth; /* of the value stack */
  int nest;
  int labels;
  int reads;
  const lt_expr_args *args;
  char *err;
  size_t errlen;
  bool failed;
} parser;

static void fail_at(parser *ps, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail_at(parser *ps, size_t at, const char *fmt, ...) {
  if (ps->failed) return;
  ps->failed = true;
  int n = snprintf(ps->err, ps->errlen, "column %zu: ", at + 1);
  if (n < 0 || (size_t)n >= ps->errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
  va_end(ap);
}

/* The stack effect of each operation, for the depth bound. */
static int effect(uint8_t op) {
  switch (op) {
  case ARCH_X_CONST:
  case ARCH_X_REG:
  case ARCH_X_TID:
  case ARCH_X_PID: return 1;
  case ARCH_X_LOAD:
  case ARCH_X_SEXT:
  case ARCH_X_NEG:
  case ARCH_X_BNOT:
  case ARCH_X_NOT:
  case ARCH_X_BOOL:
  case ARCH_X_LABEL: return 0;
  case ARCH_X_JFALSE:
  case ARCH_X_JTRUE: return -1; /* on the way on; the jump keeps it */
  default: return -1;           /* binary */
  }
}

static void emit(parser *ps, uint8_t op, int64_t imm) {
  if (ps->failed) return;
  if (ps->n == LT_EXPR_MAX_OPS) {
    fail_at(ps, ps->pos, "expression too long (at most %d operations)", LT_EXPR_MAX_OPS);
    return;
  }
  if (ps->n == ps->cap) {
    size_t cap = ps->cap ? ps->cap * 2 : 16;
    arch_xop *o = realloc(ps->ops, cap * sizeof *o);
    if (!o) {
      fail_at(ps, ps->pos, "out of memory");
      return;
    }
    ps->ops = o;
    ps->cap = cap;
  }
  ps->ops[ps->n].op = op;
  ps->ops[ps->n++].imm = imm;
  ps->depth += effect(op);
  if (ps->depth > ps->max_depth) ps->max_depth = ps->depth;
  if (ps->depth > LT_EXPR_MAX_DEPTH) fail_at(ps, ps->pos, "expression too deep");
}

static void skip_space(parser *ps) {
  while (isspace((unsigned char)ps->src[ps->pos])) ps->pos++;
}

/* Is the next token `tok` (an operator, or a word as a whole word)? */
static bool peek(parser *ps, const char *tok) {
  skip_space(ps);
  size_t n = strlen(tok);
  if (strncmp(ps->src + ps->pos, tok, n) != 0) return false;
  if (isalpha((unsigned char)tok[0])) {
    char c = ps->src[ps->pos + n];
    return !(isalnum((unsigned char)c) || c == '_');
  }
  return true;
}

static bool accept(parser *ps, const char *tok) {
  if (!peek(ps, tok)) return false;
  ps->pos += strlen(tok);
  return true;
}

static void describe_next(parser *ps, char *buf, size_t len) {
  skip_space(ps);
  const char *s = ps->src + ps->pos;
  if (!*s) {
    snprintf(buf, len, "the end");
    return;
  }
  size_t n = 1;
  if (isalnum((unsigned char)*s) || *s == '_')
    while (isalnum((unsigned char)s[n]) || s[n] == '_') n++;
  snprintf(buf, len, "'%.*s'", (int)(n > 20 ? 20 : n), s);
}

static void expect(parser *ps, const char *tok, const char *what) {
  if (accept(ps, tok)) return;
  char got[32];
  describe_next(ps, got, sizeof got);
  fail_at(ps, ps->pos, "expected %s, found %s", what, got);
}

static void parse_or(parser *ps);

static void number(parser *ps) {
  const char *s = ps->src + ps->pos;
  size_t start = ps->pos;
  uint64_t v = 0;
  size_t i = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    i = 2;
    if (!isxdigit((unsigned char)s[i])) {
      fail_at(ps, start, "a hexadecimal number needs digits after 0x");
      return;
    }
    for (; isxdigit((unsigned char)s[i]); i++) { /* wraps, as Lua's hex literals do */
      int d = isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10);
      v = v << 4 | (uint64_t)d;
    }
  } else {
    for (; isdigit((unsigned char)s[i]); i++) {
      uint64_t d = (uint64_t)(s[i] - '0');
      if (v > (UINT64_C(9223372036854775807) - d) / 10) {
        fail_at(ps, start, "integer too large for 64 bits (write it in hex to wrap)");
        return;
      }
      v = v * 10 + d;
    }
  }
  if (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.') {
    fail_at(ps, start + i, "malformed number (integers only)");
    return;
  }
  ps->pos += i;
  emit(ps, ARCH_X_CONST, (int64_t)v);
}

static void argument(parser *ps, size_t at, int n) {
  arch_xop tmp[32];
  int k;
  char msg[160];
  if (ps->args && ps->args->arg) {
    k = ps->args->arg(ps->args->ud, n, tmp, 32, msg, sizeof msg);
  } else {
    k = 0;
    int reg = arch_arg_reg(n);
    if (reg >= 0) {
      tmp[0].op = ARCH_X_REG;
      tmp[0].imm = reg;
      k = 1;
    } else {
      snprintf(msg, sizeof msg, "no argument %d in a register", n);
      k = -1;
    }
  }
  if (k < 0) {
    fail_at(ps, at, "arg%d: %s", n, msg);
    return;
  }
  for (int i = 0; i < k; i++) {
    if (tmp[i].op == ARCH_X_LOAD) ps->reads = 1;
    emit(ps, tmp[i].op, tmp[i].imm);
  }
}

static void name(parser *ps) {
  size_t start = ps->pos;
  const char *s = ps->src + start;
  size_t n = 0;
  while (isalnum((unsigned char)s[n]) || s[n] == '_') n++;
  char word[32];
  if (n >= sizeof word) {
    fail_at(ps, start, "unknown name '%.*s'", (int)n, s);
    return;
  }
  memcpy(word, s, n);
  word[n] = 0;
  ps->pos += n;
  int size = !strcmp(word, "u8")    ? 1
             : !strcmp(word, "u16") ? 2
             : !strcmp(word, "u32") ? 4
             : !strcmp(word, "u64") ? 8
                                    : 0;
  if (size) {
    if (!accept(ps, "[")) {
      fail_at(ps, ps->pos, "%s reads memory: write %s[address]", word, word);
      return;
    }
    ps->nest++;
    parse_or(ps);
    ps->nest--;
    expect(ps, "]", "']'");
    emit(ps, ARCH_X_LOAD, size);
    ps->reads = 1;
    return;
  }
  if (!strncmp(word, "arg", 3) && word[3] >= '1' && word[3] <= '9' && !word[4]) {
    int k = word[3] - '0';
    if (k > 6) {
      fail_at(ps, start, "arg%d: the arguments are arg1 to arg6", k);
      return;
    }
    argument(ps, start, k);
    return;
  }
  if (!strcmp(word, "arg0")) {
    fail_at(ps, start, "arg0: arguments count from 1 here (bpftrace's arg0 is lutra's arg1)");
    return;
  }
  if (!strcmp(word, "tid")) {
    emit(ps, ARCH_X_TID, 0);
    return;
  }
  if (!strcmp(word, "pid")) {
    emit(ps, ARCH_X_PID, 0);
    return;
  }
  int reg = arch_reg_index(word);
  if (reg >= 0 && arch_expr_reg_ok(reg)) {
    emit(ps, ARCH_X_REG, reg);
    return;
  }
  if (reg >= 0) {
    fail_at(ps, start, "register %s cannot be read by a probe (the general registers, rsp and rip can)",
            word);
    return;
  }
  fail_at(ps, start, "unknown name '%s' (arg1..arg6, a register, tid, pid, u8[..] .. u64[..])", word);
}

static void primary(parser *ps) {
  skip_space(ps);
  char c = ps->src[ps->pos];
  if (isdigit((unsigned char)c)) {
    number(ps);
  } else if (isalpha((unsigned char)c) || c == '_') {
    name(ps);
  } else if (accept(ps, "(")) {
    ps->nest++;
    if (ps->nest > 32) {
      fail_at(ps, ps->pos, "expression too deeply nested");
      return;
    }
    parse_or(ps);
    ps->nest--;
    expect(ps, ")", "')'");
  } else {
    char got[32];
    describe_next(ps, got, sizeof got);
    fail_at(ps, ps->pos, "expected a value, found %s", got);
  }
}

static void unary(parser *ps) {
  if (ps->failed) return;
  uint8_t op;
  if (accept(ps, "not") || (peek(ps, "!") && !peek(ps, "!=") && accept(ps, "!")))
    op = ARCH_X_NOT;
  else if (accept(ps, "-"))
    op = ARCH_X_NEG;
  else if (peek(ps, "~") && !peek(ps, "~=") && accept(ps, "~"))
    op = ARCH_X_BNOT;
  else {
    primary(ps);
    return;
  }
  ps->nest++;
  if (ps->nest > 64) {
    fail_at(ps, ps->pos, "expression too deeply nested");
    return;
  }
  unary(ps);
  ps->nest--;
  emit(ps, op, 0);
}

typedef struct {
  const char *tok;
  uint8_t op;
} binop;

/* One level of left-associative binary operators. */
static bool level_op(parser *ps, const binop *ops, uint8_t *op) {
  for (const binop *b = ops; b->tok; b++) {
    /* "<" is not the start of "<<" or "<=", "~" not of "~=" */
    if (!peek(ps, b->tok)) continue;
    size_t n = strlen(b->tok);
    char next = ps->src[ps->pos + n];
    if (n == 1 && (b->tok[0] == '<' || b->tok[0] == '>') && (next == b->tok[0] || next == '=')) continue;
    if (n == 1 && (b->tok[0] == '~' || b->tok[0] == '!') && next == '=') continue;
    if (n == 1 && (b->tok[0] == '&' || b->tok[0] == '|') && next == b->tok[0]) continue;
    ps->pos += n;
    *op = b->op;
    return true;
  }
  return false;
}

static void mul(parser *ps) {
  static const binop ops[] = {{"*", ARCH_X_MUL}, {"/", ARCH_X_DIV}, {"%", ARCH_X_MOD}, {NULL, 0}};
  unary(ps);
  uint8_t op;
  while (!ps->failed && level_op(ps, ops, &op)) {
    unary(ps);
    emit(ps, op, 0);
  }
}

static void add(parser *ps) {
  static const binop ops[] = {{"+", ARCH_X_ADD}, {"-", ARCH_X_SUB}, {NULL, 0}};
  mul(ps);
  uint8_t op;
  while (!ps->failed && level_op(ps, ops, &op)) {
    mul(ps);
    emit(ps, op, 0);
  }
}

static void shift(parser *ps) {
  static const binop ops[] = {{"<<", ARCH_X_SHL}, {">>", ARCH_X_SHR}, {NULL, 0}};
  add(ps);
  uint8_t op;
  while (!ps->failed && level_op(ps, ops, &op)) {
    add(ps);
    emit(ps, op, 0);
  }
}

static void band(parser *ps) {
  static const binop ops[] = {{"&", ARCH_X_BAND}, {NULL, 0}};
  shift(ps);
  uint8_t op;
  while (!ps->failed && level_op(ps, ops, &op)) {
    shift(ps);
    emit(ps, op, 0);
  }
}

static void bxor(parser *ps) {
  static const binop ops[] = {{"~", ARCH_X_BXOR}, {NULL, 0}};
  band(ps);
  uint8_t op;
  while (!ps->failed && level_op(ps, ops, &op)) {
    band(ps);
    emit(ps, op, 0);
  }
}

static void bor(parser *ps) {
  static const binop ops[] = {{"|", ARCH_X_BOR}, {NULL, 0}};
  bxor(ps);
  uint8_t op;
  while (!ps->failed && level_op(ps, ops, &op)) {
    bxor(ps);
    emit(ps, op, 0);
  }
}

static void compare(parser *ps) {
  static const binop ops[] = {{"==", ARCH_X_EQ}, {"~=", ARCH_X_NE}, {"!=", ARCH_X_NE}, {"<=", ARCH_X_LE},
                              {">=", ARCH_X_GE}, {"<", ARCH_X_LT},  {">", ARCH_X_GT},  {NULL, 0}};
  bor(ps);
  uint8_t op;
  while (!ps->failed && level_op(ps, ops, &op)) {
    bor(ps);
    emit(ps, op, 0);
  }
}

/* a and b: a, JFALSE L, b, BOOL, L (the same shape for or with JTRUE) */
static void logic(parser *ps, void (*operand)(parser *), const char *word, const char *sym, uint8_t jump) {
  operand(ps);
  while (!ps->failed && (accept(ps, word) || accept(ps, sym))) {
    int l = ps->labels++;
    if (l >= 64) {
      fail_at(ps, ps->pos, "too many 'and'/'or' in one expression (at most 64)");
      return;
    }
    emit(ps, jump, l);
    operand(ps);
    emit(ps, ARCH_X_BOOL, 0);
    emit(ps, ARCH_X_LABEL, l);
  }
}

static void parse_and(parser *ps) { logic(ps, compare, "and", "&&", ARCH_X_JFALSE); }
static void parse_or(parser *ps) { logic(ps, parse_and, "or", "||", ARCH_X_JTRUE); }

int lt_expr_parse(const char *src, const lt_expr_args *args, lt_expr *out, char *err, size_t errlen) {
  parser ps;
  memset(&ps, 0, sizeof ps);
  ps.src = src;
  ps.args = args;
  ps.err = err;
  ps.errlen = errlen;
  memset(out, 0, sizeof *out);
  skip_space(&ps);
  if (!src[ps.pos]) {
    fail_at(&ps, ps.pos, "empty expression");
  } else {
    parse_or(&ps);
    skip_space(&ps);
    if (!ps.failed && src[ps.pos]) {
      char got[32];
      describe_next(&ps, got, sizeof got);
      fail_at(&ps, ps.pos, "expected an operator or the end, found %s", got);
    }
  }
  if (ps.failed) {
    free(ps.ops);
    return -1;
  }
  out->ops = ps.ops;
  out->n = ps.n;
  out->reads_memory = ps.reads;
  return 0;
}

void lt_expr_free(lt_expr *e) {
  free(e->ops);
  e->ops = NULL;
  e->n = 0;
}

/* ---- evaluation by the tracer: the compiled code's semantics ---------- */

static int64_t shift_left(int64_t x, int64_t n) {
  if (n <= -64 || n >= 64) return 0;
  if (n >= 0) return (int64_t)((uint64_t)x << n);
  return (int64_t)((uint64_t)x >> -n);
}

static int64_t floor_div(int64_t a, int64_t b) {
  if (b == -1) return (int64_t)(0 - (uint64_t)a);
  int64_t q = a / b;
  if (a % b != 0 && ((a % b) ^ b) < 0) q--;
  return q;
}

static int64_t floor_mod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && (r ^ b) < 0) r += b;
  return r;
}

static size_t label_at(const lt_expr *e, int64_t l) {
  for (size_t i = 0; i < e->n; i++)
    if (e->ops[i].op == ARCH_X_LABEL && e->ops[i].imm == l) return i;
  return e->n;
}

int lt_expr_eval(const lt_expr *e, const lt_expr_env *env, int64_t *value) {
  int64_t st[LT_EXPR_MAX_DEPTH + 2];
  int sp = 0;
  *value = 0;
  for (size_t i = 0; i < e->n; i++) {
    const arch_xop *o = &e->ops[i];
    int64_t a, b;
    switch ((arch_xop_kind)o->op) {
    case ARCH_X_CONST: st[sp++] = o->imm; break;
    case ARCH_X_REG:
      st[sp++] = o->imm == 16 ? (int64_t)env->pc : (int64_t)arch_reg_get(env->regs, (int)o->imm);
      break;
    case ARCH_X_TID: st[sp++] = env->tid; break;
    case ARCH_X_PID: st[sp++] = env->pid; break;
    case ARCH_X_LOAD: {
      uint64_t v = 0;
      uint64_t addr = (uint64_t)st[sp - 1];
      if (addr < 4096 || env->read(env->ctx, addr, &v, (size_t)o->imm) < 0) return 0;
      st[sp - 1] = (int64_t)v; /* little-endian: the low bytes, zero-extended */
      break;
    }
    case ARCH_X_SEXT: {
      unsigned bits = 8u * (unsigned)o->imm;
      if (bits < 64) {
        uint64_t v = (uint64_t)st[sp - 1] & ((UINT64_C(1) << bits) - 1);
        if (v >> (bits - 1) & 1) v |= ~((UINT64_C(1) << bits) - 1);
        st[sp - 1] = (int64_t)v;
      }
      break;
    }
    case ARCH_X_NEG: st[sp - 1] = (int64_t)(0 - (uint64_t)st[sp - 1]); break;
    case ARCH_X_BNOT: st[sp - 1] = ~st[sp - 1]; break;
    case ARCH_X_NOT: st[sp - 1] = st[sp - 1] == 0; break;
    case ARCH_X_BOOL: st[sp - 1] = st[sp - 1] != 0; break;
    case ARCH_X_JFALSE:
      if (st[sp - 1] == 0)
        i = label_at(e, o->imm);
      else
        sp--;
      break;
    case ARCH_X_JTRUE:
      if (st[sp - 1] != 0) {
        st[sp - 1] = 1;
        i = label_at(e, o->imm);
      } else {
        sp--;
      }
      break;
    case ARCH_X_LABEL: break;
    default:
      b = st[--sp];
      a = st[sp - 1];
      switch ((arch_xop_kind)o->op) {
      case ARCH_X_ADD: a = (int64_t)((uint64_t)a + (uint64_t)b); break;
      case ARCH_X_SUB: a = (int64_t)((uint64_t)a - (uint64_t)b); break;
      case ARCH_X_MUL: a = (int64_t)((uint64_t)a * (uint64_t)b); break;
      case ARCH_X_DIV:
        if (b == 0) return 0;
        a = floor_div(a, b);
        break;
      case ARCH_X_MOD:
        if (b == 0) return 0;
        a = floor_mod(a, b);
        break;
      case ARCH_X_BAND: a &= b; break;
      case ARCH_X_BOR: a |= b; break;
      case ARCH_X_BXOR: a ^= b; break;
      case ARCH_X_SHL: a = shift_left(a, b); break;
      case ARCH_X_SHR: a = shift_left(a, b == INT64_MIN ? INT64_MIN : -b); break;
      case ARCH_X_EQ: a = a == b; break;
      case ARCH_X_NE: a = a != b; break;
      case ARCH_X_LT: a = a < b; break;
      case ARCH_X_LE: a = a <= b; break;
      case ARCH_X_GT: a = a > b; break;
      case ARCH_X_GE: a = a >= b; break;
      default: return 0;
      }
      st[sp - 1] = a;
      break;
    }
  }
  *value = sp > 0 ? st[sp - 1] : 0;
  return 1;
}
