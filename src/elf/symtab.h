/* symtab.h: the symbols of one ELF file (libelf), and the ELF objects
 * mapped into a process with their load bias. */
#ifndef LUTRA_SYMTAB_H
#define LUTRA_SYMTAB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
  const char *name; /* without a version suffix */
  uint64_t value;   /* link-time address */
  uint64_t size;
  int type;         /* STT_FUNC, STT_OBJECT, STT_GNU_IFUNC, ... */
} lt_sym;

typedef struct lt_symtab {
  char *path;
  dev_t dev;
  ino_t ino;
  int64_t mtime;
  lt_sym *syms; /* sorted by name */
  lt_sym **by_addr; /* sorted by value */
  size_t n;
  char *strings;
  uint64_t first_load; /* page-aligned vaddr of the first PT_LOAD */
  uint64_t entry;
  int is_dyn;
  int valid; /* 0: the file is not an ELF we can read */
  struct lt_goruntime *go;    /* a Go binary's runtime (goruntime.h), else NULL */
  struct lt_usdt_notes *usdt; /* its SDT probes (usdt.h), NULL when none */
} lt_symtab;

/* lt_symtab_open's codes besides errno values. */
#define LT_SYMTAB_NOT_ELF (-1) /* not an ELF file at all (a data file) */
#define LT_SYMTAB_BAD_ELF (-2) /* an ELF file lutra cannot use: truncated, corrupt, not x86_64 */

/* Opens and indexes `path`. On failure NULL, with a message and a code
 * (an errno value or one of the above). */
lt_symtab *lt_symtab_open(const char *path, const char *display, char *err, size_t errlen,
                          int *code);
void lt_symtab_free(lt_symtab *s);
const lt_sym *lt_symtab_lookup(const lt_symtab *s, const char *name);
const lt_sym *lt_symtab_containing(const lt_symtab *s, uint64_t vaddr);

typedef struct {
  char *path;     /* as /proc/PID/maps names it */
  uint64_t base;  /* lowest address mapped from it */
  uint64_t end;   /* highest address mapped from it */
  uint64_t bias;  /* runtime address - link-time address */
  lt_symtab *syms; /* NULL when the file is not an ELF we can read */
  int is_exe;
  int is_loader; /* the dynamic loader (ld-linux*.so*, ld.so*) */
} lt_module;

typedef struct {
  lt_module *mods;
  size_t n;
  lt_symtab **cache; /* symtabs by file, kept across refreshes */
  size_t ncache;
  /* Told once per file when a mapped object that is (or claims to be) an
   * ELF file cannot be read: its symbols are unknown. May be NULL. */
  void (*warn)(void *ud, const char *msg);
  void *warn_ud;
} lt_modules;

void lt_modules_init(lt_modules *m);
void lt_modules_free(lt_modules *m);
/* Re-reads /proc/PID/maps; files already indexed are not opened again. */
int lt_modules_refresh(lt_modules *m, pid_t pid, char *err, size_t errlen);
/* Module whose basename or path is `name`, or NULL. */
const lt_module *lt_modules_find(const lt_modules *m, const char *name);
const lt_module *lt_modules_at(const lt_modules *m, uint64_t addr);

#endif
