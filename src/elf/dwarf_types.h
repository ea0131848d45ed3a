/* dwarf_types.h: C and C++ types from DWARF type DIEs (libdw), built on
 * first use and cached per DWARF file; names as the program writes them. */
#ifndef LUTRA_DWARF_TYPES_H
#define LUTRA_DWARF_TYPES_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  LT_TY_VOID,
  LT_TY_INT,  /* signed integer */
  LT_TY_UINT, /* unsigned integer */
  LT_TY_BOOL,
  LT_TY_CHAR,  /* char, signed char: printed as characters */
  LT_TY_UCHAR, /* unsigned char */
  LT_TY_FLOAT, /* float, double, long double */
  LT_TY_POINTER,
  LT_TY_REF, /* C++ & and && */
  LT_TY_ARRAY,
  LT_TY_STRUCT, /* struct and class */
  LT_TY_UNION,
  LT_TY_ENUM,
  LT_TY_TYPEDEF,
  LT_TY_CONST,
  LT_TY_VOLATILE,
  LT_TY_FUNCTION,
  LT_TY_OTHER, /* pointers to members, complex numbers... */
} lt_tykind;

typedef struct lt_type lt_type;
typedef struct lt_types lt_types;

typedef struct {
  const char *name;  /* NULL: an anonymous struct or union, or a base class */
  uint64_t bit_pos;  /* from the start of the object */
  uint32_t bit_size; /* 0: not a bitfield */
  int is_base;       /* a C++ base class (name is NULL; its type names it) */
  const lt_type *type;
} lt_member;

typedef struct {
  const char *name;
  int64_t value;
} lt_enumerator;

struct lt_type {
  lt_tykind kind;
  const char *name; /* the type's own name, qualified in C++ (NULL: anonymous) */
  uint64_t size;    /* bytes; 0 when unknown (incomplete, void, function) */
  int incomplete;   /* a declaration only: its members are not known */
  int is_class;     /* "class" rather than "struct" */
  int is_cxx;       /* from a C++ unit: no struct/union/enum keyword in names */
  int rvalue;       /* REF: && */
  int pass_by_ref;  /* DW_AT_calling_convention says: passed by invisible reference */
  int64_t count;    /* ARRAY: elements, -1 unknown */
  /* private to dwarf_types.c */
  Dwarf_Die die;
  int has_die, target_done, members_done, enums_done, cc_done;
  lt_type *
      target; /* POINTER, REF, ARRAY element, TYPEDEF, CONST, VOLATILE, ENUM (underlying), FUNCTION (return) */
  lt_member *members;
  size_t nmembers;
  lt_enumerator *enums;
  size_t nenums;
  char *written; /* lt_type_name's answer */
  lt_type *next_owned;
};

lt_types *lt_types_new(void);
void lt_types_free(lt_types *c);

/* The type a DIE describes (a DW_TAG_*_type DIE); NULL on failure. */
const lt_type *lt_type_of(lt_types *c, Dwarf_Die *die);
/* The type of a DIE with a DW_AT_type (a variable, a member...): void
 * when it has none. */
const lt_type *lt_type_attr(lt_types *c, Dwarf_Die *die);
const lt_type *lt_type_void(lt_types *c);
/* What a pointer, reference, array, typedef, qualifier points to, is made
 * of or names; a function's return type; void when none. */
const lt_type *lt_type_target(lt_types *c, const lt_type *t);
/* Through typedefs and const/volatile. */
const lt_type *lt_type_strip(lt_types *c, const lt_type *t);
/* The size in bytes, through typedefs and qualifiers; arrays of a known
 * count times their element's. */
uint64_t lt_type_size(lt_types *c, const lt_type *t);
size_t lt_type_members(lt_types *c, const lt_type *t, const lt_member **out);
size_t lt_type_enumerators(lt_types *c, const lt_type *t, const lt_enumerator **out);
/* Whether the C++ ABI passes (and returns) an object of this class by
 * invisible reference: DW_AT_calling_convention, else what the class
 * declares (a destructor, a copy or move constructor, a virtual function,
 * such a member or base), as the Itanium ABI rules. */
int lt_type_by_reference(lt_types *c, const lt_type *t);
/* "ns::Outer::name": `name` qualified by the C++ scopes around a DIE
 * (malloc'd). */
char *lt_type_qualify(Dwarf_Die *die, const char *name);
/* The type as written: "const struct order *", "int (*)(int)", "char [16]". */
const char *lt_type_name(lt_types *c, const lt_type *t);

/* A declaration of `name` with that type: "const struct order *o",
 * "int (*cb)(int)", "char label[16]". Returns the length snprintf would. */
size_t lt_type_declare(lt_types *c, const lt_type *t, const char *name, char *buf, size_t len);

#endif
