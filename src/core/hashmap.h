/* hashmap.h: an open-addressing map from a 64-bit key to a pointer, used for
 * the tracer's tid table and each process's breakpoint table. */
#ifndef LUTRA_HASHMAP_H
#define LUTRA_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t *keys;
  void **vals; /* NULL: empty slot; TOMBSTONE: deleted */
  size_t cap, len, used;
} hashmap;

void hm_init(hashmap *m);
void hm_free(hashmap *m);
void *hm_get(const hashmap *m, uint64_t key);
int hm_put(hashmap *m, uint64_t key, void *val); /* -1 on ENOMEM */
void *hm_del(hashmap *m, uint64_t key);
/* Iterate: for (size_t i = 0; hm_next(m, &i, &k, &v);) */
int hm_next(const hashmap *m, size_t *i, uint64_t *key, void **val);

#endif
