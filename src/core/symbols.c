/* symbols.c: names to addresses and back for one process, over the ELF
 * objects it has mapped (src/elf), IFUNCs resolved in the tracee; source
 * lines and backtraces through libdwfl. */
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../elf/demangle.h"

void lt_process_on_symbols(lt_process *p, void (*fn)(void *ud, const char *path, uint64_t size, int done),
                           void *ud) {
  p->mods.loading = fn;
  p->mods.loading_ud = ud;
}

double lt_process_symbols_time(const lt_process *p, size_t *objects) {
  if (objects) *objects = p->mods.loaded;
  return p->mods.load_s;
}

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

size_t lt_split_where(const char *spec) {
  /* The first ':' that is not half of a '::' and not inside brackets
   * (an ABI tag "[abi:cxx11]", template arguments, parameters). */
  int depth = 0;
  for (size_t i = 0; spec[i]; i++) {
    char c = spec[i];
    if (c == '[' || c == '(' || c == '<')
      depth++;
    else if ((c == ']' || c == ')' || c == '>') && depth > 0)
      depth--;
    else if (c == ':' && depth == 0) {
      if (spec[i + 1] == ':') {
        i++;
        continue;
      }
      return i;
    }
  }
  return 0;
}

/* Appends the symbols `name` designates in one module; returns how many
 * there are (also beyond max). */
static size_t find_in(lt_process *p, const lt_module *md, const char *name, const char *spelled,
                      lt_location *out, size_t n, size_t max, bool linkage_only) {
  const lt_sym *found[64];
  size_t cnt;
  if (linkage_only) {
    found[0] = lt_symtab_lookup(md->syms, name);
    cnt = found[0] ? 1 : 0;
  } else {
    cnt = lt_symtab_find(md->syms, name, spelled, found, 64);
  }
  for (size_t i = 0; i < cnt && i < 64; i++) {
    if (n + i >= max) continue;
    out[n + i].addr = symbol_address(p, md, found[i]);
    out[n + i].sym = found[i];
    out[n + i].mod = md;
  }
  return cnt;
}

/* A name found nowhere: why, when lutra knows more than "not there". An
 * object it cannot read (damaged, truncated) may have had it: EBADELF,
 * naming the file and what is broken. A stripped executable keeps only
 * its exported names (.dynsym): the answer says so. */
static int unknown_name(lt_process *p, const lt_modules *m, const char *spec) {
  if (m->nbad > 0)
    return lt_fail(p->tracer, LT_EBADELF,
                   "no symbol '%s' in process %d: the symbols of %s cannot be read: %s", spec, (int)p->pid,
                   m->bad[0]->path, m->bad[0]->error);
  for (size_t i = 0; i < m->n; i++)
    if (m->mods[i].is_exe && m->mods[i].syms->stripped)
      return lt_fail(p->tracer, LT_ENOSYM,
                     "no symbol '%s' in process %d (%s is stripped: '%s' is not in its .dynsym)", spec,
                     (int)p->pid, m->mods[i].path, spec);
  return lt_fail(p->tracer, LT_ENOSYM, "no symbol '%s' in process %d (%zu modules searched)", spec,
                 (int)p->pid, m->n);
}

int lt_lookup(lt_process *p, const char *spec, lt_location *out, size_t max) {
  const lt_modules *m = lt_process_modules(p);
  size_t split = lt_split_where(spec);
  const char *name = split ? spec + split + 1 : spec;
  char *spelled = lt_spell_dup(name);
  if (!spelled) return lt_fail(p->tracer, ENOMEM, "out of memory");
  size_t n = 0;
  if (split) {
    char modname[512];
    size_t len = split < sizeof modname ? split : sizeof modname - 1;
    memcpy(modname, spec, len);
    modname[len] = 0;
    const lt_module *md = lt_modules_find(m, modname);
    if (!md) {
      free(spelled);
      const lt_symtab *bad = lt_modules_find_bad(m, modname);
      if (bad)
        return lt_fail(p->tracer, LT_EBADELF, "no symbol '%s' in %s: its symbols cannot be read: %s", name,
                       bad->path, bad->error);
      return lt_fail(p->tracer, LT_ENOSYM, "no module '%s' loaded in process %d (for symbol '%s')", modname,
                     (int)p->pid, name);
    }
    n = find_in(p, md, name, spelled, out, 0, max, false);
    free(spelled);
    if (!n && md->syms->stripped)
      return lt_fail(p->tracer, LT_ENOSYM,
                     "no symbol '%s' in %s (%s is stripped: '%s' is not in its .dynsym)", name, md->path,
                     md->path, name);
    if (!n) return lt_fail(p->tracer, LT_ENOSYM, "no symbol '%s' in %s", name, md->path);
    return (int)n;
  }
  /* A linkage name first, in the executable, the libraries in map order,
   * and the dynamic loader last (with its debug symbols installed it has
   * its own strlen, memcpy, ... which the program never calls): the first
   * module that has it wins, as the dynamic linker decides. Then the
   * demangled forms, in every module: an overload set may be spread over
   * several objects (gdb gives one location in each). */
  for (int pass = 0; pass < 2 && !n; pass++) {
    for (int loader = 0; loader <= 1 && !n; loader++) {
      for (size_t i = 0; i < m->n; i++) {
        if (m->mods[i].is_loader != loader) continue;
        n += find_in(p, &m->mods[i], name, spelled, out, n, max, pass == 0);
        if (n && pass == 0) break;
      }
    }
  }
  free(spelled);
  if (!n) return unknown_name(p, m, spec);
  return (int)n;
}

int lt_symbol(lt_process *p, const char *spec, uint64_t *addr, const lt_module **mod) {
  lt_location loc;
  if (lt_lookup(p, spec, &loc, 1) < 0) return -1;
  *addr = loc.addr;
  if (mod) *mod = loc.mod;
  return 0;
}

int lt_symbolize(lt_process *p, uint64_t addr, const lt_sym **sym, const lt_module **mod) {
  const lt_module *md = lt_process_module_at(p, addr);
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
    p->dwarf = lt_dwarf_open(lt_process_proc_pid(p), err, sizeof err);
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
    return lt_fail(p->tracer, LT_ENOSYM, "no line table for '%s' in process %d (built without -g?)", file,
                   (int)p->pid);
  if (n == 0) return lt_fail(p->tracer, LT_ENOSYM, "no code at %s:%d in process %d", file, line, (int)p->pid);
  return n;
}

int lt_source_of(lt_process *p, uint64_t addr, const char **file, int *line) {
  lt_dwarf *d = dwarf_of(p);
  return d ? lt_dwarf_source(d, addr, file, line) : 0;
}

int lt_backtrace(lt_thread *t, uint64_t *pcs, size_t max) {
  lt_process *p = t->proc;
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "unwind");
  if (lt_thread_unpark(t) < 0) return -1;
  if (t->pc_ahead) t->regs_dirty = true;      /* the kernel's pc must be the cache's */
  if (lt_thread_flush_regs(t) < 0) return -1; /* libdwfl reads the kernel's copy */
  lt_dwarf *d = dwarf_of(p);
  if (!d) return -1;
  char err[256];
  int n = lt_dwarf_backtrace(d, t->tid, pcs, max, err, sizeof err);
  if (n < 0) return lt_fail(p->tracer, LT_EBADELF, "%s", err);
  return n;
}
