/* usdt.c: SystemTap SDT probes in a traced process: the arguments at a
 * probe's stop, decoded from the note's specs, and the semaphores lutra
 * raises while a probe is set (and lowers again before it lets go). */
#include <errno.h>
#include <string.h>

#include "../elf/usdt.h"
#include "internal.h"

/* The probe a thread is stopped at, and the module holding it. */
static const lt_usdt_probe *probe_of(lt_thread *t, const lt_module **mod) {
  lt_cause c;
  if (lt_thread_cause(t, &c) < 0 || c.kind != LT_CAUSE_BREAKPOINT) return NULL;
  const lt_module *md = lt_process_module_at(t->proc, c.pc);
  if (!md || !md->syms) return NULL;
  *mod = md;
  return lt_usdt_at(md->syms->usdt, c.pc - md->bias);
}

int lt_thread_usdt_probe(lt_thread *t, const char **provider, const char **name, int *nargs) {
  const lt_module *md;
  const lt_usdt_probe *pr = probe_of(t, &md);
  if (!pr)
    return lt_fail(t->proc->tracer, LT_ENOTUSDT, "thread %d is not stopped at a USDT probe", (int)t->tid);
  *provider = pr->provider;
  *name = pr->name;
  *nargs = lt_usdt_nargs(pr);
  return 0;
}

int lt_thread_probe_arg(lt_thread *t, int n, int64_t *v) {
  lt_tracer *tr = t->proc->tracer;
  const lt_module *md;
  const lt_usdt_probe *pr = probe_of(t, &md);
  if (!pr) return lt_fail(tr, LT_ENOTUSDT, "thread %d is not stopped at a USDT probe", (int)t->tid);
  lt_usdt_arg spec;
  arch_sdt_operand op;
  if (n < 1 || n > lt_usdt_nargs(pr))
    return lt_fail(tr, LT_EMISUSE, "probe_arg(%d): USDT probe %s:%s has %d argument%s", n, pr->provider,
                   pr->name, lt_usdt_nargs(pr), lt_usdt_nargs(pr) == 1 ? "" : "s");
  if (lt_usdt_arg_spec(pr, n, &spec) < 0 || arch_sdt_parse(spec.operand, spec.operand_len, &op) < 0)
    return lt_fail(tr, EINVAL, "probe_arg(%d): cannot read the argument spec of USDT probe %s:%s ('%s')", n,
                   pr->provider, pr->name, pr->args);
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return -1;
  uint64_t raw = arch_sdt_value(&r, &op);
  if (op.kind == ARCH_SDT_MEM) {
    if (op.sym[0]) {
      const lt_sym *s = lt_symtab_lookup(md->syms, op.sym);
      if (!s)
        return lt_fail(tr, LT_ENOSYM, "probe_arg(%d): no symbol '%s' in %s (USDT probe %s:%s)", n, op.sym,
                       md->path, pr->provider, pr->name);
      raw += s->value + md->bias;
    }
    uint64_t addr = raw;
    raw = 0;
    if (lt_read(t->proc, addr, &raw, (size_t)spec.size) != (ssize_t)spec.size) return -1;
  }
  if (spec.size < 8) {
    unsigned bits = 8u * (unsigned)spec.size;
    raw &= (UINT64_C(1) << bits) - 1;
    if (spec.is_signed && (raw >> (bits - 1)) & 1) raw |= ~((UINT64_C(1) << bits) - 1);
  }
  *v = (int64_t)raw;
  return 0;
}

/* The program's own counter at addr moves by delta; lutra remembers its
 * share in p->semaphores. */
static int bump(lt_process *p, uint64_t addr, int delta) {
  uint16_t v;
  if (lt_read(p, addr, &v, sizeof v) != (ssize_t)sizeof v) return -1;
  v = (uint16_t)(delta < 0 && v < (uint16_t)-delta ? 0 : v + delta);
  if (lt_write(p, addr, &v, sizeof v) != (ssize_t)sizeof v) return -1;
  return 0;
}

int lt_usdt_semaphore(lt_process *p, uint64_t addr, int delta) {
  uintptr_t ours = (uintptr_t)hm_get(&p->semaphores, addr);
  /* Nothing of lutra's to take back: the counter went with the program
   * an exec replaced, or detach took it back already. */
  if (delta < 0 && ours < (uintptr_t)-delta) return 0;
  if (bump(p, addr, delta) < 0) return -1;
  ours += (uintptr_t)(intptr_t)delta;
  if (ours) {
    if (hm_put(&p->semaphores, addr, (void *)ours) < 0) return lt_fail(p->tracer, ENOMEM, "out of memory");
  } else {
    hm_del(&p->semaphores, addr);
  }
  return 0;
}

void lt_usdt_release_all(lt_process *p) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->semaphores, &i, &k, &v);) bump(p, k, -(int)(uintptr_t)v);
  hm_free(&p->semaphores);
}
