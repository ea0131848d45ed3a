/* zombie_leader.c: the main thread starts 2 workers and calls
 * pthread_exit, becoming a zombie (the NPTL notes' hard case). Each worker
 * calls hit() 10 times; the last to finish exits the process with 3. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int done;

__attribute__((noinline)) void hit(int id) { (void)id; }

static void *worker(void *arg) {
  for (int i = 0; i < 10; i++) hit((int)(long)arg);
  if (__atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST) == 2) {
    printf("workers done\n");
    fflush(stdout);
    exit(3);
  }
  return NULL;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, worker, (void *)1L);
  pthread_create(&b, NULL, worker, (void *)2L);
  pthread_exit(NULL);
}
