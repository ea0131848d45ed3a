/* reload.c: dlopen, dlclose, then dlopen again of the same library at
 * another address (the hostile case "dlclose then dlopen"). argv[1] is the
 * library (libplugin.so). It calls plugin_entry(7) after each load; between
 * the loads it maps a data page of its own over the whole range the
 * library had, filled with 0x5a, so that the second load lands elsewhere
 * and a tracer writing a saved byte "back" into the old range writes into
 * that data. After the second call it calls done_loading() (where a
 * tracer may detach), then checks its page: it prints "plugin=42" twice,
 * then "page intact" and exits 0, or "page modified at +OFF" and exits 1. */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

__attribute__((noinline)) void done_loading(void) { __asm__ volatile(""); }

static int call(const char *lib, struct link_map **lm) {
  void *h = dlopen(lib, RTLD_NOW);
  if (!h) {
    fprintf(stderr, "%s\n", dlerror());
    return -1;
  }
  int (*entry)(int) = (int (*)(int))dlsym(h, "plugin_entry");
  printf("plugin=%d\n", entry(7));
  fflush(stdout);
  dlinfo(h, RTLD_DI_LINKMAP, lm);
  return dlclose(h) == 0 ? 0 : -1;
}

/* The extent of the object's PT_LOAD segments, page-aligned. */
static int extent(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  uintptr_t *range = data;
  if (info->dlpi_addr != range[0]) return 0;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  range[1] = lo & ~(uintptr_t)4095;
  range[2] = (hi + 4095) & ~(uintptr_t)4095;
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  /* The first load, kept open a moment to measure its extent. */
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  struct link_map *lm;
  dlinfo(h, RTLD_DI_LINKMAP, &lm);
  uintptr_t range[3] = {lm->l_addr, 0, 0};
  dl_iterate_phdr(extent, range);
  int (*entry)(int) = (int (*)(int))dlsym(h, "plugin_entry");
  printf("plugin=%d\n", entry(7)); /* marker: first load */
  fflush(stdout);
  if (dlclose(h) != 0) return 1;
  size_t len = range[2] - range[1];
  unsigned char *page = mmap((void *)range[1], len, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (page == MAP_FAILED || (uintptr_t)page != range[1]) {
    fprintf(stderr, "cannot map the old range\n");
    return 1;
  }
  memset(page, 0x5a, len);
  if (call(argv[1], &lm) < 0) return 1; /* marker: second load, elsewhere */
  done_loading();
  for (size_t i = 0; i < len; i++) {
    if (page[i] != 0x5a) {
      printf("page modified at +%zu\n", i);
      return 1;
    }
  }
  printf("page intact\n");
  return 0;
}
