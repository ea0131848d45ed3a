/* typed.c: typed values of a stopped thread: the DWARF file of each mapped
 * module (opened on first use, kept with the process), the ABI placement
 * of a function's parameters (planned once per function), frames filled
 * from the thread's registers, and the variables found through them. */
#include <dwarf.h>
#include <errno.h>
#include <fnmatch.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../elf/dwarf_file.h"
#include "../elf/dwarf_loc.h"
#include "../elf/dwarf_vars.h"
#include "internal.h"
#include "typed.h"

#define MAX_SCALARS 32
#define PLAN_BUCKETS 256

typedef struct {
  const lt_symtab *key; /* the module's file, as lt_modules caches it */
  lt_dwfile *file;
  lt_dwvars *vars;
} tfile;

/* Where the ABI puts a function's parameters and its return value. */
typedef struct plan {
  const lt_dwfunc *fn;
  arch_argloc *args;
  arch_argloc ret;
  int ret_void;
  int uses_fp;
  struct plan *next;
} plan;

struct lt_typed {
  tfile *files;
  size_t nfiles;
  plan *plans[PLAN_BUCKETS];
};

void lt_typed_free(lt_process *p) {
  struct lt_typed *ty = p->typed;
  if (!ty) return;
  for (size_t i = 0; i < ty->nfiles; i++) {
    lt_dwvars_free(ty->files[i].vars);
    lt_dwfile_free(ty->files[i].file);
  }
  free(ty->files);
  for (int b = 0; b < PLAN_BUCKETS; b++) {
    for (plan *pl = ty->plans[b], *n; pl; pl = n) {
      n = pl->next;
      free(pl->args);
      free(pl);
    }
  }
  free(ty);
  p->typed = NULL;
}

static struct lt_typed *typed_of(lt_process *p) {
  if (!p->typed) p->typed = calloc(1, sizeof *p->typed);
  return p->typed;
}

/* A corrupt .debug_info is told once, as other unreadable objects are
 * (the problem may be found when the file is opened or when it is read). */
static void warn_file(lt_process *p, lt_dwfile *f) {
  const char *w = f ? lt_dwfile_take_warning(f) : NULL;
  if (w && p->mods.warn) p->mods.warn(p->mods.warn_ud, w);
}

static tfile *file_of_module(lt_process *p, const lt_module *md) {
  struct lt_typed *ty = typed_of(p);
  if (!ty || !md->syms) return NULL;
  for (size_t i = 0; i < ty->nfiles; i++) {
    if (ty->files[i].key != md->syms) continue;
    warn_file(p, ty->files[i].file);
    return ty->files[i].vars ? &ty->files[i] : NULL;
  }
  tfile *nf = realloc(ty->files, (ty->nfiles + 1) * sizeof *nf);
  if (!nf) return NULL;
  ty->files = nf;
  tfile *tf = &ty->files[ty->nfiles++];
  tf->key = md->syms;
  tf->file = lt_dwfile_open(md->path);
  tf->vars = tf->file && lt_dwfile_dwarf(tf->file) ? lt_dwvars_new(tf->file) : NULL;
  warn_file(p, tf->file);
  return tf->vars ? tf : NULL;
}

static void warn_once(lt_process *p, tfile *tf) {
  if (tf) warn_file(p, tf->file);
}

/* The module at pc: one already known covers it (a hit in a traced
 * function, the common case) without re-reading /proc/PID/maps, which
 * lt_process_modules does after every stop. */
static tfile *file_at(lt_process *p, uint64_t pc, uint64_t *bias) {
  const lt_module *md = lt_modules_at(&p->mods, pc);
  if (!md) md = lt_modules_at(lt_process_modules(p), pc);
  if (!md) return NULL;
  tfile *tf = file_of_module(p, md);
  *bias = md->bias;
  return tf;
}

/* Callbacks of the frames (dwarf_loc.c). */
static int env_mem(void *ud, uint64_t addr, void *buf, size_t len, char *err, size_t errlen) {
  lt_process *p = ud;
  if (lt_mem_read_raw(p, addr, buf, len) == (ssize_t)len) {
    lt_bp_shadow(p, addr, buf, len);
    return 0;
  }
  snprintf(err, errlen, "cannot access memory at 0x%llx", (unsigned long long)addr);
  return -1;
}

static int env_module_at(void *ud, uint64_t pc, lt_dwvars **vars, uint64_t *bias) {
  tfile *tf = file_at(ud, pc, bias);
  if (!tf) return 0;
  *vars = tf->vars;
  return 1;
}

static void env_init(lt_dwenv *env, lt_process *p) {
  env->ud = p;
  env->mem = env_mem;
  env->module_at = env_module_at;
  env->sp_regno = ARCH_DWARF_SP;
  env->ra_regno = ARCH_DWARF_RA;
  env->callee_saved = ARCH_DWARF_CALLEE_SAVED;
}

/* Frame 0 of a stopped thread: its pc, module, and registers (the
 * floating-point ones only when asked: a PTRACE_GETFPREGS more). */
static int frame_init(lt_thread *t, const lt_dwenv *env, lt_dwframe *fr, tfile **tf, int with_fp) {
  lt_process *p = t->proc;
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return -1;
  uint64_t pc = arch_pc(&r), bias = 0;
  *tf = file_at(p, pc, &bias);
  warn_once(p, *tf);
  if (!*tf)
    return lt_fail(p->tracer, LT_ENODWARF, "thread %d: no DWARF for the code at 0x%llx", (int)t->tid,
                   (unsigned long long)pc);
  lt_dwframe_init(fr, env, (*tf)->vars, bias, pc);
  arch_fpregs f;
  int have_fp = with_fp && lt_thread_get_fpregs(t, &f) == 0;
  for (int regno = 0; regno < ARCH_DWARF_NREGS && regno < LT_DWREGS; regno++) {
    if (arch_dwarf_reg_is_fp(regno) && !have_fp) continue;
    uint8_t buf[16];
    size_t n = arch_dwarf_reg(&r, have_fp ? &f : NULL, regno, buf);
    if (n) lt_dwframe_set_reg(fr, regno, buf, n);
  }
  return 0;
}

static void add_fp_regs(lt_thread *t, lt_dwframe *fr) {
  arch_fpregs f;
  arch_regs r;
  if (lt_thread_get_fpregs(t, &f) < 0 || lt_thread_get_regs(t, &r) < 0) return;
  for (int regno = 0; regno < ARCH_DWARF_NREGS && regno < LT_DWREGS; regno++) {
    if (!arch_dwarf_reg_is_fp(regno)) continue;
    uint8_t buf[16];
    size_t n = arch_dwarf_reg(&r, &f, regno, buf);
    if (n) lt_dwframe_set_reg(fr, regno, buf, n);
  }
}

/* The scalars a type is made of, for the ABI's classification. */
static size_t flatten(lt_types *c, const lt_type *t, uint64_t base, arch_scalar *out, size_t n, int depth) {
  const lt_type *s = lt_type_strip(c, t);
  if (depth > 8 || n >= MAX_SCALARS) return n;
  switch (s->kind) {
  case LT_TY_FLOAT:
    out[n++] =
        (arch_scalar){(uint32_t)base, (uint32_t)s->size, s->size > 8 ? ARCH_SCALAR_X87 : ARCH_SCALAR_FLOAT};
    return n;
  case LT_TY_ARRAY: {
    const lt_type *e = lt_type_target(c, s);
    uint64_t es = lt_type_size(c, e);
    for (int64_t k = 0; k < s->count && es && base + (uint64_t)k * es < 16 && n < MAX_SCALARS; k++)
      n = flatten(c, e, base + (uint64_t)k * es, out, n, depth + 1);
    return n;
  }
  case LT_TY_STRUCT:
  case LT_TY_UNION: {
    const lt_member *m;
    size_t nm = lt_type_members(c, s, &m);
    for (size_t i = 0; i < nm && n < MAX_SCALARS; i++) {
      if (m[i].bit_size) {
        out[n++] = (arch_scalar){(uint32_t)(base + m[i].bit_pos / 8), 1, ARCH_SCALAR_INT};
        continue;
      }
      n = flatten(c, m[i].type, base + m[i].bit_pos / 8, out, n, depth + 1);
    }
    return n;
  }
  default:
    out[n++] = (arch_scalar){(uint32_t)base, (uint32_t)(lt_type_size(c, s) ? lt_type_size(c, s) : 8),
                             ARCH_SCALAR_INT};
    return n;
  }
}

static int by_reference(lt_types *c, const lt_type *t) { return lt_type_by_reference(c, t); }

static void place_return(lt_types *c, const lt_type *t, arch_argloc *out) {
  arch_scalar sc[MAX_SCALARS];
  uint64_t size = lt_type_size(c, t);
  size_t n = flatten(c, t, 0, sc, 0, 0);
  arch_return_place(size, sc, n, by_reference(c, t), out);
}

static const plan *plan_of(lt_process *p, tfile *tf, const lt_dwfunc *fn) {
  struct lt_typed *ty = typed_of(p);
  size_t b = ((uintptr_t)fn >> 4) % PLAN_BUCKETS;
  for (plan *pl = ty->plans[b]; pl; pl = pl->next)
    if (pl->fn == fn) return pl;
  plan *pl = calloc(1, sizeof *pl);
  if (!pl) return NULL;
  pl->fn = fn;
  pl->args = calloc(fn->nparams ? fn->nparams : 1, sizeof *pl->args);
  if (!pl->args) {
    free(pl);
    return NULL;
  }
  lt_types *c = lt_dwfile_types(tf->file);
  const lt_type *rt = lt_type_strip(c, fn->ret);
  pl->ret_void = rt->kind == LT_TY_VOID;
  if (!pl->ret_void) place_return(c, fn->ret, &pl->ret);
  arch_argstate st;
  arch_args_begin(&st, !pl->ret_void && pl->ret.indirect && rt->kind != LT_TY_FLOAT);
  for (size_t i = 0; i < fn->nparams; i++) {
    arch_scalar sc[MAX_SCALARS];
    const lt_type *pt = fn->params[i].type;
    size_t n = flatten(c, pt, 0, sc, 0, 0);
    arch_arg_place(&st, lt_type_size(c, pt), sc, n, by_reference(c, pt), &pl->args[i]);
    for (int k = 0; k < pl->args[i].npieces; k++)
      if (arch_dwarf_reg_is_fp(pl->args[i].piece[k].dwreg)) pl->uses_fp = 1;
  }
  pl->next = ty->plans[b];
  ty->plans[b] = pl;
  return pl;
}

static void value_optimized(lt_value *v, const lt_type *t, lt_types *c, const char *why) {
  memset(v, 0, sizeof *v);
  v->type = t;
  v->types = c;
  v->where = LT_VAL_BYTES;
  v->why = why;
}

/* A value where the ABI put it: registers of frame 0 or the stack. */
static int value_at_abi(lt_process *p, lt_dwframe *fr, const arch_argloc *al, const lt_type *t, lt_types *c,
                        lt_value *v, lt_valbuf *buf) {
  memset(v, 0, sizeof *v);
  v->type = t;
  v->types = c;
  uint64_t size = lt_type_size(c, t);
  uint64_t sp;
  memcpy(&sp, fr->regs[ARCH_DWARF_SP], 8);
  if (al->in_memory) {
    uint64_t at = sp + al->stack_offset;
    if (al->indirect && lt_read(p, at, &at, 8) != 8) return -1;
    v->where = LT_VAL_MEMORY;
    v->addr = at;
    return 0;
  }
  if (al->indirect) {
    v->where = LT_VAL_MEMORY;
    memcpy(&v->addr, fr->regs[al->piece[0].dwreg], 8);
    return 0;
  }
  if (size > LT_VALUE_MAX) size = LT_VALUE_MAX;
  memset(buf->bytes, 0, size);
  memset(buf->avail, 0, size);
  for (int k = 0; k < al->npieces; k++) {
    int r = al->piece[k].dwreg;
    uint32_t off = al->piece[k].offset, len = al->piece[k].size;
    if (off + len > size) len = off < size ? (uint32_t)(size - off) : 0;
    if (!fr->reg_size[r]) continue;
    memcpy(buf->bytes + off, fr->regs[r], len);
    memset(buf->avail + off, 1, len);
  }
  v->where = LT_VAL_BYTES;
  v->nbytes = size;
  v->bytes = buf->bytes;
  v->avail = buf->avail;
  return 0;
}

/* A variable through its DWARF location in a frame. */
static int value_at_loc(lt_process *p, lt_dwframe *fr, Dwarf_Die *die, const lt_dwfunc *fn, const lt_type *t,
                        lt_types *c, lt_value *v, lt_valbuf *buf, int strict) {
  lt_dwplace pl;
  char err[256];
  if (lt_dwframe_locate(fr, die, fn, &pl, err, sizeof err) < 0)
    return lt_fail(p->tracer, LT_EOPTIMIZED, "%s", err);
  if (pl.kind == LT_PLACE_OPTIMIZED) {
    if (strict) return lt_fail(p->tracer, LT_EOPTIMIZED, "optimized out: %s", err);
    value_optimized(v, t, c, "optimized out");
    return 0;
  }
  uint64_t size = lt_type_size(c, t), addr = 0;
  if (size > LT_VALUE_MAX) size = LT_VALUE_MAX;
  memset(v, 0, sizeof *v);
  v->type = t;
  v->types = c;
  int rc = lt_dwframe_read(fr, &pl, size, buf->bytes, buf->avail, &addr, err, sizeof err);
  if (rc < 0) return lt_fail(p->tracer, EFAULT, "%s", err);
  if (rc == 1) {
    v->where = LT_VAL_MEMORY;
    v->addr = addr;
    return 0;
  }
  v->where = LT_VAL_BYTES;
  v->nbytes = size;
  v->bytes = buf->bytes;
  v->avail = buf->avail;
  int any = 0;
  for (uint64_t i = 0; i < size; i++) any |= buf->avail[i];
  if (!any && size) {
    if (strict)
      return lt_fail(p->tracer, LT_EOPTIMIZED, "optimized out at pc 0x%llx", (unsigned long long)fr->pc);
    v->why = "optimized out";
  }
  return 0;
}

/* Whether a function is C or C++ (or has no language said): its ABI is
 * the one arch_arg_place knows. Go (its own register ABI) and Rust are
 * left to their own readers. */
static int c_like(const lt_dwfunc *fn) {
  Dwarf_Die d = fn->die, cu;
  if (!dwarf_diecu(&d, &cu, NULL, NULL)) return 1;
  int lang = dwarf_srclang(&cu);
  switch (lang) {
  case -1:
  case DW_LANG_C89:
  case DW_LANG_C:
  case DW_LANG_C99:
  case DW_LANG_C11:
  case DW_LANG_C_plus_plus:
  case DW_LANG_C_plus_plus_03:
  case DW_LANG_C_plus_plus_11:
  case DW_LANG_C_plus_plus_14:
  case DW_LANG_ObjC:
  case DW_LANG_ObjC_plus_plus: return 1;
  case DW_LANG_Mips_Assembler: /* glibc's syscall wrappers: no parameters said */ return 0;
  default: return lang >= 0x8000; /* vendor languages: as C */
  }
}

/* The function of frame 0: the innermost inlined instance at pc, but the
 * out-of-line function at its own first instruction (where a breakpoint on
 * its name stops, before any code inlined into it has begun). */
static const lt_dwfunc *function_here(lt_thread *t, lt_dwframe *fr, tfile *tf) {
  uint64_t pc = fr->pc - fr->bias;
  const lt_dwfunc *fn = lt_dwvars_function(tf->vars, pc, 1);
  if (!fn || fn->entry != pc) fn = lt_dwvars_function(tf->vars, pc, 0);
  warn_once(t->proc, tf); /* reading the units may have found them corrupt */
  if (fn && !c_like(fn)) {
    lt_fail(t->proc->tracer, LT_ENODWARF,
            "thread %d: the code at 0x%llx is not C or C++: lutra types only those", (int)t->tid,
            (unsigned long long)fr->pc);
    return NULL;
  }
  if (!fn)
    lt_fail(t->proc->tracer, LT_ENODWARF, "thread %d: no DWARF function at 0x%llx", (int)t->tid,
            (unsigned long long)fr->pc);
  return fn;
}

static int at_entry(const lt_dwframe *fr, const lt_dwfunc *fn) {
  return !fn->inlined && fr->pc - fr->bias == fn->entry;
}

int lt_thread_function(lt_thread *t, lt_frame_info *fi) {
  lt_dwenv env;
  lt_dwframe fr;
  tfile *tf;
  env_init(&env, t->proc);
  if (frame_init(t, &env, &fr, &tf, 0) < 0) return -1;
  const lt_dwfunc *fn = function_here(t, &fr, tf);
  if (!fn) return -1;
  fi->name = fn->name;
  fi->entry = fn->entry + fr.bias;
  fi->nparams = fn->nparams;
  fi->at_entry = at_entry(&fr, fn);
  return 0;
}

int lt_thread_args(lt_thread *t, lt_param_fn cb, void *ud) {
  lt_process *p = t->proc;
  lt_dwenv env;
  lt_dwframe fr;
  tfile *tf;
  env_init(&env, p);
  if (frame_init(t, &env, &fr, &tf, 0) < 0) return -1;
  const lt_dwfunc *fn = function_here(t, &fr, tf);
  if (!fn) return -1;
  lt_types *c = lt_dwfile_types(tf->file);
  const plan *pl = at_entry(&fr, fn) ? plan_of(p, tf, fn) : NULL;
  if (!pl || pl->uses_fp) add_fp_regs(t, &fr);
  lt_valbuf buf;
  for (size_t i = 0; i < fn->nparams; i++) {
    const lt_dwparam *pa = &fn->params[i];
    lt_value v;
    int rc;
    if (pl) {
      rc = value_at_abi(p, &fr, &pl->args[i], pa->type, c, &v, &buf);
    } else if (!pa->has_die) {
      value_optimized(&v, pa->type, c, "optimized out");
      rc = 0;
    } else {
      Dwarf_Die d = pa->die;
      rc = value_at_loc(p, &fr, &d, fn, pa->type, c, &v, &buf, 0);
    }
    if (rc < 0) {
      /* an unreadable location is this parameter's problem, not the call's */
      value_optimized(&v, pa->type, c,
                      lt_errcode(p->tracer) == EFAULT ? "cannot access memory" : "optimized out");
    }
    cb(ud, pa->name, &v);
  }
  lt_dwframe_release(&fr);
  return (int)fn->nparams;
}

int lt_thread_var(lt_thread *t, const char *name, lt_value *v, lt_valbuf *buf) {
  lt_process *p = t->proc;
  lt_dwenv env;
  lt_dwframe fr;
  tfile *tf;
  env_init(&env, p);
  if (frame_init(t, &env, &fr, &tf, 1) < 0) return -1;
  lt_types *c = lt_dwfile_types(tf->file);
  Dwarf_Die die;
  const lt_dwfunc *fn = NULL;
  int rc;
  int found = lt_dwvars_lookup(tf->vars, fr.pc - fr.bias, name, &die, &fn);
  warn_once(p, tf);
  if (found) {
    const lt_type *ty = lt_type_attr(c, &die);
    /* a parameter at the first instruction: where the ABI passed it */
    if (fn && c_like(fn) && at_entry(&fr, fn) && dwarf_tag(&die) == DW_TAG_formal_parameter) {
      const plan *pl = plan_of(p, tf, fn);
      for (size_t i = 0; pl && i < fn->nparams; i++) {
        if (fn->params[i].has_die && fn->params[i].die.addr == die.addr) {
          rc = value_at_abi(p, &fr, &pl->args[i], fn->params[i].type, c, v, buf);
          lt_dwframe_release(&fr);
          return rc;
        }
      }
    }
    rc = value_at_loc(p, &fr, &die, fn, ty, c, v, buf, 1);
    if (rc < 0 && lt_errcode(p->tracer) == LT_EOPTIMIZED) {
      char msg[sizeof p->tracer->errmsg];
      snprintf(msg, sizeof msg, "%s", lt_errmsg(p->tracer));
      lt_fail(p->tracer, LT_EOPTIMIZED, "'%s' is %s", name, msg);
    }
    lt_dwframe_release(&fr);
    return rc;
  }
  lt_dwframe_release(&fr);
  rc = lt_process_global(p, name, v, buf);
  if (rc < 0 && lt_errcode(p->tracer) == LT_ENOSYM)
    return lt_fail(p->tracer, LT_ENOSYM, "no variable '%s' visible at pc 0x%llx", name,
                   (unsigned long long)fr.pc);
  return rc;
}

int lt_process_global(lt_process *p, const char *name, lt_value *v, lt_valbuf *buf) {
  const lt_modules *m = lt_process_modules(p);
  lt_dwenv env;
  env_init(&env, p);
  int any = 0;
  for (size_t i = 0; i < m->n; i++) {
    tfile *tf = file_of_module(p, &m->mods[i]);
    warn_once(p, tf);
    if (!tf) continue;
    any = 1;
    Dwarf_Die die;
    int found = lt_dwvars_global(tf->vars, name, &die);
    warn_once(p, tf);
    if (!found) continue;
    lt_dwframe fr;
    lt_dwframe_init(&fr, &env, tf->vars, m->mods[i].bias, m->mods[i].base);
    lt_types *c = lt_dwfile_types(tf->file);
    int rc = value_at_loc(p, &fr, &die, NULL, lt_type_attr(c, &die), c, v, buf, 1);
    lt_dwframe_release(&fr);
    return rc;
  }
  if (!any)
    return lt_fail(p->tracer, LT_ENODWARF, "process %d: no module has DWARF (for '%s')", (int)p->pid, name);
  return lt_fail(p->tracer, LT_ENOSYM, "no global variable '%s' in process %d", name, (int)p->pid);
}

int lt_thread_return_value(lt_thread *t, uint64_t fn_entry, lt_value *v, lt_valbuf *buf) {
  lt_process *p = t->proc;
  uint64_t bias = 0;
  tfile *tf = file_at(p, fn_entry, &bias);
  warn_once(p, tf);
  const lt_dwfunc *fn = tf ? lt_dwvars_function(tf->vars, fn_entry - bias, 1) : NULL;
  /* fn_entry is where the breakpoint was: the function's first
   * instruction, or past a prologue (Go's stack check) */
  if (!fn)
    return lt_fail(p->tracer, LT_ENODWARF, "no DWARF for the function at 0x%llx",
                   (unsigned long long)fn_entry);
  if (!c_like(fn))
    return lt_fail(p->tracer, LT_ENODWARF, "the function at 0x%llx is not C or C++: lutra types only those",
                   (unsigned long long)fn_entry);
  const plan *pl = plan_of(p, tf, fn);
  if (!pl) return lt_fail(p->tracer, ENOMEM, "out of memory");
  if (pl->ret_void) return 0;
  lt_dwenv env;
  lt_dwframe fr;
  tfile *here;
  env_init(&env, p);
  int fp = 0;
  for (int k = 0; k < pl->ret.npieces; k++) fp |= arch_dwarf_reg_is_fp(pl->ret.piece[k].dwreg);
  /* the registers matter, not the module of the pc: any DWARF will do */
  arch_regs r;
  if (lt_thread_get_regs(t, &r) < 0) return -1;
  here = tf;
  lt_dwframe_init(&fr, &env, here->vars, bias, arch_pc(&r));
  arch_fpregs f;
  int have_fp = fp && lt_thread_get_fpregs(t, &f) == 0;
  for (int regno = 0; regno < ARCH_DWARF_NREGS && regno < LT_DWREGS; regno++) {
    uint8_t b[16];
    size_t n = arch_dwarf_reg(&r, have_fp ? &f : NULL, regno, b);
    if (n) lt_dwframe_set_reg(&fr, regno, b, n);
  }
  int rc = value_at_abi(p, &fr, &pl->ret, fn->ret, lt_dwfile_types(tf->file), v, buf);
  return rc < 0 ? -1 : 1;
}

int lt_thread_float_arg(lt_thread *t, int n, double *out) {
  lt_process *p = t->proc;
  int reg = arch_float_arg_reg(n);
  if (reg < 0) return lt_fail(p->tracer, LT_EMISUSE, "float_arg: n must be 1..8");
  arch_regs r;
  arch_fpregs f;
  if (lt_thread_get_regs(t, &r) < 0 || lt_thread_get_fpregs(t, &f) < 0) return -1;
  uint8_t b[16];
  arch_dwarf_reg(&r, &f, reg, b);
  int is_float = 0;
  uint64_t bias;
  tfile *tf = file_at(p, arch_pc(&r), &bias);
  const lt_dwfunc *fn = tf ? lt_dwvars_function(tf->vars, arch_pc(&r) - bias, 1) : NULL;
  if (fn && fn->entry == arch_pc(&r) - bias) {
    const plan *pl = plan_of(p, tf, fn);
    lt_types *c = lt_dwfile_types(tf->file);
    for (size_t i = 0; pl && i < fn->nparams; i++) {
      const arch_argloc *al = &pl->args[i];
      if (al->npieces == 1 && al->piece[0].dwreg == reg) {
        const lt_type *s = lt_type_strip(c, fn->params[i].type);
        is_float = s->kind == LT_TY_FLOAT && s->size == 4;
      }
    }
  }
  if (is_float) {
    float fl;
    memcpy(&fl, b, 4);
    *out = fl;
  } else {
    memcpy(out, b, 8);
  }
  return 0;
}

/* "RET NAME(DECL, DECL...)" */
static void signature(lt_types *c, const lt_dwfunc *fn, char *buf, size_t len) {
  size_t at = lt_type_declare(c, fn->ret, fn->name, buf, len);
  /* the return type's declarator holds the name: put the parameters after it */
  if (at >= len) return;
  at += (size_t)snprintf(buf + at, len - at, "(");
  for (size_t i = 0; i < fn->nparams && at < len; i++) {
    if (i) at += (size_t)snprintf(buf + at, len - at, ", ");
    if (at < len) at += lt_type_declare(c, fn->params[i].type, fn->params[i].name, buf + at, len - at);
  }
  if (fn->variadic && at < len) at += (size_t)snprintf(buf + at, len - at, fn->nparams ? ", ..." : "...");
  if (at < len) snprintf(buf + at, len - at, ")");
}

int lt_process_symbol_at(lt_process *p, uint64_t addr, char *name, size_t len, uint64_t *off) {
  /* the modules known: a pointer to the stack or the heap must not cost
   * a read of /proc/PID/maps per value printed */
  const lt_module *md = lt_modules_at(p->mods.n ? &p->mods : lt_process_modules(p), addr);
  const lt_sym *y = md && md->syms ? lt_symtab_containing(md->syms, addr - md->bias) : NULL;
  if (!y) return 0;
  char *owned = NULL;
  const char *shown = lt_symtab_display(md->syms, y, &owned); /* demangled, as gdb shows it */
  snprintf(name, len, "%s", shown ? shown : y->name);
  free(owned);
  *off = addr - (y->value + md->bias);
  return 1;
}

int lt_process_signature(lt_process *p, uint64_t addr, char *buf, size_t len) {
  uint64_t bias;
  tfile *tf = file_at(p, addr, &bias);
  warn_once(p, tf);
  const lt_dwfunc *fn = tf ? lt_dwvars_function_at_entry(tf->vars, addr - bias) : NULL;
  if (!fn)
    return lt_fail(p->tracer, LT_ENODWARF, "no DWARF for the function at 0x%llx", (unsigned long long)addr);
  signature(lt_dwfile_types(tf->file), fn, buf, len);
  return 0;
}

struct lt_sigfile {
  lt_symtab *syms;
  lt_dwfile *file;
  lt_dwvars *vars;
};

lt_sigfile *lt_sigfile_open(const char *path, char *err, size_t errlen, int *code) {
  lt_sigfile *f = calloc(1, sizeof *f);
  if (!f) {
    snprintf(err, errlen, "out of memory");
    *code = ENOMEM;
    return NULL;
  }
  f->syms = lt_symtab_open(path, path, err, errlen, code);
  if (!f->syms) {
    free(f);
    return NULL;
  }
  f->file = lt_dwfile_open(path);
  if (f->file && lt_dwfile_dwarf(f->file)) f->vars = lt_dwvars_new(f->file);
  return f;
}

void lt_sigfile_free(lt_sigfile *f) {
  if (!f) return;
  lt_dwvars_free(f->vars);
  lt_dwfile_free(f->file);
  lt_symtab_free(f->syms);
  free(f);
}

int lt_sigfile_functions(lt_sigfile *f, const char *glob, lt_sig_fn cb, void *ud) {
  int n = 0;
  char buf[1024];
  for (size_t j = 0; j < f->syms->n; j++) {
    const lt_sym *y = &f->syms->syms[j];
    if (y->type != STT_FUNC && y->type != STT_GNU_IFUNC) continue;
    if (j > 0 && strcmp(f->syms->syms[j - 1].name, y->name) == 0) continue;
    if (!lt_symtab_glob(f->syms, y, glob)) continue; /* linkage, demangled or qualified name */
    int have = lt_sigfile_signature(f, y->value, buf, sizeof buf);
    char *owned = NULL;
    const char *shown = lt_symtab_display(f->syms, y, &owned);
    cb(ud, shown ? shown : y->name, y->value, have ? buf : NULL);
    free(owned);
    n++;
  }
  return n;
}

int lt_sigfile_signature(lt_sigfile *f, uint64_t addr, char *buf, size_t len) {
  const lt_dwfunc *fn = f->vars ? lt_dwvars_function_at_entry(f->vars, addr) : NULL;
  if (!fn) return 0;
  signature(lt_dwfile_types(f->file), fn, buf, len);
  return 1;
}

const char *lt_sigfile_warning(lt_sigfile *f) { return f->file ? lt_dwfile_take_warning(f->file) : NULL; }
