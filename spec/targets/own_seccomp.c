/* own_seccomp.c: a program with a seccomp filter of its own that answers
 * SECCOMP_RET_TRACE (with its own SECCOMP_RET_DATA, 0x1234) for getppid,
 * and then calls getppid. With no tracer, or a tracer that does not ask
 * for seccomp stops, the kernel skips the call and it fails with ENOSYS:
 * it prints "getppid: ENOSYS" and exits 0 (anything else: the ppid it got,
 * exit 1). The write of that line is an ordinary syscall. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  struct sock_filter prog[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x1234),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fprog = {sizeof prog / sizeof prog[0], prog};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) {
    perror("seccomp");
    return 2;
  }
  long r = syscall(SYS_getppid); /* marker: the program's own traced call */
  if (r < 0 && errno == ENOSYS) {
    printf("getppid: ENOSYS\n");
    return 0;
  }
  printf("getppid: %ld\n", r);
  return 1;
}
