/* memory.c: reading and writing a tracee's memory as it is, int3 bytes
 * included (breakpoint.c shows the program's own). Data moves through
 * process_vm_readv; writes (text included) and protected pages go through
 * /proc/PID/mem, which honours ptrace access rather than page protection. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

/* A leader that called pthread_exit is a zombie without memory: its
 * /proc/PID/mem fails with ESRCH. The process's memory is then reached
 * through a live thread's /proc/PID/task/TID/mem (the file holds the
 * memory, not the thread: it stays valid when that thread ends). */
static int open_through_task(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  int fd = -1;
  struct dirent *e;
  while (fd < 0 && (e = readdir(d))) {
    int tid = atoi(e->d_name);
    if (tid <= 0 || tid == (int)pid) continue;
    char mem[96];
    snprintf(mem, sizeof mem, "/proc/%d/task/%d/mem", (int)pid, tid);
    fd = open(mem, O_RDWR | O_CLOEXEC);
  }
  closedir(d);
  return fd;
}

int lt_mem_open(lt_tracer *tr, pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ESRCH) {
    fd = open_through_task(pid);
    if (fd < 0) errno = ESRCH;
  }
  if (fd < 0) return lt_fail_errno(tr, "open %s", path);
  return fd;
}

ssize_t lt_mem_read_raw(lt_process *p, uint64_t addr, void *buf, size_t len) {
  struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
  ssize_t n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
  if (n == (ssize_t)len) return n;
  /* Pages readable to the tracer but not to the program, or a partial
   * read: /proc/PID/mem stops exactly at the first unmapped byte. */
  size_t done = n > 0 ? (size_t)n : 0;
  while (done < len) {
    ssize_t m = pread(p->memfd, (char *)buf + done, len - done, (off_t)(addr + done));
    if (m <= 0) {
      if (m == 0) errno = EIO;
      break;
    }
    done += (size_t)m;
  }
  return done ? (ssize_t)done : -1;
}

ssize_t lt_mem_write_fd(int memfd, uint64_t addr, const void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t m = pwrite(memfd, (const char *)buf + done, len - done, (off_t)(addr + done));
    if (m <= 0) {
      if (m == 0) errno = EIO;
      break;
    }
    done += (size_t)m;
  }
  return done ? (ssize_t)done : -1;
}

ssize_t lt_mem_write_raw(lt_process *p, uint64_t addr, const void *buf, size_t len) {
  return lt_mem_write_fd(p->memfd, addr, buf, len);
}

int lt_mem_fail(lt_process *p, const char *what, uint64_t addr, size_t len) {
  int err = errno;
  if (err == EIO || err == EFAULT || err == ENOMEM) err = EFAULT;
  errno = err;
  return lt_fail(p->tracer, err, "process %d: cannot %s %zu bytes at 0x%llx: %s", (int)p->pid, what, len,
                 (unsigned long long)addr, err == EFAULT ? "address not mapped" : strerror(err));
}
