/* dlopen.c: 100 ms after start, dlopen()s the library named by argv[1]
 * and calls its plugin_entry(7); prints "plugin=42". */
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  struct timespec ms100 = {0, 100000000};
  nanosleep(&ms100, NULL);
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  int (*entry)(int) = (int (*)(int))dlsym(h, "plugin_entry");
  printf("plugin=%d\n", entry(7));
  return 0;
}
