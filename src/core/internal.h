/* internal.h: the engine's private structures, shared by src/core files. */
#ifndef LUTRA_INTERNAL_H
#define LUTRA_INTERNAL_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>

#include "hashmap.h"
#include "lutra.h"

/* One physical int3 per address. */
typedef struct {
  uint64_t addr;
  uint8_t orig;      /* the program's byte under the int3 */
  bool inserted;
  bool planned;      /* plan holds the decoded original instruction */
  bool nonstop;      /* a hit stops only the hitting thread */
  bool slot_ready;   /* the out-of-line copy is written at slot */
  arch_plan plan;
  uint64_t slot;     /* DISPLACE: where its copy runs, 0 until needed */
} lt_breakpoint;

/* A page mapped in the tracee for out-of-line copies (scratch.c). */
typedef struct {
  uint64_t addr;
  size_t used;
} lt_scratch;

struct lt_thread {
  pid_t tid;
  lt_process *proc;
  lt_state state;
  lt_cause cause;
  int signal;            /* delivered by the next resume */
  bool interrupt_pending; /* a PTRACE_INTERRUPT not yet absorbed */
  bool regs_valid, regs_dirty;
  arch_regs regs;
  bool in_events; /* listed in proc->events this round */
  bool exit_reported; /* its thread_exit event was given already */
  bool skip_syscall; /* set rax to skip_ret at the coming syscall exit */
  int64_t skip_ret;
  long sys_nr; /* the syscall in progress, from its entry stop */
  bool sys_want_exit; /* reported at a seccomp stop: resume to its exit stop */
  bool group_stopped; /* in a job-control stop (SIGSTOP from outside): resumed with PTRACE_LISTEN */
  bool at_exec; /* stopped at its exec event: execve is complete, a syscall may be injected */
  unsigned watch_gen; /* the process's watch_gen its debug registers hold */
};

/* A wait status reported for a tid we do not know yet (a new thread's first
 * stop can arrive before its parent's clone event). */
typedef struct {
  pid_t tid;
  int status;
} lt_orphan;

struct lt_process {
  lt_tracer *tracer;
  pid_t pid;
  lt_pstate state;
  bool spawned;
  bool exited_normally;
  int exit_code, exit_signal;
  int memfd; /* /proc/PID/mem, for writes into read-only text */
  hashmap threads; /* tid -> lt_thread*, every thread the process knows */
  hashmap breakpoints; /* addr -> lt_breakpoint* */
  lt_thread **events; /* eventful threads of this round, arrival order */
  size_t nevents, capevents;
  lt_thread **dead; /* exited threads, freed at the next cont */
  size_t ndead, capdead;
  lt_stats stats;
  lt_modules mods;
  lt_dwarf *dwarf;      /* libdwfl's view, opened on first use */
  uint64_t dwarf_stamp; /* like mods_stamp */
  lt_scratch *scratch;
  size_t nscratch;
  uint64_t call_pad;  /* int3 where injected calls return (inject.c) */
  arch_watch watch[ARCH_NWATCH];
  unsigned watch_gen; /* bumped at each change; threads catch up on resume */
  hashmap ifuncs;     /* IFUNC resolver address -> what it chose */
  bool pinned; /* holds one of the tracer's pin references */
  bool follow_fork;
  bool shares_memory; /* a vfork child before its exec: the int3s are the parent's */
  bool exit_seen; /* lt_wait_any has returned its exit */
  bool final_round_given; /* lt_wait_stop returned the events of the round it exited in */
  bool trace_syscalls;
  uint8_t *sys_filter; /* NULL: every syscall */
  bool seccomp;          /* lutra's seccomp filter is in it (seccomp.c) */
  uint8_t *seccomp_set;  /* the syscalls it makes stop */
  bool no_seccomp;       /* the user asked for PTRACE_SYSCALL tracing */
  bool sys_via_seccomp;  /* the wanted syscalls all stop through the filter (set with sys_filter) */
  bool must_follow;      /* a child that cannot be let go (seccomp filter, shared memory) */
  uint64_t mods_stamp; /* stats.stops at the last refresh, +1 */
  lt_process *next;
};

struct lt_tracer {
  char errmsg[512];
  int errcode;
  lt_process *procs;
  hashmap tids; /* tid -> lt_thread*, across processes */
  lt_orphan *orphans;
  size_t norphans, caporphans;
  volatile sig_atomic_t interrupted;
  bool debug; /* LUTRA_DEBUG set: log every wait status to stderr */
  /* Pinning (pin.c): the CPU shared with pinned tracees, how many hold it,
   * and the tracer's own affinity before the first. */
  int pin_cpu, pin_refs;
  cpu_set_t pin_saved;
};

/* error.c */
int lt_fail(lt_tracer *tr, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int lt_fail_errno(lt_tracer *tr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int lt_misuse_state(lt_thread *t, const char *what);

/* thread.c */
lt_thread *lt_thread_new(lt_process *p, pid_t tid, lt_state st);
void lt_thread_set_state(lt_thread *t, lt_state st);
int lt_thread_load_regs(lt_thread *t);
int lt_thread_flush_regs(lt_thread *t);
int lt_thread_resume(lt_thread *t, int request, int signo);
void lt_thread_gone(lt_thread *t);
void lt_process_free_dead(lt_process *p);

/* breakpoint.c */
lt_breakpoint *lt_bp_at(const lt_process *p, uint64_t addr);
int lt_bp_insert(lt_process *p, lt_breakpoint *bp);
int lt_bp_restore(lt_process *p, lt_breakpoint *bp);
int lt_bp_restore_all(lt_process *p);
void lt_bp_forget_all(lt_process *p);
int lt_bp_step_over(lt_thread *t, lt_breakpoint *bp);
void lt_bp_shadow(const lt_process *p, uint64_t addr, uint8_t *buf, size_t len);

/* memory.c */
ssize_t lt_mem_read_raw(lt_process *p, uint64_t addr, void *buf, size_t len);
ssize_t lt_mem_write_raw(lt_process *p, uint64_t addr, const void *buf, size_t len);

/* process.c */
lt_process *lt_process_adopt(lt_process *parent, pid_t child, bool vfork);

/* events.c */
int lt_wait_event(lt_tracer *tr, pid_t tid, int *status, double deadline);
void lt_handle_status(lt_tracer *tr, lt_thread *t, int status);
void lt_note_event(lt_thread *t);
int lt_step_thread(lt_thread *t);
double lt_now(void);

/* scratch.c */
int lt_scratch_slot(lt_thread *t, uint64_t near, uint64_t *slot);

/* inject.c */
/* A stopped thread of p that can run injected code now (not at its exit,
 * not inside a syscall, whose restart or result would be lost), in *out,
 * or NULL. A thread stopped at its exec event is still inside execve:
 * with `leave_exec` it is stepped out of it first, its state and cause
 * kept. -1 only when that step fails. */
int lt_inject_thread(lt_process *p, bool leave_exec, lt_thread **out);
int lt_inject_syscall(lt_thread *t, long nr, const uint64_t args[6], int64_t *ret);
int lt_inject_call(lt_thread *t, uint64_t fn, uint64_t *ret);

/* pin.c */
int lt_pin_choose(lt_tracer *tr);
void lt_pin_hold(lt_process *p, int cpu);
void lt_pin_release(lt_process *p);

/* seccomp.c */
int lt_seccomp_install(lt_process *p, const uint8_t *set);

/* syscall.c */
void lt_handle_seccomp(lt_thread *t);
void lt_handle_syscall(lt_thread *t);
void lt_resume_quietly(lt_thread *t);
int lt_resume_request(const lt_thread *t);

/* tracer.c */
int lt_tracer_add_thread(lt_tracer *tr, lt_thread *t);
void lt_tracer_del_thread(lt_tracer *tr, lt_thread *t);
lt_thread *lt_tracer_thread(lt_tracer *tr, pid_t tid);
int lt_tracer_take_orphan(lt_tracer *tr, pid_t tid, int *status);
int lt_tracer_add_orphan(lt_tracer *tr, pid_t tid, int status);
void lt_tracer_link(lt_tracer *tr, lt_process *p);
void lt_tracer_unlink(lt_tracer *tr, lt_process *p);

/* ptrace options common to every tracee */
#define LT_PTRACE_OPTIONS                                                   \
  (PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |         \
   PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD)

#endif
