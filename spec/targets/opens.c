/* opens.c: opens each file named on the command line and prints, per file,
 * "PATH ok" or "PATH ERRNO-NAME": the oracle for syscall tracing specs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd >= 0) {
      printf("%s ok\n", argv[i]);
      close(fd);
    } else {
      printf("%s %s\n", argv[i], strerrorname_np(errno));
    }
  }
  return 0;
}
