/* forker.c: forks N children (argv[1], default 10); each calls work(i)
 * (a function the specs break on) and exits 0; the parent calls work(-1)
 * once, waits for every child and prints "children ok" if all exited 0,
 * "child died" otherwise. argv[2] == "vfork": vfork + exec of /bin/true. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) int work(int i) { return i * 2; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  int use_vfork = argc > 2 && strcmp(argv[2], "vfork") == 0;
  for (int i = 0; i < n; i++) {
    pid_t pid = use_vfork ? vfork() : fork();
    if (pid == 0) {
      if (use_vfork) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
      }
      work(i);
      _exit(0);
    }
  }
  work(-1);
  int bad = 0, st;
  while (wait(&st) > 0)
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
  printf(bad ? "child died\n" : "children ok\n");
  return 0;
}
