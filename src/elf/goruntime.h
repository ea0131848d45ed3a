/* goruntime.h: what lutra knows of a Go binary's runtime: its Go version
 * (.go.buildinfo), its function table (.gopclntab), which functions use
 * Go's register ABI, and where runtime.g keeps the goroutine id. */
#ifndef LUTRA_GORUNTIME_H
#define LUTRA_GORUNTIME_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#include "gopclntab.h"

/* runtime.g: stack.lo and stack.hi lead it in every Go version. */
#define LT_GO_G_STACK_LO 0
#define LT_GO_G_STACK_HI 8

typedef struct lt_goruntime {
  char version[32];   /* "go1.19.8", "" when .go.buildinfo does not say */
  int minor;          /* 19 for go1.19, 0 when unknown */
  lt_gopclntab *pcln; /* NULL when unreadable (pcln_err says why) */
  char pcln_err[128];
  char *path;           /* the file, for the DWARF look-up of runtime.g */
  int goid_offset;      /* -2: not looked up yet, -1: unknown */
  char goid_source[64]; /* "DWARF", "the go1.19 layout": for messages */
  int stripped;         /* no .symtab: the file's symbols are the table's */
} lt_goruntime;

/* A Go binary (one with .go.buildinfo): its runtime facts; NULL for any
 * other file (or when memory ran out). */
lt_goruntime *lt_goruntime_read(Elf *e, const char *path);
void lt_goruntime_free(lt_goruntime *g);

/* The Go function whose code holds addr (link-time): one in the function
 * table that is not ABI0 (assembly, or the ABI0 wrapper of a Go function).
 * NULL for a pc outside the table (C code of a cgo binary) and for ABI0
 * code. `symname` is the .symtab symbol at addr (ignored when stripped):
 * the linker suffixes package-qualified ABI0 symbols with ".abi0", so an
 * assembly function without it is <ABIInternal> (runtime.memmove). */
const lt_gofunc *lt_goruntime_func(const lt_goruntime *g, uint64_t addr, const char *symname);
/* Does Go code of this binary pass arguments in registers (go1.17+) and
 * keep g in a register? */
int lt_goruntime_regabi(const lt_goruntime *g);

/* The offset of goid in runtime.g: from the binary's DWARF, else from the
 * layout of its Go version. -1 when neither tells (message in err). */
int lt_goruntime_goid_offset(lt_goruntime *g, char *err, size_t errlen);

#endif
