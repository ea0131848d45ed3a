/* audit.c: a USDT probe with a semaphore (the provider_name_semaphore
 * convention, as `dtrace -G` generates it): the probe's arguments are
 * prepared only while shop_audit_semaphore is non-zero. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

__extension__ unsigned short shop_audit_semaphore __attribute__((unused)) __attribute__((section(".probes")));
#define SHOP_AUDIT_ENABLED() __builtin_expect(shop_audit_semaphore, 0)

int audit(long revenue) {
  if (SHOP_AUDIT_ENABLED()) {
    DTRACE_PROBE1(shop, audit, revenue * 2);
    return 1;
  }
  return 0;
}

/* The semaphore as the program sees it, for its final line. */
int audit_semaphore(void) { return shop_audit_semaphore; }
