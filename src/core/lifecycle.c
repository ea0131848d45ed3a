/* lifecycle.c: attaching to a running process (every thread), detaching
 * (every int3 removed first), killing, and freeing a process at the end of
 * its tracing, which kills a spawned one and lets an attached one go. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* The fields of a /proc stat file after the command name (which may hold
 * spaces and parentheses, so the last ')' ends it), read into buf; NULL
 * when the file is gone or cut short. */
static const char *stat_fields(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "re");
  if (!f) return NULL;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && rp[1] == ' ' ? rp + 2 : NULL;
}

/* A thread's state letter (R, S, t, Z...), 0 when it is gone. */
static char thread_status(pid_t pid, pid_t tid) {
  char path[96], buf[512];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
  const char *fields = stat_fields(path, buf, sizeof buf);
  return fields ? fields[0] : 0;
}

/* The tracer of one thread (TracerPid), 0 when none or unknown. */
static pid_t tracer_of(pid_t pid, pid_t tid) {
  char path[96], line[256];
  snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
  FILE *f = fopen(path, "re");
  int tracer = 0;
  if (f) {
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "TracerPid: %d", &tracer) == 1) break;
    fclose(f);
  }
  return (pid_t)tracer;
}

/* A thread that exited between the listing and its PTRACE_SEIZE answers
 * EPERM, not ESRCH, while it is a zombie (the kernel refuses to attach a
 * task with an exit state). */
static bool exited_meanwhile(pid_t pid, pid_t tid) {
  char st = thread_status(pid, tid);
  return st == 0 || st == 'Z' || st == 'X';
}

/* The parent of a process (/proc/PID/stat), 0 when unknown. */
static pid_t parent_of(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  const char *fields = stat_fields(path, buf, sizeof buf);
  int ppid = 0;
  if (!fields || sscanf(fields, "%*c %d", &ppid) != 1) return 0;
  return (pid_t)ppid;
}

/* How many generations above lutra pid is (1: its parent), 0 when it is
 * not an ancestor. Tracing an ancestor freezes both: it waits for lutra
 * (its child, or its child's child) while lutra holds it stopped, and
 * lutra's output may be a pipe it would read. */
static int ancestor_generations(pid_t pid) {
  int gen = 1;
  for (pid_t a = getppid(); a > 0 && gen < 4096; a = parent_of(a), gen++) {
    if (a == pid) return gen;
    if (a == 1) break;
  }
  return 0;
}

/* tid is the thread whose PTRACE_SEIZE failed (the leader's TracerPid is
 * lutra's own once the leader is seized). */
static int attach_fail_eperm(lt_tracer *tr, pid_t pid, pid_t tid) {
  char why[160] = "";
  pid_t tracer = tracer_of(pid, tid);
  if (tracer > 0) {
    snprintf(why, sizeof why, " (already traced by process %d)", (int)tracer);
  } else {
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
    int scope = 0;
    if (f) {
      if (fscanf(f, "%d", &scope) != 1) scope = 0;
      fclose(f);
    }
    if (scope > 0)
      snprintf(why, sizeof why, " (/proc/sys/kernel/yama/ptrace_scope is %d)", scope);
    else
      snprintf(why, sizeof why, " (not your process, or another tracer?)");
  }
  return lt_fail(tr, EPERM, "cannot attach to %d: %s%s", (int)pid, strerror(EPERM), why);
}

/* A thread already traced by lutra itself: one of the threads seized a
 * moment ago created it, so the kernel attached it at birth
 * (PTRACE_O_TRACECLONE), and its creator's clone event has not been read
 * yet. It is ours: its first stop (PTRACE_EVENT_STOP) is on its way, or
 * came already and waits among the orphans; the clone event, when it is
 * read, finds it known (decode.c). Seizing it again would fail with EPERM. */
static int adopt_born_traced(lt_process *p, pid_t tid) {
  lt_thread *t = lt_thread_new(p, tid, LT_STOPPING);
  if (!t) return -1;
  int st;
  if (lt_tracer_take_orphan(p->tracer, tid, &st)) lt_handle_status(p->tracer, t, st);
  return 0;
}

/* Seizes every thread listed in /proc/PID/task, again and again until a
 * listing brings nothing new; zombies and threads that vanish are skipped. */
static int attach_threads(lt_process *p) {
  lt_tracer *tr = p->tracer;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)p->pid);
  for (bool again = true; again;) {
    again = false;
    DIR *d = opendir(path);
    if (!d) {
      if (errno == ENOENT) return lt_fail(tr, ESRCH, "cannot attach to %d: no such process", (int)p->pid);
      return lt_fail_errno(tr, "cannot attach to %d: %s", (int)p->pid, path);
    }
    struct dirent *e;
    while ((e = readdir(d))) {
      pid_t tid = (pid_t)atoi(e->d_name);
      if (tid <= 0 || hm_get(&p->threads, (uint64_t)tid)) continue;
      if (thread_status(p->pid, tid) == 'Z') continue;
      if (lt_ptrace_q(tr, PTRACE_SEIZE, tid, 0, (void *)(long)LT_PTRACE_OPTIONS) < 0) {
        int err = errno;
        if (err == ESRCH && tid != p->pid) continue; /* exited meanwhile */
        if (err == EPERM && tid != p->pid && exited_meanwhile(p->pid, tid)) continue;
        if (err == EPERM && tid != p->pid && tracer_of(p->pid, tid) == getpid()) {
          if (adopt_born_traced(p, tid) < 0) {
            closedir(d);
            return -1;
          }
          again = true;
          continue;
        }
        closedir(d);
        if (err == EPERM) return attach_fail_eperm(tr, p->pid, tid);
        if (err == ESRCH) return lt_fail(tr, ESRCH, "cannot attach to %d: no such process", (int)p->pid);
        errno = err;
        return lt_fail_errno(tr, "cannot attach to %d: ptrace(SEIZE) thread %d", (int)p->pid, (int)tid);
      }
      lt_thread *t = lt_thread_new(p, tid, LT_RUNNING);
      if (!t || lt_thread_interrupt(t) < 0) {
        closedir(d);
        return -1;
      }
      again = true;
    }
    closedir(d);
  }
  return 0;
}

lt_process *lt_attach(lt_tracer *tr, pid_t pid) {
  if (pid <= 0) {
    lt_fail(tr, ESRCH, "cannot attach to %d: not a process id (pids are positive)", (int)pid);
    return NULL;
  }
  if (pid == getpid()) {
    lt_fail(tr, EPERM, "cannot attach to %d: it is lutra itself", (int)pid);
    return NULL;
  }
  int up = ancestor_generations(pid);
  if (up == 1) {
    lt_fail(tr, EPERM,
            "cannot attach to %d: it is lutra's parent (tracing a process that waits for lutra "
            "freezes both)",
            (int)pid);
    return NULL;
  }
  if (up > 1) {
    lt_fail(tr, EPERM,
            "cannot attach to %d: it is an ancestor of lutra, %d generations up (tracing a process "
            "that waits for lutra freezes both)",
            (int)pid, up);
    return NULL;
  }
  if (kill(pid, 0) < 0 && errno == ESRCH) {
    lt_fail(tr, ESRCH, "cannot attach to %d: no such process", (int)pid);
    return NULL;
  }
  if (thread_status(pid, pid) == 'Z' && hm_get(&tr->tids, (uint64_t)pid) == NULL) {
    /* A zombie leader with no live thread is a dead process. */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    int live = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
      if (atoi(e->d_name) > 0 && thread_status(pid, (pid_t)atoi(e->d_name)) != 'Z') live++;
    if (d) closedir(d);
    if (!live) {
      lt_fail(tr, ESRCH, "cannot attach to %d: process is a zombie", (int)pid);
      return NULL;
    }
  }
  char exe[64];
  snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid);
  if (lt_elf_class(exe) == ELFCLASS32) { /* ia32 emulation: registers, syscalls, symbols lutra cannot read */
    lt_fail(tr, LT_EBADELF, "cannot attach to %d: 32-bit programs are not supported", (int)pid);
    return NULL;
  }
  lt_process *p = lt_process_new(tr, pid, false);
  if (!p) return NULL;
  p->state = LT_PS_RUNNING;
  if (attach_threads(p) < 0 || (p->memfd = lt_mem_open(tr, pid)) < 0 || lt_stop(p) < 0) {
    lt_saved_error e;
    lt_error_save(tr, &e);
    lt_process_free(p);
    lt_error_restore(tr, &e);
    return NULL;
  }
  lt_events_clear(p); /* attaching is not an event: start the first round clean */
  return p;
}

/* Is one of our int3 traps pending for t (it executed the int3, but an
 * interrupt reported it first: get_signal() handles job control traps
 * before dequeuing signals)? PEEKSIGINFO reads without dequeuing. */
static bool trap_pending(lt_thread *t) {
  struct __ptrace_peeksiginfo_args args = {.off = 0, .flags = 0, .nr = 8};
  siginfo_t si[8];
  long n = lt_ptrace_q(t->proc->tracer, PTRACE_PEEKSIGINFO, t->tid, &args, si);
  for (long i = 0; i < n; i++)
    if (si[i].si_signo == SIGTRAP && si[i].si_code == SI_KERNEL) return true;
  return false;
}

/* Before lutra's int3s leave, every thread that executed one must have
 * taken its trap: once detached, the SIGTRAP would kill the program. Such
 * a thread is resumed into its trap and comes back at the breakpoint. */
static int drain_traps(lt_process *p) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (t->state != LT_STOPPED || lt_thread_load_regs(t) < 0) continue;
    lt_breakpoint *bp = lt_bp_at(p, arch_breakpoint_addr(arch_pc(&t->regs)));
    if (!bp || !bp->inserted || !trap_pending(t)) continue;
    if (lt_run_alone(t, PTRACE_CONT, -1) < 0) return -1;
  }
  return 0;
}

/* A thread that PTRACE_DETACH could not reach (ESRCH: it was no longer
 * in its stop) or that was let go inside its exit is still ours: another
 * thread, detached a moment before, called exit_group and SIGKILL woke
 * it. It is on its way to its exit stop (PTRACE_O_TRACEEXIT) or to its
 * end: wait for that and detach it there, or reap it, so that no thread
 * of a detached program stays in a ptrace stop nobody will end. */
static void let_go_dying(lt_tracer *tr, pid_t tid, double deadline) {
  for (;;) {
    int st;
    if (lt_wait_event(tr, tid, &st, deadline) <= 0) return; /* reaped elsewhere, or given up on */
    if (!WIFSTOPPED(st)) return;                            /* its end: reaped */
    int sig = WSTOPSIG(st);
    bool deliver = (st >> 16) == 0 && sig != SIGTRAP && sig != (SIGTRAP | 0x80);
    if (lt_ptrace_q(tr, PTRACE_DETACH, tid, 0, (void *)(long)(deliver ? sig : 0)) == 0) return;
  }
}

static int detach(lt_process *p) {
  lt_tracer *tr = p->tracer;
  if (p->state == LT_PS_DETACHED) return 0;
  if (p->seccomp && p->state != LT_PS_EXITED)
    return lt_fail(tr, LT_EMISUSE,
                   "cannot detach process %d: lutra's seccomp filter (syscall tracing) stays in it and "
                   "would make its traced syscalls fail with ENOSYS; kill it or run it to its end",
                   (int)p->pid);
  if (p->state == LT_PS_EXITED) return lt_fail(tr, LT_EEXITED, "process exited");
  if (p->state == LT_PS_RUNNING && lt_stop(p) < 0) return -1;
  if (p->state == LT_PS_EXITED) return lt_fail(tr, LT_EEXITED, "process exited");
  if (lt_process_unpark_all(p) < 0) return -1; /* PTRACE_DETACH wants a real stop */
  if (p->state == LT_PS_EXITED) return lt_fail(tr, LT_EEXITED, "process exited");
  drain_traps(p);
  if (p->state == LT_PS_EXITED) return lt_fail(tr, LT_EEXITED, "process exited");
  lt_usdt_release_all(p); /* the USDT semaphores lutra raised */
  /* A saved byte goes back only where its object still is: never into
   * what an unloaded library's range holds now. */
  lt_forget_unmapped(p, NULL);
  int rc = lt_patch_restore_all(p); /* probes' jumps, then every int3 (their traps too) */
  if (lt_bp_restore_all(p) < 0) rc = -1;
  uint64_t k;
  void *v;
  pid_t *dying = calloc(p->threads.len + 1, sizeof *dying);
  size_t ndying = 0;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (t->state == LT_EXITING && t->tid != p->pid && dying) dying[ndying++] = t->tid;
    if (!lt_state_is_stopped(t->state)) continue;
    lt_thread_flush_regs(t);
    if (lt_ptrace_q(p->tracer, PTRACE_DETACH, t->tid, 0, (void *)(long)t->signal) < 0) {
      if (errno == ESRCH && dying)
        dying[ndying++] = t->tid;
      else if (errno != ESRCH && rc == 0)
        rc = lt_fail_errno(tr, "ptrace(DETACH) thread %d", (int)t->tid);
    }
  }
  for (size_t i = 0; i < ndying; i++) let_go_dying(tr, dying[i], lt_now() + 5);
  free(dying);
  lt_process_forget_breakpoints(p);
  lt_process_drop_threads(p, LT_DETACHED);
  p->state = LT_PS_DETACHED;
  lt_pin_release(p);
  if (p->memfd >= 0) close(p->memfd);
  p->memfd = -1;
  return rc;
}

/* Detaching is cleanup: a pending interruption (the SIGINT that made the
 * script give up) must not cut it short, or threads would be let go with
 * their registers still in lutra's cache (a pc rewound onto a breakpoint,
 * an emulated push). The interruption is kept for whoever waits next. */
int lt_detach(lt_process *p) {
  lt_tracer *tr = p->tracer;
  sig_atomic_t pending = tr->interrupted;
  tr->interrupted = 0;
  int rc = detach(p);
  /* Its hidden vfork children share the memory it has just cleaned: they
   * have nothing left to be traced for. */
  for (lt_process *q = tr->procs, *next; rc == 0 && q; q = next) {
    next = q->next;
    if (q->hidden && q->mem_owner == p) {
      q->mem_owner = NULL;
      if (q->state == LT_PS_STOPPED || q->state == LT_PS_RUNNING) detach(q);
      lt_process_destroy(q);
    }
  }
  if (pending) tr->interrupted = 1;
  return rc;
}

int lt_kill(lt_process *p) {
  lt_tracer *tr = p->tracer;
  if (p->state == LT_PS_EXITED) return 0;
  if (p->state == LT_PS_DETACHED) return lt_fail(tr, LT_EMISUSE, "process %d is detached", (int)p->pid);
  if (kill(p->pid, SIGKILL) < 0 && errno != ESRCH) return lt_fail_errno(tr, "kill(%d, SIGKILL)", (int)p->pid);
  p->dying = true;
  lt_wait_exit(p, 5); /* a tracee that will not die: given up on */
  lt_events_clear(p);
  if (p->state != LT_PS_EXITED) {
    p->state = LT_PS_EXITED;
    lt_process_forget_breakpoints(p);
  }
  if (!p->exit_signal && !p->exited_normally) p->exit_signal = SIGKILL;
  return 0;
}

void lt_process_free(lt_process *p) {
  if (!p) return;
  /* A spawned process dies with its tracer; an attached one never does:
   * if the orderly detach fails, its bytes are restored and it is let go. */
  if (p->state == LT_PS_STOPPED || p->state == LT_PS_RUNNING) {
    if (p->spawned || p->seccomp) {
      lt_kill(p);
    } else if (lt_detach(p) < 0 && p->state != LT_PS_DETACHED) {
      lt_patch_restore_all(p);
      lt_bp_restore_all(p);
      uint64_t k;
      void *v;
      for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
        lt_thread *t = v;
        if (lt_state_is_stopped(t->state)) lt_thread_flush_regs(t);
        lt_ptrace_q(p->tracer, PTRACE_DETACH, t->tid, 0, 0);
      }
    }
  }
  lt_typed_free(p);
  lt_process_destroy(p);
}
