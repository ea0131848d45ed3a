/* dwarf.h: source lines and CFI unwinding for one process, through
 * elfutils' libdwfl (which also finds separate debug files by build-id
 * under /usr/lib/debug and through .gnu_debuglink). */
#ifndef LUTRA_DWARF_H
#define LUTRA_DWARF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct lt_dwarf lt_dwarf;

/* Reports the modules of `pid` from /proc/PID/maps. NULL on failure. */
lt_dwarf *lt_dwarf_open(pid_t pid, char *err, size_t errlen);
int lt_dwarf_refresh(lt_dwarf *d);
void lt_dwarf_close(lt_dwarf *d);

/* Addresses where `line` of `file` (a path or its last components)
 * begins: the lowest statement address in each function that has code
 * for it (inlined copies included). Returns the count (0: no code there),
 * -1 when no module has line tables for that file. */
int lt_dwarf_lines(lt_dwarf *d, const char *file, int line, uint64_t *addrs, size_t max);

/* The source line of an address; 0 when unknown. */
int lt_dwarf_source(lt_dwarf *d, uint64_t addr, const char **file, int *line);

/* Unwinds a stopped thread by CFI (frame pointers where there is none):
 * return addresses, innermost first. Returns the count, -1 on failure. */
int lt_dwarf_backtrace(lt_dwarf *d, pid_t tid, uint64_t *pcs, size_t max, char *err, size_t errlen);

#endif
