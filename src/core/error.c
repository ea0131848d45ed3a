/* error.c: the tracer's one-line error, errno and lutra code names, and the
 * signal names the kernel defines (through glibc's sigabbrev_np). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
  return lt_fail(t->proc->tracer, LT_EMISUSE, "thread %d: cannot %s in state %s",
                 (int)t->tid, what, lt_state_name(t->state));
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
  default: {
    const char *n = strerrorname_np(code);
    return n ? n : "EUNKNOWN";
  }
  }
}

#include "signal_names.h"

const char *lt_signal_name(int signo) {
  int n = (int)(sizeof signal_names / sizeof signal_names[0]);
  return signo > 0 && signo < n ? signal_names[signo] : NULL;
}

/* Accepts "SIGUSR1", "USR1" or "sigusr1"; 0 when unknown. */
int lt_signal_number(const char *name) {
  int n = (int)(sizeof signal_names / sizeof signal_names[0]);
  for (int s = 1; s < n; s++) {
    const char *full = signal_names[s];
    if (full && (strcasecmp(full, name) == 0 || strcasecmp(full + 3, name) == 0))
      return s;
  }
  return 0;
}
