/* getppids.c: N getppid() syscalls (argv[1]), then opens /etc/hostname
 * once; prints "done". For the seccomp-filtered syscall tracing specs. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000;
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  int fd = open("/etc/hostname", O_RDONLY);
  if (fd >= 0) close(fd);
  puts("done");
  return 0;
}
