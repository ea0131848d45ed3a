/* lfile.c: ELF files read without a process, for `lutra trace -l`: the
 * functions of a file with their DWARF signatures, the libraries a
 * program is linked against. */
#include <errno.h>
#include <string.h>

#include "lutil.h"
#include "../elf/needed.h"
#include "typed.h"

typedef struct {
  lua_State *L;
  lua_Integer n;
} fn_ctx;

static void on_function(void *ud, const char *name, uint64_t addr, const char *sig) {
  fn_ctx *c = ud;
  lua_createtable(c->L, 0, 3);
  lua_pushstring(c->L, name);
  lua_setfield(c->L, -2, "name");
  lua_pushinteger(c->L, (lua_Integer)addr);
  lua_setfield(c->L, -2, "address");
  if (sig) {
    lua_pushstring(c->L, sig);
    lua_setfield(c->L, -2, "signature");
  }
  lua_rawseti(c->L, -2, ++c->n);
}

/* core.file_functions(path, glob): {{name=, address=, signature=}}, and
 * the file's DWARF warning; nil, msg, code when it is not an ELF file. */
static int l_file_functions(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *glob = luaL_checkstring(L, 2);
  char err[512];
  int code = 0;
  lt_sigfile *f = lt_sigfile_open(path, err, sizeof err, &code);
  if (!f) {
    lua_pushnil(L);
    if (code > 0)
      lua_pushfstring(L, "%s: %s", err, strerror(code));
    else
      lua_pushstring(L, err);
    lua_pushstring(L, code > 0 ? lt_errname(code) : "EBADELF");
    return 3;
  }
  lua_newtable(L);
  fn_ctx c = {L, 0};
  lt_sigfile_functions(f, glob, on_function, &c);
  const char *w = lt_sigfile_warning(f);
  if (w)
    lua_pushstring(L, w);
  else
    lua_pushnil(L);
  lt_sigfile_free(f);
  return 2;
}

/* core.elf_needed(path): the paths of the libraries path needs. */
static int l_elf_needed(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char **list;
  int n = lt_elf_needed(path, &list);
  if (n < 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
    lua_pushstring(L, lt_errname(errno ? errno : EIO));
    return 3;
  }
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, list[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lt_elf_needed_free(list, n);
  return 1;
}

void lu_open_file(lua_State *L) {
  lua_pushcfunction(L, l_file_functions);
  lua_setfield(L, -2, "file_functions");
  lua_pushcfunction(L, l_elf_needed);
  lua_setfield(L, -2, "elf_needed");
}
