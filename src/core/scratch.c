/* scratch.c: pages in the tracee for out-of-line copies of instructions
 * under breakpoints (and the landing pad of injected calls, the
 * trampolines of probes). A page must
 * lie within reach of a RIP-relative displacement from the code it serves,
 * so lutra finds a free gap near the code in /proc/PID/maps and maps it
 * there by making a stopped thread run an mmap syscall. Pages stay mapped for the life of the process: a thread
 * may sit in a copy at any time, even after detach, and a copy ends with a
 * jump back, so leaving them is safe. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "internal.h"

#define PAGE 4096ULL

/* The free range of `size` bytes nearest to `near` (within reach), from
 * /proc/PID/maps. */
static int find_room(lt_process *p, uint64_t near, uint64_t size, uint64_t *addr) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)lt_process_proc_pid(p));
  FILE *f = fopen(path, "re");
  if (!f) return lt_fail_errno(p->tracer, "open %s", path);
  uint64_t prev_end = 0x10000, best = 0, best_dist = UINT64_MAX;
  for (;;) {
    uint64_t start = ARCH_USER_TOP, end = start;
    bool stack = false, more = fgets(line, sizeof line, f) != NULL;
    if (more) {
      if (sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) != 2) continue;
      stack = strstr(line, "[stack]") != NULL;
    }
    if (!stack && start > prev_end && start - prev_end >= size) {
      /* the part of the gap nearest to `near` */
      uint64_t cand = near < prev_end ? prev_end : start - size;
      uint64_t dist = cand > near ? cand - near : near - cand;
      if (dist < best_dist) {
        best = cand;
        best_dist = dist;
      }
    }
    if (!more) break;
    if (end > prev_end) prev_end = end;
  }
  fclose(f);
  if (!best || best_dist > (uint64_t)ARCH_DISPLACE_REACH / 2)
    return lt_fail(p->tracer, ENOMEM, "process %d: no free page near 0x%" PRIx64, (int)p->pid, near);
  *addr = best;
  return 0;
}

int lt_scratch_slot(lt_thread *t, uint64_t near, uint64_t *slot) {
  return lt_scratch_alloc(t, near, ARCH_SLOT_SIZE, slot);
}

int lt_scratch_alloc(lt_thread *t, uint64_t near, size_t len, uint64_t *addr) {
  lt_process *p = t->proc;
  uint64_t half = (uint64_t)ARCH_DISPLACE_REACH / 2;
  len = (len + 15) & ~(size_t)15;
  for (size_t i = 0; i < p->nscratch; i++) {
    lt_scratch *s = &p->scratch[i];
    uint64_t dist = s->addr > near ? s->addr - near : near - s->addr;
    if (dist < half && s->used + len <= s->size) {
      *addr = s->addr + s->used;
      s->used += len;
      return 0;
    }
  }
  /* Trampolines (probe.c) take more than a page: areas of 4 pages then. */
  uint64_t size = len <= ARCH_SLOT_SIZE ? PAGE : ((len + 4 * PAGE - 1) / (4 * PAGE)) * 4 * PAGE;
  uint64_t room = 0;
  if (find_room(p, near, size, &room) < 0) return -1;
  uint64_t args[6] = {
      room, size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (uint64_t)-1, 0};
  int64_t got = 0;
  if (lt_inject_syscall(t, SYS_mmap, args, &got) < 0) return -1;
  if (lt_syscall_failed(got)) {
    errno = (int)-got;
    return lt_fail_errno(p->tracer, "process %d: mmap of a scratch page at 0x%" PRIx64, (int)p->pid, room);
  }
  lt_scratch *ns = realloc(p->scratch, (p->nscratch + 1) * sizeof *ns);
  if (!ns) return lt_fail(p->tracer, ENOMEM, "out of memory");
  p->scratch = ns;
  p->scratch[p->nscratch].addr = (uint64_t)got;
  p->scratch[p->nscratch].used = len;
  p->scratch[p->nscratch].size = size;
  p->nscratch++;
  *addr = (uint64_t)got;
  return 0;
}
