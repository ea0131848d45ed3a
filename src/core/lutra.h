/* lutra.h: the engine's public interface, a plain C library that drives
 * ptrace(2). It knows nothing of Lua; the bindings in src/lua translate. */
#ifndef LUTRA_H
#define LUTRA_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include "../arch/arch.h"
#include "../elf/dwarf.h"
#include "../elf/demangle.h"
#include "../elf/symtab.h"

typedef struct lt_tracer lt_tracer;
typedef struct lt_process lt_process;
typedef struct lt_thread lt_thread;

/* Errors. A failing call returns -1 (or NULL) and leaves a one-line message
 * and a code in the tracer: an errno value, or one of these. */
enum {
  LT_ENOSYM = 10000,   /* no such symbol */
  LT_EBADELF,          /* not an ELF file we can read */
  LT_ETIMEOUT,         /* wait_stop timed out */
  LT_EEXITED,          /* the process has exited */
  LT_EMISUSE,          /* operation not allowed in this state: a Lua error */
  LT_ENOTCODE,         /* an address outside executable memory (a breakpoint into data) */
  LT_ENOTGO,           /* not in Go code, or no goroutine to be found */
  LT_ENOTUSDT,         /* not stopped at a USDT probe */
  LT_ENODWARF = 10100, /* no DWARF for that code or name (typed values) */
  LT_EOPTIMIZED,       /* the compiler kept no location for the variable there */
  LT_ENOINLINE,        /* a probe's jump cannot be placed there: fall back to an int3 */
  LT_ESYNTAX,          /* a probe expression that does not parse */
};
const char *lt_errmsg(const lt_tracer *tr);
int lt_errcode(const lt_tracer *tr);
const char *lt_errname(int code);      /* "ESRCH", "ENOSYM", ... */
int lt_errno_number(const char *name); /* "ENOENT" -> 2; 0 when unknown */
double lt_now(void);                   /* seconds on the monotonic clock */

/* The seed's thread states. */
typedef enum {
  LT_RUNNING,
  LT_SINGLE_STEPPING,
  LT_STOPPING,
  LT_STOPPED,
  LT_STOPPED_BREAKPOINT,
  LT_STOPPED_SIGNAL,
  LT_STOPPED_THREAD_CREATE,
  LT_STOPPED_EXITING,
  LT_EXITING,
  LT_EXITED,
  LT_DETACHED,
} lt_state;
const char *lt_state_name(lt_state s);
int lt_state_is_running(lt_state s);
int lt_state_is_stopped(lt_state s);

/* Why a thread stopped (the seed's Cause). */
typedef enum {
  LT_CAUSE_STOPPED,
  LT_CAUSE_BREAKPOINT,
  LT_CAUSE_SIGNAL,
  LT_CAUSE_THREAD_CREATE,
  LT_CAUSE_THREAD_EXIT,
  LT_CAUSE_EXEC,    /* lutra's addition: the process called execve */
  LT_CAUSE_SYSCALL, /* lutra's addition: syscall entry or exit (tracing on) */
  LT_CAUSE_FORK,    /* lutra's addition: fork/vfork; new_tid is the child's pid */
  LT_CAUSE_WATCH,   /* lutra's addition: a hardware watchpoint; pc = its address, signo = slot */
} lt_cause_kind;

typedef struct {
  lt_cause_kind kind;
  uint64_t pc;   /* BREAKPOINT */
  int signo;     /* SIGNAL; THREAD_EXIT: killing signal or 0 */
  pid_t new_tid; /* THREAD_CREATE */
  int status;    /* THREAD_EXIT: exit status, -1 when signaled */
  /* SYSCALL */
  int sys_entry; /* 1 at entry, 0 at exit */
  long sys_nr;
  uint64_t sys_args[6];
  int64_t sys_ret; /* exit: the value, -errno on error */
  int sys_error;
} lt_cause;

typedef enum { LT_PS_STOPPED, LT_PS_RUNNING, LT_PS_EXITED, LT_PS_DETACHED } lt_pstate;

typedef struct {
  char *const *argv;    /* argv[0] is searched in PATH */
  char *const *envp;    /* NULL: inherit */
  const char *cwd;      /* NULL: inherit */
  int aslr;             /* 0 disables address space randomization */
  const char *stdio[3]; /* NULL: inherit; "/dev/null" or any path */
  int pin;              /* run the tracee and the tracer on one CPU */
} lt_spawn_opts;

/* Counters of lutra's own cost, for p:stats(). */
typedef struct {
  uint64_t stops;     /* ptrace stops seen by the tracer */
  uint64_t hits;      /* breakpoint hits */
  uint64_t steps;     /* single-steps over a breakpoint */
  uint64_t emulated;  /* step-overs done by emulation */
  uint64_t displaced; /* step-overs done by an out-of-line copy */
  uint64_t syscalls;  /* ptrace and wait calls made for its threads */
  double tracer_s;    /* time spent inside cont/wait_stop */
} lt_stats;

lt_tracer *lt_tracer_new(void);
/* Kills spawned processes and detaches attached ones, then frees. */
void lt_tracer_free(lt_tracer *tr);
/* Make a blocking wait return EINTR-style at once (async-signal-safe). */
void lt_tracer_interrupt(lt_tracer *tr);
/* Last resort, for the host's fatal-signal handler (lutra's own bug):
 * kill every spawned process and detach every attached one, removing
 * every int3, as lt_tracer_free would, but without freeing anything. */
void lt_tracer_release_all(lt_tracer *tr);

lt_process *lt_spawn(lt_tracer *tr, const lt_spawn_opts *opts);
lt_process *lt_attach(lt_tracer *tr, pid_t pid);
/* Removes breakpoints, kills or detaches if still traced, frees. */
void lt_process_free(lt_process *p);

lt_tracer *lt_process_tracer(const lt_process *p);
pid_t lt_process_pid(const lt_process *p);
lt_pstate lt_process_state(const lt_process *p);
int lt_process_spawned(const lt_process *p);
/* After exit: 1 and *code when it exited, 0 and *signo when signaled. */
int lt_process_exit(const lt_process *p, int *code, int *signo);
const lt_stats *lt_process_stats(const lt_process *p);

/* Live threads (not zombies, not exited), ordered by tid. */
size_t lt_process_threads(const lt_process *p, lt_thread **out, size_t max);
size_t lt_process_nthreads(const lt_process *p);
/* Any thread the process still knows, exited ones of the last round too. */
lt_thread *lt_process_thread(const lt_process *p, pid_t tid);

int lt_add_breakpoint(lt_process *p, uint64_t addr);
int lt_remove_breakpoint(lt_process *p, uint64_t addr);
int lt_has_breakpoint(const lt_process *p, uint64_t addr);
/* Drops, without writing a byte, every breakpoint whose object is no
 * longer mapped at its address (a library dlclose'd: its memory is gone,
 * and whatever is mapped there now is not the program's code of then).
 * Returns how many were dropped and, when out is given, their addresses
 * in *out (malloc'd, the caller frees; NULL if that allocation failed). */
size_t lt_forget_unmapped(lt_process *p, uint64_t **out);
/* A hit of a non-stop breakpoint stops only the hitting thread: wait_stop
 * returns with the other threads running (unless another event in the
 * same round needs all-stop), and cont resumes the stopped ones. */
int lt_set_breakpoint_nonstop(lt_process *p, uint64_t addr, int on);

int lt_stop(lt_process *p);
int lt_cont(lt_process *p);
/* Blocks until every thread is stopped after some event; timeout < 0 waits
 * forever. Fills the eventful threads in arrival order (lt_process_events).
 * Fails with LT_ETIMEOUT (process stopped) or LT_EEXITED. */
int lt_wait_stop(lt_process *p, double timeout);
/* The same, but a timeout leaves the process running (run's ticks). */
int lt_wait_stop_running(lt_process *p, double timeout);
size_t lt_process_events(const lt_process *p, lt_thread ***events);
/* Hardware watchpoints (at most ARCH_NWATCH per process, on every thread,
 * those created later too). kind: 'x', 'w' or 'r' (read or write). Returns
 * the slot, or -1 (EBUSY when all are used, EINVAL for a bad length or
 * alignment). */
int lt_watch_add(lt_process *p, uint64_t addr, int len, char kind);
int lt_watch_remove(lt_process *p, int slot);

/* Following forks: with it on, a forked child becomes a process of the
 * tracer (stopped, with the parent's breakpoints) and the parent reports
 * LT_CAUSE_FORK; off, the child is released (its int3 bytes removed). */
void lt_process_set_follow_fork(lt_process *p, int on);
lt_process *lt_tracer_process(lt_tracer *tr, pid_t pid);
/* Waits until one of `procs` has a round of events (it is then stopped
 * whole) or has exited unseen. Returns its index; -1 with LT_ETIMEOUT (the
 * processes are then stopped) or another error. */
int lt_wait_any(lt_process *const *procs, size_t n, double timeout);
int lt_wait_any_running(lt_process *const *procs, size_t n, double timeout);
int lt_detach(lt_process *p);
int lt_kill(lt_process *p);

/* Memory: reads show the program's bytes, never our int3; writes over a
 * breakpoint keep it. Return the count done, -1 when none. */
ssize_t lt_read(lt_process *p, uint64_t addr, void *buf, size_t len);
ssize_t lt_write(lt_process *p, uint64_t addr, const void *buf, size_t len);

lt_process *lt_thread_process(const lt_thread *t);
pid_t lt_thread_tid(const lt_thread *t);
lt_state lt_thread_state(const lt_thread *t);
int lt_thread_cause(lt_thread *t, lt_cause *c);
/* Registers: cached per stop, written back before the thread resumes. */
int lt_thread_get_regs(lt_thread *t, arch_regs *r);
int lt_thread_set_regs(lt_thread *t, const arch_regs *r);
int lt_thread_step(lt_thread *t);
int lt_thread_peek(lt_thread *t, uint64_t addr, void *buf, size_t len, size_t *done);
int lt_thread_poke(lt_thread *t, uint64_t addr, const void *buf, size_t len, size_t *done);
/* Floating-point and vector registers (PTRACE_GETFPREGS), cached per stop;
 * a set writes through to the thread at once (PTRACE_SETFPREGS). */
int lt_thread_get_fpregs(lt_thread *t, arch_fpregs *f);
int lt_thread_set_fpregs(lt_thread *t, const arch_fpregs *f);
/* The siginfo of the signal a thread stopped with (kernel's view). */
int lt_thread_siginfo(lt_thread *t, siginfo_t *si);
/* Sends a signal to one thread (tgkill). */
int lt_thread_kill(lt_thread *t, int signo);
/* The signal the next cont delivers (0: none). */
int lt_thread_signal(const lt_thread *t);
int lt_thread_set_signal(lt_thread *t, int signo);

/* Symbols. Modules are re-read from /proc/PID/maps when the process has
 * stopped since the last look (a library may have been loaded). */
const lt_modules *lt_process_modules(lt_process *p);
/* Where the module prefix of "module:name" ends: the first ':' that is
 * not half of a "::" nor inside brackets ("[abi:cxx11]"); 0 when none. */
size_t lt_split_where(const char *spec);
typedef struct {
  uint64_t addr; /* after load bias; an IFUNC's implementation */
  const lt_sym *sym;
  const lt_module *mod;
} lt_location;
/* Every location `spec` names: "name" or "module:name" (basename, path, or
 * a prefix up to a dot). A linkage name is searched in the executable, the
 * libraries in map order, the loader last, and the first module holding
 * it wins; else the demangled signature or qualified name (every
 * overload) in every module (lt_symtab_find). Fills up to max, returns
 * how many there are; fails with LT_ENOSYM. */
int lt_lookup(lt_process *p, const char *spec, lt_location *out, size_t max);
/* The first of lt_lookup's locations. */
int lt_symbol(lt_process *p, const char *spec, uint64_t *addr, const lt_module **mod);
/* Name and module of the symbol containing addr; 0 when none. */
int lt_symbolize(lt_process *p, uint64_t addr, const lt_sym **sym, const lt_module **mod);
/* Told before and after each object's symbols are read (lt_modules.loading). */
void lt_process_on_symbols(lt_process *p, void (*fn)(void *ud, const char *path, uint64_t size, int done),
                           void *ud);
/* Time spent reading symbol tables, and how many objects were read. */
double lt_process_symbols_time(const lt_process *p, size_t *objects);

/* Go code (gofunc.c). Where a probe on the function at addr goes: past
 * the stack-check prologue of a Go function (so a call that grows the
 * stack is seen once), addr itself anywhere else. */
uint64_t lt_probe_address(lt_process *p, uint64_t addr);
/* Is the thread's pc in Go code using Go's register ABI? 1, 0, -1. */
int lt_thread_go_code(lt_thread *t);
/* Does the code at pc take Go's register ABI? 1 or 0. */
int lt_code_go_abi(lt_process *p, uint64_t pc);
/* Integer argument n (1-based) at function entry, by the ABI of the code
 * at pc: Go's register sequence in Go code, the C ABI elsewhere. */
int lt_thread_arg(lt_thread *t, int n, uint64_t *v);
/* The running goroutine's id (0 on the runtime's system stacks); fails
 * with LT_ENOTGO outside Go code. */
int lt_thread_goroutine(lt_thread *t, int64_t *goid);
/* A key for the frame at `sp` (0: the thread's sp), an address of the
 * stack the thread runs on: in Go code the goroutine (goid > 0) and sp's
 * (negative) distance from the top of its stack, which stay the same when
 * the runtime moves the stack; elsewhere goid 0 and sp. Depths compare as
 * sp does: a larger depth is an older frame. */
int lt_thread_frame(lt_thread *t, uint64_t sp, int64_t *goid, int64_t *depth);

/* USDT probes (usdt.c). At a stop on a USDT probe's address: its provider,
 * name and argument count, and argument n (1-based) decoded from the
 * note's spec (size, signedness, register, memory or constant). Fail
 * with LT_ENOTUSDT at any other stop. */
int lt_thread_usdt_probe(lt_thread *t, const char **provider, const char **name, int *nargs);
int lt_thread_probe_arg(lt_thread *t, int n, int64_t *v);
/* Adds delta to the program's semaphore (an unsigned short) at addr and
 * remembers lutra's share, which detach takes back. */
int lt_usdt_semaphore(lt_process *p, uint64_t addr, int delta);
void lt_usdt_release_all(lt_process *p);

/* Syscall tracing: every thread resumes with PTRACE_SYSCALL and stops at
 * entry and exit. `filter` is a bitmap of syscall numbers (LT_NSYSCALLS
 * bits) or NULL for all; unlisted calls are resumed inside the engine. */
#define LT_NSYSCALLS 1024
int lt_trace_syscalls(lt_process *p, int on, const uint8_t *filter);
/* Whether a filter may use a seccomp filter in a spawned process (default
 * yes); whether lutra's seccomp filter is in p (it is then never detached:
 * killed at cleanup, its forks followed). */
void lt_process_set_seccomp(lt_process *p, int allowed);
int lt_process_seccomp(const lt_process *p);
/* A child that cannot be let go: lutra's seccomp filter is in it, or it
 * shares its parent's memory (a clone with CLONE_VM, not a vfork). */
int lt_process_must_follow(const lt_process *p);
/* At a syscall-entry stop: skip the call; the program sees `ret`. */
int lt_thread_skip_syscall(lt_thread *t, int64_t ret);
const char *lt_syscall_name(long nr);     /* NULL when unknown */
long lt_syscall_number(const char *name); /* -1 when unknown */

/* Source lines and unwinding (libdwfl, loaded on first use). */
int lt_source_lines(lt_process *p, const char *file, int line, uint64_t *addrs, size_t max);
int lt_source_of(lt_process *p, uint64_t addr, const char **file, int *line);
/* Return addresses of a stopped thread, innermost first; the count. */
int lt_backtrace(lt_thread *t, uint64_t *pcs, size_t max);

/* Probes that do not stop the program (probe.c; docs/DESIGN-NOTES.md,
 * "Probes in the program"): a jump at a function's first instruction (after
 * its endbr64) to a trampoline that counts, fills a histogram, writes an
 * entry record or tests a condition before it traps, in the program. */
typedef struct lt_counter lt_counter;
#define LT_HIST_SLOTS 66 /* 65 power-of-two buckets (bucket 0: values < 1), then the drops */
/* A counter (buckets 0) or a histogram (LT_HIST_SLOTS), of the tracer:
 * it sums the calls of every process and address space it is placed in. */
lt_counter *lt_counter_new(lt_tracer *tr, int hist);
void lt_counter_free(lt_counter *c);
/* Its 1 or LT_HIST_SLOTS values, summed over its regions. */
void lt_counter_read(const lt_counter *c, uint64_t *out);
int lt_counter_slots(const lt_counter *c);

typedef enum { LT_PROBE_COUNT, LT_PROBE_HIST, LT_PROBE_TRAP, LT_PROBE_ENTRY } lt_probe_kind;
typedef struct {
  lt_probe_kind kind;
  const char *cond;    /* COUNT, TRAP: NULL for always */
  const char *value;   /* HIST */
  lt_counter *counter; /* COUNT, HIST */
  uint32_t tag;        /* ENTRY: written into each record */
  int nargs;           /* ENTRY: arguments recorded (0..9) */
} lt_probe_spec;
/* Parses an expression (the C ABI's arguments): 0, or -1 with LT_ESYNTAX
 * and "column N: ..." as the message. */
int lt_expr_check(lt_tracer *tr, const char *src);
/* Puts a probe at addr, a function's address (its probe address in Go)
 * or a USDT site, every thread stopped. Returns its id (> 0). Fails with
 * LT_ENOINLINE and the reason where the jump cannot be placed safely (the
 * caller then falls back to an int3), LT_ESYNTAX for a bad expression. */
int lt_probe_add(lt_process *p, uint64_t addr, const lt_probe_spec *s);
/* Takes it away (the bytes come back with the last probe of a site). */
int lt_probe_remove(lt_process *p, int id);
/* A TRAP probe's int3 (a breakpoint of p whose hits are reported at the
 * function's address); 0 for none. */
uint64_t lt_probe_trap(lt_process *p, int id);
/* Which trap a stopped thread hit: its address, or 0 for an ordinary
 * int3 (lt_cause.pc is the function's address in both cases). */
uint64_t lt_thread_trap_site(const lt_thread *t);
/* How many probes of p run inline. */
size_t lt_probe_count(lt_process *p);

/* An expression the tracer evaluates at a stop (the trap fallback), with
 * the argument ABI of the place it was made for. */
typedef struct lt_probe_expr lt_probe_expr;
lt_probe_expr *lt_probe_expr_new(lt_process *p, uint64_t addr, const char *src);
/* 1 with *v; 0: a read faulted or a division by zero (false); -1. */
int lt_probe_expr_eval(lt_thread *t, const lt_probe_expr *e, int64_t *v);
void lt_probe_expr_free(lt_probe_expr *e);

/* Entry records (LT_PROBE_ENTRY), from the ring the process and the
 * children it follows share, in the order the calls reserved them. */
typedef struct {
  double time; /* lt_now()'s clock */
  pid_t tid;
  uint32_t tag;
  uint64_t ret; /* the return address */
  uint64_t args[9];
} lt_entry;
size_t lt_ring_drain(lt_process *p, lt_entry *out, size_t max);
/* Records lost so far: the ring was full, or a writer went before it
 * published what it had reserved. */
uint64_t lt_ring_dropped(lt_process *p);

const char *lt_signal_name(int signo);  /* "SIGUSR1"; NULL when unknown */
int lt_signal_number(const char *name); /* accepts "SIGUSR1" or "USR1"; 0 when unknown */

#endif
