/* demo.c: the program `scripts/demo` traces. It "processes orders": for
 * each order it calls price() and then ship(), from two threads. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) long price(long qty, long unit) { return qty * unit; }

__attribute__((noinline)) int ship(int order, long amount) {
  printf("order %d shipped (%ld)\n", order, amount);
  return order % 3 == 0;
}

static void *clerk(void *arg) {
  int first = (int)(long)arg;
  for (int i = first; i < first + 3; i++) {
#ifdef DEMO_PRICE_TWICE /* the variant examples/regression_spec.lua must catch */
    price(i, 10 + i);
#endif
    ship(i, price(i, 10 + i));
  }
  return NULL;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, clerk, (void *)1L);
  pthread_join(a, NULL);
  pthread_create(&b, NULL, clerk, (void *)4L);
  pthread_join(b, NULL);
  return 0;
}
