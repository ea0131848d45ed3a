/* dwarf_loc.h: where a variable is at a pc of a frame (location lists,
 * the frame base, the CFA from CFI, entry values from the caller's call
 * sites) and reading its bytes from the pieces it is made of. */
#ifndef LUTRA_DWARF_LOC_H
#define LUTRA_DWARF_LOC_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

#include "dwarf_expr.h"
#include "dwarf_vars.h"

#define LT_DWREGS 67 /* DWARF register numbers kept per frame */

/* What the frames need of the process (runtime addresses). */
typedef struct {
  void *ud;
  int (*mem)(void *ud, uint64_t addr, void *buf, size_t len, char *err, size_t errlen);
  /* The DWARF of the module mapped at a runtime pc and its load bias
   * (runtime = file + bias): 1, or 0 when there is none. */
  int (*module_at)(void *ud, uint64_t pc, lt_dwvars **vars, uint64_t *bias);
  int sp_regno, ra_regno; /* the stack pointer and return address columns */
  uint64_t callee_saved;  /* bit n: the ABI has callees preserve register n */
} lt_dwenv;

typedef struct lt_dwframe {
  const lt_dwenv *env;
  lt_dwvars *vars;
  uint64_t bias;
  uint64_t pc; /* runtime */
  int caller;  /* pc is a return address: code is looked up at pc - 1 */
  uint8_t regs[LT_DWREGS][16];
  uint8_t reg_size[LT_DWREGS]; /* 0: not known in this frame */
  int cfa_state;               /* 0 not computed, 1 known, -1 unknown */
  uint64_t cfa;
  struct lt_dwframe *up; /* the caller, unwound on demand */
  int depth;
} lt_dwframe;

void lt_dwframe_init(lt_dwframe *fr, const lt_dwenv *env, lt_dwvars *vars, uint64_t bias, uint64_t pc);
void lt_dwframe_set_reg(lt_dwframe *fr, int regno, const void *bytes, size_t size);
void lt_dwframe_release(lt_dwframe *fr);

typedef enum {
  LT_PLACE_PIECES,    /* loc */
  LT_PLACE_CONST,     /* DW_AT_const_value: data[0..len) */
  LT_PLACE_OPTIMIZED, /* no location at this pc */
} lt_place_kind;

typedef struct {
  lt_place_kind kind;
  lt_dwloc loc;
  const uint8_t *data;
  size_t len;
  uint8_t cbuf[8]; /* a constant given as a number */
} lt_dwplace;

/* Where `var` is when the frame is at its pc; `fn` is the function whose
 * frame it is (NULL for a static: no frame base then). -1 with a message
 * when its location cannot be evaluated; an entry value that cannot be
 * recovered gives LT_PLACE_OPTIMIZED with the reason in err. */
int lt_dwframe_locate(lt_dwframe *fr, Dwarf_Die *var, const lt_dwfunc *fn, lt_dwplace *out, char *err,
                      size_t errlen);

/* The object of `size` bytes a place describes: in memory at *addr
 * (returns 1), or its bytes read now into bytes[], with avail[i] zero
 * for the bytes the optimiser did not keep (returns 0). -1: a piece
 * could not be read (*addr: where, for a fault). */
int lt_dwframe_read(lt_dwframe *fr, const lt_dwplace *pl, uint64_t size, uint8_t *bytes, uint8_t *avail,
                    uint64_t *addr, char *err, size_t errlen);

#endif
