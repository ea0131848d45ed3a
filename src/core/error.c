/* error.c: the tracer's one-line error: setting it (with errno kept),
 * reading it, naming its code, and keeping it across a call whose failure
 * is not the caller's. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int lt_fail(lt_tracer *tr, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tr->errmsg, sizeof tr->errmsg, fmt, ap);
  va_end(ap);
  tr->errcode = code;
  return -1;
}

/* Formats the message, then appends ": strerror(errno)"; errno is kept. */
int lt_fail_errno(lt_tracer *tr, const char *fmt, ...) {
  int err = errno;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tr->errmsg, sizeof tr->errmsg, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof tr->errmsg)
    snprintf(tr->errmsg + n, sizeof tr->errmsg - (size_t)n, ": %s", strerror(err));
  tr->errcode = err;
  errno = err;
  return -1;
}

int lt_misuse_state(lt_thread *t, const char *what) {
  return lt_fail(t->proc->tracer, LT_EMISUSE, "thread %d: cannot %s in state %s", (int)t->tid, what,
                 lt_state_name(t->state));
}

void lt_error_save(const lt_tracer *tr, lt_saved_error *e) {
  memcpy(e->msg, tr->errmsg, sizeof e->msg);
  e->code = tr->errcode;
}

void lt_error_restore(lt_tracer *tr, const lt_saved_error *e) {
  memcpy(tr->errmsg, e->msg, sizeof tr->errmsg);
  tr->errcode = e->code;
}

const char *lt_errmsg(const lt_tracer *tr) { return tr->errmsg; }
int lt_errcode(const lt_tracer *tr) { return tr->errcode; }

const char *lt_errname(int code) {
  switch (code) {
  case LT_ENOSYM: return "ENOSYM";
  case LT_EBADELF: return "EBADELF";
  case LT_ETIMEOUT: return "ETIMEOUT";
  case LT_EEXITED: return "EEXITED";
  case LT_EMISUSE: return "EMISUSE";
  case LT_ENOTCODE: return "ENOTCODE";
  case LT_ENOTGO: return "ENOTGO";
  case LT_ENOTUSDT: return "ENOTUSDT";
  case LT_ENODWARF: return "ENODWARF";
  case LT_EOPTIMIZED: return "EOPTIMIZED";
  case LT_ENOINLINE: return "ENOINLINE";
  case LT_ESYNTAX: return "ESYNTAX";
  default: {
    const char *n = strerrorname_np(code);
    return n ? n : "EUNKNOWN";
  }
  }
}

int lt_errno_number(const char *name) {
  for (int e = 1; e < 4096; e++) {
    const char *n = strerrorname_np(e);
    if (n && strcmp(n, name) == 0) return e;
  }
  return 0;
}
