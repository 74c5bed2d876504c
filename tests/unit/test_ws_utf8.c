/* Unit tests for ws_utf8: Markus Kuhn-style cases (boundaries, overlongs,
 * surrogates, beyond U+10FFFF, truncation), every case split at every
 * offset and fed a byte at a time, the ASCII fast path at every alignment,
 * and exhaustive comparison against a reference written from the RFC 3629
 * grammar. */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "proto_err.h"
#include "ws_utf8.h"

/* For the exhaustive loops: Check's ck_assert records each passing
 * assertion with a write to a pipe; this reports only failures. */
#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			ck_abort_msg("Assertion '%s' failed", #expr);          \
	} while (0)

/* Reference: RFC 3629 section 4 written out as code. Returns -1 if p is
 * a valid prefix (with *complete telling whether it ends at a character
 * boundary), else the index of the first byte that no valid string can
 * have there. */
static long ref_check(const uint8_t *p, size_t n, bool *complete)
{
	size_t i = 0;

	*complete = true;
	while (i < n) {
		uint8_t b = p[i];
		size_t more;
		uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
		if (b <= 0x7f) {
			i++;
			continue;
		} else if (b >= 0xc2 && b <= 0xdf) {
			more = 1;
		} else if (b == 0xe0) {
			more = 2;
			lo = 0xa0;
		} else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) {
			more = 2;
		} else if (b == 0xed) {
			more = 2;
			hi = 0x9f;
		} else if (b == 0xf0) {
			more = 3;
			lo = 0x90;
		} else if (b >= 0xf1 && b <= 0xf3) {
			more = 3;
		} else if (b == 0xf4) {
			more = 3;
			hi = 0x8f;
		} else {
			return (long)i;
		}
		for (size_t j = 1; j <= more; j++) {
			if (i + j >= n) {
				*complete = false;
				return -1;
			}
			uint8_t c = p[i + j];
			uint8_t l = j == 1 ? lo : 0x80, h = j == 1 ? hi : 0xbf;
			if (c < l || c > h)
				return (long)(i + j);
		}
		i += more + 1;
	}
	return -1;
}

/* Run ws_utf8 over p in pieces cut at `cuts` (ascending, ncuts of them);
 * returns like ref_check. */
static long dfa_check_cut(const uint8_t *p, size_t n, const size_t *cuts,
			  size_t ncuts, bool *complete)
{
	struct ws_utf8 u;
	size_t start = 0;

	ws_utf8_init(&u);
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		size_t bad = (size_t)-1;
		int rc = ws_utf8_feed(&u, p + start, end - start, &bad);
		if (rc != 0) {
			CHECK(rc == PROTO_E_WS_UTF8);
			CHECK(bad < end - start);
			/* Sticky: more input still fails, at index 0. */
			size_t again = 99;
			CHECK(ws_utf8_feed(&u, p, 0, &again) ==
			      PROTO_E_WS_UTF8);
			CHECK(again == 0);
			*complete = false;
			return (long)(start + bad);
		}
		start = end;
	}
	*complete = ws_utf8_complete(&u);
	return -1;
}

static long dfa_check(const uint8_t *p, size_t n, bool *complete)
{
	return dfa_check_cut(p, n, NULL, 0, complete);
}

struct ucase {
	const char *name;
	const char *bytes;
	long bad;      /* expected index of the offending byte, or -1 */
	bool complete; /* when bad == -1: ends at a character boundary */
};

/* clang-format off */
static const struct ucase ucases[] = {
	/* Valid text (Kuhn 1, 2.1-2.3, 5.3 noncharacters are valid). */
	{"kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", -1, true},
	{"empty", "", -1, true},
	{"ascii", "Hello, world", -1, true},
	{"U+0001", "\x01", -1, true},
	{"U+007F", "\x7f", -1, true},
	{"U+0080", "\xc2\x80", -1, true},
	{"U+07FF", "\xdf\xbf", -1, true},
	{"U+0800", "\xe0\xa0\x80", -1, true},
	{"U+D7FF", "\xed\x9f\xbf", -1, true},
	{"U+E000", "\xee\x80\x80", -1, true},
	{"U+FFFD", "\xef\xbf\xbd", -1, true},
	{"U+FFFF", "\xef\xbf\xbf", -1, true},
	{"U+FEFF", "\xef\xbb\xbf", -1, true},
	{"U+10000", "\xf0\x90\x80\x80", -1, true},
	{"U+1F600", "\xf0\x9f\x98\x80", -1, true},
	{"U+FFFFF", "\xf3\xbf\xbf\xbf", -1, true},
	{"U+10FFFF", "\xf4\x8f\xbf\xbf", -1, true},
	{"mixed", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", -1, true},
	/* Unexpected continuation bytes (3.1). */
	{"lone_80", "\x80", 0, false},
	{"lone_BF", "\xbf", 0, false},
	{"cont_after_ascii", "ab\x80", 2, false},
	{"extra_cont", "\xc2\x80\x80", 2, false},
	/* Lead bytes followed by a space (3.2). */
	{"C2_space", "\xc2 ", 1, false},
	{"E1_space", "\xe1 ", 1, false},
	{"E1_80_space", "\xe1\x80 ", 2, false},
	{"F1_80_80_space", "\xf1\x80\x80 ", 3, false},
	/* Sequences with the last byte missing, at the end (3.3). */
	{"trunc_2", "\xc2", -1, false},
	{"trunc_3_of_3", "\xe2\x82", -1, false},
	{"trunc_2_of_4", "\xf0\x9f", -1, false},
	{"trunc_3_of_4", "\xf0\x9f\x98", -1, false},
	{"trunc_then_ascii", "\xe2\x82" "A", 2, false},
	/* Impossible bytes (3.5). */
	{"FE", "\xfe", 0, false},
	{"FF", "\xff", 0, false},
	{"F8_5byte", "\xf8\x88\x80\x80\x80", 0, false},
	{"FC_6byte", "\xfc\x84\x80\x80\x80\x80", 0, false},
	/* Overlong forms (4.1-4.3). */
	{"overlong_slash_2", "\xc0\xaf", 0, false},
	{"overlong_slash_3", "\xe0\x80\xaf", 1, false},
	{"overlong_slash_4", "\xf0\x80\x80\xaf", 1, false},
	{"overlong_nul_2", "\xc0\x80", 0, false},
	{"overlong_max_2", "\xc1\xbf", 0, false},
	{"overlong_max_3", "\xe0\x9f\xbf", 1, false},
	{"overlong_max_4", "\xf0\x8f\xbf\xbf", 1, false},
	/* UTF-16 surrogates (5.1, 5.2). */
	{"U+D800", "\xed\xa0\x80", 1, false},
	{"U+DB7F", "\xed\xad\xbf", 1, false},
	{"U+DC00", "\xed\xb0\x80", 1, false},
	{"U+DFFF", "\xed\xbf\xbf", 1, false},
	{"pair_D800_DC00", "\xed\xa0\x80\xed\xb0\x80", 1, false},
	{"surrogate_after_text", "ok \xed\xa0\x80", 4, false},
	/* Beyond U+10FFFF. */
	{"U+110000", "\xf4\x90\x80\x80", 1, false},
	{"F5_lead", "\xf5\x80\x80\x80", 0, false},
	{"F7_BF", "\xf7\xbf\xbf\xbf", 0, false},
	/* Errors after a long valid ASCII run (the word-at-a-time path). */
	{"ascii_run_then_bad",
	 "0123456789abcdef0123456789abcdef\xff", 32, false},
	{"ascii_run_then_overlong",
	 "0123456789abcdef0123456\xc0\x80", 23, false},
};
/* clang-format on */

#define NUCASES (sizeof(ucases) / sizeof(ucases[0]))

START_TEST(kuhn_cases)
{
	const struct ucase *c = &ucases[_i];
	const uint8_t *p = (const uint8_t *)c->bytes;
	size_t n = strlen(c->bytes);
	bool complete, rcomplete;

	long bad = dfa_check(p, n, &complete);
	ck_assert_msg(bad == c->bad, "%s: bad at %ld, want %ld", c->name, bad,
		      c->bad);
	if (c->bad < 0)
		ck_assert_msg(complete == c->complete, "%s: complete %d",
			      c->name, complete);
	/* The test's own expectation agrees with the reference. */
	ck_assert_int_eq(ref_check(p, n, &rcomplete), c->bad);
	if (c->bad < 0)
		ck_assert_int_eq(rcomplete, c->complete);
	ck_assert_int_eq(ws_utf8_valid(p, n), c->bad < 0 && c->complete);
}
END_TEST

START_TEST(kuhn_cases_split)
{
	const struct ucase *c = &ucases[_i];
	const uint8_t *p = (const uint8_t *)c->bytes;
	size_t n = strlen(c->bytes);
	bool complete;

	/* Split once at every offset. */
	for (size_t cut = 0; cut <= n; cut++) {
		long bad = dfa_check_cut(p, n, &cut, 1, &complete);
		ck_assert_msg(bad == c->bad, "%s cut at %zu: bad %ld", c->name,
			      cut, bad);
		if (c->bad < 0)
			ck_assert_int_eq(complete, c->complete);
	}
	/* One byte at a time. */
	size_t cuts[64];
	ck_assert_uint_le(n, 64);
	for (size_t i = 0; i < n; i++)
		cuts[i] = i;
	long bad = dfa_check_cut(p, n, cuts, n, &complete);
	ck_assert_int_eq(bad, c->bad);
	if (c->bad < 0)
		ck_assert_int_eq(complete, c->complete);
}
END_TEST

START_TEST(null_bad_pointer)
{
	struct ws_utf8 u;
	ws_utf8_init(&u);
	ck_assert_int_eq(ws_utf8_feed(&u, (const uint8_t *)"\xff", 1, NULL),
			 PROTO_E_WS_UTF8);
	ck_assert(!ws_utf8_complete(&u));
	ws_utf8_init(&u);
	ck_assert_int_eq(ws_utf8_feed(&u, (const uint8_t *)"\xe2", 1, NULL), 0);
	ck_assert(!ws_utf8_complete(&u));
	ck_assert_int_eq(ws_utf8_feed(&u, (const uint8_t *)"\x82\xac", 2, NULL),
			 0);
	ck_assert(ws_utf8_complete(&u));
	ck_assert(ws_utf8_valid(NULL, 0));
}
END_TEST

/* The ASCII fast path: a bad or multi-byte character at every position
 * of a long ASCII run, at every start alignment. */
START_TEST(ascii_fast_path)
{
	uint8_t raw[128 + 8];
	static const char *inserts[] = {"\xff", "\xc3\xa9", "\xe2\x82\xac",
					"\xed\xa0\x80", "\x80"};
	for (size_t align = 0; align < 8; align++) {
		uint8_t *buf = raw + align;
		for (size_t k = 0; k < 5; k++) {
			size_t il = strlen(inserts[k]);
			for (size_t pos = 0; pos + il <= 100; pos++) {
				memset(buf, 'a', 100);
				memcpy(buf + pos, inserts[k], il);
				bool c1, c2;
				long want = ref_check(buf, 100, &c1);
				long got = dfa_check(buf, 100, &c2);
				if (got != want)
					ck_abort_msg("insert %zu at %zu align "
						     "%zu: %ld != %ld",
						     k, pos, align, got, want);
				if (want < 0)
					CHECK(c1 == c2);
			}
		}
		/* Pure ASCII of every length. */
		memset(buf, 'x', 128);
		for (size_t len = 0; len <= 128; len++)
			CHECK(ws_utf8_valid(buf, len));
	}
	/* Spot-check the expectations themselves. */
	uint8_t b[40];
	memset(b, 'a', sizeof(b));
	b[17] = 0xff;
	bool c;
	ck_assert_int_eq(dfa_check(b, sizeof(b), &c), 17);
	memcpy(b + 17, "\xe2\x82\xac", 3);
	ck_assert_int_eq(dfa_check(b, sizeof(b), &c), -1);
	CHECK(c);
}
END_TEST

/* Every sequence of 1, 2 and 3 bytes, against the reference. */
START_TEST(exhaustive_3_bytes)
{
	uint8_t p[3];
	bool c1, c2;
	unsigned mismatches = 0;

	for (unsigned a = 0; a < 256; a++) {
		p[0] = (uint8_t)a;
		long want = ref_check(p, 1, &c2);
		if (dfa_check(p, 1, &c1) != want || (want < 0 && c1 != c2))
			mismatches++;
		for (unsigned b = 0; b < 256; b++) {
			p[1] = (uint8_t)b;
			want = ref_check(p, 2, &c2);
			if (dfa_check(p, 2, &c1) != want ||
			    (want < 0 && c1 != c2))
				mismatches++;
			for (unsigned cc = 0; cc < 256; cc++) {
				p[2] = (uint8_t)cc;
				struct ws_utf8 u;
				size_t bad = 0;
				ws_utf8_init(&u);
				long got = ws_utf8_feed(&u, p, 3, &bad) < 0
					       ? (long)bad
					       : -1;
				want = ref_check(p, 3, &c2);
				if (got != want ||
				    (got < 0 && ws_utf8_complete(&u) != c2))
					mismatches++;
			}
		}
	}
	ck_assert_uint_eq(mismatches, 0);
}
END_TEST

/* Four-byte sequences: every lead byte with interesting later bytes,
 * whole and split at every offset. */
START_TEST(four_byte_sequences)
{
	static const uint8_t tails[] = {0x00, 0x41, 0x7f, 0x80, 0x8f,
					0x90, 0x9f, 0xa0, 0xbf, 0xc0,
					0xc2, 0xe0, 0xf0, 0xf4, 0xff};
	const size_t nt = sizeof(tails);
	unsigned checked = 0, valid = 0;

	for (unsigned a = 0xc0; a < 256; a++)
		for (size_t i = 0; i < nt; i++)
			for (size_t j = 0; j < nt; j++)
				for (size_t k = 0; k < nt; k++) {
					uint8_t p[4] = {(uint8_t)a, tails[i],
							tails[j], tails[k]};
					bool c1, c2;
					long want = ref_check(p, 4, &c2);
					for (size_t cut = 0; cut <= 4; cut++) {
						long got = dfa_check_cut(
						    p, 4, &cut, 1, &c1);
						CHECK(got == want);
						if (want < 0)
							CHECK(c1 == c2);
					}
					checked++;
					valid += ws_utf8_valid(p, 4);
				}
	ck_assert_uint_eq(checked, 64 * 15 * 15 * 15);
	/* Sanity of the reference itself: some 4-byte strings are valid
	 * (e.g. F0 90 80 80, C2 80 C2 80, E0 A0 80 41), most are not. */
	ck_assert_uint_gt(valid, 100);
	ck_assert_uint_lt(valid, checked / 4);
}
END_TEST

static Suite *ws_utf8_suite(void)
{
	Suite *s = suite_create("ws_utf8");
	TCase *tc = tcase_create("kuhn");
	tcase_add_loop_test(tc, kuhn_cases, 0, NUCASES);
	tcase_add_test(tc, null_bad_pointer);
	suite_add_tcase(s, tc);
	tc = tcase_create("split");
	tcase_add_loop_test(tc, kuhn_cases_split, 0, NUCASES);
	suite_add_tcase(s, tc);
	tc = tcase_create("ascii_fast_path");
	tcase_add_test(tc, ascii_fast_path);
	suite_add_tcase(s, tc);
	tc = tcase_create("exhaustive");
	tcase_add_test(tc, exhaustive_3_bytes);
	tcase_add_test(tc, four_byte_sequences);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(ws_utf8_suite)
