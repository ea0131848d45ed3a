/* hashmap.c: linear probing with tombstones; the table doubles at 1/2 load. */
#include "hashmap.h"

#include <stdlib.h>

static char tombstone_;
#define TOMBSTONE ((void *)&tombstone_)

static size_t slot(uint64_t key, size_t cap) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return (size_t)key & (cap - 1);
}

void hm_init(hashmap *m) {
  m->keys = NULL;
  m->vals = NULL;
  m->cap = m->len = m->used = 0;
}

void hm_free(hashmap *m) {
  free(m->keys);
  free(m->vals);
  hm_init(m);
}

void *hm_get(const hashmap *m, uint64_t key) {
  if (m->cap == 0) return NULL;
  for (size_t i = slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (m->vals[i] == NULL) return NULL;
    if (m->vals[i] != TOMBSTONE && m->keys[i] == key) return m->vals[i];
  }
}

static int grow(hashmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 16;
  while (m->len * 2 >= cap) cap *= 2;
  uint64_t *keys = calloc(cap, sizeof *keys);
  void **vals = calloc(cap, sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return -1;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (m->vals[i] == NULL || m->vals[i] == TOMBSTONE) continue;
    size_t j = slot(m->keys[i], cap);
    while (vals[j]) j = (j + 1) & (cap - 1);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
  m->used = m->len;
  return 0;
}

int hm_put(hashmap *m, uint64_t key, void *val) {
  if ((m->used + 1) * 2 > m->cap && grow(m) < 0) return -1;
  size_t i = slot(key, m->cap), grave = (size_t)-1;
  for (;; i = (i + 1) & (m->cap - 1)) {
    if (m->vals[i] == NULL) break;
    if (m->vals[i] == TOMBSTONE) {
      if (grave == (size_t)-1) grave = i;
    } else if (m->keys[i] == key) {
      m->vals[i] = val;
      return 0;
    }
  }
  if (grave != (size_t)-1) {
    i = grave;
  } else {
    m->used++;
  }
  m->keys[i] = key;
  m->vals[i] = val;
  m->len++;
  return 0;
}

void *hm_del(hashmap *m, uint64_t key) {
  if (m->cap == 0) return NULL;
  for (size_t i = slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (m->vals[i] == NULL) return NULL;
    if (m->vals[i] != TOMBSTONE && m->keys[i] == key) {
      void *v = m->vals[i];
      m->vals[i] = TOMBSTONE;
      m->len--;
      return v;
    }
  }
}

int hm_next(const hashmap *m, size_t *i, uint64_t *key, void **val) {
  for (; *i < m->cap; (*i)++) {
    if (m->vals[*i] && m->vals[*i] != TOMBSTONE) {
      *key = m->keys[*i];
      *val = m->vals[*i];
      (*i)++;
      return 1;
    }
  }
  return 0;
}
