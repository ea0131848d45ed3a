/* value.c: what can be done with a typed value: its members, elements
 * and pointee as values of their own (nothing read until asked for), its
 * scalar, its string, its bytes; faults and optimised-out bytes reported. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "typed.h"

static const lt_type *stripped(const lt_value *v) { return lt_type_strip(v->types, v->type); }

static int optimized(lt_process *p, const lt_value *v) {
  return lt_fail(p->tracer, LT_EOPTIMIZED, "%s", v->why ? v->why : "optimized out");
}

/* Reads bytes [off, off+len) of the value. */
static int read_part(lt_process *p, const lt_value *v, uint64_t off, void *out, size_t len) {
  if (v->fault)
    return lt_fail(p->tracer, EFAULT, "cannot access memory at 0x%llx", (unsigned long long)v->fault_addr);
  if (v->why) return optimized(p, v);
  if (v->where == LT_VAL_MEMORY) {
    if (lt_mem_read_raw(p, v->addr + off, out, len) != (ssize_t)len)
      return lt_fail(p->tracer, EFAULT, "cannot access memory at 0x%llx",
                     (unsigned long long)(v->addr + off));
    lt_bp_shadow(p, v->addr + off, out, len);
    return 0;
  }
  if (off + len > v->nbytes) return optimized(p, v);
  for (size_t i = 0; i < len; i++)
    if (v->avail && !v->avail[off + i]) return optimized(p, v);
  memcpy(out, v->bytes + off, len);
  return 0;
}

int lt_value_load(lt_process *p, const lt_value *v, lt_value *out, lt_valbuf *buf) {
  uint64_t size = lt_type_size(v->types, v->type);
  if (v->where != LT_VAL_MEMORY || v->fault || v->why || v->bit_size || size == 0 || size > LT_VALUE_MAX)
    return 0;
  if (read_part(p, v, 0, buf->bytes, size) < 0) return -1;
  memset(buf->avail, 1, size);
  *out = *v;
  out->where = LT_VAL_BYTES;
  out->loaded = 1;
  out->nbytes = size;
  out->bytes = buf->bytes;
  out->avail = buf->avail;
  return 1;
}

int lt_value_bytes(lt_process *p, const lt_value *v, uint8_t *out, size_t len) {
  return read_part(p, v, 0, out, len);
}

/* A part of v at bit offset `bits` with its own type. */
static void part(const lt_value *v, uint64_t bits, const lt_type *t, uint32_t bit_size, lt_value *out,
                 lt_valbuf *buf) {
  *out = *v;
  out->type = t;
  out->bit_size = bit_size;
  uint64_t byte = (v->bit_pos + bits) / 8;
  out->bit_pos = bit_size ? (uint32_t)((v->bit_pos + bits) % 8) : 0;
  if (v->where == LT_VAL_MEMORY) {
    out->addr = v->addr + byte;
    return;
  }
  if (v->loaded) out->addr = v->addr + byte;
  uint64_t size = lt_type_size(v->types, t);
  if (bit_size) size = (out->bit_pos + bit_size + 7) / 8;
  if (byte >= v->nbytes)
    size = 0;
  else if (byte + size > v->nbytes)
    size = v->nbytes - byte;
  if (size > LT_VALUE_MAX) size = LT_VALUE_MAX;
  memcpy(buf->bytes, v->bytes + byte, size);
  if (v->avail)
    memcpy(buf->avail, v->avail + byte, size);
  else
    memset(buf->avail, 1, size);
  out->bytes = buf->bytes;
  out->avail = buf->avail;
  out->nbytes = size;
}

int lt_value_pointer(lt_process *p, const lt_value *v, uint64_t *addr) {
  const lt_type *s = stripped(v);
  if (s->kind == LT_TY_ARRAY && v->where == LT_VAL_MEMORY && !v->why) { /* decays */
    *addr = v->addr;
    return 0;
  }
  if (s->kind != LT_TY_POINTER && s->kind != LT_TY_REF)
    return lt_fail(p->tracer, LT_EMISUSE, "value of type %s is not a pointer",
                   lt_type_name(v->types, v->type));
  *addr = 0;
  return read_part(p, v, 0, addr, 8);
}

/* What a value derived from an unreadable one is: unreadable too, so
 * that a chain of members ends in nil, msg, EFAULT rather than an error. */
static int poisoned(lt_process *p, const lt_value *from, const lt_type *t, lt_value *out) {
  int code = lt_errcode(p->tracer);
  if (code != EFAULT && code != LT_EOPTIMIZED) return -1;
  memset(out, 0, sizeof *out);
  out->types = from->types;
  out->type = t;
  out->where = LT_VAL_MEMORY;
  if (from->fault || code == EFAULT) {
    out->fault = 1;
    out->fault_addr = from->fault ? from->fault_addr : from->where == LT_VAL_MEMORY ? from->addr : 0;
  } else {
    out->why = from->why ? from->why : "optimized out";
  }
  return 0;
}

int lt_value_deref(lt_process *p, const lt_value *v, lt_value *out, lt_valbuf *buf) {
  (void)buf;
  uint64_t a;
  const lt_type *s = stripped(v);
  if (s->kind != LT_TY_POINTER && s->kind != LT_TY_REF)
    return lt_fail(p->tracer, LT_EMISUSE, "value of type %s is not a pointer",
                   lt_type_name(v->types, v->type));
  if (lt_value_pointer(p, v, &a) < 0) return poisoned(p, v, lt_type_target(v->types, s), out);
  memset(out, 0, sizeof *out);
  out->types = v->types;
  out->type = lt_type_target(v->types, s);
  out->where = LT_VAL_MEMORY;
  out->addr = a;
  return 0;
}

/* Member `name`, looked for through anonymous structs and unions and
 * base classes as C and C++ do: its bit offset from the object's start. */
static const lt_member *find_member(lt_types *c, const lt_type *t, const char *name, uint64_t *bits,
                                    int depth) {
  const lt_member *m;
  size_t n = lt_type_members(c, t, &m);
  for (size_t i = 0; i < n; i++) {
    if (m[i].name && strcmp(m[i].name, name) == 0) {
      *bits = m[i].bit_pos;
      return &m[i];
    }
  }
  if (depth > 8) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (m[i].name) continue;
    const lt_type *s = lt_type_strip(c, m[i].type);
    if (s->kind != LT_TY_STRUCT && s->kind != LT_TY_UNION) continue;
    uint64_t inner;
    const lt_member *hit = find_member(c, s, name, &inner, depth + 1);
    if (hit) {
      *bits = m[i].bit_pos + inner;
      return hit;
    }
  }
  return NULL;
}

int lt_value_member(lt_process *p, const lt_value *v, const char *name, lt_value *out, lt_valbuf *buf) {
  lt_value tmp;
  const lt_type *s = stripped(v);
  if (s->kind == LT_TY_POINTER || s->kind == LT_TY_REF) { /* -> */
    if (lt_value_deref(p, v, &tmp, buf) < 0) return -1;
    v = &tmp;
    s = stripped(v);
  }
  if (s->kind != LT_TY_STRUCT && s->kind != LT_TY_UNION)
    return lt_fail(p->tracer, LT_EMISUSE, "value of type %s has no member '%s'",
                   lt_type_name(v->types, v->type), name);
  if (s->incomplete)
    return lt_fail(p->tracer, LT_EMISUSE, "%s is an incomplete type (no member '%s' known)",
                   lt_type_name(v->types, s), name);
  uint64_t bits;
  const lt_member *m = find_member(v->types, s, name, &bits, 0);
  if (!m) return lt_fail(p->tracer, LT_EMISUSE, "%s has no member '%s'", lt_type_name(v->types, s), name);
  lt_value base = *v;
  part(&base, bits, m->type, m->bit_size, out, buf);
  return 0;
}

int lt_value_field(lt_process *p, const lt_value *v, size_t i, lt_value *out, lt_valbuf *buf) {
  const lt_type *s = stripped(v);
  const lt_member *m;
  size_t n = (s->kind == LT_TY_STRUCT || s->kind == LT_TY_UNION) ? lt_type_members(v->types, s, &m) : 0;
  if (i >= n) return lt_fail(p->tracer, LT_EMISUSE, "no field %zu in %s", i, lt_type_name(v->types, v->type));
  lt_value base = *v;
  part(&base, m[i].bit_pos, m[i].type, m[i].bit_size, out, buf);
  return 0;
}

int lt_value_index(lt_process *p, const lt_value *v, int64_t i, lt_value *out, lt_valbuf *buf) {
  lt_value tmp;
  const lt_type *s = stripped(v);
  if (s->kind == LT_TY_REF) {
    if (lt_value_deref(p, v, &tmp, buf) < 0) return -1;
    v = &tmp;
    s = stripped(v);
  }
  if (s->kind == LT_TY_ARRAY) {
    const lt_type *e = lt_type_target(v->types, s);
    uint64_t es = lt_type_size(v->types, e);
    if (s->count >= 0 && (i < 0 || i >= s->count) && v->where == LT_VAL_BYTES)
      return lt_fail(p->tracer, LT_EMISUSE, "index %lld out of %s", (long long)i,
                     lt_type_name(v->types, v->type));
    lt_value base = *v;
    if (v->where == LT_VAL_MEMORY) {
      *out = base;
      out->type = e;
      out->addr = v->addr + (uint64_t)i * es;
      out->bit_pos = out->bit_size = 0;
      return 0;
    }
    part(&base, (uint64_t)i * es * 8, e, 0, out, buf);
    return 0;
  }
  if (s->kind == LT_TY_POINTER) {
    const lt_type *e = lt_type_target(v->types, s);
    uint64_t es = lt_type_size(v->types, e);
    if (!es && i != 0)
      return lt_fail(p->tracer, LT_EMISUSE, "cannot index a pointer to %s", lt_type_name(v->types, e));
    uint64_t a;
    if (lt_value_pointer(p, v, &a) < 0) return poisoned(p, v, e, out);
    memset(out, 0, sizeof *out);
    out->types = v->types;
    out->type = e;
    out->where = LT_VAL_MEMORY;
    out->addr = a + (uint64_t)i * es;
    return 0;
  }
  return lt_fail(p->tracer, LT_EMISUSE, "value of type %s cannot be indexed",
                 lt_type_name(v->types, v->type));
}

int lt_value_scalar(lt_process *p, const lt_value *v, lt_scalar *sc) {
  const lt_type *s = stripped(v);
  lt_value tmp;
  lt_valbuf buf;
  if (s->kind == LT_TY_REF) { /* a reference reads as what it refers to */
    if (lt_value_deref(p, v, &tmp, &buf) < 0) return -1;
    return lt_value_scalar(p, &tmp, sc);
  }
  uint64_t size = lt_type_size(v->types, s);
  const lt_type *under = s->kind == LT_TY_ENUM ? lt_type_strip(v->types, lt_type_target(v->types, s)) : s;
  memset(sc, 0, sizeof *sc);
  switch (s->kind) {
  case LT_TY_INT:
  case LT_TY_UINT:
  case LT_TY_BOOL:
  case LT_TY_CHAR:
  case LT_TY_UCHAR:
  case LT_TY_ENUM:
  case LT_TY_POINTER:
  case LT_TY_FLOAT: break;
  default:
    return lt_fail(p->tracer, LT_EMISUSE, "value of type %s is not a scalar",
                   lt_type_name(v->types, v->type));
  }
  if (size == 0 || (size > 8 && s->kind != LT_TY_FLOAT) || size > 16)
    return lt_fail(p->tracer, LT_EMISUSE, "value of type %s has %llu bytes: not a scalar lutra reads",
                   lt_type_name(v->types, v->type), (unsigned long long)size);
  uint8_t raw[16] = {0};
  uint64_t bits = 0;
  if (v->bit_size) {
    size_t nb = (v->bit_pos + v->bit_size + 7) / 8;
    if (read_part(p, v, 0, raw, nb) < 0) return -1;
    uint64_t w = 0;
    memcpy(&w, raw, nb > 8 ? 8 : nb);
    bits = (w >> v->bit_pos) & (v->bit_size >= 64 ? ~0ull : ((1ull << v->bit_size) - 1));
  } else {
    if (read_part(p, v, 0, raw, size) < 0) return -1;
    memcpy(&bits, raw, size > 8 ? 8 : size);
  }
  unsigned width = v->bit_size ? v->bit_size : (unsigned)(size > 8 ? 64 : size * 8);
  if (s->kind == LT_TY_FLOAT) {
    sc->kind = LT_SC_FLOAT;
    if (size == 4) {
      float f;
      memcpy(&f, raw, 4);
      sc->f = f;
    } else if (size == 8) {
      memcpy(&sc->f, raw, 8);
    } else { /* x87 long double */
      long double ld;
      memcpy(&ld, raw, sizeof ld < 16 ? sizeof ld : 16);
      sc->f = (double)ld;
    }
    return 0;
  }
  int is_signed = under->kind == LT_TY_INT || under->kind == LT_TY_CHAR;
  if (s->kind == LT_TY_ENUM && under->kind == LT_TY_VOID) is_signed = 1; /* C: int */
  if (s->kind == LT_TY_POINTER) {
    sc->kind = LT_SC_POINTER;
    sc->u = bits;
    return 0;
  }
  if (s->kind == LT_TY_BOOL) {
    sc->kind = LT_SC_BOOL;
    sc->u = bits != 0;
    return 0;
  }
  if (is_signed) {
    uint64_t sign = width < 64 ? 1ull << (width - 1) : 0;
    sc->kind = LT_SC_INT;
    sc->i = width < 64 ? (int64_t)((bits ^ sign) - sign) : (int64_t)bits;
    sc->u = (uint64_t)sc->i;
  } else {
    sc->kind = LT_SC_UINT;
    sc->u = bits;
    sc->i = (int64_t)bits;
  }
  return 0;
}

static int is_char(const lt_type *t) { return t->kind == LT_TY_CHAR || t->kind == LT_TY_UCHAR; }

int lt_value_string(lt_process *p, const lt_value *v, char *buf, size_t max, size_t *len, int *truncated) {
  const lt_type *s = stripped(v);
  *len = 0;
  *truncated = 0;
  const lt_type *e = s->kind == LT_TY_POINTER || s->kind == LT_TY_ARRAY
                         ? lt_type_strip(v->types, lt_type_target(v->types, s))
                         : NULL;
  if (!e || !is_char(e) || lt_type_size(v->types, e) != 1)
    return lt_fail(p->tracer, LT_EMISUSE, "value of type %s is not a string",
                   lt_type_name(v->types, v->type));
  if (s->kind == LT_TY_ARRAY) {
    size_t n = s->count >= 0 ? (size_t)s->count : 0;
    size_t want = n < max ? n : max;
    if (read_part(p, v, 0, buf, want) < 0) return -1;
    size_t k = 0;
    while (k < want && buf[k]) k++;
    *len = k;
    *truncated = k == want && n > max;
    return 0;
  }
  uint64_t a;
  if (lt_value_pointer(p, v, &a) < 0) return -1;
  return lt_read_cstring(p, a, buf, max, len, truncated);
}

int lt_read_cstring(lt_process *p, uint64_t a, char *buf, size_t max, size_t *len, int *truncated) {
  *len = 0;
  *truncated = 0;
  /* page by page: a string may end just before an unmapped page */
  size_t done = 0;
  while (done < max) {
    size_t chunk = 4096 - (size_t)((a + done) % 4096);
    if (chunk > max - done) chunk = max - done;
    if (lt_mem_read_raw(p, a + done, buf + done, chunk) != (ssize_t)chunk) {
      if (done == 0)
        return lt_fail(p->tracer, EFAULT, "cannot access memory at 0x%llx", (unsigned long long)a);
      break;
    }
    lt_bp_shadow(p, a + done, (uint8_t *)buf + done, chunk);
    void *nul = memchr(buf + done, 0, chunk);
    if (nul) {
      *len = (size_t)((char *)nul - buf);
      return 0;
    }
    done += chunk;
  }
  *len = done;
  *truncated = done == max;
  return 0;
}

const char *lt_type_kind_name(lt_types *c, const lt_type *t) {
  lt_value v;
  memset(&v, 0, sizeof v);
  v.types = c;
  v.type = t;
  return lt_value_kind(&v);
}

const char *lt_value_kind(const lt_value *v) {
  static const char *const names[] = {
      [LT_TY_VOID] = "void",         [LT_TY_INT] = "int",           [LT_TY_UINT] = "uint",
      [LT_TY_BOOL] = "bool",         [LT_TY_CHAR] = "char",         [LT_TY_UCHAR] = "uchar",
      [LT_TY_FLOAT] = "float",       [LT_TY_POINTER] = "pointer",   [LT_TY_REF] = "reference",
      [LT_TY_ARRAY] = "array",       [LT_TY_STRUCT] = "struct",     [LT_TY_UNION] = "union",
      [LT_TY_ENUM] = "enum",         [LT_TY_TYPEDEF] = "typedef",   [LT_TY_CONST] = "const",
      [LT_TY_VOLATILE] = "volatile", [LT_TY_FUNCTION] = "function", [LT_TY_OTHER] = "other"};
  return names[stripped(v)->kind];
}
