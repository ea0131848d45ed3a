/* main.c: the lutra command. Like lua.c: it makes a Lua state, preloads
 * the bindings, and hands the command line to lua/lutra/cli.lua under
 * lua_pcall. Signals only set flags; lua_close runs every __gc, which is
 * where each Process removes its int3 bytes and kills or detaches. Every
 * way out (the chunk's end, an error, os.exit, a signal, a closed output)
 * ends in leave(), so that cleanup happens exactly once. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lutra.h"

int luaopen_lutra_core(lua_State *L);

/* The one piece of global state outside the tracer: a signal handler can
 * reach nothing else (lua.c keeps its globalL for the same reason). */
static struct {
  lua_State *L;
  lt_tracer *tr;
  volatile sig_atomic_t signo;
  volatile sig_atomic_t fatal; /* a fatal signal's cleanup has begun */
} sig_target;

/* The Lua state's allocator: counts what Lua holds, and refuses to grow
 * past `limit` (0: no limit; --lua-memory), so that a runaway script ends
 * in Lua's "not enough memory" error and an orderly cleanup instead of
 * the whole machine swapping. */
typedef struct {
  size_t used, limit;
} lua_memory;

static void *counted_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  lua_memory *m = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    m->used -= old;
    return NULL;
  }
  if (m->limit && nsize > old && m->used - old + nsize > m->limit) return NULL;
  void *p = realloc(ptr, nsize);
  if (p) m->used = m->used - old + nsize;
  return p;
}

/* lutra's own bug (a failed assertion, a fault in lutra): before dying,
 * put every traced program back as it was (int3 bytes removed, attached
 * ones detached, spawned ones killed), then die of the same signal. */
static void on_fatal(int signo) {
  if (!sig_target.fatal && sig_target.L) { /* L is NULL once the tracer is gone */
    sig_target.fatal = 1;
    static const char msg[] = "lutra: internal error: fatal signal; releasing traced processes\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    if (sig_target.tr) lt_tracer_release_all(sig_target.tr);
  }
  signal(signo, SIG_DFL);
  raise(signo);
}

/* An error outside any protected call: lutra's bug. abort() reaches
 * on_fatal, which releases the traced processes. */
static int panic(lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "lutra: internal error: Lua panic: %s\n", msg ? msg : "(no message)");
  abort();
}

/* lutra.host: what only the lutra command offers scripts. */
static int host_set_memory_limit(lua_State *L) {
  lua_memory *m;
  lua_getallocf(L, (void **)&m);
  lua_Integer mb = luaL_checkinteger(L, 1);
  luaL_argcheck(L, mb >= 0, 1, "megabytes, 0 for no limit");
  m->limit = (size_t)mb << 20;
  return 0;
}

/* Like gdb's `maint internal-error`: lutra's own assertion failing, on
 * purpose, so that the specs can check what a real one leaves behind. */
static int host_internal_error(lua_State *L) {
  fprintf(stderr, "lutra: internal error: %s\n", luaL_optstring(L, 1, "on request"));
  abort();
}

static int open_host(lua_State *L) {
  static const luaL_Reg f[] = {
      {"set_memory_limit", host_set_memory_limit}, {"internal_error", host_internal_error}, {NULL, NULL}};
  luaL_newlib(L, f);
  return 1;
}

static void stop_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  /* no position: the message is lutra's, not a line of the script's */
  if (sig_target.signo == SIGPIPE)
    lua_pushliteral(L, "interrupted by SIGPIPE (the reader of lutra's output has gone)");
  else
    lua_pushfstring(L, "interrupted by %s", lt_signal_name(sig_target.signo));
  lua_error(L);
}

static void on_signal(int signo) {
  if (sig_target.signo || !sig_target.L) return; /* cleanup is under way, or done */
  sig_target.signo = signo;
  if (sig_target.tr) lt_tracer_interrupt(sig_target.tr);
  lua_sethook(sig_target.L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* The one way out: every __gc runs (breakpoints removed, kill or detach),
 * then lutra ends with `status`. A closed output (SIGPIPE) ends as a
 * program killed by SIGPIPE does, as strace and ltrace do (status 141 in
 * a shell), once the traced processes are put back. */
static int leave(lua_State *L, int status) {
  if (sig_target.signo && (status == 0 || status == 1)) status = 128 + sig_target.signo;
  lua_close(L);
  /* The tracer is gone: a fatal signal from here on (a sanitizer's report
   * at exit) has nothing to release. */
  sig_target.tr = NULL;
  sig_target.L = NULL;
  if (sig_target.signo == SIGPIPE) {
    fflush(NULL); /* what can still go out (EPIPE is no longer a signal) */
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &pipe, NULL);
    raise(SIGPIPE);
  }
  return status;
}

/* os.exit for scripts run by the lutra command: Lua's own calls exit()
 * without closing the state, which would leave int3 bytes in an attached
 * program (it dies at its next hit) and a spawned one to PTRACE_O_EXITKILL.
 * This one closes the state first, as os.exit(code, true) does. */
static int host_exit(lua_State *L) {
  int status;
  if (lua_isboolean(L, 1))
    status = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
  else
    status = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
  fflush(NULL);
  exit(leave(L, status)); /* lua_close closes the main thread, from any coroutine */
}

/* Where lutra's Lua files are: beside an installed binary
 * (BIN/../share/lua/5.4, wherever the package was unpacked), else the
 * source tree of a build directory, else the configured install prefix. */
static const char *find_lua_dir(char *buf, size_t len) {
  struct stat sb;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      char probe[PATH_MAX + 64];
      snprintf(probe, sizeof probe, "%s/../share/lua/5.4/lutra/init.lua", exe);
      if (stat(probe, &sb) == 0) {
        snprintf(buf, len, "%s/../share/lua/5.4", exe);
        return buf;
      }
    }
  }
  if (stat(LUTRA_SOURCE_LUA_DIR "/lutra/init.lua", &sb) == 0) return LUTRA_SOURCE_LUA_DIR;
  return LUTRA_INSTALL_LUA_DIR;
}

static void set_lua_path(lua_State *L) {
  char buf[PATH_MAX + 64];
  const char *dir = find_lua_dir(buf, sizeof buf);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir, lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 1);
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_lutra_core);
  lua_setfield(L, -2, "lutra.core");
  lua_pushcfunction(L, open_host);
  lua_setfield(L, -2, "lutra.host");
  lua_pop(L, 2);
}

/* `lutra --lua SCRIPT [ARGS]`: a plain Lua interpreter with the module
 * linked in, as lua5.4 would run SCRIPT (the sanitized specs run busted
 * this way, so no sanitizer runtime has to be preloaded into lua5.4). */
static int run_plain_lua(lua_State *L, int argc, char **argv) {
  lua_createtable(L, argc - 3, 1);
  for (int i = 2; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 2);
  }
  lua_setglobal(L, "arg");
  if (luaL_loadfile(L, argv[2]) != LUA_OK) return lua_error(L);
  for (int i = 3; i < argc; i++) lua_pushstring(L, argv[i]);
  lua_call(L, argc - 3, 0);
  lua_pushinteger(L, 0);
  return 1;
}

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  luaL_openlibs(L);
  lua_getglobal(L, "os");
  lua_pushcfunction(L, host_exit);
  lua_setfield(L, -2, "exit");
  lua_pop(L, 1);
  set_lua_path(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "lutra.core");
  lua_call(L, 1, 1);
  lua_pop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, "lutra.tracer");
  lt_tracer **tp = lua_touserdata(L, -1);
  sig_target.tr = tp ? *tp : NULL;
  lua_pop(L, 1);
  if (argc >= 3 && strcmp(argv[1], "--lua") == 0) return run_plain_lua(L, argc, argv);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "lutra.cli");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 0);
  for (int i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_pushstring(L, LUTRA_VERSION);
  lua_call(L, 2, 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_memory mem = {0, 0}; /* lives as long as the Lua state */
  lua_State *L = lua_newstate(counted_alloc, &mem);
  if (L) lua_atpanic(L, panic);
  if (!L) {
    fprintf(stderr, "lutra: cannot create the Lua state: out of memory\n");
    return 1;
  }
  sig_target.L = L;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a blocked waitpid returns */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  /* A closed output (lutra trace ... | head -1): the same cleanup as
   * SIGINT; caught even if the caller ignored it, or lutra would write on
   * into EPIPE forever. */
  sigaction(SIGPIPE, &sa, NULL);
  sa.sa_handler = on_fatal;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER; /* a fault in the cleanup kills at once */
  sigaction(SIGABRT, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  lua_pushcfunction(L, traceback);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = 1;
  if (lua_pcall(L, 2, 1, 1) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "lutra: %s\n", msg ? msg : "(error without a message)");
    status = 1;
  } else {
    status = (int)lua_tointeger(L, -1);
  }
  return leave(L, status);
}
