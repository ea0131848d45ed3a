/* bulky.c: libbulky.so, an object big enough (20 MB of read-only data) that
 * lutra says on a terminal that it is reading its symbols (progress_spec). */
const char bulky_data[20 << 20] = {1};

int bulky_first(void) { return bulky_data[0]; }
