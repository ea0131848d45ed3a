/* patch.c: the probes of one address space as data: the jumps written
 * over code and the instructions they displaced, the trampolines, the
 * loads that may fault, the vfork exclusions; and what the rest of the
 * engine asks of them (reads that show the program's bytes, detach, a
 * forked child let go, an exec, a followed fork, a faulting load). How a
 * jump is placed is probe.c's job. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static lt_process *owner_of(const lt_process *p) { return p->mem_owner ? p->mem_owner : (lt_process *)p; }

lt_probeset *lt_probeset_of(lt_process *p, bool make) {
  p = owner_of(p);
  if (p->probes || !make) return p->probes;
  lt_probeset *ps = calloc(1, sizeof *ps);
  if (!ps) {
    lt_fail(p->tracer, ENOMEM, "out of memory");
    return NULL;
  }
  hm_init(&ps->patches);
  hm_init(&ps->bytes);
  hm_init(&ps->guards);
  hm_init(&ps->ops);
  ps->glibc_tid = -1;
  ps->next_id = 1;
  for (int i = 0; i < ARCH_PRIV_SLOTS; i++) ps->priv_fs[i] = 1; /* never a TLS base */
  p->probes = ps;
  return ps;
}

void lt_probe_op_free(lt_probe *op) {
  lt_expr_free(&op->cond);
  lt_expr_free(&op->value);
  free(op);
}

/* The address-space part: jumps, trampolines, loads; the probes stay. */
static void drop_space(lt_probeset *ps) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&ps->patches, &i, &k, &v);) {
    lt_patch *pt = v;
    for (size_t j = 0; j < pt->nops; j++) pt->ops[j]->patch = NULL;
    free(pt->ops);
    free(pt);
  }
  hm_free(&ps->patches);
  hm_free(&ps->bytes);
  hm_free(&ps->guards);
  free(ps->tramps);
  ps->tramps = NULL;
  ps->ntramps = 0;
  ps->priv = 0;
  ps->vfork_children = ps->vfork_overflow = 0;
  for (int i = 0; i < ARCH_PRIV_SLOTS; i++) ps->priv_fs[i] = 1;
  ps->glibc_tid = -1;
}

void lt_probeset_free(lt_probeset *ps) {
  if (!ps) return;
  drop_space(ps);
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&ps->ops, &i, &k, &v);) lt_probe_op_free(v);
  hm_free(&ps->ops);
  lt_shmem_unref(ps->region);
  for (size_t i = 0; i < ps->nretired; i++) lt_shmem_unref(ps->retired[i]);
  free(ps->retired);
  free(ps);
}

void lt_probeset_exec(lt_process *p) {
  lt_probeset *ps = p->probes;
  if (!ps) return;
  drop_space(ps);
  if (ps->region) {
    lt_shmem **r = realloc(ps->retired, (ps->nretired + 1) * sizeof *r);
    if (r) {
      ps->retired = r;
      ps->retired[ps->nretired++] = ps->region;
    } else {
      lt_shmem_unref(ps->region);
    }
    ps->region = NULL;
  }
}

static int copy_expr(lt_expr *to, const lt_expr *from) {
  *to = *from;
  to->ops = NULL;
  if (!from->n) return 0;
  to->ops = malloc(from->n * sizeof *to->ops);
  if (!to->ops) return -1;
  memcpy(to->ops, from->ops, from->n * sizeof *to->ops);
  return 0;
}

int lt_probeset_fork(lt_process *child, lt_process *parent) {
  lt_probeset *from = owner_of(parent)->probes;
  if (!from) return 0;
  lt_probeset *ps = lt_probeset_of(child, true);
  if (!ps) return -1;
  ps->region = from->region;
  if (ps->region) lt_shmem_ref(ps->region);
  ps->priv = from->priv;
  memcpy(ps->priv_fs, from->priv_fs, sizeof ps->priv_fs);
  ps->glibc_tid = from->glibc_tid;
  ps->next_id = from->next_id;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&from->ops, &i, &k, &v);) {
    const lt_probe *o = v;
    lt_probe *c = malloc(sizeof *c);
    if (!c) return lt_fail(child->tracer, ENOMEM, "out of memory");
    *c = *o;
    c->patch = NULL;
    if (copy_expr(&c->cond, &o->cond) < 0 || copy_expr(&c->value, &o->value) < 0 ||
        hm_put(&ps->ops, k, c) < 0) {
      lt_probe_op_free(c);
      return lt_fail(child->tracer, ENOMEM, "out of memory");
    }
  }
  for (size_t i = 0; hm_next(&from->patches, &i, &k, &v);) {
    const lt_patch *o = v;
    lt_patch *c = malloc(sizeof *c);
    if (!c) return lt_fail(child->tracer, ENOMEM, "out of memory");
    *c = *o;
    c->ops = calloc(o->nops ? o->nops : 1, sizeof *c->ops);
    if (!c->ops || hm_put(&ps->patches, k, c) < 0) {
      free(c->ops);
      free(c);
      return lt_fail(child->tracer, ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < o->nops; j++) {
      c->ops[j] = hm_get(&ps->ops, (uint64_t)o->ops[j]->id);
      if (c->ops[j]) c->ops[j]->patch = c;
    }
    for (uint8_t b = 0; b < c->reloc.len; b++) hm_put(&ps->bytes, c->site + b, c);
  }
  for (size_t i = 0; hm_next(&from->guards, &i, &k, &v);) hm_put(&ps->guards, k, v);
  if (from->ntramps) {
    ps->tramps = malloc(from->ntramps * sizeof *ps->tramps);
    if (!ps->tramps) return lt_fail(child->tracer, ENOMEM, "out of memory");
    memcpy(ps->tramps, from->tramps, from->ntramps * sizeof *ps->tramps);
    ps->ntramps = from->ntramps;
  }
  return 0;
}

lt_patch *lt_patch_at(const lt_process *p, uint64_t addr, size_t len) {
  const lt_probeset *ps = owner_of(p)->probes;
  if (!ps || !ps->bytes.len) return NULL;
  for (size_t i = 0; i < len; i++) {
    lt_patch *pt = hm_get(&ps->bytes, addr + i);
    if (pt && pt->written) return pt;
  }
  return NULL;
}

void lt_patch_shadow(const lt_process *p, uint64_t addr, uint8_t *buf, size_t len) {
  const lt_probeset *ps = owner_of(p)->probes;
  if (!ps || !ps->patches.len) return;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&ps->patches, &i, &k, &v);) {
    const lt_patch *pt = v;
    if (!pt->written) continue;
    for (uint8_t b = 0; b < ARCH_JUMP_LEN; b++) {
      uint64_t a = pt->site + b;
      if (a >= addr && a - addr < len) buf[a - addr] = pt->reloc.orig[b];
    }
  }
}

void lt_patch_leave_bodies(lt_process *p, const lt_tramp *only) {
  lt_probeset *ps = owner_of(p)->probes;
  if (!ps) return;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (!lt_state_is_stopped(t->state) || t->state == LT_STOPPED_EXITING || lt_thread_load_regs(t) < 0)
      continue;
    for (size_t j = 0; j < ps->ntramps; j++) {
      const lt_tramp *tr = only ? only : &ps->tramps[j];
      if (arch_tramp_leave(&tr->lay, tr->addr, &t->regs)) {
        t->regs_dirty = true;
        break;
      }
      if (only) break;
    }
  }
}

int lt_patch_unwrite(lt_process *p, lt_patch *pt) {
  if (!pt->written) return 0;
  /* Only over our own jump: a library unloaded since (dlclose) may have
   * left the place to something else, which must not get its bytes. */
  uint8_t now[ARCH_JUMP_LEN], ours[ARCH_JUMP_LEN];
  if (arch_jump(pt->site, pt->tramp, ours) < 0 ||
      lt_mem_read_raw(p, pt->site, now, sizeof now) != (ssize_t)sizeof now ||
      memcmp(now, ours, sizeof now) != 0) {
    pt->written = false;
    return 0;
  }
  if (lt_mem_write_raw(p, pt->site, pt->reloc.orig, ARCH_JUMP_LEN) != ARCH_JUMP_LEN)
    return lt_fail_errno(p->tracer, "process %d: cannot restore the bytes of a probe at 0x%llx", (int)p->pid,
                         (unsigned long long)pt->site);
  pt->written = false;
  return 0;
}

int lt_patch_restore_all(lt_process *p) {
  if (p->shares_memory) return 0; /* its vfork parent's */
  lt_probeset *ps = p->probes;
  if (!ps) return 0;
  int rc = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&ps->patches, &i, &k, &v);)
    if (lt_patch_unwrite(p, v) < 0) rc = -1;
  /* No tracer will move a faulting load on once lutra has gone. */
  lt_patch_leave_bodies(p, NULL);
  return rc;
}

void lt_patch_restore_fd(lt_process *p, int fd) {
  lt_probeset *ps = owner_of(p)->probes;
  if (!ps) return;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&ps->patches, &i, &k, &v);) {
    const lt_patch *pt = v;
    if (pt->written) lt_mem_write_fd(fd, pt->site, pt->reloc.orig, ARCH_JUMP_LEN);
  }
}

bool lt_patch_fault(lt_thread *t, int sig) {
  if (sig != SIGSEGV && sig != SIGBUS) return false;
  lt_probeset *ps = owner_of(t->proc)->probes;
  if (!ps || !ps->guards.len || lt_thread_load_regs(t) < 0) return false;
  uint64_t to = (uint64_t)(uintptr_t)hm_get(&ps->guards, arch_pc(&t->regs));
  if (!to) return false;
  arch_set_pc(&t->regs, to);
  t->regs_dirty = true;
  return true;
}

/* The private page's words, as the trampolines read them. */
static void write_private(lt_process *p, lt_probeset *ps, uint8_t mode) {
  uint8_t page[8 + 8 * ARCH_PRIV_SLOTS];
  memset(page, 0, sizeof page);
  page[0] = mode;
  memcpy(page + 8, ps->priv_fs, sizeof ps->priv_fs);
  lt_mem_write_raw(p, ps->priv, page, sizeof page);
}

void lt_patch_vfork(lt_thread *t, bool begin) {
  lt_process *p = owner_of(t->proc);
  lt_probeset *ps = p->probes;
  if (!ps || !ps->priv || begin == t->vfork_excluded || lt_thread_load_regs(t) < 0) return;
  uint64_t fs = arch_tls_base(&t->regs);
  int slot = -1;
  for (int i = 0; i < ARCH_PRIV_SLOTS && slot < 0; i++)
    if (ps->priv_fs[i] == (begin ? 1 : fs)) slot = i;
  t->vfork_excluded = begin;
  if (begin) {
    ps->vfork_children++;
    if (slot >= 0)
      ps->priv_fs[slot] = fs;
    else
      ps->vfork_overflow++;
  } else {
    ps->vfork_children--;
    if (slot >= 0)
      ps->priv_fs[slot] = 1;
    else if (ps->vfork_overflow > 0)
      ps->vfork_overflow--;
  }
  /* Without rdfsbase, or with more children than slots, every thread
   * skips while a child lives (the parent's calls meanwhile are missed). */
  uint8_t mode = 0;
  if (ps->vfork_children > 0) mode = ps->vfork_overflow == 0 && arch_can_read_tls_base() ? 1 : 2;
  write_private(p, ps, mode);
}
