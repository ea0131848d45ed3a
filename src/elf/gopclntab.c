/* gopclntab.c: reads the function table of .gopclntab, the runtime's own
 * map from pc to function that Go binaries keep when stripped. Layouts of
 * go1.2, go1.16, go1.18 and go1.20+ (the runtime's symtab.go, pcHeader). */
#include "gopclntab.h"
#include "sections.h"

#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_12 0xfffffffbu
#define MAGIC_116 0xfffffffau
#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u

typedef struct {
  const uint8_t *p;
  size_t len;
} bytes;

static bool u32_at(bytes b, uint64_t off, uint32_t *v) {
  if (off > b.len || b.len - off < 4) return false;
  memcpy(v, b.p + off, 4);
  return true;
}

static bool word_at(bytes b, uint64_t off, uint64_t *v) {
  if (off > b.len || b.len - off < 8) return false;
  memcpy(v, b.p + off, 8);
  return true;
}

static bool u8_at(bytes b, uint64_t off, uint8_t *v) {
  if (off >= b.len) return false;
  *v = b.p[off];
  return true;
}

static int by_entry(const void *a, const void *b) {
  const lt_gofunc *x = a, *y = b;
  return (x->entry > y->entry) - (x->entry < y->entry);
}

/* Where each layout keeps its fields. */
typedef struct {
  uint64_t functab;                     /* offset of the function table */
  unsigned fieldsize;                   /* 4 (offsets from textStart) or 8 (addresses) */
  uint64_t funcbase;                    /* the _func offsets are relative to this */
  uint64_t namebase;                    /* nameoff is relative to this */
  uint64_t textstart;                   /* added to 4-byte entries */
  unsigned name_at, funcid_at, flag_at; /* in _func; 0: absent */
} layout;

static bool read_layout(bytes b, uint32_t magic, uint64_t text_addr, layout *l, char *err, size_t errlen) {
  uint64_t text = 0, nameoff = 0, pcln = 0;
  memset(l, 0, sizeof *l);
  switch (magic) {
  case MAGIC_118:
  case MAGIC_120:
    if (!word_at(b, 24, &text) || !word_at(b, 32, &nameoff) || !word_at(b, 64, &pcln)) break;
    l->functab = pcln;
    l->fieldsize = 4;
    l->funcbase = pcln;
    l->namebase = nameoff;
    /* In a PIE the field is filled by a dynamic relocation: 0 in the file. */
    l->textstart = text ? text : text_addr;
    l->name_at = 4;
    l->funcid_at = magic == MAGIC_120 ? 40 : 36;
    l->flag_at = l->funcid_at + 1;
    return true;
  case MAGIC_116:
    if (!word_at(b, 24, &nameoff) || !word_at(b, 56, &pcln)) break;
    l->functab = pcln;
    l->fieldsize = 8;
    l->funcbase = pcln;
    l->namebase = nameoff;
    l->name_at = 8;
    l->funcid_at = 40;
    l->flag_at = 41; /* go1.17's funcFlag; padding (0) in go1.16 */
    return true;
  case MAGIC_12:
    l->functab = 16;
    l->fieldsize = 8;
    l->funcbase = 0;
    l->namebase = 0;
    l->name_at = 8;
    return true;
  default:
    snprintf(err, errlen, ".gopclntab: unknown magic 0x%08x (a Go version lutra does not know)", magic);
    return false;
  }
  snprintf(err, errlen, ".gopclntab: truncated header");
  return false;
}

static int by_name(const void *a, const void *b) {
  const lt_gofunc *x = *(lt_gofunc *const *)a, *y = *(lt_gofunc *const *)b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->entry > y->entry) - (x->entry < y->entry);
}

/* Which functions are ABI0. The table names a function and its ABI
 * wrapper alike: of two functions with one name, the assembly one is
 * ABI0 (the other is its ABIInternal wrapper, for Go callers); with no
 * assembly, the ABI0 wrapper of a Go function (for assembly callers) is
 * the one marked as a wrapper (a non-zero funcID), else the later one.
 * A lone assembly function is taken as ABI0: most are (the few declared
 * <ABIInternal>, such as runtime.memmove, cannot be told apart here).
 * Renames the ABI0 one of a pair "name.abi0", as .symtab has it. */
static int mark_abi0(lt_gopclntab *t) {
  lt_gofunc **ix = malloc((t->n ? t->n : 1) * sizeof *ix);
  if (!ix) return -1;
  for (size_t i = 0; i < t->n; i++) {
    ix[i] = &t->funcs[i];
    ix[i]->abi0 = (ix[i]->flag & LT_GOFUNC_ASM) != 0;
  }
  qsort(ix, t->n, sizeof *ix, by_name);
  size_t extra = 0;
  for (size_t i = 0; i < t->n;) {
    size_t j = i + 1;
    while (j < t->n && strcmp(ix[j]->name, ix[i]->name) == 0) j++;
    if (j - i >= 2) {
      size_t asm_n = 0, marked = 0, pick = j - 1;
      for (size_t k = i; k < j; k++) {
        if (ix[k]->flag & LT_GOFUNC_ASM) asm_n++;
        if (ix[k]->funcid) marked++, pick = k;
      }
      if (!asm_n) {
        if (marked != 1) pick = j - 1;
        ix[pick]->abi0 = 1;
      }
      for (size_t k = i; k < j; k++)
        if (ix[k]->abi0) extra += strlen(ix[k]->name) + 6;
      for (size_t k = i; k < j; k++) ix[k]->flag |= 0x80; /* one of a pair, for below */
    }
    i = j;
  }
  char *more = extra ? malloc(extra) : NULL;
  if (extra && !more) {
    free(ix);
    return -1;
  }
  size_t used = 0;
  for (size_t i = 0; i < t->n; i++) {
    lt_gofunc *f = &t->funcs[i];
    if ((f->flag & 0x80) && f->abi0) {
      int n = snprintf(more + used, extra - used, "%s.abi0", f->name);
      f->name = more + used;
      used += (size_t)n + 1;
    }
    f->flag &= 0x7f;
  }
  t->more_names = more;
  free(ix);
  return 0;
}

lt_gopclntab *lt_gopclntab_read(Elf *e, char *err, size_t errlen) {
  GElf_Shdr sh, tsh;
  Elf_Scn *scn = lt_elf_section(e, ".gopclntab", &sh);
  if (!scn) {
    snprintf(err, errlen, "no .gopclntab section");
    return NULL;
  }
  Elf_Data *d = elf_getdata(scn, NULL);
  if (!d || !d->d_buf || sh.sh_type == SHT_NOBITS) {
    snprintf(err, errlen, ".gopclntab: unreadable");
    return NULL;
  }
  bytes b = {d->d_buf, d->d_size};
  uint32_t magic;
  uint8_t quantum, ptrsize;
  uint64_t nfunc;
  if (!u32_at(b, 0, &magic) || !u8_at(b, 6, &quantum) || !u8_at(b, 7, &ptrsize) || !word_at(b, 8, &nfunc)) {
    snprintf(err, errlen, ".gopclntab: truncated header");
    return NULL;
  }
  if (ptrsize != 8 || quantum != 1) {
    snprintf(err, errlen, ".gopclntab: not an amd64 table (pointer size %u, pc quantum %u)", ptrsize,
             quantum);
    return NULL;
  }
  Elf_Scn *text = lt_elf_section(e, ".text", &tsh);
  layout l;
  if (!read_layout(b, magic, text ? tsh.sh_addr : 0, &l, err, errlen)) return NULL;
  if (nfunc > b.len / (2 * l.fieldsize)) {
    snprintf(err, errlen, ".gopclntab: %llu functions do not fit in %zu bytes", (unsigned long long)nfunc,
             b.len);
    return NULL;
  }
  lt_gopclntab *t = calloc(1, sizeof *t);
  if (!t || !(t->funcs = calloc(nfunc ? nfunc : 1, sizeof *t->funcs))) {
    free(t);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  t->magic = magic;
  size_t cap = 0, used = 0;
  uint64_t *name_off = calloc(nfunc ? nfunc : 1, sizeof *name_off);
  if (!name_off) goto nomem;
  for (uint64_t i = 0; i < nfunc; i++) {
    uint64_t at = l.functab + i * 2 * l.fieldsize;
    uint64_t entry, funcoff, next;
    if (l.fieldsize == 4) {
      uint32_t a, f, n;
      if (!u32_at(b, at, &a) || !u32_at(b, at + 4, &f) || !u32_at(b, at + 8, &n)) goto corrupt;
      entry = l.textstart + a, funcoff = f, next = l.textstart + n;
    } else {
      if (!word_at(b, at, &entry) || !word_at(b, at + 8, &funcoff) || !word_at(b, at + 16, &next))
        goto corrupt;
    }
    uint64_t fn = l.funcbase + funcoff;
    uint32_t nameoff;
    if (!u32_at(b, fn + l.name_at, &nameoff)) goto corrupt;
    lt_gofunc *g = &t->funcs[t->n];
    g->entry = entry;
    g->end = next > entry ? next : entry + 1;
    if (l.funcid_at) {
      if (!u8_at(b, fn + l.funcid_at, &g->funcid) || !u8_at(b, fn + l.flag_at, &g->flag)) goto corrupt;
    }
    uint64_t name = l.namebase + nameoff;
    if (name >= b.len) goto corrupt;
    const char *s = (const char *)b.p + name;
    size_t len = strnlen(s, b.len - name);
    if (len == b.len - name || len == 0) goto corrupt;
    if (used + len + 1 > cap) {
      size_t nc = (cap ? cap * 2 : 65536) + len + 1;
      char *nn = realloc(t->names, nc);
      if (!nn) goto nomem;
      t->names = nn;
      cap = nc;
    }
    memcpy(t->names + used, s, len + 1);
    name_off[t->n++] = used;
    used += len + 1;
  }
  for (size_t i = 0; i < t->n; i++) t->funcs[i].name = t->names + name_off[i];
  free(name_off);
  if (mark_abi0(t) < 0) {
    snprintf(err, errlen, "out of memory");
    lt_gopclntab_free(t);
    return NULL;
  }
  qsort(t->funcs, t->n, sizeof *t->funcs, by_entry);
  return t;
corrupt:
  snprintf(err, errlen, ".gopclntab: corrupt function table");
  free(name_off);
  lt_gopclntab_free(t);
  return NULL;
nomem:
  snprintf(err, errlen, "out of memory");
  free(name_off);
  lt_gopclntab_free(t);
  return NULL;
}

void lt_gopclntab_free(lt_gopclntab *t) {
  if (!t) return;
  free(t->funcs);
  free(t->names);
  free(t->more_names);
  free(t);
}

const lt_gofunc *lt_gopclntab_at(const lt_gopclntab *t, uint64_t addr) {
  if (!t) return NULL;
  size_t lo = 0, hi = t->n;
  while (lo < hi) { /* first function with entry > addr */
    size_t mid = (lo + hi) / 2;
    if (t->funcs[mid].entry <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return NULL;
  const lt_gofunc *f = &t->funcs[lo - 1];
  return addr < f->end ? f : NULL;
}
