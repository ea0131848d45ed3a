/* memory.c: reading and writing a tracee's memory. Data moves through
 * process_vm_readv; writes (text included) and protected pages go through
 * /proc/PID/mem, which honours ptrace access rather than page protection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

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

ssize_t lt_mem_write_raw(lt_process *p, uint64_t addr, const void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t m = pwrite(p->memfd, (const char *)buf + done, len - done, (off_t)(addr + done));
    if (m <= 0) {
      if (m == 0) errno = EIO;
      break;
    }
    done += (size_t)m;
  }
  return done ? (ssize_t)done : -1;
}

static int mem_fail(lt_process *p, const char *what, uint64_t addr, size_t len) {
  int err = errno;
  if (err == EIO || err == EFAULT || err == ENOMEM) err = EFAULT;
  errno = err;
  return lt_fail(p->tracer, err, "process %d: cannot %s %zu bytes at 0x%llx: %s",
                 (int)p->pid, what, len, (unsigned long long)addr,
                 err == EFAULT ? "address not mapped" : strerror(err));
}

static int check_alive(lt_process *p) {
  if (p->state == LT_PS_EXITED)
    return lt_fail(p->tracer, ESRCH, "process %d has exited", (int)p->pid);
  if (p->state == LT_PS_DETACHED)
    return lt_fail(p->tracer, ESRCH, "process %d is detached", (int)p->pid);
  return 0;
}

ssize_t lt_read(lt_process *p, uint64_t addr, void *buf, size_t len) {
  if (check_alive(p) < 0) return -1;
  if (len == 0) return 0;
  ssize_t n = lt_mem_read_raw(p, addr, buf, len);
  if (n > 0) lt_bp_shadow(p, addr, buf, (size_t)n);
  if (n < (ssize_t)len) mem_fail(p, "read", n > 0 ? addr + (uint64_t)n : addr, len - (n > 0 ? (size_t)n : 0));
  return n;
}

ssize_t lt_write(lt_process *p, uint64_t addr, const void *buf, size_t len) {
  if (check_alive(p) < 0) return -1;
  if (len == 0) return 0;
  uint8_t *copy = malloc(len);
  if (!copy) return lt_fail(p->tracer, ENOMEM, "out of memory");
  memcpy(copy, buf, len);
  /* A breakpoint under the write stays: its saved byte takes the new value. */
  if (p->breakpoints.len) {
    for (size_t i = 0; i < len; i++) {
      lt_breakpoint *bp = lt_bp_at(p, addr + i);
      if (bp && bp->inserted) {
        bp->orig = copy[i];
        bp->planned = false; /* the instruction changed: decode it again */
        bp->slot_ready = false;
        copy[i] = ARCH_BREAKPOINT_BYTE;
      }
    }
  }
  ssize_t n = lt_mem_write_raw(p, addr, copy, len);
  free(copy);
  if (n < (ssize_t)len) mem_fail(p, "write", n > 0 ? addr + (uint64_t)n : addr, len - (n > 0 ? (size_t)n : 0));
  return n;
}
