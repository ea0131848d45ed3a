/* dwarf.c: source lines and unwinding with libdwfl. One Dwfl per process,
 * re-reported from /proc/PID/maps when lutra sees the modules change. */
#include "dwarf.h"

#include <elfutils/libdw.h>
#include <errno.h>
#include <inttypes.h>
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "root.h"

struct lt_dwarf {
  Dwfl *dwfl;
  pid_t pid;
  bool attached; /* dwfl_linux_proc_attach done (for unwinding) */
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

lt_dwarf *lt_dwarf_open(pid_t pid, char *err, size_t errlen) {
  lt_dwarf *d = calloc(1, sizeof *d);
  if (!d) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  d->pid = pid;
  d->dwfl = dwfl_begin(&callbacks);
  if (!d->dwfl || lt_dwarf_refresh(d) < 0) {
    snprintf(err, errlen, "libdwfl: %s", dwfl_errmsg(-1));
    lt_dwarf_close(d);
    return NULL;
  }
  return d;
}

/* A process in another mount namespace: libdwfl would open the paths of
 * its maps in lutra's namespace (the host's libc for a container's). Its
 * maps are reported with each path under /proc/PID/root instead. (The
 * vDSO, which dwfl_linux_proc_report finds through auxv, is left out.) */
static int report_under_root(Dwfl *dwfl, pid_t pid, const char *root) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *in = fopen(path, "re");
  if (!in) return errno;
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (!out) {
    int e = errno;
    fclose(in);
    return e;
  }
  char line[4352];
  while (fgets(line, sizeof line, in)) {
    int name_at = 0;
    uint64_t start, end;
    if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*s %*s %*s %n", &start, &end, &name_at) >= 2 &&
        name_at > 0 && line[name_at] == '/')
      fprintf(out, "%.*s%s%s", name_at, line, root, line + name_at);
    else
      fputs(line, out);
  }
  fclose(in);
  if (fclose(out) != 0) {
    free(buf);
    return ENOMEM;
  }
  FILE *maps = fmemopen(buf, len, "r");
  int rc = maps ? dwfl_linux_proc_maps_report(dwfl, maps) : errno;
  if (maps) fclose(maps);
  free(buf);
  return rc;
}

int lt_dwarf_refresh(lt_dwarf *d) {
  char root[64];
  lt_root_of(d->pid, root, sizeof root);
  dwfl_report_begin(d->dwfl);
  int rc = root[0] ? report_under_root(d->dwfl, d->pid, root) : dwfl_linux_proc_report(d->dwfl, d->pid);
  if (dwfl_report_end(d->dwfl, NULL, NULL) != 0 || rc != 0) return -1;
  return 0;
}

void lt_dwarf_close(lt_dwarf *d) {
  if (!d) return;
  if (d->dwfl) dwfl_end(d->dwfl);
  free(d);
}

typedef struct {
  const char *file;
  int line;
  uint64_t *addrs;
  size_t max, n;
  bool found_file;
} lines_arg;

/* Keeps the lowest begin-statement address per function. */
static void add_line(lines_arg *a, Dwfl_Module *mod, uint64_t addr) {
  const char *fn = dwfl_module_addrname(mod, addr);
  for (size_t i = 0; i < a->n; i++) {
    const char *other = dwfl_module_addrname(mod, a->addrs[i]);
    if (fn && other && strcmp(fn, other) == 0) {
      if (addr < a->addrs[i]) a->addrs[i] = addr;
      return;
    }
    if (a->addrs[i] == addr) return;
  }
  if (a->n < a->max) a->addrs[a->n++] = addr;
}

static int lines_in_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg) {
  (void)userdata;
  (void)name;
  (void)start;
  lines_arg *a = arg;
  Dwfl_Line **srcs = NULL;
  size_t nsrcs = 0;
  /* libdwfl matches a base name; "dir/file.c" is checked against the end
   * of each line's full path here. */
  const char *slash = strrchr(a->file, '/');
  const char *base = slash && a->file[0] != '/' ? slash + 1 : a->file;
  if (dwfl_module_getsrc_file(mod, base, a->line, 0, &srcs, &nsrcs) != 0 || nsrcs == 0) return DWARF_CB_OK;
  for (size_t i = 0; i < nsrcs; i++) {
    Dwarf_Addr addr;
    int lineno;
    const char *path = dwfl_lineinfo(srcs[i], &addr, &lineno, NULL, NULL, NULL);
    if (!path) continue;
    if (base != a->file) {
      size_t lp = strlen(path), lf = strlen(a->file);
      if (lp < lf || strcmp(path + lp - lf, a->file) != 0 || (lp > lf && path[lp - lf - 1] != '/')) continue;
    }
    a->found_file = true;
    if (lineno != a->line) continue;
    Dwarf_Addr bias;
    Dwarf_Line *dl = dwfl_dwarf_line(srcs[i], &bias);
    bool stmt = true;
    if (dl) dwarf_linebeginstatement(dl, &stmt);
    if (stmt) add_line(a, mod, addr);
  }
  free(srcs);
  return DWARF_CB_OK;
}

int lt_dwarf_lines(lt_dwarf *d, const char *file, int line, uint64_t *addrs, size_t max) {
  lines_arg a = {file, line, addrs, max, 0, false};
  dwfl_getmodules(d->dwfl, lines_in_module, &a, 0);
  if (!a.found_file) return -1;
  return (int)a.n;
}

int lt_dwarf_source(lt_dwarf *d, uint64_t addr, const char **file, int *line) {
  Dwfl_Line *l = dwfl_getsrc(d->dwfl, addr);
  if (!l) return 0;
  const char *f = dwfl_lineinfo(l, NULL, line, NULL, NULL, NULL);
  if (!f) return 0;
  *file = f;
  return 1;
}

typedef struct {
  uint64_t *pcs;
  size_t max, n;
} frames_arg;

static int on_frame(Dwfl_Frame *state, void *arg) {
  frames_arg *a = arg;
  Dwarf_Addr pc;
  bool activation;
  if (!dwfl_frame_pc(state, &pc, &activation)) return DWARF_CB_ABORT;
  if (pc == 0 || a->n >= a->max) return DWARF_CB_ABORT;
  a->pcs[a->n++] = pc;
  return DWARF_CB_OK;
}

int lt_dwarf_backtrace(lt_dwarf *d, pid_t tid, uint64_t *pcs, size_t max, char *err, size_t errlen) {
  if (!d->attached) {
    /* lutra is the tracer and the thread is stopped: libdwfl reads its
     * registers and stack through ptrace without attaching again. */
    int rc = dwfl_linux_proc_attach(d->dwfl, d->pid, true);
    if (rc != 0) {
      snprintf(err, errlen, "libdwfl cannot unwind process %d: %s", (int)d->pid,
               rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
      return -1;
    }
    d->attached = true;
  }
  frames_arg a = {pcs, max, 0};
  if (dwfl_getthread_frames(d->dwfl, tid, on_frame, &a) != 0 && a.n == 0) {
    snprintf(err, errlen, "libdwfl cannot unwind thread %d: %s", (int)tid, dwfl_errmsg(-1));
    return -1;
  }
  return (int)a.n;
}
