/* gopclntab.h: the function table of a Go binary, from its .gopclntab
 * (which `go build -ldflags=-s -w` keeps): names as Go prints them,
 * entry and end addresses, and which functions are assembly. */
#ifndef LUTRA_GOPCLNTAB_H
#define LUTRA_GOPCLNTAB_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *name; /* "main.Add", "net/http.(*conn).serve" */
  uint64_t entry;   /* link-time address */
  uint64_t end;     /* the next function's entry */
  uint8_t funcid;   /* the runtime's funcID (0: an ordinary function) */
  uint8_t flag;     /* the runtime's funcFlag bits (LT_GOFUNC_ASM...) */
  uint8_t abi0;     /* an ABI0 function: assembly, or the ABI0 wrapper of a
                     * Go function (then named "pkg.f.abi0", as the linker
                     * names it in .symtab) */
} lt_gofunc;

/* funcFlag_ASM (go1.19+): the function is written in assembly. */
#define LT_GOFUNC_ASM 0x04

typedef struct {
  lt_gofunc *funcs; /* sorted by entry */
  size_t n;
  char *names, *more_names;
  uint32_t
      magic; /* which layout: 0xfffffff1 go1.20+, 0xfffffff0 go1.18, 0xfffffffa go1.16, 0xfffffffb go1.2 */
} lt_gopclntab;

/* Reads .gopclntab of an ELF file. NULL when it has none or it is not a
 * layout lutra knows (with a message in err). */
lt_gopclntab *lt_gopclntab_read(Elf *e, char *err, size_t errlen);
void lt_gopclntab_free(lt_gopclntab *t);
/* The function whose code holds addr (link-time), or NULL. */
const lt_gofunc *lt_gopclntab_at(const lt_gopclntab *t, uint64_t addr);

#endif
