/* sections.h: an ELF file's section by its name (libelf). */
#ifndef LUTRA_SECTIONS_H
#define LUTRA_SECTIONS_H

#include <gelf.h>

/* The first section named `name`, its header in *sh; NULL when none. */
Elf_Scn *lt_elf_section(Elf *e, const char *name, GElf_Shdr *sh);

#endif
