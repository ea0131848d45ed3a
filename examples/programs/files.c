/* files.c: the program examples/open_args.lua traces. It opens files the
 * ways programs do: fopen, open with and without O_CREAT, openat. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char path[4096];
  FILE *f = fopen("/etc/hostname", "r");
  if (f) fclose(f);
  int fd = open("/nonexistent/lutra.conf", O_RDONLY);
  if (fd >= 0) close(fd);
  snprintf(path, sizeof path, "%s/files-demo.out", dir);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
  if (fd >= 0) close(fd);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  fd = openat(dfd, "files-demo.out", O_RDONLY);
  if (fd >= 0) close(fd);
  close(dfd);
  unlink(path);
  return 0;
}
