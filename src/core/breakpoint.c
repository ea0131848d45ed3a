/* breakpoint.c: the physical int3 at one address of one process:
 * inserting and restoring its byte, and the process's memory as the
 * program sees it (reads show its own bytes, writes over a breakpoint keep
 * it). How a thread gets past one is stepover.c's job. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

lt_breakpoint *lt_bp_at(const lt_process *p, uint64_t addr) {
  return hm_get(&lt_process_mem_owner(p)->breakpoints, addr);
}

int lt_has_breakpoint(const lt_process *p, uint64_t addr) { return lt_bp_at(p, addr) != NULL; }

int lt_bp_insert(lt_process *p, lt_breakpoint *bp) {
  if (bp->inserted) return 0;
  uint8_t int3 = ARCH_BREAKPOINT_BYTE;
  if (lt_mem_read_raw(p, bp->addr, &bp->orig, 1) != 1 || lt_mem_write_raw(p, bp->addr, &int3, 1) != 1) {
    int err = errno == EIO || errno == EFAULT ? EFAULT : errno;
    return lt_fail(p->tracer, err, "process %d: cannot set breakpoint at 0x%llx: %s", (int)p->pid,
                   (unsigned long long)bp->addr, err == EFAULT ? "address not mapped" : strerror(err));
  }
  bp->inserted = true;
  return 0;
}

/* Threads that hit bp and whose kernel pc is past it (pc_ahead) must go on
 * from the cache's pc once its bytes are the program's again. */
static void rewind_threads(lt_process *p, const lt_breakpoint *bp) {
  for (lt_process *q = p->tracer->procs; q; q = q->next) {
    if (lt_process_mem_owner(q) != lt_process_mem_owner(p)) continue;
    uint64_t k;
    void *v;
    for (size_t i = 0; hm_next(&q->threads, &i, &k, &v);) {
      lt_thread *t = v;
      if (t->bp == bp && t->pc_ahead) t->regs_dirty = true;
    }
  }
}

int lt_bp_restore(lt_process *p, lt_breakpoint *bp) {
  if (!bp->inserted) return 0;
  rewind_threads(p, bp);
  if (lt_mem_write_raw(p, bp->addr, &bp->orig, 1) != 1)
    return lt_fail_errno(p->tracer, "process %d: cannot remove breakpoint at 0x%llx", (int)p->pid,
                         (unsigned long long)bp->addr);
  bp->inserted = false;
  return 0;
}

int lt_bp_restore_all(lt_process *p) {
  int rc = 0;
  if (p->shares_memory) return 0; /* they are its vfork parent's */
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->breakpoints, &i, &k, &v);)
    if (lt_bp_restore(p, v) < 0) rc = -1;
  return rc;
}

void lt_bp_shadow(const lt_process *p, uint64_t addr, uint8_t *buf, size_t len) {
  p = lt_process_mem_owner(p);
  if (p->breakpoints.len == 0) return;
  if (len <= p->breakpoints.len * 4) {
    for (size_t i = 0; i < len; i++) {
      lt_breakpoint *bp = lt_bp_at(p, addr + i);
      if (bp && bp->inserted) buf[i] = bp->orig;
    }
    return;
  }
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->breakpoints, &i, &k, &v);) {
    lt_breakpoint *bp = v;
    if (bp->inserted && k >= addr && k - addr < len) buf[k - addr] = bp->orig;
  }
}

int lt_check_all_stopped(lt_process *p, const char *what) {
  if (p->state == LT_PS_EXITED || p->state == LT_PS_DETACHED)
    return lt_fail(p->tracer, LT_EMISUSE, "process %d: cannot %s: process %s", (int)p->pid, what,
                   p->state == LT_PS_EXITED ? "exited" : "detached");
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (lt_state_is_running(t->state) && !lt_thread_parked(t)) return lt_misuse_state(t, what);
  }
  return 0;
}

/* An int3 goes into code only: never into data, whatever a symbol says. */
static int check_code(lt_process *p, uint64_t addr) {
  const lt_region *r = lt_modules_region(lt_process_modules(p), addr);
  /* Unmapped memory is the writer's to report (EFAULT, "not mapped"). */
  if (!r || r->perms[2] == 'x') return 0;
  return lt_fail(p->tracer, LT_ENOTCODE,
                 "process %d: cannot set breakpoint at 0x%llx: it is data, not code (%s mapping of %s)",
                 (int)p->pid, (unsigned long long)addr, r->perms,
                 r->path && *r->path ? r->path : "anonymous memory");
}

/* What is mapped at addr, as a number: a hash of the mapping's file name
 * (" (deleted)" left out: a file replaced on disk is still the object
 * mapped), 1 for anonymous memory, 0 when nothing is mapped there. */
static uint64_t mapping_id(lt_process *p, uint64_t addr) {
  const lt_region *r = lt_modules_region(lt_process_modules(lt_process_mem_owner(p)), addr);
  if (!r) return 0;
  if (!r->path) return 1;
  size_t len = strlen(r->path);
  static const char deleted[] = " (deleted)";
  if (len > sizeof deleted - 1 && strcmp(r->path + len - (sizeof deleted - 1), deleted) == 0)
    len -= sizeof deleted - 1;
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)r->path[i]) * 1099511628211ULL;
  return h < 2 ? h + 2 : h;
}

size_t lt_forget_unmapped(lt_process *p, uint64_t **out) {
  lt_process *owner = lt_process_mem_owner(p);
  if (out) *out = NULL;
  if (owner->breakpoints.len == 0) return 0;
  uint64_t *addrs = out ? malloc(owner->breakpoints.len * sizeof *addrs) : NULL;
  size_t n = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&owner->breakpoints, &i, &k, &v);) {
    lt_breakpoint *bp = v;
    if (mapping_id(p, bp->addr) == bp->map_id) continue;
    if (addrs) addrs[n] = bp->addr;
    n++;
    hm_del(&owner->breakpoints, k);
    lt_process_unlink_bp(owner, bp);
    free(bp);
  }
  if (out) *out = addrs;
  return n;
}

int lt_add_breakpoint(lt_process *p, uint64_t addr) {
  if (lt_check_all_stopped(p, "add breakpoint") < 0) return -1;
  if (lt_bp_at(p, addr))
    return lt_fail(p->tracer, LT_EMISUSE, "breakpoint already exists at PC 0x%llx", (unsigned long long)addr);
  if (check_code(p, addr) < 0) return -1; /* never an int3 into data */
  if (lt_patch_at(p, addr, 1))
    return lt_fail(p->tracer, EBUSY, "cannot set breakpoint at 0x%llx: a probe's jump is there",
                   (unsigned long long)addr);
  lt_breakpoint *bp = calloc(1, sizeof *bp);
  if (!bp) return lt_fail(p->tracer, ENOMEM, "out of memory");
  bp->addr = addr;
  bp->map_id = mapping_id(p, addr);
  if (lt_bp_insert(p, bp) < 0 || hm_put(&lt_process_mem_owner(p)->breakpoints, addr, bp) < 0) {
    lt_bp_restore(p, bp);
    free(bp);
    return -1;
  }
  return 0;
}

int lt_remove_breakpoint(lt_process *p, uint64_t addr) {
  if (lt_check_all_stopped(p, "remove breakpoint") < 0) return -1;
  lt_breakpoint *bp = lt_bp_at(p, addr);
  if (!bp) return lt_fail(p->tracer, LT_EMISUSE, "no breakpoint at PC 0x%llx", (unsigned long long)addr);
  int rc = lt_bp_restore(p, bp);
  lt_process *owner = lt_process_mem_owner(p);
  hm_del(&owner->breakpoints, addr);
  lt_process_unlink_bp(owner, bp);
  free(bp);
  return rc;
}

static int check_alive(lt_process *p) {
  if (p->state == LT_PS_EXITED) return lt_fail(p->tracer, ESRCH, "process %d has exited", (int)p->pid);
  if (p->state == LT_PS_DETACHED) return lt_fail(p->tracer, ESRCH, "process %d is detached", (int)p->pid);
  return 0;
}

ssize_t lt_read(lt_process *p, uint64_t addr, void *buf, size_t len) {
  if (check_alive(p) < 0) return -1;
  if (len == 0) return 0;
  ssize_t n = lt_mem_read_raw(p, addr, buf, len);
  if (n > 0) lt_bp_shadow(p, addr, buf, (size_t)n);
  if (n > 0) lt_patch_shadow(p, addr, buf, (size_t)n); /* and under probes' jumps */
  if (n < (ssize_t)len)
    lt_mem_fail(p, "read", n > 0 ? addr + (uint64_t)n : addr, len - (n > 0 ? (size_t)n : 0));
  return n;
}

ssize_t lt_write(lt_process *p, uint64_t addr, const void *buf, size_t len) {
  if (check_alive(p) < 0) return -1;
  if (len == 0) return 0;
  if (lt_patch_at(p, addr, len))
    return lt_fail(p->tracer, EBUSY,
                   "process %d: cannot write at 0x%llx: a probe's jump is there (remove the probe first)",
                   (int)p->pid, (unsigned long long)addr);
  uint8_t *copy = malloc(len);
  if (!copy) return lt_fail(p->tracer, ENOMEM, "out of memory");
  memcpy(copy, buf, len);
  /* A breakpoint under the write stays: its saved byte takes the new value. */
  if (lt_process_mem_owner(p)->breakpoints.len) {
    for (size_t i = 0; i < len; i++) {
      lt_breakpoint *bp = lt_bp_at(p, addr + i);
      if (bp && bp->inserted) {
        bp->orig = copy[i];
        bp->planned = false; /* the instruction changed: decode it again */
        bp->slot_ready = false;
        copy[i] = ARCH_BREAKPOINT_BYTE;
      }
    }
  }
  ssize_t n = lt_mem_write_raw(p, addr, copy, len);
  free(copy);
  if (n < (ssize_t)len)
    lt_mem_fail(p, "write", n > 0 ? addr + (uint64_t)n : addr, len - (n > 0 ? (size_t)n : 0));
  return n;
}

/* The seed's Peek and Poke: the same, for a stopped thread. */
int lt_thread_peek(lt_thread *t, uint64_t addr, void *buf, size_t len, size_t *done) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "peek text");
  ssize_t n = lt_read(t->proc, addr, buf, len);
  *done = n < 0 ? 0 : (size_t)n;
  return (size_t)*done == len ? 0 : -1;
}

int lt_thread_poke(lt_thread *t, uint64_t addr, const void *buf, size_t len, size_t *done) {
  if (!lt_state_is_stopped(t->state)) return lt_misuse_state(t, "poke text");
  ssize_t n = lt_write(t->proc, addr, buf, len);
  *done = n < 0 ? 0 : (size_t)n;
  return (size_t)*done == len ? 0 : -1;
}
