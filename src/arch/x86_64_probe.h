/* x86_64_probe.h: what the two files of x86_64 probes share (private to
 * src/arch): the relocated copy is emitted by x86_64_reloc.c into the
 * trampoline that x86_64_tramp.c builds. */
#ifndef LUTRA_X86_64_PROBE_H
#define LUTRA_X86_64_PROBE_H

#include "arch.h"

/* The relocated instructions of r to run at `at`, then the jump back to
 * site + r->len. Returns the length written into out (at most cap), or -1
 * with *why; offs[i] is instruction i's offset in the copy. */
int x86_reloc_emit(const arch_reloc *r, uint64_t site, uint64_t at, uint8_t *out, size_t cap, uint32_t *offs,
                   const char **why);

#endif
