-- gen_big.lua DIR UNITS PER_UNIT: writes a large C program with DWARF for
-- docs/PERFORMANCE.md ("Typed values"): UNITS compilation units, each with
-- PER_UNIT struct types and PER_UNIT functions taking them, and main.c
-- calling hot() (in the last unit) N times (argv[1]).
local dir, units, per = arg[1], tonumber(arg[2] or 400), tonumber(arg[3] or 40)
assert(dir, "usage: lua5.4 gen_big.lua DIR [UNITS] [PER_UNIT]")
os.execute("mkdir -p " .. dir)
local function write(name, text)
  local f = assert(io.open(dir .. "/" .. name, "w"))
  f:write(text)
  f:close()
end
write("big.h", [[
struct rec { int id; int qty; const char *name; double price; struct rec *next; };
int hot(struct rec *r, double x);
]])
for u = 1, units do
  local out = {"#include \"big.h\"\n", "volatile long sink_" .. u .. ";\n"}
  for k = 1, per do
    local t = string.format("u%d_t%d", u, k)
    out[#out + 1] = string.format([[
struct %s { int a; long b[%d]; double c; union { int i; float f; } d; struct %s *self; enum { %s_A, %s_B = %d } e; };
typedef struct %s %s_t;
__attribute__((noinline)) long f_%s(%s_t *p, int n, double x) {
  long s = 0;
  for (int i = 0; i < n; i++) s += p->b[i %% %d] + (long)(x * i);
  sink_%d = s;
  return s + p->a;
}
]], t, k % 7 + 1, t, t, t, k, t, t, t, t, k % 7 + 1, u)
  end
  if u == units then
    out[#out + 1] = [[
__attribute__((noinline)) int hot(struct rec *r, double x) { sink_]] .. u .. [[ = r->id; return r->qty + (int)x; }
]]
  end
  write(string.format("u%04d.c", u), table.concat(out))
end
write("main.c", [[
#include <stdlib.h>
#include <stdio.h>
#include "big.h"
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1;
  struct rec r = {1, 11, "widget", 2.5, 0};
  long s = 0;
  for (long i = 0; i < n; i++) s += hot(&r, 0.5);
  printf("%ld\n", s);
  return 0;
}
]])
