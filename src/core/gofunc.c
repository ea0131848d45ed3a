/* gofunc.c: Go code in a traced process: where a probe on a Go function
 * goes (past its stack-check prologue), which ABI an argument is read by,
 * the running goroutine, and the frame key that survives stack moves. */
#include <string.h>

#include "../elf/goruntime.h"
#include "internal.h"

/* The module holding pc when it is a Go binary, with the Go function
 * there (NULL when pc is not in one); NULL for any other module. */
static const lt_module *go_module(lt_process *p, uint64_t pc, const lt_gofunc **fn) {
  const lt_module *md = lt_process_module_at(p, pc);
  *fn = NULL;
  if (!md || !md->syms || !md->syms->go) return NULL;
  uint64_t link = pc - md->bias;
  const lt_sym *s = lt_symtab_containing(md->syms, link);
  *fn = lt_goruntime_func(md->syms->go, link, s ? s->name : NULL);
  return md;
}

uint64_t lt_probe_address(lt_process *p, uint64_t addr) {
  const lt_gofunc *fn;
  const lt_module *md = go_module(p, addr, &fn);
  if (!md || !fn || fn->entry != addr - md->bias) return addr;
  uint8_t code[48];
  size_t avail = sizeof code;
  if (fn->end - fn->entry < avail) avail = (size_t)(fn->end - fn->entry);
  ssize_t n = lt_read(p, addr, code, avail);
  if (n <= 0) return addr;
  return addr + arch_go_prologue(code, (size_t)n);
}

/* Is pc in a Go function that takes its arguments in registers? */
static int in_regabi_code(lt_process *p, uint64_t pc) {
  const lt_gofunc *fn;
  const lt_module *md = go_module(p, pc, &fn);
  return md && fn && lt_goruntime_regabi(md->syms->go);
}

int lt_code_go_abi(lt_process *p, uint64_t pc) { return in_regabi_code(p, pc); }

int lt_thread_go_code(lt_thread *t) {
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return -1;
  return in_regabi_code(t->proc, arch_pc(&r));
}

int lt_thread_arg(lt_thread *t, int n, uint64_t *v) {
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return -1;
  if (in_regabi_code(t->proc, arch_pc(&r))) {
    if (arch_go_arg(&r, n, v)) return 0;
    return lt_fail(t->proc->tracer, LT_EMISUSE,
                   "thread %d: Go passes at most %d integer words in registers (argument %d asked)",
                   (int)t->tid, ARCH_GO_NARGS, n);
  }
  uint64_t at = 0;
  if (arch_arg(&r, n, v, &at)) return 0;
  if (lt_read(t->proc, at, v, sizeof *v) != (ssize_t)sizeof *v) return -1;
  return 0;
}

/* The g of a thread in Go code, its goid and stack bounds. */
typedef struct {
  uint64_t g, lo, hi, sp;
  int64_t goid;
} go_state;

static int read_g(lt_thread *t, const lt_module *md, const arch_regs *r, go_state *st) {
  lt_process *p = t->proc;
  char err[256];
  int off = lt_goruntime_goid_offset(md->syms->go, err, sizeof err);
  if (off < 0) return lt_fail(p->tracer, LT_ENOTGO, "thread %d: %s", (int)t->tid, err);
  st->g = arch_go_g(r);
  st->sp = arch_sp(r);
  uint64_t stack[2];
  if (lt_read(p, st->g + LT_GO_G_STACK_LO, stack, sizeof stack) != (ssize_t)sizeof stack ||
      lt_read(p, st->g + (uint64_t)off, &st->goid, sizeof st->goid) != (ssize_t)sizeof st->goid)
    return lt_fail(p->tracer, LT_ENOTGO, "thread %d: cannot read the goroutine at 0x%llx (g register)",
                   (int)t->tid, (unsigned long long)st->g);
  st->lo = stack[0];
  st->hi = stack[1];
  return 0;
}

int lt_thread_goroutine(lt_thread *t, int64_t *goid) {
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return -1;
  uint64_t pc = arch_pc(&r);
  const lt_gofunc *fn;
  const lt_module *md = go_module(t->proc, pc, &fn);
  if (!md || !fn || !lt_goruntime_regabi(md->syms->go))
    return lt_fail(t->proc->tracer, LT_ENOTGO, "thread %d: pc 0x%llx is not in Go code%s", (int)t->tid,
                   (unsigned long long)pc,
                   md && fn ? " (Go before 1.17 keeps g in thread-local storage)" : "");
  go_state st;
  if (read_g(t, md, &r, &st) < 0) return -1;
  *goid = st.goid;
  return 0;
}

/* Delve's key for a frame: the goroutine and the distance from the top
 * of its stack, which the runtime keeps when it copies a growing stack
 * elsewhere; a thread and its sp anywhere else (C code, g0's stack). The
 * check that sp lies in g's stack also refuses a register that holds no
 * g (C code of a cgo binary). */
int lt_thread_frame(lt_thread *t, uint64_t sp, int64_t *goid, int64_t *depth) {
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return -1;
  if (!sp) sp = arch_sp(&r);
  *goid = 0;
  *depth = (int64_t)sp;
  const lt_gofunc *fn;
  const lt_module *md = go_module(t->proc, arch_pc(&r), &fn);
  if (!md || !lt_goruntime_regabi(md->syms->go)) return 0;
  go_state st;
  char msg[sizeof t->proc->tracer->errmsg];
  int code = t->proc->tracer->errcode;
  memcpy(msg, t->proc->tracer->errmsg, sizeof msg); /* not finding a g is no error */
  int rc = read_g(t, md, &r, &st);
  memcpy(t->proc->tracer->errmsg, msg, sizeof msg);
  t->proc->tracer->errcode = code;
  if (rc < 0 || st.goid <= 0 || st.sp < st.lo || st.sp > st.hi) return 0;
  *goid = st.goid;
  *depth = (int64_t)(sp - st.hi);
  return 0;
}
