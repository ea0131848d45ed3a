/* typed.h: values with their DWARF types in a stopped program (arguments,
 * variables, globals, return values) and what can be done with one: the
 * engine's interface for them, beside lutra.h. */
#ifndef LUTRA_TYPED_H
#define LUTRA_TYPED_H

#include "lutra.h"
#include "../elf/dwarf_types.h"

/* The most bytes a value that is not in memory may have. */
#define LT_VALUE_MAX 512

typedef enum {
  LT_VAL_MEMORY, /* at addr: read when asked for */
  LT_VAL_BYTES,  /* held: registers, constants, computed values */
} lt_val_where;

typedef struct {
  const lt_type *type;
  lt_types *types; /* the cache the type belongs to */
  lt_val_where where;
  uint64_t addr;              /* MEMORY */
  size_t nbytes;              /* BYTES */
  const uint8_t *bytes;       /* BYTES */
  const uint8_t *avail;       /* BYTES: 0 where the optimiser kept nothing */
  uint32_t bit_pos, bit_size; /* a bitfield: bits [bit_pos, bit_pos + bit_size) */
  const char *why;            /* a value with nothing known: why (a static string) */
  int loaded;                 /* BYTES read from memory at addr (lt_value_load) */
  int fault;                  /* reached through a pointer that could not be read */
  uint64_t fault_addr;
} lt_value;

typedef struct {
  uint8_t bytes[LT_VALUE_MAX];
  uint8_t avail[LT_VALUE_MAX];
} lt_valbuf;

typedef enum { LT_SC_INT, LT_SC_UINT, LT_SC_FLOAT, LT_SC_BOOL, LT_SC_POINTER } lt_scalar_kind;
typedef struct {
  lt_scalar_kind kind;
  int64_t i;
  uint64_t u;
  double f;
} lt_scalar;

/* The function a stopped thread is in, by its DWARF. */
typedef struct {
  const char *name;
  uint64_t entry; /* runtime address of its first instruction */
  size_t nparams;
  int at_entry; /* stopped at that first instruction */
} lt_frame_info;
int lt_thread_function(lt_thread *t, lt_frame_info *fi);

/* The parameters of the function the thread is in, in declaration order:
 * at its first instruction where the ABI passes them, elsewhere through
 * their DWARF locations. fn is called once for each. The count, or -1
 * (LT_ENODWARF without DWARF for the pc). */
typedef void (*lt_param_fn)(void *ud, const char *name, const lt_value *v);
int lt_thread_args(lt_thread *t, lt_param_fn fn, void *ud);
/* A parameter, local or global visible at the thread's pc. LT_ENOSYM,
 * LT_EOPTIMIZED, LT_ENODWARF. */
int lt_thread_var(lt_thread *t, const char *name, lt_value *v, lt_valbuf *buf);
int lt_process_global(lt_process *p, const char *name, lt_value *v, lt_valbuf *buf);
/* At the return site of the function whose first instruction is at
 * fn_entry: its returned value. 0 and nothing for a void function. */
int lt_thread_return_value(lt_thread *t, uint64_t fn_entry, lt_value *v, lt_valbuf *buf);
/* The n-th floating-point argument register (xmm0..xmm7), as the
 * function's DWARF says (float or double), else as a double. */
int lt_thread_float_arg(lt_thread *t, int n, double *out);
/* The symbol containing a runtime address, for printing pointers: 1 and
 * its name (demangled) and the offset into it, 0 when none. */
int lt_process_symbol_at(lt_process *p, uint64_t addr, char *name, size_t len, uint64_t *off);
/* "int price(const struct order *o, double discount)" for the function at
 * a runtime address. */
int lt_process_signature(lt_process *p, uint64_t addr, char *buf, size_t len);

/* Signatures read from an ELF file without a process. */
typedef struct lt_sigfile lt_sigfile;
lt_sigfile *lt_sigfile_open(const char *path, char *err, size_t errlen, int *code);
void lt_sigfile_free(lt_sigfile *f);
/* 1 and the signature of the function at a file address, 0 when its
 * DWARF does not have it. */
int lt_sigfile_signature(lt_sigfile *f, uint64_t addr, char *buf, size_t len);
const char *lt_sigfile_warning(lt_sigfile *f);
/* Each function symbol matching a glob, with its signature (NULL when its
 * DWARF lacks it), at its link-time address. Returns the count. */
typedef void (*lt_sig_fn)(void *ud, const char *name, uint64_t addr, const char *signature);
int lt_sigfile_functions(lt_sigfile *f, const char *glob, lt_sig_fn cb, void *ud);

/* Values (value.c). Failures leave the tracer's message and code:
 * EFAULT for memory that cannot be read, LT_EOPTIMIZED for what the
 * optimiser did not keep, LT_EMISUSE for an operation the type has not. */
int lt_value_member(lt_process *p, const lt_value *v, const char *name, lt_value *out, lt_valbuf *buf);
int lt_value_index(lt_process *p, const lt_value *v, int64_t i, lt_value *out, lt_valbuf *buf);
int lt_value_deref(lt_process *p, const lt_value *v, lt_value *out, lt_valbuf *buf);
/* The i-th member of a struct or union as lt_type_members lists it. */
int lt_value_field(lt_process *p, const lt_value *v, size_t i, lt_value *out, lt_valbuf *buf);
int lt_value_scalar(lt_process *p, const lt_value *v, lt_scalar *s);
int lt_value_pointer(lt_process *p, const lt_value *v, uint64_t *addr);
/* The string a char pointer or array holds, at most max bytes (up to its
 * NUL, or the array's end); *truncated when max stopped it. */
int lt_value_string(lt_process *p, const lt_value *v, char *buf, size_t max, size_t *len, int *truncated);
/* A NUL-terminated string at addr, at most max bytes. */
int lt_read_cstring(lt_process *p, uint64_t addr, char *buf, size_t max, size_t *len, int *truncated);
/* The kind name of a type, as lt_value_kind gives it. */
const char *lt_type_kind_name(lt_types *c, const lt_type *t);
/* A copy of a value in memory, read at once (for printing its members
 * with one read): 1 and *out, 0 when it is not in memory or too large. */
int lt_value_load(lt_process *p, const lt_value *v, lt_value *out, lt_valbuf *buf);
/* The value's bytes (its type's size). */
int lt_value_bytes(lt_process *p, const lt_value *v, uint8_t *out, size_t len);
/* The Lua-facing kind name: "int", "struct", "pointer"... */
const char *lt_value_kind(const lt_value *v);

#endif
