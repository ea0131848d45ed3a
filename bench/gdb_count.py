# gdb_count.py: gdb's side of the benchmark: a Python breakpoint whose
# stop() counts and returns False (the program never stops for the user).
import gdb

hits = 0

class Count(gdb.Breakpoint):
    def stop(self):
        global hits
        hits += 1
        return False

gdb.execute("set pagination off")
gdb.execute("set confirm off")
import os
Count(os.environ.get("BENCH_SYM", "f"))
gdb.execute("run")
print("hits %d" % hits)
