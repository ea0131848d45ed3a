/* symtab.c: reads .symtab and .dynsym of one ELF file with libelf into
 * arrays sorted by name (lookup) and by address (symbolize). A file
 * without .symtab (stripped) gets the symbols of its separate debug
 * information through libdwfl's cascade, as gdb finds them: a debug file
 * by build-id or .gnu_debuglink under /usr/lib/debug, debuginfod when
 * DEBUGINFOD_URLS is set, else the MiniDebugInfo in .gnu_debugdata. */
#include "symtab.h"

#include <elfutils/libdwfl.h>
#include <fnmatch.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demangle.h"
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

static lt_symtab *fail(lt_symtab *s, int fd, Elf *e, char *err, size_t errlen, int *code, int c,
                       const char *fmt, const char *a) {
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
  if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC && type != STT_NOTYPE) return 0;
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
  s->syms[s->n].code = 0;
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
    GElf_Sym sym = {.st_info = GELF_ST_INFO(STB_GLOBAL, STT_FUNC),
                    .st_shndx = SHN_ABS,
                    .st_value = t->funcs[i].entry,
                    .st_size = t->funcs[i].end - t->funcs[i].entry};
    if (add_sym(s, g, t->funcs[i].name, &sym) < 0) return -1;
  }
  return 0;
}

/* The ELF header read as it is, before libelf (which fails on a damaged
 * file without saying where): 0 when it is a readable x86_64 ELF file,
 * else LT_SYMTAB_NOT_ELF (not an ELF file at all) or LT_SYMTAB_BAD_ELF
 * with the broken part named in `why`. A table past the end of the file
 * is a truncated file (a half-copied library) or a corrupt header. */
static int check_header(int fd, uint64_t size, char *why, size_t len) {
  Elf64_Ehdr h;
  ssize_t n = pread(fd, &h, sizeof h, 0);
  if (n < SELFMAG || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0) {
    snprintf(why, len, "not an ELF file");
    return LT_SYMTAB_NOT_ELF;
  }
  if (n < (ssize_t)sizeof h) {
    snprintf(why, len, "truncated ELF file: its ELF header is cut short (%zd of %zu bytes)", n, sizeof h);
    return LT_SYMTAB_BAD_ELF;
  }
  if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_machine != EM_X86_64) {
    snprintf(why, len, "not an x86_64 ELF file%s", h.e_ident[EI_CLASS] == ELFCLASS32 ? " (32-bit)" : "");
    return LT_SYMTAB_BAD_ELF;
  }
  static const char *const part[] = {"program headers", "section headers"};
  uint64_t off[2] = {h.e_phoff, h.e_shoff}, num[2] = {h.e_phnum, h.e_shnum},
           ent[2] = {h.e_phentsize, h.e_shentsize};
  if (num[1] == 0 && off[1] != 0) num[1] = 1; /* extended numbering: sh[0] holds the count */
  for (int i = 0; i < 2; i++) {
    if (num[i] == 0) continue;
    uint64_t bytes = num[i] * ent[i];
    if (ent[i] == 0 || bytes > size || off[i] > size - bytes) {
      snprintf(why, len,
               "truncated or damaged ELF file: its %s (%" PRIu64 " of %" PRIu64 " bytes at offset 0x%" PRIx64
               ") lie past its end (%" PRIu64 " bytes)",
               part[i], num[i], ent[i], off[i], size);
      return LT_SYMTAB_BAD_ELF;
    }
  }
  return 0;
}

int lt_elf_class(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned char ident[EI_NIDENT];
  ssize_t n = pread(fd, ident, sizeof ident, 0);
  close(fd);
  if (n < EI_CLASS + 1 || memcmp(ident, ELFMAG, SELFMAG) != 0) return 0;
  return ident[EI_CLASS];
}

lt_symtab *lt_symtab_open(const char *path, const char *display, char *err, size_t errlen, int *code) {
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
  char why[256];
  int bad = check_header(fd, (uint64_t)sb.st_size, why, sizeof why);
  if (bad) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s: %s", display, why);
    return fail(s, fd, NULL, err, errlen, code, bad, "%s", msg);
  }
  Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  if (!e || elf_kind(e) != ELF_K_ELF) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s: damaged ELF file (libelf: %s)", display, elf_errmsg(-1));
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_BAD_ELF, "%s", msg);
  }
  GElf_Ehdr eh;
  if (!gelf_getehdr(e, &eh))
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_BAD_ELF, "%s: truncated or corrupt ELF header",
                display);
  s->entry = eh.e_entry;
  s->is_dyn = eh.e_type == ET_DYN;
  size_t nph = 0;
  if (elf_getphdrnum(e, &nph) != 0)
    return fail(s, fd, e, err, errlen, code, LT_SYMTAB_BAD_ELF, "%s: corrupt program headers", display);
  /* The executable segments: a symbol outside them is data, whatever its
   * type says (STT_NOTYPE markers such as __start_* lie in data). */
  struct {
    uint64_t lo, hi;
  } text[16];
  size_t ntext = 0;
  bool first = true;
  for (size_t i = 0; i < nph; i++) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e, (int)i, &ph)) continue;
    if (ph.p_type == PT_INTERP) s->has_interp = 1;
    if (ph.p_type != PT_LOAD) continue;
    if (first) s->first_load = ph.p_vaddr & ~(uint64_t)0xfff;
    first = false;
    if ((ph.p_flags & PF_X) && ntext < sizeof text / sizeof *text) {
      text[ntext].lo = ph.p_vaddr;
      text[ntext++].hi = ph.p_vaddr + ph.p_memsz;
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
  size_t own = s->n;
  if (!has_symtab && collect_separate(s, path, &g) < 0)
    return fail(s, -1, NULL, err, errlen, code, ENOMEM, "%s: out of memory", display);

  for (size_t i = 0; i < s->n; i++) s->syms[i].name = s->strings + (uintptr_t)s->syms[i].name;
  if (s->n) qsort(s->syms, s->n, sizeof *s->syms, by_name);
  /* .symtab and .dynsym repeat each other: keep one of each name+value. */
  size_t w = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (w && strcmp(s->syms[w - 1].name, s->syms[i].name) == 0 && s->syms[w - 1].value == s->syms[i].value)
      continue;
    s->syms[w++] = s->syms[i];
  }
  s->n = w;
  /* Nothing beyond .dynsym (libdwfl gives its symbols again when it finds
   * no separate ones): stripped. */
  s->stripped = !has_symtab && !s->go && w <= own;
  for (size_t i = 0; i < s->n; i++)
    for (size_t k = 0; k < ntext && !s->syms[i].code; k++)
      s->syms[i].code = s->syms[i].value >= text[k].lo && s->syms[i].value < text[k].hi;
  s->by_addr = malloc((s->n ? s->n : 1) * sizeof *s->by_addr);
  if (!s->by_addr) return fail(s, -1, NULL, err, errlen, code, ENOMEM, "%s: out of memory", display);
  for (size_t i = 0; i < s->n; i++) s->by_addr[i] = &s->syms[i];
  qsort(s->by_addr, s->n, sizeof *s->by_addr, by_value);
  s->valid = 1;
  return s;
}

static void free_names(lt_names *n) {
  if (!n) return;
  free(n->arena);
  free(n->display);
  free(n->sig);
  free(n->base);
  free(n->shown);
  free(n->by_shown);
  free(n->by_sig);
  free(n->by_base);
  free(n);
}

void lt_symtab_free(lt_symtab *s) {
  if (!s) return;
  free_names(s->names);
  free(s->path);
  free(s->error);
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
    if (strcmp(s->syms[mid].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
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
    if (s->by_addr[mid]->value <= vaddr)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i-- > 0;) {
    const lt_sym *y = s->by_addr[i];
    if (y->type != STT_FUNC && y->type != STT_GNU_IFUNC && y->type != STT_OBJECT) continue;
    if (vaddr < y->value + (y->size ? y->size : 1)) return y;
    if (y->size) return NULL; /* past the nearest sized symbol: no owner */
  }
  return NULL;
}

/* ---- demangled names ---- */

#define NONE UINT32_MAX

static int arena_add(lt_names *n, const char *str, uint32_t *off) {
  size_t len = strlen(str) + 1;
  if (n->len + len > n->cap) {
    size_t nc = (n->cap ? n->cap * 2 : 1 << 16) + len;
    if (nc >= NONE) return -1; /* offsets are 32-bit */
    char *na = realloc(n->arena, nc);
    if (!na) return -1;
    n->arena = na;
    n->cap = nc;
  }
  memcpy(n->arena + n->len, str, len);
  *off = (uint32_t)n->len;
  n->len += len;
  return 0;
}

/* lt_spell into a buffer that grows as needed; NULL when memory ran out. */
static const char *spell_into(const char *in, char **buf, size_t *cap) {
  size_t need = strlen(in) * 2 + 256;
  for (;;) {
    if (*cap < need) {
      char *nb = realloc(*buf, need);
      if (!nb) return NULL;
      *buf = nb;
      *cap = need;
    }
    if (lt_spell(in, *buf, *cap) >= 0) return *buf;
    need = *cap * 2;
  }
}

typedef struct {
  const char *arena;
  const uint32_t *key;
} key_ctx;

static int cmp_sym_key(const void *a, const void *b, void *ctx) {
  const key_ctx *k = ctx;
  return strcmp(k->arena + k->key[*(const uint32_t *)a], k->arena + k->key[*(const uint32_t *)b]);
}

static uint32_t *sorted_by(lt_names *n, const uint32_t *key, size_t nsyms, size_t count) {
  uint32_t *idx = malloc((count ? count : 1) * sizeof *idx);
  if (!idx) return NULL;
  size_t w = 0;
  for (size_t i = 0; i < nsyms; i++)
    if (key[i] != NONE) idx[w++] = (uint32_t)i;
  key_ctx k = {n->arena, key};
  if (w) qsort_r(idx, w, sizeof *idx, cmp_sym_key, &k);
  return idx;
}

int lt_symtab_names(lt_symtab *s) {
  if (s->names) return 0;
  if (s->names_failed) return -1;
  lt_names *n = calloc(1, sizeof *n);
  size_t cnt = s->n ? s->n : 1;
  char *buf = NULL;
  size_t cap = 0;
  if (!n || !(n->display = malloc(cnt * sizeof(uint32_t))) || !(n->sig = malloc(cnt * sizeof(uint32_t))) ||
      !(n->base = malloc(cnt * sizeof(uint32_t))) || !(n->shown = malloc(cnt * sizeof(uint32_t))))
    goto oom;
  for (size_t i = 0; i < s->n; i++) {
    n->display[i] = n->sig[i] = n->base[i] = n->shown[i] = NONE;
    lt_demangled d;
    int r = lt_demangle(s->syms[i].name, &d);
    if (r < 0) goto oom;
    if (r == 0) continue;
    const char *k;
    bool ok = arena_add(n, d.display, &n->display[i]) == 0 && (k = spell_into(d.sig, &buf, &cap));
    if (ok) {
      if (strcmp(k, d.display) == 0)
        n->sig[i] = n->display[i];
      else
        ok = arena_add(n, k, &n->sig[i]) == 0;
    }
    /* What lutra prints is a name too: "int ns::tf<int>(int)". */
    if (ok && strcmp(d.sig, d.display) != 0) {
      ok = (k = spell_into(d.display, &buf, &cap)) && arena_add(n, k, &n->shown[i]) == 0;
      if (ok) n->nshown++;
    }
    /* A clone (".cold", ".isra.0") is not one of the overloads. */
    if (ok && !d.clone) ok = (k = spell_into(d.base, &buf, &cap)) && arena_add(n, k, &n->base[i]) == 0;
    lt_demangled_free(&d);
    if (!ok) goto oom;
    n->nsig++;
    if (n->base[i] != NONE) n->nbase++;
  }
  free(buf);
  buf = NULL;
  if (!(n->by_sig = sorted_by(n, n->sig, s->n, n->nsig)) ||
      !(n->by_base = sorted_by(n, n->base, s->n, n->nbase)) ||
      !(n->by_shown = sorted_by(n, n->shown, s->n, n->nshown)))
    goto oom;
  s->names = n;
  return 0;
oom:
  free(buf);
  free_names(n);
  s->names_failed = 1;
  return -1;
}

/* The range of idx (sorted by key) whose key is `name`. */
static size_t key_range(const lt_names *n, const uint32_t *idx, size_t count, const uint32_t *key,
                        const char *name, size_t *lo_out) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (strcmp(n->arena + key[idx[mid]], name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t end = lo;
  while (end < count && strcmp(n->arena + key[idx[end]], name) == 0) end++;
  *lo_out = lo;
  return end - lo;
}

/* Does `key` continue `prefix` ("ns::tf<") with one template argument
 * list that ends it ("ns::tf<int>", not "ns::tf<int>::g")? */
static bool ends_in_args(const char *key, size_t plen) {
  int depth = 1;
  const char *c = key + plen;
  for (; *c && depth > 0; c++) {
    if (*c == '<')
      depth++;
    else if (*c == '>')
      depth--;
  }
  return depth == 0 && *c == 0;
}

/* A template function by its name alone ("ns::tf"; Rust v0's generic
 * "krate::f" is printed "krate::f::<T>"): every instance, as gdb's
 * linespecs take it. */
static size_t template_instances(lt_symtab *s, const char *spelled, const lt_sym **out, size_t max) {
  const lt_names *n = s->names;
  size_t found = 0;
  for (int form = 0; form < 2; form++) {
    const char *open = form == 0 ? "<" : "::<";
    size_t plen = strlen(spelled) + strlen(open);
    char *prefix = malloc(plen + 1);
    if (!prefix) return found;
    snprintf(prefix, plen + 1, "%s%s", spelled, open);
    size_t lo = 0, hi = n->nbase;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (strcmp(n->arena + n->base[n->by_base[mid]], prefix) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (size_t i = lo; i < n->nbase; i++) {
      const char *key = n->arena + n->base[n->by_base[i]];
      if (strncmp(key, prefix, plen) != 0) break;
      if (!ends_in_args(key, plen)) continue;
      if (found < max) out[found] = &s->syms[n->by_base[i]];
      found++;
    }
    free(prefix);
  }
  return found;
}

size_t lt_symtab_find(lt_symtab *s, const char *name, const char *spelled, const lt_sym **out, size_t max) {
  const lt_sym *y = lt_symtab_lookup(s, name);
  if (y) {
    if (max) out[0] = y;
    return 1;
  }
  if (lt_symtab_names(s) < 0) return 0;
  const lt_names *n = s->names;
  size_t lo, cnt = key_range(n, n->by_sig, n->nsig, n->sig, spelled, &lo);
  const uint32_t *idx = n->by_sig;
  if (cnt == 0) {
    cnt = key_range(n, n->by_shown, n->nshown, n->shown, spelled, &lo);
    idx = n->by_shown;
  }
  if (cnt == 0) {
    cnt = key_range(n, n->by_base, n->nbase, n->base, spelled, &lo);
    idx = n->by_base;
  }
  if (cnt == 0 && !strchr(spelled, '<')) return template_instances(s, spelled, out, max);
  /* Aliases (a constructor's complete and base object variants) share
   * their address: one location each. */
  size_t found = 0;
  for (size_t i = 0; i < cnt; i++) {
    const lt_sym *c = &s->syms[idx[lo + i]];
    bool dup = false;
    for (size_t j = 0; j < found && j < max && !dup; j++) dup = out[j]->value == c->value;
    if (dup) continue;
    if (found < max) out[found] = c;
    found++;
  }
  return found;
}

const char *lt_symtab_display(lt_symtab *s, const lt_sym *y, char **owned) {
  *owned = NULL;
  if (!lt_is_mangled(y->name)) return y->name;
  if (s->names) {
    uint32_t off = s->names->display[y - s->syms];
    return off == NONE ? y->name : s->names->arena + off;
  }
  /* One name (a symbolized address, a name found by its linkage name)
   * does not need the whole file's index. */
  *owned = lt_demangle_display(y->name);
  return *owned ? *owned : y->name;
}

int lt_symtab_glob(lt_symtab *s, const lt_sym *y, const char *glob) {
  if (fnmatch(glob, y->name, 0) == 0) return 1;
  if (!lt_is_mangled(y->name) || lt_symtab_names(s) < 0) return 0;
  size_t i = (size_t)(y - s->syms);
  const lt_names *n = s->names;
  if (n->display[i] == NONE) return 0;
  return fnmatch(glob, n->arena + n->display[i], 0) == 0 ||
         (n->base[i] != NONE && fnmatch(glob, n->arena + n->base[i], 0) == 0);
}
