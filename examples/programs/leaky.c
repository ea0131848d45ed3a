/* leaky.c: the program examples/leaks.lua traces. It keeps a list of
 * records and frees it, but three records made by remember() are lost. */
#include <stdlib.h>
#include <string.h>

struct record {
  struct record *next;
  char name[48];
};

__attribute__((noinline)) struct record *make_record(const char *name) {
  struct record *r = malloc(sizeof *r);
  strncpy(r->name, name, sizeof r->name - 1);
  r->name[sizeof r->name - 1] = '\0';
  r->next = NULL;
  return r;
}

struct record *volatile last_remembered;

__attribute__((noinline)) void remember(int i) {
  last_remembered = make_record(i % 2 ? "odd" : "even"); /* overwritten: a leak */
}

int main(void) {
  struct record *head = NULL;
  for (int i = 0; i < 10; i++) {
    struct record *r = make_record("kept");
    r->next = head;
    head = r;
  }
  char *scratch = calloc(16, 8);
  scratch = realloc(scratch, 256);
  free(scratch);
  for (int i = 0; i < 4; i++) remember(i); /* 3 lost, the last one still reachable */
  while (head) {
    struct record *n = head->next;
    free(head);
    head = n;
  }
  return 0;
}
