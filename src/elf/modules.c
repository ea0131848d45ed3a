/* modules.c: the ELF objects mapped into a process, from /proc/PID/maps,
 * with the load bias of each; symbol tables are cached per file. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "root.h"
#include "symtab.h"

void lt_modules_init(lt_modules *m) { memset(m, 0, sizeof *m); }

static void clear_mods(lt_modules *m) {
  for (size_t i = 0; i < m->n; i++) free(m->mods[i].path);
  free(m->mods);
  m->mods = NULL;
  m->n = 0;
  for (size_t i = 0; i < m->nregions; i++) free(m->regions[i].path);
  free(m->regions);
  m->regions = NULL;
  m->nregions = 0;
  free(m->bad);
  m->bad = NULL;
  m->nbad = 0;
}

/* A mapped object that claims to be ELF but cannot be read: remembered, so
 * that a name that is not found can say where it may have been. */
static void add_bad(lt_modules *m, const lt_symtab *s) {
  for (size_t i = 0; i < m->nbad; i++)
    if (m->bad[i] == s) return;
  const lt_symtab **b = realloc(m->bad, (m->nbad + 1) * sizeof *b);
  if (!b) return; /* only a worse message */
  m->bad = b;
  m->bad[m->nbad++] = s;
}

/* Every mapping is kept with its permissions: the engine puts an int3
 * only into executable memory. */
static int add_region(lt_modules *m, size_t *cap, uint64_t start, uint64_t end, const char *perms,
                      const char *name) {
  if (m->nregions == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    lt_region *nr = realloc(m->regions, nc * sizeof *nr);
    if (!nr) return -1;
    m->regions = nr;
    *cap = nc;
  }
  lt_region *r = &m->regions[m->nregions];
  r->start = start;
  r->end = end;
  memcpy(r->perms, perms, sizeof r->perms - 1);
  r->perms[sizeof r->perms - 1] = 0;
  r->path = NULL;
  if (*name && !(r->path = strdup(name))) return -1;
  m->nregions++;
  return 0;
}

void lt_modules_free(lt_modules *m) {
  clear_mods(m);
  for (size_t i = 0; i < m->ncache; i++) lt_symtab_free(m->cache[i]);
  free(m->cache);
  m->cache = NULL;
  m->ncache = 0;
}

/* The cached table for this file (same path, inode and mtime), else a newly
 * opened one; NULL (and cached as such) when the file is not an ELF. */
static lt_symtab *symtab_for(lt_modules *m, const char *open_path, const char *path) {
  struct stat sb;
  if (stat(open_path, &sb) < 0) return NULL;
  for (size_t i = 0; i < m->ncache; i++) {
    lt_symtab *s = m->cache[i];
    if (s->dev == sb.st_dev && s->ino == sb.st_ino && s->mtime == (int64_t)sb.st_mtime &&
        strcmp(s->path, path) == 0) {
      if (!s->valid && s->error) add_bad(m, s);
      return s->valid ? s : NULL;
    }
  }
  char err[256];
  int code;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (m->loading) m->loading(m->loading_ud, path, (uint64_t)sb.st_size, 0);
  lt_symtab *s = lt_symtab_open(open_path, path, err, sizeof err, &code);
  if (m->loading) m->loading(m->loading_ud, path, (uint64_t)sb.st_size, 1);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  m->load_s += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  m->loaded++;
  if (!s && code != LT_SYMTAB_NOT_ELF && m->warn) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s%s%s; its symbols are unknown", err, code > 0 ? ": " : "",
             code > 0 ? strerror(code) : "");
    m->warn(m->warn_ud, msg);
  }
  if (!s) { /* remember the failure with an empty table */
    s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->path = strdup(path);
    /* the reason, without the file's name in front */
    size_t plen = strlen(path);
    const char *why = strncmp(err, path, plen) == 0 && err[plen] == ':' ? err + plen + 2 : err;
    if (code != LT_SYMTAB_NOT_ELF) s->error = strdup(why);
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    s->mtime = (int64_t)sb.st_mtime;
  }
  lt_symtab **c = realloc(m->cache, (m->ncache + 1) * sizeof *c);
  if (!c) {
    lt_symtab_free(s);
    return NULL;
  }
  m->cache = c;
  m->cache[m->ncache++] = s;
  if (!s->valid && s->error) add_bad(m, s);
  return s->valid ? s : NULL;
}

int lt_modules_refresh(lt_modules *m, pid_t pid, char *err, size_t errlen) {
  char path[64], exe[PATH_MAX] = "", root[64];
  lt_root_of(pid, root, sizeof root);
  snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
  ssize_t n = readlink(path, exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f) {
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  clear_mods(m);
  size_t cap = 0, rcap = 0;
  int rc = 0;
  char line[PATH_MAX + 128];
  while (fgets(line, sizeof line, f)) {
    uint64_t start, end, off;
    char perms[8];
    int name_at = 0;
    if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &start, &end, perms, &off,
               &name_at) < 4 ||
        name_at == 0)
      continue;
    char *name = line + name_at;
    name[strcspn(name, "\n")] = 0;
    if (add_region(m, &rcap, start, end, perms, name) < 0) {
      snprintf(err, errlen, "%s: out of memory", path);
      rc = -1;
      break;
    }
    lt_module *last = m->n ? &m->mods[m->n - 1] : NULL;
    if (name[0] != '/') {
      /* a module's .bss past its file's pages: anonymous, right after it */
      if (!name[0] && last && start == last->end && perms[0] == 'r') last->end = end;
      continue;
    }
    if (last && strcmp(last->path, name) == 0) {
      if (end > last->end) last->end = end;
      continue;
    }
    /* A file mapped again further on (rare) counts as the same module. */
    bool seen = false;
    for (size_t i = 0; i < m->n && !seen; i++)
      if (strcmp(m->mods[i].path, name) == 0) {
        if (end > m->mods[i].end) m->mods[i].end = end;
        seen = true;
      }
    if (seen) continue;
    char open_path[PATH_MAX + 64];
    const char *opened = name;
    const char *del = strstr(name, " (deleted)");
    if (del && del[10] == 0) { /* the file is gone: read it through the mapping */
      snprintf(open_path, sizeof open_path, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, start, end);
      opened = open_path;
    } else if (root[0]) {
      snprintf(open_path, sizeof open_path, "%s%s", root, name);
      opened = open_path;
    }
    lt_symtab *s = symtab_for(m, opened, name);
    if (!s) continue;
    if (m->n == cap) {
      cap = cap ? cap * 2 : 16;
      lt_module *nm = realloc(m->mods, cap * sizeof *nm);
      if (!nm) break;
      m->mods = nm;
    }
    lt_module *mod = &m->mods[m->n++];
    mod->path = strdup(name);
    mod->base = start - off;
    mod->end = end;
    mod->bias = mod->base - s->first_load;
    mod->syms = s;
    mod->is_exe = strcmp(name, exe) == 0;
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    mod->is_loader = strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld.so", 5) == 0;
  }
  fclose(f);
  if (rc < 0) return rc;
  /* The executable leads the search order. */
  for (size_t i = 1; i < m->n; i++) {
    if (m->mods[i].is_exe) {
      lt_module tmp = m->mods[i];
      memmove(&m->mods[1], &m->mods[0], i * sizeof tmp);
      m->mods[0] = tmp;
      break;
    }
  }
  return 0;
}

const lt_symtab *lt_modules_find_bad(const lt_modules *m, const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < m->nbad; i++) {
    const char *p = m->bad[i]->path;
    const char *slash = strrchr(p, '/');
    const char *base = slash ? slash + 1 : p;
    if (strcmp(p, name) == 0 || strcmp(base, name) == 0 ||
        (strncmp(base, name, len) == 0 && base[len] == '.'))
      return m->bad[i];
  }
  return NULL;
}

const lt_module *lt_modules_find(const lt_modules *m, const char *name) {
  for (size_t i = 0; i < m->n; i++) {
    const char *p = m->mods[i].path;
    const char *slash = strrchr(p, '/');
    const char *base = slash ? slash + 1 : p;
    if (strcmp(p, name) == 0 || strcmp(base, name) == 0) return &m->mods[i];
  }
  /* A path by another name: /lib is /usr/lib on a merged-/usr system. */
  struct stat sb;
  if (strchr(name, '/') && stat(name, &sb) == 0)
    for (size_t i = 0; i < m->n; i++)
      if (m->mods[i].syms->dev == sb.st_dev && m->mods[i].syms->ino == sb.st_ino) return &m->mods[i];
  /* "libc.so" matches "libc.so.6", "libplugin" matches "libplugin.so" */
  size_t len = strlen(name);
  for (size_t i = 0; i < m->n; i++) {
    const char *slash = strrchr(m->mods[i].path, '/');
    const char *base = slash ? slash + 1 : m->mods[i].path;
    if (strncmp(base, name, len) == 0 && base[len] == '.') return &m->mods[i];
  }
  return NULL;
}

const lt_module *lt_modules_at(const lt_modules *m, uint64_t addr) {
  for (size_t i = 0; i < m->n; i++)
    if (addr >= m->mods[i].base && addr < m->mods[i].end) return &m->mods[i];
  return NULL;
}

const lt_region *lt_modules_region(const lt_modules *m, uint64_t addr) {
  size_t lo = 0, hi = m->nregions;
  while (lo < hi) { /* /proc/PID/maps lists mappings in address order */
    size_t mid = (lo + hi) / 2;
    if (m->regions[mid].end <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < m->nregions && addr >= m->regions[lo].start ? &m->regions[lo] : NULL;
}
