/* shoplib.c: libshoplib.so, which shop links against: a USDT probe in a
 * library (usdt:lib:ping, usdt:libshoplib.so:lib:ping). */
#include <sys/sdt.h>

int shoplib_ping(int n) {
  STAP_PROBE1(lib, ping, n);
  return 1;
}
