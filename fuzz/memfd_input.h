/* memfd_input.h: the fuzzers' input as a file the readers can open: the
 * bytes in a memfd, named by its /proc/self/fd path. */
#ifndef LUTRA_MEMFD_INPUT_H
#define LUTRA_MEMFD_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The memfd (to close), its path in `path`; -1 when it cannot be made. */
static inline int memfd_input(const uint8_t *data, size_t size, char *path, size_t len) {
  int fd = memfd_create("elf", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return -1;
  }
  snprintf(path, len, "/proc/self/fd/%d", fd);
  return fd;
}

#endif
