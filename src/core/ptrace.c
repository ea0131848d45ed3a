/* ptrace.c: the one caller of ptrace(2) in the engine (the arch's debug
 * registers aside). lt_ptrace names the request and the thread in the
 * tracer's error (strace's "ptrace(%s,pid:%d)"); lt_ptrace_q is for callers
 * that tolerate a failure (ESRCH: the thread died under us), errno kept.
 * Both count the call for p:stats(). */
#include <errno.h>
#include <sys/ptrace.h>

#include "internal.h"

static const char *request_name(int request) {
  switch (request) {
  case PTRACE_CONT: return "CONT";
  case PTRACE_SYSCALL: return "SYSCALL";
  case PTRACE_SINGLESTEP: return "SINGLESTEP";
  case PTRACE_LISTEN: return "LISTEN";
  case PTRACE_INTERRUPT: return "INTERRUPT";
  case PTRACE_SEIZE: return "SEIZE";
  case PTRACE_DETACH: return "DETACH";
  case PTRACE_GETREGS: return "GETREGS";
  case PTRACE_SETREGS: return "SETREGS";
  case PTRACE_GETFPREGS: return "GETFPREGS";
  case PTRACE_SETFPREGS: return "SETFPREGS";
  case PTRACE_GETSIGINFO: return "GETSIGINFO";
  case PTRACE_PEEKSIGINFO: return "PEEKSIGINFO";
  case PTRACE_GETEVENTMSG: return "GETEVENTMSG";
  case PTRACE_SETOPTIONS: return "SETOPTIONS";
  case PTRACE_GET_SYSCALL_INFO: return "GET_SYSCALL_INFO";
  case PTRACE_PEEKUSER: return "PEEKUSER";
  case PTRACE_POKEUSER: return "POKEUSER";
  default: return "?";
  }
}

long lt_ptrace_q(lt_tracer *tr, int request, pid_t tid, void *addr, void *data) {
  lt_count_syscall(tr, tid);
  return ptrace((enum __ptrace_request)request, tid, addr, data);
}

long lt_ptrace(lt_tracer *tr, int request, pid_t tid, void *addr, void *data) {
  long r = lt_ptrace_q(tr, request, tid, addr, data);
  if (r < 0) lt_fail_errno(tr, "ptrace(%s) thread %d", request_name(request), (int)tid);
  return r;
}
