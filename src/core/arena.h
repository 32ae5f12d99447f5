/* arena.h: a bump allocator for things that die together (a parsed
 * workflow, one step's prompt and response). Memory is 16-byte aligned and
 * freed all at once by arena_release. */
#ifndef WR_CORE_ARENA_H
#define WR_CORE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t block_size;   /* bytes per block; 0: 16 KiB */
};

void arena_init(struct arena *a, size_t block_size);
void arena_release(struct arena *a);
/* Zeroed memory, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Grows an array allocated in the arena (the old copy is abandoned). */
void *arena_grow(struct arena *a, void *old, size_t old_size, size_t new_size);

#endif
