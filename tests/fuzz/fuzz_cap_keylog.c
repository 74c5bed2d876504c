/* libFuzzer target for the key-log reader (cap_keylog_parse, the
 * in-memory API of cap_tls.h): the input is SSLKEYLOGFILE text. Whatever
 * the reader makes of a malformed line (an error now; the contract may
 * grow), these hold:
 *   - it returns 0 or a negative code, with a message that names the
 *     input when it is not 0, and never more entries than lines;
 *   - every line before the first one this target cannot vouch for that
 *     is well formed in the documented way (LABEL, 64 hex digits, 64 or
 *     96 of them; one space apart) is found; when every line is such a
 *     line, a comment, blank or an unused label, the text reads (0) and
 *     each line's secret is there, the last line for a client random
 *     and label winning;
 *   - when it returns 0, reading the same text in two pieces split at a
 *     line boundary gives the same entries.
 * Nothing may read out of bounds (the text is copied to a buffer of
 * exactly its size, without a NUL). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_cap_keylog: %s\n", what);
		abort();
	}
}

static const char *const labels[] = {
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "CLIENT_RANDOM"};

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i += 2) {
		int a = hex(s[i]), b = hex(s[i + 1]);
		if (a < 0 || b < 0)
			return false;
		out[i / 2] = (uint8_t)(a << 4 | b);
	}
	return true;
}

/* A line this target vouches for. */
struct good {
	int label; /* index in labels */
	uint8_t cr[32], sec[48];
	size_t seclen;
};

enum verdict { V_SKIP, V_GOOD, V_UNSURE };

/* V_SKIP: blank, a comment, or a label the reader does not use (the
 * first field is none of labels[] and holds only letters, digits and
 * '_'); V_GOOD: well formed, in *g; V_UNSURE: anything else. */
static enum verdict judge(const char *s, size_t n, struct good *g)
{
	if (n && s[n - 1] == '\r')
		n--;
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n)
		return V_SKIP;
	if (s[i] == '#')
		return V_SKIP;
	if (i)
		return V_UNSURE;
	size_t w = 0;
	while (w < n && s[w] != ' ')
		w++;
	int li = -1;
	for (int k = 0; k < 5; k++)
		if (w == strlen(labels[k]) && !memcmp(s, labels[k], w))
			li = k;
	if (li < 0) {
		for (size_t k = 0; k < w; k++)
			if (!(s[k] == '_' || (s[k] >= 'A' && s[k] <= 'Z') ||
			      (s[k] >= '0' && s[k] <= '9')))
				return V_UNSURE;
		return w ? V_SKIP : V_UNSURE;
	}
	size_t want = li == 4 ? 96 : 0;
	if (n < w + 1 + 64 + 1 || s[w] != ' ' || s[w + 65] != ' ')
		return V_UNSURE;
	size_t sl = n - (w + 66);
	if (want ? sl != want : (sl != 64 && sl != 96))
		return V_UNSURE;
	g->label = li;
	g->seclen = sl / 2;
	if (!unhex(s + w + 1, 64, g->cr) || !unhex(s + w + 66, sl, g->sec))
		return V_UNSURE;
	return V_GOOD;
}

static bool same_entries(const struct cap_keylog *a, const struct cap_keylog *b,
			 const struct good *g, size_t ng)
{
	if (cap_keylog_count(a) != cap_keylog_count(b))
		return false;
	for (size_t i = 0; i < ng; i++) {
		const struct cap_keylog_entry *x = cap_keylog_find(a, g[i].cr);
		const struct cap_keylog_entry *y = cap_keylog_find(b, g[i].cr);
		if (!x || !y || memcmp(x, y, sizeof(*x)))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *text = malloc(size ? size : 1);
	struct good *g = calloc(size / 64 + 2, sizeof(*g));
	struct cap_keylog *kl = cap_keylog_new();
	if (!text || !g || !kl)
		goto out;
	memcpy(text, data, size);
	char err[256];
	int r = cap_keylog_parse(kl, text, size, "fuzz", err, sizeof(err));
	check(r <= 0, "a positive return");
	check(memchr(err, 0, sizeof(err)) != NULL, "err not terminated");
	if (r < 0)
		check(strncmp(err, "fuzz", 4) == 0,
		      "an error message that does not name the input");
	size_t lines = 0, ng = 0, split_at = 0;
	bool sure = true;
	for (size_t i = 0; i < size;) {
		size_t s = i;
		while (i < size && text[i] != '\n')
			i++;
		lines++;
		struct good one;
		enum verdict v = sure ? judge(text + s, i - s, &one) : V_UNSURE;
		if (v == V_UNSURE)
			sure = false;
		else if (v == V_GOOD)
			g[ng++] = one;
		if (i < size)
			i++;
		if (lines == 2)
			split_at = i;
	}
	check(cap_keylog_count(kl) <= lines, "more entries than lines");
	check(!sure || r == 0, "a text of well-formed lines is refused");
	for (size_t k = 0; k < ng; k++) {
		/* the last good line for this random and label wins */
		size_t last = k;
		for (size_t j = k + 1; j < ng; j++)
			if (g[j].label == g[k].label &&
			    !memcmp(g[j].cr, g[k].cr, 32))
				last = j;
		const struct good *w = &g[last];
		const struct cap_keylog_entry *e = cap_keylog_find(kl, w->cr);
		check(e != NULL, "a well-formed line's client random is not "
				 "found");
		if (!sure) /* a later line the reader took may replace it */
			continue;
		if (w->label == 4)
			check(e->has_master && !memcmp(e->master, w->sec, 48),
			      "a CLIENT_RANDOM line's master secret differs");
		else
			check(
			    e->secret_len[w->label] == w->seclen &&
				!memcmp(e->secret[w->label], w->sec, w->seclen),
			    "a traffic secret differs");
	}
	if (r == 0 && split_at && split_at < size) {
		struct cap_keylog *k2 = cap_keylog_new();
		if (k2) {
			int a = cap_keylog_parse(k2, text, split_at, "fuzz",
						 err, sizeof(err));
			int b = cap_keylog_parse(k2, text + split_at,
						 size - split_at, "fuzz", err,
						 sizeof(err));
			check(a == 0 && b == 0,
			      "a piece of a text that reads fails");
			check(same_entries(kl, k2, g, ng),
			      "two pieces read differently from the whole");
			cap_keylog_free(k2);
		}
	}
out:
	cap_keylog_free(kl);
	free(g);
	free(text);
	return 0;
}
