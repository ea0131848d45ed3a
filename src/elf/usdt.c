/* usdt.c: reads .note.stapsdt (NT_STAPSDT notes named "stapsdt") with
 * libelf, adjusting addresses by .stapsdt.base as SystemTap does when the
 * file was prelinked; splits the argument specs. */
#include "usdt.h"
#include "sections.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#define NT_STAPSDT 3

static int by_pc(const void *a, const void *b) {
  const lt_usdt_probe *x = a, *y = b;
  return (x->pc > y->pc) - (x->pc < y->pc);
}

/* The address .stapsdt.base has in this file: the notes record the one
 * it had when they were written (sdt.h's _.stapsdt.base_ marker). */
static int base_section(Elf *e, uint64_t *addr) {
  GElf_Shdr sh;
  if (!lt_elf_section(e, ".stapsdt.base", &sh)) return 0;
  *addr = sh.sh_addr;
  return 1;
}

/* Appends one note's probe; strings are offsets until the end. */
static int add(lt_usdt_notes *u, size_t *cap, size_t *slen, size_t *scap, const uint8_t *desc, size_t dlen,
               int have_base, uint64_t base_addr) {
  if (dlen < 24) return 0;
  uint64_t pc, base, sem;
  memcpy(&pc, desc, 8);
  memcpy(&base, desc + 8, 8);
  memcpy(&sem, desc + 16, 8);
  const char *txt = (const char *)desc + 24;
  size_t tlen = dlen - 24;
  const char *prov = txt;
  size_t l1 = strnlen(prov, tlen);
  if (l1 == tlen) return 0;
  const char *name = prov + l1 + 1;
  size_t l2 = strnlen(name, tlen - l1 - 1);
  if (l2 == tlen - l1 - 1) return 0;
  const char *args = name + l2 + 1;
  size_t l3 = strnlen(args, tlen - l1 - l2 - 2);
  if (have_base && base) {
    pc += base_addr - base;
    if (sem) sem += base_addr - base;
  }
  size_t need = l1 + l2 + l3 + 3;
  if (*slen + need > *scap) {
    size_t nc = (*scap ? *scap * 2 : 1024) + need;
    char *ns = realloc(u->strings, nc);
    if (!ns) return -1;
    u->strings = ns;
    *scap = nc;
  }
  if (u->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    lt_usdt_probe *np = realloc(u->probes, nc * sizeof *np);
    if (!np) return -1;
    u->probes = np;
    *cap = nc;
  }
  lt_usdt_probe *p = &u->probes[u->n++];
  char *s = u->strings + *slen;
  memcpy(s, prov, l1);
  s[l1] = 0;
  memcpy(s + l1 + 1, name, l2);
  s[l1 + 1 + l2] = 0;
  memcpy(s + l1 + l2 + 2, args, l3);
  s[l1 + l2 + 2 + l3] = 0;
  p->provider = (const char *)(uintptr_t)*slen;
  p->name = (const char *)(uintptr_t)(*slen + l1 + 1);
  p->args = (const char *)(uintptr_t)(*slen + l1 + l2 + 2);
  p->pc = pc;
  p->semaphore = sem;
  *slen += need;
  return 0;
}

lt_usdt_notes *lt_usdt_read(Elf *e) {
  uint64_t base_addr = 0;
  int have_base = base_section(e, &base_addr);
  lt_usdt_notes *u = NULL;
  size_t cap = 0, slen = 0, scap = 0;
  Elf_Scn *scn = NULL;
  GElf_Shdr sh;
  while ((scn = elf_nextscn(e, scn))) {
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d) continue;
    size_t off = 0, name_off, desc_off;
    GElf_Nhdr nh;
    while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
      if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
          memcmp((const char *)d->d_buf + name_off, "stapsdt", 8) != 0)
        continue;
      if (!u && !(u = calloc(1, sizeof *u))) return NULL;
      if (add(u, &cap, &slen, &scap, (const uint8_t *)d->d_buf + desc_off, nh.n_descsz, have_base,
              base_addr) < 0) {
        lt_usdt_free(u);
        return NULL;
      }
    }
  }
  if (!u) return NULL;
  for (size_t i = 0; i < u->n; i++) {
    lt_usdt_probe *p = &u->probes[i];
    p->provider = u->strings + (uintptr_t)p->provider;
    p->name = u->strings + (uintptr_t)p->name;
    p->args = u->strings + (uintptr_t)p->args;
  }
  qsort(u->probes, u->n, sizeof *u->probes, by_pc);
  return u;
}

void lt_usdt_free(lt_usdt_notes *u) {
  if (!u) return;
  free(u->probes);
  free(u->strings);
  free(u);
}

const lt_usdt_probe *lt_usdt_at(const lt_usdt_notes *u, uint64_t pc) {
  if (!u) return NULL;
  size_t lo = 0, hi = u->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (u->probes[mid].pc < pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < u->n && u->probes[lo].pc == pc ? &u->probes[lo] : NULL;
}

/* The n-th space-separated word of the specs. */
static const char *word(const char *s, int n, size_t *len) {
  for (int i = 1;; i++) {
    while (*s == ' ') s++;
    if (!*s) return NULL;
    size_t l = strcspn(s, " ");
    if (i == n) {
      *len = l;
      return s;
    }
    s += l;
  }
}

int lt_usdt_nargs(const lt_usdt_probe *p) {
  int n = 0;
  size_t len;
  while (word(p->args, n + 1, &len)) n++;
  return n;
}

int lt_usdt_arg_spec(const lt_usdt_probe *p, int n, lt_usdt_arg *out) {
  size_t len;
  const char *w = n >= 1 ? word(p->args, n, &len) : NULL;
  if (!w) return -1;
  const char *at = memchr(w, '@', len);
  out->size = 8; /* an old-style spec without a size: a signed word */
  out->is_signed = 1;
  if (at) {
    const char *q = w;
    int neg = *q == '-';
    if (neg) q++;
    int sz = 0;
    for (; q < at; q++) {
      if (*q < '0' || *q > '9') return -1;
      sz = sz * 10 + (*q - '0');
    }
    if (sz != 1 && sz != 2 && sz != 4 && sz != 8) return -1;
    out->size = sz;
    out->is_signed = neg;
    out->operand = at + 1;
    out->operand_len = len - (size_t)(at + 1 - w);
  } else {
    out->operand = w;
    out->operand_len = len;
  }
  return out->operand_len ? 0 : -1;
}
