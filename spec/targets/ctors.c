/* ctors: linked against libctorlib.so, whose constructor calls ctor_work
 * 3 times and calloc 5 times before main; main calls each once more. */
#include <stdio.h>
#include <stdlib.h>

void ctor_work(long x);

int main(void) {
  ctor_work(10);
  free(calloc(1, 8));
  printf("main done\n");
  return 0;
}
