/* mapper.c: maps each file named on the command line (read-only, as a
 * program maps data or a plugin it validates itself), then calls mapped()
 * once and exits 0. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) void mapped(int n) { printf("mapped %d\n", n); }

int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) continue;
    if (mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) != MAP_FAILED) n++;
    close(fd);
  }
  mapped(n);
  return 0;
}
