/* Unit tests for the HTTP/1 codec (proto/http1.h): real-world heads from
 * tests/data/http1/, every split of them, malformed heads with their error
 * and offset, the chunked decoder, body framing and the builders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_util.h"
#include "http1.h"
#include "proto_buf.h"
#include "proto_err.h"

/* ---- helpers ------------------------------------------------------------ */

static char *read_data(const char *name, size_t *len)
{
	char p[256];
	snprintf(p, sizeof(p), "http1/%s", name);
	return test_read_data(p, len);
}

/* An exact-size heap copy, so ASan sees any read past `len`. */
static char *dup_exact(const char *p, size_t len)
{
	char *d = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(d);
	if (len)
		memcpy(d, p, len);
	return d;
}

typedef int (*parse_fn)(const char *, size_t, struct http1_head *,
			const struct http1_limits *, size_t *);

static int parse(bool response, const char *buf, size_t len,
		 struct http1_head *h, const struct http1_limits *lim,
		 size_t *eoff)
{
	parse_fn fn = response ? http1_parse_response : http1_parse_request;
	return fn(buf, len, h, lim, eoff);
}

static void assert_field(const char *p, size_t n, const char *want)
{
	ck_assert_msg(n == strlen(want) && memcmp(p, want, n) == 0,
		      "got \"%.*s\", want \"%s\"", (int)n, p, want);
}

static void assert_header(const struct http1_head *h, size_t i,
			  const char *name, const char *value)
{
	ck_assert_uint_lt(i, h->nheaders);
	assert_field(h->headers[i].name, h->headers[i].name_len, name);
	assert_field(h->headers[i].value, h->headers[i].value_len, value);
}

/* Two parses of the same bytes (at bases a and b) say the same thing. */
static void assert_same_head(const struct http1_head *x, const char *a,
			     const struct http1_head *y, const char *b)
{
#define SAME_SPAN(f)                                                           \
	do {                                                                   \
		ck_assert_uint_eq(x->f##_len, y->f##_len);                     \
		if (x->f)                                                      \
			ck_assert_int_eq(x->f - a, y->f - b);                  \
		else                                                           \
			ck_assert_ptr_null(y->f);                              \
	} while (0)
	SAME_SPAN(method);
	SAME_SPAN(target);
	SAME_SPAN(reason);
#undef SAME_SPAN
	ck_assert_int_eq(x->status, y->status);
	ck_assert_int_eq(x->version_minor, y->version_minor);
	ck_assert_uint_eq(x->head_len, y->head_len);
	ck_assert_uint_eq(x->nheaders, y->nheaders);
	for (size_t i = 0; i < x->nheaders; i++) {
		const struct http1_header *p = &x->headers[i],
					  *q = &y->headers[i];
		ck_assert_int_eq(p->name - a, q->name - b);
		ck_assert_uint_eq(p->name_len, q->name_len);
		ck_assert_int_eq(p->value - a, q->value - b);
		ck_assert_uint_eq(p->value_len, q->value_len);
	}
}

static struct http1_head head; /* big: keep it off the stack */
static struct http1_head head2;

/* ---- real-world vectors ------------------------------------------------- */

START_TEST(chromium_upgrade_request)
{
	size_t len;
	char *buf = read_data("chromium_upgrade.req", &len);
	size_t eoff = 12345;
	int rc = http1_parse_request(buf, len, &head, NULL, &eoff);
	ck_assert_int_eq(rc, (int)len);
	ck_assert_uint_eq(eoff, 12345); /* untouched on success */
	ck_assert_uint_eq(head.head_len, len);
	assert_field(head.method, head.method_len, "GET");
	assert_field(head.target, head.target_len,
		     "/examples/websocket/echoProgrammatic");
	ck_assert_int_eq(head.version_minor, 1);
	ck_assert_uint_eq(head.nheaders, 12);
	assert_header(&head, 0, "Host", "127.0.0.1:18080");
	assert_header(&head, 1, "Connection", "Upgrade");
	assert_header(&head, 4, "User-Agent",
		      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
		      "(KHTML, like Gecko) HeadlessChrome/156.0.0.0 "
		      "Safari/537.36");
	assert_header(&head, 10, "Sec-WebSocket-Key",
		      "1YXdn36vGUkl8mPIFX5KkA==");
	assert_header(&head, 11, "Sec-WebSocket-Extensions",
		      "permessage-deflate; client_max_window_bits");
	ck_assert_ptr_eq(http1_find(&head, "sec-websocket-version"),
			 &head.headers[7]);
	ck_assert(http1_keep_alive(&head));
	uint64_t n = 99;
	ck_assert_int_eq(http1_body_kind(&head, false, NULL, &n),
			 HTTP1_BODY_NONE);
	ck_assert_uint_eq(n, 0);
	free(buf);
}
END_TEST

START_TEST(tomcat_101_response)
{
	size_t len;
	char *buf = read_data("tomcat_101.resp", &len);
	ck_assert_int_eq(http1_parse_response(buf, len, &head, NULL, NULL),
			 (int)len);
	ck_assert_int_eq(head.status, 101);
	ck_assert_int_eq(head.version_minor, 1);
	ck_assert_ptr_nonnull(head.reason);
	ck_assert_uint_eq(head.reason_len, 0);
	ck_assert_int_eq(head.reason - buf, 13); /* after "HTTP/1.1 101 " */
	ck_assert_uint_eq(head.nheaders, 7);
	assert_header(&head, 0, "X-Frame-Options", "DENY");
	assert_header(&head, 4, "Sec-WebSocket-Accept",
		      "i+oY0VDOcFvQIa/B7VCbFvvbBgc=");
	assert_header(&head, 6, "Date", "Tue, 24 Nov 2026 12:02:56 GMT");
	ck_assert(http1_has_token(&head, "connection", "Upgrade"));
	ck_assert_int_eq(http1_body_kind(&head, true, "GET", NULL),
			 HTTP1_BODY_NONE);
	free(buf);
}
END_TEST

START_TEST(apache_ajp_500_response)
{
	size_t len;
	char *buf = read_data("apache_ajp_500.resp", &len);
	int rc = http1_parse_response(buf, len, &head, NULL, NULL);
	ck_assert_int_gt(rc, 0);
	ck_assert_uint_lt((size_t)rc, len);
	ck_assert_int_eq(head.status, 500);
	assert_field(head.reason, head.reason_len, "500");
	ck_assert_uint_eq(head.nheaders, 8);
	assert_header(&head, 1, "Server", "Apache/2.4.71 (Debian)");
	assert_header(&head, 7, "Connection", "upgrade, close");
	ck_assert(http1_has_token(&head, "Connection", "close"));
	ck_assert(http1_has_token(&head, "Connection", "UPGRADE"));
	ck_assert(!http1_keep_alive(&head));
	uint64_t n = 0;
	ck_assert_int_eq(http1_body_kind(&head, true, "GET", &n),
			 HTTP1_BODY_LENGTH);
	ck_assert_uint_eq(n, len - (size_t)rc); /* the body is the rest */
	ck_assert(memmem(buf + rc, len - (size_t)rc,
			 "HTTP upgrade is not supported by this protocol",
			 46) != NULL);
	free(buf);
}
END_TEST

START_TEST(nginx_http10_request)
{
	size_t len;
	char *buf = read_data("nginx_http10.req", &len);
	ck_assert_int_eq(http1_parse_request(buf, len, &head, NULL, NULL),
			 (int)len);
	ck_assert_int_eq(head.version_minor, 0);
	ck_assert_uint_eq(head.nheaders, 11);
	assert_header(&head, 1, "Connection", "close");
	ck_assert_ptr_null(http1_find(&head, "Upgrade"));
	ck_assert(!http1_keep_alive(&head));
	ck_assert_int_eq(http1_body_kind(&head, false, NULL, NULL),
			 HTTP1_BODY_NONE);
	free(buf);
}
END_TEST

/* ---- every split ------------------------------------------------------- */

static const struct {
	const char *file;
	bool response;
} vectors[] = {
    {"chromium_upgrade.req", false}, {"tomcat_101.resp", true},
    {"apache_ajp_500.resp", true},   {"nginx_http10.req", false},
    {"chunked_trailer.resp", true},
};

START_TEST(split_every_offset)
{
	size_t len;
	char *buf = read_data(vectors[_i].file, &len);
	bool resp = vectors[_i].response;
	int whole = parse(resp, buf, len, &head, NULL, NULL);
	ck_assert_int_gt(whole, 0);
	for (size_t k = 0; k <= len; k++) {
		char *part = dup_exact(buf, k);
		size_t eoff = 777;
		int rc = parse(resp, part, k, &head2, NULL, &eoff);
		if (k < (size_t)whole) {
			ck_assert_msg(rc == PROTO_E_AGAIN,
				      "%s: prefix %zu gave %d",
				      vectors[_i].file, k, rc);
			ck_assert_uint_eq(eoff, 777);
		} else {
			ck_assert_int_eq(rc, whole);
			assert_same_head(&head, buf, &head2, part);
		}
		free(part);
	}
	free(buf);
}
END_TEST

START_TEST(head_end_byte_at_a_time)
{
	size_t len;
	char *buf = read_data(vectors[_i].file, &len);
	int whole = parse(vectors[_i].response, buf, len, &head, NULL, NULL);
	ck_assert_int_gt(whole, 0);
	size_t scan = 0, end = 0, k;
	for (k = 1; k <= len; k++) {
		end = http1_head_end(buf, k, &scan);
		if (end)
			break;
		ck_assert_uint_eq(scan, k);
	}
	ck_assert_uint_eq(end, (size_t)whole);
	ck_assert_uint_eq(k, (size_t)whole);
	/* Asking again gives the same answer, as does a fresh scan. */
	ck_assert_uint_eq(http1_head_end(buf, len, &scan), (size_t)whole);
	ck_assert_uint_eq(http1_head_end(buf, len, NULL), (size_t)whole);
	free(buf);
}
END_TEST

START_TEST(head_end_shapes)
{
	static const struct {
		const char *in;
		size_t end;
	} cases[] = {
	    {"GET / HTTP/1.1\n\n", 16},
	    {"GET / HTTP/1.1\r\nA: b\n\r\nrest", 23},
	    {"GET / HTTP/1.1\r\nA: b\r\r\n", 0}, /* CR CR LF is no blank line */
	    {"GET / HTTP/1.1\r\nA: b\r\n", 0},
	    {"\r\n", 2},
	    {"\n", 1},
	    {"", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].in);
		ck_assert_uint_eq(http1_head_end(cases[i].in, n, NULL),
				  cases[i].end);
		/* The same end fed one byte at a time. */
		size_t scan = 0, end = 0;
		for (size_t k = 1; k <= n && !end; k++)
			end = http1_head_end(cases[i].in, k, &scan);
		ck_assert_uint_eq(end, cases[i].end);
	}
	/* The parser agrees on a bare-LF head. */
	const char *lf = "GET / HTTP/1.1\nHost: a\n\n";
	ck_assert_int_eq(http1_parse_request(lf, strlen(lf), &head, NULL, NULL),
			 (int)strlen(lf));
	assert_header(&head, 0, "Host", "a");
}
END_TEST

/* ---- malformed heads -------------------------------------------------- */

static const struct bad_head {
	const char *what;
	bool response;
	const char *in;
	size_t len; /* 0: strlen(in) */
	int err;
	size_t off;
} bad_heads[] = {
    {"bad method char", false, "GE(T / HTTP/1.1\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 2},
    {"empty method", false, " / HTTP/1.1\r\n\r\n", 0, PROTO_E_HTTP_SYNTAX, 0},
    {"leading CRLF", false, "\r\nGET / HTTP/1.1\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 0},
    {"missing version", false, "GET /\r\n\r\n", 0, PROTO_E_HTTP_SYNTAX, 5},
    {"double space", false, "GET  / HTTP/1.1\r\n\r\n", 0, PROTO_E_HTTP_SYNTAX,
     4},
    {"control in target", false, "GET /a\x7f HTTP/1.1\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 6},
    {"lower-case http", false, "GET / http/1.1\r\n\r\n", 0, PROTO_E_HTTP_SYNTAX,
     6},
    {"HTTP/2.0", false, "GET / HTTP/2.0\r\n\r\n", 0, PROTO_E_HTTP_VERSION, 11},
    {"HTTP/1.2", false, "GET / HTTP/1.2\r\n\r\n", 0, PROTO_E_HTTP_VERSION, 13},
    {"HTTP/2 without minor", false, "GET / HTTP/2\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 12},
    {"junk after version", false, "GET / HTTP/1.1x\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 14},
    {"bare CR", false, "GET / HTTP/1.1\rX\n\r\n", 0, PROTO_E_HTTP_SYNTAX, 15},
    {"space before colon", false, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 20},
    {"obs-fold", false, "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 24},
    {"space before first field", false, "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 16},
    {"NUL in header", false, "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 28,
     PROTO_E_HTTP_SYNTAX, 22},
    {"empty field name", false, "GET / HTTP/1.1\r\n: x\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 16},
    {"no colon", false, "GET / HTTP/1.1\r\nHost\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 20},
    {"CR in value", false, "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 21},
    {"response HTTP/2.0", true, "HTTP/2.0 200 OK\r\n\r\n", 0,
     PROTO_E_HTTP_VERSION, 5},
    {"response without status", true, "HTTP/1.1\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 8},
    {"two-digit status", true, "HTTP/1.1 20 OK\r\n\r\n", 0, PROTO_E_HTTP_SYNTAX,
     11},
    {"four-digit status", true, "HTTP/1.1 2000 OK\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 12},
    {"status below 100", true, "HTTP/1.1 099 x\r\n\r\n", 0, PROTO_E_HTTP_SYNTAX,
     9},
    {"control in reason", true, "HTTP/1.1 200 O\x01K\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 14},
    {"request line as response", true, "GET / HTTP/1.1\r\n\r\n", 0,
     PROTO_E_HTTP_SYNTAX, 0},
};

START_TEST(malformed_heads)
{
	const struct bad_head *c = &bad_heads[_i];
	size_t len = c->len ? c->len : strlen(c->in);
	size_t eoff = 0;
	int rc = parse(c->response, c->in, len, &head, NULL, &eoff);
	ck_assert_msg(rc == c->err && eoff == c->off,
		      "%s: got %s at %zu, want %s at %zu", c->what,
		      proto_errname(rc), eoff, proto_errname(c->err), c->off);
	/* Every prefix: still incomplete, or the same error at the same
	 * offset, as soon as the offending byte is in. */
	for (size_t k = 0; k < len; k++) {
		char *part = dup_exact(c->in, k);
		eoff = 0;
		rc = parse(c->response, part, k, &head, NULL, &eoff);
		if (k <= c->off)
			ck_assert_msg(rc == PROTO_E_AGAIN,
				      "%s: prefix %zu gave %s", c->what, k,
				      proto_errname(rc));
		else
			ck_assert_msg(rc == PROTO_E_AGAIN ||
					  (rc == c->err && eoff == c->off),
				      "%s: prefix %zu gave %s at %zu", c->what,
				      k, proto_errname(rc), eoff);
		free(part);
	}
}
END_TEST

/* A request with `n` fields "X-<i>: v". */
static char *many_headers(size_t n, size_t *len)
{
	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(http1_build_request_line(&b, "GET", "/", 1), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(proto_buf_appendf(&b, "X-%zu: v\r\n", i), 0);
	ck_assert_int_eq(proto_buf_append_str(&b, "\r\n"), 0);
	char *s = proto_buf_steal(&b, len);
	ck_assert_ptr_nonnull(s);
	proto_buf_free(&b);
	return s;
}

START_TEST(header_count_limit)
{
	size_t len, eoff = 0;
	char *buf = many_headers(100, &len);
	ck_assert_int_eq(http1_parse_request(buf, len, &head, NULL, &eoff),
			 (int)len);
	ck_assert_uint_eq(head.nheaders, 100);
	assert_header(&head, 99, "X-99", "v");
	free(buf);

	buf = many_headers(101, &len);
	const char *last = strstr(buf, "X-100:");
	ck_assert_ptr_nonnull(last);
	ck_assert_int_eq(http1_parse_request(buf, len, &head, NULL, &eoff),
			 PROTO_E_HTTP_TOO_MANY_HEADERS);
	ck_assert_uint_eq(eoff, (size_t)(last - buf));

	/* A higher limit lets it through; 128 is the hard cap. */
	struct http1_limits lim = {0, 101};
	ck_assert_int_eq(http1_parse_request(buf, len, &head, &lim, &eoff),
			 (int)len);
	free(buf);
	buf = many_headers(129, &len);
	lim.max_headers = 1000;
	ck_assert_int_eq(http1_parse_request(buf, len, &head, &lim, &eoff),
			 PROTO_E_HTTP_TOO_MANY_HEADERS);
	ck_assert_uint_eq(eoff, (size_t)(strstr(buf, "X-128:") - buf));
	lim.max_headers = 3;
	ck_assert_int_eq(http1_parse_request(buf, len, &head, &lim, &eoff),
			 PROTO_E_HTTP_TOO_MANY_HEADERS);
	ck_assert_uint_eq(eoff, (size_t)(strstr(buf, "X-3:") - buf));
	free(buf);
}
END_TEST

START_TEST(head_size_limit)
{
	/* 16 + 46 + 2 = 64 bytes. */
	const char *exact = "GET / HTTP/1.1\r\n"
			    "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
			    "\r\n";
	ck_assert_uint_eq(strlen(exact), 64);
	struct http1_limits lim = {64, 0};
	size_t eoff = 0;
	ck_assert_int_eq(http1_parse_request(exact, 64, &head, &lim, &eoff),
			 64);
	/* Incomplete but within the limit: need more. */
	ck_assert_int_eq(http1_parse_request(exact, 63, &head, &lim, &eoff),
			 PROTO_E_AGAIN);
	lim.max_head = 63;
	ck_assert_int_eq(http1_parse_request(exact, 63, &head, &lim, &eoff),
			 PROTO_E_AGAIN);
	/* A complete head one byte over the limit. */
	ck_assert_int_eq(http1_parse_request(exact, 64, &head, &lim, &eoff),
			 PROTO_E_HTTP_HEAD_TOO_LARGE);
	ck_assert_uint_eq(eoff, 63);

	/* An endless head against the default limit. */
	size_t big = HTTP1_DEFAULT_MAX_HEAD + 100;
	char *buf = malloc(big);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, "GET / HTTP/1.1\r\nX-Big: ", 23);
	memset(buf + 23, 'a', big - 23);
	ck_assert_int_eq(http1_parse_request(buf, HTTP1_DEFAULT_MAX_HEAD, &head,
					     NULL, &eoff),
			 PROTO_E_AGAIN);
	ck_assert_int_eq(http1_parse_request(buf, HTTP1_DEFAULT_MAX_HEAD + 1,
					     &head, NULL, &eoff),
			 PROTO_E_HTTP_HEAD_TOO_LARGE);
	ck_assert_uint_eq(eoff, HTTP1_DEFAULT_MAX_HEAD);
	/* An error before the limit wins over the size. */
	buf[30] = '\0';
	ck_assert_int_eq(http1_parse_request(buf, big, &head, NULL, &eoff),
			 PROTO_E_HTTP_SYNTAX);
	ck_assert_uint_eq(eoff, 30);
	free(buf);
}
END_TEST

START_TEST(value_trimming)
{
	const char *in = "HTTP/1.0 200 Very  OK \r\n"
			 "A:\t  spaced out \t\r\n"
			 "B:\r\n"
			 "C:    \r\n"
			 "d-\xc3\xa9: x\r\n" /* not a token: rejected below */
			 "\r\n";
	size_t eoff = 0;
	ck_assert_int_eq(
	    http1_parse_response(in, strlen(in), &head, NULL, &eoff),
	    PROTO_E_HTTP_SYNTAX);
	ck_assert_uint_eq(eoff, (size_t)(strstr(in, "\xc3") - in));
	const char *ok = "HTTP/1.0 200 Very  OK \r\n"
			 "A:\t  spaced out \t\r\n"
			 "B:\r\n"
			 "C:    \r\n"
			 "Obs: caf\xc3\xa9\r\n"
			 "\r\n";
	ck_assert_int_eq(
	    http1_parse_response(ok, strlen(ok), &head, NULL, NULL),
	    (int)strlen(ok));
	ck_assert_int_eq(head.version_minor, 0);
	assert_field(head.reason, head.reason_len, "Very  OK ");
	assert_header(&head, 0, "A", "spaced out");
	assert_header(&head, 1, "B", "");
	assert_header(&head, 2, "C", "");
	assert_header(&head, 3, "Obs", "caf\xc3\xa9");
	/* A status line without the space before an empty reason. */
	const char *bare = "HTTP/1.1 204\r\n\r\n";
	ck_assert_int_eq(
	    http1_parse_response(bare, strlen(bare), &head, NULL, NULL),
	    (int)strlen(bare));
	ck_assert_int_eq(head.status, 204);
	ck_assert_uint_eq(head.reason_len, 0);
}
END_TEST

/* ---- chunked bodies ---------------------------------------------------- */

struct chunk_run {
	char body[512];
	size_t body_len;
	size_t consumed;
	bool done;
	int err;
	size_t err_off; /* from the start of the whole input */
};

/* Feed in[0..len) to `c` as the caller of http1_chunked_feed must: again
 * and again until all is consumed or the end is reached. */
static void feed_all(struct http1_chunked *c, const char *in, size_t len,
		     size_t base, struct chunk_run *r)
{
	size_t off = 0;
	while (off < len && !r->done && !r->err) {
		const char *data;
		size_t dlen, eoff = 0;
		bool done = false;
		int n = http1_chunked_feed(c, in + off, len - off, &data, &dlen,
					   &done, &eoff);
		if (n < 0) {
			r->err = n;
			r->err_off = base + off + eoff;
			return;
		}
		if (dlen) {
			ck_assert_ptr_eq(data, in + off + (size_t)n - dlen);
			ck_assert_uint_le(r->body_len + dlen, sizeof(r->body));
			memcpy(r->body + r->body_len, data, dlen);
			r->body_len += dlen;
		} else {
			/* No data: everything consumed or the end reached. */
			ck_assert(done || (size_t)n == len - off);
		}
		off += (size_t)n;
		r->done = done;
	}
	r->consumed = base + off;
}

static void run_split(const char *in, size_t len, size_t split,
		      struct chunk_run *r)
{
	struct http1_chunked c;
	http1_chunked_init(&c);
	memset(r, 0, sizeof(*r));
	char *a = dup_exact(in, split), *b = dup_exact(in + split, len - split);
	feed_all(&c, a, split, 0, r);
	if (!r->done && !r->err)
		feed_all(&c, b, len - split, split, r);
	free(a);
	free(b);
}

static const char chunked_body[] = "4\r\nWiki\r\n"
				   "5;name=val;q=\"a b\"\r\npedia\r\n"
				   "E \r\n in\r\n\r\nchunks.\r\n"
				   "0;last\r\n"
				   "Expires: never\r\n"
				   "X-Trace: 1\r\n"
				   "\r\n"
				   "NEXT";

START_TEST(chunked_every_split)
{
	size_t len = sizeof(chunked_body) - 1;
	const char *want = "Wikipedia in\r\n\r\nchunks.";
	for (size_t k = 0; k <= len; k++) {
		struct chunk_run r;
		run_split(chunked_body, len, k, &r);
		ck_assert_int_eq(r.err, 0);
		ck_assert(r.done);
		ck_assert_uint_eq(r.consumed, len - 4); /* not "NEXT" */
		ck_assert_uint_eq(r.body_len, strlen(want));
		ck_assert_mem_eq(r.body, want, r.body_len);
	}
}
END_TEST

START_TEST(chunked_byte_at_a_time)
{
	size_t len = sizeof(chunked_body) - 1;
	struct http1_chunked c;
	http1_chunked_init(&c);
	struct chunk_run r;
	memset(&r, 0, sizeof(r));
	size_t i;
	for (i = 0; i < len && !r.done; i++) {
		char *one = dup_exact(chunked_body + i, 1);
		feed_all(&c, one, 1, i, &r);
		free(one);
		ck_assert_int_eq(r.err, 0);
	}
	ck_assert_uint_eq(i, len - 4);
	ck_assert_uint_eq(r.body_len, 23);
	ck_assert_mem_eq(r.body, "Wikipedia in\r\n\r\nchunks.", 23);
	/* After the end nothing more is consumed. */
	const char *data;
	size_t dlen;
	bool done = false;
	ck_assert_int_eq(
	    http1_chunked_feed(&c, "NEXT", 4, &data, &dlen, &done, NULL), 0);
	ck_assert(done);
	ck_assert_uint_eq(dlen, 0);
	/* Nothing in, nothing out. */
	http1_chunked_init(&c);
	ck_assert_int_eq(
	    http1_chunked_feed(&c, "", 0, &data, &dlen, &done, NULL), 0);
	ck_assert(!done);
}
END_TEST

START_TEST(chunked_response_vector)
{
	size_t len;
	char *buf = read_data("chunked_trailer.resp", &len);
	int rc = http1_parse_response(buf, len, &head, NULL, NULL);
	ck_assert_int_gt(rc, 0);
	ck_assert_int_eq(http1_body_kind(&head, true, "GET", NULL),
			 HTTP1_BODY_CHUNKED);
	struct chunk_run r;
	size_t blen = len - (size_t)rc;
	for (size_t k = 0; k <= blen; k++) {
		run_split(buf + rc, blen, k, &r);
		ck_assert_int_eq(r.err, 0);
		ck_assert(r.done);
		ck_assert_uint_eq(r.consumed, blen);
		ck_assert_uint_eq(r.body_len, 23);
		ck_assert_mem_eq(r.body, "Wikipedia in\r\n\r\nchunks.", 23);
	}
	free(buf);
}
END_TEST

static const struct bad_chunk {
	const char *what;
	const char *in;
	size_t off;
} bad_chunks[] = {
    {"not hex", "x\r\n", 0},
    {"empty size", "\r\n", 0},
    {"bare LF after size", "4\nWiki\r\n", 1},
    {"junk after size", "4x\r\nWiki\r\n", 1},
    {"junk after size space", "4 x\r\n", 2},
    {"control in extension", "4;a\x01\r\n", 3},
    {"CR without LF", "4\r\rWiki", 2},
    {"data too long", "4\r\nWikipedia\r\n", 7},
    {"data CR without LF", "4\r\nWiki\rX", 8},
    {"64-bit overflow", "11111111111111111\r\n", 16},
    {"trailer name with space", "0\r\nBad Name: x\r\n\r\n", 6},
    {"trailer without colon", "0\r\nX\r\n\r\n", 4},
    {"control in trailer", "0\r\nX: a\x7f\r\n\r\n", 7},
    {"trailer bare LF", "0\r\nX: a\n\r\n", 7},
    {"final CR without LF", "0\r\n\r\r", 4},
    {"obs-fold in trailer", "0\r\nX: a\r\n b\r\n\r\n", 9},
};

START_TEST(chunked_malformed)
{
	const struct bad_chunk *c = &bad_chunks[_i];
	size_t len = strlen(c->in);
	for (size_t k = 0; k <= len; k++) {
		struct chunk_run r;
		run_split(c->in, len, k, &r);
		ck_assert_msg(
		    r.err == PROTO_E_HTTP_CHUNK && r.err_off == c->off,
		    "%s split at %zu: got %s at %zu, want %zu", c->what, k,
		    proto_errname(r.err), r.err_off, c->off);
	}
}
END_TEST

START_TEST(chunked_limits)
{
	/* A chunk-size line of more than 4096 bytes. */
	size_t len = 5000;
	char *in = malloc(len);
	ck_assert_ptr_nonnull(in);
	memcpy(in, "1;", 2);
	memset(in + 2, 'a', len - 2);
	struct chunk_run r;
	run_split(in, len, 1000, &r);
	ck_assert_int_eq(r.err, PROTO_E_HTTP_CHUNK);
	ck_assert_uint_eq(r.err_off, 4096);
	free(in);
	/* 16 hex digits are the most that fit; leading zeros are fine. */
	const char *z = "0000000000000003\r\nabc\r\n0\r\n\r\n";
	run_split(z, strlen(z), 5, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(r.done);
	ck_assert_mem_eq(r.body, "abc", 3);
	/* A huge chunk passes its data through piecewise. */
	struct http1_chunked c;
	http1_chunked_init(&c);
	const char *data;
	size_t dlen;
	bool done;
	ck_assert_int_eq(http1_chunked_feed(&c, "ffffffffffffffff\r\nxy", 20,
					    &data, &dlen, &done, NULL),
			 20);
	ck_assert_uint_eq(dlen, 2);
	ck_assert_uint_eq(c.remaining, UINT64_MAX - 2);
}
END_TEST

/* ---- body framing -------------------------------------------------------- */

static const struct body_case {
	const char *what;
	const char *head;
	bool response;
	const char *req_method;
	int want;
	uint64_t length;
} body_cases[] = {
    {"HEAD response", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true,
     "HEAD", HTTP1_BODY_NONE, 0},
    {"204", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", true,
     "GET", HTTP1_BODY_NONE, 0},
    {"304", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
     true, "GET", HTTP1_BODY_NONE, 0},
    {"100", "HTTP/1.1 100 Continue\r\n\r\n", true, "POST", HTTP1_BODY_NONE, 0},
    {"CONNECT 200", "HTTP/1.1 200 OK\r\n\r\n", true, "CONNECT", HTTP1_BODY_NONE,
     0},
    {"CONNECT 407", "HTTP/1.1 407 x\r\nContent-Length: 3\r\n\r\n", true,
     "CONNECT", HTTP1_BODY_LENGTH, 3},
    {"response until close", "HTTP/1.1 200 OK\r\n\r\n", true, "GET",
     HTTP1_BODY_UNTIL_CLOSE, 0},
    {"request without body", "GET / HTTP/1.1\r\n\r\n", false, NULL,
     HTTP1_BODY_NONE, 0},
    {"length", "POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n", false, NULL,
     HTTP1_BODY_LENGTH, 42},
    {"length zero", "POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n", false, NULL,
     HTTP1_BODY_LENGTH, 0},
    {"max length",
     "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n", true,
     "GET", HTTP1_BODY_LENGTH, UINT64_MAX},
    {"same length twice",
     "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", false,
     NULL, HTTP1_BODY_LENGTH, 5},
    {"same length listed", "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
     false, NULL, HTTP1_BODY_LENGTH, 5},
    {"conflicting lengths",
     "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", false,
     NULL, PROTO_E_HTTP_LENGTH, 0},
    {"conflicting list", "HTTP/1.1 200 OK\r\nContent-Length: 5,6\r\n\r\n", true,
     "GET", PROTO_E_HTTP_LENGTH, 0},
    {"negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", false,
     NULL, PROTO_E_HTTP_LENGTH, 0},
    {"empty length", "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", false, NULL,
     PROTO_E_HTTP_LENGTH, 0},
    {"signed length", "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", false,
     NULL, PROTO_E_HTTP_LENGTH, 0},
    {"length overflow",
     "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", true,
     "GET", PROTO_E_HTTP_LENGTH, 0},
    {"chunked request", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
     false, NULL, HTTP1_BODY_CHUNKED, 0},
    {"chunked and length request",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: "
     "5\r\n\r\n",
     false, NULL, PROTO_E_HTTP_LENGTH, 0},
    {"chunked and length response",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: "
     "chunked\r\n\r\n",
     true, "GET", HTTP1_BODY_CHUNKED, 0},
    {"gzip then chunked",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, "
     "CHUNKED\r\n\r\n",
     true, "GET", HTTP1_BODY_CHUNKED, 0},
    {"codings over two fields",
     "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
     "chunked\r\n\r\n",
     false, NULL, HTTP1_BODY_CHUNKED, 0},
    {"chunked not last, response",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", true, "GET",
     HTTP1_BODY_UNTIL_CLOSE, 0},
    {"chunked not last, request",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", false, NULL,
     PROTO_E_HTTP_SYNTAX, 0},
    {"chunked twice",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", false,
     NULL, PROTO_E_HTTP_SYNTAX, 0},
    {"empty transfer-encoding",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n", true, "GET",
     PROTO_E_HTTP_SYNTAX, 0},
    {"transfer-encoding in HTTP/1.0",
     "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, "GET",
     PROTO_E_HTTP_SYNTAX, 0},
};

START_TEST(body_kinds)
{
	const struct body_case *c = &body_cases[_i];
	size_t len = strlen(c->head);
	int rc = parse(c->response, c->head, len, &head, NULL, NULL);
	ck_assert_int_eq(rc, (int)len);
	uint64_t n = 12345;
	int kind = http1_body_kind(&head, c->response, c->req_method, &n);
	ck_assert_msg(kind == c->want, "%s: got %d, want %d", c->what, kind,
		      c->want);
	if (kind == HTTP1_BODY_LENGTH)
		ck_assert_uint_eq(n, c->length);
}
END_TEST

/* ---- tokens and keep-alive -------------------------------------------- */

START_TEST(tokens_and_keep_alive)
{
	const char *in = "GET / HTTP/1.1\r\n"
			 "Connection: keep-alive, Upgrade\r\n"
			 "connection:close-ish\r\n"
			 "X-List: ,a ,, b\t,\r\n"
			 "\r\n";
	ck_assert_int_gt(http1_parse_request(in, strlen(in), &head, NULL, NULL),
			 0);
	ck_assert(http1_has_token(&head, "Connection", "upgrade"));
	ck_assert(http1_has_token(&head, "CONNECTION", "Keep-Alive"));
	ck_assert(!http1_has_token(&head, "Connection", "close"));
	ck_assert(http1_has_token(&head, "Connection", "close-ish"));
	ck_assert(!http1_has_token(&head, "Connection", "keep"));
	ck_assert(http1_has_token(&head, "x-list", "a"));
	ck_assert(http1_has_token(&head, "x-list", "b"));
	ck_assert(!http1_has_token(&head, "x-list", "a ,"));
	ck_assert(!http1_has_token(&head, "Upgrade", "websocket"));
	ck_assert(http1_keep_alive(&head));
	ck_assert_ptr_eq(http1_find(&head, "CONNECTION"), &head.headers[0]);
	ck_assert_ptr_null(http1_find(&head, "Connectio"));

	ck_assert(http1_eq("Upgrade", 7, "uPGRADE"));
	ck_assert(!http1_eq("Upgrade", 7, "Upgrades"));
	ck_assert(!http1_eq("Upgrade", 6, "Upgrade"));
	ck_assert(http1_eq("", 0, ""));

	static const struct {
		const char *in;
		bool keep;
	} ka[] = {
	    {"GET / HTTP/1.1\r\n\r\n", true},
	    {"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", false},
	    {"GET / HTTP/1.0\r\n\r\n", false},
	    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
	};
	for (size_t i = 0; i < sizeof(ka) / sizeof(ka[0]); i++) {
		size_t n = strlen(ka[i].in);
		ck_assert_int_eq(
		    http1_parse_request(ka[i].in, n, &head, NULL, NULL),
		    (int)n);
		ck_assert_msg(http1_keep_alive(&head) == ka[i].keep, "%s",
			      ka[i].in);
	}
}
END_TEST

/* ---- builders ------------------------------------------------------------ */

START_TEST(build_round_trip)
{
	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(
	    http1_build_request_line(&b, "GET",
				     "/examples/websocket/echoProgrammatic", 1),
	    0);
	ck_assert_int_eq(http1_build_header(&b, "Host", "127.0.0.1:18080"), 0);
	ck_assert_int_eq(http1_build_header(&b, "Connection", "Upgrade"), 0);
	ck_assert_int_eq(http1_build_header(&b, "X-Empty", ""), 0);
	ck_assert_int_eq(proto_buf_append_str(&b, "\r\n"), 0);
	const char *want =
	    "GET /examples/websocket/echoProgrammatic HTTP/1.1\r\n"
	    "Host: 127.0.0.1:18080\r\n"
	    "Connection: Upgrade\r\n"
	    "X-Empty: \r\n"
	    "\r\n";
	ck_assert_uint_eq(proto_buf_size(&b), strlen(want));
	ck_assert_mem_eq(proto_buf_head(&b), want, strlen(want));
	const char *p = (const char *)proto_buf_head(&b);
	ck_assert_int_eq(
	    http1_parse_request(p, proto_buf_size(&b), &head, NULL, NULL),
	    (int)strlen(want));
	assert_field(head.target, head.target_len,
		     "/examples/websocket/echoProgrammatic");
	assert_header(&head, 2, "X-Empty", "");
	proto_buf_reset(&b);

	/* Tomcat's "101 " with an empty reason, byte for byte. */
	ck_assert_int_eq(http1_build_status_line(&b, 1, 101, ""), 0);
	ck_assert_int_eq(http1_build_header(&b, "Upgrade", "websocket"), 0);
	ck_assert_int_eq(proto_buf_append_str(&b, "\r\n"), 0);
	want = "HTTP/1.1 101 \r\nUpgrade: websocket\r\n\r\n";
	ck_assert_uint_eq(proto_buf_size(&b), strlen(want));
	ck_assert_mem_eq(proto_buf_head(&b), want, strlen(want));
	p = (const char *)proto_buf_head(&b);
	ck_assert_int_eq(
	    http1_parse_response(p, proto_buf_size(&b), &head, NULL, NULL),
	    (int)strlen(want));
	ck_assert_int_eq(head.status, 101);
	ck_assert_uint_eq(head.reason_len, 0);
	proto_buf_reset(&b);

	/* Apache's "500 500" from AJP, and the standard phrase for NULL. */
	ck_assert_int_eq(http1_build_status_line(&b, 1, 500, "500"), 0);
	ck_assert_int_eq(http1_build_status_line(&b, 0, 404, NULL), 0);
	want = "HTTP/1.1 500 500\r\nHTTP/1.0 404 Not Found\r\n";
	ck_assert_uint_eq(proto_buf_size(&b), strlen(want));
	ck_assert_mem_eq(proto_buf_head(&b), want, strlen(want));
	proto_buf_free(&b);
}
END_TEST

START_TEST(build_chunks)
{
	struct proto_buf b = PROTO_BUF_INIT;
	char big[300];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	ck_assert_int_eq(http1_build_chunk(&b, "Wiki", 4), 0);
	ck_assert_int_eq(http1_build_chunk(&b, big, sizeof(big)), 0);
	ck_assert_int_eq(http1_build_chunk(&b, NULL, 0), 0);
	const char *p = (const char *)proto_buf_head(&b);
	size_t len = proto_buf_size(&b);
	ck_assert_uint_eq(len, 3 + 4 + 2 + 5 + 300 + 2 + 5);
	ck_assert_mem_eq(p, "4\r\nWiki\r\n12c\r\n", 14);
	ck_assert_mem_eq(p + len - 7, "\r\n0\r\n\r\n", 7);
	for (size_t k = 0; k <= len; k++) {
		struct chunk_run r;
		run_split(p, len, k, &r);
		ck_assert_int_eq(r.err, 0);
		ck_assert(r.done);
		ck_assert_uint_eq(r.consumed, len);
		ck_assert_uint_eq(r.body_len, 304);
		ck_assert_mem_eq(r.body, "Wiki", 4);
		ck_assert_mem_eq(r.body + 4, big, sizeof(big));
	}
	proto_buf_free(&b);
}
END_TEST

START_TEST(reasons_and_dates)
{
	ck_assert_str_eq(http1_reason(101), "Switching Protocols");
	ck_assert_str_eq(http1_reason(404), "Not Found");
	ck_assert_str_eq(http1_reason(500), "Internal Server Error");
	ck_assert_str_eq(http1_reason(503), "Service Unavailable");
	ck_assert_str_eq(http1_reason(426), "Upgrade Required");
	ck_assert_str_eq(http1_reason(999), "");
	ck_assert_str_eq(http1_reason(0), "");

	static const struct {
		int64_t t;
		const char *want;
	} dates[] = {
	    {1795521776, "Tue, 24 Nov 2026 12:02:56 GMT"}, /* DESIGN.md 5 */
	    {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
	    {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
	    {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
	    {253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
	    {INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT"},
	    {INT64_MIN, "Mon, 01 Jan 0001 00:00:00 GMT"},
	};
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		char out[30];
		memset(out, 'x', sizeof(out));
		http1_date(out, dates[i].t);
		ck_assert_str_eq(out, dates[i].want);
	}
}
END_TEST

static Suite *http1_suite(void)
{
	Suite *s = suite_create("http1");
	TCase *tc = tcase_create("vectors");
	tcase_add_test(tc, chromium_upgrade_request);
	tcase_add_test(tc, tomcat_101_response);
	tcase_add_test(tc, apache_ajp_500_response);
	tcase_add_test(tc, nginx_http10_request);
	suite_add_tcase(s, tc);

	size_t nvec = sizeof(vectors) / sizeof(vectors[0]);
	tc = tcase_create("splits");
	tcase_add_loop_test(tc, split_every_offset, 0, (int)nvec);
	tcase_add_loop_test(tc, head_end_byte_at_a_time, 0, (int)nvec);
	tcase_add_test(tc, head_end_shapes);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, malformed_heads, 0,
			    (int)(sizeof(bad_heads) / sizeof(bad_heads[0])));
	tcase_add_test(tc, value_trimming);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, header_count_limit);
	tcase_add_test(tc, head_size_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("chunked");
	tcase_add_test(tc, chunked_every_split);
	tcase_add_test(tc, chunked_byte_at_a_time);
	tcase_add_test(tc, chunked_response_vector);
	tcase_add_loop_test(tc, chunked_malformed, 0,
			    (int)(sizeof(bad_chunks) / sizeof(bad_chunks[0])));
	tcase_add_test(tc, chunked_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("framing");
	tcase_add_loop_test(tc, body_kinds, 0,
			    (int)(sizeof(body_cases) / sizeof(body_cases[0])));
	tcase_add_test(tc, tokens_and_keep_alive);
	suite_add_tcase(s, tc);

	tc = tcase_create("builders");
	tcase_add_test(tc, build_round_trip);
	tcase_add_test(tc, build_chunks);
	tcase_add_test(tc, reasons_and_dates);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(http1_suite)
