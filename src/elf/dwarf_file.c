/* dwarf_file.c: one ELF file's DWARF through an offline libdwfl session of
 * its own (its lifetime is lutra's, not the process view's), the unit
 * index built from each unit's first DIE only, and its CFI. */
#include "dwarf_file.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  uint64_t lo, hi;
  Dwarf_Off cu_off; /* offset of the unit's DIE */
} cu_range;

struct lt_dwfile {
  char *path;
  Dwfl *dwfl;
  Dwfl_Module *mod;
  Dwarf *dbg;
  Dwarf_CFI *cfi_debug, *cfi_eh;
  Dwarf_Addr cfi_debug_bias, cfi_eh_bias;
  lt_types *types;
  cu_range *ranges;
  size_t nranges;
  int indexed;
  char *warning;
  int warned;
  lt_dwfile_stats stats;
};

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

lt_dwfile *lt_dwfile_open(const char *path) {
  lt_dwfile *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->path = strdup(path);
  f->types = lt_types_new();
  if (!f->path || !f->types) {
    lt_dwfile_free(f);
    return NULL;
  }
  f->dwfl = dwfl_begin(&offline_callbacks);
  if (!f->dwfl) return f;
  dwfl_report_begin(f->dwfl);
  f->mod = dwfl_report_offline(f->dwfl, path, path, -1);
  dwfl_report_end(f->dwfl, NULL, NULL);
  if (!f->mod) return f;
  Dwarf_Addr bias;
  f->dbg = dwfl_module_getdwarf(f->mod, &bias);
  f->cfi_debug = dwfl_module_dwarf_cfi(f->mod, &f->cfi_debug_bias);
  f->cfi_eh = dwfl_module_eh_cfi(f->mod, &f->cfi_eh_bias);
  if (!f->dbg) {
    /* No DWARF at all is ordinary (a program built without -g); a file
     * that has .debug_info libdw cannot read is worth a warning. */
    int err = dwfl_errno();
    if (err && strstr(dwfl_errmsg(err), "no DWARF") == NULL && strstr(dwfl_errmsg(err), "No DWARF") == NULL)
      lt_dwfile_note_corrupt(f, dwfl_errmsg(err));
  }
  return f;
}

void lt_dwfile_free(lt_dwfile *f) {
  if (!f) return;
  lt_types_free(f->types);
  if (f->dwfl) dwfl_end(f->dwfl);
  free(f->ranges);
  free(f->warning);
  free(f->path);
  free(f);
}

const char *lt_dwfile_path(const lt_dwfile *f) { return f->path; }
Dwarf *lt_dwfile_dwarf(lt_dwfile *f) { return f->dbg; }
lt_types *lt_dwfile_types(lt_dwfile *f) { return f->types; }
const lt_dwfile_stats *lt_dwfile_stats_of(const lt_dwfile *f) { return &f->stats; }

void lt_dwfile_note_corrupt(lt_dwfile *f, const char *what) {
  if (f->warning || f->warned) return;
  size_t len = strlen(f->path) + strlen(what) + 64;
  f->warning = malloc(len);
  if (f->warning)
    snprintf(f->warning, len, "%s: cannot read its DWARF (%s); its values are untyped", f->path, what);
}

const char *lt_dwfile_take_warning(lt_dwfile *f) {
  if (!f->warning || f->warned) return NULL;
  f->warned = 1;
  return f->warning;
}

/* The CFA rule of the frame at a file address (the CFI's own addresses;
 * libdwfl's bias is what it placed the module at, not needed here). */
int lt_dwfile_cfa_frame(lt_dwfile *f, uint64_t pc, Dwarf_Frame **frame) {
  if (f->cfi_debug && dwarf_cfi_addrframe(f->cfi_debug, pc, frame) == 0) return 0;
  if (f->cfi_eh && dwarf_cfi_addrframe(f->cfi_eh, pc, frame) == 0) return 0;
  return -1;
}

static int cmp_range(const void *a, const void *b) {
  const cu_range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Each unit's address ranges, from its DIE (DW_AT_low_pc/high_pc or
 * DW_AT_ranges): .debug_aranges is optional (clang omits it). */
static void build_index(lt_dwfile *f) {
  f->indexed = 1;
  if (!f->dbg) return;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  size_t cap = 0;
  Dwarf_CU *cu = NULL;
  Dwarf_Die cudie, subdie;
  uint8_t unit_type;
  int rc;
  while ((rc = dwarf_get_units(f->dbg, cu, &cu, NULL, &unit_type, &cudie, &subdie)) == 0) {
    if (unit_type == DW_UT_skeleton) cudie = subdie;
    f->stats.units++;
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
      if (lo >= hi) continue;
      if (f->nranges == cap) {
        cap = cap ? cap * 2 : 64;
        cu_range *nr = realloc(f->ranges, cap * sizeof *nr);
        if (!nr) return;
        f->ranges = nr;
      }
      f->ranges[f->nranges++] = (cu_range){lo, hi, dwarf_dieoffset(&cudie)};
    }
    if (off < 0) lt_dwfile_note_corrupt(f, dwarf_errmsg(-1));
  }
  if (rc < 0) lt_dwfile_note_corrupt(f, dwarf_errmsg(-1));
  if (f->nranges) qsort(f->ranges, f->nranges, sizeof *f->ranges, cmp_range);
  f->stats.ranges = f->nranges;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  f->stats.index_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
}

int lt_dwfile_cu_at(lt_dwfile *f, uint64_t pc, Dwarf_Die *cu) {
  if (!f->indexed) build_index(f);
  size_t lo = 0, hi = f->nranges;
  while (lo < hi) { /* the last range starting at or before pc */
    size_t mid = (lo + hi) / 2;
    if (f->ranges[mid].lo <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  /* ranges may nest (a unit's range list spanning another's): look back */
  for (size_t i = lo; i > 0 && i + 64 > lo; i--) {
    const cu_range *r = &f->ranges[i - 1];
    if (pc >= r->lo && pc < r->hi) return dwarf_offdie(f->dbg, r->cu_off, cu) ? 1 : 0;
  }
  return 0;
}

void lt_dwfile_each_cu(lt_dwfile *f, int (*fn)(void *ud, Dwarf_Die *cu), void *ud) {
  if (!f->dbg) return;
  Dwarf_CU *cu = NULL;
  Dwarf_Die cudie, subdie;
  uint8_t unit_type;
  int rc;
  while ((rc = dwarf_get_units(f->dbg, cu, &cu, NULL, &unit_type, &cudie, &subdie)) == 0) {
    if (unit_type == DW_UT_skeleton) cudie = subdie;
    if (unit_type == DW_UT_type || unit_type == DW_UT_split_type) continue;
    if (fn(ud, &cudie)) return;
  }
  if (rc < 0) lt_dwfile_note_corrupt(f, dwarf_errmsg(-1));
}
