/* dwarf_vars.c: scopes at a pc (libdw's dwarf_getscopes, remembered for
 * the last pcs asked), a function's parameters in declaration order with
 * those the optimiser dropped, file-scope and global variables, call sites. */
#include "dwarf_vars.h"

#include <dwarf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE_CACHE 16
#define FUNC_BUCKETS 1024

typedef struct {
  char *name;
  Dwarf_Off off;
  int defined; /* has a location or a constant: preferred to a declaration */
} global;

struct lt_dwvars {
  lt_dwfile *file;
  struct {
    uint64_t pc;
    Dwarf_Die *scopes;
    int n;
  } sc[SCOPE_CACHE];
  unsigned sc_next;
  lt_dwfunc *funcs[FUNC_BUCKETS];
  global *globals;
  size_t nglobals;
  int globals_done;
};

lt_dwvars *lt_dwvars_new(lt_dwfile *f) {
  lt_dwvars *v = calloc(1, sizeof *v);
  if (v) v->file = f;
  return v;
}

void lt_dwvars_free(lt_dwvars *v) {
  if (!v) return;
  for (int i = 0; i < SCOPE_CACHE; i++) free(v->sc[i].scopes);
  for (int b = 0; b < FUNC_BUCKETS; b++) {
    for (lt_dwfunc *fn = v->funcs[b], *nx; fn; fn = nx) {
      nx = fn->next;
      for (size_t i = 0; i < fn->nparams; i++) free(fn->params[i].name);
      free(fn->params);
      free(fn->name);
      free(fn);
    }
  }
  for (size_t i = 0; i < v->nglobals; i++) free(v->globals[i].name);
  free(v->globals);
  free(v);
}

lt_dwfile *lt_dwvars_file(lt_dwvars *v) { return v->file; }
size_t lt_dwvars_nglobals(const lt_dwvars *v) { return v->nglobals; }

/* Scopes containing pc, innermost first (borrowed: valid until SCOPE_CACHE
 * other pcs have been asked for). */
static int scopes_at(lt_dwvars *v, uint64_t pc, Dwarf_Die **out) {
  for (int i = 0; i < SCOPE_CACHE; i++)
    if (v->sc[i].scopes && v->sc[i].pc == pc) {
      *out = v->sc[i].scopes;
      return v->sc[i].n;
    }
  Dwarf_Die cu;
  if (!lt_dwfile_cu_at(v->file, pc, &cu)) return 0;
  Dwarf_Die *scopes = NULL;
  int n = dwarf_getscopes(&cu, pc, &scopes);
  if (n <= 0) {
    free(scopes);
    return 0;
  }
  /* Past an inlined instance, dwarf_getscopes goes on with the scopes of
   * its abstract definition; the frame's function is the DIE tree's
   * parent chain (the concrete subprogram the code was inlined into). */
  for (int i = 0; i < n; i++) {
    if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine) continue;
    Dwarf_Die *phys = NULL;
    int m = dwarf_getscopes_die(&scopes[0], &phys);
    if (m > 0) {
      free(scopes);
      scopes = phys;
      n = m;
    } else {
      free(phys);
    }
    break;
  }
  unsigned slot = v->sc_next++ % SCOPE_CACHE;
  free(v->sc[slot].scopes);
  v->sc[slot].pc = pc;
  v->sc[slot].scopes = scopes;
  v->sc[slot].n = n;
  *out = scopes;
  return n;
}

static bool flag_of(Dwarf_Die *d, int at) {
  Dwarf_Attribute a;
  bool f = false;
  return dwarf_attr_integrate(d, at, &a) && dwarf_formflag(&a, &f) == 0 && f;
}

static bool origin_of(Dwarf_Die *d, Dwarf_Die *origin) {
  Dwarf_Attribute a;
  return dwarf_attr(d, DW_AT_abstract_origin, &a) && dwarf_formref_die(&a, origin);
}

static int add_param(lt_dwfunc *fn, size_t *cap, lt_types *types, Dwarf_Die *named, Dwarf_Die *concrete) {
  if (fn->nparams == *cap) {
    *cap = *cap ? *cap * 2 : 8;
    lt_dwparam *np = realloc(fn->params, *cap * sizeof *np);
    if (!np) return -1;
    fn->params = np;
  }
  lt_dwparam *p = &fn->params[fn->nparams++];
  memset(p, 0, sizeof *p);
  const char *n = dwarf_diename(named);
  p->name = strdup(n ? n : "");
  p->type = lt_type_attr(types, named);
  p->artificial = flag_of(named, DW_AT_artificial);
  if (concrete) {
    p->die = *concrete;
    p->has_die = 1;
  }
  return 0;
}

/* Parameters in declaration order. An out-of-line or inlined instance of
 * an abstract function may lack some (dropped by the optimiser): they are
 * listed from the origin without a location. */
static void read_params(lt_dwfunc *fn, lt_types *types) {
  size_t cap = 0;
  Dwarf_Die origin, child, oc;
  Dwarf_Die d = fn->die;
  bool has_origin = origin_of(&d, &origin);
  if (has_origin && dwarf_child(&origin, &oc) == 0) {
    do {
      if (dwarf_tag(&oc) == DW_TAG_unspecified_parameters) fn->variadic = 1;
      if (dwarf_tag(&oc) != DW_TAG_formal_parameter) continue;
      Dwarf_Die found, *fp = NULL;
      if (dwarf_child(&d, &child) == 0) {
        do {
          Dwarf_Die o;
          if (dwarf_tag(&child) == DW_TAG_formal_parameter && origin_of(&child, &o) && o.addr == oc.addr) {
            found = child;
            fp = &found;
            break;
          }
        } while (dwarf_siblingof(&child, &child) == 0);
      }
      if (add_param(fn, &cap, types, fp ? fp : &oc, fp) < 0) return;
    } while (dwarf_siblingof(&oc, &oc) == 0);
    return;
  }
  if (dwarf_child(&d, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_unspecified_parameters) fn->variadic = 1;
    if (tag == DW_TAG_formal_parameter && add_param(fn, &cap, types, &child, &child) < 0) return;
  } while (dwarf_siblingof(&child, &child) == 0);
}

/* "geo::Shape::area": the name through DW_AT_specification or the
 * abstract origin, qualified by its enclosing scopes in C++. */
static char *function_name(Dwarf_Die *die) {
  Dwarf_Die decl = *die, next;
  Dwarf_Attribute a;
  for (int i = 0; i < 8; i++) {
    if ((dwarf_attr(&decl, DW_AT_specification, &a) || dwarf_attr(&decl, DW_AT_abstract_origin, &a)) &&
        dwarf_formref_die(&a, &next))
      decl = next;
    else
      break;
  }
  const char *n = dwarf_diename(&decl);
  if (!n) return strdup("?");
  Dwarf_Die cu;
  int lang = dwarf_diecu(&decl, &cu, NULL, NULL) ? dwarf_srclang(&cu) : 0;
  if (lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 || lang == DW_LANG_C_plus_plus_11 ||
      lang == DW_LANG_C_plus_plus_14)
    return lt_type_qualify(&decl, n);
  return strdup(n);
}

static const lt_dwfunc *function_of(lt_dwvars *v, Dwarf_Die *die, Dwarf_Die *frame_die, int inlined) {
  void *key = die->addr;
  size_t b = ((uintptr_t)key >> 4) % FUNC_BUCKETS;
  for (lt_dwfunc *fn = v->funcs[b]; fn; fn = fn->next)
    if (fn->key == key) return fn;
  lt_dwfunc *fn = calloc(1, sizeof *fn);
  if (!fn) return NULL;
  fn->key = key;
  fn->die = *die;
  fn->frame_die = *frame_die;
  fn->inlined = inlined;
  fn->name = function_name(die);
  Dwarf_Addr entry = 0;
  if (dwarf_entrypc(die, &entry) != 0) dwarf_lowpc(die, &entry);
  fn->entry = entry;
  Dwarf_Addr fe = entry;
  if (frame_die->addr != die->addr && dwarf_entrypc(frame_die, &fe) != 0) dwarf_lowpc(frame_die, &fe);
  fn->frame_entry = fe;
  lt_types *types = lt_dwfile_types(v->file);
  fn->ret = lt_type_attr(types, die);
  read_params(fn, types);
  fn->next = v->funcs[b];
  v->funcs[b] = fn;
  return fn;
}

const lt_dwfunc *lt_dwvars_function(lt_dwvars *v, uint64_t pc, int outer) {
  Dwarf_Die *scopes;
  int n = scopes_at(v, pc, &scopes);
  int inner = -1, sub = -1;
  for (int i = 0; i < n; i++) {
    int tag = dwarf_tag(&scopes[i]);
    if (inner < 0 && (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine)) inner = i;
    if (tag == DW_TAG_subprogram) {
      sub = i;
      break;
    }
  }
  if (sub < 0) return NULL;
  int pick = outer ? sub : inner;
  return function_of(v, &scopes[pick], &scopes[sub], pick != sub);
}

const lt_dwfunc *lt_dwvars_function_at_entry(lt_dwvars *v, uint64_t entry) {
  const lt_dwfunc *fn = lt_dwvars_function(v, entry, 1);
  return fn && fn->entry == entry ? fn : NULL;
}

static bool named(Dwarf_Die *d, const char *name) {
  const char *n = dwarf_diename(d);
  return n && strcmp(n, name) == 0;
}

int lt_dwvars_lookup(lt_dwvars *v, uint64_t pc, const char *name, Dwarf_Die *var, const lt_dwfunc **fn) {
  Dwarf_Die *scopes;
  int n = scopes_at(v, pc, &scopes);
  for (int i = 0; i < n; i++) {
    int tag = dwarf_tag(&scopes[i]);
    Dwarf_Die child;
    if (dwarf_child(&scopes[i], &child) != 0) continue;
    do {
      int ct = dwarf_tag(&child);
      if ((ct == DW_TAG_variable || ct == DW_TAG_formal_parameter) && named(&child, name)) {
        *var = child;
        *fn = NULL;
        if (tag != DW_TAG_compile_unit && tag != DW_TAG_partial_unit) {
          /* the frame it belongs to: the innermost function at or outside this scope */
          int f = i;
          while (f < n && dwarf_tag(&scopes[f]) != DW_TAG_subprogram &&
                 dwarf_tag(&scopes[f]) != DW_TAG_inlined_subroutine)
            f++;
          int sub = f;
          while (sub < n && dwarf_tag(&scopes[sub]) != DW_TAG_subprogram) sub++;
          if (f < n && sub < n) *fn = function_of(v, &scopes[f], &scopes[sub], f != sub);
        }
        return 1;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  return 0;
}

static int cmp_global(const void *a, const void *b) {
  const global *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  return y->defined - x->defined; /* definitions first */
}

typedef struct {
  lt_dwvars *v;
  size_t cap;
} gctx;

static void add_globals(gctx *g, Dwarf_Die *scope, const char *prefix, int depth) {
  Dwarf_Die child;
  if (depth > 8 || dwarf_child(scope, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_namespace && prefix) {
      const char *ns = dwarf_diename(&child);
      size_t len = strlen(prefix) + (ns ? strlen(ns) : 0) + 3;
      char *p = malloc(len);
      if (!p) continue;
      snprintf(p, len, "%s%s::", prefix, ns ? ns : "(anonymous namespace)");
      add_globals(g, &child, p, depth + 1);
      free(p);
      continue;
    }
    if (tag != DW_TAG_variable) continue;
    const char *n = dwarf_diename(&child);
    if (!n) continue;
    Dwarf_Attribute a;
    int defined = dwarf_attr(&child, DW_AT_location, &a) || dwarf_attr(&child, DW_AT_const_value, &a);
    if (g->v->nglobals == g->cap) {
      g->cap = g->cap ? g->cap * 2 : 256;
      global *ng = realloc(g->v->globals, g->cap * sizeof *ng);
      if (!ng) return;
      g->v->globals = ng;
    }
    size_t len = strlen(n) + (prefix ? strlen(prefix) : 0) + 1;
    char *full = malloc(len);
    if (!full) return;
    snprintf(full, len, "%s%s", prefix ? prefix : "", n);
    g->v->globals[g->v->nglobals++] = (global){full, dwarf_dieoffset(&child), defined};
  } while (dwarf_siblingof(&child, &child) == 0);
}

static int index_cu(void *ud, Dwarf_Die *cu) {
  int lang = dwarf_srclang(cu);
  bool cxx = lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 ||
             lang == DW_LANG_C_plus_plus_11 || lang == DW_LANG_C_plus_plus_14;
  add_globals(ud, cu, cxx ? "" : NULL, 0);
  return 0;
}

/* A C++ static member is declared in its class and defined at unit level
 * with DW_AT_specification; its index name is its qualified one. */
int lt_dwvars_global(lt_dwvars *v, const char *name, Dwarf_Die *var) {
  if (!v->globals_done) {
    v->globals_done = 1;
    gctx g = {v, 0};
    lt_dwfile_each_cu(v->file, index_cu, &g);
    if (v->nglobals) qsort(v->globals, v->nglobals, sizeof *v->globals, cmp_global);
  }
  size_t lo = 0, hi = v->nglobals;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (strcmp(v->globals[mid].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < v->nglobals && strcmp(v->globals[lo].name, name) == 0)
    return dwarf_offdie(lt_dwfile_dwarf(v->file), v->globals[lo].off, var) ? 1 : 0;
  return 0;
}

static int site_matches(Dwarf_Die *d, uint64_t ret) {
  int tag = dwarf_tag(d);
  if (tag != DW_TAG_call_site && tag != DW_TAG_GNU_call_site) return 0;
  Dwarf_Attribute a;
  Dwarf_Addr addr;
  if (dwarf_attr(d, DW_AT_call_return_pc, &a) && dwarf_formaddr(&a, &addr) == 0) return addr == ret;
  if (tag == DW_TAG_GNU_call_site && dwarf_attr(d, DW_AT_low_pc, &a) && dwarf_formaddr(&a, &addr) == 0)
    return addr == ret;
  return 0;
}

int lt_dwvars_call_site(lt_dwvars *v, uint64_t ret, Dwarf_Die *site) {
  Dwarf_Die *scopes;
  int n = scopes_at(v, ret - 1, &scopes); /* the call instruction ends just before ret */
  for (int i = 0; i < n; i++) {
    Dwarf_Die child;
    if (dwarf_child(&scopes[i], &child) != 0) continue;
    do {
      if (site_matches(&child, ret)) {
        *site = child;
        return 1;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
    int tag = dwarf_tag(&scopes[i]);
    if (tag == DW_TAG_subprogram) break;
  }
  return 0;
}
