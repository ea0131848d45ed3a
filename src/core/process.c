/* process.c: a traced process: spawn (seized from birth), attach (every
 * thread), detach, kill, and the accessors of its state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* A mapped ELF object lutra cannot read: said once per file, on stderr
 * (the engine's only output: a user must know why a name is unknown). */
static void module_warning(void *ud, const char *msg) {
  lt_process *p = ud;
  fprintf(stderr, "lutra: warning: process %d: %s\n", (int)p->pid, msg);
}

static lt_process *process_new(lt_tracer *tr, pid_t pid, bool spawned) {
  lt_process *p = calloc(1, sizeof *p);
  if (!p) {
    lt_fail(tr, ENOMEM, "out of memory");
    return NULL;
  }
  p->tracer = tr;
  p->pid = pid;
  p->spawned = spawned;
  p->state = LT_PS_STOPPED;
  p->memfd = -1;
  hm_init(&p->threads);
  hm_init(&p->breakpoints);
  hm_init(&p->ifuncs);
  lt_modules_init(&p->mods);
  p->mods.warn = module_warning;
  p->mods.warn_ud = p;
  lt_tracer_link(tr, p);
  return p;
}

static int open_mem(lt_process *p) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)p->pid);
  p->memfd = open(path, O_RDWR | O_CLOEXEC);
  if (p->memfd < 0) return lt_fail_errno(p->tracer, "open %s", path);
  return 0;
}

/* execve through PATH, without execvp's fallback of running a file that
 * is not a program with /bin/sh: that must be ENOEXEC. Returns errno. */
static int exec_path(char *const *argv, char *const *envp) {
  const char *name = argv[0];
  if (strchr(name, '/')) {
    execve(name, argv, envp);
    return errno;
  }
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  int err = ENOENT;
  char buf[4096];
  for (const char *p = path; *p;) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len + strlen(name) + 2 < sizeof buf) {
      memcpy(buf, len ? p : ".", len ? len : 1);
      size_t n = len ? len : 1;
      buf[n] = '/';
      strcpy(buf + n + 1, name);
      execve(buf, argv, envp);
      if (errno != ENOENT && errno != ENOTDIR) err = errno;
      if (errno == ENOEXEC) return errno;
    }
    if (!end) break;
    p = end + 1;
  }
  return err;
}

/* Child side of spawn: never returns. Failures go to the parent as an errno
 * through the close-on-exec pipe. */
static void child_exec(const lt_spawn_opts *o, int errfd, int cpu) {
  int err = 0;
  if (cpu >= 0) { /* failure only costs speed */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    sched_setaffinity(0, sizeof one, &one);
  }
  for (int fd = 0; fd < 3 && !err; fd++) {
    if (!o->stdio[fd]) continue;
    int nfd = open(o->stdio[fd], fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (nfd < 0 || dup2(nfd, fd) < 0) err = errno;
    if (nfd > 2) close(nfd);
  }
  if (!err && o->cwd && chdir(o->cwd) < 0) err = errno;
  if (!err && !o->aslr && personality(ADDR_NO_RANDOMIZE) < 0) err = errno;
  if (!err) {
    raise(SIGSTOP); /* the parent seizes us here */
    err = exec_path(o->argv, o->envp ? o->envp : environ);
  }
  ssize_t w = write(errfd, &err, sizeof err);
  (void)w;
  _exit(127);
}

static lt_process *spawn_fail(lt_tracer *tr, pid_t pid, int err, const char *what) {
  if (pid > 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {
    }
  }
  /* Say what to do about the common failures. */
  const char *hint = "";
  struct stat sb;
  if (err == ENOENT && !strchr(what, '/')) hint = " (not found in PATH)";
  else if (err == EACCES && stat(what, &sb) == 0 && S_ISDIR(sb.st_mode)) hint = " (it is a directory)";
  else if (err == EACCES) hint = " (is it executable? chmod +x, or a noexec mount)";
  else if (err == ENOEXEC) hint = " (not an x86_64 ELF executable nor a #! script)";
  errno = err;
  lt_fail(tr, err, "cannot spawn %s: %s%s", what, strerror(err), hint);
  return NULL;
}

lt_process *lt_spawn(lt_tracer *tr, const lt_spawn_opts *o) {
  const char *name = o->argv && o->argv[0] ? o->argv[0] : "";
  if (!*name) return spawn_fail(tr, -1, EINVAL, "(empty argv)");
  int cpu = o->pin ? lt_pin_choose(tr) : -1;
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0) return spawn_fail(tr, -1, errno, name);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(pfd[0]);
    close(pfd[1]);
    return spawn_fail(tr, -1, err, name);
  }
  if (pid == 0) {
    close(pfd[0]);
    child_exec(o, pfd[1], cpu);
  }
  close(pfd[1]);
  int st, err = 0;
  while (waitpid(pid, &st, WUNTRACED) < 0) {
    if (errno != EINTR) {
      err = errno;
      break;
    }
  }
  if (!err && !WIFSTOPPED(st)) { /* the child failed before its stop */
    ssize_t n = read(pfd[0], &err, sizeof err);
    close(pfd[0]);
    return spawn_fail(tr, -1, n == sizeof err ? err : ECHILD, name);
  }
  if (!err && ptrace(PTRACE_SEIZE, pid, 0, LT_PTRACE_OPTIONS | PTRACE_O_EXITKILL) < 0)
    err = errno;
  if (!err && kill(pid, SIGCONT) < 0) err = errno;
  /* Resume through the group-stop, the SIGCONT and the stops around them
   * until the exec stop (PTRACE-NOTES.md). */
  while (!err) {
    if (waitpid(pid, &st, __WALL) < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      ssize_t n = read(pfd[0], &err, sizeof err);
      if (n != sizeof err) err = ECHILD;
      close(pfd[0]);
      return spawn_fail(tr, -1, err, name); /* already reaped */
    }
    if ((st >> 16) == PTRACE_EVENT_EXEC) break;
    if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) err = errno;
  }
  close(pfd[0]);
  if (err) return spawn_fail(tr, pid, err, name);
  lt_process *p = process_new(tr, pid, true);
  if (!p) return spawn_fail(tr, pid, ENOMEM, name);
  lt_thread *main_thread = lt_thread_new(p, pid, LT_STOPPED);
  if (main_thread) main_thread->at_exec = true;
  if (!main_thread || open_mem(p) < 0) {
    int e = tr->errcode;
    lt_process_free(p);
    return spawn_fail(tr, pid, e, name);
  }
  if (o->pin) lt_pin_hold(p, cpu);
  return p;
}

static char thread_status(pid_t pid, pid_t tid) {
  char path[96], buf[512];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')'); /* the command name may hold spaces */
  return rp && rp[1] == ' ' ? rp[2] : 0;
}

static int attach_fail_eperm(lt_tracer *tr, pid_t pid) {
  char path[64], line[256], why[160] = "";
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "re");
  int tracer = 0;
  if (f) {
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "TracerPid: %d", &tracer) == 1) break;
    fclose(f);
  }
  if (tracer > 0) {
    snprintf(why, sizeof why, " (already traced by process %d)", tracer);
  } else {
    f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
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
      if (ptrace(PTRACE_SEIZE, tid, 0, LT_PTRACE_OPTIONS) < 0) {
        int err = errno;
        if (err == ESRCH && tid != p->pid) continue; /* exited meanwhile */
        closedir(d);
        if (err == EPERM) return attach_fail_eperm(tr, p->pid);
        if (err == ESRCH) return lt_fail(tr, ESRCH, "cannot attach to %d: no such process", (int)p->pid);
        errno = err;
        return lt_fail_errno(tr, "cannot attach to %d: ptrace(SEIZE) thread %d", (int)p->pid, (int)tid);
      }
      lt_thread *t = lt_thread_new(p, tid, LT_STOPPING);
      if (!t) {
        closedir(d);
        return -1;
      }
      if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) == 0) t->interrupt_pending = true;
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
  lt_process *p = process_new(tr, pid, false);
  if (!p) return NULL;
  p->state = LT_PS_RUNNING;
  if (attach_threads(p) < 0 || open_mem(p) < 0 || lt_stop(p) < 0) {
    char msg[sizeof tr->errmsg];
    int code = tr->errcode;
    memcpy(msg, tr->errmsg, sizeof msg);
    lt_process_free(p);
    memcpy(tr->errmsg, msg, sizeof msg);
    tr->errcode = code;
    return NULL;
  }
  /* Attaching is not an event: start the first round clean. */
  for (size_t i = 0; i < p->nevents; i++) p->events[i]->in_events = false;
  p->nevents = 0;
  return p;
}

static void drop_threads(lt_process *p, lt_state final) {
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    lt_tracer_del_thread(p->tracer, t);
    t->state = final;
    free(t);
  }
  hm_free(&p->threads);
  p->ndead = 0;
  p->nevents = 0;
}

/* Is one of our int3 traps pending for t (it executed the int3, but an
 * interrupt reported it first: get_signal() handles job control traps
 * before dequeuing signals)? PEEKSIGINFO reads without dequeuing. */
static bool trap_pending(lt_thread *t) {
  struct __ptrace_peeksiginfo_args args = {.off = 0, .flags = 0, .nr = 8};
  siginfo_t si[8];
  long n = ptrace(PTRACE_PEEKSIGINFO, t->tid, &args, si);
  for (long i = 0; i < n; i++)
    if (si[i].si_signo == SIGTRAP && si[i].si_code == SI_KERNEL) return true;
  return false;
}

/* Before lutra's int3s leave, every thread that executed one must have
 * taken its trap: once detached, the SIGTRAP would kill the program. Such
 * a thread is resumed into its trap and comes back at the breakpoint. */
static int drain_traps(lt_process *p) {
  lt_tracer *tr = p->tracer;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (t->state != LT_STOPPED || lt_thread_load_regs(t) < 0) continue;
    lt_breakpoint *bp = lt_bp_at(p, arch_breakpoint_addr(arch_pc(&t->regs)));
    if (!bp || !bp->inserted || !trap_pending(t)) continue;
    if (lt_thread_resume(t, PTRACE_CONT, 0) < 0) continue;
    lt_thread_set_state(t, LT_RUNNING);
    while (t->state == LT_RUNNING) {
      int st;
      int r = lt_wait_event(tr, t->tid, &st, -1);
      if (r < 0 && tr->errcode == EINTR) continue;
      if (r < 0) return -1;
      lt_handle_status(tr, t, st);
    }
  }
  return 0;
}

static int detach(lt_process *p);

/* Detaching is cleanup: a pending interruption (the SIGINT that made the
 * script give up) must not cut it short, or threads would be let go with
 * their registers still in lutra's cache (a pc rewound onto a breakpoint,
 * an emulated push). The interruption is kept for whoever waits next. */
int lt_detach(lt_process *p) {
  lt_tracer *tr = p->tracer;
  sig_atomic_t pending = tr->interrupted;
  tr->interrupted = 0;
  int rc = detach(p);
  if (pending) tr->interrupted = 1;
  return rc;
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
  drain_traps(p);
  if (p->state == LT_PS_EXITED) return lt_fail(tr, LT_EEXITED, "process exited");
  int rc = lt_bp_restore_all(p);
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (!lt_state_is_stopped(t->state)) continue;
    lt_thread_flush_regs(t);
    if (ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)t->signal) < 0 && errno != ESRCH && rc == 0)
      rc = lt_fail_errno(tr, "ptrace(DETACH) thread %d", (int)t->tid);
  }
  lt_bp_forget_all(p);
  drop_threads(p, LT_DETACHED);
  p->state = LT_PS_DETACHED;
  lt_pin_release(p);
  if (p->memfd >= 0) close(p->memfd);
  p->memfd = -1;
  return rc;
}

int lt_kill(lt_process *p) {
  lt_tracer *tr = p->tracer;
  if (p->state == LT_PS_EXITED) return 0;
  if (p->state == LT_PS_DETACHED)
    return lt_fail(tr, LT_EMISUSE, "process %d is detached", (int)p->pid);
  if (kill(p->pid, SIGKILL) < 0 && errno != ESRCH)
    return lt_fail_errno(tr, "kill(%d, SIGKILL)", (int)p->pid);
  /* Reap every thread; stops that still come in are let go. */
  while (p->state != LT_PS_EXITED) {
    int st;
    int r = lt_wait_event(tr, -1, &st, lt_now() + 5);
    if (r <= 0) {
      if (r < 0 && tr->errcode == EINTR) continue;
      break; /* ECHILD or a tracee that will not die: give up */
    }
    lt_thread *t = lt_tracer_thread(tr, r);
    if (!t) continue;
    if (t->proc != p) {
      lt_handle_status(tr, t, st);
      continue;
    }
    if (WIFSTOPPED(st)) {
      ptrace(PTRACE_CONT, t->tid, 0, 0);
      continue;
    }
    lt_handle_status(tr, t, st);
  }
  p->nevents = 0;
  if (p->state != LT_PS_EXITED) {
    p->state = LT_PS_EXITED;
    lt_bp_forget_all(p);
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
      lt_bp_restore_all(p);
      uint64_t k;
      void *v;
      for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
        lt_thread *t = v;
        if (lt_state_is_stopped(t->state)) lt_thread_flush_regs(t);
        ptrace(PTRACE_DETACH, t->tid, 0, 0);
      }
    }
  }
  lt_bp_forget_all(p);
  lt_process_free_dead(p);
  drop_threads(p, LT_EXITED);
  if (p->memfd >= 0) close(p->memfd);
  lt_modules_free(&p->mods);
  hm_free(&p->ifuncs);
  lt_dwarf_close(p->dwarf);
  lt_pin_release(p);
  lt_tracer_unlink(p->tracer, p);
  free(p->events);
  free(p->dead);
  free(p->scratch);
  free(p->sys_filter);
  free(p->seccomp_set);
  free(p);
}

lt_process *lt_process_adopt(lt_process *parent, pid_t child, bool vfork) {
  lt_tracer *tr = parent->tracer;
  lt_process *c = process_new(tr, child, parent->spawned);
  if (!c) return NULL;
  c->follow_fork = parent->follow_fork;
  c->shares_memory = vfork;
  c->trace_syscalls = false;
  if (parent->seccomp) { /* the filter is inherited */
    c->seccomp_set = malloc(LT_NSYSCALLS / 8);
    if (c->seccomp_set) {
      memcpy(c->seccomp_set, parent->seccomp_set, LT_NSYSCALLS / 8);
      c->seccomp = true;
    }
  }
  if (!lt_thread_new(c, child, LT_STOPPED) || open_mem(c) < 0) {
    c->state = LT_PS_DETACHED; /* nothing to kill or detach from us */
    lt_process_free(c);
    return NULL;
  }
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&parent->breakpoints, &i, &k, &v);) {
    lt_breakpoint *bp = malloc(sizeof *bp);
    if (!bp) continue;
    *bp = *(lt_breakpoint *)v;
    if (hm_put(&c->breakpoints, k, bp) < 0) free(bp);
  }
  if (parent->nscratch) {
    c->scratch = malloc(parent->nscratch * sizeof *c->scratch);
    if (c->scratch) {
      memcpy(c->scratch, parent->scratch, parent->nscratch * sizeof *c->scratch);
      c->nscratch = parent->nscratch;
    }
  }
  if (parent->pinned) lt_pin_hold(c, tr->pin_cpu);
  return c;
}

lt_process *lt_tracer_process(lt_tracer *tr, pid_t pid) {
  for (lt_process *p = tr->procs; p; p = p->next)
    if (p->pid == pid) return p;
  return NULL;
}

lt_tracer *lt_process_tracer(const lt_process *p) { return p->tracer; }
pid_t lt_process_pid(const lt_process *p) { return p->pid; }
lt_pstate lt_process_state(const lt_process *p) { return p->state; }
int lt_process_spawned(const lt_process *p) { return p->spawned; }
int lt_process_must_follow(const lt_process *p) { return p->must_follow; }
const lt_stats *lt_process_stats(const lt_process *p) { return &p->stats; }

int lt_process_exit(const lt_process *p, int *code, int *signo) {
  *code = p->exit_code;
  *signo = p->exit_signal;
  return p->exited_normally;
}

static int by_tid(const void *a, const void *b) {
  pid_t x = (*(lt_thread *const *)a)->tid, y = (*(lt_thread *const *)b)->tid;
  return (x > y) - (x < y);
}

size_t lt_process_threads(const lt_process *p, lt_thread **out, size_t max) {
  size_t n = 0;
  uint64_t k;
  void *v;
  for (size_t i = 0; hm_next(&p->threads, &i, &k, &v);) {
    lt_thread *t = v;
    if (t->state == LT_EXITING || t->state == LT_EXITED || t->state == LT_DETACHED) continue;
    if (n < max) out[n] = t;
    n++;
  }
  qsort(out, n < max ? n : max, sizeof *out, by_tid);
  return n;
}

size_t lt_process_nthreads(const lt_process *p) { return p->threads.len; }

lt_thread *lt_process_thread(const lt_process *p, pid_t tid) {
  return hm_get(&p->threads, (uint64_t)tid);
}
