/* process.c: the traced-process object: making and freeing it, its place
 * in the tracer's list, a followed child's copy of its parent, its view of
 * the mapped ELF objects, and its accessors. Tracing it (spawn, attach,
 * detach, kill) is lifecycle.c's job. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* A mapped ELF object lutra cannot read: said once per file, on stderr
 * (the engine's only output: a user must know why a name is unknown). */
static void module_warning(void *ud, const char *msg) {
  lt_process *p = ud;
  fprintf(stderr, "lutra: warning: process %d: %s\n", (int)p->pid, msg);
}

lt_process *lt_process_new(lt_tracer *tr, pid_t pid, bool spawned) {
  lt_process *p = calloc(1, sizeof *p);
  if (!p) {
    lt_fail(tr, ENOMEM, "out of memory");
    return NULL;
  }
  p->tracer = tr;
  p->pid = pid;
  p->spawned = spawned;
  p->state = LT_PS_STOPPED;
  p->memfd = -1;
  hm_init(&p->threads);
  hm_init(&p->breakpoints);
  hm_init(&p->ifuncs);
  lt_modules_init(&p->mods);
  p->mods.warn = module_warning;
  p->mods.warn_ud = p;
  p->next = tr->procs;
  tr->procs = p;
  return p;
}

/* Threads that reported bp (any of p's when NULL) no longer hold it: it is
 * being freed. They may be threads of processes sharing p's memory. */
void lt_process_unlink_bp(lt_process *p, const lt_breakpoint *bp) {
  for (lt_process *q = p->tracer->procs; q; q = q->next) {
    if (q != p && q->mem_owner != p) continue;
    uint64_t k;
    void *v;
    for (size_t i = 0; hm_next(&q->threads, &i, &k, &v);) {
      lt_thread *t = v;
      if (t->bp && (!bp || t->bp == bp)) t->bp = NULL;
    }
  }
}

void lt_process_forget_breakpoints(lt_process *p) {
  if (p->mem_owner) { /* not its table: only its threads let go of them */
    uint64_t k;
    void *v;
    for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) ((lt_thread *)v)->bp = NULL;
    return;
  }
  lt_process_unlink_bp(p, NULL);
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->breakpoints, &i, &k, &v);) free(v);
  hm_free(&p->breakpoints);
}

void lt_process_drop_threads(lt_process *p, lt_state final) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    lt_tracer_del_thread(p->tracer, t);
    t->state = final;
    free(t);
  }
  hm_free(&p->threads);
  p->ndead = 0;
  p->nevents = 0;
}

void lt_process_destroy(lt_process *p) {
  lt_process_unshare(p);
  lt_process_forget_breakpoints(p);
  lt_probeset_free(p->probes);
  lt_process_free_dead(p);
  lt_process_drop_threads(p, LT_EXITED);
  if (p->memfd >= 0) close(p->memfd);
  lt_modules_free(&p->mods);
  hm_free(&p->ifuncs);
  hm_free(&p->semaphores);
  lt_dwarf_close(p->dwarf);
  lt_pin_release(p);
  for (lt_process **pp = &p->tracer->procs; *pp; pp = &(*pp)->next) {
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  }
  free(p->events);
  free(p->dead);
  free(p->scratch);
  free(p->sys_filter);
  free(p->seccomp_set);
  free(p);
}

static void copy_breakpoints(lt_process *to, const lt_process *from) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&from->breakpoints, &i, &k, &v);) {
    lt_breakpoint *bp = malloc(sizeof *bp);
    if (!bp) continue;
    *bp = *(lt_breakpoint *)v;
    if (hm_put(&to->breakpoints, k, bp) < 0) free(bp);
  }
}

/* The child is stopped at its first stop. A forked child's memory is a
 * copy (the int3 bytes and the out-of-line copies are there): so is its
 * breakpoint table. A vfork or CLONE_VM child's memory is the parent's:
 * it looks its breakpoints up in the parent's table. */
lt_process *lt_process_adopt(lt_process *parent, pid_t child, bool shares) {
  lt_tracer *tr = parent->tracer;
  lt_process *c = lt_process_new(tr, child, parent->spawned);
  if (!c) return NULL;
  c->follow_fork = parent->follow_fork;
  c->shares_memory = shares;
  c->trace_syscalls = false;
  if (parent->seccomp) { /* the filter is inherited */
    c->seccomp_set = malloc(LT_NSYSCALLS / 8);
    if (c->seccomp_set) {
      memcpy(c->seccomp_set, parent->seccomp_set, LT_NSYSCALLS / 8);
      c->seccomp = true;
    }
  }
  if (!lt_thread_new(c, child, LT_STOPPED) || (c->memfd = lt_mem_open(tr, child)) < 0) {
    lt_process_destroy(c); /* nothing to kill or detach from us */
    return NULL;
  }
  if (shares)
    c->mem_owner = lt_process_mem_owner(parent);
  else
    copy_breakpoints(c, parent);
  if (!shares) lt_probeset_fork(c, parent); /* its copy of the jumps, the shared region */
  if (parent->nscratch) {
    c->scratch = malloc(parent->nscratch * sizeof *c->scratch);
    if (c->scratch) {
      memcpy(c->scratch, parent->scratch, parent->nscratch * sizeof *c->scratch);
      c->nscratch = parent->nscratch;
    }
  }
  if (parent->pinned) lt_pin_hold(c, tr->pin_cpu);
  return c;
}

void lt_process_unshare(lt_process *p) {
  lt_process *heir = NULL;
  for (lt_process *q = p->tracer->procs; q; q = q->next) {
    if (q->mem_owner != p) continue;
    if (!heir) { /* the memory is the first sharer's now */
      heir = q;
      q->mem_owner = NULL;
      q->shares_memory = false;
      copy_breakpoints(q, p);
      q->probes = p->probes; /* the jumps are in the memory it keeps */
      p->probes = NULL;
    } else {
      q->mem_owner = heir;
    }
  }
}

size_t lt_process_live_threads(const lt_process *p) {
  size_t n = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);)
    if (((lt_thread *)v)->state != LT_EXITED) n++;
  return n;
}

/* Is another thread of p than t running, or on its way to a stop? */
bool lt_process_others_running(const lt_process *p, const lt_thread *t) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    const lt_thread *o = v;
    if (o != t && lt_state_is_running(o->state)) return true;
  }
  return false;
}

/* A zombie leader (it called pthread_exit) has no memory: its
 * /proc/PID/maps is empty and /proc/PID/exe unreadable. A live thread's
 * /proc/TID shows the process's. */
pid_t lt_process_proc_pid(const lt_process *p) {
  const lt_thread *leader = hm_get(&p->threads, (uint64_t)p->pid);
  if (leader && leader->state != LT_EXITING && leader->state != LT_EXITED) return p->pid;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    const lt_thread *t = v;
    if (t->tid != p->pid && t->state != LT_EXITING && t->state != LT_EXITED) return t->tid;
  }
  return p->pid;
}

const lt_modules *lt_process_modules(lt_process *p) {
  if (p->state == LT_PS_EXITED || p->state == LT_PS_DETACHED) return &p->mods;
  if (p->mods_stamp != p->stats.stops + 1) {
    char err[256];
    if (lt_modules_refresh(&p->mods, lt_process_proc_pid(p), err, sizeof err) == 0)
      p->mods_stamp = p->stats.stops + 1;
  }
  return &p->mods;
}

/* The hot path (a pc to its module, at every stop of a return probe or a
 * Go frame key): the list as last read serves, and /proc/PID/maps is read
 * again only when the address is in none of its modules and the process
 * has stopped since. */
const lt_module *lt_process_module_at(lt_process *p, uint64_t addr) {
  const lt_module *md = p->mods_stamp ? lt_modules_at(&p->mods, addr) : NULL;
  return md ? md : lt_modules_at(lt_process_modules(p), addr);
}

lt_process *lt_tracer_process(lt_tracer *tr, pid_t pid) {
  for (lt_process *p = tr->procs; p; p = p->next)
    if (p->pid == pid) return p;
  return NULL;
}

void lt_process_set_follow_fork(lt_process *p, int on) { p->follow_fork = on != 0; }
lt_tracer *lt_process_tracer(const lt_process *p) { return p->tracer; }
pid_t lt_process_pid(const lt_process *p) { return p->pid; }
lt_pstate lt_process_state(const lt_process *p) { return p->state; }
int lt_process_spawned(const lt_process *p) { return p->spawned; }
int lt_process_must_follow(const lt_process *p) { return p->must_follow; }
const lt_stats *lt_process_stats(const lt_process *p) { return &p->stats; }

int lt_process_exit(const lt_process *p, int *code, int *signo) {
  *code = p->exit_code;
  *signo = p->exit_signal;
  return p->exited_normally;
}

static int by_tid(const void *a, const void *b) {
  pid_t x = (*(lt_thread *const *)a)->tid, y = (*(lt_thread *const *)b)->tid;
  return (x > y) - (x < y);
}

size_t lt_process_threads(const lt_process *p, lt_thread **out, size_t max) {
  size_t n = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (t->state == LT_EXITING || t->state == LT_EXITED || t->state == LT_DETACHED) continue;
    if (n < max) out[n] = t;
    n++;
  }
  qsort(out, n < max ? n : max, sizeof *out, by_tid);
  return n;
}

size_t lt_process_nthreads(const lt_process *p) { return p->threads.len; }

lt_thread *lt_process_thread(const lt_process *p, pid_t tid) { return hm_get(&p->threads, (uint64_t)tid); }
