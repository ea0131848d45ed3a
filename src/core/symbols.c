/* symbols.c: names to addresses and back for one process, over the ELF
 * objects it has mapped (src/elf), IFUNCs resolved in the tracee; source
 * lines and backtraces through libdwfl. */
#include <errno.h>
#include <gelf.h>
#include <string.h>

#include "internal.h"

/* An IFUNC symbol names a resolver that picks the implementation at load
 * time (glibc's strlen, memcpy...). Breaking there would never fire: ask
 * the resolver, in the tracee, what it chose (as gdb does). The address
 * itself is kept when that cannot be done now. */
static uint64_t resolve_ifunc(lt_process *p, const lt_module *md, uint64_t resolver) {
  void *hit = hm_get(&p->ifuncs, resolver);
  if (hit) return (uint64_t)(uintptr_t)hit;
  if (p->state != LT_PS_STOPPED || strstr(md->path, "/ld-linux")) return resolver;
  lt_thread *t;
  if (lt_inject_thread(p, false, &t) < 0 || !t) return resolver;
  lt_saved_error e; /* a failure here is not the caller's */
  lt_error_save(p->tracer, &e);
  uint64_t chosen = 0;
  int rc = lt_inject_call(t, resolver, &chosen);
  lt_error_restore(p->tracer, &e);
  if (rc < 0 || !lt_modules_at(&p->mods, chosen)) return resolver;
  hm_put(&p->ifuncs, resolver, (void *)(uintptr_t)chosen);
  return chosen;
}

static uint64_t symbol_address(lt_process *p, const lt_module *md, const lt_sym *s) {
  uint64_t a = s->value + md->bias;
  return s->type == STT_GNU_IFUNC ? resolve_ifunc(p, md, a) : a;
}

int lt_symbol(lt_process *p, const char *spec, uint64_t *addr, const lt_module **mod) {
  const lt_modules *m = lt_process_modules(p);
  const char *colon = strrchr(spec, ':');
  if (colon && colon != spec) {
    char modname[512];
    size_t len = (size_t)(colon - spec);
    if (len >= sizeof modname) len = sizeof modname - 1;
    memcpy(modname, spec, len);
    modname[len] = 0;
    const lt_module *md = lt_modules_find(m, modname);
    if (!md)
      return lt_fail(p->tracer, LT_ENOSYM, "no module '%s' loaded in process %d (for symbol '%s')",
                     modname, (int)p->pid, colon + 1);
    const lt_sym *s = lt_symtab_lookup(md->syms, colon + 1);
    if (!s)
      return lt_fail(p->tracer, LT_ENOSYM, "no symbol '%s' in %s", colon + 1, md->path);
    *addr = symbol_address(p, md, s);
    if (mod) *mod = md;
    return 0;
  }
  /* The executable, the libraries in map order, and the dynamic loader
   * last: with its debug symbols installed, the loader has its own
   * strlen, memcpy, ... which the program never calls. */
  for (int loader = 0; loader <= 1; loader++) {
    for (size_t i = 0; i < m->n; i++) {
      if (m->mods[i].is_loader != loader) continue;
      const lt_sym *s = lt_symtab_lookup(m->mods[i].syms, spec);
      if (s) {
        *addr = symbol_address(p, &m->mods[i], s);
        if (mod) *mod = &m->mods[i];
        return 0;
      }
    }
  }
  return lt_fail(p->tracer, LT_ENOSYM, "no symbol '%s' in process %d (%zu modules searched)", spec,
                 (int)p->pid, m->n);
}

int lt_symbolize(lt_process *p, uint64_t addr, const lt_sym **sym, const lt_module **mod) {
  const lt_modules *m = lt_process_modules(p);
  const lt_module *md = lt_modules_at(m, addr);
  if (!md) return 0;
  const lt_sym *s = lt_symtab_containing(md->syms, addr - md->bias);
  if (!s) return 0;
  *sym = s;
  *mod = md;
  return 1;
}

/* The process's libdwfl view. When the process has stopped since the last
 * look a library may have come or gone: the modules are re-reported in
 * place (libdwfl keeps what it loaded for those that did not change). */
static lt_dwarf *dwarf_of(lt_process *p) {
  uint64_t stamp = p->stats.stops + 1;
  if (p->dwarf && p->dwarf_stamp != stamp && lt_dwarf_refresh(p->dwarf) < 0) {
    lt_dwarf_close(p->dwarf);
    p->dwarf = NULL;
  }
  if (!p->dwarf) {
    char err[256];
    p->dwarf = lt_dwarf_open(p->pid, err, sizeof err);
    if (!p->dwarf) {
      lt_fail(p->tracer, LT_EBADELF, "process %d: %s", (int)p->pid, err);
      return NULL;
    }
  }
  p->dwarf_stamp = stamp;
  return p->dwarf;
}

int lt_source_lines(lt_process *p, const char *file, int line, uint64_t *addrs, size_t max) {
  lt_dwarf *d = dwarf_of(p);
  if (!d) return -1;
  int n = lt_dwarf_lines(d, file, line, addrs, max);
  if (n < 0)
    return lt_fail(p->tracer, LT_ENOSYM, "no line table for '%s' in process %d (built without -g?)",
                   file, (int)p->pid);
  if (n == 0)
    return lt_fail(p->tracer, LT_ENOSYM, "no code at %s:%d in process %d", file, line, (int)p->pid);
  return n;
}

int lt_source_of(lt_process *p, uint64_t addr, const char **file, int *line) {
  lt_dwarf *d = dwarf_of(p);
  return d ? lt_dwarf_source(d, addr, file, line) : 0;
}

int lt_backtrace(lt_thread *t, uint64_t *pcs, size_t max) {
  lt_process *p = t->proc;
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "unwind");
  if (lt_thread_flush_regs(t) < 0) return -1; /* libdwfl reads the kernel's copy */
  lt_dwarf *d = dwarf_of(p);
  if (!d) return -1;
  char err[256];
  int n = lt_dwarf_backtrace(d, t->tid, pcs, max, err, sizeof err);
  if (n < 0) return lt_fail(p->tracer, LT_EBADELF, "%s", err);
  return n;
}
