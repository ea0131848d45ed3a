/* nsv_alt.c: libnsv.so as the container has it (containers_spec): other
 * functions before lib_answer, so every address differs from the host's
 * build, and lib_answer() returns 2. */
__attribute__((noinline)) int container_build_only(int x) { return x * 3 + 1; }
__attribute__((noinline)) int container_padding(int x) { return container_build_only(x) ^ 5; }

int lib_answer(void) { return container_padding(0) - 2; }
