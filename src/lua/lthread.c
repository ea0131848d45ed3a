/* lthread.c: the lutra.Thread userdata: state, stop cause, registers,
 * single-step, peek/poke, ABI helpers, the pending signal. */
#include <stdio.h>
#include <string.h>

#include "lutil.h"

static lt_thread *checkt(lua_State *L, const char *what) { return lu_checkthread(L, 1, NULL, what); }
static lt_tracer *tracer_of(lt_thread *t) { return lt_process_tracer(lt_thread_process(t)); }

static void push_signame(lua_State *L, int signo) {
  const char *n = lt_signal_name(signo);
  if (n)
    lua_pushstring(L, n);
  else
    lua_pushfstring(L, "SIG%d", signo);
}

static int cause_tostring(lua_State *L) {
  lua_getfield(L, 1, "kind");
  const char *kind = lua_tostring(L, -1);
  if (!kind) kind = "?";
  if (strcmp(kind, "breakpoint") == 0) {
    lua_getfield(L, 1, "pc");
    char buf[40];
    snprintf(buf, sizeof buf, "breakpoint at 0x%llx", (unsigned long long)lua_tointeger(L, -1));
    lua_pushstring(L, buf);
  } else if (strcmp(kind, "signal") == 0) {
    lua_getfield(L, 1, "signal");
  } else if (strcmp(kind, "syscall") == 0) {
    lua_getfield(L, 1, "name");
    lua_getfield(L, 1, "ret");
    if (lua_isnil(L, -1))
      lua_pushfstring(L, "syscall %s", lua_tostring(L, -2));
    else
      lua_pushfstring(L, "syscall %s = %I", lua_tostring(L, -2), lua_tointeger(L, -1));
  } else if (strcmp(kind, "watchpoint") == 0) {
    lua_getfield(L, 1, "address");
    char buf[48];
    snprintf(buf, sizeof buf, "watchpoint at 0x%llx", (unsigned long long)lua_tointeger(L, -1));
    lua_pushstring(L, buf);
  } else if (strcmp(kind, "fork") == 0) {
    lua_getfield(L, 1, "pid");
    lua_pushfstring(L, "fork %d", (int)lua_tointeger(L, -1));
  } else if (strcmp(kind, "thread_create") == 0) {
    lua_pushliteral(L, "thread create");
  } else if (strcmp(kind, "thread_exit") == 0) {
    lua_getfield(L, 1, "signal");
    if (lua_isnil(L, -1)) {
      lua_getfield(L, 1, "status");
      lua_pushfstring(L, "thread exited with status %d", (int)lua_tointeger(L, -1));
    } else {
      lua_pushfstring(L, "thread exited from signal %s", lua_tostring(L, -1));
    }
  } else {
    lua_pushstring(L, kind);
  }
  return 1;
}

/* Fields of a syscall stop: name, nr, args, phase, and at exit ret and
 * (when it failed) errno. */
static void push_syscall(lua_State *L, const lt_cause *c) {
  const char *name = lt_syscall_name(c->sys_nr);
  if (name)
    lua_pushstring(L, name);
  else
    lua_pushfstring(L, "syscall_%d", (int)c->sys_nr);
  lua_setfield(L, -2, "name");
  lua_pushinteger(L, c->sys_nr);
  lua_setfield(L, -2, "nr");
  lua_createtable(L, 6, 0);
  for (int i = 0; i < 6; i++) {
    lua_pushinteger(L, (lua_Integer)c->sys_args[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "args");
  lua_pushstring(L, c->sys_entry ? "entry" : "exit");
  lua_setfield(L, -2, "phase");
  if (!c->sys_entry) {
    lua_pushinteger(L, (lua_Integer)c->sys_ret);
    lua_setfield(L, -2, "ret");
    if (c->sys_error) {
      lua_pushstring(L, lt_errname((int)-c->sys_ret));
      lua_setfield(L, -2, "errno");
    }
  }
}

/* t:unwind([max]): return addresses by CFI, innermost first. */
static int t_unwind(lua_State *L) {
  lt_thread *t = checkt(L, "unwind");
  lua_Integer max = luaL_optinteger(L, 2, 64);
  luaL_argcheck(L, max > 0 && max <= 1024, 2, "max must be 1..1024");
  uint64_t pcs[1024];
  int n = lt_backtrace(t, pcs, (size_t)max);
  if (n < 0) return lu_fail(L, tracer_of(t));
  lu_pushaddrs(L, pcs, n);
  return 1;
}

static int t_skip_syscall(lua_State *L) {
  lt_thread *t = checkt(L, "skip a syscall");
  if (lt_thread_skip_syscall(t, (int64_t)luaL_optinteger(L, 2, 0)) < 0) return lu_fail(L, tracer_of(t));
  return 0;
}

/* t:breakpoint_pc(): the address of the breakpoint the thread stopped
 * at, or nil: t:stopped().pc without building the cause table; second,
 * the trap of a probe in a trampoline when that is what stopped it. */
static int t_breakpoint_pc(lua_State *L) {
  lt_thread *t = checkt(L, "get stop cause");
  lt_cause c;
  if (lt_thread_cause(t, &c) < 0 || c.kind != LT_CAUSE_BREAKPOINT) return 0;
  lua_pushinteger(L, (lua_Integer)c.pc);
  uint64_t trap = lt_thread_trap_site(t);
  if (!trap) return 1;
  lua_pushinteger(L, (lua_Integer)trap);
  return 2;
}

static int t_stopped(lua_State *L) {
  lt_thread *t = checkt(L, "get stop cause");
  lt_cause c;
  if (lt_thread_cause(t, &c) < 0) return lu_fail(L, tracer_of(t));
  lua_createtable(L, 0, 4);
  switch (c.kind) {
  case LT_CAUSE_STOPPED: lua_pushliteral(L, "stopped"); break;
  case LT_CAUSE_BREAKPOINT:
    lua_pushinteger(L, (lua_Integer)c.pc);
    lua_setfield(L, -2, "pc");
    lua_pushinteger(L, (lua_Integer)c.pc);
    lua_setfield(L, -2, "breakpoint");
    lua_pushliteral(L, "breakpoint");
    break;
  case LT_CAUSE_SIGNAL:
    push_signame(L, c.signo);
    lua_setfield(L, -2, "signal");
    lua_pushinteger(L, c.signo);
    lua_setfield(L, -2, "signo");
    lua_pushliteral(L, "signal");
    break;
  case LT_CAUSE_THREAD_CREATE: {
    lt_thread *nt = lt_process_thread(lt_thread_process(t), c.new_tid);
    lua_getiuservalue(L, 1, 1);
    if (nt)
      lu_pushthread(L, -1, nt);
    else
      lua_pushnil(L);
    lua_setfield(L, -3, "thread");
    lua_pop(L, 1);
    lua_pushinteger(L, c.new_tid);
    lua_setfield(L, -2, "tid");
    lua_pushliteral(L, "thread_create");
    break;
  }
  case LT_CAUSE_THREAD_EXIT:
    lua_pushboolean(L, c.signo == 0);
    lua_setfield(L, -2, "exited");
    lua_pushinteger(L, c.signo ? -1 : c.status);
    lua_setfield(L, -2, "status");
    if (c.signo) {
      push_signame(L, c.signo);
      lua_setfield(L, -2, "signal");
    }
    lua_pushliteral(L, "thread_exit");
    break;
  case LT_CAUSE_EXEC: lua_pushliteral(L, "exec"); break;
  case LT_CAUSE_SYSCALL:
    push_syscall(L, &c);
    lua_pushliteral(L, "syscall");
    break;
  case LT_CAUSE_WATCH:
    lua_pushinteger(L, (lua_Integer)c.pc);
    lua_setfield(L, -2, "address");
    lua_pushinteger(L, c.signo);
    lua_setfield(L, -2, "slot");
    lua_pushliteral(L, "watchpoint");
    break;
  case LT_CAUSE_FORK: {
    lt_process *child = lt_tracer_process(tracer_of(t), c.new_tid);
    if (child)
      lu_pushprocess(L, child);
    else
      lua_pushnil(L);
    lua_setfield(L, -2, "child");
    lua_pushinteger(L, c.new_tid);
    lua_setfield(L, -2, "pid");
    lua_pushliteral(L, "fork");
    break;
  }
  }
  lua_setfield(L, -2, "kind");
  luaL_setmetatable(L, "lutra.Cause");
  return 1;
}

static int t_regs(lua_State *L) {
  lt_thread *t = checkt(L, "get registers");
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return lu_fail(L, tracer_of(t));
  lu_pushregs(L, 1, &r);
  return 1;
}

static int t_step(lua_State *L) {
  lt_thread *t = checkt(L, "single step");
  if (lt_thread_step(t) < 0) return lu_fail(L, tracer_of(t));
  lua_pushboolean(L, 1);
  return 1;
}

static int t_peek(lua_State *L) {
  lt_thread *t = checkt(L, "peek text");
  uint64_t addr = lu_checkaddr(L, 2);
  lua_Integer len = luaL_checkinteger(L, 3);
  luaL_argcheck(L, len >= 0, 3, "length must be >= 0");
  luaL_Buffer b;
  char *buf = luaL_buffinitsize(L, &b, (size_t)len);
  size_t done;
  int rc = lt_thread_peek(t, addr, buf, (size_t)len, &done);
  if (rc < 0 && lt_errcode(tracer_of(t)) == LT_EMISUSE) return lu_fail(L, tracer_of(t));
  if (rc < 0 && done == 0) return lu_fail(L, tracer_of(t));
  luaL_pushresultsize(&b, done);
  if (rc == 0) return 1;
  lua_pushstring(L, lt_errmsg(tracer_of(t)));
  lua_pushstring(L, lt_errname(lt_errcode(tracer_of(t))));
  return 3;
}

static int t_poke(lua_State *L) {
  lt_thread *t = checkt(L, "poke text");
  uint64_t addr = lu_checkaddr(L, 2);
  size_t len;
  const char *s = luaL_checklstring(L, 3, &len);
  size_t done;
  if (lt_thread_poke(t, addr, s, len, &done) < 0) return lu_fail(L, tracer_of(t));
  lua_pushinteger(L, (lua_Integer)done);
  return 1;
}

/* t:arg(n): by the ABI of the code the thread is in (Go's registers in
 * Go code, the C ABI elsewhere). */
/* Argument n (1-based, the method's argument 2) through `get`. */
static int nth_arg(lua_State *L, int (*get)(lt_thread *, int, int64_t *)) {
  lt_thread *t = checkt(L, "get registers");
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_argcheck(L, n >= 1, 2, "argument numbers start at 1");
  int64_t v;
  if (get(t, n > 1000 ? 1000 : (int)n, &v) < 0) return lu_fail(L, tracer_of(t));
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

static int abi_arg(lt_thread *t, int n, int64_t *v) { return lt_thread_arg(t, n, (uint64_t *)v); }
static int t_arg(lua_State *L) { return nth_arg(L, abi_arg); }

/* t:return_address(): at a function's first instruction, where it returns
 * to and what the stack pointer is once it has (the arch's return slot). */
static int t_return_address(lua_State *L) {
  lt_thread *t = checkt(L, "get registers");
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return lu_fail(L, tracer_of(t));
  uint64_t slot = arch_return_slot(&r), ret;
  if (lt_read(lt_thread_process(t), slot, &ret, sizeof ret) != (ssize_t)sizeof ret)
    return lu_fail(L, tracer_of(t));
  lua_pushinteger(L, (lua_Integer)ret);
  lua_pushinteger(L, (lua_Integer)arch_sp_after_return(arch_sp(&r)));
  return 2;
}

/* t:goroutine(): the running goroutine's id; nil, msg, "ENOTGO" outside Go code. */
static int t_goroutine(lua_State *L) {
  lt_thread *t = checkt(L, "get registers");
  int64_t id;
  if (lt_thread_goroutine(t, &id) < 0) return lu_fail(L, tracer_of(t));
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/* t:frame_key([sp]): key, depth of the frame at the thread's sp (or at
 * `sp`, an address in the same stack): the tid and sp, or in Go code
 * "g<goid>" and sp's distance from the top of the goroutine's stack
 * (unchanged when the runtime moves the stack); nil for a thread that is
 * not stopped (exiting). */
static int t_frame_key(lua_State *L) {
  lt_thread *t = checkt(L, "get registers");
  uint64_t sp = lua_isnoneornil(L, 2) ? 0 : lu_checkaddr(L, 2);
  int64_t goid, depth;
  if (!lt_state_is_stopped(lt_thread_state(t))) return 0; /* exiting: no frame to key */
  if (lt_thread_frame(t, sp, &goid, &depth) < 0) return lu_fail(L, tracer_of(t));
  if (goid > 0)
    lua_pushfstring(L, "g%I", (lua_Integer)goid);
  else
    lua_pushinteger(L, lt_thread_tid(t));
  lua_pushinteger(L, (lua_Integer)depth);
  return 2;
}

/* t:probe_arg(n): argument n (1-based) of the USDT probe the thread is
 * stopped at; nil, msg, "ENOTUSDT" at any other stop. */
static int t_probe_arg(lua_State *L) { return nth_arg(L, lt_thread_probe_arg); }

/* t:usdt_probe(): provider, name, argument count of the USDT probe the
 * thread is stopped at; nil, msg, "ENOTUSDT" elsewhere. */
static int t_usdt_probe(lua_State *L) {
  lt_thread *t = checkt(L, "get stop cause");
  const char *prov, *name;
  int n;
  if (lt_thread_usdt_probe(t, &prov, &name, &n) < 0) return lu_fail(L, tracer_of(t));
  lua_pushstring(L, prov);
  lua_pushstring(L, name);
  lua_pushinteger(L, n);
  return 3;
}

static int t_retval(lua_State *L) {
  lt_thread *t = checkt(L, "get registers");
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return lu_fail(L, tracer_of(t));
  lua_pushinteger(L, (lua_Integer)arch_retval(&r));
  return 1;
}

static int t_set_retval(lua_State *L) {
  lt_thread *t = checkt(L, "set registers");
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return lu_fail(L, tracer_of(t));
  arch_set_retval(&r, (uint64_t)luaL_checkinteger(L, 2));
  if (lt_thread_set_regs(t, &r) < 0) return lu_fail(L, tracer_of(t));
  return 0;
}

static int t_set_signal(lua_State *L) {
  lt_thread *t = checkt(L, "set signal");
  int signo = lu_checksignal(L, 2, 1);
  if (lt_thread_set_signal(t, signo) < 0) return lu_fail(L, tracer_of(t));
  return 0;
}

static int t_pending_signal(lua_State *L) {
  lt_thread *t = checkt(L, "get its pending signal");
  int s = lt_thread_signal(t);
  if (!s) return 0;
  push_signame(L, s);
  return 1;
}

/* t:signal(sig): sends sig (a name or number) to this thread. */
static int t_signal(lua_State *L) {
  lt_thread *t = checkt(L, "send a signal");
  int signo = lu_checksignal(L, 2, 0);
  if (signo <= 0) return luaL_error(L, "unknown signal '%s'", lua_tostring(L, 2));
  if (lt_thread_kill(t, signo) < 0) return lu_fail(L, tracer_of(t));
  lua_pushboolean(L, 1);
  return 1;
}

/* t:siginfo(): the signal a thread stopped with: {signo=, signal=, code=,
 * addr= (faults), pid=, uid= (sent ones)}. */
static int t_siginfo(lua_State *L) {
  lt_thread *t = checkt(L, "get siginfo");
  siginfo_t si;
  if (lt_thread_siginfo(t, &si) < 0) return lu_fail(L, tracer_of(t));
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, si.si_signo);
  lua_setfield(L, -2, "signo");
  push_signame(L, si.si_signo);
  lua_setfield(L, -2, "signal");
  lua_pushinteger(L, si.si_code);
  lua_setfield(L, -2, "code");
  if (si.si_signo == SIGSEGV || si.si_signo == SIGBUS || si.si_signo == SIGFPE || si.si_signo == SIGILL ||
      si.si_signo == SIGTRAP) {
    lua_pushinteger(L, (lua_Integer)(uintptr_t)si.si_addr);
    lua_setfield(L, -2, "addr");
  }
  if (si.si_code <= 0) { /* sent by a process: SI_USER, SI_TKILL, SI_QUEUE */
    lua_pushinteger(L, si.si_pid);
    lua_setfield(L, -2, "pid");
    lua_pushinteger(L, si.si_uid);
    lua_setfield(L, -2, "uid");
  }
  return 1;
}

static int t_index(lua_State *L) {
  lu_thread *ut = lu_checkudata(L, 1, LUTRA_THREAD);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  const char *k = lua_tostring(L, 2);
  if (!k) return 0;
  if (strcmp(k, "tid") == 0) {
    lua_pushinteger(L, ut->tid);
  } else if (strcmp(k, "process") == 0) {
    lua_getiuservalue(L, 1, 1);
  } else if (strcmp(k, "state") == 0) {
    lua_getiuservalue(L, 1, 1);
    lu_process *up = lua_touserdata(L, -1);
    lt_thread *t = up && up->p ? lt_process_thread(up->p, ut->tid) : NULL;
    if (t)
      lua_pushstring(L, lt_state_name(lt_thread_state(t)));
    else if (up && up->p && lt_process_state(up->p) == LT_PS_DETACHED)
      lua_pushliteral(L, "Detached");
    else
      lua_pushliteral(L, "Exited");
  } else {
    return 0;
  }
  return 1;
}

static int t_tostring(lua_State *L) {
  lu_thread *ut = lu_checkudata(L, 1, LUTRA_THREAD);
  lua_pushfstring(L, "lutra.Thread(%d)", (int)ut->tid);
  return 1;
}

static int t_eq(lua_State *L) {
  lu_thread *a = lu_checkudata(L, 1, LUTRA_THREAD), *b = lu_checkudata(L, 2, LUTRA_THREAD);
  lua_pushboolean(L, a->tid == b->tid && a->p == b->p);
  return 1;
}

static const luaL_Reg methods[] = {{"stopped", t_stopped},
                                   {"breakpoint_pc", t_breakpoint_pc},
                                   {"regs", t_regs},
                                   {"step", t_step},
                                   {"peek", t_peek},
                                   {"poke", t_poke},
                                   {"arg", t_arg},
                                   {"return_address", t_return_address},
                                   {"retval", t_retval},
                                   {"set_retval", t_set_retval},
                                   {"set_signal", t_set_signal},
                                   {"signal", t_signal},
                                   {"pending_signal", t_pending_signal},
                                   {"siginfo", t_siginfo},
                                   {"skip_syscall", t_skip_syscall},
                                   {"unwind", t_unwind},
                                   {"goroutine", t_goroutine},
                                   {"frame_key", t_frame_key},
                                   {"probe_arg", t_probe_arg},
                                   {"usdt_probe", t_usdt_probe},
                                   {NULL, NULL}};

static const luaL_Reg metamethods[] = {{"__tostring", t_tostring}, {"__eq", t_eq}, {NULL, NULL}};

void lu_open_thread(lua_State *L) {
  luaL_newmetatable(L, "lutra.Cause");
  lua_pushcfunction(L, cause_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lu_newclass(L, LUTRA_THREAD, methods, t_index, metamethods);
}
