/* usdt.h: the SystemTap SDT probes of one ELF file (.note.stapsdt), as
 * <sys/sdt.h> writes them: provider, name, address, semaphore, and the
 * argument specs ("-4@%eax 8@-8(%rbp) 4@$5"). */
#ifndef LUTRA_USDT_H
#define LUTRA_USDT_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *provider;
  const char *name;
  const char *args;   /* the argument specs, space-separated ("" for none) */
  uint64_t pc;        /* link-time address of the probe's nop */
  uint64_t semaphore; /* link-time address of its unsigned short counter, 0 none */
} lt_usdt_probe;

typedef struct lt_usdt_notes {
  lt_usdt_probe *probes;
  size_t n;
  char *strings;
} lt_usdt_notes;

/* The probes of an ELF file; NULL when it has none (or memory ran out). */
lt_usdt_notes *lt_usdt_read(Elf *e);
void lt_usdt_free(lt_usdt_notes *u);
/* The probe whose nop is at pc (link-time), or NULL. */
const lt_usdt_probe *lt_usdt_at(const lt_usdt_notes *u, uint64_t pc);

/* One argument spec: its size in bytes (1, 2, 4, 8), signedness, and the
 * operand text. Returns 0, or -1 when the probe has no argument n (1-based)
 * or its spec is not of the form [-]N@OPERAND. */
typedef struct {
  int size;
  int is_signed;
  const char *operand;
  size_t operand_len;
} lt_usdt_arg;
int lt_usdt_arg_spec(const lt_usdt_probe *p, int n, lt_usdt_arg *out);
/* The number of arguments of a probe. */
int lt_usdt_nargs(const lt_usdt_probe *p);

#endif
