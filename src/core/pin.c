/* pin.c: running the tracer and its tracees on one CPU. Every ptrace stop
 * wakes the other side; on one CPU that is a context switch, across CPUs
 * an inter-processor wake-up several times dearer (bench/: 5-7x fewer
 * hits/s). The tracee is pinned before exec (its threads inherit it); the
 * tracer pins itself while it holds a pinned tracee and gets its own
 * affinity back when the last one goes. */
#include <sched.h>

#include "internal.h"

/* The CPU to share: the one already shared, else where the tracer runs. */
int lt_pin_choose(lt_tracer *tr) {
  if (tr->pin_refs > 0) return tr->pin_cpu;
  int cpu = sched_getcpu();
  return cpu < 0 ? 0 : cpu;
}

/* `cpu` is the one the tracee was pinned to (chosen once: the tracer may
 * have moved since). */
void lt_pin_hold(lt_process *p, int cpu) {
  lt_tracer *tr = p->tracer;
  if (p->pinned) return;
  if (tr->pin_refs == 0) {
    if (sched_getaffinity(0, sizeof tr->pin_saved, &tr->pin_saved) < 0) return;
    tr->pin_cpu = cpu;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(tr->pin_cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) < 0) return; /* not fatal: just slower */
  }
  tr->pin_refs++;
  p->pinned = true;
}

void lt_pin_release(lt_process *p) {
  lt_tracer *tr = p->tracer;
  if (!p->pinned) return;
  p->pinned = false;
  if (--tr->pin_refs == 0) sched_setaffinity(0, sizeof tr->pin_saved, &tr->pin_saved);
}
