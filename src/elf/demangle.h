/* demangle.h: C++ and Rust linkage names as the source writes them
 * (libiberty's demangler), and a user's name spelled the demangler's way. */
#ifndef LUTRA_DEMANGLE_H
#define LUTRA_DEMANGLE_H

#include <stddef.h>

/* The forms of one demangled linkage name, each a malloc'd string:
 * `display` as c++filt and rustc-demangle's alternate form print it (C++
 * with its parameters, a template function with its return type; Rust
 * without the legacy hash), `sig` the signature a user writes (no return
 * type: "ns::tf<int>(int)"), `base` the qualified name without parameters
 * ("ns::Klass::method"). */
typedef struct {
  char *display;
  char *sig;
  char *base;
  int clone; /* a compiler's clone (".cold", ".isra.0"...): never "an overload" */
} lt_demangled;

/* 1 and the forms when `linkage` is a C++ (Itanium ABI) or Rust (legacy or
 * v0) name, 0 when it is not mangled, -1 when memory ran out. */
int lt_demangle(const char *linkage, lt_demangled *out);
void lt_demangled_free(lt_demangled *d);
/* The display form alone (malloc'd), NULL when not mangled or no memory. */
char *lt_demangle_display(const char *linkage);

/* Could `name` be a linkage name that lt_demangle reads (_Z..., _R...)? */
int lt_is_mangled(const char *name);

/* Writes `name` as the demangler spells C++ names, so that what a user
 * typed compares with lt_demangle's forms: whitespace as the demangler
 * puts it, cv-qualifiers after the type they qualify ("const char*" is
 * "char const*"), integer types in one spelling ("long unsigned int" is
 * "unsigned long"), "(void)" as "()", and a few standard typedefs by what
 * they name (std::string, size_t, uint64_t, ... on LP64 Linux). Returns
 * the length, or -1 when `out` is too small. */
int lt_spell(const char *name, char *out, size_t outlen);
/* lt_spell into a malloc'd string; NULL when memory ran out. */
char *lt_spell_dup(const char *name);

#endif
