/* dwarf_expr.h: lutra's DWARF expression evaluator (DWARF 5, 2.5 and 2.6)
 * over operations libdw has decoded; what only the caller knows comes
 * through callbacks (registers, memory, frame base, CFA, entry values). */
#ifndef LUTRA_DWARF_EXPR_H
#define LUTRA_DWARF_EXPR_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

/* Where one piece of an object is. */
typedef enum {
  LT_PIECE_MEMORY,           /* at addr */
  LT_PIECE_REGISTER,         /* in DWARF register regno */
  LT_PIECE_VALUE,            /* its bytes are value[] (DW_OP_stack_value) */
  LT_PIECE_IMPLICIT,         /* its bytes are data[0..len) (DW_OP_implicit_value) */
  LT_PIECE_EMPTY,            /* optimised out */
  LT_PIECE_IMPLICIT_POINTER, /* a pointer to the object of DIE `die` (.debug_info offset), plus offset */
} lt_piece_kind;

typedef struct {
  lt_piece_kind kind;
  uint64_t bits;       /* the piece's size in bits; 0: the whole object (no DW_OP_piece) */
  uint64_t bit_offset; /* DW_OP_bit_piece: offset into the register or value */
  uint64_t addr;       /* MEMORY */
  int regno;           /* REGISTER */
  uint8_t value[8];    /* VALUE, little-endian */
  uint8_t value_size;  /* VALUE: its type's size (8 for the generic type) */
  const uint8_t *data; /* IMPLICIT */
  uint64_t len;
  uint64_t die; /* IMPLICIT_POINTER */
  int64_t offset;
} lt_piece;

#define LT_DWEXPR_MAX_PIECES 32

typedef struct {
  lt_piece pieces[LT_DWEXPR_MAX_PIECES];
  int npieces; /* 0: the expression was empty (optimised out) */
} lt_dwloc;

/* A base type on the typed stack (DWARF 5 DW_OP_convert and friends). */
typedef struct {
  uint8_t size;     /* bytes; 0 is the generic (address-sized) type */
  uint8_t encoding; /* DW_ATE_* */
} lt_dwtype;

/* The callbacks return 0 or -1; on -1 they may leave a message in err. */
typedef struct {
  void *ud;
  /* The value of DWARF register regno: up to 16 bytes, little-endian. */
  int (*reg)(void *ud, int regno, uint8_t *buf, size_t *len, char *err, size_t errlen);
  int (*mem)(void *ud, uint64_t addr, void *buf, size_t len, char *err, size_t errlen);
  /* DW_OP_fbreg's base, DW_OP_call_frame_cfa. */
  int (*frame_base)(void *ud, uint64_t *out, char *err, size_t errlen);
  int (*cfa)(void *ud, uint64_t *out, char *err, size_t errlen);
  /* DW_OP_entry_value (and DW_OP_GNU_parameter_ref): the value the
   * operation's sub-expression had when the function was entered. */
  int (*entry_value)(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen);
  int (*param_ref)(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen);
  /* The base type an operation names (CU-relative DIE offset). */
  int (*base_type)(void *ud, const Dwarf_Op *op, uint64_t cu_off, lt_dwtype *out, char *err, size_t errlen);
  /* DW_OP_implicit_value's and DW_OP_const_type's bytes. */
  int (*block)(void *ud, const Dwarf_Op *op, const uint8_t **data, size_t *len, char *err, size_t errlen);
  /* DW_OP_addrx, DW_OP_constx: the .debug_addr entry. */
  int (*addrx)(void *ud, const Dwarf_Op *op, uint64_t *out, char *err, size_t errlen);
  /* DW_OP_form_tls_address: the address of a thread-local offset. */
  int (*tls)(void *ud, uint64_t offset, uint64_t *out, char *err, size_t errlen);
  uint64_t bias; /* added to DW_OP_addr and DW_OP_addrx (load bias) */
} lt_dwexpr_ctx;

/* Evaluates a location description into pieces. -1 with a message when
 * it cannot be evaluated (a register or memory cannot be read, an
 * operation is unknown or malformed). */
int lt_dwexpr_location(const Dwarf_Op *ops, size_t n, const lt_dwexpr_ctx *ctx, lt_dwloc *out, char *err,
                       size_t errlen);

/* Evaluates a DWARF expression (a CFA rule, DW_AT_call_value, a frame
 * base given as an expression) to the value left on top of the stack;
 * with `push_first`, *value is pushed before the first operation. A
 * register location (DW_OP_regN) gives the register's value. */
int lt_dwexpr_value(const Dwarf_Op *ops, size_t n, const lt_dwexpr_ctx *ctx, uint64_t *value, int push_first,
                    char *err, size_t errlen);

#endif
