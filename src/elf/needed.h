/* needed.h: the shared libraries an ELF program is linked against, found
 * as the dynamic loader finds them, without running anything. */
#ifndef LUTRA_NEEDED_H
#define LUTRA_NEEDED_H

#include <stddef.h>

/* The paths of the libraries `path` needs, directly or through others
 * (each once, in breadth-first order). Fills *out (malloc'd strings in a
 * malloc'd array) and returns the count; -1 when path cannot be read.
 * A library that cannot be found is left out. */
int lt_elf_needed(const char *path, char ***out);
void lt_elf_needed_free(char **list, int n);

#endif
