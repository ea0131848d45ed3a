/* probe.c: the patching protocol of probes that do not stop the program.
 * Every thread stopped, a site's instructions are checked (the function
 * scanned for branches into the bytes the jump takes), its trampoline is
 * emitted by src/arch into a scratch page (r-x, written through
 * /proc/PID/mem), threads inside the displaced bytes move to their
 * relocated copy, and the jump goes in. The shared region is mapped into
 * the tracee on the first probe, by injected syscalls. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../elf/usdt.h"
#include "internal.h"

#define MAX_SCAN (4u << 20) /* a function larger than this is not scanned: no jump */

static int noinline(lt_process *p, uint64_t addr, const char *why) {
  return lt_fail(p->tracer, LT_ENOINLINE, "no jump at 0x%" PRIx64 " in process %d: %s", addr, (int)p->pid,
                 why);
}

/* ---- arguments by the ABI of the place ---------------------------------- */

typedef struct {
  lt_process *p;
  uint64_t addr;
} argctx;

static int usdt_ops(const lt_module *md, const lt_usdt_probe *pr, int n, arch_xop *out, size_t max, char *err,
                    size_t errlen) {
  lt_usdt_arg spec;
  arch_sdt_operand op;
  if (n > lt_usdt_nargs(pr)) {
    snprintf(err, errlen, "USDT probe %s:%s has %d argument%s", pr->provider, pr->name, lt_usdt_nargs(pr),
             lt_usdt_nargs(pr) == 1 ? "" : "s");
    return -1;
  }
  if (lt_usdt_arg_spec(pr, n, &spec) < 0 || arch_sdt_parse(spec.operand, spec.operand_len, &op) < 0) {
    snprintf(err, errlen, "cannot read the argument spec of USDT probe %s:%s", pr->provider, pr->name);
    return -1;
  }
  size_t k = 0;
#define PUT(o, v) \
  do { \
    if (k == max) goto big; \
    out[k].op = (o); \
    out[k++].imm = (v); \
  } while (0)
  if (op.kind == ARCH_SDT_IMM) {
    PUT(ARCH_X_CONST, op.disp);
  } else if (op.kind == ARCH_SDT_REG) {
    PUT(ARCH_X_REG, op.reg);
    if (op.shift) {
      PUT(ARCH_X_CONST, op.shift);
      PUT(ARCH_X_SHR, 0);
    }
  } else {
    int64_t disp = op.disp;
    if (op.sym[0]) {
      const lt_sym *s = lt_symtab_lookup(md->syms, op.sym);
      if (!s) {
        snprintf(err, errlen, "no symbol '%s' in %s (USDT probe %s:%s)", op.sym, md->path, pr->provider,
                 pr->name);
        return -1;
      }
      disp += (int64_t)(s->value + md->bias);
    }
    PUT(ARCH_X_CONST, disp);
    if (op.reg >= 0) {
      PUT(ARCH_X_REG, op.reg);
      PUT(ARCH_X_ADD, 0);
    }
    if (op.index >= 0) {
      PUT(ARCH_X_REG, op.index);
      PUT(ARCH_X_CONST, op.scale);
      PUT(ARCH_X_MUL, 0);
      PUT(ARCH_X_ADD, 0);
    }
    PUT(ARCH_X_LOAD, spec.size);
  }
  if (spec.size < 8 && op.kind != ARCH_SDT_MEM) {
    PUT(ARCH_X_CONST, (int64_t)((UINT64_C(1) << (8 * spec.size)) - 1));
    PUT(ARCH_X_BAND, 0);
  }
  if (spec.is_signed && spec.size < 8) PUT(ARCH_X_SEXT, spec.size);
  return (int)k;
big:
  snprintf(err, errlen, "argument spec too complex");
  return -1;
#undef PUT
}

/* argN where the probe is: a USDT probe's own arguments, Go's register
 * sequence in Go code, else the C ABI's registers. */
static int arg_ops(void *ud, int n, arch_xop *out, size_t max, char *err, size_t errlen) {
  argctx *c = ud;
  const lt_module *md = lt_modules_at(lt_process_modules(c->p), c->addr);
  const lt_usdt_probe *pr = md && md->syms ? lt_usdt_at(md->syms->usdt, c->addr - md->bias) : NULL;
  if (pr) return usdt_ops(md, pr, n, out, max, err, errlen);
  int reg = lt_code_go_abi(c->p, c->addr) == 1 ? arch_go_arg_reg(n) : arch_arg_reg(n);
  if (reg < 0 || max < 1) {
    snprintf(err, errlen, "no argument %d in a register", n);
    return -1;
  }
  out[0].op = ARCH_X_REG;
  out[0].imm = reg;
  return 1;
}

static int parse(lt_process *p, uint64_t addr, const char *src, lt_expr *e) {
  argctx c = {p, addr};
  lt_expr_args args = {arg_ops, &c};
  char err[256];
  if (lt_expr_parse(src, &args, e, err, sizeof err) < 0)
    return lt_fail(p->tracer, LT_ESYNTAX, "bad expression \"%s\": %s", src, err);
  return 0;
}

int lt_expr_check(lt_tracer *tr, const char *src) {
  lt_expr e;
  char err[256];
  if (lt_expr_parse(src, NULL, &e, err, sizeof err) < 0)
    return lt_fail(tr, LT_ESYNTAX, "bad expression \"%s\": %s", src, err);
  lt_expr_free(&e);
  return 0;
}

/* ---- the shared region and the private page ----------------------------- */

static int inject(lt_thread *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                  uint64_t a5, int64_t *ret) {
  uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
  if (lt_inject_syscall(t, nr, args, ret) < 0) return -1;
  if (lt_syscall_failed(*ret)) {
    errno = (int)-*ret;
    return -1;
  }
  return 0;
}

/* Is glibc's TCB holding each thread's tid (so a record reads the tid
 * there, not by a syscall)? Only threads whose TLS is set up tell. */
static int glibc_tid(lt_process *p) {
  if (!arch_can_read_tls_base()) return 0;
  int seen = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (!lt_state_is_stopped(t->state) || lt_thread_load_regs(t) < 0) continue;
    uint64_t fs = arch_tls_base(&t->regs);
    if (!fs) continue;
    uint32_t tid = 0;
    if (lt_mem_read_raw(p, fs + ARCH_GLIBC_TID_OFFSET, &tid, sizeof tid) != (ssize_t)sizeof tid ||
        tid != (uint32_t)t->tid)
      return 0;
    seen = 1;
  }
  return seen;
}

static int map_region(lt_process *p, lt_probeset *ps, uint64_t near) {
  lt_tracer *tr = p->tracer;
  lt_thread *t;
  if (lt_inject_thread(p, true, &t) < 0) return -1;
  if (!t) return noinline(p, near, "no stopped thread can run the mmap that maps lutra's memory");
  uint64_t name;
  static const char label[] = "lutra-probes";
  if (lt_scratch_alloc(t, near, sizeof label, &name) < 0) return -1;
  if (lt_mem_write_raw(p, name, label, sizeof label) != (ssize_t)sizeof label)
    return lt_fail_errno(tr, "process %d: cannot write into a scratch page", (int)p->pid);
  int64_t rfd, remote, priv, ignored;
  if (inject(t, SYS_memfd_create, name, MFD_CLOEXEC, 0, 0, 0, 0, &rfd) < 0)
    return lt_fail_errno(tr, "process %d: memfd_create for the probes' shared memory", (int)p->pid);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)p->pid, (int)rfd);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  int rc = -1;
  if (fd < 0) {
    lt_fail_errno(tr, "open %s", path);
  } else if (inject(t, SYS_mmap, 0, LT_SHMEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, (uint64_t)rfd, 0,
                    &remote) < 0) {
    lt_fail_errno(tr, "process %d: mmap of the probes' shared memory", (int)p->pid);
  } else if ((ps->region = lt_shmem_new(tr, fd, (uint64_t)remote)) != NULL) {
    fd = -1;
    rc = 0;
  }
  if (fd >= 0) close(fd);
  inject(t, SYS_close, (uint64_t)rfd, 0, 0, 0, 0, 0, &ignored);
  if (rc < 0) return -1;
  /* The private page: the program reads it; the tracer writes it through
   * /proc/PID/mem. A forked child gets its own copy, a vfork child shares it. */
  if (inject(t, SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0, &priv) < 0)
    return lt_fail_errno(tr, "process %d: mmap of lutra's private page", (int)p->pid);
  uint8_t page[8 + 8 * ARCH_PRIV_SLOTS] = {0};
  memcpy(page + 8, ps->priv_fs, sizeof ps->priv_fs);
  if (lt_mem_write_raw(p, (uint64_t)priv, page, sizeof page) != (ssize_t)sizeof page)
    return lt_fail_errno(tr, "process %d: cannot write lutra's private page", (int)p->pid);
  ps->priv = (uint64_t)priv;
  ps->glibc_tid = glibc_tid(p);
  return 0;
}

/* ---- planning a site ------------------------------------------------------ */

static bool sharer_running(const lt_process *p) {
  for (const lt_process *q = p->tracer->procs; q; q = q->next) {
    if (q->mem_owner != p) continue;
    uint64_t k;
    void *v;
    for (size_t i = 0; hm_next(&q->threads, &i, &k, &v);)
      if (lt_state_is_running(((lt_thread *)v)->state) && !lt_thread_parked(v)) return true;
  }
  return false;
}

/* Decides whether a jump may go at site (addr: the function's address),
 * into a new lt_patch. NULL with LT_ENOINLINE and the reason. */
static lt_patch *plan(lt_process *p, uint64_t addr, uint64_t site) {
  /* the function holding addr (symbols.c is a floor above: its tables directly) */
  const lt_module *md = lt_modules_at(lt_process_modules(p), addr);
  const lt_sym *sym = md && md->syms ? lt_symtab_containing(md->syms, addr - md->bias) : NULL;
  if (!sym || !sym->size) {
    noinline(p, addr, "no symbol with a size holds it (the function's bounds are needed to scan it)");
    return NULL;
  }
  uint64_t start = sym->value + md->bias, end = start + sym->size;
  if (site >= end || sym->size > MAX_SCAN) {
    noinline(p, addr,
             site >= end ? "the function is shorter than the jump" : "the function is too large to scan");
    return NULL;
  }
  uint8_t *code = malloc(sym->size);
  lt_patch *pt = calloc(1, sizeof *pt);
  const char *why = NULL;
  uint64_t where = 0;
  if (!code || !pt) {
    lt_fail(p->tracer, ENOMEM, "out of memory");
    goto fail;
  }
  if (lt_read(p, start, code, sym->size) != (ssize_t)sym->size) {
    noinline(p, addr, "its code cannot be read");
    goto fail;
  }
  if (arch_reloc_plan(code + (site - start), end - site, site, &pt->reloc, &why) < 0) {
    noinline(p, addr, why);
    goto fail;
  }
  if (arch_scan_function(code, sym->size, start, site, site + pt->reloc.len, &why, &where) < 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "%s (at 0x%" PRIx64 ")", why, where);
    noinline(p, addr, msg);
    goto fail;
  }
  for (uint64_t a = site; a < site + pt->reloc.len; a++) {
    const lt_breakpoint *bp = lt_bp_at(p, a);
    if (bp && bp->inserted) {
      noinline(p, addr, "an int3 breakpoint sits on the bytes the jump needs");
      goto fail;
    }
    if (p->probes && hm_get(&p->probes->bytes, a)) {
      noinline(p, addr, "another probe's jump takes these bytes");
      goto fail;
    }
  }
  /* A thread between the instructions moved can only go on in the copy:
   * at an instruction's start, it will. */
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (!lt_state_is_stopped(t->state) || lt_thread_load_regs(t) < 0) continue;
    uint64_t pc = arch_pc(&t->regs);
    if (pc <= site || pc >= site + pt->reloc.len) continue;
    bool boundary = false;
    for (int j = 0; j < pt->reloc.n; j++) boundary = boundary || site + pt->reloc.insn[j].off == pc;
    if (!boundary) {
      noinline(p, addr, "a thread stopped inside an instruction the jump would move cannot be moved off it");
      goto fail;
    }
  }
  free(code);
  pt->site = site;
  pt->func = addr;
  /* At a function's first instruction (or past Go's stack check) the
   * flags are dead by the ABI; anywhere else (a USDT site) they are kept. */
  pt->save_flags = !(addr == start || lt_probe_address(p, start) == addr);
  pt->go_abi = lt_code_go_abi(p, addr) == 1;
  return pt;
fail:
  free(code);
  free(pt);
  return NULL;
}

/* ---- building a site's trampoline -------------------------------------- */

static int add_tramp(lt_probeset *ps, uint64_t at, const arch_tramp_layout *lay) {
  lt_tramp *t = realloc(ps->tramps, (ps->ntramps + 1) * sizeof *t);
  if (!t) return -1;
  ps->tramps = t;
  ps->tramps[ps->ntramps].addr = at;
  ps->tramps[ps->ntramps].lay = *lay;
  ps->ntramps++;
  return 0;
}

/* Emits pt's trampoline for its current operations and points the jump at
 * it (writing the jump the first time, threads inside the displaced
 * bytes moved to their copy). */
static int rebuild(lt_process *p, lt_probeset *ps, lt_patch *pt) {
  lt_tracer *tr = p->tracer;
  arch_probe_op ops[64];
  if (pt->nops > 64) return noinline(p, pt->func, "too many probes at one place");
  for (size_t i = 0; i < pt->nops; i++) {
    const lt_probe *o = pt->ops[i];
    arch_probe_op *a = &ops[i];
    memset(a, 0, sizeof *a);
    a->kind = (arch_op_kind)o->kind;
    if (o->cond.n) {
      a->cond = o->cond.ops;
      a->ncond = o->cond.n;
    }
    a->value = o->value.ops;
    a->nvalue = o->value.n;
    a->slot = o->slot;
    a->tag = o->tag;
    a->nargs = (uint8_t)o->nargs;
  }
  arch_tramp_spec spec = {pt->site,
                          pt->func,
                          pt->go_abi,
                          pt->save_flags,
                          ps->glibc_tid == 1,
                          ps->priv,
                          lt_shmem_owner(ps->region),
                          &pt->reloc,
                          ops,
                          pt->nops};
  uint8_t *buf = malloc(ARCH_TRAMP_MAX);
  if (!buf) return lt_fail(tr, ENOMEM, "out of memory");
  arch_tramp_layout lay;
  const char *why = NULL;
  lt_thread *t;
  uint64_t at = 0;
  int rc = -1;
  int n = arch_tramp_emit(&spec, pt->site, buf, &lay, &why); /* its size, near where it will go */
  if (n < 0) {
    noinline(p, pt->func, why);
    goto out;
  }
  size_t room = (size_t)n + 64; /* re-based displacements may pick other encodings */
  if (lt_inject_thread(p, true, &t) < 0) goto out;
  if (!t) {
    noinline(p, pt->func, "no stopped thread can run the mmap of a scratch page");
    goto out;
  }
  if (lt_scratch_alloc(t, pt->site, room, &at) < 0) {
    if (tr->errcode == ENOMEM) { /* no free page near the code */
      char msg[sizeof tr->errmsg];
      snprintf(msg, sizeof msg, "%s", lt_errmsg(tr));
      noinline(p, pt->func, msg);
    }
    goto out;
  }
  n = arch_tramp_emit(&spec, at, buf, &lay, &why);
  if (n < 0 || (size_t)n > room) {
    noinline(p, pt->func, n < 0 ? why : "the trampoline grew where it was placed");
    goto out;
  }
  if (lt_mem_write_raw(p, at, buf, (size_t)n) != n) {
    lt_fail_errno(tr, "process %d: cannot write a trampoline at 0x%" PRIx64, (int)p->pid, at);
    goto out;
  }
  if (add_tramp(ps, at, &lay) < 0) {
    lt_fail(tr, ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < lay.nguards; i++)
    hm_put(&ps->guards, at + lay.guard[i], (void *)(uintptr_t)(at + lay.guard_fix[i]));
  /* the traps: int3s over the trampoline's nops, reported at the function */
  size_t k = 0;
  for (size_t i = 0; i < pt->nops; i++) {
    lt_probe *o = pt->ops[i];
    if (o->kind != LT_PROBE_TRAP) continue;
    uint64_t old = o->trap, trap = at + lay.trap[k++];
    if (lt_add_breakpoint(p, trap) < 0) goto out;
    lt_breakpoint *nb = lt_bp_at(p, trap), *ob = old ? lt_bp_at(p, old) : NULL;
    nb->report = pt->func;
    if (ob && ob->nonstop) lt_set_breakpoint_nonstop(p, trap, 1); /* as the caller set it */
    o->trap = trap;
    if (old) lt_remove_breakpoint(p, old);
  }
  if (!pt->written) {
    uint64_t key;
    void *v;
    for (size_t i = 0; hm_next(&p->threads, &i, &key, &v);) {
      lt_thread *th = v;
      if (!lt_state_is_stopped(th->state) || lt_thread_load_regs(th) < 0) continue;
      uint64_t pc = arch_pc(&th->regs);
      for (int j = 0; j < pt->reloc.n; j++) {
        if (pc != pt->site + pt->reloc.insn[j].off || pc == pt->site) continue;
        arch_set_pc(&th->regs, at + lay.reloc_at + lay.reloc_off[j]);
        th->regs_dirty = true;
      }
    }
  }
  uint8_t jmp[ARCH_JUMP_LEN];
  if (arch_jump(pt->site, at, jmp) < 0 ||
      lt_mem_write_raw(p, pt->site, jmp, sizeof jmp) != (ssize_t)sizeof jmp) {
    lt_fail_errno(tr, "process %d: cannot write the jump at 0x%" PRIx64, (int)p->pid, pt->site);
    goto out;
  }
  pt->written = true;
  pt->tramp = at;
  pt->lay = lay;
  rc = 0;
out:
  free(buf);
  return rc;
}

static void detach_op(lt_patch *pt, lt_probe *op) {
  for (size_t i = 0; i < pt->nops; i++) {
    if (pt->ops[i] != op) continue;
    memmove(&pt->ops[i], &pt->ops[i + 1], (pt->nops - i - 1) * sizeof *pt->ops);
    pt->nops--;
    break;
  }
  op->patch = NULL;
}

static void drop_patch(lt_probeset *ps, lt_patch *pt) {
  hm_del(&ps->patches, pt->site);
  for (uint8_t b = 0; b < pt->reloc.len; b++) hm_del(&ps->bytes, pt->site + b);
  free(pt->ops);
  free(pt);
}

int lt_probe_add(lt_process *p, uint64_t addr, const lt_probe_spec *s) {
  lt_tracer *tr = p->tracer;
  if (lt_check_all_stopped(p, "add a probe") < 0) return -1;
  /* threads parked in a syscall stopped for real: their pcs are looked at */
  if (lt_process_unpark_all(p) < 0) return -1;
  if (p->mem_owner) return noinline(p, addr, "the process shares its parent's memory (a vfork child)");
  if (sharer_running(p)) return noinline(p, addr, "a vfork child sharing the memory is running");
  const lt_region *map = lt_modules_region(lt_process_modules(p), addr);
  if (map && map->perms[2] != 'x') /* a jump goes into code only, as an int3 does */
    return lt_fail(tr, LT_ENOTCODE,
                   "process %d: cannot put a probe at 0x%" PRIx64 ": it is data, not code (%s mapping)",
                   (int)p->pid, addr, map->perms);
  lt_probeset *ps = lt_probeset_of(p, true);
  if (!ps) return -1;
  /* After an endbr64 (indirect calls must land on it), else at addr */
  uint8_t first[4] = {0};
  static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
  uint64_t site = addr;
  if (lt_read(p, addr, first, 4) == 4 && !memcmp(first, endbr64, 4)) site += 4;
  lt_patch *pt = hm_get(&ps->patches, site);
  bool fresh = pt == NULL;
  if (fresh && !(pt = plan(p, addr, site))) return -1;
  lt_probe *op = calloc(1, sizeof *op);
  lt_probe **grown = realloc(pt->ops, (pt->nops + 1) * sizeof *grown);
  if (grown) pt->ops = grown;
  if (!op || !grown) {
    free(op);
    if (fresh) {
      free(pt->ops);
      free(pt);
    }
    return lt_fail(tr, ENOMEM, "out of memory");
  }
  op->kind = s->kind;
  op->counter = s->counter;
  op->tag = s->tag;
  op->nargs = s->nargs < 0 ? 0 : s->nargs > ARCH_ENTRY_ARGS ? ARCH_ENTRY_ARGS : s->nargs;
  int rc = 0;
  if (s->cond && (s->kind == LT_PROBE_COUNT || s->kind == LT_PROBE_TRAP))
    rc = parse(p, addr, s->cond, &op->cond);
  if (rc == 0 && s->kind == LT_PROBE_HIST) {
    if (!s->value)
      rc = lt_fail(tr, EINVAL, "a histogram needs an expression");
    else
      rc = parse(p, addr, s->value, &op->value);
  }
  if (rc == 0 && (s->kind == LT_PROBE_COUNT || s->kind == LT_PROBE_HIST) && !s->counter)
    rc = lt_fail(tr, EINVAL, "a counter probe needs its counter");
  if (rc == 0 && !ps->region) rc = map_region(p, ps, site);
  if (rc == 0 && op->counter) rc = lt_counter_slot(tr, op->counter, ps->region, &op->slot);
  op->counter = NULL; /* its slot is what the trampoline needs; the counter is the caller's */
  if (rc == 0 && s->kind == LT_PROBE_ENTRY) op->slot = lt_shmem_ring(ps->region);
  if (rc == 0 && fresh) {
    if (hm_put(&ps->patches, site, pt) < 0) rc = lt_fail(tr, ENOMEM, "out of memory");
    for (uint8_t b = 0; rc == 0 && b < pt->reloc.len; b++) hm_put(&ps->bytes, site + b, pt);
  }
  if (rc == 0) {
    pt->ops[pt->nops++] = op;
    op->patch = pt;
    rc = rebuild(p, ps, pt);
    if (rc < 0) detach_op(pt, op);
  }
  if (rc < 0) {
    lt_saved_error e;
    lt_error_save(tr, &e);
    if (fresh && hm_get(&ps->patches, site) == pt)
      drop_patch(ps, pt);
    else if (fresh) {
      free(pt->ops);
      free(pt);
    }
    lt_probe_op_free(op);
    lt_error_restore(tr, &e);
    return -1;
  }
  op->id = ps->next_id++;
  if (hm_put(&ps->ops, (uint64_t)op->id, op) < 0) return lt_fail(tr, ENOMEM, "out of memory");
  return op->id;
}

int lt_probe_remove(lt_process *p, int id) {
  lt_probeset *ps = lt_probeset_of(p, false);
  lt_probe *op = ps ? hm_get(&ps->ops, (uint64_t)id) : NULL;
  if (!op) return lt_fail(p->tracer, LT_EMISUSE, "process %d: no probe %d", (int)p->pid, id);
  lt_patch *pt = op->patch;
  if (pt) {
    if (lt_check_all_stopped(p, "remove a probe") < 0) return -1;
    if (sharer_running(p))
      return lt_fail(p->tracer, EBUSY, "process %d: a vfork child sharing the memory is running",
                     (int)p->pid);
    detach_op(pt, op);
    if (op->kind == LT_PROBE_TRAP && op->trap && lt_bp_at(p, op->trap)) lt_remove_breakpoint(p, op->trap);
    if (pt->nops == 0) {
      int rc = lt_patch_unwrite(p, pt);
      for (size_t i = 0; i < ps->ntramps; i++)
        if (ps->tramps[i].addr == pt->tramp) lt_patch_leave_bodies(p, &ps->tramps[i]);
      drop_patch(ps, pt);
      if (rc < 0) return -1;
    } else if (rebuild(p, ps, pt) < 0) {
      pt->ops[pt->nops++] = op; /* still in the trampoline that runs */
      op->patch = pt;
      return -1;
    }
  }
  hm_del(&ps->ops, (uint64_t)id);
  lt_probe_op_free(op);
  return 0;
}

uint64_t lt_probe_trap(lt_process *p, int id) {
  lt_probeset *ps = lt_probeset_of(p, false);
  lt_probe *op = ps ? hm_get(&ps->ops, (uint64_t)id) : NULL;
  return op && op->patch ? op->trap : 0;
}

uint64_t lt_thread_trap_site(const lt_thread *t) {
  return t->state == LT_STOPPED_BREAKPOINT && t->bp && t->bp->report ? t->bp->addr : 0;
}

size_t lt_probe_count(lt_process *p) {
  lt_probeset *ps = lt_probeset_of(p, false);
  size_t n = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; ps && hm_next(&ps->ops, &i, &k, &v);) n += ((lt_probe *)v)->patch != NULL;
  return n;
}

/* ---- the tracer's own evaluation (the trap fallback) --------------------- */

struct lt_probe_expr {
  lt_expr e;
};

lt_probe_expr *lt_probe_expr_new(lt_process *p, uint64_t addr, const char *src) {
  lt_probe_expr *x = calloc(1, sizeof *x);
  if (!x) {
    lt_fail(p->tracer, ENOMEM, "out of memory");
    return NULL;
  }
  if (parse(p, addr, src, &x->e) < 0) {
    free(x);
    return NULL;
  }
  return x;
}

static int read_mem(void *ctx, uint64_t addr, void *buf, size_t len) {
  lt_process *p = ctx;
  lt_saved_error e;
  lt_error_save(p->tracer, &e);
  int rc = lt_read(p, addr, buf, len) == (ssize_t)len ? 0 : -1;
  lt_error_restore(p->tracer, &e);
  return rc;
}

int lt_probe_expr_eval(lt_thread *t, const lt_probe_expr *x, int64_t *v) {
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return -1;
  lt_expr_env env = {&r, arch_pc(&r), t->tid, t->proc->pid, read_mem, t->proc};
  return lt_expr_eval(&x->e, &env, v);
}

void lt_probe_expr_free(lt_probe_expr *x) {
  if (!x) return;
  lt_expr_free(&x->e);
  free(x);
}

/* ---- entry records --------------------------------------------------------- */

/* May a writer still publish into r (a live address space maps it)? */
static bool region_alive(const lt_tracer *tr, const lt_shmem *r) {
  for (const lt_process *q = tr->procs; q; q = q->next)
    if ((q->state == LT_PS_STOPPED || q->state == LT_PS_RUNNING) && q->probes && q->probes->region == r)
      return true;
  return false;
}

size_t lt_ring_drain(lt_process *p, lt_entry *out, size_t max) {
  lt_probeset *ps = lt_probeset_of(p, false);
  if (!ps) return 0;
  size_t n = 0;
  for (size_t i = 0; i < ps->nretired && n < max; i++)
    n += lt_ring_take(ps->retired[i], out + n, max - n, false);
  if (ps->region && n < max)
    n += lt_ring_take(ps->region, out + n, max - n, region_alive(p->tracer, ps->region));
  return n;
}

uint64_t lt_ring_dropped(lt_process *p) {
  lt_probeset *ps = lt_probeset_of(p, false);
  if (!ps) return 0;
  uint64_t n = ps->region ? lt_ring_drops(ps->region) : 0;
  for (size_t i = 0; i < ps->nretired; i++) n += lt_ring_drops(ps->retired[i]);
  return n;
}
