/* dwarf_vars.h: the functions and variables of one DWARF file: the
 * function at a pc with its parameters, the variable a name means at a pc,
 * globals by name, and the call sites that entry values are read from. */
#ifndef LUTRA_DWARF_VARS_H
#define LUTRA_DWARF_VARS_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

#include "dwarf_file.h"
#include "dwarf_types.h"

typedef struct {
  char *name;
  const lt_type *type;
  Dwarf_Die die;  /* the concrete DIE: where its location is */
  int has_die;    /* 0: the compiler dropped it (the abstract origin alone names it) */
  int artificial; /* `this` */
} lt_dwparam;

typedef struct lt_dwfunc {
  char *name;           /* "price", "geo::Shape::area" */
  uint64_t entry;       /* file address of its first instruction */
  uint64_t frame_entry; /* that of frame_die (where entry values are taken) */
  Dwarf_Die die;        /* the subprogram or inlined instance */
  Dwarf_Die frame_die;  /* the subprogram holding DW_AT_frame_base */
  int inlined;
  const lt_type *ret; /* void when it returns nothing */
  lt_dwparam *params;
  size_t nparams;
  int variadic;
  void *key;
  struct lt_dwfunc *next;
} lt_dwfunc;

typedef struct lt_dwvars lt_dwvars;

lt_dwvars *lt_dwvars_new(lt_dwfile *f);
void lt_dwvars_free(lt_dwvars *v);
lt_dwfile *lt_dwvars_file(lt_dwvars *v);

/* The innermost function at a file address (an inlined instance when pc is
 * in one, with `outer` false: the out-of-line function containing it);
 * NULL when no DWARF covers pc. Cached: parameters are read once. */
const lt_dwfunc *lt_dwvars_function(lt_dwvars *v, uint64_t pc, int outer);
/* The variable or parameter `name` means at pc: innermost scope first,
 * then the unit's file-scope variables. 1 and *var (and *fn, the function
 * whose frame it lives in, or NULL for a static), 0 when none. */
int lt_dwvars_lookup(lt_dwvars *v, uint64_t pc, const char *name, Dwarf_Die *var, const lt_dwfunc **fn);
/* A global or static variable by name ("counter", "ns::value"): 1 and *var. */
int lt_dwvars_global(lt_dwvars *v, const char *name, Dwarf_Die *var);
/* The call site that returns to file address `ret`: 1 and *site. */
int lt_dwvars_call_site(lt_dwvars *v, uint64_t ret, Dwarf_Die *site);
/* Visits the functions whose entry is one of `entries` (file addresses,
 * sorted), for signatures: reads only the units that hold them. */
const lt_dwfunc *lt_dwvars_function_at_entry(lt_dwvars *v, uint64_t entry);

/* The counters of the globals index (docs/PERFORMANCE.md). */
size_t lt_dwvars_nglobals(const lt_dwvars *v);

#endif
