/* libFuzzer target for proto/http1.h: the input is parsed as a request
 * head, a response head and a chunked body, once whole and once split in
 * two at a point taken from its first bytes. Beyond memory errors it traps
 * when the split changes an answer: a prefix must be incomplete or give
 * the same result, and head_end must agree with the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "proto_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http1_head whole_head, part_head;

static void check_head(const char *in, size_t size, size_t split, bool response)
{
	struct http1_limits lim = {4096, 0};
	int (*parse)(const char *, size_t, struct http1_head *,
		     const struct http1_limits *, size_t *) =
	    response ? http1_parse_response : http1_parse_request;
	size_t eoff_whole = 0, eoff_part = 0;
	int whole = parse(in, size, &whole_head, &lim, &eoff_whole);

	char *part = malloc(split ? split : 1); /* exact size for ASan */
	if (!part)
		return;
	memcpy(part, in, split);
	int rc = parse(part, split, &part_head, &lim, &eoff_part);
	free(part);

	if (rc != PROTO_E_AGAIN) {
		if (rc != whole)
			__builtin_trap();
		if (rc < 0 && eoff_part != eoff_whole)
			__builtin_trap();
	}
	if (whole > 0) {
		if (whole_head.head_len != (size_t)whole)
			__builtin_trap();
		if (http1_head_end(in, size, NULL) != (size_t)whole)
			__builtin_trap();
		uint64_t n;
		(void)http1_body_kind(&whole_head, response, "GET", &n);
		(void)http1_keep_alive(&whole_head);
		(void)http1_has_token(&whole_head, "Connection", "upgrade");
	}
}

struct chunk_result {
	int err;
	size_t err_off, consumed, body_len;
	uint64_t hash;
	bool done;
};

static void feed(struct http1_chunked *c, const char *in, size_t len,
		 size_t base, struct chunk_result *r)
{
	size_t off = 0;
	while (off < len && !r->done && !r->err) {
		const char *d;
		size_t dlen, eoff = 0;
		bool done = false;
		int n = http1_chunked_feed(c, in + off, len - off, &d, &dlen,
					   &done, &eoff);
		if (n < 0) {
			r->err = n;
			r->err_off = base + off + eoff;
			return;
		}
		if (dlen == 0 && !done && (size_t)n != len - off)
			__builtin_trap(); /* stuck without reason */
		for (size_t i = 0; i < dlen; i++)
			r->hash = (r->hash ^ (uint8_t)d[i]) * 1099511628211u;
		r->body_len += dlen;
		off += (size_t)n;
		r->done = done;
	}
	r->consumed = base + off;
}

static void check_chunked(const char *in, size_t size, size_t split)
{
	struct http1_chunked c;
	struct chunk_result a = {0}, b = {0};
	a.hash = b.hash = 14695981039346656037u;
	http1_chunked_init(&c);
	feed(&c, in, size, 0, &a);

	char *p1 = malloc(split ? split : 1);
	char *p2 = malloc(size - split ? size - split : 1);
	if (p1 && p2) {
		memcpy(p1, in, split);
		memcpy(p2, in + split, size - split);
		http1_chunked_init(&c);
		feed(&c, p1, split, 0, &b);
		if (!b.done && !b.err)
			feed(&c, p2, size - split, split, &b);
		if (a.err != b.err || a.err_off != b.err_off ||
		    a.done != b.done || a.body_len != b.body_len ||
		    a.hash != b.hash || (!a.err && a.consumed != b.consumed))
			__builtin_trap();
	}
	free(p1);
	free(p2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split = 0;
	if (size >= 2)
		split = (((size_t)data[0] << 8) | data[1]) % (size + 1);
	const char *in = (const char *)data;
	check_head(in, size, split, false);
	check_head(in, size, split, true);
	check_chunked(in, size, split);
	return 0;
}
