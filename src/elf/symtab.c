/* symtab.c: reads .symtab and .dynsym of one ELF file with libelf into
 * arrays sorted by name (lookup) and by address (symbolize). A file
 * without .symtab (stripped) gets the symbols of its separate debug
 * information through libdwfl's cascade, as gdb finds them: a debug file
 * by build-id or .gnu_debuglink under /usr/lib/debug, debuginfod when
 * DEBUGINFOD_URLS is set, else the MiniDebugInfo in .gnu_debugdata. */
#include "symtab.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "goruntime.h"
#include "usdt.h"

static int by_name(const void *a, const void *b) {
  const lt_sym *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  return (x->value > y->value) - (x->value < y->value);
}

static int by_value(const void *a, const void *b) {
  const lt_sym *x = *(lt_sym *const *)a, *y = *(lt_sym *const *)b;
  if (x->value != y->value) return (x->value > y->value) - (x->value < y->value);
  return (y->size > x->size) - (y->size < x->size); /* sized first */
}

static lt_symtab *fail(lt_symtab *s, int fd, Elf *e, char *err, size_t errlen, int *code,
                       int c, const char *fmt, const char *a) {
  snprintf(err, errlen, fmt, a);
  *code = c;
  if (e) elf_end(e);
  if (fd >= 0) close(fd);
  lt_symtab_free(s);
  return NULL;
}

typedef struct {
  size_t cap, strcap, strlen;
} growth;

/* Appends one symbol (name without its version suffix); names are kept as
 * offsets into `strings` until the table is complete (it may move). */
static int add_sym(lt_symtab *s, growth *g, const char *name, const GElf_Sym *sym) {
  int type = GELF_ST_TYPE(sym->st_info);
  if (sym->st_shndx == SHN_UNDEF || sym->st_value == 0) return 0;
  if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC && type != STT_NOTYPE)
    return 0;
  if (!name || !*name) return 0;
  size_t len = strcspn(name, "@"); /* malloc@@GLIBC_2.2.5 -> malloc */
  if (g->strlen + len + 1 > g->strcap) {
    size_t nc = (g->strcap ? g->strcap * 2 : 4096) + len + 1;
    char *ns = realloc(s->strings, nc);
    if (!ns) return -1;
    s->strings = ns;
    g->strcap = nc;
  }
  if (s->n == g->cap) {
    size_t nc = g->cap ? g->cap * 2 : 256;
    lt_sym *ns = realloc(s->syms, nc * sizeof *ns);
    if (!ns) return -1;
    s->syms = ns;
    g->cap = nc;
  }
  memcpy(s->strings + g->strlen, name, len);
  s->strings[g->strlen + len] = 0;
  s->syms[s->n].name = (const char *)(uintptr_t)g->strlen;
  s->syms[s->n].value = sym->st_value;
  s->syms[s->n].size = sym->st_size;
  s->syms[s->n].type = type;
  s->n++;
  g->strlen += len + 1;
  return 0;
}

/* .symtab and .dynsym of the file itself; *has_symtab tells whether there
 * was a .symtab. */
static int collect(lt_symtab *s, Elf *e, growth *g, bool *has_symtab) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(e, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) return -1;
    if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) continue;
    if (sh.sh_type == SHT_SYMTAB) *has_symtab = true;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d || sh.sh_entsize == 0) continue;
    size_t count = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < count; i++) {
      GElf_Sym sym;
      if (!gelf_getsym(d, (int)i, &sym)) break;
      if (add_sym(s, g, elf_strptr(e, sh.sh_link, sym.st_name), &sym) < 0) return -1;
    }
  }
  return 0;
}

/* A stripped file: the symbols libdwfl finds for it elsewhere. Values are
 * the file's link-time addresses, as in collect(). Returns how many were
 * added, -1 when memory ran out. */
static long collect_separate(lt_symtab *s, const char *path, growth *g) {
  static const Dwfl_Callbacks offline = {
      .find_elf = dwfl_build_id_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = dwfl_offline_section_address,
  };
  Dwfl *d = dwfl_begin(&offline);
  if (!d) return 0;
  long added = 0;
  Dwfl_Module *mod = dwfl_report_offline(d, "", path, -1);
  if (dwfl_report_end(d, NULL, NULL) == 0 && mod) {
    int n = dwfl_module_getsymtab(mod);
    for (int i = 1; i < n; i++) {
      GElf_Sym sym;
      GElf_Addr addr;
      GElf_Word shndx;
      const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
      if (!name) continue;
      if (shndx != SHN_UNDEF && sym.st_shndx == SHN_UNDEF) sym.st_shndx = (Elf64_Section)shndx;
      size_t before = s->n;
      if (add_sym(s, g, name, &sym) < 0) {
        added = -1;
        break;
      }
      added += (long)(s->n - before);
    }
  }
  dwfl_end(d);
  return added;
}

/* A stripped Go binary: its functions from .gopclntab (goruntime.c). */
static int collect_go(lt_symtab *s, growth *g) {
  const lt_gopclntab *t = s->go->pcln;
  s->go->stripped = 1;
  for (size_t i = 0; t && i < t->n; i++) {
    GElf_Sym sym = {.st_info = GELF_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = SHN_ABS,
                    .st_value = t->funcs[i].entry, .st_size = t->funcs[i].end - t->funcs[i].entry};
    if (add_sym(s, g, t->funcs[i].name, &sym) < 0) return -1;
  }
  return 0;
}

lt_symtab *lt_symtab_open(const char *path, const char *display, char *err, size_t errlen,
                          int *code) {
  lt_symtab *s = calloc(1, sizeof *s);
  if (!s) return fail(NULL, -1, NULL, err, errlen, code, ENOMEM, "%s: out of memory", display);
  s->path = strdup(display);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return fail(s, -1, NULL, err, errlen, code, e, "%s: cannot open", display);
  }
  struct stat sb = {0};
  if (fstat(fd, &sb) == 0) {
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    s->mtime = (int64_t)sb.st_mtime;
  }
  if (elf_version(EV_CURRENT) == EV_NONE)
    return fail(s, fd, NULL, err, errlen, code, LT_SYMTAB_BAD_ELF, "%s: libelf is out of date", display);
  Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  if (!e || elf_kind(e) != ELF_K_ELF)
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_NOT_ELF, "%s: not an ELF file", display);
  GElf_Ehdr eh;
  if (!gelf_getehdr(e, &eh))
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_BAD_ELF, "%s: truncated or corrupt ELF header", display);
  if (gelf_getclass(e) != ELFCLASS64 || eh.e_machine != EM_X86_64)
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_BAD_ELF, "%s: not an x86_64 ELF file", display);
  /* Headers past the end of the file: truncated (a half-copied library)
   * or corrupt. libelf would read nothing from them and say nothing. */
  size_t nsh = 0;
  if (elf_getshdrnum(e, &nsh) != 0) nsh = 0;
  uint64_t size = (uint64_t)sb.st_size;
  if (size > 0 && ((uint64_t)eh.e_phnum * eh.e_phentsize > size || eh.e_phoff > size - (uint64_t)eh.e_phnum * eh.e_phentsize ||
      (nsh && ((uint64_t)nsh * eh.e_shentsize > size || eh.e_shoff > size - (uint64_t)nsh * eh.e_shentsize))))
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_BAD_ELF,
                "%s: truncated ELF file (its headers point past its end)", display);
  s->entry = eh.e_entry;
  s->is_dyn = eh.e_type == ET_DYN;
  size_t nph = 0;
  if (elf_getphdrnum(e, &nph) != 0)
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_BAD_ELF, "%s: corrupt program headers", display);
  for (size_t i = 0; i < nph; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
      s->first_load = ph.p_vaddr & ~(uint64_t)0xfff;
      break;
    }
  }
  growth g = {0, 0, 0};
  bool has_symtab = false;
  if (collect(s, e, &g, &has_symtab) < 0)
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_BAD_ELF, "%s: corrupt symbol table", display);
  s->go = lt_goruntime_read(e, path);
  s->usdt = lt_usdt_read(e);
  if (!has_symtab && s->go && collect_go(s, &g) < 0)
    return fail(s, fd, e, err, errlen, code, ENOMEM, "%s: out of memory", display);
  elf_end(e);
  close(fd);
  if (!has_symtab && collect_separate(s, path, &g) < 0)
    return fail(s, -1, NULL, err, errlen, code, ENOMEM, "%s: out of memory", display);
  for (size_t i = 0; i < s->n; i++)
    s->syms[i].name = s->strings + (uintptr_t)s->syms[i].name;
  if (s->n) qsort(s->syms, s->n, sizeof *s->syms, by_name);
  /* .symtab and .dynsym repeat each other: keep one of each name+value. */
  size_t w = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (w && strcmp(s->syms[w - 1].name, s->syms[i].name) == 0 &&
        s->syms[w - 1].value == s->syms[i].value)
      continue;
    s->syms[w++] = s->syms[i];
  }
  s->n = w;
  s->by_addr = malloc((s->n ? s->n : 1) * sizeof *s->by_addr);
  if (!s->by_addr) return fail(s, -1, NULL, err, errlen, code, ENOMEM, "%s: out of memory", display);
  for (size_t i = 0; i < s->n; i++) s->by_addr[i] = &s->syms[i];
  qsort(s->by_addr, s->n, sizeof *s->by_addr, by_value);
  s->valid = 1;
  return s;
}

void lt_symtab_free(lt_symtab *s) {
  if (!s) return;
  free(s->path);
  free(s->syms);
  free(s->by_addr);
  free(s->strings);
  lt_goruntime_free(s->go);
  lt_usdt_free(s->usdt);
  free(s);
}

/* The first match by name; a function is preferred over other types. */
const lt_sym *lt_symtab_lookup(const lt_symtab *s, const char *name) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (strcmp(s->syms[mid].name, name) < 0) lo = mid + 1;
    else hi = mid;
  }
  const lt_sym *best = NULL;
  for (size_t i = lo; i < s->n && strcmp(s->syms[i].name, name) == 0; i++) {
    if (!best || (best->type != STT_FUNC && s->syms[i].type == STT_FUNC)) best = &s->syms[i];
  }
  return best;
}

const lt_sym *lt_symtab_containing(const lt_symtab *s, uint64_t vaddr) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) { /* first symbol with value > vaddr */
    size_t mid = (lo + hi) / 2;
    if (s->by_addr[mid]->value <= vaddr) lo = mid + 1;
    else hi = mid;
  }
  for (size_t i = lo; i-- > 0;) {
    const lt_sym *y = s->by_addr[i];
    if (y->type != STT_FUNC && y->type != STT_GNU_IFUNC && y->type != STT_OBJECT) continue;
    if (vaddr < y->value + (y->size ? y->size : 1)) return y;
    if (y->size) return NULL; /* past the nearest sized symbol: no owner */
  }
  return NULL;
}
