/* dwarf_file.h: the DWARF of one ELF file, found as libdwfl finds it (the
 * file itself, a build-id or debuglink file, debuginfod), opened once, with
 * its call frame information and an index of its units by address. */
#ifndef LUTRA_DWARF_FILE_H
#define LUTRA_DWARF_FILE_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

#include "dwarf_types.h"

typedef struct lt_dwfile lt_dwfile;

/* Opens `path`. Never NULL but on memory exhaustion: a file without
 * DWARF gives an object whose lt_dwfile_dwarf() is NULL. */
lt_dwfile *lt_dwfile_open(const char *path);
void lt_dwfile_free(lt_dwfile *f);
const char *lt_dwfile_path(const lt_dwfile *f);
Dwarf *lt_dwfile_dwarf(lt_dwfile *f);
lt_types *lt_dwfile_types(lt_dwfile *f);
/* CFI for a file address: .debug_frame first, then .eh_frame. NULL when
 * neither covers it. */
int lt_dwfile_cfa_frame(lt_dwfile *f, uint64_t pc, Dwarf_Frame **frame);
/* The compilation unit covering a file address: 1 and *cu, 0 when none. */
int lt_dwfile_cu_at(lt_dwfile *f, uint64_t pc, Dwarf_Die *cu);
/* Visits every unit (for the index of globals); stops when fn returns
 * nonzero. */
void lt_dwfile_each_cu(lt_dwfile *f, int (*fn)(void *ud, Dwarf_Die *cu), void *ud);

/* What went wrong with the file's DWARF (a corrupt .debug_info), once:
 * the message the first time it is asked for, then NULL. */
const char *lt_dwfile_take_warning(lt_dwfile *f);
/* Records a problem found while reading (kept for take_warning). */
void lt_dwfile_note_corrupt(lt_dwfile *f, const char *what);

/* Counters for docs/PERFORMANCE.md: units indexed, bytes of .debug_info. */
typedef struct {
  size_t units, ranges;
  double index_s; /* time spent building the unit index */
} lt_dwfile_stats;
const lt_dwfile_stats *lt_dwfile_stats_of(const lt_dwfile *f);

#endif
