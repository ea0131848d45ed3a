/* lnames.c: names as the source writes them, for Lua: lutra.core.demangle,
 * lutra.core.spell and lutra.core.split_where (the engine's rules). */
#include <stdlib.h>
#include <string.h>

#include "lutil.h"

/* demangle(linkage_name): the demangled name, or nil when not mangled. */
static int l_demangle(lua_State *L) {
  lt_demangled d;
  int r = lt_demangle(luaL_checkstring(L, 1), &d);
  if (r < 0) return luaL_error(L, "demangle: out of memory");
  if (r == 0) return 0;
  lua_pushstring(L, d.display);
  lua_pushstring(L, d.base);
  lt_demangled_free(&d);
  return 2;
}

/* spell(name): the name as lutra compares C++ signatures. */
static int l_spell(lua_State *L) {
  char *s = lt_spell_dup(luaL_checkstring(L, 1));
  if (!s) return luaL_error(L, "spell: out of memory");
  lua_pushstring(L, s);
  free(s);
  return 1;
}

/* split_where(where): module, name; nil, where when there is no module. */
static int l_split_where(lua_State *L) {
  size_t len;
  const char *w = luaL_checklstring(L, 1, &len);
  size_t at = lt_split_where(w);
  if (!at) {
    lua_pushnil(L);
    lua_pushvalue(L, 1);
  } else {
    lua_pushlstring(L, w, at);
    lua_pushlstring(L, w + at + 1, len - at - 1);
  }
  return 2;
}

void lu_open_names(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"demangle", l_demangle}, {"spell", l_spell}, {"split_where", l_split_where}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
