/* ring.c: entry records out of a region's ring, in the order the calls
 * reserved their cells (arch.h: Vyukov's bounded queue; the trampolines
 * produce, the tracer alone consumes), their cycle stamps turned into
 * lt_now()'s seconds. The program never waits for the tracer: a full
 * ring drops the record and counts it. */
#include <string.h>

#include "internal.h"

/* Cycles to seconds, by the rate measured between the region's birth and
 * the latest drain (the TSC is constant on the machines lutra runs on). */
static double seconds(const lt_shmem *r, uint64_t cycles) {
  double span = (double)(r->c1 - r->c0);
  if (span <= 0 || r->t1 <= r->t0) return r->t0;
  return r->t0 + ((double)cycles - (double)r->c0) * (r->t1 - r->t0) / span;
}

size_t lt_ring_take(lt_shmem *r, lt_entry *out, size_t max, bool alive) {
  if (!r->ring_ready) return 0;
  arch_ring_header *h = (arch_ring_header *)(r->map + LT_SHMEM_RING);
  arch_entry *cells = (arch_entry *)(h + 1);
  uint64_t mask = h->mask;
  double now = lt_now();
  if (now - r->t1 > 0.001) {
    r->c1 = arch_cycles();
    r->t1 = now;
  }
  size_t n = 0;
  while (n < max) {
    arch_entry *e = &cells[r->tail & mask];
    uint64_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
    if (seq == r->tail + 1) {
      lt_entry *o = &out[n++];
      o->time = seconds(r, e->cycles);
      o->tid = (pid_t)e->tid;
      o->tag = e->tag;
      o->ret = e->ret;
      memcpy(o->args, e->args, sizeof o->args);
      __atomic_store_n(&e->seq, r->tail + mask + 1, __ATOMIC_RELEASE);
      r->tail++;
      continue;
    }
    /* Nothing published here: the ring is empty, or a writer is between
     * its reservation and its publication (wait for it while it may
     * still come). */
    if (__atomic_load_n(&h->head, __ATOMIC_ACQUIRE) == r->tail || alive) break;
    r->lost++;
    r->tail++;
  }
  return n;
}

uint64_t lt_ring_drops(const lt_shmem *r) {
  if (!r->ring_ready) return 0;
  const arch_ring_header *h = (const arch_ring_header *)(r->map + LT_SHMEM_RING);
  return __atomic_load_n(&h->drops, __ATOMIC_RELAXED) + r->lost;
}
