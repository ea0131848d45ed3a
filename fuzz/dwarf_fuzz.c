/* dwarf_fuzz.c: libFuzzer target for the DWARF reader (src/elf/dwarf_*).
 * Each input is an ELF file whose DWARF lutra opens, indexes, and reads
 * as typed values need: the function at each symbol, its parameters'
 * types and names, their locations in a frame with no registers, globals,
 * call sites. Anything but a crash or a sanitizer report is an answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memfd_input.h"
#include "../src/elf/dwarf_loc.h"
#include "../src/elf/dwarf_vars.h"
#include "../src/elf/symtab.h"

static int no_mem(void *ud, uint64_t addr, void *buf, size_t len, char *err, size_t errlen) {
  (void)ud;
  (void)addr;
  (void)buf;
  (void)len;
  snprintf(err, errlen, "no memory");
  return -1;
}

static int no_module(void *ud, uint64_t pc, lt_dwvars **vars, uint64_t *bias) {
  (void)ud;
  (void)pc;
  (void)vars;
  (void)bias;
  return 0;
}

/* Walks a type as printing would, a few levels deep. */
static void walk_type(lt_types *c, const lt_type *t, int depth) {
  if (!t || depth > 4) return;
  lt_type_name(c, t);
  lt_type_size(c, t);
  lt_type_by_reference(c, t);
  const lt_type *s = lt_type_strip(c, t);
  const lt_member *m;
  size_t n = lt_type_members(c, s, &m);
  for (size_t i = 0; i < n && i < 16; i++) walk_type(c, m[i].type, depth + 1);
  const lt_enumerator *e;
  lt_type_enumerators(c, s, &e);
  walk_type(c, lt_type_target(c, s), depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64], err[256];
  int fd = memfd_input(data, size, path, sizeof path);
  if (fd < 0) return 0;
  int code;
  lt_symtab *syms = lt_symtab_open(path, "fuzz", err, sizeof err, &code);
  lt_dwfile *f = lt_dwfile_open(path);
  if (f && lt_dwfile_dwarf(f)) {
    lt_dwvars *v = lt_dwvars_new(f);
    lt_types *c = lt_dwfile_types(f);
    lt_dwenv env = {NULL, no_mem, no_module, 7, 16, 0};
    for (size_t i = 0; syms && v && i < syms->n && i < 64; i++) {
      uint64_t pc = syms->syms[i].value;
      const lt_dwfunc *fn = lt_dwvars_function(v, pc, 0);
      if (!fn) continue;
      walk_type(c, fn->ret, 0);
      lt_dwframe fr;
      lt_dwframe_init(&fr, &env, v, 0, pc);
      uint64_t zero = 0;
      for (int r = 0; r < 17; r++) lt_dwframe_set_reg(&fr, r, &zero, 8);
      for (size_t k = 0; k < fn->nparams; k++) {
        walk_type(c, fn->params[k].type, 0);
        if (!fn->params[k].has_die) continue;
        Dwarf_Die d = fn->params[k].die;
        lt_dwplace pl;
        if (lt_dwframe_locate(&fr, &d, fn, &pl, err, sizeof err) == 0) {
          uint8_t bytes[64], avail[64];
          uint64_t addr;
          lt_dwframe_read(&fr, &pl, sizeof bytes, bytes, avail, &addr, err, sizeof err);
        }
      }
      lt_dwframe_release(&fr);
      Dwarf_Die var, site;
      const lt_dwfunc *owner;
      lt_dwvars_lookup(v, pc, "i", &var, &owner);
      lt_dwvars_call_site(v, pc + 5, &site);
    }
    Dwarf_Die g;
    if (v) lt_dwvars_global(v, "main", &g);
    lt_dwvars_free(v);
  }
  if (f) lt_dwfile_take_warning(f);
  lt_dwfile_free(f);
  if (syms) lt_symtab_free(syms);
  close(fd);
  return 0;
}
