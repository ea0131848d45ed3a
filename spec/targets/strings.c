/* strings.c: calls strlen() on each argument (glibc's strlen is an IFUNC)
 * and prints the total length. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  size_t total = 0;
  for (int i = 1; i < argc; i++) total += strlen(argv[i]);
  printf("total=%zu\n", total);
  return 0;
}
