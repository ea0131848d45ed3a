/* wait.c: the one place lutra waits for its tracees (waitpid with __WALL),
 * the table from tid to thread across processes, and the statuses of tids
 * not known yet (orphans). Decoding a status is decode.c's job. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"

double lt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void lt_count_syscall(lt_tracer *tr, pid_t tid) {
  tr->syscalls++;
  lt_thread *t = tid > 0 ? lt_tracer_thread(tr, tid) : NULL;
  if (t) t->proc->stats.syscalls++;
}

static int wait_fail(lt_tracer *tr, pid_t tid) { return lt_fail_errno(tr, "waitpid(%d)", (int)tid); }

static int wait_flags(lt_tracer *tr, pid_t tid, int *status, double deadline, int flags) {
  if (deadline < 0) {
    for (;;) {
      if (tr->interrupted) {
        tr->interrupted = 0;
        return lt_fail(tr, EINTR, "interrupted");
      }
      pid_t r = waitpid(tid, status, flags);
      lt_count_syscall(tr, r > 0 ? r : tid);
      if (r > 0) return r;
      if (errno != EINTR) return wait_fail(tr, tid);
    }
  }
  /* With a deadline: SIGCHLD stays blocked for the whole loop, so one that
   * arrives between waitpid and sigtimedwait is not lost. */
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, &old) < 0) return lt_fail_errno(tr, "sigprocmask");
  int rc;
  for (;;) {
    if (tr->interrupted) {
      tr->interrupted = 0;
      rc = lt_fail(tr, EINTR, "interrupted");
      break;
    }
    pid_t r = waitpid(tid, status, flags | WNOHANG);
    lt_count_syscall(tr, r > 0 ? r : tid);
    if (r != 0) {
      rc = r > 0 ? r : wait_fail(tr, tid);
      break;
    }
    double left = deadline - lt_now();
    if (left <= 0) {
      rc = 0;
      break;
    }
    struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
    if (sigtimedwait(&chld, NULL, &ts) < 0 && errno != EAGAIN && errno != EINTR) {
      rc = lt_fail_errno(tr, "sigtimedwait");
      break;
    }
  }
  int err = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  errno = err;
  return rc;
}

int lt_wait_event(lt_tracer *tr, pid_t tid, int *status, double deadline) {
  return wait_flags(tr, tid, status, deadline, __WALL);
}

int lt_wait_ready(lt_tracer *tr, pid_t tid, int *status) {
  lt_count_syscall(tr, tid);
  return waitpid(tid, status, __WALL | WNOHANG) == tid;
}

int lt_wait_tid(lt_tracer *tr, pid_t tid, int *status) {
  if (lt_tracer_take_orphan(tr, tid, status)) return tid;
  for (;;) {
    pid_t r = waitpid(tid, status, __WALL);
    if (r > 0) return r;
    if (errno != EINTR) return wait_fail(tr, tid);
  }
}

int lt_wait_child_stop(lt_tracer *tr, pid_t pid, int *status) {
  for (;;) {
    pid_t r = waitpid(pid, status, WUNTRACED);
    if (r > 0) return r;
    if (errno != EINTR) return wait_fail(tr, pid);
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

lt_thread *lt_tracer_thread(lt_tracer *tr, pid_t tid) { return hm_get(&tr->tids, (uint64_t)tid); }

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
    memmove(&tr->orphans[i], &tr->orphans[i + 1], (tr->norphans - i - 1) * sizeof tr->orphans[0]);
    tr->norphans--;
    return 1;
  }
  return 0;
}
