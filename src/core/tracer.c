/* tracer.c: the tracer object, owner of every traced process, of the table
 * from tid to thread across them, and of stops not yet claimed. */
#include <errno.h>
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
    if (p->spawned) lt_kill(p);
    else lt_detach(p);
  }
}

int lt_tracer_add_thread(lt_tracer *tr, lt_thread *t) {
  if (hm_put(&tr->tids, (uint64_t)t->tid, t) < 0)
    return lt_fail(tr, ENOMEM, "thread %d: out of memory", (int)t->tid);
  return 0;
}

void lt_tracer_del_thread(lt_tracer *tr, lt_thread *t) {
  if (hm_get(&tr->tids, (uint64_t)t->tid) == t) hm_del(&tr->tids, (uint64_t)t->tid);
}

lt_thread *lt_tracer_thread(lt_tracer *tr, pid_t tid) {
  return hm_get(&tr->tids, (uint64_t)tid);
}

int lt_tracer_add_orphan(lt_tracer *tr, pid_t tid, int status) {
  if (tr->norphans == tr->caporphans) {
    size_t cap = tr->caporphans ? tr->caporphans * 2 : 8;
    lt_orphan *o = realloc(tr->orphans, cap * sizeof *o);
    if (!o) return lt_fail(tr, ENOMEM, "out of memory");
    tr->orphans = o;
    tr->caporphans = cap;
  }
  tr->orphans[tr->norphans].tid = tid;
  tr->orphans[tr->norphans].status = status;
  tr->norphans++;
  return 0;
}

int lt_tracer_take_orphan(lt_tracer *tr, pid_t tid, int *status) {
  for (size_t i = 0; i < tr->norphans; i++) {
    if (tr->orphans[i].tid != tid) continue;
    *status = tr->orphans[i].status;
    memmove(&tr->orphans[i], &tr->orphans[i + 1],
            (tr->norphans - i - 1) * sizeof tr->orphans[0]);
    tr->norphans--;
    return 1;
  }
  return 0;
}

void lt_tracer_link(lt_tracer *tr, lt_process *p) {
  p->next = tr->procs;
  tr->procs = p;
}

void lt_tracer_unlink(lt_tracer *tr, lt_process *p) {
  for (lt_process **pp = &tr->procs; *pp; pp = &(*pp)->next) {
    if (*pp == p) {
      *pp = p->next;
      return;
    }
  }
}
