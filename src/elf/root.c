/* root.c: where a traced process's files are seen from lutra: through
 * /proc/PID/root when it lives in another mount namespace or chroot. */
#include "root.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void lt_root_of(pid_t pid, char *root, size_t len) {
  char mine[64] = "", theirs[64] = "", path[64];
  root[0] = 0;
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
  ssize_t a = readlink("/proc/self/ns/mnt", mine, sizeof mine - 1);
  ssize_t b = readlink(path, theirs, sizeof theirs - 1);
  if (a > 0) mine[a] = 0;
  if (b > 0) theirs[b] = 0;
  /* a link lutra may not read (another user's process) says nothing: the
   * paths are taken as they are, as before */
  bool other_ns = a > 0 && b > 0 && strcmp(mine, theirs) != 0;
  struct stat r1, r2;
  snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
  bool other_root =
      stat("/", &r1) == 0 && stat(path, &r2) == 0 && (r1.st_dev != r2.st_dev || r1.st_ino != r2.st_ino);
  if (other_ns || other_root) snprintf(root, len, "%s", path);
}
