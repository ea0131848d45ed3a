/* needed.c: DT_NEEDED resolution as ld.so does it for x86_64 Linux:
 * DT_RPATH (without DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH ($ORIGIN
 * expanded), the directories of /etc/ld.so.conf, then the defaults. */
#include "needed.h"

#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  char **v;
  int n, cap;
} strs;

static int push(strs *s, const char *x) {
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 16;
    char **nv = realloc(s->v, (size_t)cap * sizeof *nv);
    if (!nv) return -1;
    s->v = nv;
    s->cap = cap;
  }
  s->v[s->n] = strdup(x);
  return s->v[s->n] ? (s->n++, 0) : -1;
}

static int has(const strs *s, const char *x) {
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->v[i], x) == 0) return 1;
  return 0;
}

static void free_strs(strs *s) {
  for (int i = 0; i < s->n; i++) free(s->v[i]);
  free(s->v);
}

/* Directories from a colon-separated list, $ORIGIN replaced. */
static void add_dirs(strs *dirs, const char *list, const char *origin) {
  if (!list) return;
  char *copy = strdup(list), *save = NULL;
  if (!copy) return;
  for (char *d = strtok_r(copy, ":;", &save); d; d = strtok_r(NULL, ":;", &save)) {
    char buf[PATH_MAX];
    const char *o = strstr(d, "$ORIGIN");
    const char *o2 = strstr(d, "${ORIGIN}");
    if (o)
      snprintf(buf, sizeof buf, "%.*s%s%s", (int)(o - d), d, origin, o + 7);
    else if (o2)
      snprintf(buf, sizeof buf, "%.*s%s%s", (int)(o2 - d), d, origin, o2 + 9);
    else
      snprintf(buf, sizeof buf, "%s", d);
    push(dirs, buf);
  }
  free(copy);
}

/* /etc/ld.so.conf and the files it includes. */
static void conf_dirs(strs *dirs, const char *file, int depth) {
  FILE *f = depth < 4 ? fopen(file, "re") : NULL;
  if (!f) return;
  char line[PATH_MAX];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "#\n")] = 0;
    char *l = line;
    while (*l == ' ' || *l == '\t') l++;
    if (!*l) continue;
    if (strncmp(l, "include", 7) == 0 && (l[7] == ' ' || l[7] == '\t')) {
      glob_t g;
      char *pat = l + 8;
      while (*pat == ' ' || *pat == '\t') pat++;
      if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) conf_dirs(dirs, g.gl_pathv[i], depth + 1);
        globfree(&g);
      }
    } else {
      push(dirs, l);
    }
  }
  fclose(f);
}

/* The DT_NEEDED names and the search paths of one file. */
static int read_dynamic(const char *path, strs *needed, char **rpath, char **runpath) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  Elf *e = elf_begin(fd, ELF_C_READ, NULL);
  int rc = -1;
  Elf_Scn *scn = NULL;
  while (e && (scn = elf_nextscn(e, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC) continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    for (size_t i = 0; d && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
      GElf_Dyn dyn;
      if (!gelf_getdyn(d, (int)i, &dyn)) break;
      const char *s = NULL;
      if (dyn.d_tag == DT_NEEDED || dyn.d_tag == DT_RPATH || dyn.d_tag == DT_RUNPATH)
        s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
      if (!s) continue;
      if (dyn.d_tag == DT_NEEDED)
        push(needed, s);
      else if (dyn.d_tag == DT_RPATH && !*rpath)
        *rpath = strdup(s);
      else if (dyn.d_tag == DT_RUNPATH && !*runpath)
        *runpath = strdup(s);
    }
    rc = 0;
  }
  if (e && rc < 0) rc = 0; /* a static program needs nothing */
  if (e) elf_end(e);
  close(fd);
  return rc;
}

static int find_lib(const char *name, const strs *dirs, char *out, size_t len) {
  if (strchr(name, '/')) {
    snprintf(out, len, "%s", name);
    return access(out, R_OK) == 0;
  }
  for (int i = 0; i < dirs->n; i++) {
    snprintf(out, len, "%s/%s", dirs->v[i], name);
    if (access(out, R_OK) == 0) return 1;
  }
  return 0;
}

int lt_elf_needed(const char *path, char ***out) {
  elf_version(EV_CURRENT);
  strs found = {0}, queue = {0};
  if (push(&queue, path) < 0) return -1;
  strs sys = {0};
  conf_dirs(&sys, "/etc/ld.so.conf", 0);
  static const char *const defaults[] = {
      "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"};
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) push(&sys, defaults[i]);
  int rc = 0;
  for (int q = 0; q < queue.n; q++) {
    strs needed = {0}, dirs = {0};
    char *rpath = NULL, *runpath = NULL;
    if (read_dynamic(queue.v[q], &needed, &rpath, &runpath) < 0) {
      if (q == 0) rc = -1;
      free_strs(&needed);
      continue;
    }
    char origin[PATH_MAX];
    snprintf(origin, sizeof origin, "%s", queue.v[q]);
    char *slash = strrchr(origin, '/');
    if (slash)
      *slash = 0;
    else
      snprintf(origin, sizeof origin, ".");
    if (rpath && !runpath) add_dirs(&dirs, rpath, origin);
    add_dirs(&dirs, getenv("LD_LIBRARY_PATH"), origin);
    if (runpath) add_dirs(&dirs, runpath, origin);
    for (int i = 0; i < sys.n; i++) push(&dirs, sys.v[i]);
    for (int i = 0; i < needed.n; i++) {
      char lib[PATH_MAX];
      if (!find_lib(needed.v[i], &dirs, lib, sizeof lib)) continue;
      char real[PATH_MAX];
      const char *p = realpath(lib, real) ? real : lib;
      if (has(&found, p)) continue;
      push(&found, p);
      push(&queue, p);
    }
    free(rpath);
    free(runpath);
    free_strs(&needed);
    free_strs(&dirs);
    if (rc < 0) break;
  }
  free_strs(&queue);
  free_strs(&sys);
  if (rc < 0) {
    free_strs(&found);
    return -1;
  }
  *out = found.v;
  return found.n;
}

void lt_elf_needed_free(char **list, int n) {
  for (int i = 0; i < n; i++) free(list[i]);
  free(list);
}
