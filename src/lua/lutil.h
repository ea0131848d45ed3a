/* lutil.h: what the binding files share: type names, checkers, and the one
 * helper that turns an engine failure into `nil, msg, code` or an error. */
#ifndef LUTRA_LUTIL_H
#define LUTRA_LUTIL_H

#include <lauxlib.h>
#include <lua.h>

#include "lutra.h"

/* The userdata types' names; their addresses key the metatables in the
 * registry too, for lu_checkudata's pointer lookup. */
extern const char LUTRA_PROCESS[], LUTRA_THREAD[], LUTRA_REGS[];

typedef struct {
  lt_process *p; /* NULL once freed */
  pid_t pid;
} lu_process;

typedef struct {
  lt_process *p; /* borrowed from the Process this Thread's user value holds */
  pid_t tid;
} lu_thread;

/* Expected failure: pushes nil, message, code and returns 3. Misuse and
 * interruption raise a Lua error instead. */
int lu_fail(lua_State *L, lt_tracer *tr);
/* Raises the tracer's error unconditionally. */
int lu_error(lua_State *L, lt_tracer *tr);

/* luaL_checkudata for the types made by lu_newclass, without hashing the
 * type's name at each call (methods run at every breakpoint hit). */
void *lu_checkudata(lua_State *L, int idx, const char *tname);
lu_process *lu_checkprocess(lua_State *L, int idx); /* a live (not freed) Process */
/* A thread the engine still knows; else the misuse error "thread N: cannot
 * WHAT in state Exited" (or Detached). */
lt_thread *lu_checkthread(lua_State *L, int idx, lu_thread **ud, const char *what);
void lu_pushthread(lua_State *L, int pidx, lt_thread *t); /* pidx: the Process */
void lu_pushregs(lua_State *L, int tidx, const arch_regs *r);
/* The Process userdata of an engine process (one per process, lprocess.c). */
void lu_pushprocess(lua_State *L, lt_process *p);
/* A new Process userdata, born released (its __gc harmless), then made the
 * one of p. */
lu_process *lu_newprocess(lua_State *L);
void lu_setprocess(lua_State *L, lu_process *up, lt_process *p);
/* The array of register names, in the seed's order (lregs.c). */
int lu_pushregnames(lua_State *L);
/* A userdata type: its metatable under `name`, the methods table (also in
 * the metatable's "methods") as upvalue 1 of `index`, and metamethods. */
void lu_newclass(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction index,
                 const luaL_Reg *metamethods);
uint64_t lu_checkaddr(lua_State *L, int idx);
/* A signal argument: a number as given, or a name ("SIGUSR1", "USR1");
 * nil gives 0 when `optional`. An unknown name raises an error. */
int lu_checksignal(lua_State *L, int idx, int optional);
/* Pushes an array of addresses. */
void lu_pushaddrs(lua_State *L, const uint64_t *a, int n);

void lu_open_process(lua_State *L);
void lu_open_thread(lua_State *L);
void lu_open_regs(lua_State *L);
void lu_open_names(lua_State *L); /* into the module table on the stack top */
/* lvalue.c: Values; pushes lutra.core.value. */
void lu_open_value(lua_State *L);
/* lfile.c: ELF files without a process; adds its functions to the table on top. */
void lu_open_file(lua_State *L);
void lu_open_probes(lua_State *L); /* lprobe.c: the same, and Process methods */
/* The tracer of this Lua state (created by luaopen_lutra_core). */
lt_tracer *lu_tracer(lua_State *L);

#endif
