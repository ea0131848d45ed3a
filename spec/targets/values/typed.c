/* typed.c: one function per kind of C type, each called from main with
 * known values, built with gcc and clang at -O0, -Og and -O2 (values_spec
 * compares what lutra reads at each stop with what gdb prints). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum color { RED, GREEN = 5, BLUE };
typedef unsigned long ulong_t;
typedef struct order order_t;
struct order {
  int id;
  int qty;
  const char *name;
  double price;
  enum color color;
};
union num {
  int i;
  float f;
  unsigned char b[4];
};
struct flags {
  unsigned a : 3;
  unsigned b : 5;
  int c : 4;
  unsigned char d;
};
struct node {
  int v;
  struct node *next;
};
struct pair { /* one INTEGER and one SSE eightbyte: rdi and xmm0 */
  long a;
  double b;
};
struct fpair { /* one SSE eightbyte */
  float x, y;
};
struct big { /* MEMORY: on the stack */
  long x[5];
};
struct nested {
  struct {
    int lo, hi;
  } range;
  union {
    int as_int;
    char as_chars[4];
  };
  int grid[2][3];
  int (*cb)(int);
};

/* Globals for p:global and t:var. */
int table[100];
int big_table[100000];
char label[16] = "widget";
struct order orders[2] = {{1, 11, "first", 2.5, GREEN}, {2, 22, "second", 0.5, BLUE}};
static int counter = 42;
const volatile int cv = 7;
struct node ring[3];
double ratio = 0.75;

volatile int sink; /* keeps -O2 from dropping work */

__attribute__((noinline)) void mark(int i) { sink = i; }

__attribute__((noinline)) int price(const struct order *o, double discount) {
  sink = o->id;
  return discount > 0.5 ? o->qty / 2 : o->qty;
}

__attribute__((noinline)) long base_types(char c, signed char sc, unsigned char uc, short s,
                                          unsigned short us, int i, unsigned u, long l, unsigned long ul,
                                          long long ll, _Bool b) {
  sink = c;
  return c + sc + uc + s + us + i + (long)u + l + (long)ul + ll + b;
}

__attribute__((noinline)) double scale(float f, double d, int n) {
  sink = n;
  return f * d * n;
}

__attribute__((noinline)) long sum_pair(struct pair p) {
  sink = (int)p.a;
  return p.a + (long)p.b;
}

__attribute__((noinline)) long sum_big(struct big b) {
  sink = (int)b.x[0];
  return b.x[0] + b.x[1] + b.x[2] + b.x[3] + b.x[4];
}

__attribute__((noinline)) struct pair make_pair(long a, double b) {
  struct pair p = {a, b};
  sink = (int)a;
  return p;
}

__attribute__((noinline)) struct fpair make_fpair(float x, float y) {
  struct fpair p = {x, y};
  sink = (int)x;
  return p;
}

__attribute__((noinline)) struct big make_big(long seed) {
  struct big b;
  for (int i = 0; i < 5; i++) b.x[i] = seed + i;
  sink = (int)seed;
  return b;
}

__attribute__((noinline)) int use_union(union num n) {
  sink = n.i;
  return n.b[0];
}

__attribute__((noinline)) int use_flags(struct flags f) {
  sink = f.c;
  return (int)(f.a + f.b) + f.c + f.d;
}

__attribute__((noinline)) const char *greet(const char *name, enum color c) {
  sink = c;
  return name + (c == GREEN ? 1 : 0);
}

__attribute__((noinline)) ulong_t typedefd(ulong_t x, volatile int *vp, order_t *o) {
  sink = *vp;
  return x + (ulong_t)o->id;
}

__attribute__((noinline)) int nested_args(struct nested *n) {
  sink = n->range.lo;
  return n->range.hi + n->grid[1][2] + n->cb(n->as_int);
}

__attribute__((noinline)) int twice(int x) { return 2 * x; }

__attribute__((noinline)) int walk(struct node *head) {
  int steps = 0;
  for (struct node *n = head; n && steps < 5; n = n->next) steps += n->v;
  return steps;
}

/* A local inside a loop: values_spec stops at the line marked LOOP-BODY. */
__attribute__((noinline)) int loop_sum(int n) {
  int total = 0;
  for (int i = 0; i < n; i++) {
    int sq = i * i;
    total += sq;
    mark(sq); /* LOOP-BODY */
  }
  return total;
}

/* Its argument lives only as an entry value at -O2 once mark() has run. */
__attribute__((noinline)) int after_call(int x, int y) {
  mark(x);
  mark(y);
  return sink; /* AFTER-CALL */
}

/* Its argument points nowhere: values_spec reads through it (EFAULT). */
__attribute__((noinline)) int unreadable(const struct order *o) { return o != 0; }

int main(int argc, char **argv) {
  (void)argv;
  struct order o = {1, 11, "widget", 2.5, GREEN};
  int rc = 0;
  rc += price(&o, 0.25);
  rc += (int)base_types('A', -2, 200, -300, 60000, -70000, 4000000000u, -5000000000L, 18000000000000000000ul,
                        -9000000000000000000ll, 1);
  rc += (int)scale(1.5f, 2.25, 3);
  struct pair pr = {7, 3.5};
  rc += (int)sum_pair(pr);
  struct big bg = {{1, 2, 3, 4, 5}};
  rc += (int)sum_big(bg);
  struct pair mp = make_pair(9, 4.5);
  struct fpair fp = make_fpair(1.25f, -2.5f);
  struct big mb = make_big(100);
  rc += (int)mp.a + (int)fp.x + (int)mb.x[4];
  union num un;
  un.i = 0x41424344;
  rc += use_union(un);
  struct flags fl = {5, 17, -3, 200};
  rc += use_flags(fl);
  rc += (int)strlen(greet("hello", GREEN));
  volatile int vol = 3;
  rc += (int)typedefd(123456789012ul, &vol, &o);
  struct nested ns = {{-1, 10}, {0x00636261}, {{1, 2, 3}, {4, 5, 6}}, twice};
  rc += nested_args(&ns);
  for (int i = 0; i < 3; i++) {
    ring[i].v = i + 1;
    ring[i].next = &ring[(i + 1) % 3]; /* a cycle */
  }
  rc += walk(&ring[0]);
  for (int i = 0; i < 100; i++) table[i] = i * i;
  for (int i = 0; i < 100000; i++) big_table[i] = 7;
  rc += loop_sum(argc + 3);
  rc += after_call(argc + 40, argc + 50);
  rc += counter + cv + (int)ratio;
  rc += unreadable((const struct order *)(unsigned long)16);
  printf("rc=%d\n", rc);
  return 0;
}
