/* sys.c: N getppid() syscalls (argv[1], default 1,000,000), made with
 * syscall(2) so that no C library cache can answer them. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  long s = 0;
  for (long i = 0; i < n; i++) s += syscall(SYS_getppid);
  printf("%d\n", s > 0);
  return 0;
}
