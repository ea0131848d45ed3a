/* nsv.c: libnsv.so as the host has it (containers_spec): lib_answer()
 * returns 1. The container's build (nsv_alt.c) differs. */
__attribute__((noinline)) int host_build_only(int x) { return x - 1; }

int lib_answer(void) { return host_build_only(2); }
