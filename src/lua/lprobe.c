/* lprobe.c: the bindings of probes that do not stop the program: the
 * lutra.Counter userdata (a counter or histogram of the tracer), the
 * lutra.ProbeExpr userdata (an expression the tracer evaluates), and the
 * Process methods that place probes and drain entry records. */
#include <stdlib.h>
#include <string.h>

#include "lutil.h"

#define LUTRA_COUNTER "lutra.Counter"
#define LUTRA_PROBE_EXPR "lutra.ProbeExpr"

typedef struct {
  lt_counter *c;
} lu_counter;

typedef struct {
  lt_probe_expr *e;
} lu_probe_expr;

static lt_process *checkp(lua_State *L) { return lu_checkprocess(L, 1)->p; }

/* core.counter([hist]): a counter, or a histogram (LT_HIST_SLOTS values). */
static int l_counter(lua_State *L) {
  int hist = lua_toboolean(L, 1);
  lu_counter *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->c = NULL; /* born empty: __gc is harmless */
  luaL_setmetatable(L, LUTRA_COUNTER);
  u->c = lt_counter_new(lu_tracer(L), hist);
  if (!u->c) return luaL_error(L, "out of memory");
  return 1;
}

/* c:read(): the count, or the array of LT_HIST_SLOTS values. */
static int c_read(lua_State *L) {
  lu_counter *u = luaL_checkudata(L, 1, LUTRA_COUNTER);
  uint64_t v[LT_HIST_SLOTS];
  lt_counter_read(u->c, v);
  if (lt_counter_slots(u->c) == 1) {
    lua_pushinteger(L, (lua_Integer)v[0]);
    return 1;
  }
  lua_createtable(L, LT_HIST_SLOTS, 0);
  for (int i = 0; i < LT_HIST_SLOTS; i++) {
    lua_pushinteger(L, (lua_Integer)v[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int c_gc(lua_State *L) {
  lu_counter *u = luaL_checkudata(L, 1, LUTRA_COUNTER);
  lt_counter_free(u->c);
  u->c = NULL;
  return 0;
}

static int c_index(lua_State *L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

/* core.check_expr(src): true, or nil, "bad expression ...: column N: ...", "ESYNTAX". */
static int l_check_expr(lua_State *L) {
  lt_tracer *tr = lu_tracer(L);
  if (lt_expr_check(tr, luaL_checkstring(L, 1)) < 0) return lu_fail(L, tr);
  lua_pushboolean(L, 1);
  return 1;
}

static const char *const kinds[] = {"count", "hist", "trap", "entry", NULL};

/* p:probe_add(addr, kind, {cond=, value=, counter=, tag=, nargs=}):
 * the probe's id, or nil, msg, "ENOINLINE" where the jump cannot go. */
static int p_probe_add(lua_State *L) {
  lt_process *p = checkp(L);
  lt_probe_spec s;
  memset(&s, 0, sizeof s);
  uint64_t addr = lu_checkaddr(L, 2);
  s.kind = (lt_probe_kind)luaL_checkoption(L, 3, NULL, kinds);
  luaL_checktype(L, 4, LUA_TTABLE);
  lua_getfield(L, 4, "cond");
  s.cond = lua_tostring(L, -1);
  lua_getfield(L, 4, "value");
  s.value = lua_tostring(L, -1);
  lua_getfield(L, 4, "counter");
  if (!lua_isnil(L, -1)) s.counter = ((lu_counter *)luaL_checkudata(L, -1, LUTRA_COUNTER))->c;
  lua_getfield(L, 4, "tag");
  s.tag = (uint32_t)lua_tointeger(L, -1);
  lua_getfield(L, 4, "nargs");
  s.nargs = (int)lua_tointeger(L, -1);
  int id = lt_probe_add(p, addr, &s);
  lua_pop(L, 5);
  if (id < 0) return lu_fail(L, lt_process_tracer(p));
  lua_pushinteger(L, id);
  return 1;
}

static int p_probe_remove(lua_State *L) {
  lt_process *p = checkp(L);
  if (lt_probe_remove(p, (int)luaL_checkinteger(L, 2)) < 0) return lu_fail(L, lt_process_tracer(p));
  lua_pushboolean(L, 1);
  return 1;
}

/* p:probe_trap(id): the address of a trap probe's int3, or nil. */
static int p_probe_trap(lua_State *L) {
  uint64_t a = lt_probe_trap(checkp(L), (int)luaL_checkinteger(L, 2));
  if (!a) return 0;
  lua_pushinteger(L, (lua_Integer)a);
  return 1;
}

static int p_probe_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lt_probe_count(checkp(L)));
  return 1;
}

/* p:ring_drain(into [, max [, nargs]]): entry records into the array
 * `into`, in one of two shapes: with nargs (0..9), 2 + nargs values each
 * (tid, tag, the arguments); without, 13 each (tid, tag, time, return
 * address, 9 arguments). Returns how many records. One table for every
 * drain: no table per record. */
static int p_ring_drain(lua_State *L) {
  lt_process *p = checkp(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer max = luaL_optinteger(L, 3, 4096);
  int nargs = (int)luaL_optinteger(L, 4, -1);
  if (max < 1) max = 1;
  if (max > 65536) max = 65536;
  if (nargs > 9) nargs = 9;
  lt_entry *e = malloc((size_t)max * sizeof *e);
  if (!e) return luaL_error(L, "out of memory");
  size_t n = lt_ring_drain(p, e, (size_t)max);
  lua_Integer k = 1;
  for (size_t i = 0; i < n; i++) {
    lua_pushinteger(L, e[i].tid);
    lua_rawseti(L, 2, k++);
    lua_pushinteger(L, e[i].tag);
    lua_rawseti(L, 2, k++);
    if (nargs < 0) {
      lua_pushnumber(L, e[i].time);
      lua_rawseti(L, 2, k++);
      lua_pushinteger(L, (lua_Integer)e[i].ret);
      lua_rawseti(L, 2, k++);
    }
    for (int a = 0; a < (nargs < 0 ? 9 : nargs); a++) {
      lua_pushinteger(L, (lua_Integer)e[i].args[a]);
      lua_rawseti(L, 2, k++);
    }
  }
  free(e);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int p_ring_dropped(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lt_ring_dropped(checkp(L)));
  return 1;
}

/* p:probe_expr(addr, src): the expression as the tracer evaluates it at a
 * stop there (argN by that place's ABI). */
static int p_probe_expr(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t addr = lu_checkaddr(L, 2);
  const char *src = luaL_checkstring(L, 3);
  lu_probe_expr *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->e = NULL;
  luaL_setmetatable(L, LUTRA_PROBE_EXPR);
  u->e = lt_probe_expr_new(p, addr, src);
  if (!u->e) return lu_fail(L, lt_process_tracer(p));
  return 1;
}

/* e:eval(t): the value, or nil when a read faulted or a division by zero
 * made it false. */
static int x_eval(lua_State *L) {
  lu_probe_expr *u = luaL_checkudata(L, 1, LUTRA_PROBE_EXPR);
  lt_thread *t = lu_checkthread(L, 2, NULL, "evaluate a probe expression");
  int64_t v;
  int rc = lt_probe_expr_eval(t, u->e, &v);
  if (rc < 0) return lu_fail(L, lt_process_tracer(lt_thread_process(t)));
  if (rc == 0) return 0;
  lua_pushinteger(L, v);
  return 1;
}

static int x_gc(lua_State *L) {
  lu_probe_expr *u = luaL_checkudata(L, 1, LUTRA_PROBE_EXPR);
  lt_probe_expr_free(u->e);
  u->e = NULL;
  return 0;
}

static const luaL_Reg counter_methods[] = {{"read", c_read}, {NULL, NULL}};
static const luaL_Reg counter_meta[] = {{"__gc", c_gc}, {NULL, NULL}};
static const luaL_Reg expr_methods[] = {{"eval", x_eval}, {NULL, NULL}};
static const luaL_Reg expr_meta[] = {{"__gc", x_gc}, {NULL, NULL}};
static const luaL_Reg process_methods[] = {{"probe_add", p_probe_add},   {"probe_remove", p_probe_remove},
                                           {"probe_trap", p_probe_trap}, {"probe_count", p_probe_count},
                                           {"ring_drain", p_ring_drain}, {"ring_dropped", p_ring_dropped},
                                           {"probe_expr", p_probe_expr}, {NULL, NULL}};
static const luaL_Reg funcs[] = {{"counter", l_counter}, {"check_expr", l_check_expr}, {NULL, NULL}};

void lu_open_probes(lua_State *L) {
  lu_newclass(L, LUTRA_COUNTER, counter_methods, c_index, counter_meta);
  lu_newclass(L, LUTRA_PROBE_EXPR, expr_methods, c_index, expr_meta);
  luaL_getmetatable(L, LUTRA_PROCESS);
  lua_getfield(L, -1, "methods");
  luaL_setfuncs(L, process_methods, 0);
  lua_pop(L, 2);
  luaL_setfuncs(L, funcs, 0);
}
