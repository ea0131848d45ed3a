/* symtab.c: reads .symtab and .dynsym of one ELF file with libelf into
 * arrays sorted by name (lookup) and by address (symbolize). */
#include "symtab.h"

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

static int collect(lt_symtab *s, Elf *e, size_t *cap, size_t *strcap, size_t *strlen_) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(e, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) return -1;
    if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d || sh.sh_entsize == 0) continue;
    size_t count = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < count; i++) {
      GElf_Sym sym;
      if (!gelf_getsym(d, (int)i, &sym)) break;
      int type = GELF_ST_TYPE(sym.st_info);
      if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
      if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC && type != STT_NOTYPE)
        continue;
      const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
      if (!name || !*name) continue;
      size_t len = strcspn(name, "@"); /* malloc@@GLIBC_2.2.5 -> malloc */
      if (*strlen_ + len + 1 > *strcap) {
        size_t nc = (*strcap ? *strcap * 2 : 4096) + len + 1;
        char *ns = realloc(s->strings, nc);
        if (!ns) return -1;
        s->strings = ns;
        *strcap = nc;
      }
      if (s->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        lt_sym *ns = realloc(s->syms, nc * sizeof *ns);
        if (!ns) return -1;
        s->syms = ns;
        *cap = nc;
      }
      memcpy(s->strings + *strlen_, name, len);
      s->strings[*strlen_ + len] = 0;
      /* names point into `strings`, which may move: keep offsets for now */
      s->syms[s->n].name = (const char *)(uintptr_t)*strlen_;
      s->syms[s->n].value = sym.st_value;
      s->syms[s->n].size = sym.st_size;
      s->syms[s->n].type = type;
      s->n++;
      *strlen_ += len + 1;
    }
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
  struct stat sb;
  if (fstat(fd, &sb) == 0) {
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    s->mtime = (int64_t)sb.st_mtime;
  }
  if (elf_version(EV_CURRENT) == EV_NONE)
    return fail(s, fd, NULL, err, errlen, code, -1, "%s: libelf is out of date", display);
  Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  if (!e || elf_kind(e) != ELF_K_ELF)
    return fail(s, fd, e, err, errlen, code, -1, "%s: not an ELF file", display);
  GElf_Ehdr eh;
  if (!gelf_getehdr(e, &eh))
    return fail(s, fd, e, err, errlen, code, -1, "%s: truncated or corrupt ELF header", display);
  if (gelf_getclass(e) != ELFCLASS64 || eh.e_machine != EM_X86_64)
    return fail(s, fd, e, err, errlen, code, -1, "%s: not an x86_64 ELF file", display);
  s->entry = eh.e_entry;
  s->is_dyn = eh.e_type == ET_DYN;
  size_t nph = 0;
  if (elf_getphdrnum(e, &nph) != 0)
    return fail(s, fd, e, err, errlen, code, -1, "%s: corrupt program headers", display);
  for (size_t i = 0; i < nph; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
      s->first_load = ph.p_vaddr & ~(uint64_t)0xfff;
      break;
    }
  }
  size_t cap = 0, strcap = 0, used = 0;
  if (collect(s, e, &cap, &strcap, &used) < 0)
    return fail(s, fd, e, err, errlen, code, -1, "%s: corrupt symbol table", display);
  elf_end(e);
  close(fd);
  for (size_t i = 0; i < s->n; i++)
    s->syms[i].name = s->strings + (uintptr_t)s->syms[i].name;
  qsort(s->syms, s->n, sizeof *s->syms, by_name);
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
