/* counter.c: a variable and nothing else (names_spec): break_at on it
 * must refuse to write an int3 into data. Returns the variable's value. */
long counter = 5;

int main(void) { return (int)counter; }
