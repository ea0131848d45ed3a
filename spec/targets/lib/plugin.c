/* plugin.c: the shared library dlopen.c loads late. */
int plugin_entry(int x) { return x * 6; }
