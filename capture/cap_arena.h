/* Append-only storage for what `wssim capture` keeps until the end (the
 * payloads of websocket messages): allocation is a pointer bump in big
 * blocks, and everything is freed at once.
 *
 * Why: --json keeps up to --payload-cap bytes of every message, and
 * taking that memory 4 KiB page by page, one page fault each, cost more
 * than all the decoding (a 300 MB capture of 16 KiB messages keeps 78 MB:
 * 20,000 page faults, 180 ms of CPU against 105 ms in 2 MiB pages).
 * Blocks are 4 MiB, aligned to 2 MiB and advised for transparent huge
 * pages (MADV_HUGEPAGE; where the system does not give them, they are
 * ordinary memory). Under AddressSanitizer the space between
 * allocations stays poisoned, so an overrun is still caught.
 */
#ifndef WSSIM_CAP_ARENA_H
#define WSSIM_CAP_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct cap_arena_block;

struct cap_arena {
	struct cap_arena_block *blocks; /* the current one first */
	uint8_t *next;			/* free space in the current block */
	size_t left;
};

void cap_arena_init(struct cap_arena *a);

/* n bytes (n may be 0), aligned for any type, valid until
 * cap_arena_free; NULL when out of memory. An allocation of more than
 * 512 KiB gets a block of its own. */
void *cap_arena_alloc(struct cap_arena *a, size_t n);

/* Free every block; the arena is empty again (and may be used again). */
void cap_arena_free(struct cap_arena *a);

#endif
