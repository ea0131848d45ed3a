/* goruntime.c: a Go binary's runtime facts: the Go version from
 * .go.buildinfo (debug/buildinfo's format), the function table, the ABI of
 * a function, and goid's offset in runtime.g (DWARF, else the layout of
 * the Go version, as runtime2.go has it). */
#include "goruntime.h"
#include "sections.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* `len` bytes at link-time address `addr`, from the section holding them. */
static bool read_vaddr(Elf *e, uint64_t addr, void *buf, size_t len) {
  Elf_Scn *scn = NULL;
  GElf_Shdr sh;
  while ((scn = elf_nextscn(e, scn))) {
    if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !(sh.sh_flags & SHF_ALLOC)) continue;
    if (addr < sh.sh_addr || addr - sh.sh_addr > sh.sh_size || sh.sh_size - (addr - sh.sh_addr) < len)
      continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d || !d->d_buf || d->d_size < sh.sh_size) return false;
    memcpy(buf, (const char *)d->d_buf + (addr - sh.sh_addr), len);
    return true;
  }
  return false;
}

/* The version string: inline after the header (go1.18+), or a pointer to
 * a Go string header (go1.13-go1.17). */
static void read_version(Elf *e, const uint8_t *b, size_t len, char *out, size_t outlen) {
  static const char magic[] = "\xff Go buildinf:";
  out[0] = 0;
  if (len < 32 || memcmp(b, magic, 14) != 0 || b[14] != 8) return;
  if (b[15] & 2) {
    uint64_t n = 0;
    size_t i = 32;
    for (int shift = 0; i < len && shift < 64; shift += 7) {
      uint8_t c = b[i++];
      n |= (uint64_t)(c & 0x7f) << shift;
      if (!(c & 0x80)) break;
    }
    if (n == 0 || n >= outlen || i + n > len) return;
    memcpy(out, b + i, n);
    out[n] = 0;
    return;
  }
  uint64_t strhdr, hdr[2];
  memcpy(&strhdr, b + 16, 8);
  if (!read_vaddr(e, strhdr, hdr, sizeof hdr) || hdr[1] == 0 || hdr[1] >= outlen) return;
  if (!read_vaddr(e, hdr[0], out, hdr[1]))
    out[0] = 0;
  else
    out[hdr[1]] = 0;
}

lt_goruntime *lt_goruntime_read(Elf *e, const char *path) {
  GElf_Shdr sh;
  Elf_Scn *scn = lt_elf_section(e, ".go.buildinfo", &sh);
  if (!scn) return NULL;
  lt_goruntime *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->goid_offset = -2;
  g->path = strdup(path);
  Elf_Data *d = elf_getdata(scn, NULL);
  if (d && d->d_buf) read_version(e, d->d_buf, d->d_size, g->version, sizeof g->version);
  int major = 0, minor = 0;
  if (sscanf(g->version, "go%d.%d", &major, &minor) == 2 && major == 1) g->minor = minor;
  g->pcln = lt_gopclntab_read(e, g->pcln_err, sizeof g->pcln_err);
  if (!g->path) {
    lt_goruntime_free(g);
    return NULL;
  }
  return g;
}

void lt_goruntime_free(lt_goruntime *g) {
  if (!g) return;
  lt_gopclntab_free(g->pcln);
  free(g->path);
  free(g);
}

const lt_gofunc *lt_goruntime_func(const lt_goruntime *g, uint64_t addr, const char *symname) {
  const lt_gofunc *f = g ? lt_gopclntab_at(g->pcln, addr) : NULL;
  if (!f || !f->abi0) return f;
  if (!symname || g->stripped) return NULL;
  size_t n = strlen(symname);
  if (n > 5 && strcmp(symname + n - 5, ".abi0") == 0) return NULL;
  return strchr(symname, '.') && strcmp(symname, f->name) == 0 ? f : NULL;
}

int lt_goruntime_regabi(const lt_goruntime *g) { return g && g->minor >= 17; }

/* goid's offset in the DWARF description of runtime.g; -1 when absent. */
static int goid_from_dwarf(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
  int off = -1;
  if (dw) {
    Dwarf_Off cu = 0, next;
    size_t hsize;
    while (off < 0 && dwarf_nextcu(dw, cu, &next, &hsize, NULL, NULL, NULL) == 0) {
      Dwarf_Die cudie, die;
      if (dwarf_offdie(dw, cu + hsize, &cudie) && dwarf_child(&cudie, &die) == 0) {
        do {
          if (dwarf_tag(&die) != DW_TAG_structure_type) continue;
          const char *n = dwarf_diename(&die);
          if (!n || strcmp(n, "runtime.g") != 0) continue;
          Dwarf_Die m;
          if (dwarf_child(&die, &m) != 0) break;
          do {
            const char *mn = dwarf_diename(&m);
            Dwarf_Attribute a;
            Dwarf_Word w;
            if (mn && strcmp(mn, "goid") == 0 && dwarf_attr(&m, DW_AT_data_member_location, &a) &&
                dwarf_formudata(&a, &w) == 0) {
              off = (int)w;
              break;
            }
          } while (dwarf_siblingof(&m, &m) == 0);
          break;
        } while (dwarf_siblingof(&die, &die) == 0);
      }
      cu = next;
    }
    dwarf_end(dw);
  }
  close(fd);
  return off;
}

int lt_goruntime_goid_offset(lt_goruntime *g, char *err, size_t errlen) {
  if (g->goid_offset == -2) {
    g->goid_offset = goid_from_dwarf(g->path);
    if (g->goid_offset >= 0) {
      snprintf(g->goid_source, sizeof g->goid_source, "DWARF");
    } else if (g->minor >= 17 && g->minor <= 22) {
      /* stack, stackguard0/1, _panic, _defer, m, sched (7 words),
       * syscallsp, syscallpc, stktopsp, param, atomicstatus, stackLock */
      g->goid_offset = 152;
    } else if (g->minor >= 23 && g->minor <= 26) {
      g->goid_offset = 160; /* go1.23 added syscallbp after syscallpc */
    }
    if (g->goid_offset >= 0 && !g->goid_source[0])
      snprintf(g->goid_source, sizeof g->goid_source, "the %s layout", g->version);
  }
  if (g->goid_offset < 0)
    snprintf(err, errlen, "%s: no DWARF for runtime.g and no known layout for %s", g->path,
             g->version[0] ? g->version : "an unknown Go version");
  return g->goid_offset;
}
