/* symtab.h: the symbols of one ELF file (libelf), and the ELF objects
 * mapped into a process with their load bias. */
#ifndef LUTRA_SYMTAB_H
#define LUTRA_SYMTAB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
  const char *name; /* the linkage name, without a version suffix */
  uint64_t value;   /* link-time address */
  uint64_t size;
  int type; /* STT_FUNC, STT_OBJECT, STT_GNU_IFUNC, ... */
  int code; /* it lies in an executable segment of the file */
} lt_sym;

/* Demangled names of one file, built on first need (lt_symtab_names):
 * offsets into `arena` per symbol (NONE: the name is not mangled), and
 * the mangled symbols sorted by spelled signature and by spelled
 * qualified name. */
typedef struct lt_names {
  char *arena;
  size_t len, cap;
  uint32_t *display; /* as printed (c++filt, rustc-demangle) */
  uint32_t *sig;     /* the signature, spelled by lt_spell */
  uint32_t *base;    /* the qualified name, spelled by lt_spell */
  uint32_t *shown;   /* the display form spelled, when it is not the signature
                      * (a template function's, with its return type) */
  uint32_t *by_sig, *by_base, *by_shown;
  size_t nsig, nbase, nshown;
} lt_names;

typedef struct lt_symtab {
  char *path;
  dev_t dev;
  ino_t ino;
  int64_t mtime;
  lt_sym *syms;     /* sorted by name */
  lt_sym **by_addr; /* sorted by value */
  size_t n;
  char *strings;
  uint64_t first_load; /* page-aligned vaddr of the first PT_LOAD */
  uint64_t entry;
  int is_dyn;
  int has_interp;             /* PT_INTERP: a dynamic loader maps its libraries */
  int valid;                  /* 0: the file is not an ELF we can read */
  int stripped;               /* no .symtab and no separate symbols: .dynsym is all there is */
  char *error;                /* !valid: why it cannot be read (NULL: it is not an ELF file at all) */
  lt_names *names;            /* NULL until first needed */
  int names_failed;           /* out of memory building them: linkage names only */
  struct lt_goruntime *go;    /* a Go binary's runtime (goruntime.h), else NULL */
  struct lt_usdt_notes *usdt; /* its SDT probes (usdt.h), NULL when none */
} lt_symtab;

/* lt_symtab_open's codes besides errno values. */
#define LT_SYMTAB_NOT_ELF (-1) /* not an ELF file at all (a data file) */
#define LT_SYMTAB_BAD_ELF (-2) /* an ELF file lutra cannot use: truncated, corrupt, not x86_64 */

/* Opens and indexes `path`. On failure NULL, with a message and a code
 * (an errno value or one of the above). */
lt_symtab *lt_symtab_open(const char *path, const char *display, char *err, size_t errlen, int *code);
void lt_symtab_free(lt_symtab *s);
/* The ELF class of a file (ELFCLASS32, ELFCLASS64), 0 when it is not an
 * ELF file or cannot be read. */
int lt_elf_class(const char *path);
/* The symbol whose linkage name is `name` (a function preferred). */
const lt_sym *lt_symtab_lookup(const lt_symtab *s, const char *name);
const lt_sym *lt_symtab_containing(const lt_symtab *s, uint64_t vaddr);

/* Every symbol `name` designates, as docs/API.md says: its linkage name;
 * else the demangled signature ("ns::f(char const*)", compared in
 * lt_spell's spelling, which `spelled` holds); else every overload of the
 * qualified name ("ns::f"), compilers' clones left out. Fills up to `max`
 * and returns how many there are. */
size_t lt_symtab_find(lt_symtab *s, const char *name, const char *spelled, const lt_sym **out, size_t max);
/* The name to print: demangled when it is mangled, else the linkage name.
 * When *owned is set on return, the caller frees it (the name itself). */
const char *lt_symtab_display(lt_symtab *s, const lt_sym *y, char **owned);
/* Does the glob match the symbol's linkage name, demangled name or
 * qualified name? */
int lt_symtab_glob(lt_symtab *s, const lt_sym *y, const char *glob);
/* Builds the demangled names now (once); -1 when memory ran out. */
int lt_symtab_names(lt_symtab *s);

typedef struct {
  char *path;      /* as /proc/PID/maps names it */
  uint64_t base;   /* lowest address mapped from it */
  uint64_t end;    /* highest address mapped from it */
  uint64_t bias;   /* runtime address - link-time address */
  lt_symtab *syms; /* NULL when the file is not an ELF we can read */
  int is_exe;
  int is_loader; /* the dynamic loader (ld-linux*.so*, ld.so*) */
} lt_module;

/* One line of /proc/PID/maps: what the engine may put an int3 into. */
typedef struct {
  uint64_t start, end;
  char perms[5]; /* "r-xp" */
  char *path;    /* NULL for an anonymous mapping */
} lt_region;

typedef struct {
  lt_module *mods;
  size_t n;
  lt_region *regions; /* every mapping, in address order */
  size_t nregions;
  lt_symtab **cache; /* symtabs by file, kept across refreshes */
  size_t ncache;
  const lt_symtab **bad; /* mapped ELF objects lutra cannot read (entries of the cache) */
  size_t nbad;
  /* Told once per file when a mapped object that is (or claims to be) an
   * ELF file cannot be read: its symbols are unknown. May be NULL. */
  void (*warn)(void *ud, const char *msg);
  void *warn_ud;
  /* Told before (done 0) and after (done 1) reading one file's symbols,
   * with its size in bytes, so that a long read can be shown. May be NULL. */
  void (*loading)(void *ud, const char *path, uint64_t size, int done);
  void *loading_ud;
  double load_s; /* time spent reading symbol tables */
  size_t loaded; /* files whose symbols were read */
} lt_modules;

void lt_modules_init(lt_modules *m);
void lt_modules_free(lt_modules *m);
/* Re-reads /proc/PID/maps; files already indexed are not opened again. */
int lt_modules_refresh(lt_modules *m, pid_t pid, char *err, size_t errlen);
/* Module whose basename or path is `name`, or NULL. */
const lt_module *lt_modules_find(const lt_modules *m, const char *name);
/* A mapped ELF object that cannot be read, named as lt_modules_find names
 * modules, or NULL: its path and error are in the table. */
const lt_symtab *lt_modules_find_bad(const lt_modules *m, const char *name);
const lt_module *lt_modules_at(const lt_modules *m, uint64_t addr);
/* The mapping holding addr, or NULL. */
const lt_region *lt_modules_region(const lt_modules *m, uint64_t addr);

#endif
