/* lmodule.c: luaopen_lutra_core, the module opener: the tracer owned by
 * this Lua state, the three userdata types, spawn and attach. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lutil.h"

static int tracer_gc(lua_State *L) {
  lt_tracer **tp = lua_touserdata(L, 1);
  if (*tp) lt_tracer_free(*tp);
  *tp = NULL;
  return 0;
}

static int l_spawn(lua_State *L) {
  lt_tracer *tr = lu_tracer(L);
  lua_settop(L, 2);
  lua_pushboolean(L, 0); /* 3: follow_fork */
  lt_spawn_opts o;
  memset(&o, 0, sizeof o);
  o.aslr = 1;
  o.pin = 1;
  /* argv: a table of strings, or one string. */
  int argt;
  if (lua_type(L, 1) == LUA_TSTRING) {
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    argt = lua_gettop(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    argt = 1;
  }
  lua_Integer argc = (lua_Integer)lua_rawlen(L, argt);
  if (argc < 1) return luaL_argerror(L, 1, "argv needs a program name");
  char **argv = lua_newuserdatauv(L, ((size_t)argc + 1) * sizeof *argv, 0);
  for (lua_Integer i = 1; i <= argc; i++) {
    lua_rawgeti(L, argt, i);
    if (!lua_isstring(L, -1)) return luaL_error(L, "spawn: argv[%d] must be a string", (int)i);
    lua_pushvalue(L, -1); /* a number becomes a string: anchor it in argt */
    lua_rawseti(L, argt, i);
    argv[i - 1] = (char *)lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  argv[argc] = NULL;
  o.argv = argv;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "aslr");
    if (!lua_isnil(L, -1)) o.aslr = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 2, "pin");
    if (!lua_isnil(L, -1)) o.pin = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 2, "follow_fork");
    int follow = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_pushboolean(L, follow);
    lua_replace(L, 3); /* kept for after the spawn */
    lua_getfield(L, 2, "cwd");
    o.cwd = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
    lua_pop(L, 1); /* the string stays referenced by opts */
    static const char *const fdnames[] = {"stdin", "stdout", "stderr"};
    for (int fd = 0; fd < 3; fd++) {
      lua_getfield(L, 2, fdnames[fd]);
      const char *v = lua_isnil(L, -1) ? "inherit" : luaL_checkstring(L, -1);
      lua_pop(L, 1);
      o.stdio[fd] = strcmp(v, "inherit") == 0 ? NULL : strcmp(v, "null") == 0 ? "/dev/null" : v;
    }
    lua_getfield(L, 2, "env");
    if (lua_istable(L, -1)) {
      int envt = lua_gettop(L);
      lua_newtable(L); /* anchors the "K=V" strings */
      int anchor = lua_gettop(L);
      size_t n = 0;
      lua_pushnil(L);
      while (lua_next(L, envt)) {
        n++;
        lua_pop(L, 1);
      }
      char **envp = lua_newuserdatauv(L, (n + 1) * sizeof *envp, 0);
      size_t i = 0;
      lua_pushnil(L);
      while (lua_next(L, envt)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
          const char *key = lua_tostring(L, -2);
          const char *val = luaL_tolstring(L, -1, NULL);
          lua_pushfstring(L, "%s=%s", key, val);
          lua_remove(L, -2);
        } else {
          lua_pushvalue(L, -1);
        }
        envp[i++] = (char *)lua_tostring(L, -1);
        lua_rawseti(L, anchor, (lua_Integer)i);
        lua_pop(L, 1);
      }
      envp[i] = NULL;
      o.envp = envp;
    } else if (!lua_isnil(L, -1)) {
      return luaL_error(L, "spawn: env must be a table");
    }
  }
  lu_process *up = lu_newprocess(L);
  lt_process *p = lt_spawn(tr, &o);
  if (!p) return lu_fail(L, tr);
  lt_process_set_follow_fork(p, lua_toboolean(L, 3));
  lu_setprocess(L, up, p);
  return 1;
}

static int l_attach(lua_State *L) {
  lt_tracer *tr = lu_tracer(L);
  lua_Integer pid = luaL_checkinteger(L, 1);
  lu_process *up = lu_newprocess(L);
  lt_process *p = lt_attach(tr, (pid_t)pid);
  if (!p) return lu_fail(L, tr);
  lu_setprocess(L, up, p);
  return 1;
}

static int l_signal_name(lua_State *L) {
  const char *n = lt_signal_name((int)luaL_checkinteger(L, 1));
  if (!n) return 0;
  lua_pushstring(L, n);
  return 1;
}

static int l_signal_number(lua_State *L) {
  int s = lt_signal_number(luaL_checkstring(L, 1));
  if (!s) return 0;
  lua_pushinteger(L, s);
  return 1;
}

static int l_register_names(lua_State *L) { return lu_pushregnames(L); }

/* Seconds on the monotonic clock, for timeouts and handler timing. */
static int l_now(lua_State *L) {
  lua_pushnumber(L, lt_now());
  return 1;
}

/* isatty(fd): is the descriptor a terminal (progress is shown only there). */
static int l_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
  return 1;
}

static int l_syscall_name(lua_State *L) {
  const char *n = lt_syscall_name((long)luaL_checkinteger(L, 1));
  if (!n) return 0;
  lua_pushstring(L, n);
  return 1;
}

static int l_syscall_number(lua_State *L) {
  long nr = lt_syscall_number(luaL_checkstring(L, 1));
  if (nr < 0) return 0;
  lua_pushinteger(L, nr);
  return 1;
}

/* "ENOENT" -> 2 (nil when unknown). */
static int l_errno_number(lua_State *L) {
  int e = lt_errno_number(luaL_checkstring(L, 1));
  if (!e) return 0;
  lua_pushinteger(L, e);
  return 1;
}

/* core.wait_any({p1, p2, ...} [, timeout]) -> the process with a round of
 * events (or whose exit is new), or nil, "timeout". */
/* core.wait_any(procs [, timeout [, running]]): `running`: a timeout leaves
 * them running. */
static int l_wait_any(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  double timeout = luaL_optnumber(L, 2, -1);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  luaL_argcheck(L, n > 0 && n <= 4096, 1, "a list of 1 to 4096 processes");
  lt_process **ps = lua_newuserdatauv(L, (size_t)n * sizeof *ps, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    ps[i - 1] = lu_checkprocess(L, -1)->p;
    lua_pop(L, 1);
  }
  int idx =
      lua_toboolean(L, 3) ? lt_wait_any_running(ps, (size_t)n, timeout) : lt_wait_any(ps, (size_t)n, timeout);
  if (idx < 0) {
    lt_tracer *tr = lt_process_tracer(ps[0]);
    if (lt_errcode(tr) == LT_ETIMEOUT) {
      lua_pushnil(L);
      lua_pushliteral(L, "timeout");
      lua_pushliteral(L, "ETIMEOUT");
      return 3;
    }
    return lu_fail(L, tr);
  }
  lua_rawgeti(L, 1, idx + 1);
  return 1;
}

static const luaL_Reg funcs[] = {{"spawn", l_spawn},
                                 {"attach", l_attach},
                                 {"wait_any", l_wait_any},
                                 {"now", l_now},
                                 {"isatty", l_isatty},
                                 {"errno_number", l_errno_number},
                                 {"syscall_name", l_syscall_name},
                                 {"syscall_number", l_syscall_number},
                                 {"signal_name", l_signal_name},
                                 {"signal_number", l_signal_number},
                                 {"register_names", l_register_names},
                                 {NULL, NULL}};

int luaopen_lutra_core(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "lutra.tracer");
  if (lua_isnil(L, -1)) {
    lt_tracer **tp = lua_newuserdatauv(L, sizeof *tp, 0);
    *tp = NULL;
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, tracer_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    *tp = lt_tracer_new();
    if (!*tp) return luaL_error(L, "lutra: out of memory");
    lua_setfield(L, LUA_REGISTRYINDEX, "lutra.tracer");
  }
  lua_pop(L, 1);
  lu_open_process(L);
  lu_open_thread(L);
  lu_open_regs(L);
  lu_open_value(L);
  luaL_newlib(L, funcs);
  lu_open_names(L);
  lua_insert(L, -2);
  lua_setfield(L, -2, "value");
  lu_open_file(L);
  lu_open_probes(L);
  luaL_getmetatable(L, LUTRA_PROCESS);
  lua_getfield(L, -1, "methods");
  lua_setfield(L, -3, "Process");
  lua_pop(L, 1);
  luaL_getmetatable(L, LUTRA_THREAD);
  lua_getfield(L, -1, "methods");
  lua_setfield(L, -3, "Thread");
  lua_pop(L, 1);
  return 1;
}
