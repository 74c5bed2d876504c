/* Unit tests for cap_arena: many allocations of mixed sizes across
 * blocks keep their contents and alignment; allocations too big for a
 * block get their own without losing the current block's space; size 0;
 * an arena freed is usable again. */
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cap_arena.h"
#include "check_main.h"

/* Reports only failures (the loops assert many times). */
#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			ck_abort_msg("Assertion '%s' failed", #expr);          \
	} while (0)

static uint8_t pattern(size_t i, size_t k)
{
	return (uint8_t)(i * 31 + k * 7 + 1);
}

static void fill(uint8_t *p, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		p[k] = pattern(i, k);
}

static bool intact(const uint8_t *p, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (p[k] != pattern(i, k))
			return false;
	return true;
}

#define NSMALL 60000

START_TEST(many_small)
{
	/* sizes 0..599: about 18 MB, so several blocks */
	static uint8_t *ptr[NSMALL];
	struct cap_arena a;
	cap_arena_init(&a);
	for (size_t i = 0; i < NSMALL; i++) {
		size_t n = (i * 7919) % 600;
		ptr[i] = cap_arena_alloc(&a, n);
		CHECK(ptr[i] != NULL);
		CHECK((uintptr_t)ptr[i] % alignof(max_align_t) == 0);
		fill(ptr[i], n, i);
	}
	for (size_t i = 0; i < NSMALL; i++)
		CHECK(intact(ptr[i], (i * 7919) % 600, i));
	cap_arena_free(&a);
	ck_assert_ptr_null(a.blocks);
}
END_TEST

START_TEST(big_ones_get_their_own_block)
{
	static const size_t sizes[] = {
	    100,  (512u << 10) - 64, (512u << 10) + 1,
	    40,	  3u << 20,	     5u << 20,
	    4096, (4u << 20) - 100,  7};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	uint8_t *ptr[N];
	struct cap_arena a;
	cap_arena_init(&a);
	for (size_t i = 0; i < N; i++) {
		ptr[i] = cap_arena_alloc(&a, sizes[i]);
		ck_assert_ptr_nonnull(ptr[i]);
		ck_assert_uint_eq((uintptr_t)ptr[i] % alignof(max_align_t), 0);
		fill(ptr[i], sizes[i], i);
	}
	for (size_t i = 0; i < N; i++)
		ck_assert_msg(intact(ptr[i], sizes[i], i), "allocation %zu", i);
	/* A big allocation does not end the current block: the small one
	 * after it lies in the same block as the one before it. */
	uint8_t *small0 = ptr[0], *small3 = ptr[3];
	ck_assert(small3 > small0 && small3 - small0 < (4 << 20));
	cap_arena_free(&a);
}
END_TEST

START_TEST(size_zero_and_reuse)
{
	struct cap_arena a;
	cap_arena_init(&a);
	/* a big allocation first: it must not become the current block */
	uint8_t *big = cap_arena_alloc(&a, 1u << 20);
	ck_assert_ptr_nonnull(big);
	void *z1 = cap_arena_alloc(&a, 0), *z2 = cap_arena_alloc(&a, 0);
	ck_assert_ptr_nonnull(z1);
	ck_assert_ptr_nonnull(z2);
	ck_assert_ptr_ne(z1, z2);
	ck_assert_ptr_null(cap_arena_alloc(&a, SIZE_MAX - 8));
	cap_arena_free(&a);
	ck_assert_ptr_null(a.blocks);
	ck_assert_uint_eq(a.left, 0);
	uint8_t *p = cap_arena_alloc(&a, 10);
	ck_assert_ptr_nonnull(p);
	memcpy(p, "0123456789", 10);
	ck_assert_mem_eq(p, "0123456789", 10);
	cap_arena_free(&a);
}
END_TEST

static Suite *cap_arena_suite(void)
{
	Suite *s = suite_create("cap_arena");
	TCase *tc = tcase_create("arena");
	tcase_add_test(tc, many_small);
	tcase_add_test(tc, big_ones_get_their_own_block);
	tcase_add_test(tc, size_zero_and_reuse);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(cap_arena_suite)
