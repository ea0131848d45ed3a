/* bulky.c: calls bulky_first() from libbulky.so (20 MB) and exits with
 * what it returns (1). */
int bulky_first(void);

int main(void) { return bulky_first(); }
