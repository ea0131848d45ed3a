/* shmem.c: the memory lutra shares with a traced address space: a memfd
 * the tracee created, mapped MAP_SHARED in both (a forked child keeps
 * sharing it, so its calls count with its parent's). It holds the owner
 * word (a robust mutex the tracer locks: the kernel marks it when the
 * tracer dies, however it dies), the slots of counters and histograms,
 * and the ring of entry records (ring.c). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define OWNER_OFF 64 /* the pthread_mutex_t; its futex word comes first (glibc x86_64) */

lt_shmem *lt_shmem_new(lt_tracer *tr, int fd, uint64_t remote) {
  lt_shmem *r = calloc(1, sizeof *r);
  if (!r) {
    lt_fail(tr, ENOMEM, "out of memory");
    return NULL;
  }
  if (ftruncate(fd, LT_SHMEM_SIZE) < 0) {
    lt_fail_errno(tr, "ftruncate of the probes' shared memory");
    free(r);
    return NULL;
  }
  void *m = mmap(NULL, LT_SHMEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    lt_fail_errno(tr, "mmap of the probes' shared memory");
    free(r);
    return NULL;
  }
  r->map = m;
  r->fd = fd;
  r->remote = remote;
  r->refs = 1;
  r->used = LT_SHMEM_SLOTS;
  /* The owner word: locked by this thread for as long as the region
   * lives; on the tracer's death the kernel's robust-futex walk sets
   * FUTEX_OWNER_DIED and clears the owner's tid, which trampolines test
   * before they trap or read memory. */
  pthread_mutexattr_t at;
  pthread_mutex_t *mu = (pthread_mutex_t *)(r->map + OWNER_OFF);
  int err = pthread_mutexattr_init(&at);
  if (!err) err = pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
  if (!err) err = pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
  if (!err) err = pthread_mutex_init(mu, &at);
  pthread_mutexattr_destroy(&at);
  if (!err) err = pthread_mutex_lock(mu);
  if (err) {
    errno = err;
    lt_fail_errno(tr, "the probes' owner word");
    munmap(r->map, LT_SHMEM_SIZE);
    free(r);
    return NULL;
  }
  r->c0 = r->c1 = arch_cycles();
  r->t0 = r->t1 = lt_now();
  return r;
}

void lt_shmem_ref(lt_shmem *r) { r->refs++; }

void lt_shmem_unref(lt_shmem *r) {
  if (!r || --r->refs > 0) return;
  pthread_mutex_t *mu = (pthread_mutex_t *)(r->map + OWNER_OFF);
  pthread_mutex_unlock(mu); /* 0: no tracer, for a trampoline still reached */
  munmap(r->map, LT_SHMEM_SIZE);
  close(r->fd);
  free(r);
}

uint64_t lt_shmem_owner(const lt_shmem *r) { return r->remote + OWNER_OFF; }

uint64_t lt_shmem_ring(lt_shmem *r) {
  arch_ring_header *h = (arch_ring_header *)(r->map + LT_SHMEM_RING);
  if (!r->ring_ready) {
    arch_entry *cells = (arch_entry *)(h + 1);
    for (uint64_t i = 0; i < LT_RING_CELLS; i++) __atomic_store_n(&cells[i].seq, i, __ATOMIC_RELAXED);
    h->mask = LT_RING_CELLS - 1;
    __atomic_store_n(&h->head, 0, __ATOMIC_RELEASE);
    r->ring_ready = true;
  }
  return r->remote + LT_SHMEM_RING;
}

lt_counter *lt_counter_new(lt_tracer *tr, int hist) {
  lt_counter *c = calloc(1, sizeof *c);
  if (!c) {
    lt_fail(tr, ENOMEM, "out of memory");
    return NULL;
  }
  c->nslots = hist ? LT_HIST_SLOTS : 1;
  return c;
}

void lt_counter_free(lt_counter *c) {
  if (!c) return;
  for (size_t i = 0; i < c->nat; i++) lt_shmem_unref(c->at[i].r);
  free(c->at);
  free(c);
}

int lt_counter_slot(lt_tracer *tr, lt_counter *c, lt_shmem *r, uint64_t *remote) {
  for (size_t i = 0; i < c->nat; i++) {
    if (c->at[i].r == r) {
      *remote = r->remote + c->at[i].off;
      return 0;
    }
  }
  /* each on cache lines of its own: counters of different probes do not
   * bounce between CPUs together */
  size_t need = ((size_t)c->nslots * 8 + 63) & ~(size_t)63;
  if (r->used + need > LT_SHMEM_SLOTS_END)
    return lt_fail(tr, LT_ENOINLINE, "no room left for counters in the shared memory");
  void *at = realloc(c->at, (c->nat + 1) * sizeof *c->at);
  if (!at) return lt_fail(tr, ENOMEM, "out of memory");
  c->at = at;
  c->at[c->nat].r = r;
  c->at[c->nat].off = r->used;
  c->nat++;
  lt_shmem_ref(r); /* its values stay readable after the process is gone */
  *remote = r->remote + r->used;
  r->used += need;
  return 0;
}

int lt_counter_slots(const lt_counter *c) { return c->nslots; }

void lt_counter_read(const lt_counter *c, uint64_t *out) {
  memset(out, 0, (size_t)c->nslots * sizeof *out);
  for (size_t i = 0; i < c->nat; i++) {
    const uint64_t *s = (const uint64_t *)(c->at[i].r->map + c->at[i].off);
    for (int k = 0; k < c->nslots; k++) out[k] += __atomic_load_n(&s[k], __ATOMIC_RELAXED);
  }
}
