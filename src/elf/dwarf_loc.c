/* dwarf_loc.c: frames for the expression evaluator: registers of the stop
 * or of a caller unwound by CFI, the frame base, the CFA, entry values read
 * from the caller's DW_TAG_call_site, and pieces gathered into bytes. */
#include "dwarf_loc.h"

#include <dwarf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UNWIND 4

typedef struct {
  lt_dwframe *fr;
  Dwarf_Attribute *attr; /* the attribute the operations came from */
  const lt_dwfunc *fn;   /* the frame's function (frame base), or NULL */
  int unrecoverable;     /* an entry value failed: optimised out, not an error */
} evctx;

static int failf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int failf(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

void lt_dwframe_init(lt_dwframe *fr, const lt_dwenv *env, lt_dwvars *vars, uint64_t bias, uint64_t pc) {
  memset(fr, 0, sizeof *fr);
  fr->env = env;
  fr->vars = vars;
  fr->bias = bias;
  fr->pc = pc;
}

void lt_dwframe_set_reg(lt_dwframe *fr, int regno, const void *bytes, size_t size) {
  if (regno < 0 || regno >= LT_DWREGS || size == 0) return;
  if (size > 16) size = 16;
  memset(fr->regs[regno], 0, 16);
  memcpy(fr->regs[regno], bytes, size);
  fr->reg_size[regno] = (uint8_t)size;
}

void lt_dwframe_release(lt_dwframe *fr) {
  lt_dwframe *up = fr->up;
  fr->up = NULL;
  while (up) {
    lt_dwframe *n = up->up;
    free(up);
    up = n;
  }
}

/* The file address to look code up at. */
static uint64_t code_pc(const lt_dwframe *fr) { return fr->pc - fr->bias - (fr->caller ? 1 : 0); }

static int eval_location(lt_dwframe *fr, const Dwarf_Op *ops, size_t n, Dwarf_Attribute *attr,
                         const lt_dwfunc *fn, lt_dwloc *loc, int *unrecoverable, char *err, size_t errlen);
static int eval_value(lt_dwframe *fr, const Dwarf_Op *ops, size_t n, Dwarf_Attribute *attr,
                      const lt_dwfunc *fn, uint64_t *v, char *err, size_t errlen);
static lt_dwframe *unwind(lt_dwframe *fr, char *err, size_t errlen);

static int c_reg(void *ud, int regno, uint8_t *buf, size_t *len, char *err, size_t errlen) {
  evctx *ec = ud;
  if (regno < 0 || regno >= LT_DWREGS || !ec->fr->reg_size[regno])
    return failf(err, errlen, "register %d is not known in this frame", regno);
  memcpy(buf, ec->fr->regs[regno], 16);
  *len = ec->fr->reg_size[regno];
  return 0;
}

static int c_mem(void *ud, uint64_t addr, void *buf, size_t len, char *err, size_t errlen) {
  evctx *ec = ud;
  return ec->fr->env->mem(ec->fr->env->ud, addr, buf, len, err, errlen);
}

static int frame_cfa(lt_dwframe *fr, uint64_t *out, char *err, size_t errlen) {
  if (fr->cfa_state == 0) {
    fr->cfa_state = -1;
    Dwarf_Frame *frame = NULL;
    Dwarf_Op *ops;
    size_t n;
    if (lt_dwfile_cfa_frame(lt_dwvars_file(fr->vars), code_pc(fr), &frame) == 0 &&
        dwarf_frame_cfa(frame, &ops, &n) == 0 && n > 0) {
      uint64_t v;
      if (eval_value(fr, ops, n, NULL, NULL, &v, err, errlen) == 0) {
        fr->cfa = v;
        fr->cfa_state = 1;
      }
    } else {
      failf(err, errlen, "no call frame information at 0x%llx", (unsigned long long)fr->pc);
    }
    free(frame);
  }
  if (fr->cfa_state < 0) {
    if (!err[0]) failf(err, errlen, "no call frame information at 0x%llx", (unsigned long long)fr->pc);
    return -1;
  }
  *out = fr->cfa;
  return 0;
}

static int c_cfa(void *ud, uint64_t *out, char *err, size_t errlen) {
  evctx *ec = ud;
  return frame_cfa(ec->fr, out, err, errlen);
}

static int c_frame_base(void *ud, uint64_t *out, char *err, size_t errlen) {
  evctx *ec = ud;
  if (!ec->fn) return failf(err, errlen, "a frame base outside a function");
  Dwarf_Attribute fb;
  Dwarf_Die fd = ec->fn->frame_die;
  if (!dwarf_attr(&fd, DW_AT_frame_base, &fb)) return failf(err, errlen, "the function has no frame base");
  Dwarf_Op *ops;
  size_t n;
  int k = dwarf_getlocation_addr(&fb, code_pc(ec->fr), &ops, &n, 1);
  if (k <= 0) return failf(err, errlen, "no frame base at 0x%llx", (unsigned long long)ec->fr->pc);
  lt_dwloc loc;
  int unrec = 0;
  if (eval_location(ec->fr, ops, n, &fb, NULL, &loc, &unrec, err, errlen) < 0) return -1;
  if (loc.npieces != 1) return failf(err, errlen, "a frame base in pieces");
  const lt_piece *p = &loc.pieces[0];
  if (p->kind == LT_PIECE_MEMORY) {
    *out = p->addr;
  } else if (p->kind == LT_PIECE_REGISTER) {
    uint8_t buf[16];
    size_t len;
    if (c_reg(ec, p->regno, buf, &len, err, errlen) < 0) return -1;
    memcpy(out, buf, 8);
  } else if (p->kind == LT_PIECE_VALUE) {
    memcpy(out, p->value, 8);
  } else {
    return failf(err, errlen, "an unusable frame base");
  }
  return 0;
}

/* The register a DW_OP_entry_value's sub-expression names, or -1. */
static int entry_register(const Dwarf_Op *ops, size_t n) {
  if (n != 1) return -1;
  int a = ops[0].atom;
  if (a >= DW_OP_reg0 && a <= DW_OP_reg31) return a - DW_OP_reg0;
  if (a == DW_OP_regx || a == DW_OP_regval_type || a == DW_OP_GNU_regval_type) return (int)ops[0].number;
  return -1;
}

static uint64_t frame_entry(const lt_dwfunc *fn) { return fn ? fn->frame_entry : 0; }

/* The value the caller passed: the DW_TAG_call_site_parameter of the call
 * that made this frame whose location is register `regno` (or that names
 * parameter DIE `param`), its DW_AT_call_value evaluated in the caller. */
static int from_call_site(evctx *ec, int regno, void *param, uint64_t *out, char *err, size_t errlen) {
  lt_dwframe *up = unwind(ec->fr, err, errlen);
  if (!up) return -1;
  Dwarf_Die site, child;
  if (!lt_dwvars_call_site(up->vars, up->pc - up->bias, &site))
    return failf(err, errlen, "no call site information in the caller at 0x%llx", (unsigned long long)up->pc);
  if (dwarf_child(&site, &child) != 0) return failf(err, errlen, "the call site records no parameters");
  do {
    int tag = dwarf_tag(&child);
    if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter) continue;
    Dwarf_Attribute a;
    bool match = false;
    if (param) {
      Dwarf_Die pd;
      if ((dwarf_attr(&child, DW_AT_call_parameter, &a) || dwarf_attr(&child, DW_AT_abstract_origin, &a)) &&
          dwarf_formref_die(&a, &pd))
        match = pd.addr == param;
    } else if (dwarf_attr(&child, DW_AT_location, &a)) {
      Dwarf_Op *ops;
      size_t n;
      match = dwarf_getlocation(&a, &ops, &n) == 0 && entry_register(ops, n) == regno;
    }
    if (!match) continue;
    Dwarf_Attribute cv;
    if (!dwarf_attr(&child, DW_AT_call_value, &cv) && !dwarf_attr(&child, DW_AT_GNU_call_site_value, &cv))
      return failf(err, errlen, "the caller did not record the value");
    Dwarf_Op *ops;
    size_t n;
    if (dwarf_getlocation(&cv, &ops, &n) != 0) return failf(err, errlen, "%s", dwarf_errmsg(-1));
    const lt_dwfunc *cfn = lt_dwvars_function(up->vars, up->pc - up->bias - 1, 1);
    return eval_value(up, ops, n, &cv, cfn, out, err, errlen);
  } while (dwarf_siblingof(&child, &child) == 0);
  return failf(err, errlen, "the caller recorded no value for it");
}

static int c_entry_value(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen) {
  evctx *ec = ud;
  Dwarf_Attribute sub;
  Dwarf_Op *sops;
  size_t sn;
  if (!ec->attr || dwarf_getlocation_attr(ec->attr, op, &sub) != 0 ||
      dwarf_getlocation(&sub, &sops, &sn) != 0)
    return failf(err, errlen, "cannot read a DW_OP_entry_value: %s", dwarf_errmsg(-1));
  /* At the function's first instruction the registers still hold it. */
  if (!ec->fr->caller && ec->fn && code_pc(ec->fr) == frame_entry(ec->fn))
    return eval_value(ec->fr, sops, sn, &sub, ec->fn, out, err, errlen);
  int regno = entry_register(sops, sn);
  int rc = regno < 0 ? failf(err, errlen, "an entry value of a memory expression")
                     : from_call_site(ec, regno, NULL, out, err, errlen);
  if (rc < 0) ec->unrecoverable = 1;
  return rc;
}

static int c_param_ref(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen) {
  evctx *ec = ud;
  Dwarf_Die pd;
  if (!ec->attr || dwarf_getlocation_die(ec->attr, op, &pd) != 0)
    return failf(err, errlen, "cannot read a DW_OP_GNU_parameter_ref: %s", dwarf_errmsg(-1));
  int rc = from_call_site(ec, -1, pd.addr, out, err, errlen);
  if (rc < 0) ec->unrecoverable = 1;
  return rc;
}

static int c_base_type(void *ud, const Dwarf_Op *op, uint64_t off, lt_dwtype *t, char *err, size_t errlen) {
  evctx *ec = ud;
  (void)off;
  Dwarf_Die td;
  if (!ec->attr || dwarf_getlocation_die(ec->attr, op, &td) != 0)
    return failf(err, errlen, "cannot read the base type of a DWARF operation: %s", dwarf_errmsg(-1));
  Dwarf_Attribute a;
  Dwarf_Word w = 0, enc = 0;
  if (dwarf_attr(&td, DW_AT_byte_size, &a)) dwarf_formudata(&a, &w);
  if (dwarf_attr(&td, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
  t->size = (uint8_t)w;
  t->encoding = (uint8_t)enc;
  return 0;
}

static int c_block(void *ud, const Dwarf_Op *op, const uint8_t **data, size_t *len, char *err,
                   size_t errlen) {
  evctx *ec = ud;
  Dwarf_Block blk;
  Dwarf_Attribute res;
  int rc = -1;
  if (ec->attr && op->atom == DW_OP_implicit_value)
    rc = dwarf_getlocation_implicit_value(ec->attr, op, &blk);
  else if (ec->attr && dwarf_getlocation_attr(ec->attr, op, &res) == 0)
    rc = dwarf_formblock(&res, &blk);
  if (rc != 0)
    return failf(err, errlen, "cannot read a constant of a DWARF expression: %s", dwarf_errmsg(-1));
  *data = blk.data;
  *len = blk.length;
  return 0;
}

static int c_addrx(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen) {
  evctx *ec = ud;
  Dwarf_Attribute res;
  Dwarf_Addr addr;
  Dwarf_Word w;
  if (!ec->attr || dwarf_getlocation_attr(ec->attr, op, &res) != 0)
    return failf(err, errlen, "cannot read .debug_addr: %s", dwarf_errmsg(-1));
  if (dwarf_formaddr(&res, &addr) == 0) return *out = addr, 0;
  if (dwarf_formudata(&res, &w) == 0) return *out = w, 0;
  return failf(err, errlen, "cannot read .debug_addr: %s", dwarf_errmsg(-1));
}

static int c_tls(void *ud, uint64_t off, uint64_t *out, char *err, size_t errlen) {
  (void)ud;
  (void)off;
  (void)out;
  return failf(err, errlen, "thread-local variables are not supported");
}

static lt_dwexpr_ctx make_ctx(evctx *ec) {
  lt_dwexpr_ctx c = {ec,          c_reg,       c_mem,   c_frame_base, c_cfa, c_entry_value,
                     c_param_ref, c_base_type, c_block, c_addrx,      c_tls, ec->fr->bias};
  return c;
}

static int eval_location(lt_dwframe *fr, const Dwarf_Op *ops, size_t n, Dwarf_Attribute *attr,
                         const lt_dwfunc *fn, lt_dwloc *loc, int *unrecoverable, char *err, size_t errlen) {
  evctx ec = {fr, attr, fn, 0};
  lt_dwexpr_ctx c = make_ctx(&ec);
  int rc = lt_dwexpr_location(ops, n, &c, loc, err, errlen);
  *unrecoverable = ec.unrecoverable;
  return rc;
}

static int eval_value(lt_dwframe *fr, const Dwarf_Op *ops, size_t n, Dwarf_Attribute *attr,
                      const lt_dwfunc *fn, uint64_t *v, char *err, size_t errlen) {
  evctx ec = {fr, attr, fn, 0};
  lt_dwexpr_ctx c = make_ctx(&ec);
  return lt_dwexpr_value(ops, n, &c, v, 0, err, errlen);
}

/* The caller's frame by CFI: its stack pointer is this frame's CFA, its pc
 * the return address, callee-saved registers where the rules say. */
static lt_dwframe *unwind(lt_dwframe *fr, char *err, size_t errlen) {
  if (fr->up) return fr->up;
  if (fr->depth >= MAX_UNWIND) return failf(err, errlen, "too many frames to unwind"), NULL;
  uint64_t cfa;
  if (frame_cfa(fr, &cfa, err, errlen) < 0) return NULL;
  Dwarf_Frame *frame = NULL;
  if (lt_dwfile_cfa_frame(lt_dwvars_file(fr->vars), code_pc(fr), &frame) != 0)
    return failf(err, errlen, "no call frame information at 0x%llx", (unsigned long long)fr->pc), NULL;
  lt_dwframe *up = calloc(1, sizeof *up);
  if (!up) {
    free(frame);
    return failf(err, errlen, "out of memory"), NULL;
  }
  const lt_dwenv *env = fr->env;
  for (int regno = 0; regno <= env->ra_regno && regno < LT_DWREGS; regno++) {
    Dwarf_Op mem[3], *ops = NULL;
    size_t n = 0;
    if (dwarf_frame_register(frame, regno, mem, &ops, &n) != 0) continue;
    if (n == 0) {
      /* Same value, or no rule for a register the ABI says a callee
       * preserves (libdw calls that undefined; gdb, same value). */
      int same = ops == NULL || (regno < 64 && (env->callee_saved >> regno) & 1);
      if (same && fr->reg_size[regno]) lt_dwframe_set_reg(up, regno, fr->regs[regno], fr->reg_size[regno]);
      continue;
    }
    lt_dwloc loc;
    int unrec;
    char e2[128] = "";
    if (eval_location(fr, ops, n, NULL, NULL, &loc, &unrec, e2, sizeof e2) < 0 || loc.npieces != 1) continue;
    const lt_piece *p = &loc.pieces[0];
    uint64_t v;
    if (p->kind == LT_PIECE_MEMORY) {
      if (env->mem(env->ud, p->addr, &v, 8, e2, sizeof e2) < 0) continue;
      lt_dwframe_set_reg(up, regno, &v, 8);
    } else if (p->kind == LT_PIECE_VALUE) {
      lt_dwframe_set_reg(up, regno, p->value, 8);
    } else if (p->kind == LT_PIECE_REGISTER && p->regno < LT_DWREGS && fr->reg_size[p->regno]) {
      lt_dwframe_set_reg(up, regno, fr->regs[p->regno], fr->reg_size[p->regno]);
    }
  }
  free(frame);
  lt_dwframe_set_reg(up, env->sp_regno, &cfa, 8);
  if (!up->reg_size[env->ra_regno]) {
    free(up);
    return failf(err, errlen, "the return address of the frame at 0x%llx is unknown",
                 (unsigned long long)fr->pc),
           NULL;
  }
  uint64_t ra;
  memcpy(&ra, up->regs[env->ra_regno], 8);
  up->env = env;
  up->pc = ra;
  up->caller = 1;
  up->depth = fr->depth + 1;
  if (!env->module_at(env->ud, ra, &up->vars, &up->bias)) {
    free(up);
    return failf(err, errlen, "no DWARF for the caller at 0x%llx", (unsigned long long)ra), NULL;
  }
  fr->up = up;
  return up;
}

int lt_dwframe_locate(lt_dwframe *fr, Dwarf_Die *var, const lt_dwfunc *fn, lt_dwplace *out, char *err,
                      size_t errlen) {
  memset(out, 0, sizeof *out);
  err[0] = 0;
  Dwarf_Attribute a;
  if (dwarf_attr_integrate(var, DW_AT_const_value, &a)) {
    Dwarf_Block blk;
    out->kind = LT_PLACE_CONST;
    if (dwarf_formblock(&a, &blk) == 0) {
      out->data = blk.data;
      out->len = blk.length;
      return 0;
    }
    Dwarf_Sword s;
    Dwarf_Word w;
    if (a.form == DW_FORM_sdata && dwarf_formsdata(&a, &s) == 0)
      memcpy(out->cbuf, &s, 8);
    else if (dwarf_formudata(&a, &w) == 0)
      memcpy(out->cbuf, &w, 8);
    else
      return failf(err, errlen, "an unreadable constant: %s", dwarf_errmsg(-1));
    out->data = out->cbuf;
    out->len = 8;
    return 0;
  }
  if (!dwarf_attr(var, DW_AT_location, &a)) {
    out->kind = LT_PLACE_OPTIMIZED;
    failf(err, errlen, "the compiler kept no location for it");
    return 0;
  }
  Dwarf_Op *ops;
  size_t n;
  int k = dwarf_getlocation_addr(&a, code_pc(fr), &ops, &n, 1);
  if (k < 0) return failf(err, errlen, "cannot read its location: %s", dwarf_errmsg(-1));
  if (k == 0) {
    out->kind = LT_PLACE_OPTIMIZED;
    failf(err, errlen, "it has no location at pc 0x%llx", (unsigned long long)fr->pc);
    return 0;
  }
  int unrec = 0;
  if (eval_location(fr, ops, n, &a, fn, &out->loc, &unrec, err, errlen) < 0) {
    if (!unrec) return -1;
    out->kind = LT_PLACE_OPTIMIZED; /* its entry value is lost */
    return 0;
  }
  if (out->loc.npieces == 0) {
    out->kind = LT_PLACE_OPTIMIZED;
    failf(err, errlen, "it has no location at pc 0x%llx", (unsigned long long)fr->pc);
    return 0;
  }
  out->kind = LT_PLACE_PIECES;
  return 0;
}

static void copy_bits(uint8_t *dst, uint64_t dpos, const uint8_t *src, uint64_t spos, uint64_t nbits,
                      uint8_t *avail, int ok) {
  if (dpos % 8 == 0 && spos % 8 == 0 && nbits % 8 == 0) {
    if (ok) memcpy(dst + dpos / 8, src + spos / 8, nbits / 8);
    memset(avail + dpos / 8, ok, nbits / 8);
    return;
  }
  for (uint64_t i = 0; i < nbits; i++) {
    uint64_t d = dpos + i, s = spos + i;
    if (ok) {
      int bit = (src[s / 8] >> (s % 8)) & 1;
      dst[d / 8] = (uint8_t)((dst[d / 8] & ~(1u << (d % 8))) | ((unsigned)bit << (d % 8)));
    }
    if (!ok) avail[d / 8] = 0;
  }
}

int lt_dwframe_read(lt_dwframe *fr, const lt_dwplace *pl, uint64_t size, uint8_t *bytes, uint8_t *avail,
                    uint64_t *addr, char *err, size_t errlen) {
  memset(bytes, 0, size);
  memset(avail, 0, size);
  if (pl->kind == LT_PLACE_OPTIMIZED) return 0;
  if (pl->kind == LT_PLACE_CONST) {
    size_t n = pl->len < size ? pl->len : size;
    memcpy(bytes, pl->data, n);
    memset(avail, 1, n);
    return 0;
  }
  const lt_dwloc *loc = &pl->loc;
  if (loc->npieces == 1 && loc->pieces[0].kind == LT_PIECE_MEMORY && loc->pieces[0].bits == 0) {
    *addr = loc->pieces[0].addr;
    return 1;
  }
  uint64_t pos = 0, total = size * 8;
  for (int i = 0; i < loc->npieces && pos < total; i++) {
    const lt_piece *p = &loc->pieces[i];
    uint64_t nbits = p->bits ? p->bits : total - pos;
    if (pos + nbits > total) nbits = total - pos;
    uint8_t tmp[64];
    const uint8_t *src = tmp;
    uint64_t srcbits = 0, spos = 0;
    int ok = 1;
    switch (p->kind) {
    case LT_PIECE_MEMORY: {
      uint64_t nbytes = (nbits + 7) / 8;
      uint8_t *buf = nbytes <= sizeof tmp ? tmp : malloc(nbytes);
      if (!buf) return failf(err, errlen, "out of memory");
      if (fr->env->mem(fr->env->ud, p->addr, buf, nbytes, err, errlen) < 0) {
        if (buf != tmp) free(buf);
        *addr = p->addr;
        return -1;
      }
      copy_bits(bytes, pos, buf, 0, nbits, avail, 1);
      if (buf != tmp) free(buf);
      pos += nbits;
      continue;
    }
    case LT_PIECE_REGISTER:
      if (p->regno < LT_DWREGS && fr->reg_size[p->regno]) {
        memcpy(tmp, fr->regs[p->regno], 16);
        srcbits = 8u * fr->reg_size[p->regno];
      } else {
        ok = 0;
      }
      spos = p->bit_offset;
      break;
    case LT_PIECE_VALUE:
      memcpy(tmp, p->value, 8);
      srcbits = 64;
      spos = p->bit_offset;
      break;
    case LT_PIECE_IMPLICIT:
      src = p->data;
      srcbits = p->len * 8;
      break;
    default: ok = 0;
    }
    if (ok && spos + nbits > srcbits) { /* the rest is beyond the register or value */
      uint64_t have = srcbits > spos ? srcbits - spos : 0;
      copy_bits(bytes, pos, src, spos, have, avail, 1);
      copy_bits(bytes, pos + have, src, 0, nbits - have, avail, 0);
    } else {
      copy_bits(bytes, pos, src, spos, nbits, avail, ok);
    }
    pos += nbits;
  }
  return 0;
}
