/* internal.h: the engine's private structures and the functions its files
 * offer each other, grouped by floor: a file calls only files of its own
 * floor or below (docs/DESIGN-NOTES.md draws the floors). */
#ifndef LUTRA_INTERNAL_H
#define LUTRA_INTERNAL_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>

#include "expr.h"
#include "hashmap.h"
#include "lutra.h"

/* One physical int3 per address. */
typedef struct {
  uint64_t addr;
  uint8_t orig; /* the program's byte under the int3 */
  bool inserted;
  bool planned;    /* plan holds the decoded original instruction */
  bool nonstop;    /* a hit stops only the hitting thread */
  bool slot_ready; /* the out-of-line copy is written at slot */
  arch_plan plan;
  uint64_t slot;   /* DISPLACE: where its copy runs, 0 until needed */
  uint64_t map_id; /* what was mapped there when it went in (breakpoint.c) */
  uint64_t report; /* a probe's trap in a trampoline: the function's address,
                        where its hits are reported (0: addr itself) */
} lt_breakpoint;

/* Where a hit of bp is reported and where a thread stopped by it sits. */
static inline uint64_t lt_bp_report(const lt_breakpoint *bp) { return bp->report ? bp->report : bp->addr; }

typedef struct lt_probeset lt_probeset; /* probes in the program (patch.c) */

/* A page mapped in the tracee for out-of-line copies (scratch.c). */
typedef struct {
  uint64_t addr;
  size_t used, size;
} lt_scratch;

struct lt_thread {
  pid_t tid;
  lt_process *proc;
  lt_state state;
  lt_cause cause;
  lt_breakpoint *bp;      /* the breakpoint it reported (its cause), NULL otherwise */
  int signal;             /* delivered by the next resume */
  bool interrupt_pending; /* a PTRACE_INTERRUPT not yet absorbed */
  bool regs_valid, regs_dirty;
  bool pc_ahead; /* the kernel's pc is one past the cache's: a hit whose plan
                    resumes where the trap left it (arch_plan.resume_next) */
  arch_regs regs;
  bool in_events;     /* listed in proc->events this round */
  bool exit_reported; /* its thread_exit event was given already */
  bool skip_syscall;  /* set rax to skip_ret at the coming syscall exit */
  int64_t skip_ret;
  long sys_nr;        /* the syscall in progress, from its entry stop */
  bool sys_want_exit; /* reported at a seccomp stop: resume to its exit stop */
  bool group_stopped; /* in a job-control stop (SIGSTOP from outside): resumed with PTRACE_LISTEN */
  bool at_exec;       /* stopped at its exec event: execve is complete, a syscall may be injected */
  bool in_vfork;      /* past its vfork: parked in the kernel until the child execs or exits
                    (PTRACE_EVENT_VFORK_DONE); no round waits for it */
  bool sys_parked;    /* blocked in a syscall, resumed with PTRACE_SYSCALL: it stops at the
                      syscall's exit before running any code of its own, so rounds need
                      not interrupt it (round.c); "lazy" while its process is stopped */
  bool has_held;      /* a status of a lazy thread that came while its process was stopped */
  int held_status;
  unsigned busy_streak; /* rounds it was interrupted outside a syscall (when to look again) */
  uint64_t hit_round;   /* the process's round in which it last hit a breakpoint, +1 */
  unsigned watch_gen;   /* the process's watch_gen its debug registers hold */
  bool fpregs_valid;    /* fpregs holds the registers of the stop numbered fpregs_stamp */
  uint64_t fpregs_stamp;
  arch_fpregs fpregs;
  bool vfork_excluded; /* its unfollowed vfork child is skipped by the trampolines (patch.c) */
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
  int memfd;           /* /proc/PID/mem, for writes into read-only text */
  hashmap threads;     /* tid -> lt_thread*, every thread the process knows */
  hashmap breakpoints; /* addr -> lt_breakpoint* */
  lt_thread **events;  /* eventful threads of this round, arrival order (decode.c) */
  size_t nevents, capevents;
  lt_thread **dead; /* exited threads, freed at the next cont */
  size_t ndead, capdead;
  lt_stats stats;
  lt_modules mods;
  lt_dwarf *dwarf;      /* libdwfl's view, opened on first use */
  uint64_t dwarf_stamp; /* like mods_stamp */
  lt_scratch *scratch;
  size_t nscratch;
  uint64_t call_pad; /* int3 where injected calls return (call.c) */
  arch_watch watch[ARCH_NWATCH];
  unsigned watch_gen; /* bumped at each change; threads catch up on resume */
  hashmap ifuncs;     /* IFUNC resolver address -> what it chose */
  hashmap semaphores; /* USDT semaphore address -> lutra's increments (usdt.c) */
  bool pinned;        /* holds one of the tracer's pin references */
  bool follow_fork;
  bool shares_memory;     /* a vfork or CLONE_VM child: the int3s are mem_owner's */
  lt_process *mem_owner;  /* whose breakpoint table describes this memory (NULL: its own) */
  bool hidden;            /* a vfork child nobody follows: traced quietly until it execs or exits (round.c) */
  bool settling;          /* a round is stopping its threads (round.c) */
  uint64_t rounds;        /* all-stop rounds so far (round.c) */
  bool dying;             /* lt_kill sent SIGKILL: every stop is let go until the end */
  bool exit_seen;         /* lt_wait_any has returned its exit */
  bool final_round_given; /* lt_wait_stop returned the events of the round it exited in */
  bool trace_syscalls;
  uint8_t *sys_filter;    /* NULL: every syscall */
  bool seccomp;           /* lutra's seccomp filter is in it (seccomp.c) */
  uint8_t *seccomp_set;   /* the syscalls it makes stop */
  bool no_seccomp;        /* the user asked for PTRACE_SYSCALL tracing */
  bool sys_via_seccomp;   /* the wanted syscalls all stop through the filter (set with sys_filter) */
  bool must_follow;       /* a child that cannot be let go (seccomp filter, shared memory) */
  uint64_t mods_stamp;    /* stats.stops at the last refresh, +1 */
  struct lt_typed *typed; /* DWARF files and function plans for typed values (typed.c) */
  lt_probeset *probes;    /* jumps, trampolines and shared memory (patch.c); NULL: none */
  lt_process *next;
};

struct lt_tracer {
  char errmsg[512];
  int errcode;
  lt_process *procs;
  hashmap tids; /* tid -> lt_thread*, across processes (wait.c) */
  lt_orphan *orphans;
  size_t norphans, caporphans;
  volatile sig_atomic_t interrupted;
  uint64_t syscalls; /* ptrace and wait calls made, for p:stats() */
  bool debug;        /* LUTRA_DEBUG set: log every wait status to stderr */
  /* Pinning (pin.c): the CPU shared with pinned tracees, how many hold it,
   * and the tracer's own affinity before the first. */
  int pin_cpu, pin_refs;
  cpu_set_t pin_saved;
};

/* ptrace options common to every tracee */
#define LT_PTRACE_OPTIONS \
  (PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | \
   PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD)

/* A raw syscall's return value that is a negated errno (Linux's rule). */
static inline bool lt_syscall_failed(int64_t ret) { return ret < 0 && ret > -4096; }

/* ---- floor 1: no calls above ---------------------------------------- */

/* error.c */
int lt_fail(lt_tracer *tr, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int lt_fail_errno(lt_tracer *tr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lt_misuse_state(lt_thread *t, const char *what);
/* Keeps the tracer's error across a call whose failure is not the caller's. */
typedef struct {
  char msg[512];
  int code;
} lt_saved_error;
void lt_error_save(const lt_tracer *tr, lt_saved_error *e);
void lt_error_restore(lt_tracer *tr, const lt_saved_error *e);

/* ptrace.c: every ptrace(2) request goes through here. On failure -1 with
 * errno kept and (lt_ptrace, not lt_ptrace_q) the tracer's error naming the
 * request and the thread. */
long lt_ptrace(lt_tracer *tr, int request, pid_t tid, void *addr, void *data);
long lt_ptrace_q(lt_tracer *tr, int request, pid_t tid, void *addr, void *data);

/* wait.c: the one waitpid loop, the tid table and the orphans. */
/* A ptrace or wait call made for tid: counted for the tracer and for the
 * process of that thread (p:stats()). */
void lt_count_syscall(lt_tracer *tr, pid_t tid);
/* One wait status for `tid` (-1: any). Returns the tid, 0 on timeout, -1 on
 * error (EINTR when lt_tracer_interrupt was called). deadline < 0: none. */
int lt_wait_event(lt_tracer *tr, pid_t tid, int *status, double deadline);
/* A status `tid` has already reported, without blocking: 1 and *status, 0. */
int lt_wait_ready(lt_tracer *tr, pid_t tid, int *status);
/* The next status of a known new tracee (an orphan first). */
int lt_wait_tid(lt_tracer *tr, pid_t tid, int *status);
/* An unseized child's stop (spawn, before PTRACE_SEIZE). */
int lt_wait_child_stop(lt_tracer *tr, pid_t pid, int *status);
int lt_tracer_add_thread(lt_tracer *tr, lt_thread *t);
void lt_tracer_del_thread(lt_tracer *tr, lt_thread *t);
lt_thread *lt_tracer_thread(lt_tracer *tr, pid_t tid);
int lt_tracer_take_orphan(lt_tracer *tr, pid_t tid, int *status);
int lt_tracer_add_orphan(lt_tracer *tr, pid_t tid, int status);

/* memory.c */
int lt_mem_open(lt_tracer *tr, pid_t pid);
ssize_t lt_mem_read_raw(lt_process *p, uint64_t addr, void *buf, size_t len);
ssize_t lt_mem_write_raw(lt_process *p, uint64_t addr, const void *buf, size_t len);
ssize_t lt_mem_write_fd(int memfd, uint64_t addr, const void *buf, size_t len);
int lt_mem_fail(lt_process *p, const char *what, uint64_t addr, size_t len);

/* pin.c */
int lt_pin_choose(lt_tracer *tr);
void lt_pin_hold(lt_process *p, int cpu);
void lt_pin_release(lt_process *p);

/* ---- floor 2: the objects -------------------------------------------- */

/* process.c */
lt_process *lt_process_new(lt_tracer *tr, pid_t pid, bool spawned);
/* Frees the object only: it must no longer be traced (lifecycle.c). */
void lt_process_destroy(lt_process *p);
/* A new process of the tracer for a child that stops at its first stop.
 * `shares` (vfork, CLONE_VM): its memory is the parent's, and so are the
 * breakpoints in it. */
lt_process *lt_process_adopt(lt_process *parent, pid_t child, bool shares);
/* p's memory leaves it (exec, exit, freed): the processes that share it
 * get their own copy of its breakpoint table. */
void lt_process_unshare(lt_process *p);
/* The mapped object holding addr, from the modules as last read when they
 * have it (process.c). */
const lt_module *lt_process_module_at(lt_process *p, uint64_t addr);
/* The process whose breakpoint table describes p's memory. */
static inline lt_process *lt_process_mem_owner(const lt_process *p) {
  return p->mem_owner ? p->mem_owner : (lt_process *)p;
}
/* The pid whose /proc entries show p's memory and mappings: p's own, or a
 * live thread's once the leader is a zombie. */
pid_t lt_process_proc_pid(const lt_process *p);
/* A thread that cannot run now whatever lutra does: a zombie leader, a
 * thread parked in vfork. A round neither interrupts nor waits for it. */
static inline bool lt_thread_parked(const lt_thread *t) {
  return t->state == LT_EXITING || (t->in_vfork && t->state == LT_RUNNING);
}
/* Stopped for lutra and the script, but not in a ptrace-stop: a thread
 * parked in a syscall (sys_parked) while its process is stopped. What needs
 * a real stop (registers, stepping, detach) unparks it first (step.c). */
static inline bool lt_thread_lazy(const lt_thread *t) { return t->sys_parked && t->state == LT_STOPPED; }
void lt_process_drop_threads(lt_process *p, lt_state final);
/* Its breakpoint table freed (a sharer's threads just let go of theirs),
 * and the threads that reported one told so; one breakpoint (NULL: all). */
void lt_process_forget_breakpoints(lt_process *p);
void lt_process_unlink_bp(lt_process *p, const lt_breakpoint *bp);
bool lt_process_others_running(const lt_process *p, const lt_thread *t);
size_t lt_process_live_threads(const lt_process *p);

/* thread.c */
lt_thread *lt_thread_new(lt_process *p, pid_t tid, lt_state st);
void lt_thread_set_state(lt_thread *t, lt_state st);
int lt_thread_load_regs(lt_thread *t);
int lt_thread_flush_regs(lt_thread *t);
/* PTRACE_CONT, SYSCALL or SINGLESTEP after writing back the register cache. */
int lt_thread_resume(lt_thread *t, int request, int signo);
/* PTRACE_SYSCALL when syscalls are traced this way, else PTRACE_CONT. */
int lt_resume_request(const lt_thread *t);
int lt_thread_interrupt(lt_thread *t);
void lt_thread_gone(lt_thread *t);
void lt_process_free_dead(lt_process *p);

/* breakpoint.c */
lt_breakpoint *lt_bp_at(const lt_process *p, uint64_t addr);
int lt_bp_insert(lt_process *p, lt_breakpoint *bp);
int lt_bp_restore(lt_process *p, lt_breakpoint *bp);
int lt_bp_restore_all(lt_process *p);
void lt_bp_shadow(const lt_process *p, uint64_t addr, uint8_t *buf, size_t len);
int lt_check_all_stopped(lt_process *p, const char *what);

typedef struct lt_shmem lt_shmem;
/* A counter or histogram: its slots in each region it was placed in. */
struct lt_counter {
  int nslots; /* 1, or LT_HIST_SLOTS */
  struct {
    lt_shmem *r;
    size_t off;
  } * at;
  size_t nat;
};

/* shmem.c: memory shared with the tracee (a memfd mapped in both), its
 * counters and histograms, and the tracer's robust owner word. */
#define LT_SHMEM_SIZE (12u << 20)
#define LT_SHMEM_SLOTS 4096u /* where counters start */
#define LT_SHMEM_SLOTS_END (1u << 20)
#define LT_SHMEM_RING (2u << 20) /* the ring's header, then its cells */
#define LT_RING_CELLS 65536u
_Static_assert(LT_SHMEM_RING + sizeof(arch_ring_header) + LT_RING_CELLS * sizeof(arch_entry) <= LT_SHMEM_SIZE,
               "the ring fits in the shared memory");
struct lt_shmem {
  int refs; /* address spaces mapping it, and counters placed in it */
  int fd;
  uint8_t *map;    /* the tracer's mapping */
  uint64_t remote; /* the tracee's */
  size_t used;     /* slots handed out, from LT_SHMEM_SLOTS */
  bool ring_ready;
  uint64_t tail; /* the tracer's position in the ring */
  uint64_t lost; /* cells reserved that no one will publish (the writer is gone) */
  uint64_t c0;   /* arch_cycles() and lt_now() when made: records' times */
  double t0;
  uint64_t c1;
  double t1;
};
/* Takes a memfd the tracee created (fd, mapped at `remote` there) into a
 * region (the tracer maps it and holds its owner word). NULL on failure. */
lt_shmem *lt_shmem_new(lt_tracer *tr, int fd, uint64_t remote);
void lt_shmem_ref(lt_shmem *r);
void lt_shmem_unref(lt_shmem *r);
/* The owner word (pthread robust mutex, locked by the tracer): the
 * tracee's address of its futex word. */
uint64_t lt_shmem_owner(const lt_shmem *r);
/* The tracee's address of c's slots in r, allocated on first use. */
int lt_counter_slot(lt_tracer *tr, lt_counter *c, lt_shmem *r, uint64_t *remote);
/* The ring's header in the tracee, its cells made free on first use. */
uint64_t lt_shmem_ring(lt_shmem *r);

/* patch.c: the probes of one address space: the jumps written over code,
 * the trampolines they lead to, the loads that may fault, the vfork
 * exclusions; what detach, exec, fork and a faulting load need of them.
 * The protocol that builds them is probe.c's. */
typedef struct lt_probe lt_probe;
typedef struct {
  uint64_t site, func; /* the jump's address; the function's (rip in expressions, the trap's pc) */
  arch_reloc reloc;    /* the instructions it displaces (reloc.orig, reloc.len) */
  int save_flags, go_abi;
  uint64_t tramp; /* the trampoline the jump leads to; 0 before the first */
  arch_tramp_layout lay;
  bool written; /* the jump is in memory */
  lt_probe **ops;
  size_t nops;
} lt_patch;
typedef struct {
  uint64_t addr;
  arch_tramp_layout lay;
} lt_tramp;
struct lt_probe {
  int id;
  int kind; /* LT_PROBE_* */
  lt_expr cond, value;
  lt_counter *counter;
  uint64_t slot; /* counter, histogram or ring header, in the tracee */
  uint32_t tag;
  int nargs;
  uint64_t trap;   /* TRAP: its int3 in the current trampoline */
  lt_patch *patch; /* NULL once its address space is gone (exec) */
};
struct lt_probeset {
  lt_shmem *region;   /* NULL until the first probe; shared with followed forks */
  lt_shmem **retired; /* regions of address spaces an exec replaced: their rings drain */
  size_t nretired;
  uint64_t priv; /* the private page (arch.h, ARCH_PRIV_*) in the tracee */
  uint64_t priv_fs[ARCH_PRIV_SLOTS];
  int vfork_children; /* unfollowed vfork children alive */
  int vfork_overflow; /* of them, those with no slot in the private page */
  int glibc_tid;      /* -1 not checked, 0, 1 (the spec's glibc_tid) */
  hashmap patches;    /* site -> lt_patch* */
  hashmap bytes;      /* each byte of each jump's displaced instructions -> lt_patch* */
  hashmap guards;     /* a load that may fault -> where its thread goes on */
  lt_tramp *tramps;   /* every trampoline written (threads may sit in any) */
  size_t ntramps;
  hashmap ops; /* id -> lt_probe* */
  int next_id;
};
/* p's probe set (its memory owner's), made on first use with `make`. */
lt_probeset *lt_probeset_of(lt_process *p, bool make);
void lt_probeset_free(lt_probeset *ps);
void lt_probe_op_free(lt_probe *op);
/* A followed fork child: a copy of the parent's (its memory is a copy;
 * the region is shared, so its calls count where the parent's do). */
int lt_probeset_fork(lt_process *child, lt_process *parent);
/* An exec replaced p's memory: jumps and trampolines are gone, the
 * region retired (its counters stay readable, its ring drains). */
void lt_probeset_exec(lt_process *p);
/* Does [addr, addr+len) touch the instructions a jump displaced? */
lt_patch *lt_patch_at(const lt_process *p, uint64_t addr, size_t len);
/* Reads show the program's bytes under the jumps. */
void lt_patch_shadow(const lt_process *p, uint64_t addr, uint8_t *buf, size_t len);
/* Puts a site's original bytes back (its trampoline stays for threads
 * inside; those in its body go on to its exit first). */
int lt_patch_unwrite(lt_process *p, lt_patch *pt);
/* Every jump out (detach): threads inside trampolines' bodies leave. */
int lt_patch_restore_all(lt_process *p);
/* A forked child let go: its copy of the jumps goes too. */
void lt_patch_restore_fd(lt_process *p, int fd);
/* Threads in a trampoline's body go on to its exit (no load left to fault). */
void lt_patch_leave_bodies(lt_process *p, const lt_tramp *only);
/* A thread stopped by SIGSEGV/SIGBUS at one of the trampolines' loads:
 * moved on as if the expression were false. true when it was one. */
bool lt_patch_fault(lt_thread *t, int sig);
/* t called vfork and the child is not followed (begin), or the child has
 * exec'd or exited: the trampolines skip it, by t's TLS base. */
void lt_patch_vfork(lt_thread *t, bool begin);

/* ring.c: entry records out of a region's ring. */
/* Reads up to max records of r into out; `alive`: someone may still
 * publish a reserved cell (else it is counted lost and skipped). */
size_t lt_ring_take(lt_shmem *r, lt_entry *out, size_t max, bool alive);
uint64_t lt_ring_drops(const lt_shmem *r);

/* ---- floor 3: what a wait status means -------------------------------- */

/* decode.c: the one decoder, and the one owner of each process's list of
 * eventful threads. */
void lt_handle_status(lt_tracer *tr, lt_thread *t, int status);
/* A status read for `tid`: handed to its thread, or kept as an orphan. */
int lt_decode_status(lt_tracer *tr, pid_t tid, int status);
/* Waits for one status (tid or -1) and decodes it: 1, 0 on timeout, -1. */
int lt_decode_next(lt_tracer *tr, pid_t tid, double deadline);
/* The thread's tracee is gone with no status left to read (ECHILD). */
void lt_decode_vanished(lt_thread *t);
/* Every tracee of the tracer is gone (ECHILD): p has exited. */
void lt_decode_process_gone(lt_process *p);
void lt_resume_quietly(lt_thread *t);
void lt_events_add(lt_thread *t);
void lt_events_remove(lt_thread *t);
void lt_events_clear(lt_process *p);

/* ---- floor 4: running one thread -------------------------------------- */

/* step.c: one thread runs alone (the others stay as they are) until it
 * stops. 0: it stopped with nothing to report (a step done, an interrupt,
 * a call's return); 1: it reported an event, kept as its cause; -1. */
int lt_run_alone(lt_thread *t, int request, double timeout);
/* A lazy thread (thread.c) really stopped: interrupted and waited for.
 * 0 (also when it was not lazy), -1. */
int lt_thread_unpark(lt_thread *t);
int lt_process_unpark_all(lt_process *p);
int lt_step_thread(lt_thread *t);
/* A thread's stop, kept while it runs injected code (rr's
 * AutoRemoteSyscalls): restore puts it back (the registers too when
 * `regs`), keeps a signal that came meanwhile, drops the event the
 * injected code caused. */
typedef struct {
  arch_regs regs;
  lt_state state;
  lt_cause cause;
  lt_breakpoint *bp;
  int signal;
  bool in_events;
} lt_saved_thread;
void lt_thread_save(lt_thread *t, lt_saved_thread *s);
void lt_thread_restore(lt_thread *t, const lt_saved_thread *s, bool regs);

/* inject.c */
/* A stopped thread of p that can run injected code now (not at its exit,
 * not inside a syscall, whose restart or result would be lost), in *out,
 * or NULL. A thread stopped at its exec event is still inside execve:
 * with `leave_exec` it is stepped out of it first, its state and cause
 * kept. -1 only when that step fails. */
int lt_inject_thread(lt_process *p, bool leave_exec, lt_thread **out);
int lt_inject_syscall(lt_thread *t, long nr, const uint64_t args[6], int64_t *ret);

/* scratch.c */
int lt_scratch_slot(lt_thread *t, uint64_t near, uint64_t *slot);
/* `len` bytes (16-aligned) of a scratch page within reach of `near`. */
int lt_scratch_alloc(lt_thread *t, uint64_t near, size_t len, uint64_t *addr);

/* call.c */
int lt_inject_call(lt_thread *t, uint64_t fn, uint64_t *ret);

/* probe.c: the patching protocol: a site's jump, its trampoline, the
 * shared region mapped into the tracee (lutra.h: lt_probe_add). */

/* stepover.c */
/* Moves a thread that hit `bp` past the original instruction (0), or 1
 * when another event stopped it first (recorded), -1. */
int lt_bp_step_over(lt_thread *t, lt_breakpoint *bp);
/* Can a hit of bp be stepped over while the other threads run? */
bool lt_stepover_nonstop_ready(const lt_breakpoint *bp);

/* typed.c */
void lt_typed_free(lt_process *p);

/* seccomp.c */
int lt_seccomp_install(lt_process *p, const uint8_t *set);
/* The SECCOMP_RET_DATA of lutra's filter: a seccomp stop with other data
 * comes from the program's own filter (PTRACE_GETEVENTMSG tells). */
#define LT_SECCOMP_DATA 0x4c54 /* "LT" */

/* ---- floor 5: whole processes ------------------------------------------ */

/* round.c */
int lt_settle(lt_process *p, bool force, double deadline);
/* Waits until p has exited, every stop let go (after a SIGKILL). */
int lt_wait_exit(lt_process *p, double timeout);

#endif
