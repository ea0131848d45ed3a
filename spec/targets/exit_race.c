/* exit_race.c: a thread calls exit_group while the tracer detaches (the
 * hostile case "detach while a thread calls exit_group"). argv[1] threads
 * (default 64) sleep; once they all run, one more thread calls
 * about_to_exit() (the tracer's breakpoint: its handler returns "detach")
 * and then, at once, exit_group(0). Untraced, or after a complete detach,
 * the program ends with status 0 within microseconds. A tracer that
 * detaches thread by thread lets the exiter go first now and then: its
 * exit_group wakes the threads not detached yet with SIGKILL, out of their
 * ptrace stops, and each then stops again at its exit event; a thread the
 * tracer does not detach there keeps the whole group from ending. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int started;

__attribute__((noinline)) void about_to_exit(void) { __asm__ volatile(""); }

static void *sleeper(void *arg) {
  (void)arg;
  __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
  for (;;) pause();
  return NULL;
}

/* The exiter moves to the CPUs it was not given (lutra pins itself and
 * its tracee to one CPU): detached, it runs at once there, while the
 * threads its exit_group wakes wait for the CPU the tracer keeps busy
 * detaching them, out of any ptrace stop. Without such a CPU it stays. */
static void leave_cpu(void) {
  cpu_set_t mine, other;
  if (sched_getaffinity(0, sizeof mine, &mine) < 0) return;
  CPU_ZERO(&other);
  for (int c = 0; c < CPU_SETSIZE && c < sysconf(_SC_NPROCESSORS_ONLN); c++)
    if (!CPU_ISSET(c, &mine)) CPU_SET(c, &other);
  if (CPU_COUNT(&other) > 0) sched_setaffinity(0, sizeof other, &other);
}

/* A forked child keeps the other CPU busy (untraced: lutra lets go of a
 * child it does not follow), so that the exiter's wake-up there is a
 * preemption, not a wake from idle (slow in a VM). It dies with us. */
static void busy_elsewhere(void) {
  pid_t parent = getpid();
  if (fork() != 0) return;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  leave_cpu();
  for (;;) sched_yield(); /* the exiter, woken here, runs at the next yield */
}

static void *exiter(void *arg) {
  int n = *(int *)arg;
  leave_cpu();
  while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n) sched_yield();
  about_to_exit(); /* marker: the handler detaches here */
  syscall(SYS_exit_group, 0);
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 64;
  pthread_t t;
  busy_elsewhere();
  for (int i = 0; i < n; i++) pthread_create(&t, NULL, sleeper, NULL);
  pthread_create(&t, NULL, exiter, &n);
  for (;;) pause(); /* the main thread sleeps until the group ends */
}
