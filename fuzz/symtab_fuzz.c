/* symtab_fuzz.c: libFuzzer target for the ELF symbol reader. Each input is
 * a file (through a memfd) that lt_symtab_open must answer with a table or
 * a clear error, never a crash; lookups on a table must stay in bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memfd_input.h"
#include "../src/elf/symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64], err[256];
  int fd = memfd_input(data, size, path, sizeof path);
  if (fd < 0) return 0;
  int code;
  lt_symtab *s = lt_symtab_open(path, "fuzz", err, sizeof err, &code);
  if (s) {
    for (size_t i = 0; i < s->n; i++) {
      const lt_sym *y = lt_symtab_lookup(s, s->syms[i].name);
      if (!y) __builtin_trap(); /* every listed name must be found */
      lt_symtab_containing(s, s->syms[i].value);
    }
    lt_symtab_lookup(s, "main");
    lt_symtab_containing(s, 0x1000);
    lt_symtab_free(s);
  }
  close(fd);
  return 0;
}
