/* HTTP/1.x message heads and bodies (see http1.h).
 *
 * The head parser makes one forward pass over the input, line by line, and
 * stops at the first byte that cannot belong to a valid head, so an error
 * is found as soon as its byte has arrived and reported at the same offset
 * however the input was split. It never looks past max_head bytes. The
 * chunked decoder is a byte-at-a-time state machine that keeps no input;
 * unlike the head parser it demands CRLF (a bare LF inside chunk framing is
 * a known request-smuggling vector). Neither allocates.
 * What a head means (upgrade, keep-alive, routing) is left to the callers.
 */
#include "http1.h"

#include <limits.h>
#include <string.h>

#include "proto_err.h"

/* Character classes (RFC 9110 5.6.2 token, 5.5 field-value, RFC 9112 3.2
 * request-target as any visible byte, hex digits), one bit each. */
enum {
	C_TCHAR = 1,
	C_VALUE = 2,  /* VCHAR, SP, HTAB, obs-text */
	C_TARGET = 4, /* VCHAR, obs-text */
	C_HEX = 8,
};

/* clang-format off */
static const unsigned char char_class[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 2,  7,  6,  7,  7,  7,  7,  7,  6,  6,  7,  7,  6,  7,  7,  6,
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  6,  6,  6,  6,  6,  6,
	 6, 15, 15, 15, 15, 15, 15,  7,  7,  7,  7,  7,  7,  7,  7,  7,
	 7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  6,  6,  6,  7,  7,
	 7, 15, 15, 15, 15, 15, 15,  7,  7,  7,  7,  7,  7,  7,  7,  7,
	 7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  6,  7,  6,  7,  0,
	 6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
	 6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
	 6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
	 6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
	 6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
	 6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
	 6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
	 6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,
};
/* clang-format on */

static inline bool is_class(char c, unsigned cls)
{
	return (char_class[(unsigned char)c] & cls) != 0;
}

static inline char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static inline bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- head parser ----------------------------------------------------- */

/* The input being parsed: buf[0..end), end = min(len, max_head). Each
 * step returns 0, PROTO_E_AGAIN when it needs a byte at or past `end`, or
 * an error with the offending offset in `eoff`. */
struct head_parser {
	const char *b;
	size_t end;
	size_t p; /* next byte to read */
	size_t eoff;
};

static int fail(struct head_parser *ps, size_t at, int err)
{
	ps->eoff = at;
	return err;
}

/* A line end at ps->p, which holds CR or LF: CRLF or a bare LF. */
static int parse_eol(struct head_parser *ps)
{
	if (ps->b[ps->p] == '\r') {
		if (ps->p + 1 >= ps->end)
			return PROTO_E_AGAIN;
		if (ps->b[ps->p + 1] != '\n')
			return fail(ps, ps->p + 1, PROTO_E_HTTP_SYNTAX);
		ps->p += 2;
	} else {
		ps->p++;
	}
	return 0;
}

/* "HTTP/" DIGIT "." DIGIT; *major gets the offset of the first digit. The
 * digits are judged by check_version once the delimiter after them has
 * arrived, so that "HTTP/2x" is a syntax error however it is split. */
static int parse_version(struct head_parser *ps, size_t *major)
{
	static const char lit[] = "HTTP/";
	for (size_t i = 0; i < 5; i++) {
		if (ps->p >= ps->end)
			return PROTO_E_AGAIN;
		if (ps->b[ps->p] != lit[i])
			return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
		ps->p++;
	}
	*major = ps->p;
	for (size_t i = 0; i < 3; i++) {
		if (ps->p >= ps->end)
			return PROTO_E_AGAIN;
		char c = ps->b[ps->p];
		bool ok = i == 1 ? c == '.' : (c >= '0' && c <= '9');
		if (!ok)
			return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
		ps->p++;
	}
	return 0;
}

static int check_version(struct head_parser *ps, size_t major,
			 struct http1_head *h)
{
	if (ps->b[major] != '1')
		return fail(ps, major, PROTO_E_HTTP_VERSION);
	char minor = ps->b[major + 2];
	if (minor != '0' && minor != '1')
		return fail(ps, major + 2, PROTO_E_HTTP_VERSION);
	h->version_minor = minor - '0';
	return 0;
}

/* method SP request-target SP HTTP-version EOL */
static int parse_request_line(struct head_parser *ps, struct http1_head *h)
{
	const char *b = ps->b;
	size_t start = ps->p;
	while (ps->p < ps->end && is_class(b[ps->p], C_TCHAR))
		ps->p++;
	if (ps->p >= ps->end)
		return PROTO_E_AGAIN;
	if (ps->p == start || b[ps->p] != ' ')
		return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
	h->method = b + start;
	h->method_len = ps->p - start;
	ps->p++;

	start = ps->p;
	while (ps->p < ps->end && is_class(b[ps->p], C_TARGET))
		ps->p++;
	if (ps->p >= ps->end)
		return PROTO_E_AGAIN;
	/* An empty target, a second space, or a line end where the version
	 * should start ("GET /\r\n", HTTP/0.9 style) all stop here. */
	if (ps->p == start || b[ps->p] != ' ')
		return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
	h->target = b + start;
	h->target_len = ps->p - start;
	ps->p++;

	size_t major;
	int rc = parse_version(ps, &major);
	if (rc)
		return rc;
	if (ps->p >= ps->end)
		return PROTO_E_AGAIN;
	if (b[ps->p] != '\r' && b[ps->p] != '\n')
		return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
	rc = check_version(ps, major, h);
	if (rc)
		return rc;
	return parse_eol(ps);
}

/* HTTP-version SP 3DIGIT [SP reason] EOL. The space before an empty
 * reason is optional, as browsers have it. */
static int parse_status_line(struct head_parser *ps, struct http1_head *h)
{
	const char *b = ps->b;
	size_t major;
	int rc = parse_version(ps, &major);
	if (rc)
		return rc;
	if (ps->p >= ps->end)
		return PROTO_E_AGAIN;
	if (b[ps->p] != ' ')
		return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
	rc = check_version(ps, major, h);
	if (rc)
		return rc;
	ps->p++;

	size_t start = ps->p;
	int status = 0;
	for (size_t i = 0; i < 3; i++) {
		if (ps->p >= ps->end)
			return PROTO_E_AGAIN;
		char c = b[ps->p];
		if (c < '0' || c > '9')
			return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
		status = status * 10 + (c - '0');
		ps->p++;
	}
	if (status < 100)
		return fail(ps, start, PROTO_E_HTTP_SYNTAX);
	h->status = status;
	if (ps->p >= ps->end)
		return PROTO_E_AGAIN;
	if (b[ps->p] == ' ')
		ps->p++;
	else if (b[ps->p] != '\r' && b[ps->p] != '\n')
		return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);

	start = ps->p;
	while (ps->p < ps->end && is_class(b[ps->p], C_VALUE))
		ps->p++;
	if (ps->p >= ps->end)
		return PROTO_E_AGAIN;
	if (b[ps->p] != '\r' && b[ps->p] != '\n')
		return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
	h->reason = b + start;
	h->reason_len = ps->p - start;
	return parse_eol(ps);
}

/* *( field-name ":" OWS field-value OWS EOL ) EOL */
static int parse_fields(struct head_parser *ps, struct http1_head *h,
			size_t max_headers)
{
	const char *b = ps->b;
	for (;;) {
		if (ps->p >= ps->end)
			return PROTO_E_AGAIN;
		char c = b[ps->p];
		if (c == '\r' || c == '\n')
			return parse_eol(ps);
		/* obs-fold, or whitespace before the first field line
		 * (RFC 9112 5.2 and 2.2): rejected. */
		if (is_ows(c))
			return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
		if (h->nheaders >= max_headers)
			return fail(ps, ps->p, PROTO_E_HTTP_TOO_MANY_HEADERS);

		size_t name = ps->p;
		while (ps->p < ps->end && is_class(b[ps->p], C_TCHAR))
			ps->p++;
		if (ps->p >= ps->end)
			return PROTO_E_AGAIN;
		/* Includes a space before the colon (RFC 9112 5.1). */
		if (ps->p == name || b[ps->p] != ':')
			return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
		size_t name_len = ps->p - name;
		ps->p++;

		while (ps->p < ps->end && is_ows(b[ps->p]))
			ps->p++;
		size_t value = ps->p, value_end = ps->p;
		while (ps->p < ps->end && is_class(b[ps->p], C_VALUE)) {
			if (!is_ows(b[ps->p]))
				value_end = ps->p + 1;
			ps->p++;
		}
		if (ps->p >= ps->end)
			return PROTO_E_AGAIN;
		if (b[ps->p] != '\r' && b[ps->p] != '\n')
			return fail(ps, ps->p, PROTO_E_HTTP_SYNTAX);
		int rc = parse_eol(ps);
		if (rc)
			return rc;

		struct http1_header *f = &h->headers[h->nheaders++];
		f->name = b + name;
		f->name_len = name_len;
		f->value = b + value;
		f->value_len = value_end - value;
	}
}

static int parse_head(const char *buf, size_t len, struct http1_head *h,
		      const struct http1_limits *lim, size_t *err_offset,
		      bool response)
{
	size_t max_head =
	    lim && lim->max_head ? lim->max_head : HTTP1_DEFAULT_MAX_HEAD;
	size_t max_headers = lim && lim->max_headers
				 ? lim->max_headers
				 : HTTP1_DEFAULT_MAX_HEADERS;
	if (max_head > INT_MAX)
		max_head = INT_MAX;
	if (max_headers > HTTP1_MAX_HEADERS)
		max_headers = HTTP1_MAX_HEADERS;

	h->method = h->target = h->reason = NULL;
	h->method_len = h->target_len = h->reason_len = 0;
	h->status = 0;
	h->version_minor = 0;
	h->nheaders = 0;
	h->head_len = 0;

	struct head_parser ps = {buf, len < max_head ? len : max_head, 0, 0};
	int rc =
	    response ? parse_status_line(&ps, h) : parse_request_line(&ps, h);
	if (rc == 0)
		rc = parse_fields(&ps, h, max_headers);
	if (rc == PROTO_E_AGAIN && len > max_head) {
		rc = PROTO_E_HTTP_HEAD_TOO_LARGE;
		ps.eoff = max_head;
	}
	if (rc < 0) {
		if (rc != PROTO_E_AGAIN && err_offset)
			*err_offset = ps.eoff;
		return rc;
	}
	h->head_len = ps.p;
	return (int)ps.p;
}

int http1_parse_request(const char *buf, size_t len, struct http1_head *h,
			const struct http1_limits *lim, size_t *err_offset)
{
	return parse_head(buf, len, h, lim, err_offset, false);
}

int http1_parse_response(const char *buf, size_t len, struct http1_head *h,
			 const struct http1_limits *lim, size_t *err_offset)
{
	return parse_head(buf, len, h, lim, err_offset, true);
}

size_t http1_head_end(const char *buf, size_t len, size_t *scan)
{
	size_t i = scan ? *scan : 0;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - buf);
		size_t j = i; /* start of the line terminator */
		if (j > 0 && buf[j - 1] == '\r')
			j--;
		if (j == 0 || buf[j - 1] == '\n') {
			if (scan)
				*scan =
				    i; /* a second call finds the same end */
			return i + 1;
		}
		i++;
	}
	if (scan)
		*scan = len;
	return 0;
}

/* ---- looking at a parsed head ---------------------------------------- */

bool http1_eq(const char *s, size_t n, const char *cstr)
{
	for (size_t i = 0; i < n; i++) {
		if (cstr[i] == '\0' ||
		    ascii_lower(s[i]) != ascii_lower(cstr[i]))
			return false;
	}
	return cstr[n] == '\0';
}

const struct http1_header *http1_find(const struct http1_head *h,
				      const char *name)
{
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http1_header *f = &h->headers[i];
		if (http1_eq(f->name, f->name_len, name))
			return f;
	}
	return NULL;
}

/* The next element of a comma-separated list in [*v, end), blanks around
 * it trimmed (possibly empty): *s and *n; *v moves past it. Returns false
 * at the end of the list. */
static bool list_next(const char **v, const char *end, const char **s,
		      size_t *n)
{
	if (*v >= end)
		return false;
	const char *comma = memchr(*v, ',', (size_t)(end - *v));
	const char *e = comma ? comma : end;
	const char *b = *v;
	while (b < e && is_ows(*b))
		b++;
	const char *t = e;
	while (t > b && is_ows(t[-1]))
		t--;
	*s = b;
	*n = (size_t)(t - b);
	*v = comma ? comma + 1 : end;
	return true;
}

bool http1_value_has_token(const char *value, size_t len, const char *token)
{
	const char *v = value, *s;
	size_t n;
	while (list_next(&v, value + len, &s, &n))
		if (http1_eq(s, n, token))
			return true;
	return false;
}

bool http1_has_token(const struct http1_head *h, const char *name,
		     const char *token)
{
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http1_header *f = &h->headers[i];
		if (http1_eq(f->name, f->name_len, name) &&
		    http1_value_has_token(f->value, f->value_len, token))
			return true;
	}
	return false;
}

bool http1_keep_alive(const struct http1_head *h)
{
	if (http1_has_token(h, "Connection", "close"))
		return false;
	if (h->version_minor >= 1)
		return true;
	return http1_has_token(h, "Connection", "keep-alive");
}

/* Every Content-Length field and every element of its list must be the
 * same 1*DIGIT (RFC 9110 8.6 lets a recipient accept "5, 5"). Returns 1
 * with *out set, 0 when there is none, or PROTO_E_HTTP_LENGTH. */
static int content_length(const struct http1_head *h, uint64_t *out)
{
	bool seen = false;
	uint64_t value = 0;
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http1_header *f = &h->headers[i];
		if (!http1_eq(f->name, f->name_len, "Content-Length"))
			continue;
		const char *v = f->value, *end = f->value + f->value_len;
		for (;;) {
			while (v < end && is_ows(*v))
				v++;
			if (v == end || *v < '0' || *v > '9')
				return PROTO_E_HTTP_LENGTH;
			uint64_t n = 0;
			while (v < end && *v >= '0' && *v <= '9') {
				unsigned d = (unsigned)(*v - '0');
				if (n > (UINT64_MAX - d) / 10)
					return PROTO_E_HTTP_LENGTH;
				n = n * 10 + d;
				v++;
			}
			while (v < end && is_ows(*v))
				v++;
			if (seen && n != value)
				return PROTO_E_HTTP_LENGTH;
			seen = true;
			value = n;
			if (v == end)
				break;
			if (*v != ',')
				return PROTO_E_HTTP_LENGTH;
			v++;
		}
	}
	*out = value;
	return seen ? 1 : 0;
}

int http1_body_kind(const struct http1_head *h, bool is_response,
		    const char *req_method, uint64_t *length)
{
	if (length)
		*length = 0;
	if (is_response) {
		if (req_method && strcmp(req_method, "HEAD") == 0)
			return HTTP1_BODY_NONE;
		if (h->status < 200 || h->status == 204 || h->status == 304)
			return HTTP1_BODY_NONE;
		/* A 2xx to CONNECT turns the connection into a tunnel. */
		if (req_method && strcmp(req_method, "CONNECT") == 0 &&
		    h->status < 300)
			return HTTP1_BODY_NONE;
	}

	/* Transfer-Encoding: the codings of every field, in order. */
	bool has_te = false, last_chunked = false;
	int nchunked = 0, ncodings = 0;
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http1_header *f = &h->headers[i];
		if (!http1_eq(f->name, f->name_len, "Transfer-Encoding"))
			continue;
		has_te = true;
		const char *v = f->value, *s;
		size_t n;
		while (list_next(&v, f->value + f->value_len, &s, &n)) {
			if (n == 0)
				continue;
			ncodings++;
			last_chunked = http1_eq(s, n, "chunked");
			nchunked += last_chunked;
		}
	}

	uint64_t cl = 0;
	int has_cl = content_length(h, &cl);
	if (has_te) {
		/* RFC 9112 6.1: TE in HTTP/1.0 means faulty framing; chunked
		 * only once and only last; in a request a Content-Length
		 * beside it smells of smuggling and is refused. */
		if (h->version_minor == 0 || ncodings == 0 || nchunked > 1)
			return PROTO_E_HTTP_SYNTAX;
		if (!is_response && has_cl != 0)
			return PROTO_E_HTTP_LENGTH;
		if (last_chunked)
			return HTTP1_BODY_CHUNKED;
		if (is_response)
			return HTTP1_BODY_UNTIL_CLOSE;
		return PROTO_E_HTTP_SYNTAX;
	}
	if (has_cl < 0)
		return has_cl;
	if (has_cl) {
		if (length)
			*length = cl;
		return HTTP1_BODY_LENGTH;
	}
	return is_response ? HTTP1_BODY_UNTIL_CLOSE : HTTP1_BODY_NONE;
}

/* ---- chunked decoder --------------------------------------------------- */

#define CHUNK_LINE_MAX 4096 /* chunk-size line with extensions */
#define CHUNK_TRAILER_MAX                                                      \
	HTTP1_DEFAULT_MAX_HEAD /* the whole trailer section                    \
				*/

enum chunk_state {
	CH_SIZE_START = 0, /* first hex digit of a chunk-size */
	CH_SIZE,	   /* more hex digits, or what follows them */
	CH_SIZE_WS,	   /* BWS after the size, before ';' or CR */
	CH_EXT,		   /* chunk extensions, up to CR */
	CH_SIZE_LF,	   /* LF ending the chunk-size line */
	CH_DATA,	   /* chunk data: `remaining` bytes */
	CH_DATA_CR,	   /* CRLF after the data */
	CH_DATA_LF,
	CH_TRAILER_START, /* a trailer field line, or the final CRLF */
	CH_TRAILER_NAME,
	CH_TRAILER_VALUE,
	CH_TRAILER_LF, /* LF ending a trailer field line */
	CH_END_LF,     /* LF of the final empty line */
	CH_DONE,
};

void http1_chunked_init(struct http1_chunked *c)
{
	memset(c, 0, sizeof(*c));
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (ascii_lower(c) - 'a') + 10;
}

int http1_chunked_feed(struct http1_chunked *c, const char *in, size_t len,
		       const char **data, size_t *data_len, bool *done,
		       size_t *err_offset)
{
	if (len > INT_MAX)
		len = INT_MAX;
	*data = NULL;
	*data_len = 0;
	size_t p = 0;
	while (p < len && c->state != CH_DONE) {
		char ch = in[p];
		switch (c->state) {
		case CH_SIZE_START:
			if (!is_class(ch, C_HEX))
				goto bad;
			c->remaining = (uint64_t)hex_value(ch);
			c->state = CH_SIZE;
			break;
		case CH_SIZE:
			if (is_class(ch, C_HEX)) {
				if (c->remaining >> 60)
					goto bad; /* would overflow 64 bits */
				c->remaining =
				    c->remaining << 4 | (uint64_t)hex_value(ch);
			} else if (ch == ';') {
				c->state = CH_EXT;
			} else if (is_ows(ch)) {
				c->state = CH_SIZE_WS;
			} else if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else {
				goto bad;
			}
			break;
		case CH_SIZE_WS:
			if (ch == ';')
				c->state = CH_EXT;
			else if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (!is_ows(ch))
				goto bad;
			break;
		case CH_EXT:
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (!is_class(ch, C_VALUE))
				goto bad;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				goto bad;
			c->trailer_len = 0;
			c->state = c->remaining ? CH_DATA : CH_TRAILER_START;
			break;
		case CH_DATA: {
			size_t n = len - p;
			if (n > c->remaining)
				n = (size_t)c->remaining;
			c->remaining -= n;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			*data = in + p;
			*data_len = n;
			return (int)(p + n); /* one run per call */
		}
		case CH_DATA_CR:
			if (ch != '\r')
				goto bad;
			c->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				goto bad;
			c->line_len = 0;
			c->state = CH_SIZE_START;
			break;
		case CH_TRAILER_START:
			if (ch == '\r')
				c->state = CH_END_LF;
			else if (is_class(ch, C_TCHAR))
				c->state = CH_TRAILER_NAME;
			else
				goto bad;
			break;
		case CH_TRAILER_NAME:
			if (ch == ':')
				c->state = CH_TRAILER_VALUE;
			else if (!is_class(ch, C_TCHAR))
				goto bad;
			break;
		case CH_TRAILER_VALUE:
			if (ch == '\r')
				c->state = CH_TRAILER_LF;
			else if (!is_class(ch, C_VALUE))
				goto bad;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_TRAILER_START;
			break;
		case CH_END_LF:
			if (ch != '\n')
				goto bad;
			c->state = CH_DONE;
			break;
		default:
			goto bad;
		}
		if (c->state <= CH_SIZE_LF && ++c->line_len > CHUNK_LINE_MAX)
			goto bad;
		if (c->state >= CH_TRAILER_START &&
		    ++c->trailer_len > CHUNK_TRAILER_MAX)
			goto bad;
		p++;
	}
	*done = c->state == CH_DONE;
	return (int)p;
bad:
	*done = false;
	if (err_offset)
		*err_offset = p;
	return PROTO_E_HTTP_CHUNK;
}

/* ---- builders ------------------------------------------------------------ */

int http1_build_request_line(struct proto_buf *out, const char *method,
			     const char *target, int minor)
{
	return proto_buf_appendf(out, "%s %s HTTP/1.%d\r\n", method, target,
				 minor);
}

int http1_build_status_line(struct proto_buf *out, int minor, int status,
			    const char *reason)
{
	if (!reason)
		reason = http1_reason(status);
	return proto_buf_appendf(out, "HTTP/1.%d %d %s\r\n", minor, status,
				 reason);
}

int http1_build_header(struct proto_buf *out, const char *name,
		       const char *value)
{
	return proto_buf_appendf(out, "%s: %s\r\n", name, value);
}

int http1_build_chunk(struct proto_buf *out, const void *data, size_t len)
{
	if (len == 0)
		return proto_buf_append_str(out, "0\r\n\r\n");
	char hex[2 * sizeof(size_t) + 2];
	size_t nhex = 0;
	for (size_t v = len; v; v >>= 4)
		nhex++;
	for (size_t i = 0, v = len; i < nhex; i++, v >>= 4)
		hex[nhex - 1 - i] = "0123456789abcdef"[v & 15];
	hex[nhex] = '\r';
	hex[nhex + 1] = '\n';
	if (len > SIZE_MAX - nhex - 4)
		return PROTO_E_NOMEM;
	/* One reservation, so a failure leaves `out` as it was. */
	uint8_t *dst = proto_buf_reserve(out, nhex + 2 + len + 2);
	if (!dst)
		return PROTO_E_NOMEM;
	memcpy(dst, hex, nhex + 2);
	memcpy(dst + nhex + 2, data, len);
	memcpy(dst + nhex + 2 + len, "\r\n", 2);
	proto_buf_commit(out, nhex + 2 + len + 2);
	return 0;
}

/* RFC 9110 section 15 and the registered extras browsers know. */
static const struct {
	int status;
	const char *reason;
} reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {418, "I'm a teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

const char *http1_reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (reasons[i].status == status)
			return reasons[i].reason;
	}
	return "";
}

/* ---- dates --------------------------------------------------------------- */

static char *put_digits(char *o, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		o[i] = (char)('0' + v % 10);
	return o + n;
}

void http1_date(char out[30], int64_t t)
{
	static const char wdays[7][4] = {"Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
					   "May", "Jun", "Jul", "Aug",
					   "Sep", "Oct", "Nov", "Dec"};
	/* Four-digit years only: 0001-01-01 to 9999-12-31. */
	const int64_t tmin = -62135596800, tmax = 253402300799;
	if (t < tmin)
		t = tmin;
	if (t > tmax)
		t = tmax;
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t mday = doy - (153 * mp + 2) / 5 + 1;
	int64_t mon = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (mon <= 2);
	int64_t wday = ((days % 7) + 7 + 4) % 7; /* 1970-01-01: Thursday */

	char *o = out;
	memcpy(o, wdays[wday], 3);
	o += 3;
	*o++ = ',';
	*o++ = ' ';
	o = put_digits(o, mday, 2);
	*o++ = ' ';
	memcpy(o, months[mon - 1], 3);
	o += 3;
	*o++ = ' ';
	o = put_digits(o, year, 4);
	*o++ = ' ';
	o = put_digits(o, secs / 3600, 2);
	*o++ = ':';
	o = put_digits(o, secs / 60 % 60, 2);
	*o++ = ':';
	o = put_digits(o, secs % 60, 2);
	memcpy(o, " GMT", 5);
}
