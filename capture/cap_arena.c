/* cap_arena: bump allocation in 4 MiB blocks advised for transparent
 * huge pages (see cap_arena.h). */
#include "cap_arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#define REDZONE 16 /* poisoned bytes after each allocation */
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define REDZONE 0
#endif

#define BLOCK_SIZE ((size_t)4 << 20)
#define HUGE_PAGE ((size_t)2 << 20)
#define OWN_BLOCK (BLOCK_SIZE / 8) /* larger ones get a block each */
#define ALIGN alignof(max_align_t)

struct cap_arena_block {
	struct cap_arena_block *next;
	size_t size; /* of the whole block, this header included */
};

/* Where a block's space starts. */
#define HEADER ((sizeof(struct cap_arena_block) + ALIGN - 1) / ALIGN * ALIGN)

void cap_arena_init(struct cap_arena *a)
{
	a->blocks = NULL;
	a->next = NULL;
	a->left = 0;
}

static struct cap_arena_block *block_new(size_t size, bool huge)
{
	struct cap_arena_block *b =
	    huge ? aligned_alloc(HUGE_PAGE, size) : malloc(size);
	if (!b)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (huge)
		madvise(b, size, MADV_HUGEPAGE);
#endif
	b->size = size;
	POISON((uint8_t *)b + HEADER, size - HEADER);
	return b;
}

void *cap_arena_alloc(struct cap_arena *a, size_t n)
{
	if (n > SIZE_MAX / 2)
		return NULL;
	size_t need = ((n ? n : 1) + ALIGN - 1) / ALIGN * ALIGN + REDZONE;
	uint8_t *p;
	if (need > OWN_BLOCK) {
		/* behind the current block, whose free space stays */
		struct cap_arena_block *b = block_new(HEADER + need, false);
		if (!b)
			return NULL;
		if (a->blocks) {
			b->next = a->blocks->next;
			a->blocks->next = b;
		} else {
			b->next = NULL;
			a->blocks = b;
		}
		p = (uint8_t *)b + HEADER;
	} else {
		if (need > a->left) {
			struct cap_arena_block *b = block_new(BLOCK_SIZE, true);
			if (!b)
				return NULL;
			b->next = a->blocks;
			a->blocks = b;
			a->next = (uint8_t *)b + HEADER;
			a->left = BLOCK_SIZE - HEADER;
		}
		p = a->next;
		a->next += need;
		a->left -= need;
	}
	UNPOISON(p, n);
	return p;
}

void cap_arena_free(struct cap_arena *a)
{
	struct cap_arena_block *b = a->blocks;
	while (b) {
		struct cap_arena_block *next = b->next;
		UNPOISON(b, b->size);
		free(b);
		b = next;
	}
	cap_arena_init(a);
}
