-- LuaRocks: `luarocks --lua-version 5.4 make` in the source tree builds
-- lutra with CMake and installs the `lutra` module (and the lutra command)
-- into a rocks tree. Needs the Debian packages scripts/deps lists for the
-- build (liblua5.4-dev libelf-dev libdw-dev libzydis-dev cmake gcc).
rockspec_format = "3.0"
package = "lutra"
version = "0.1.0-1"
source = {
   -- lutra is not published on a rocks server: `luarocks make` builds
   -- the checked-out tree and never fetches this.
   url = "git+file://./lutra",
}
description = {
   summary = "A Lua-scriptable ptrace tracer for Linux x86_64 processes",
   detailed = [[
      Breakpoint handlers, return probes, syscall, signal and fork events,
      watchpoints and aggregations, written in Lua against a C ptrace engine.
   ]],
}
supported_platforms = { "linux" }
dependencies = {
   "lua >= 5.4, < 5.5",
}
build = {
   type = "cmake",
   variables = {
      CMAKE_INSTALL_PREFIX = "$(PREFIX)",
      CMAKE_BUILD_TYPE = "Release",
      LUTRA_BUILD_TESTS = "OFF",
      LUTRA_INSTALL_LUADIR = "$(LUADIR)",
      LUTRA_INSTALL_LIBDIR = "$(LIBDIR)",
   },
}
