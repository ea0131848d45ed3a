/* longnames.c: a function whose name is longer than the -c table's usual
 * column (C++ names are longer still), called twice, and a short one
 * called three times. */
#include <stdio.h>

__attribute__((noinline)) int compute_the_monthly_statement_of_every_account_in_the_ledger(int x) {
  return x + 1;
}

__attribute__((noinline)) int tiny(int x) { return x * 2; }

int main(void) {
  int s = 0;
  for (int i = 0; i < 2; i++) s += compute_the_monthly_statement_of_every_account_in_the_ledger(i);
  for (int i = 0; i < 3; i++) s += tiny(i);
  printf("%d\n", s);
  return 0;
}
