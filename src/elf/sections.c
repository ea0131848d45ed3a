/* sections.c: an ELF file's section by its name, for the readers that look
 * for one of their own (.gopclntab, .go.buildinfo, .stapsdt.base). */
#include "sections.h"

#include <string.h>

Elf_Scn *lt_elf_section(Elf *e, const char *name, GElf_Shdr *sh) {
  size_t shstrndx;
  if (elf_getshdrstrndx(e, &shstrndx) != 0) return NULL;
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(e, scn))) {
    if (!gelf_getshdr(scn, sh)) continue;
    const char *n = elf_strptr(e, shstrndx, sh->sh_name);
    if (n && strcmp(n, name) == 0) return scn;
  }
  return NULL;
}
