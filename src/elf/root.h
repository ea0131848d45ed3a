/* root.h: where a traced process's files are seen from lutra, for a
 * process in another mount namespace or chroot (a container). */
#ifndef LUTRA_ROOT_H
#define LUTRA_ROOT_H

#include <stddef.h>
#include <sys/types.h>

/* Writes "" to root when pid shares lutra's mount namespace and root
 * directory, else "/proc/PID/root": the prefix under which the paths of
 * its /proc/PID/maps name its own files. */
void lt_root_of(pid_t pid, char *root, size_t len);

#endif
