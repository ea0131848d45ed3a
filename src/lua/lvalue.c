/* lvalue.c: the lutra.Value userdata (LuaJIT FFI style: v.member, v[i],
 * #v, v(), no methods), lutra.core.value's functions on it, and the Thread
 * and Process methods that make Values (t:args, t:var, p:global...). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutil.h"
#include "typed.h"

#define LUTRA_VALUE "lutra.Value"
#define STRING_MAX (1 << 20) /* v() of a char pointer reads at most this much */

typedef struct {
  lt_value v;
  uint8_t data[]; /* BYTES: the bytes, then their availability */
} lu_value;

/* Pushes a Value of process `pidx` (a stack index of the Process). */
static void push_value(lua_State *L, int pidx, const lt_value *v) {
  pidx = lua_absindex(L, pidx);
  size_t n = v->where == LT_VAL_BYTES ? v->nbytes : 0;
  lu_value *uv = lua_newuserdatauv(L, sizeof *uv + 2 * n, 1);
  uv->v = *v;
  if (v->where == LT_VAL_BYTES) {
    if (n) memcpy(uv->data, v->bytes, n);
    if (v->avail)
      memcpy(uv->data + n, v->avail, n);
    else
      memset(uv->data + n, 1, n);
    uv->v.bytes = uv->data;
    uv->v.avail = uv->data + n;
  }
  luaL_setmetatable(L, LUTRA_VALUE);
  lua_pushvalue(L, pidx);
  lua_setiuservalue(L, -2, 1);
}

/* The Value at idx and its live process; the Process is pushed. */
static lu_value *checkv(lua_State *L, int idx, lt_process **p) {
  lu_value *uv = luaL_checkudata(L, idx, LUTRA_VALUE);
  lua_getiuservalue(L, idx, 1);
  lu_process *up = lua_touserdata(L, -1);
  if (!up || !up->p)
    luaL_error(L, "process %d has been released: its values are gone", up ? (int)up->pid : 0);
  *p = up->p;
  return uv;
}

static int v_fail(lua_State *L, lt_process *p) { return lu_fail(L, lt_process_tracer(p)); }

/* v.member, v[i] */
static int v_index(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  int pidx = lua_gettop(L);
  lt_value out;
  lt_valbuf buf;
  int rc;
  if (lua_type(L, 2) == LUA_TSTRING) {
    rc = lt_value_member(p, &uv->v, lua_tostring(L, 2), &out, &buf);
  } else if (lua_isinteger(L, 2)) {
    rc = lt_value_index(p, &uv->v, (int64_t)lua_tointeger(L, 2), &out, &buf);
  } else {
    return luaL_error(L, "a value of type %s is indexed by a member name or an integer",
                      lt_type_name(uv->v.types, uv->v.type));
  }
  if (rc < 0) return lu_error(L, lt_process_tracer(p));
  push_value(L, pidx, &out);
  return 1;
}

static int v_newindex(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  return luaL_error(L, "values are read-only (a %s)", lt_type_name(uv->v.types, uv->v.type));
}

static int v_len(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  const lt_type *s = lt_type_strip(uv->v.types, uv->v.type);
  if (s->kind != LT_TY_ARRAY)
    return luaL_error(L, "a value of type %s has no length", lt_type_name(uv->v.types, uv->v.type));
  if (s->count < 0)
    return luaL_error(L, "%s: the array's length is not known", lt_type_name(uv->v.types, uv->v.type));
  lua_pushinteger(L, s->count);
  return 1;
}

static int is_string_type(lt_types *c, const lt_type *t) {
  const lt_type *s = lt_type_strip(c, t);
  if (s->kind != LT_TY_POINTER && s->kind != LT_TY_ARRAY) return 0;
  const lt_type *e = lt_type_strip(c, lt_type_target(c, s));
  return (e->kind == LT_TY_CHAR || e->kind == LT_TY_UCHAR) && lt_type_size(c, e) == 1;
}

static int push_string(lua_State *L, lt_process *p, const lt_value *v, size_t max) {
  char *buf = malloc(max ? max : 1);
  if (!buf) return luaL_error(L, "out of memory");
  size_t len;
  int trunc;
  if (lt_value_string(p, v, buf, max, &len, &trunc) < 0) {
    free(buf);
    return v_fail(L, p);
  }
  lua_pushlstring(L, buf, len);
  lua_pushboolean(L, trunc);
  free(buf);
  return 2;
}

/* v(): the Lua value of a scalar; a char pointer or array gives its string. */
static int v_call(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  if (is_string_type(uv->v.types, uv->v.type)) {
    int n = push_string(L, p, &uv->v, STRING_MAX);
    if (n == 2) lua_pop(L, 1); /* not whether it was cut */
    return n == 2 ? 1 : n;
  }
  lt_scalar sc;
  if (lt_value_scalar(p, &uv->v, &sc) < 0) return v_fail(L, p);
  switch (sc.kind) {
  case LT_SC_FLOAT: lua_pushnumber(L, sc.f); break;
  case LT_SC_BOOL: lua_pushboolean(L, sc.u != 0); break;
  case LT_SC_INT: lua_pushinteger(L, (lua_Integer)sc.i); break;
  default: lua_pushinteger(L, (lua_Integer)sc.u); break;
  }
  return 1;
}

static int v_tostring_plain(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  lua_pushfstring(L, "lutra.Value(%s)", lt_type_name(uv->v.types, uv->v.type));
  return 1;
}

/* lutra.value.type(v [, stripped]): the type as written; with `stripped`,
 * through typedefs and qualifiers ("struct order" for an order_t). */
static int f_type(lua_State *L) {
  lt_process *p;
  int strip = lua_toboolean(L, 2); /* before checkv pushes the Process */
  lu_value *uv = checkv(L, 1, &p);
  const lt_type *t = strip ? lt_type_strip(uv->v.types, uv->v.type) : uv->v.type;
  lua_pushstring(L, lt_type_name(uv->v.types, t));
  return 1;
}

static int f_address(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  if ((uv->v.where != LT_VAL_MEMORY && !uv->v.loaded) || uv->v.fault || uv->v.why) return 0;
  lua_pushinteger(L, (lua_Integer)uv->v.addr);
  return 1;
}

static int f_pointer(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  uint64_t a;
  if (lt_value_pointer(p, &uv->v, &a) < 0) return v_fail(L, p);
  lua_pushinteger(L, (lua_Integer)a);
  return 1;
}

static int f_enum_name(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  const lt_type *s = lt_type_strip(uv->v.types, uv->v.type);
  if (s->kind != LT_TY_ENUM)
    return luaL_error(L, "a value of type %s is not an enum", lt_type_name(uv->v.types, uv->v.type));
  lt_scalar sc;
  if (lt_value_scalar(p, &uv->v, &sc) < 0) return v_fail(L, p);
  const lt_enumerator *e;
  size_t n = lt_type_enumerators(uv->v.types, s, &e);
  for (size_t i = 0; i < n; i++)
    if (e[i].value == sc.i) {
      lua_pushstring(L, e[i].name);
      return 1;
    }
  return 0;
}

/* lutra.value.kind(v): "int", "uint", "float", "bool", "char", "uchar",
 * "pointer", "reference", "array", "struct", "union", "enum", "function",
 * "void", "other". */
static int f_kind(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  lua_pushstring(L, lt_value_kind(&uv->v));
  return 1;
}

/* lutra.value.fields(v): {{name=, value=, base=}} of a struct or union, in
 * order; anonymous members and base classes have no name. */
static int f_fields(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  int pidx = lua_gettop(L);
  const lt_type *s = lt_type_strip(uv->v.types, uv->v.type);
  const lt_member *m;
  if (s->incomplete) return luaL_error(L, "%s is an incomplete type", lt_type_name(uv->v.types, s));
  size_t n = (s->kind == LT_TY_STRUCT || s->kind == LT_TY_UNION) ? lt_type_members(uv->v.types, s, &m) : 0;
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lt_value out;
    lt_valbuf buf;
    if (lt_value_field(p, &uv->v, i, &out, &buf) < 0) return lu_error(L, lt_process_tracer(p));
    lua_createtable(L, 0, 3);
    if (m[i].name) {
      lua_pushstring(L, m[i].name);
      lua_setfield(L, -2, "name");
    }
    if (m[i].is_base) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "base");
    }
    push_value(L, pidx, &out);
    lua_setfield(L, -2, "value");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* lutra.value.string(v [, max]): the string of a char pointer or array,
 * at most max bytes, and whether max cut it. */
static int f_string(lua_State *L) {
  lt_process *p;
  lua_Integer max = luaL_optinteger(L, 2, STRING_MAX);
  lu_value *uv = checkv(L, 1, &p);
  luaL_argcheck(L, max >= 0 && max <= STRING_MAX, 2, "max must be 0..1048576");
  return push_string(L, p, &uv->v, (size_t)max);
}

/* lutra.value.deref(v): what a pointer or reference points to (reading
 * the pointer, not the pointee). */
static int f_deref(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  int pidx = lua_gettop(L);
  lt_value out;
  lt_valbuf buf;
  if (lt_value_deref(p, &uv->v, &out, &buf) < 0) return lu_error(L, lt_process_tracer(p));
  push_value(L, pidx, &out);
  return 1;
}

/* lutra.value.bytes(v [, max]): the value's bytes (at most max). */
static int f_bytes(lua_State *L) {
  lt_process *p;
  lua_Integer max = luaL_optinteger(L, 2, STRING_MAX);
  lu_value *uv = checkv(L, 1, &p);
  uint64_t size = lt_type_size(uv->v.types, uv->v.type);
  luaL_argcheck(L, max >= 0, 2, "max must be >= 0");
  if (size > (uint64_t)max) size = (uint64_t)max;
  luaL_Buffer b;
  uint8_t *buf = (uint8_t *)luaL_buffinitsize(L, &b, size ? size : 1);
  if (lt_value_bytes(p, &uv->v, buf, size) < 0) return v_fail(L, p);
  luaL_pushresultsize(&b, size);
  return 1;
}

/* lutra.value.load(v): the value read at once into a copy that keeps its
 * address (printing its members then reads nothing more); v itself when
 * it is not in memory or is too large; nil, msg, code when unreadable. */
static int f_load(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  int pidx = lua_gettop(L);
  lt_value out;
  lt_valbuf buf;
  int rc = lt_value_load(p, &uv->v, &out, &buf);
  if (rc < 0) return v_fail(L, p);
  if (rc == 0) {
    lua_pushvalue(L, 1);
    return 1;
  }
  push_value(L, pidx, &out);
  return 1;
}

static int f_process(lua_State *L) {
  lt_process *p;
  checkv(L, 1, &p);
  return 1; /* checkv pushed it */
}

/* lutra.value.symbol(v): the symbol a pointer points into and the offset
 * ("ring", 16), or nothing. */
static int f_symbol(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  uint64_t a, off;
  char name[512];
  if (lt_value_pointer(p, &uv->v, &a) < 0 || a == 0 || !lt_process_symbol_at(p, a, name, sizeof name, &off))
    return 0;
  lua_pushstring(L, name);
  lua_pushinteger(L, (lua_Integer)off);
  return 2;
}

/* lutra.value.pointer_info(v [, max]): what printing a pointer needs, from
 * one read of it: address, the kind of what it points to, the symbol it
 * points into and the offset, and for a char pointer its string (at most
 * max bytes) and whether max cut it, or the error reading it. */
static int f_pointer_info(lua_State *L) {
  lt_process *p;
  lua_Integer max = luaL_optinteger(L, 2, 200);
  lu_value *uv = checkv(L, 1, &p);
  uint64_t a, off;
  if (lt_value_pointer(p, &uv->v, &a) < 0) return v_fail(L, p);
  const lt_type *s = lt_type_strip(uv->v.types, uv->v.type);
  const lt_type *target = lt_type_strip(uv->v.types, lt_type_target(uv->v.types, s));
  const char *tk = lt_type_kind_name(uv->v.types, target);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, (lua_Integer)a);
  lua_setfield(L, -2, "address");
  lua_pushstring(L, tk);
  lua_setfield(L, -2, "target");
  char name[512];
  if (a && lt_process_symbol_at(p, a, name, sizeof name, &off)) {
    lua_pushstring(L, name);
    lua_setfield(L, -2, "symbol");
    lua_pushinteger(L, (lua_Integer)off);
    lua_setfield(L, -2, "offset");
  }
  if (a && (target->kind == LT_TY_CHAR || target->kind == LT_TY_UCHAR) &&
      lt_type_size(uv->v.types, target) == 1) {
    char buf[4096];
    size_t len;
    int trunc;
    if (max < 0 || max > (lua_Integer)sizeof buf) max = sizeof buf;
    if (lt_read_cstring(p, a, buf, (size_t)max, &len, &trunc) == 0) {
      lua_pushlstring(L, buf, len);
      lua_setfield(L, -2, "string");
      lua_pushboolean(L, trunc);
      lua_setfield(L, -2, "truncated");
    } else {
      lua_pushstring(L, lt_errmsg(lt_process_tracer(p)));
      lua_setfield(L, -2, "error");
    }
  }
  return 1;
}

/* lutra.value.is_value(x) */
static int f_is_value(lua_State *L) {
  lua_pushboolean(L, luaL_testudata(L, 1, LUTRA_VALUE) != NULL);
  return 1;
}

/* lutra.value.state(v): nil for a value that can be read, else
 * "optimized out" or "unreadable" (without reading memory). */
static int f_state(lua_State *L) {
  lt_process *p;
  lu_value *uv = checkv(L, 1, &p);
  if (uv->v.fault)
    lua_pushliteral(L, "unreadable");
  else if (uv->v.why)
    lua_pushstring(L, uv->v.why);
  else
    return 0;
  return 1;
}

/* t:args(): the parameters, in order and by name. */
typedef struct {
  lua_State *L;
  int tbl, pidx, n;
} args_ctx;

static void on_param(void *ud, const char *name, const lt_value *v) {
  args_ctx *a = ud;
  push_value(a->L, a->pidx, v);
  if (name && name[0]) {
    lua_pushvalue(a->L, -1);
    lua_setfield(a->L, a->tbl, name);
  }
  lua_rawseti(a->L, a->tbl, ++a->n);
}

static int t_args(lua_State *L) {
  lt_thread *t = lu_checkthread(L, 1, NULL, "read its arguments");
  lua_getiuservalue(L, 1, 1); /* the Process */
  int pidx = lua_gettop(L);
  lua_newtable(L);
  args_ctx a = {L, lua_gettop(L), pidx, 0};
  if (lt_thread_args(t, on_param, &a) < 0) return lu_fail(L, lt_process_tracer(lt_thread_process(t)));
  lua_settop(L, a.tbl);
  return 1;
}

static int t_var(lua_State *L) {
  lt_thread *t = lu_checkthread(L, 1, NULL, "read a variable");
  const char *name = luaL_checkstring(L, 2);
  lua_getiuservalue(L, 1, 1);
  lt_value v;
  lt_valbuf buf;
  if (lt_thread_var(t, name, &v, &buf) < 0) return lu_fail(L, lt_process_tracer(lt_thread_process(t)));
  push_value(L, -1, &v);
  return 1;
}

/* t:_return_value(fn_entry): the Lua layer's t:return_value() knows which
 * function is returning (run.lua's on_return). */
static int t_return_value(lua_State *L) {
  lt_thread *t = lu_checkthread(L, 1, NULL, "read its return value");
  uint64_t entry = lu_checkaddr(L, 2);
  lua_getiuservalue(L, 1, 1);
  lt_value v;
  lt_valbuf buf;
  int rc = lt_thread_return_value(t, entry, &v, &buf);
  if (rc < 0) return lu_fail(L, lt_process_tracer(lt_thread_process(t)));
  if (rc == 0) return 0; /* void */
  push_value(L, -1, &v);
  return 1;
}

static int t_float_arg(lua_State *L) {
  lt_thread *t = lu_checkthread(L, 1, NULL, "get registers");
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_argcheck(L, n >= 1 && n <= 8, 2, "floating-point arguments are numbered 1..8");
  double d;
  if (lt_thread_float_arg(t, (int)n, &d) < 0) return lu_error(L, lt_process_tracer(lt_thread_process(t)));
  lua_pushnumber(L, d);
  return 1;
}

/* t:frame_function(): {name=, entry=, nparams=, at_entry=} by DWARF. */
static int t_frame_function(lua_State *L) {
  lt_thread *t = lu_checkthread(L, 1, NULL, "get registers");
  lt_frame_info fi;
  if (lt_thread_function(t, &fi) < 0) return lu_fail(L, lt_process_tracer(lt_thread_process(t)));
  lua_createtable(L, 0, 4);
  lua_pushstring(L, fi.name);
  lua_setfield(L, -2, "name");
  lua_pushinteger(L, (lua_Integer)fi.entry);
  lua_setfield(L, -2, "entry");
  lua_pushinteger(L, (lua_Integer)fi.nparams);
  lua_setfield(L, -2, "nparams");
  lua_pushboolean(L, fi.at_entry);
  lua_setfield(L, -2, "at_entry");
  return 1;
}

static int p_global(lua_State *L) {
  lu_process *up = lu_checkprocess(L, 1);
  const char *name = luaL_checkstring(L, 2);
  lt_value v;
  lt_valbuf buf;
  if (lt_process_global(up->p, name, &v, &buf) < 0) return lu_fail(L, lt_process_tracer(up->p));
  push_value(L, 1, &v);
  return 1;
}

/* p:signature(addr): "int price(const struct order *o, double discount)". */
static int p_signature(lua_State *L) {
  lu_process *up = lu_checkprocess(L, 1);
  uint64_t addr = lu_checkaddr(L, 2);
  char buf[1024];
  if (lt_process_signature(up->p, addr, buf, sizeof buf) < 0) return lu_fail(L, lt_process_tracer(up->p));
  lua_pushstring(L, buf);
  return 1;
}

static const luaL_Reg value_funcs[] = {{"type", f_type},       {"address", f_address},
                                       {"pointer", f_pointer}, {"enum_name", f_enum_name},
                                       {"kind", f_kind},       {"fields", f_fields},
                                       {"string", f_string},   {"deref", f_deref},
                                       {"process", f_process}, {"bytes", f_bytes},
                                       {"symbol", f_symbol},   {"pointer_info", f_pointer_info},
                                       {"load", f_load},       {"is_value", f_is_value},
                                       {"state", f_state},     {NULL, NULL}};

static const luaL_Reg thread_methods[] = {{"args", t_args},
                                          {"var", t_var},
                                          {"_return_value", t_return_value},
                                          {"float_arg", t_float_arg},
                                          {"frame_function", t_frame_function},
                                          {NULL, NULL}};
static const luaL_Reg process_methods[] = {{"global", p_global}, {"signature", p_signature}, {NULL, NULL}};

/* Adds the methods to Thread and Process and pushes lutra.core.value
 * (with the Value metatable as its `metatable`). */
void lu_open_value(lua_State *L) {
  luaL_newmetatable(L, LUTRA_VALUE);
  static const luaL_Reg meta[] = {{"__index", v_index}, {"__newindex", v_newindex},       {"__len", v_len},
                                  {"__call", v_call},   {"__tostring", v_tostring_plain}, {NULL, NULL}};
  luaL_setfuncs(L, meta, 0);
  lua_pushliteral(L, "lutra.Value");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  luaL_getmetatable(L, LUTRA_THREAD);
  lua_getfield(L, -1, "methods");
  luaL_setfuncs(L, thread_methods, 0);
  lua_pop(L, 2);
  luaL_getmetatable(L, LUTRA_PROCESS);
  lua_getfield(L, -1, "methods");
  luaL_setfuncs(L, process_methods, 0);
  lua_pop(L, 2);
  luaL_newlib(L, value_funcs);
  luaL_getmetatable(L, LUTRA_VALUE);
  lua_setfield(L, -2, "metatable");
}
