/* dwarf_types.c: type DIEs to lt_type, each built when first asked for and
 * cached by DIE; targets, members and enumerators are read on demand, so a
 * value of a huge class costs only what is looked at. */
#include "dwarf_types.h"

#include <dwarf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lt_types {
  void **keys; /* Dwarf_Die.addr: unique across the file's sections */
  lt_type **vals;
  size_t cap, len;
  lt_type *owned; /* every type, for freeing */
  lt_type void_type;
};

lt_types *lt_types_new(void) {
  lt_types *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->void_type.kind = LT_TY_VOID;
  c->void_type.name = "void";
  c->void_type.target_done = c->void_type.members_done = c->void_type.enums_done = 1;
  return c;
}

void lt_types_free(lt_types *c) {
  if (!c) return;
  for (lt_type *t = c->owned, *n; t; t = n) {
    n = t->next_owned;
    for (size_t i = 0; i < t->nmembers; i++) free((char *)t->members[i].name);
    free(t->members);
    for (size_t i = 0; i < t->nenums; i++) free((char *)t->enums[i].name);
    free(t->enums);
    free((char *)t->name);
    free(t->written);
    free(t);
  }
  free(c->keys);
  free(c->vals);
  free(c);
}

static size_t slot_of(const lt_types *c, void *key) {
  size_t h = ((uintptr_t)key >> 3) * 0x9E3779B97F4A7C15ull;
  return h & (c->cap - 1);
}

static lt_type *lookup(const lt_types *c, void *key) {
  if (!c->cap) return NULL;
  for (size_t i = slot_of(c, key);; i = (i + 1) & (c->cap - 1)) {
    if (!c->keys[i]) return NULL;
    if (c->keys[i] == key) return c->vals[i];
  }
}

static int insert(lt_types *c, void *key, lt_type *t) {
  if ((c->len + 1) * 2 > c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 256;
    void **nk = calloc(ncap, sizeof *nk);
    lt_type **nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) {
      free(nk);
      free(nv);
      return -1;
    }
    void **ok = c->keys;
    lt_type **ov = c->vals;
    size_t ocap = c->cap;
    c->keys = nk;
    c->vals = nv;
    c->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
      if (!ok[i]) continue;
      size_t j = slot_of(c, ok[i]);
      while (c->keys[j]) j = (j + 1) & (c->cap - 1);
      c->keys[j] = ok[i];
      c->vals[j] = ov[i];
    }
    free(ok);
    free(ov);
  }
  size_t j = slot_of(c, key);
  while (c->keys[j]) j = (j + 1) & (c->cap - 1);
  c->keys[j] = key;
  c->vals[j] = t;
  c->len++;
  return 0;
}

static lt_type *new_type(lt_types *c, lt_tykind kind) {
  lt_type *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->kind = kind;
  t->count = -1;
  t->next_owned = c->owned;
  c->owned = t;
  return t;
}

static bool cu_is_cxx(Dwarf_Die *die) {
  Dwarf_Die cu;
  if (!dwarf_diecu(die, &cu, NULL, NULL)) return false;
  int lang = dwarf_srclang(&cu);
  return lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 || lang == DW_LANG_C_plus_plus_11 ||
         lang == DW_LANG_C_plus_plus_14;
}

/* "ns::Outer::name" for a C++ DIE: the names of the scopes around it. */
char *lt_type_qualify(Dwarf_Die *die, const char *name) {
  Dwarf_Die *scopes = NULL;
  int n = dwarf_getscopes_die(die, &scopes);
  size_t len = strlen(name) + 1;
  for (int i = 1; i < n; i++) {
    int tag = dwarf_tag(&scopes[i]);
    const char *s = dwarf_diename(&scopes[i]);
    if (tag == DW_TAG_namespace || tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
        tag == DW_TAG_union_type)
      len += (s ? strlen(s) : strlen("(anonymous namespace)")) + 2;
  }
  char *out = malloc(len);
  if (!out) {
    free(scopes);
    return NULL;
  }
  out[0] = 0;
  for (int i = n - 1; i >= 1; i--) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_namespace && tag != DW_TAG_structure_type && tag != DW_TAG_class_type &&
        tag != DW_TAG_union_type)
      continue;
    const char *s = dwarf_diename(&scopes[i]);
    strcat(out, s ? s : "(anonymous namespace)");
    strcat(out, "::");
  }
  strcat(out, name);
  free(scopes);
  return out;
}

static lt_tykind base_kind(Dwarf_Die *die) {
  Dwarf_Attribute a;
  Dwarf_Word enc = 0;
  if (dwarf_attr(die, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
  switch (enc) {
  case DW_ATE_boolean: return LT_TY_BOOL;
  case DW_ATE_float: return LT_TY_FLOAT;
  case DW_ATE_signed: return LT_TY_INT;
  case DW_ATE_unsigned: return LT_TY_UINT;
  case DW_ATE_signed_char: return LT_TY_CHAR;
  case DW_ATE_unsigned_char: return LT_TY_UCHAR;
  case DW_ATE_UTF: return LT_TY_UINT;
  default: return LT_TY_OTHER;
  }
}

/* One level of a (possibly multi-dimensional) array: count of subrange
 * `dim` of the array DIE. */
static int64_t subrange_count(Dwarf_Die *sub) {
  Dwarf_Attribute a;
  Dwarf_Word w;
  Dwarf_Sword lo = 0;
  if (dwarf_attr_integrate(sub, DW_AT_count, &a) && dwarf_formudata(&a, &w) == 0) return (int64_t)w;
  if (dwarf_attr_integrate(sub, DW_AT_lower_bound, &a)) dwarf_formsdata(&a, &lo);
  if (dwarf_attr_integrate(sub, DW_AT_upper_bound, &a)) {
    Dwarf_Sword hi;
    if (a.form == DW_FORM_exprloc || a.form == DW_FORM_ref4 || a.form == DW_FORM_ref_udata)
      return -1; /* a variable-length array */
    if (dwarf_formsdata(&a, &hi) == 0) return hi - lo + 1 >= 0 ? hi - lo + 1 : 0;
  }
  return -1;
}

static lt_type *build(lt_types *c, Dwarf_Die *die);

/* An array DIE with several subranges: the outer dimension's type, whose
 * element is the array of the remaining dimensions. */
static lt_type *build_array(lt_types *c, Dwarf_Die *die, lt_type *t) {
  Dwarf_Die sub;
  int64_t counts[16];
  int ndims = 0;
  if (dwarf_child(die, &sub) == 0) {
    do {
      if (dwarf_tag(&sub) == DW_TAG_subrange_type && ndims < 16) counts[ndims++] = subrange_count(&sub);
    } while (dwarf_siblingof(&sub, &sub) == 0);
  }
  Dwarf_Die et, *etp = NULL;
  Dwarf_Attribute a;
  if (dwarf_attr_integrate(die, DW_AT_type, &a)) etp = dwarf_formref_die(&a, &et);
  lt_type *elem = etp ? build(c, etp) : &c->void_type;
  if (!elem) return NULL;
  if (ndims == 0) counts[ndims++] = -1;
  for (int d = ndims - 1; d >= 1; d--) { /* inner dimensions: types of their own */
    lt_type *inner = new_type(c, LT_TY_ARRAY);
    if (!inner) return NULL;
    inner->count = counts[d];
    inner->target = elem;
    inner->target_done = inner->members_done = inner->enums_done = 1;
    inner->is_cxx = t->is_cxx;
    uint64_t es = lt_type_size(c, elem);
    inner->size = counts[d] >= 0 ? es * (uint64_t)counts[d] : 0;
    elem = inner;
  }
  t->count = counts[0];
  t->target = elem;
  t->target_done = 1;
  uint64_t es = lt_type_size(c, elem);
  if (!t->size && counts[0] >= 0) t->size = es * (uint64_t)counts[0];
  return t;
}

static lt_type *build(lt_types *c, Dwarf_Die *die) {
  lt_type *hit = lookup(c, die->addr);
  if (hit) return hit;
  int tag = dwarf_tag(die);
  lt_tykind kind;
  switch (tag) {
  case DW_TAG_base_type: kind = base_kind(die); break;
  case DW_TAG_pointer_type: kind = LT_TY_POINTER; break;
  case DW_TAG_reference_type:
  case DW_TAG_rvalue_reference_type: kind = LT_TY_REF; break;
  case DW_TAG_array_type: kind = LT_TY_ARRAY; break;
  case DW_TAG_structure_type:
  case DW_TAG_class_type: kind = LT_TY_STRUCT; break;
  case DW_TAG_union_type: kind = LT_TY_UNION; break;
  case DW_TAG_enumeration_type: kind = LT_TY_ENUM; break;
  case DW_TAG_typedef: kind = LT_TY_TYPEDEF; break;
  case DW_TAG_const_type: kind = LT_TY_CONST; break;
  case DW_TAG_volatile_type: kind = LT_TY_VOLATILE; break;
  case DW_TAG_subroutine_type: kind = LT_TY_FUNCTION; break;
  case DW_TAG_unspecified_type: kind = LT_TY_VOID; break; /* decltype(nullptr) */
  case DW_TAG_restrict_type:
  case DW_TAG_atomic_type: kind = LT_TY_TYPEDEF; break; /* transparent */
  default: kind = LT_TY_OTHER; break;
  }
  lt_type *t = new_type(c, kind);
  if (!t) return NULL;
  t->die = *die;
  t->has_die = 1;
  t->is_cxx = cu_is_cxx(die);
  t->rvalue = tag == DW_TAG_rvalue_reference_type;
  t->is_class = tag == DW_TAG_class_type;
  if (tag == DW_TAG_restrict_type || tag == DW_TAG_atomic_type) t->name = NULL;
  if (insert(c, die->addr, t) < 0) return NULL;
  Dwarf_Attribute a;
  Dwarf_Word w;
  if (dwarf_attr_integrate(die, DW_AT_byte_size, &a) && dwarf_formudata(&a, &w) == 0)
    t->size = w;
  else if (kind == LT_TY_POINTER || kind == LT_TY_REF)
    t->size = 8;
  bool flag = false;
  if (dwarf_attr_integrate(die, DW_AT_declaration, &a) && dwarf_formflag(&a, &flag) == 0 && flag)
    t->incomplete = 1;
  if (dwarf_attr_integrate(die, DW_AT_calling_convention, &a) && dwarf_formudata(&a, &w) == 0) {
    t->pass_by_ref = w == DW_CC_pass_by_reference;
    t->cc_done = 1;
  }
  const char *n = dwarf_diename(die);
  if (n && tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type) {
    bool scoped = t->is_cxx && (kind == LT_TY_STRUCT || kind == LT_TY_UNION || kind == LT_TY_ENUM ||
                                kind == LT_TY_TYPEDEF);
    t->name = scoped ? lt_type_qualify(die, n) : strdup(n);
  }
  if (kind == LT_TY_ARRAY) return build_array(c, die, t);
  return t;
}

const lt_type *lt_type_void(lt_types *c) { return &c->void_type; }

const lt_type *lt_type_of(lt_types *c, Dwarf_Die *die) { return build(c, die); }

const lt_type *lt_type_attr(lt_types *c, Dwarf_Die *die) {
  Dwarf_Attribute a;
  Dwarf_Die td;
  if (!dwarf_attr_integrate(die, DW_AT_type, &a) || !dwarf_formref_die(&a, &td)) return &c->void_type;
  return build(c, &td);
}

const lt_type *lt_type_target(lt_types *c, const lt_type *ct) {
  lt_type *t = (lt_type *)ct;
  if (!t->target_done) {
    t->target_done = 1;
    Dwarf_Die d = t->die;
    const lt_type *tt = t->has_die ? lt_type_attr(c, &d) : &c->void_type;
    t->target = (lt_type *)tt;
  }
  return t->target ? t->target : &c->void_type;
}

const lt_type *lt_type_strip(lt_types *c, const lt_type *t) {
  for (int i = 0; i < 64 && (t->kind == LT_TY_TYPEDEF || t->kind == LT_TY_CONST || t->kind == LT_TY_VOLATILE);
       i++)
    t = lt_type_target(c, t);
  return t;
}

uint64_t lt_type_size(lt_types *c, const lt_type *t) {
  const lt_type *s = lt_type_strip(c, t);
  if (s->size) return s->size;
  if (s->kind == LT_TY_ENUM) return lt_type_size(c, lt_type_target(c, s));
  return 0;
}

/* A member's offset in bits: DW_AT_data_bit_offset (DWARF 4+), or the
 * byte offset plus the old big-endian DW_AT_bit_offset. */
static uint64_t member_bit_pos(Dwarf_Die *m, uint32_t bit_size, uint64_t storage) {
  Dwarf_Attribute a;
  Dwarf_Word w;
  if (dwarf_attr(m, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &w) == 0) return w;
  uint64_t byte = 0;
  if (dwarf_attr(m, DW_AT_data_member_location, &a)) {
    if (dwarf_formudata(&a, &w) == 0) {
      byte = w;
    } else {
      Dwarf_Op *ops;
      size_t n;
      if (dwarf_getlocation(&a, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_plus_uconst)
        byte = ops[0].number;
    }
  }
  if (bit_size && dwarf_attr(m, DW_AT_bit_offset, &a) && dwarf_formudata(&a, &w) == 0)
    return byte * 8 + storage * 8 - w - bit_size;
  return byte * 8;
}

static bool is_copy_ctor(lt_types *c, Dwarf_Die *fn, const lt_type *cls) {
  Dwarf_Die p;
  if (dwarf_child(fn, &p) != 0) return false;
  do {
    if (dwarf_tag(&p) != DW_TAG_formal_parameter) continue;
    Dwarf_Attribute a;
    bool art = false;
    if (dwarf_attr(&p, DW_AT_artificial, &a) && dwarf_formflag(&a, &art) == 0 && art) continue;
    const lt_type *pt = lt_type_strip(c, lt_type_attr(c, &p));
    if (pt->kind != LT_TY_REF) return false;
    return lt_type_strip(c, lt_type_target(c, pt)) == cls;
  } while (dwarf_siblingof(&p, &p) == 0);
  return false;
}

int lt_type_by_reference(lt_types *c, const lt_type *ct) {
  lt_type *t = (lt_type *)lt_type_strip(c, ct);
  if (t->kind != LT_TY_STRUCT && t->kind != LT_TY_UNION) return 0;
  if (t->cc_done) return t->pass_by_ref;
  t->cc_done = 1; /* also stops a recursion through members */
  if (!t->is_cxx || !t->has_die) return 0;
  const char *cname = dwarf_diename(&t->die);
  Dwarf_Die child;
  if (dwarf_child(&t->die, &child) != 0) return 0;
  do {
    int tag = dwarf_tag(&child);
    Dwarf_Attribute a;
    if (tag == DW_TAG_subprogram) {
      bool flag = false;
      if (dwarf_attr(&child, DW_AT_virtuality, &a)) return t->pass_by_ref = 1;
      if (dwarf_attr(&child, DW_AT_artificial, &a) && dwarf_formflag(&a, &flag) == 0 && flag) continue;
      Dwarf_Word d;
      if (dwarf_attr(&child, DW_AT_defaulted, &a) && dwarf_formudata(&a, &d) == 0 &&
          d == DW_DEFAULTED_in_class)
        continue;
      const char *n = dwarf_diename(&child);
      if (n && n[0] == '~') return t->pass_by_ref = 1;
      if (n && cname && strcmp(n, cname) == 0 && is_copy_ctor(c, &child, t)) return t->pass_by_ref = 1;
    } else if (tag == DW_TAG_member || tag == DW_TAG_inheritance) {
      bool flag = false;
      if (dwarf_attr(&child, DW_AT_declaration, &a) && dwarf_formflag(&a, &flag) == 0 && flag) continue;
      if (lt_type_by_reference(c, lt_type_attr(c, &child))) return t->pass_by_ref = 1;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return 0;
}

size_t lt_type_members(lt_types *c, const lt_type *ct, const lt_member **out) {
  lt_type *t = (lt_type *)ct;
  if (!t->members_done) {
    t->members_done = 1;
    Dwarf_Die child;
    if (t->has_die && (t->kind == LT_TY_STRUCT || t->kind == LT_TY_UNION) &&
        dwarf_child(&t->die, &child) == 0) {
      size_t cap = 0;
      do {
        int tag = dwarf_tag(&child);
        if (tag != DW_TAG_member && tag != DW_TAG_inheritance) continue;
        Dwarf_Attribute a;
        bool flag = false;
        /* C++ static members (DWARF 4) are declarations: not in the object */
        if (tag == DW_TAG_member && dwarf_attr(&child, DW_AT_declaration, &a) &&
            dwarf_formflag(&a, &flag) == 0 && flag)
          continue;
        if (tag == DW_TAG_member && dwarf_attr(&child, DW_AT_external, &a)) continue;
        if (t->nmembers == cap) {
          cap = cap ? cap * 2 : 8;
          lt_member *nm = realloc(t->members, cap * sizeof *nm);
          if (!nm) break;
          t->members = nm;
        }
        lt_member *m = &t->members[t->nmembers];
        memset(m, 0, sizeof *m);
        Dwarf_Word w;
        if (dwarf_attr(&child, DW_AT_bit_size, &a) && dwarf_formudata(&a, &w) == 0) m->bit_size = (uint32_t)w;
        m->type = lt_type_attr(c, &child);
        uint64_t storage = 0;
        if (dwarf_attr(&child, DW_AT_byte_size, &a) && dwarf_formudata(&a, &w) == 0)
          storage = w;
        else if (m->bit_size)
          storage = lt_type_size(c, m->type);
        m->bit_pos = member_bit_pos(&child, m->bit_size, storage);
        m->is_base = tag == DW_TAG_inheritance;
        const char *n = m->is_base ? NULL : dwarf_diename(&child);
        m->name = n ? strdup(n) : NULL;
        t->nmembers++;
      } while (dwarf_siblingof(&child, &child) == 0);
    }
  }
  *out = t->members;
  return t->nmembers;
}

size_t lt_type_enumerators(lt_types *c, const lt_type *ct, const lt_enumerator **out) {
  lt_type *t = (lt_type *)ct;
  if (!t->enums_done) {
    t->enums_done = 1;
    const lt_type *under = lt_type_strip(c, lt_type_target(c, t));
    bool is_unsigned = under->kind == LT_TY_UINT || under->kind == LT_TY_UCHAR || under->kind == LT_TY_BOOL;
    Dwarf_Die child;
    if (t->has_die && dwarf_child(&t->die, &child) == 0) {
      size_t cap = 0;
      do {
        if (dwarf_tag(&child) != DW_TAG_enumerator) continue;
        Dwarf_Attribute a;
        if (!dwarf_attr(&child, DW_AT_const_value, &a)) continue;
        int64_t v;
        if (is_unsigned) {
          Dwarf_Word w = 0;
          dwarf_formudata(&a, &w);
          v = (int64_t)w;
        } else {
          Dwarf_Sword s = 0;
          dwarf_formsdata(&a, &s);
          v = s;
        }
        if (t->nenums == cap) {
          cap = cap ? cap * 2 : 8;
          lt_enumerator *ne = realloc(t->enums, cap * sizeof *ne);
          if (!ne) break;
          t->enums = ne;
        }
        const char *n = dwarf_diename(&child);
        t->enums[t->nenums].name = strdup(n ? n : "?");
        t->enums[t->nenums].value = v;
        t->nenums++;
      } while (dwarf_siblingof(&child, &child) == 0);
    }
  }
  *out = t->enums;
  return t->nenums;
}

/* The name builder: a string that grows. */
typedef struct {
  char *s;
  size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->len + n + 1) * 2;
    char *ns = realloc(b->s, cap);
    if (!ns) return;
    b->s = ns;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n + 1);
  b->len += n;
}

static void base_name(lt_types *c, const lt_type *t, sbuf *b) {
  (void)c;
  const char *kw = NULL;
  if (!t->is_cxx) {
    if (t->kind == LT_TY_STRUCT)
      kw = "struct ";
    else if (t->kind == LT_TY_UNION)
      kw = "union ";
    else if (t->kind == LT_TY_ENUM)
      kw = "enum ";
  }
  if (kw) sb_put(b, kw);
  if (t->name)
    sb_put(b, t->name);
  else if (t->kind == LT_TY_STRUCT || t->kind == LT_TY_UNION || t->kind == LT_TY_ENUM)
    sb_put(b, "{...}");
  else
    sb_put(b, t->kind == LT_TY_VOID ? "void" : "?");
}

static void params_of(lt_types *c, const lt_type *t, sbuf *b);

/* C's declarator syntax: `inner` is what stands to the right of the base
 * type so far ("*", "(*)[3]"...). */
static void declarator(lt_types *c, const lt_type *t, const char *inner, sbuf *b, int depth) {
  if (depth > 32) {
    sb_put(b, "...");
    return;
  }
  size_t il = strlen(inner);
  char *s = NULL;
  switch (t->kind) {
  case LT_TY_POINTER:
  case LT_TY_REF: {
    const lt_type *tt = lt_type_target(c, t);
    const char *op = t->kind == LT_TY_POINTER ? "*" : t->rvalue ? "&&" : "&";
    bool paren = tt->kind == LT_TY_ARRAY || tt->kind == LT_TY_FUNCTION;
    s = malloc(il + 8);
    if (!s) return;
    sprintf(s, "%s%s%s%s", paren ? "(" : "", op, inner, paren ? ")" : "");
    declarator(c, tt, s, b, depth + 1);
    break;
  }
  case LT_TY_CONST:
  case LT_TY_VOLATILE: {
    const lt_type *tt = lt_type_target(c, t);
    const char *q = t->kind == LT_TY_CONST ? "const" : "volatile";
    if (tt->kind == LT_TY_POINTER || tt->kind == LT_TY_REF) {
      s = malloc(il + 12);
      if (!s) return;
      sprintf(s, " %s%s%s", q, il ? " " : "", inner);
      declarator(c, tt, s, b, depth + 1);
    } else {
      /* const and volatile of a base type, in gdb's order */
      int is_const = t->kind == LT_TY_CONST, is_volatile = t->kind == LT_TY_VOLATILE;
      for (int i = 0; i < 8 && (tt->kind == LT_TY_CONST || tt->kind == LT_TY_VOLATILE); i++) {
        const lt_type *n2 = lt_type_target(c, tt);
        if (n2->kind == LT_TY_POINTER || n2->kind == LT_TY_REF) break;
        if (tt->kind == LT_TY_CONST)
          is_const = 1;
        else
          is_volatile = 1;
        tt = n2;
      }
      if (tt->kind == LT_TY_CONST || tt->kind == LT_TY_VOLATILE) { /* over a pointer: its own */
        sb_put(b, q);
        sb_put(b, " ");
      } else {
        if (is_const) sb_put(b, "const ");
        if (is_volatile) sb_put(b, "volatile ");
      }
      declarator(c, tt, inner, b, depth + 1);
    }
    break;
  }
  case LT_TY_ARRAY: {
    s = malloc(il + 32);
    if (!s) return;
    if (t->count >= 0)
      sprintf(s, "%s[%lld]", inner, (long long)t->count);
    else
      sprintf(s, "%s[]", inner);
    declarator(c, lt_type_target(c, t), s, b, depth + 1);
    break;
  }
  case LT_TY_FUNCTION: {
    sbuf p = {0};
    sb_put(&p, inner);
    params_of(c, t, &p);
    declarator(c, lt_type_target(c, t), p.s ? p.s : "", b, depth + 1);
    free(p.s);
    break;
  }
  default:
    base_name(c, t, b);
    if (il) {
      sb_put(b, " ");
      sb_put(b, inner);
    }
  }
  free(s);
}

static void params_of(lt_types *c, const lt_type *t, sbuf *b) {
  sb_put(b, "(");
  int n = 0;
  Dwarf_Die child, d = t->die;
  if (t->has_die && dwarf_child(&d, &child) == 0) {
    do {
      int tag = dwarf_tag(&child);
      if (tag == DW_TAG_formal_parameter) {
        if (n++) sb_put(b, ", ");
        sb_put(b, lt_type_name(c, lt_type_attr(c, &child)));
      } else if (tag == DW_TAG_unspecified_parameters) {
        sb_put(b, n++ ? ", ..." : "...");
      }
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  Dwarf_Attribute a;
  bool proto = false;
  if (n == 0 && !t->is_cxx && t->has_die && dwarf_attr(&d, DW_AT_prototyped, &a) &&
      dwarf_formflag(&a, &proto) == 0 && proto)
    sb_put(b, "void");
  sb_put(b, ")");
}

size_t lt_type_declare(lt_types *c, const lt_type *t, const char *name, char *buf, size_t len) {
  sbuf b = {0};
  declarator(c, t, name, &b, 0);
  size_t n = b.s ? (size_t)snprintf(buf, len, "%s", b.s) : (size_t)snprintf(buf, len, "?");
  free(b.s);
  return n;
}

const char *lt_type_name(lt_types *c, const lt_type *ct) {
  lt_type *t = (lt_type *)ct;
  if (t == &c->void_type) return "void";
  if (!t->written) {
    sbuf b = {0};
    declarator(c, t, "", &b, 0);
    t->written = b.s ? b.s : strdup("?");
  }
  return t->written ? t->written : "?";
}
