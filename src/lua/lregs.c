/* lregs.c: the lutra.Regs userdata: a snapshot of a stopped thread's
 * registers by name or index; an assignment writes through to the thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutil.h"

typedef struct {
  arch_regs r;
} lu_regs;

void lu_pushregs(lua_State *L, int tidx, const arch_regs *r) {
  tidx = lua_absindex(L, tidx);
  lu_regs *ur = lua_newuserdatauv(L, sizeof *ur, 1);
  ur->r = *r;
  luaL_setmetatable(L, LUTRA_REGS);
  lua_pushvalue(L, tidx);
  lua_setiuservalue(L, -2, 1);
}

static lu_regs *checkr(lua_State *L) { return lu_checkudata(L, 1, LUTRA_REGS); }

/* "pc" and "sp" are the architecture's names for rip and rsp. */
static int reg_index(const char *name) {
  if (strcmp(name, "pc") == 0) return arch_reg_index("rip");
  if (strcmp(name, "sp") == 0) return arch_reg_index("rsp");
  return arch_reg_index(name);
}

static int write_through(lua_State *L, lu_regs *ur, int idx, uint64_t v) {
  lua_getiuservalue(L, 1, 1);
  lt_thread *t = lu_checkthread(L, lua_gettop(L), NULL, "set registers");
  arch_regs cur;
  if (lt_thread_get_regs(t, &cur) < 0) {
    lt_tracer *tr = lt_process_tracer(lt_thread_process(t));
    return luaL_error(L, "thread %d: cannot set registers in state %s", (int)lt_thread_tid(t),
                      lt_state_name(lt_thread_state(t)) ? lt_state_name(lt_thread_state(t)) : lt_errmsg(tr));
  }
  arch_reg_set(&cur, idx, v);
  lt_thread_set_regs(t, &cur);
  arch_reg_set(&ur->r, idx, v);
  lua_pop(L, 1);
  return 0;
}

/* "xmm0".."xmm15": the register's number, else -1. They are not in the
 * 24 names of the first part (names, get, pairs). */
static int xmm_index(const char *name) {
  if (strncmp(name, "xmm", 3) != 0 || !name[3]) return -1;
  char *end;
  long n = strtol(name + 3, &end, 10);
  return *end == 0 && n >= 0 && n < ARCH_NXMM && (name[3] != '0' || !name[4]) ? (int)n : -1;
}

/* The thread's xmm register as a 16-byte string, read from the stop's
 * floating-point registers. */
static int xmm_get(lua_State *L, int n) {
  lua_getiuservalue(L, 1, 1);
  lt_thread *t = lu_checkthread(L, lua_gettop(L), NULL, "get registers");
  arch_fpregs f;
  if (lt_thread_get_fpregs(t, &f) < 0) return lu_error(L, lt_process_tracer(lt_thread_process(t)));
  uint8_t b[16];
  arch_xmm_get(&f, n, b);
  lua_pushlstring(L, (const char *)b, 16);
  return 1;
}

static int xmm_set(lua_State *L, int n) {
  size_t len;
  const char *s = luaL_checklstring(L, 3, &len);
  if (len != 16) return luaL_error(L, "xmm%d takes a 16-byte string (got %d bytes)", n, (int)len);
  lua_getiuservalue(L, 1, 1);
  lt_thread *t = lu_checkthread(L, lua_gettop(L), NULL, "set registers");
  arch_fpregs f;
  if (lt_thread_get_fpregs(t, &f) < 0) return lu_error(L, lt_process_tracer(lt_thread_process(t)));
  arch_xmm_set(&f, n, (const uint8_t *)s);
  if (lt_thread_set_fpregs(t, &f) < 0) return lu_error(L, lt_process_tracer(lt_thread_process(t)));
  return 0;
}

static int r_get(lua_State *L) {
  lu_regs *ur = checkr(L);
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, i >= 1 && i <= arch_nregs(), 2, "register index out of range");
  lua_pushinteger(L, (lua_Integer)arch_reg_get(&ur->r, (int)i - 1));
  return 1;
}

static int r_set(lua_State *L) {
  lu_regs *ur = checkr(L);
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, i >= 1 && i <= arch_nregs(), 2, "register index out of range");
  return write_through(L, ur, (int)i - 1, (uint64_t)luaL_checkinteger(L, 3));
}

int lu_pushregnames(lua_State *L) {
  lua_createtable(L, arch_nregs(), 0);
  for (int i = 0; i < arch_nregs(); i++) {
    lua_pushstring(L, arch_reg_name(i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int r_names(lua_State *L) { return lu_pushregnames(L); }

static int r_index(lua_State *L) {
  lu_regs *ur = checkr(L);
  const char *k = luaL_checkstring(L, 2);
  int idx = reg_index(k);
  if (idx >= 0) {
    lua_pushinteger(L, (lua_Integer)arch_reg_get(&ur->r, idx));
    return 1;
  }
  int x = xmm_index(k);
  if (x >= 0) return xmm_get(L, x);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1)); /* methods; "link" and the rest: nil */
  return 1;
}

static int r_newindex(lua_State *L) {
  lu_regs *ur = checkr(L);
  const char *k = luaL_checkstring(L, 2);
  int idx = reg_index(k);
  int x = xmm_index(k);
  if (x >= 0) return xmm_set(L, x);
  if (idx < 0) return luaL_error(L, "no register '%s'", k);
  return write_through(L, ur, idx, (uint64_t)luaL_checkinteger(L, 3));
}

static int r_next(lua_State *L) {
  lu_regs *ur = checkr(L);
  int i = lua_isnil(L, 2) ? 0 : reg_index(luaL_checkstring(L, 2)) + 1;
  if (i >= arch_nregs()) return 0;
  lua_pushstring(L, arch_reg_name(i));
  lua_pushinteger(L, (lua_Integer)arch_reg_get(&ur->r, i));
  return 2;
}

static int r_pairs(lua_State *L) {
  checkr(L);
  lua_pushcfunction(L, r_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

static int r_tostring(lua_State *L) {
  lu_regs *ur = checkr(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; i < arch_nregs(); i++) {
    char line[64];
    snprintf(line, sizeof line, "%-6s 0x%016llx%s", arch_reg_name(i),
             (unsigned long long)arch_reg_get(&ur->r, i), i + 1 < arch_nregs() ? "\n" : "");
    luaL_addstring(&b, line);
  }
  luaL_pushresult(&b);
  return 1;
}

static const luaL_Reg methods[] = {{"get", r_get}, {"set", r_set}, {"names", r_names}, {NULL, NULL}};
static const luaL_Reg metamethods[] = {
    {"__newindex", r_newindex}, {"__pairs", r_pairs}, {"__tostring", r_tostring}, {NULL, NULL}};

void lu_open_regs(lua_State *L) { lu_newclass(L, LUTRA_REGS, methods, r_index, metamethods); }
