/* shop: SystemTap SDT probes for usdt_spec (<sys/sdt.h>). A loop sells N
 * items through sell() and, every third one, give_away(): both hold the
 * probe shop:sold, two sites of one probe. shop:restock reads a global and
 * a byte, shop:closed constants of three sizes. shop:audit (audit.c) has a
 * semaphore: its costly path runs only while a tracer has the probe set.
 * lib:ping is in libshoplib.so. Prints the figures the spec checks:
 *   sold=S given=G revenue=R audited=A pings=P semaphore=V (its value at the end)
 *   shop [N]    default 10 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>

int audit(long revenue);   /* audit.c */
int audit_semaphore(void); /* audit.c */
int shoplib_ping(int n);   /* lib/shoplib.c */

long stock = 1000;

__attribute__((noinline)) static long sell(int item, long price, const char *name) {
  STAP_PROBE3(shop, sold, item, price, name);
  return price;
}

__attribute__((noinline)) static long give_away(int item, const char *name) {
  STAP_PROBE3(shop, sold, item, 0L, name);
  return 0;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  long revenue = 0;
  int sold = 0, given = 0, audited = 0, pings = 0;
  for (int i = 0; i < n; i++) {
    revenue += sell(i - 3, 100L * i, "widget"); /* items -3, -2, ...: signed */
    sold++;
    if (i % 3 == 0) {
      give_away(i, "sample");
      given++;
    }
    unsigned char lot = (unsigned char)(250 + i); /* wraps past 255 */
    STAP_PROBE2(shop, restock, lot, stock);
    stock--;
    audited += audit(revenue);
    pings += shoplib_ping(i);
  }
  STAP_PROBE3(shop, closed, -1, 5, (short)-2);
  printf("sold=%d given=%d revenue=%ld audited=%d pings=%d semaphore=%d\n", sold + given, given, revenue,
         audited, pings, audit_semaphore());
  return 0;
}
