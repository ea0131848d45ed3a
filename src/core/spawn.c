/* spawn.c: starting a program traced from birth: the child stops itself
 * before exec and is seized there, so that no instruction of the program
 * runs untraced; exec failures come back as an errno. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <elf.h>
#include <unistd.h>

#include "internal.h"

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
    int st;
    lt_wait_tid(tr, pid, &st);
  }
  /* Say what to do about the common failures. */
  const char *hint = "";
  struct stat sb;
  if (err == ENOENT && !strchr(what, '/'))
    hint = " (not found in PATH)";
  else if (err == EACCES && stat(what, &sb) == 0 && S_ISDIR(sb.st_mode))
    hint = " (it is a directory)";
  else if (err == EACCES)
    hint = " (is it executable? chmod +x, or a noexec mount)";
  else if (err == ENOEXEC)
    hint = " (not an x86_64 ELF executable nor a #! script)";
  errno = err;
  lt_fail(tr, err, "cannot spawn %s: %s%s", what, strerror(err), hint);
  return NULL;
}

/* What the exec'ing child wrote into the pipe: the errno of its failure. */
static int child_errno(int fd) {
  int err = 0;
  ssize_t n = read(fd, &err, sizeof err);
  close(fd);
  return n == sizeof err ? err : ECHILD;
}

/* At its exec stop, before its first instruction: a 32-bit program (ia32
 * emulation) is killed and reaped, nothing of it left. lutra reads
 * registers, syscalls and symbols as x86_64's only. */
static int refuse_32bit(lt_tracer *tr, pid_t pid, const char *name) {
  char exe[64];
  snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid);
  if (lt_elf_class(exe) != ELFCLASS32) return 0;
  kill(pid, SIGKILL);
  for (;;) { /* through its exit stop, if any, to its end */
    int st;
    if (lt_wait_tid(tr, pid, &st) < 0 || !WIFSTOPPED(st)) break;
    lt_ptrace_q(tr, PTRACE_CONT, pid, 0, 0);
  }
  return lt_fail(tr, LT_EBADELF, "cannot spawn %s: 32-bit programs are not supported", name);
}

/* A signal the child gets before its exec stop other than the SIGCONT
 * that wakes it: the one an execve failing past its point of no return
 * kills it with (a truncated ELF: SIGSEGV). It is delivered: held back,
 * the child would run on in the half-built image and fault again, forever. */
static int exec_signal(int st) {
  if (!WIFSTOPPED(st) || (st >> 16) != 0) return 0;
  int sig = WSTOPSIG(st);
  return sig == SIGCONT || sig == SIGSTOP || sig == SIGTRAP ? 0 : sig;
}

/* The child died of a signal with nothing in the errno pipe: its execve
 * went past the point of no return (the old image gone, close-on-exec
 * done) and then failed, which the kernel ends with SIGSEGV. As untraced
 * and under strace ("+++ killed by SIGSEGV +++"), that is the program's
 * end, not a failure to spawn: a process that has exited of it. */
static lt_process *died_in_exec(lt_tracer *tr, pid_t pid, int signo) {
  lt_process *p = lt_process_new(tr, pid, true);
  if (!p) return NULL;
  p->state = LT_PS_EXITED;
  p->exit_signal = signo;
  p->exited_normally = false;
  return p;
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
  if (lt_wait_child_stop(tr, pid, &st) < 0) err = tr->errcode;
  if (!err && !WIFSTOPPED(st)) /* the child failed before its stop */
    return spawn_fail(tr, -1, child_errno(pfd[0]), name);
  if (!err &&
      lt_ptrace_q(tr, PTRACE_SEIZE, pid, 0, (void *)(long)(LT_PTRACE_OPTIONS | PTRACE_O_EXITKILL)) < 0)
    err = errno;
  if (!err && kill(pid, SIGCONT) < 0) err = errno;
  /* Resume through the group-stop, the SIGCONT and the stops around them
   * until the exec stop (PTRACE-NOTES.md). */
  while (!err) {
    if (lt_wait_event(tr, pid, &st, -1) < 0) {
      err = tr->errcode;
      break;
    }
    if (WIFSIGNALED(st)) {
      int e = child_errno(pfd[0]);
      if (e == ECHILD) return died_in_exec(tr, pid, WTERMSIG(st)); /* reaped */
      return spawn_fail(tr, -1, e, name);
    }
    if (WIFEXITED(st)) return spawn_fail(tr, -1, child_errno(pfd[0]), name); /* reaped */
    if ((st >> 16) == PTRACE_EVENT_EXEC) break;
    if (lt_ptrace_q(tr, PTRACE_CONT, pid, 0, (void *)(long)exec_signal(st)) < 0) err = errno;
  }
  close(pfd[0]);
  if (err) return spawn_fail(tr, pid, err, name);
  if (refuse_32bit(tr, pid, name) < 0) return NULL;
  lt_process *p = lt_process_new(tr, pid, true);
  if (!p) return spawn_fail(tr, pid, ENOMEM, name);
  lt_thread *main_thread = lt_thread_new(p, pid, LT_STOPPED);
  if (main_thread) main_thread->at_exec = true;
  if (!main_thread || (p->memfd = lt_mem_open(tr, pid)) < 0) {
    int e = tr->errcode;
    lt_process_destroy(p);
    return spawn_fail(tr, pid, e, name);
  }
  if (o->pin) lt_pin_hold(p, cpu);
  return p;
}
