/* Allocation for the parser: on failure it unwinds like any other error
 * ("out of memory"), so the parse functions never check for NULL. */
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"

void *scn_alloc(struct scn_parser *p, size_t n)
{
	void *m = calloc(1, n ? n : 1);
	if (!m)
		scn_fail(p, p->tok.pos, "out of memory");
	return m;
}

char *scn_strdup(struct scn_parser *p, const char *s)
{
	size_t n = strlen(s);
	char *d = scn_alloc(p, n + 1);
	memcpy(d, s, n);
	return d;
}

void *scn_push(struct scn_parser *p, void *arr, size_t *n, size_t sz)
{
	/* The capacity is max(4, the next power of two): no field for it. */
	char *a = arr;
	size_t k = *n;
	if (k == 0 || (k >= 4 && (k & (k - 1)) == 0)) {
		a = realloc(arr, (k ? 2 * k : 4) * sz);
		if (!a)
			scn_fail(p, p->tok.pos, "out of memory");
	}
	memset(a + k * sz, 0, sz);
	*n = k + 1;
	return a;
}
