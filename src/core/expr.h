/* expr.h: the expressions of probes that do not stop the program
 * (docs/API.md): parsed into the postfix operations of arch.h, which the
 * trampoline runs compiled and the tracer evaluates at a stop (the trap
 * fallback). Plain C, no Lua: usable from C. */
#ifndef LUTRA_EXPR_H
#define LUTRA_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "../arch/arch.h"

#define LT_EXPR_MAX_OPS 256
#define LT_EXPR_MAX_DEPTH 48

typedef struct {
  arch_xop *ops;
  size_t n;
  int reads_memory; /* u8[..] .. u64[..] */
} lt_expr;

/* How `argN` is read where the probe is: appends the operations that push
 * argument n (1-based) to out (at most max) and returns how many, or -1
 * with a message in err (no such argument). NULL: the C ABI's registers. */
typedef struct {
  int (*arg)(void *ud, int n, arch_xop *out, size_t max, char *err, size_t errlen);
  void *ud;
} lt_expr_args;

/* Parses src. 0, or -1 with err holding "column N: what is wrong". */
int lt_expr_parse(const char *src, const lt_expr_args *args, lt_expr *out, char *err, size_t errlen);
void lt_expr_free(lt_expr *e);

/* What an expression reads when the tracer evaluates it at a stop. */
typedef struct {
  const arch_regs *regs;
  uint64_t pc; /* rip as the expression sees it: the function's address */
  int64_t tid, pid;
  int (*read)(void *ctx, uint64_t addr, void *buf, size_t len); /* 0, or -1: a fault */
  void *ctx;
} lt_expr_env;

/* 1 with *value; 0 when a read faulted or a division by zero: the whole
 * expression is false (its value is then 0). */
int lt_expr_eval(const lt_expr *e, const lt_expr_env *env, int64_t *value);

#endif
