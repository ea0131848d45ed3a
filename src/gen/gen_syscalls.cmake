# gen_syscalls.cmake: writes OUT, the C table of x86_64 syscall names, from
# the installed kernel header HEADER (asm/unistd_64.h). Run at build time.
file(STRINGS "${HEADER}" lines REGEX "^#define __NR_[a-z0-9_]+ [0-9]+")
set(body "")
foreach(line IN LISTS lines)
  string(REGEX MATCH "^#define __NR_([a-z0-9_]+) ([0-9]+)" _ "${line}")
  string(APPEND body "  [${CMAKE_MATCH_2}] = \"${CMAKE_MATCH_1}\",\n")
endforeach()
file(WRITE "${OUT}" "/* generated from ${HEADER} at build time: do not edit */\nstatic const char *const syscall_names[] = {\n${body}};\n")
