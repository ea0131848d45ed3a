/* lutil.c: helpers shared by the binding files. */
#include "lutil.h"

#include <errno.h>

const char LUTRA_PROCESS[] = "lutra.Process", LUTRA_THREAD[] = "lutra.Thread", LUTRA_REGS[] = "lutra.Regs";

void *lu_checkudata(lua_State *L, int idx, const char *tname) {
  void *u = lua_touserdata(L, idx);
  if (u && lua_getmetatable(L, idx)) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, tname);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (same) return u;
  }
  return luaL_checkudata(L, idx, tname); /* raises the usual error */
}

int lu_error(lua_State *L, lt_tracer *tr) { return luaL_error(L, "%s", lt_errmsg(tr)); }

int lu_fail(lua_State *L, lt_tracer *tr) {
  int code = lt_errcode(tr);
  /* The host's signal handler also armed a hook to stop Lua code: this
   * error already does that. */
  if (code == EINTR) lua_sethook(L, NULL, 0, 0);
  if (code == LT_EMISUSE || code == EINTR) return lu_error(L, tr);
  lua_pushnil(L);
  lua_pushstring(L, lt_errmsg(tr));
  lua_pushstring(L, lt_errname(code));
  return 3;
}

uint64_t lu_checkaddr(lua_State *L, int idx) { return (uint64_t)luaL_checkinteger(L, idx); }

int lu_checksignal(lua_State *L, int idx, int optional) {
  if (lua_type(L, idx) == LUA_TNUMBER) return (int)lua_tointeger(L, idx);
  if (optional && lua_isnoneornil(L, idx)) return 0;
  const char *name = luaL_checkstring(L, idx);
  int signo = lt_signal_number(name);
  if (!signo) return luaL_error(L, "unknown signal '%s'", name);
  return signo;
}

void lu_pushaddrs(lua_State *L, const uint64_t *a, int n) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushinteger(L, (lua_Integer)a[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

lu_process *lu_checkprocess(lua_State *L, int idx) {
  lu_process *up = lu_checkudata(L, idx, LUTRA_PROCESS);
  if (!up->p) luaL_error(L, "process %d has been released", (int)up->pid);
  return up;
}

lt_thread *lu_checkthread(lua_State *L, int idx, lu_thread **ud, const char *what) {
  lu_thread *ut = lu_checkudata(L, idx, LUTRA_THREAD);
  if (ud) *ud = ut;
  lt_thread *t = NULL;
  /* The user value is the Process: a released process knows no thread. */
  lua_getiuservalue(L, idx, 1);
  lu_process *up = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (up && up->p) t = lt_process_thread(up->p, ut->tid);
  /* Gone from the engine: the contract's words for misuse, with the state
   * t.state reports. */
  if (!t)
    luaL_error(L, "thread %d: cannot %s in state %s", (int)ut->tid, what,
               up && up->p && lt_process_state(up->p) == LT_PS_DETACHED ? "Detached" : "Exited");
  return t;
}

lt_tracer *lu_tracer(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "lutra.tracer");
  lt_tracer **tp = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!tp || !*tp) luaL_error(L, "lutra: the tracer is gone");
  return *tp;
}

void lu_newclass(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction index,
                 const luaL_Reg *metamethods) {
  luaL_newmetatable(L, name);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "methods");
  lua_pushcclosure(L, index, 1);
  lua_setfield(L, -2, "__index");
  luaL_setfuncs(L, metamethods, 0);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, name);
  lua_pop(L, 1);
}
