/* tracer.c: the tracer object at the top of the engine: it owns every
 * traced process, frees them (killing spawned ones, letting attached ones
 * go), and is interrupted by the host's signal handler. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

lt_tracer *lt_tracer_new(void) {
  lt_tracer *tr = calloc(1, sizeof *tr);
  if (!tr) return NULL;
  hm_init(&tr->tids);
  const char *dbg = getenv("LUTRA_DEBUG");
  tr->debug = dbg && *dbg && strcmp(dbg, "0") != 0;
  return tr;
}

void lt_tracer_free(lt_tracer *tr) {
  if (!tr) return;
  while (tr->procs) lt_process_free(tr->procs);
  hm_free(&tr->tids);
  free(tr->orphans);
  free(tr);
}

void lt_tracer_interrupt(lt_tracer *tr) { tr->interrupted = 1; }

void lt_tracer_release_all(lt_tracer *tr) {
  for (lt_process *p = tr->procs; p; p = p->next) {
    lt_pstate st = lt_process_state(p);
    if (st != LT_PS_STOPPED && st != LT_PS_RUNNING) continue;
    if (p->spawned)
      lt_kill(p);
    else
      lt_detach(p);
  }
}
