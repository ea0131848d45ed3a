/* vforker: children made the ways shells and Python make them, which share
 * the parent's memory until they exec: vfork(), posix_spawn() (glibc:
 * clone(CLONE_VM|CLONE_VFORK)). Each child calls work() once before its
 * exec, while a second thread of the parent calls work() all along.
 * Prints how each child ended (raw wait status: 0 is exit 0) and the
 * parent's own calls. A vfork child waits, before its exec, until the
 * parent's thread has made more calls: a tracer that stops the whole
 * parent while the child lives must not wait for the thread parked in
 * vfork. Usage: vforker [CHILDREN [SPIN_CALLS]] */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
volatile long sink;
static long spin_calls;
static volatile long calls, spin_done;

__attribute__((noinline)) void work(long x) { sink += x; }

static void *spin(void *arg) {
  (void)arg;
  for (long i = 0; i < spin_calls; i++) {
    work(i);
    calls++;
  }
  spin_done = 1;
  return NULL;
}

int main(int argc, char **argv) {
  int children = argc > 1 ? atoi(argv[1]) : 3;
  spin_calls = argc > 2 ? atol(argv[2]) : 100000;
  pthread_t th;
  pthread_create(&th, NULL, spin, NULL);
  for (int i = 0; i < children; i++) {
    pid_t pid = vfork();
    if (pid == 0) { /* marker: vfork child */
      work(-1);
      long seen = calls;
      while (calls < seen + 10 && !spin_done) {}
      execl("/bin/true", "true", (char *)NULL);
      _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("vfork child %d: status %d\n", i, st);
    char *av[] = {"true", NULL};
    pid_t q;
    posix_spawn(&q, "/bin/true", NULL, NULL, av, environ);
    waitpid(q, &st, 0);
    printf("posix_spawn child %d: status %d\n", i, st);
  }
  pthread_join(th, NULL);
  printf("parent calls: %ld\n", spin_calls);
  return 0;
}
