/* demangle.c: C++ and Rust linkage names as the source writes them, by
 * libiberty's demangler, and the demangler's spelling of a user's name. */
#include "demangle.h"

#include <libiberty/demangle.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* DMGL_AUTO tries Rust first (legacy Rust names are Itanium C++ names
 * ending in a hash) then the C++ ABI; without DMGL_VERBOSE the Rust legacy
 * hash is left out, as rustc-demangle's alternate form and gdb do. */
#define DM_STYLE (DMGL_AUTO | DMGL_ANSI)

int lt_is_mangled(const char *name) { return name[0] == '_' && (name[1] == 'Z' || name[1] == 'R'); }

/* A legacy Rust name is an Itanium one whose last part is the hash
 * "17h" + 16 hex digits: only those need the Rust demangler's attempt
 * (it costs a twentieth of indexing libLLVM's C++ names otherwise). */
static int style_of(const char *linkage) {
  if (linkage[1] == 'R') return DMGL_RUST | DMGL_ANSI;
  size_t n = strlen(linkage);
  if (n > 20 && linkage[n - 1] == 'E' && memcmp(linkage + n - 20, "17h", 3) == 0) return DM_STYLE;
  return DMGL_GNU_V3 | DMGL_ANSI;
}

char *lt_demangle_display(const char *linkage) {
  return lt_is_mangled(linkage) ? cplus_demangle(linkage, style_of(linkage) | DMGL_PARAMS) : NULL;
}

void lt_demangled_free(lt_demangled *d) {
  free(d->display);
  free(d->sig);
  free(d->base);
  memset(d, 0, sizeof *d);
}

int lt_demangle(const char *linkage, lt_demangled *out) {
  memset(out, 0, sizeof *out);
  if (!lt_is_mangled(linkage)) return 0;
  int style = style_of(linkage);
  out->display = cplus_demangle(linkage, style | DMGL_PARAMS);
  if (!out->display) return 0;
  /* Without DMGL_PARAMS the demangler prints the qualified name alone
   * (no parameters, no return type, no clone suffix). */
  out->base = cplus_demangle(linkage, style);
  if (!out->base) out->base = strdup(out->display);
  if (!out->base) goto oom;
  size_t bl = strlen(out->base);
  if (strncmp(out->display, out->base, bl) == 0) {
    out->sig = strdup(out->display);
  } else {
    /* A template function's display starts with its return type; the
     * signature a user writes (and gdb shows) has none. */
    out->sig = cplus_demangle(linkage, style | DMGL_PARAMS | DMGL_RET_DROP);
    if (!out->sig) out->sig = strdup(out->display);
  }
  if (!out->sig) goto oom;
  out->clone = strstr(out->display, " [clone ") != NULL;
  return 1;
oom:
  lt_demangled_free(out);
  return -1;
}

/* ---- the spelling pass ---- */

enum { T_WORD, T_NUM, T_PUNCT };

/* Words the pass acts on, recognised once per token. */
enum {
  K_NONE,
  K_CONST,
  K_VOLATILE,
  K_LONG,
  K_UNSIGNED,
  K_SIGNED,
  K_SHORT,
  K_CHAR,
  K_INT,
  K_DOUBLE,
  K_INT128,
  K_VOID,
  K_STD,
  K_TYPEDEF /* + index into typedefs[] */
};

typedef struct {
  const char *s;
  size_t len;
  int kind;
  int kw;
  bool space_before; /* the user's text had whitespace before it */
} tok;

typedef struct {
  char *out;
  size_t cap, len;
  bool overflow;
} emitter;

static bool is_word_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$';
}
static bool is_word_char(char c) { return is_word_start(c) || (c >= '0' && c <= '9'); }

static bool punct(const tok *t, char c) { return t && t->kind == T_PUNCT && t->len == 1 && t->s[0] == c; }
static bool scope(const tok *t) { return t && t->kind == T_PUNCT && t->len == 2 && t->s[0] == ':'; }
static bool amp2(const tok *t) { return t && t->kind == T_PUNCT && t->len == 2 && t->s[0] == '&'; }

static int classify(const char *s, size_t n);

/* The operator symbols that may follow the word "operator". */
static bool is_op_char(char c) { return c && strchr("+-*/%^&|~!=<>,[]", c) != NULL; }

static size_t tokenize(const char *s, size_t n, tok *toks) {
  size_t nt = 0;
  size_t i = 0;
  bool sp = false;
  while (i < n) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      sp = true;
      i++;
      continue;
    }
    tok *t = &toks[nt++];
    t->s = s + i;
    t->space_before = sp;
    sp = false;
    size_t j = i + 1;
    if (is_word_start(c)) {
      while (j < n && is_word_char(s[j])) j++;
      t->kind = T_WORD;
      if (j - i == 8 && memcmp(s + i, "operator", 8) == 0) {
        /* "operator<<", "operator()", "operator[]": one token, so that
         * the spacing rules do not split them. */
        size_t k = j;
        while (k < n && s[k] == ' ') k++;
        if (k + 1 < n && s[k] == '(' && s[k + 1] == ')') {
          j = k + 2;
        } else if (k < n && is_op_char(s[k]) && s[k] != ',') {
          j = k;
          while (j < n && is_op_char(s[j]) && s[j] != ',') j++;
        } else if (k < n && s[k] == ',') {
          j = k + 1;
        }
      }
    } else if (c >= '0' && c <= '9') {
      while (j < n && is_word_char(s[j])) j++;
      t->kind = T_NUM;
    } else {
      t->kind = T_PUNCT;
      if ((c == ':' && j < n && s[j] == ':') || (c == '&' && j < n && s[j] == '&'))
        j++;
      else if (c == '.' && j + 1 < n && s[j] == '.' && s[j + 1] == '.')
        j += 2;
    }
    t->len = j - i;
    t->kw = t->kind == T_WORD ? classify(t->s, t->len) : K_NONE;
    i = j;
  }
  return nt;
}

static void put(emitter *e, const char *s, size_t n) {
  if (e->len + n + 1 > e->cap) {
    e->overflow = true;
    return;
  }
  memcpy(e->out + e->len, s, n);
  e->len += n;
  e->out[e->len] = 0;
}

static char last_char(const emitter *e) { return e->len ? e->out[e->len - 1] : 0; }

static bool is_builtin(const char *s, size_t n) {
  static const char *const kw[] = {"void",    "bool",     "char",     "int",      "long",
                                   "short",   "unsigned", "signed",   "float",    "double",
                                   "wchar_t", "char8_t",  "char16_t", "char32_t", "__int128",
                                   "auto",    "decltype", "sizeof",   "alignof",  NULL};
  for (int i = 0; kw[i]; i++)
    if (strlen(kw[i]) == n && memcmp(kw[i], s, n) == 0) return true;
  return false;
}

/* The word the output ends with, if it ends with one. */
static bool last_word(const emitter *e, const char **w, size_t *n) {
  size_t end = e->len, b = end;
  while (b > 0 && is_word_char(e->out[b - 1])) b--;
  if (b == end) return false;
  *w = e->out + b;
  *n = end - b;
  return true;
}

/* Writes one token with the space the demangler would put before it.
 * `next` is the token after it in the input (NULL at the end). */
static void emit(emitter *e, const tok *t, const tok *next) {
  char a = last_char(e);
  char b = t->s[0];
  bool space = false;
  if (e->len == 0) {
    space = false;
  } else if (t->kind != T_PUNCT || b == '$') {
    bool a_word = is_word_char(a);
    /* "unsigned int", "f() const", "char* const", "vector<int> const&" */
    space = a_word || a == ',' || a == ';' ||
            (t->kind == T_WORD && (a == ')' || a == '*' || a == '&' || a == '>' || a == ']'));
  } else if (b == '(') {
    const char *w;
    size_t wn;
    bool after_op = last_word(e, &w, &wn) && wn == 8 && memcmp(w, "operator", 8) == 0;
    if (a == ',')
      space = true;
    else if (after_op || a == '(' || a == '<' || a == ':' || a == '~')
      space = false;
    else if (next && (punct(next, '*') || punct(next, '&') || amp2(next)))
      space = true; /* a declarator: "void (*)(int)", "int (&) [4]" */
    else if (last_word(e, &w, &wn) && is_builtin(w, wn))
      space = true; /* a function type: "std::function<void (int)>" */
    else
      space = t->space_before && (a == '>' || a == '*' || a == '&' || a == ')');
  } else if (b == '[') {
    /* "char [4]", but "get[abi:cxx11]" and "operator new[]" */
    space = a != 0 && a != '(' && next && next->kind == T_NUM;
  } else if (b == '>') {
    space = a == '>';
  } else if (b == '<') {
    space = a == '<'; /* "operator< <int>" */
  } else if (b == '.' && t->len == 3) {
    space = a == ',';
  } else {
    space = a == ',' || a == ';';
  }
  if (space) put(e, " ", 1);
  put(e, t->s, t->len);
}

static void emit_text(emitter *e, const char *text) {
  /* A replacement is spelled as written here: only its first token
   * needs the spacing decision. */
  tok t = {text, strcspn(text, " :<(*&"), is_word_start(text[0]) ? T_WORD : T_PUNCT, K_NONE, false};
  emit(e, &t, NULL);
  put(e, text + t.len, strlen(text) - t.len);
}

/* Typedefs the demangler never prints, by what they name on LP64 Linux. */
static const struct {
  const char *name;
  const char *is;
} typedefs[] = {
    {"size_t", "unsigned long"},
    {"ssize_t", "long"},
    {"ptrdiff_t", "long"},
    {"intptr_t", "long"},
    {"uintptr_t", "unsigned long"},
    {"int8_t", "signed char"},
    {"uint8_t", "unsigned char"},
    {"int16_t", "short"},
    {"uint16_t", "unsigned short"},
    {"int32_t", "int"},
    {"uint32_t", "unsigned int"},
    {"int64_t", "long"},
    {"uint64_t", "unsigned long"},
    {"nullptr_t", "decltype(nullptr)"},
    {"string", "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"},
    {"wstring", "std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >"},
    {"string_view", "std::basic_string_view<char, std::char_traits<char> >"},
    {NULL, NULL}};

/* std-only typedefs: "string" alone is not std::string. */
static bool std_only(const char *name) {
  return !strcmp(name, "string") || !strcmp(name, "wstring") || !strcmp(name, "string_view") ||
         !strcmp(name, "nullptr_t");
}

static int classify(const char *s, size_t n) {
#define W(w, k) \
  { w, sizeof w - 1, k }
  static const struct {
    const char *w;
    size_t n;
    int kw;
  } words[] = {W("const", K_CONST),   W("volatile", K_VOLATILE), W("long", K_LONG), W("unsigned", K_UNSIGNED),
               W("signed", K_SIGNED), W("short", K_SHORT),       W("char", K_CHAR), W("int", K_INT),
               W("double", K_DOUBLE), W("__int128", K_INT128),   W("void", K_VOID), W("std", K_STD),
               {NULL, 0, 0}};
#undef W
  if (n < 3 || n > 11) return K_NONE; /* no keyword or typedef is shorter or longer */
  for (int i = 0; words[i].w; i++)
    if (words[i].n == n && words[i].w[0] == s[0] && memcmp(words[i].w, s, n) == 0) return words[i].kw;
  if (s[n - 1] != 't' && s[n - 1] != 'g' && s[n - 1] != 'w') return K_NONE; /* ..._t, string, string_view */
  for (int k = 0; typedefs[k].name; k++)
    if (typedefs[k].name[0] == s[0] && strlen(typedefs[k].name) == n && memcmp(typedefs[k].name, s, n) == 0)
      return K_TYPEDEF + k;
  return K_NONE;
}

/* A typedef at toks[i] ("size_t", "std::size_t", "std::string"); returns
 * how many tokens it spans and its replacement, or 0. */
static size_t typedef_at(const tok *toks, size_t nt, size_t i, const char **is) {
  if (i > 0 && scope(&toks[i - 1])) return 0;
  bool qualified = i + 2 < nt && toks[i].kw == K_STD && scope(&toks[i + 1]);
  size_t at = qualified ? i + 2 : i;
  if (at >= nt || toks[at].kw < K_TYPEDEF) return 0;
  if (at + 1 < nt && scope(&toks[at + 1])) return 0;
  int k = toks[at].kw - K_TYPEDEF;
  if (!qualified && std_only(typedefs[k].name)) return 0;
  *is = typedefs[k].is;
  return at - i + 1;
}

/* Integer keywords, one spelling for each type: "long unsigned int" is
 * "unsigned long". Returns how many tokens at toks[i] form the type. */
static size_t int_run(const tok *toks, size_t nt, size_t i, char *spelled, size_t len) {
  int longs = 0, sign = 0, shorts = 0, chars = 0, ints = 0, dbl = 0, i128 = 0;
  size_t j = i;
  for (; j < nt; j++) {
    int kw = toks[j].kw;
    if (kw == K_LONG)
      longs++;
    else if (kw == K_UNSIGNED)
      sign = 1;
    else if (kw == K_SIGNED)
      sign = -1;
    else if (kw == K_SHORT)
      shorts++;
    else if (kw == K_CHAR)
      chars++;
    else if (kw == K_INT)
      ints++;
    else if (kw == K_DOUBLE)
      dbl++;
    else if (kw == K_INT128)
      i128++;
    else
      break;
  }
  if (j == i || (j == i + 1 && !sign)) return 0; /* "int", "long": already so */
  if (j > i + 1 && i > 0 && scope(&toks[i - 1])) return 0;
  const char *u = sign > 0 ? "unsigned " : "";
  if (chars)
    snprintf(spelled, len, "%schar", sign > 0 ? "unsigned " : sign < 0 ? "signed " : "");
  else if (dbl)
    snprintf(spelled, len, "%sdouble", longs ? "long " : "");
  else if (i128)
    snprintf(spelled, len, "%s__int128", u);
  else if (shorts)
    snprintf(spelled, len, "%sshort", u);
  else if (longs >= 2)
    snprintf(spelled, len, "%slong long", u);
  else if (longs == 1)
    snprintf(spelled, len, "%slong", u);
  else
    snprintf(spelled, len, "%sint", u);
  (void)ints;
  return j - i;
}

static bool is_cv(const tok *t) { return t->kw == K_CONST || t->kw == K_VOLATILE; }

/* Where a type starts: its cv-qualifiers may be written before it. */
static bool type_start(const tok *toks, size_t i) {
  if (i == 0) return false;
  const tok *p = &toks[i - 1];
  return punct(p, '(') || punct(p, ',') || punct(p, '<');
}

/* The end of the simple type starting at toks[i]: qualified words with
 * their template arguments, or a run of integer keywords. */
static size_t simple_type_end(const tok *toks, size_t nt, size_t i) {
  size_t j = i;
  if (j < nt && scope(&toks[j])) j++;
  while (j < nt && toks[j].kind == T_WORD) {
    if (is_builtin(toks[j].s, toks[j].len)) {
      while (j < nt && toks[j].kind == T_WORD && is_builtin(toks[j].s, toks[j].len)) j++;
      return j;
    }
    j++;
    if (j < nt && punct(&toks[j], '<')) {
      int depth = 0;
      for (; j < nt; j++) {
        if (punct(&toks[j], '<'))
          depth++;
        else if (punct(&toks[j], '>') && --depth == 0)
          break;
      }
      if (j < nt) j++;
    }
    if (j < nt && scope(&toks[j]))
      j++;
    else
      break;
  }
  return j;
}

static void spell_range(emitter *e, const tok *toks, size_t nt, size_t from, size_t to);

static void emit_one(emitter *e, const tok *toks, size_t nt, size_t *ip, size_t to) {
  size_t i = *ip;
  const char *is;
  char ints[32];
  size_t n;
  if (punct(&toks[i], '(') && i + 2 < to && toks[i + 1].kw == K_VOID && punct(&toks[i + 2], ')')) {
    tok t = {"()", 2, T_PUNCT, K_NONE, toks[i].space_before};
    emit(e, &t, &toks[i + 1]);
    *ip = i + 3;
  } else if (toks[i].kw != K_NONE && (n = typedef_at(toks, to, i, &is))) {
    emit_text(e, is);
    *ip = i + n;
  } else if (toks[i].kw != K_NONE && (n = int_run(toks, to, i, ints, sizeof ints))) {
    emit_text(e, ints);
    *ip = i + n;
  } else {
    emit(e, &toks[i], i + 1 < nt ? &toks[i + 1] : NULL);
    *ip = i + 1;
  }
}

static void spell_range(emitter *e, const tok *toks, size_t nt, size_t from, size_t to) {
  size_t i = from;
  while (i < to && !e->overflow) {
    if (type_start(toks, i) && is_cv(&toks[i])) {
      /* "const char*" -> "char const*": the qualifiers after the type */
      size_t j = i;
      bool c = false, v = false;
      for (; j < to && is_cv(&toks[j]); j++) {
        if (toks[j].kw == K_CONST)
          c = true;
        else
          v = true;
      }
      size_t k = simple_type_end(toks, to, j);
      if (k > j) {
        spell_range(e, toks, nt, j, k);
        /* "char const volatile": the demangler's order */
        if (c) emit_text(e, "const");
        if (v) emit_text(e, "volatile");
        i = k;
        continue;
      }
    }
    emit_one(e, toks, nt, &i, to);
  }
}

int lt_spell(const char *name, char *out, size_t outlen) {
  if (outlen == 0) return -1;
  out[0] = 0;
  /* "ns::Klass::method": words and "::" alone are spelled already. */
  size_t plain = 0;
  while (is_word_char(name[plain]) || name[plain] == ':') plain++;
  if (name[plain] == 0) {
    if (plain + 1 > outlen) return -1;
    memcpy(out, name, plain + 1);
    return (int)plain;
  }
  /* " [clone .cold]" and the like are copied as they are. */
  const char *clone = strstr(name, "[clone ");
  size_t n = clone ? (size_t)(clone - name) : strlen(name);
  tok *toks = malloc((n + 1) * sizeof *toks);
  if (!toks) return -1;
  size_t nt = tokenize(name, n, toks);
  emitter e = {out, outlen, 0, false};
  spell_range(&e, toks, nt, 0, nt);
  free(toks);
  if (clone) {
    put(&e, " ", 1);
    put(&e, clone, strlen(clone));
  }
  return e.overflow ? -1 : (int)e.len;
}

char *lt_spell_dup(const char *name) {
  size_t cap = strlen(name) * 2 + 256;
  for (;;) {
    char *out = malloc(cap);
    if (!out) return NULL;
    if (lt_spell(name, out, cap) >= 0) return out;
    free(out);
    cap *= 2;
  }
}
