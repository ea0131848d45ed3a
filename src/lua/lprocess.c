/* lprocess.c: the lutra.Process userdata: the seed's Process (threads,
 * breakpoints, stop/cont/wait_stop, detach, kill), memory and symbols. */
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../elf/usdt.h"
#include "lutil.h"

static const char *const pstate_names[] = {"stopped", "running", "exited", "detached"};

/* The registry: one Process userdata per engine process (weak values),
 * so that a forked child met twice is the same Lua value. */
#define PROCS "lutra.procs"

lu_process *lu_newprocess(lua_State *L) {
  lu_process *up = lua_newuserdatauv(L, sizeof *up, 1);
  up->p = NULL; /* born released: __gc is harmless until filled in */
  up->pid = 0;
  luaL_setmetatable(L, LUTRA_PROCESS);
  lua_newtable(L); /* tid -> Thread, weak values */
  lua_newtable(L);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setiuservalue(L, -2, 1);
  return up;
}

/* Objects at least this big take a noticeable time to read (libLLVM, a
 * browser's libxul): while they are read, a terminal says so. */
#define SHOW_READS_FROM (16u << 20)

/* The engine reads an object's symbols: one line on stderr while a big
 * one is read, erased after, when stderr is a terminal (quiet otherwise). */
static void show_symbol_read(void *ud, const char *path, uint64_t size, int done) {
  (void)ud;
  if (size < SHOW_READS_FROM || !isatty(2)) return;
  if (!done) {
    const char *slash = strrchr(path, '/');
    fprintf(stderr, "\rlutra: reading the symbols of %s (%" PRIu64 " MB)...\033[K", slash ? slash + 1 : path,
            size >> 20);
  } else {
    fputs("\r\033[K", stderr);
  }
  fflush(stderr);
}

void lu_setprocess(lua_State *L, lu_process *up, lt_process *p) {
  up->p = p;
  up->pid = lt_process_pid(p);
  lt_process_on_symbols(p, show_symbol_read, NULL);
  lua_getfield(L, LUA_REGISTRYINDEX, PROCS);
  lua_pushlightuserdata(L, p);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void lu_pushprocess(lua_State *L, lt_process *p) {
  lua_getfield(L, LUA_REGISTRYINDEX, PROCS);
  lua_pushlightuserdata(L, p);
  if (lua_rawget(L, -2) != LUA_TNIL) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 2);
  lu_setprocess(L, lu_newprocess(L), p);
}

static lt_process *checkp(lua_State *L) { return lu_checkprocess(L, 1)->p; }

/* An engine call's answer: true, or the failure (nil, msg, code / error). */
static int done(lua_State *L, lt_process *p, int rc) {
  if (rc < 0) return lu_fail(L, lt_process_tracer(p));
  lua_pushboolean(L, 1);
  return 1;
}

/* Thread userdata are cached per process (weak values), so the same thread
 * is the same Lua value while anyone holds it: usable as a table key. */
void lu_pushthread(lua_State *L, int pidx, lt_thread *t) {
  pidx = lua_absindex(L, pidx);
  lua_getiuservalue(L, pidx, 1);
  lua_rawgeti(L, -1, lt_thread_tid(t));
  if (!lua_isnil(L, -1)) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  lu_thread *ut = lua_newuserdatauv(L, sizeof *ut, 1);
  ut->p = lt_thread_process(t);
  ut->tid = lt_thread_tid(t);
  luaL_setmetatable(L, LUTRA_THREAD);
  lua_pushvalue(L, pidx);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, -1);
  lua_rawseti(L, -3, lt_thread_tid(t));
  lua_remove(L, -2);
}

static int p_threads(lua_State *L) {
  lt_process *p = checkp(L);
  size_t n = lt_process_nthreads(p);
  lt_thread **ts = malloc((n ? n : 1) * sizeof *ts);
  if (!ts) return luaL_error(L, "out of memory");
  n = lt_process_threads(p, ts, n);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lu_pushthread(L, 1, ts[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(ts);
  return 1;
}

static int p_thread(lua_State *L) {
  lt_process *p = checkp(L);
  lt_thread *t = lt_process_thread(p, (pid_t)luaL_checkinteger(L, 2));
  if (!t || lt_thread_state(t) == LT_EXITED) return 0;
  lu_pushthread(L, 1, t);
  return 1;
}

static int p_add_breakpoint(lua_State *L) {
  lt_process *p = checkp(L);
  return done(L, p, lt_add_breakpoint(p, lu_checkaddr(L, 2)));
}

static int p_remove_breakpoint(lua_State *L) {
  lt_process *p = checkp(L);
  return done(L, p, lt_remove_breakpoint(p, lu_checkaddr(L, 2)));
}

static int p_set_breakpoint_nonstop(lua_State *L) {
  lt_process *p = checkp(L);
  return done(L, p, lt_set_breakpoint_nonstop(p, lu_checkaddr(L, 2), lua_toboolean(L, 3)));
}

/* p:forget_unmapped(): the addresses of the breakpoints dropped because
 * their object is no longer mapped there (lt_forget_unmapped). */
static int p_forget_unmapped(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t *a = NULL;
  size_t n = lt_forget_unmapped(p, &a);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; a && i < n; i++) {
    lua_pushinteger(L, (lua_Integer)a[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(a);
  return 1;
}

static int p_has_breakpoint(lua_State *L) {
  lua_pushboolean(L, lt_has_breakpoint(checkp(L), lu_checkaddr(L, 2)));
  return 1;
}

static int p_stop(lua_State *L) {
  lt_process *p = checkp(L);
  return done(L, p, lt_stop(p));
}

static int p_cont(lua_State *L) {
  lt_process *p = checkp(L);
  return done(L, p, lt_cont(p));
}

/* p:events(): the eventful threads of the last round (wait_stop's answer). */
/* The round's eventful threads, in a new table or in the table at index
 * `into` (emptied first: a dispatch loop reuses one, no table per round). */
static int push_events(lua_State *L, lt_process *p, int into) {
  lt_thread **ev;
  size_t n = lt_process_events(p, &ev);
  if (into && lua_istable(L, into)) {
    lua_pushvalue(L, into);
    for (lua_Integer i = (lua_Integer)lua_rawlen(L, -1); i > (lua_Integer)n; i--) {
      lua_pushnil(L);
      lua_rawseti(L, -2, i);
    }
  } else {
    lua_createtable(L, (int)n, 0);
  }
  for (size_t i = 0; i < n; i++) {
    lu_pushthread(L, 1, ev[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int p_events(lua_State *L) {
  lt_process *p = checkp(L);
  return push_events(L, p, 2);
}

/* What a wait answers: the round's events (in the table at index 3 when
 * given), or nil, msg, code for the expected ends (ETIMEOUT, EEXITED), an
 * error or nil, msg, code for the rest (lu_fail). */
static int wait_answer(lua_State *L, lt_process *p, int rc) {
  if (rc < 0) {
    lt_tracer *tr = lt_process_tracer(p);
    int code = lt_errcode(tr);
    if (code == LT_ETIMEOUT || code == LT_EEXITED) {
      lua_pushnil(L);
      lua_pushstring(L, lt_errmsg(tr));
      lua_pushstring(L, lt_errname(code));
      return 3;
    }
    return lu_fail(L, tr);
  }
  return push_events(L, p, 3);
}

/* p:wait_stop([timeout [, into [, running]]]): `running`: a timeout leaves
 * the process running (run's ticks). */
static int p_wait_stop(lua_State *L) {
  lt_process *p = checkp(L);
  double timeout = luaL_optnumber(L, 2, -1);
  int running = lua_toboolean(L, 4);
  return wait_answer(L, p, running ? lt_wait_stop_running(p, timeout) : lt_wait_stop(p, timeout));
}

/* p:resume_wait([timeout [, into]]): cont then wait_stop in one call, the
 * round trip of run's loop at every hit: wait_stop's answer, or nil, the
 * state's name, EMISUSE (not raised) for a process that is neither stopped
 * nor running. */
static int p_resume_wait(lua_State *L) {
  lt_process *p = checkp(L);
  lt_pstate st = lt_process_state(p);
  if (st != LT_PS_STOPPED && st != LT_PS_RUNNING) {
    lua_pushnil(L);
    lua_pushstring(L, pstate_names[st]);
    lua_pushstring(L, lt_errname(LT_EMISUSE));
    return 3;
  }
  if (lt_cont(p) < 0 && lt_process_state(p) != LT_PS_EXITED) return lu_fail(L, lt_process_tracer(p));
  return wait_answer(L, p, lt_wait_stop(p, luaL_optnumber(L, 2, -1)));
}

static int p_detach(lua_State *L) {
  lt_process *p = checkp(L);
  return done(L, p, lt_detach(p));
}

static int p_kill(lua_State *L) {
  lt_process *p = checkp(L);
  return done(L, p, lt_kill(p));
}

static int p_read(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t addr = lu_checkaddr(L, 2);
  lua_Integer len = luaL_checkinteger(L, 3);
  luaL_argcheck(L, len >= 0, 3, "length must be >= 0");
  luaL_Buffer b;
  char *buf = luaL_buffinitsize(L, &b, (size_t)len);
  ssize_t n = lt_read(p, addr, buf, (size_t)len);
  if (n == (ssize_t)len) {
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
  }
  if (n <= 0) return lu_fail(L, lt_process_tracer(p));
  luaL_pushresultsize(&b, (size_t)n); /* short read: the bytes, then why */
  lt_tracer *tr = lt_process_tracer(p);
  lua_pushstring(L, lt_errmsg(tr));
  lua_pushstring(L, lt_errname(lt_errcode(tr)));
  return 3;
}

static int p_write(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t addr = lu_checkaddr(L, 2);
  size_t len;
  const char *s = luaL_checklstring(L, 3, &len);
  ssize_t n = lt_write(p, addr, s, len);
  if (n != (ssize_t)len) return lu_fail(L, lt_process_tracer(p));
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int p_read_string(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t addr = lu_checkaddr(L, 2);
  lua_Integer max = luaL_optinteger(L, 3, 4096);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_Integer got = 0;
  while (got < max) {
    /* Read up to the end of the page so a string near unmapped memory
     * still reads. */
    size_t chunk = 4096 - ((addr + (uint64_t)got) & 4095);
    if ((lua_Integer)chunk > max - got) chunk = (size_t)(max - got);
    char tmp[4096];
    ssize_t n = lt_read(p, addr + (uint64_t)got, tmp, chunk);
    if (n <= 0) {
      if (got == 0) return lu_fail(L, lt_process_tracer(p));
      break;
    }
    char *nul = memchr(tmp, 0, (size_t)n);
    if (nul) {
      luaL_addlstring(&b, tmp, (size_t)(nul - tmp));
      break;
    }
    luaL_addlstring(&b, tmp, (size_t)n);
    got += n;
    if ((size_t)n < chunk) break;
  }
  luaL_pushresult(&b);
  return 1;
}

static int p_symbol(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t addr;
  if (lt_symbol(p, luaL_checkstring(L, 2), &addr, NULL) < 0) return lu_fail(L, lt_process_tracer(p));
  lua_pushinteger(L, (lua_Integer)addr);
  return 1;
}

static void push_module_name(lua_State *L, const char *path) {
  const char *slash = strrchr(path, '/');
  lua_pushstring(L, slash ? slash + 1 : path);
}

/* "function" for code (a function, an IFUNC, or an untyped label in an
 * executable segment), else "object". */
static const char *sym_kind(const lt_sym *y) {
  return y->code && y->type != STT_OBJECT ? "function" : "object";
}

/* {name=, linkage_name=, address=, size=, module=, type=} */
static void push_sym(lua_State *L, const lt_module *md, const lt_sym *y, uint64_t addr) {
  lua_createtable(L, 0, 6);
  char *owned;
  lua_pushstring(L, lt_symtab_display(md->syms, y, &owned));
  free(owned);
  lua_setfield(L, -2, "name");
  lua_pushstring(L, y->name);
  lua_setfield(L, -2, "linkage_name");
  lua_pushinteger(L, (lua_Integer)addr);
  lua_setfield(L, -2, "address");
  lua_pushinteger(L, (lua_Integer)y->size);
  lua_setfield(L, -2, "size");
  push_module_name(L, md->path);
  lua_setfield(L, -2, "module");
  lua_pushstring(L, sym_kind(y));
  lua_setfield(L, -2, "type");
}

/* p:lookup(where): every location a name designates (lt_lookup), or nil,
 * msg, code. */
static int p_lookup(lua_State *L) {
  lt_process *p = checkp(L);
  const char *where = luaL_checkstring(L, 2);
  lt_location locs[256];
  int n = lt_lookup(p, where, locs, 256);
  if (n < 0) return lu_fail(L, lt_process_tracer(p));
  lua_createtable(L, n, 0);
  for (int i = 0; i < n && i < 256; i++) {
    push_sym(L, locs[i].mod, locs[i].sym, locs[i].addr);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int p_symbols(lua_State *L) {
  lt_process *p = checkp(L);
  const char *glob = luaL_checkstring(L, 2);
  const lt_modules *m = lt_process_modules(p);
  /* "libc.so.6:str*" lists one module's */
  const lt_module *only = NULL;
  size_t split = lt_split_where(glob);
  if (split) {
    lua_pushlstring(L, glob, split);
    only = lt_modules_find(m, lua_tostring(L, -1));
    lua_pop(L, 1);
    if (only) glob += split + 1;
  }
  lua_newtable(L);
  lua_Integer n = 0;
  for (size_t i = 0; i < m->n; i++) {
    if (only && &m->mods[i] != only) continue;
    lt_symtab *s = m->mods[i].syms;
    for (size_t j = 0; j < s->n; j++) {
      const lt_sym *y = &s->syms[j];
      if (j > 0 && strcmp(s->syms[j - 1].name, y->name) == 0) continue;
      if (!lt_symtab_glob(s, y, glob)) continue;
      push_sym(L, &m->mods[i], y, y->value + m->mods[i].bias);
      lua_rawseti(L, -2, ++n);
    }
  }
  return 1;
}

/* name (demangled), offset, module, linkage name */
static int p_symbolize(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t addr = lu_checkaddr(L, 2);
  const lt_sym *s;
  const lt_module *m;
  if (!lt_symbolize(p, addr, &s, &m)) return 0;
  char *owned;
  lua_pushstring(L, lt_symtab_display(m->syms, s, &owned));
  free(owned);
  lua_pushinteger(L, (lua_Integer)(addr - (s->value + m->bias)));
  push_module_name(L, m->path);
  lua_pushstring(L, s->name);
  return 4;
}

/* p:probe_address(addr): where a probe on the function at addr goes
 * (past a Go function's stack-check prologue; addr itself otherwise). */
static int p_probe_address(lua_State *L) {
  lt_process *p = checkp(L);
  lua_pushinteger(L, (lua_Integer)lt_probe_address(p, lu_checkaddr(L, 2)));
  return 1;
}

/* p:usdt_probes([module]): the SDT probes of the mapped objects (or of
 * one): {provider=, name=, address=, semaphore= (nil when none), args=,
 * nargs=, module=, path=}. */
static int p_usdt_probes(lua_State *L) {
  lt_process *p = checkp(L);
  const char *only_name = luaL_optstring(L, 2, NULL);
  const lt_modules *m = lt_process_modules(p);
  const lt_module *only = only_name ? lt_modules_find(m, only_name) : NULL;
  if (only_name && !only) {
    lua_pushnil(L);
    lua_pushfstring(L, "no module '%s' loaded in process %d", only_name, (int)lt_process_pid(p));
    lua_pushliteral(L, "ENOSYM");
    return 3;
  }
  lua_newtable(L);
  lua_Integer k = 0;
  for (size_t i = 0; i < m->n; i++) {
    const lt_module *md = &m->mods[i];
    if ((only && md != only) || !md->syms || !md->syms->usdt) continue;
    const lt_usdt_notes *u = md->syms->usdt;
    for (size_t j = 0; j < u->n; j++) {
      const lt_usdt_probe *pr = &u->probes[j];
      lua_createtable(L, 0, 8);
      lua_pushstring(L, pr->provider);
      lua_setfield(L, -2, "provider");
      lua_pushstring(L, pr->name);
      lua_setfield(L, -2, "name");
      lua_pushinteger(L, (lua_Integer)(pr->pc + md->bias));
      lua_setfield(L, -2, "address");
      if (pr->semaphore) {
        lua_pushinteger(L, (lua_Integer)(pr->semaphore + md->bias));
        lua_setfield(L, -2, "semaphore");
      }
      lua_pushstring(L, pr->args);
      lua_setfield(L, -2, "args");
      lua_pushinteger(L, lt_usdt_nargs(pr));
      lua_setfield(L, -2, "nargs");
      push_module_name(L, md->path);
      lua_setfield(L, -2, "module");
      lua_pushstring(L, md->path);
      lua_setfield(L, -2, "path");
      lua_rawseti(L, -2, ++k);
    }
  }
  return 1;
}

/* p:usdt_semaphore(addr, delta): moves a USDT semaphore by delta (lutra
 * keeps count of its share, which detach takes back). */
static int p_usdt_semaphore(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t addr = lu_checkaddr(L, 2);
  lua_Integer d = luaL_checkinteger(L, 3);
  luaL_argcheck(L, d >= -1000 && d <= 1000, 3, "delta out of range");
  return done(L, p, lt_usdt_semaphore(p, addr, (int)d));
}

/* p:source_lines(file, line): addresses where that line begins. */
static int p_source_lines(lua_State *L) {
  lt_process *p = checkp(L);
  const char *file = luaL_checkstring(L, 2);
  int line = (int)luaL_checkinteger(L, 3);
  uint64_t addrs[64];
  int n = lt_source_lines(p, file, line, addrs, 64);
  if (n < 0) return lu_fail(L, lt_process_tracer(p));
  lu_pushaddrs(L, addrs, n);
  return 1;
}

/* p:source_of(addr): file, line (nil without line tables). */
static int p_source_of(lua_State *L) {
  lt_process *p = checkp(L);
  const char *file;
  int line;
  if (!lt_source_of(p, lu_checkaddr(L, 2), &file, &line)) return 0;
  lua_pushstring(L, file);
  lua_pushinteger(L, line);
  return 2;
}

static void push_module(lua_State *L, const lt_module *md) {
  lua_createtable(L, 0, 8);
  lua_pushstring(L, md->path);
  lua_setfield(L, -2, "path");
  lua_pushinteger(L, (lua_Integer)md->base);
  lua_setfield(L, -2, "base");
  lua_pushinteger(L, (lua_Integer)md->bias);
  lua_setfield(L, -2, "bias");
  lua_pushinteger(L, (lua_Integer)md->end);
  lua_setfield(L, -2, "end");
  lua_pushinteger(L, (lua_Integer)(md->syms->entry + md->bias));
  lua_setfield(L, -2, "entry");
  lua_pushboolean(L, md->is_exe);
  lua_setfield(L, -2, "executable");
  lua_pushboolean(L, md->syms->has_interp);
  lua_setfield(L, -2, "interp");
  lua_pushboolean(L, md->syms->stripped);
  lua_setfield(L, -2, "stripped");
}

static int p_modules(lua_State *L) {
  lt_process *p = checkp(L);
  const lt_modules *m = lt_process_modules(p);
  lua_createtable(L, (int)m->n, 0);
  for (size_t i = 0; i < m->n; i++) {
    push_module(L, &m->mods[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* p:module(name): the mapped object a module prefix names (basename,
 * path, or a prefix up to a dot), or nil. */
static int p_module(lua_State *L) {
  lt_process *p = checkp(L);
  const lt_module *md = lt_modules_find(lt_process_modules(p), luaL_checkstring(L, 2));
  if (!md) return 0;
  push_module(L, md);
  return 1;
}

static int p_core_stats(lua_State *L) {
  const lt_stats *s = lt_process_stats(checkp(L));
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, (lua_Integer)s->stops);
  lua_setfield(L, -2, "stops");
  lua_pushinteger(L, (lua_Integer)s->hits);
  lua_setfield(L, -2, "hits");
  lua_pushinteger(L, (lua_Integer)s->steps);
  lua_setfield(L, -2, "steps");
  lua_pushinteger(L, (lua_Integer)s->emulated);
  lua_setfield(L, -2, "emulated");
  lua_pushinteger(L, (lua_Integer)s->displaced);
  lua_setfield(L, -2, "displaced");
  lua_pushinteger(L, (lua_Integer)s->syscalls);
  lua_setfield(L, -2, "syscalls");
  lua_pushnumber(L, s->tracer_s);
  lua_setfield(L, -2, "tracer_s");
  size_t objects = 0;
  lua_pushnumber(L, lt_process_symbols_time(checkp(L), &objects));
  lua_setfield(L, -2, "symbols_s");
  lua_pushinteger(L, (lua_Integer)objects);
  lua_setfield(L, -2, "symbol_files");
  return 1;
}

/* p:trace_syscalls(on [, names]): names is an array of syscall names
 * (or numbers) to stop at; without it every syscall stops. */
static int p_trace_syscalls(lua_State *L) {
  lt_process *p = checkp(L);
  int on = lua_toboolean(L, 2);
  uint8_t filter[LT_NSYSCALLS / 8];
  const uint8_t *f = NULL;
  if (on && lua_istable(L, 3)) {
    memset(filter, 0, sizeof filter);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 3);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, 3, i);
      long nr = lua_type(L, -1) == LUA_TNUMBER ? (long)lua_tointeger(L, -1)
                                               : lt_syscall_number(luaL_checkstring(L, -1));
      if (nr < 0 || nr >= LT_NSYSCALLS)
        return luaL_error(L, "trace_syscalls: unknown syscall '%s'", lua_tostring(L, -1));
      filter[nr / 8] |= (uint8_t)(1u << (nr % 8));
      lua_pop(L, 1);
    }
    f = filter;
  }
  if (!lua_isnoneornil(L, 4)) lt_process_set_seccomp(p, lua_toboolean(L, 4));
  return done(L, p, lt_trace_syscalls(p, on, f));
}

/* p:add_watch(addr, len, kind): kind "x", "w" or "rw"; the slot. */
static int p_add_watch(lua_State *L) {
  lt_process *p = checkp(L);
  uint64_t addr = lu_checkaddr(L, 2);
  int len = (int)luaL_checkinteger(L, 3);
  const char *kind = luaL_checkstring(L, 4);
  luaL_argcheck(L, !strcmp(kind, "x") || !strcmp(kind, "w") || !strcmp(kind, "rw"), 4,
                "\"x\", \"w\" or \"rw\"");
  int slot = lt_watch_add(p, addr, len, kind[0] == 'r' ? 'r' : kind[0]);
  if (slot < 0) return lu_fail(L, lt_process_tracer(p));
  lua_pushinteger(L, slot);
  return 1;
}

static int p_remove_watch(lua_State *L) {
  lt_process *p = checkp(L);
  return done(L, p, lt_watch_remove(p, (int)luaL_checkinteger(L, 2)));
}

static int p_set_follow_fork(lua_State *L) {
  lt_process_set_follow_fork(checkp(L), lua_toboolean(L, 2));
  return 0;
}

static int p_field(lua_State *L, lu_process *up, const char *k) {
  lt_process *p = up->p;
  if (strcmp(k, "pid") == 0) {
    lua_pushinteger(L, up->pid);
  } else if (strcmp(k, "state") == 0) {
    lua_pushstring(L, p ? pstate_names[lt_process_state(p)] : "detached");
  } else if (strcmp(k, "spawned") == 0) {
    lua_pushboolean(L, p && lt_process_spawned(p));
  } else if (strcmp(k, "seccomp") == 0) {
    lua_pushboolean(L, p && lt_process_seccomp(p));
  } else if (strcmp(k, "must_follow") == 0) {
    lua_pushboolean(L, p && lt_process_must_follow(p));
  } else if (strcmp(k, "exit") == 0) {
    if (!p || lt_process_state(p) != LT_PS_EXITED) return 0;
    int code, sig;
    lua_createtable(L, 0, 1);
    if (lt_process_exit(p, &code, &sig)) {
      lua_pushinteger(L, code);
      lua_setfield(L, -2, "code");
    } else {
      const char *name = lt_signal_name(sig);
      if (name)
        lua_pushstring(L, name);
      else
        lua_pushinteger(L, sig);
      lua_setfield(L, -2, "signal");
    }
  } else {
    return 0;
  }
  return 1;
}

/* Methods first (the table in upvalue 1, which lua/lutra extends), then
 * the fields. */
static int p_index(lua_State *L) {
  lu_process *up = lu_checkudata(L, 1, LUTRA_PROCESS);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  const char *k = lua_tostring(L, 2);
  return k ? p_field(L, up, k) : 0;
}

static int p_gc(lua_State *L) {
  lu_process *up = lu_checkudata(L, 1, LUTRA_PROCESS);
  if (up->p) lt_process_free(up->p);
  up->p = NULL;
  return 0;
}

static int p_tostring(lua_State *L) {
  lu_process *up = lu_checkudata(L, 1, LUTRA_PROCESS);
  lua_pushfstring(L, "lutra.Process(%d, %s)", (int)up->pid,
                  up->p ? pstate_names[lt_process_state(up->p)] : "released");
  return 1;
}

static const luaL_Reg methods[] = {{"threads", p_threads},
                                   {"thread", p_thread},
                                   {"add_breakpoint", p_add_breakpoint},
                                   {"remove_breakpoint", p_remove_breakpoint},
                                   {"has_breakpoint", p_has_breakpoint},
                                   {"forget_unmapped", p_forget_unmapped},
                                   {"set_breakpoint_nonstop", p_set_breakpoint_nonstop},
                                   {"stop", p_stop},
                                   {"cont", p_cont},
                                   {"wait_stop", p_wait_stop},
                                   {"resume_wait", p_resume_wait},
                                   {"detach", p_detach},
                                   {"kill", p_kill},
                                   {"read", p_read},
                                   {"write", p_write},
                                   {"read_string", p_read_string},
                                   {"symbol", p_symbol},
                                   {"symbols", p_symbols},
                                   {"lookup", p_lookup},
                                   {"symbolize", p_symbolize},
                                   {"modules", p_modules},
                                   {"module", p_module},
                                   {"core_stats", p_core_stats},
                                   {"release", p_gc},
                                   {"trace_syscalls", p_trace_syscalls},
                                   {"source_lines", p_source_lines},
                                   {"source_of", p_source_of},
                                   {"set_follow_fork", p_set_follow_fork},
                                   {"events", p_events},
                                   {"add_watch", p_add_watch},
                                   {"remove_watch", p_remove_watch},
                                   {"probe_address", p_probe_address},
                                   {"usdt_probes", p_usdt_probes},
                                   {"usdt_semaphore", p_usdt_semaphore},
                                   {NULL, NULL}};

static const luaL_Reg metamethods[] = {
    {"__gc", p_gc}, {"__close", p_gc}, {"__tostring", p_tostring}, {NULL, NULL}};

void lu_open_process(lua_State *L) {
  lu_newclass(L, LUTRA_PROCESS, methods, p_index, metamethods);
  lua_getfield(L, LUA_REGISTRYINDEX, PROCS);
  if (lua_isnil(L, -1)) { /* engine process -> Process userdata, weak */
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, PROCS);
  }
  lua_pop(L, 1);
}
