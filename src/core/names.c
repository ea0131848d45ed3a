/* names.c: the names of the seed's thread states (and which states are
 * running or stopped), of signals and of syscalls, the last two generated
 * at build time from this system's headers. */
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "signal_names.h"
#include "syscall_names.h"

static const char *const state_names[] = {
    [LT_RUNNING] = "Running",
    [LT_SINGLE_STEPPING] = "SingleStepping",
    [LT_STOPPING] = "Stopping",
    [LT_STOPPED] = "Stopped",
    [LT_STOPPED_BREAKPOINT] = "StoppedBreakpoint",
    [LT_STOPPED_SIGNAL] = "StoppedSignal",
    [LT_STOPPED_THREAD_CREATE] = "StoppedThreadCreate",
    [LT_STOPPED_EXITING] = "StoppedExiting",
    [LT_EXITING] = "Exiting",
    [LT_EXITED] = "Exited",
    [LT_DETACHED] = "Detached",
};

const char *lt_state_name(lt_state s) { return state_names[s]; }

int lt_state_is_running(lt_state s) { return s == LT_RUNNING || s == LT_SINGLE_STEPPING || s == LT_STOPPING; }

int lt_state_is_stopped(lt_state s) {
  return s == LT_STOPPED || s == LT_STOPPED_BREAKPOINT || s == LT_STOPPED_SIGNAL ||
         s == LT_STOPPED_THREAD_CREATE || s == LT_STOPPED_EXITING;
}

const char *lt_signal_name(int signo) {
  int n = (int)(sizeof signal_names / sizeof signal_names[0]);
  return signo > 0 && signo < n ? signal_names[signo] : NULL;
}

/* Accepts "SIGUSR1", "USR1" or "sigusr1"; 0 when unknown. */
int lt_signal_number(const char *name) {
  int n = (int)(sizeof signal_names / sizeof signal_names[0]);
  for (int s = 1; s < n; s++) {
    const char *full = signal_names[s];
    if (full && (strcasecmp(full, name) == 0 || strcasecmp(full + 3, name) == 0)) return s;
  }
  return 0;
}

const char *lt_syscall_name(long nr) {
  long n = (long)(sizeof syscall_names / sizeof syscall_names[0]);
  return nr >= 0 && nr < n ? syscall_names[nr] : NULL;
}

long lt_syscall_number(const char *name) {
  long n = (long)(sizeof syscall_names / sizeof syscall_names[0]);
  for (long i = 0; i < n; i++)
    if (syscall_names[i] && strcmp(syscall_names[i], name) == 0) return i;
  return -1;
}
