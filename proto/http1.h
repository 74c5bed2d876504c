/* HTTP/1.x message heads and bodies, sans I/O.
 *
 * Parsing is zero-copy in the manner of picohttpparser: a parsed head holds
 * pointers into the caller's buffer, which must stay unchanged while the
 * head is used. The parser never allocates. It accepts HTTP/1.0 and
 * HTTP/1.1 (nginx proxies with HTTP/1.0 by default), enforces limits on
 * the head's size and header count, and on malformed input says where the
 * input went wrong (err_offset). Building appends to a proto_buf.
 * Body framing (Content-Length, chunked, until close) is decided here;
 * chunked bodies are decoded by a small resumable state machine.
 *
 * We write our own rather than use libhttp-parser: the harness needs exact
 * error offsets, configurable limits and byte-exact building of heads that
 * real proxies would reject, and http-parser is unmaintained upstream.
 */
#ifndef WSSIM_HTTP1_H
#define WSSIM_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto_buf.h"

#define HTTP1_MAX_HEADERS 128	      /* hard cap of the header array */
#define HTTP1_DEFAULT_MAX_HEADERS 100 /* Tomcat's maxHeaderCount */
#define HTTP1_DEFAULT_MAX_HEAD (64 * 1024)

struct http1_header {
	const char *name;
	size_t name_len;
	const char *value; /* leading/trailing blanks trimmed */
	size_t value_len;
};

struct http1_head {
	/* request line */
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	/* status line */
	int status;
	const char *reason; /* may be empty ("HTTP/1.1 101 ") */
	size_t reason_len;
	int version_minor; /* 0 or 1 (HTTP/1.0, HTTP/1.1) */
	size_t nheaders;
	struct http1_header headers[HTTP1_MAX_HEADERS];
	size_t head_len; /* bytes of the head including the blank line */
};

struct http1_limits {
	size_t max_head;    /* bytes; 0 means HTTP1_DEFAULT_MAX_HEAD */
	size_t max_headers; /* 0 means HTTP1_DEFAULT_MAX_HEADERS; at most
			       HTTP1_MAX_HEADERS (larger values are capped) */
};

/* Parse a request head (request line + header fields + CRLF CRLF) from
 * buf[0..len). Bare LF line ends are accepted, obsolete line folding is
 * rejected. `lim` may be NULL for the defaults.
 * Returns the head length (> 0) on success; PROTO_E_AGAIN when the head is
 * incomplete and still within the limit; PROTO_E_HTTP_HEAD_TOO_LARGE once
 * len exceeds max_head without a complete head; PROTO_E_HTTP_TOO_MANY_HEADERS;
 * PROTO_E_HTTP_VERSION for a version other than HTTP/1.0 or 1.1;
 * PROTO_E_HTTP_SYNTAX otherwise. On error *err_offset (if non-NULL) gets
 * the offset of the first offending byte (max_head for
 * PROTO_E_HTTP_HEAD_TOO_LARGE). An error is reported as soon as the bytes
 * that show it are in buf (for a bad version: the delimiter after it), at
 * the same offset however the input was split. Unless the call succeeds,
 * the contents of *h are unspecified. */
int http1_parse_request(const char *buf, size_t len, struct http1_head *h,
			const struct http1_limits *lim, size_t *err_offset);

/* The same for a response head (status line). */
int http1_parse_response(const char *buf, size_t len, struct http1_head *h,
			 const struct http1_limits *lim, size_t *err_offset);

/* Where a head that starts at buf ends: the offset just past the blank
 * line, or 0 if buf[0..len) has none yet. `*scan` (start it at 0) lets a
 * caller that receives a head piecewise resume the search instead of
 * rescanning; it is updated on return (a repeated call after success
 * returns the same end). An empty first line counts as an end. */
size_t http1_head_end(const char *buf, size_t len, size_t *scan);

/* The first header named `name` (case-insensitive), or NULL. */
const struct http1_header *http1_find(const struct http1_head *h,
				      const char *name);

/* Whether the comma-separated value of header `name` (every occurrence)
 * holds `token`, case-insensitively ("Connection: keep-alive, Upgrade"
 * has "upgrade"). */
bool http1_has_token(const struct http1_head *h, const char *name,
		     const char *token);

/* Whether one comma-separated header value holds `token`
 * (case-insensitive, blanks around elements ignored). */
bool http1_value_has_token(const char *value, size_t len, const char *token);

/* Case-insensitive comparison of a counted string with a C string. */
bool http1_eq(const char *s, size_t n, const char *cstr);

enum http1_body_kind {
	HTTP1_BODY_NONE,	/* no body */
	HTTP1_BODY_LENGTH,	/* exactly *length bytes */
	HTTP1_BODY_CHUNKED,	/* chunked transfer coding */
	HTTP1_BODY_UNTIL_CLOSE, /* response read until the peer closes */
};

/* How the body of a parsed request (is_response false) or of a response to
 * a request with `req_method` (e.g. "HEAD": no body) is framed (RFC 9112
 * section 6.3). Returns the kind, with the length in *length for
 * HTTP1_BODY_LENGTH, or PROTO_E_HTTP_LENGTH for an invalid or conflicting
 * Content-Length, PROTO_E_HTTP_SYNTAX for an unsupported Transfer-Encoding.
 * Transfer-Encoding overrides Content-Length in a response; a request with
 * both gets PROTO_E_HTTP_LENGTH (a smuggling attempt, RFC 9112 6.3), and
 * Transfer-Encoding in an HTTP/1.0 message PROTO_E_HTTP_SYNTAX (6.1). */
int http1_body_kind(const struct http1_head *h, bool is_response,
		    const char *req_method, uint64_t *length);

/* Whether the connection stays open after this message: HTTP/1.1 unless
 * "Connection: close"; HTTP/1.0 only with "Connection: keep-alive". */
bool http1_keep_alive(const struct http1_head *h);

/* Resumable chunked-body decoder. Zero it (or http1_chunked_init) before
 * the first byte of the body. */
struct http1_chunked {
	int state;
	uint64_t remaining; /* bytes left in the current chunk */
	size_t trailer_len; /* bytes of the trailer section so far */
	size_t line_len;    /* bytes of the current chunk-size line so far */
};
void http1_chunked_init(struct http1_chunked *c);

/* Decode from in[0..len). Returns the number of input bytes consumed (>= 0)
 * and sets *data and *data_len to body bytes found (pointing into `in`; at
 * most one contiguous run per call, so call again with the rest), or
 * PROTO_E_HTTP_CHUNK with *err_offset set to the offset in `in` of the
 * offending byte. *done becomes true once the last chunk and trailer have
 * been read; bytes after that are not consumed. A call consumes all of
 * `in` unless it returns data or reaches the end. Chunk framing must use
 * CRLF (no bare LF); extensions and trailer fields are checked and
 * skipped; a chunk-size line is limited to 4096 bytes and the trailer to
 * HTTP1_DEFAULT_MAX_HEAD. */
int http1_chunked_feed(struct http1_chunked *c, const char *in, size_t len,
		       const char **data, size_t *data_len, bool *done,
		       size_t *err_offset);

/* Builders: append to `out`; return 0 or PROTO_E_NOMEM.
 * http1_build_status_line: "HTTP/1.<minor> <status> <reason>\r\n" with
 * the reason written as given, even if empty (Tomcat sends "101 "); a
 * NULL reason writes http1_reason(status).
 * http1_build_header: "Name: value\r\n". End a head with
 * proto_buf_append_str(out, "\r\n"). */
int http1_build_request_line(struct proto_buf *out, const char *method,
			     const char *target, int minor);
int http1_build_status_line(struct proto_buf *out, int minor, int status,
			    const char *reason);
int http1_build_header(struct proto_buf *out, const char *name,
		       const char *value);
/* One chunk of a chunked body ("<hex>\r\n<data>\r\n"); len 0 writes the
 * last chunk "0\r\n\r\n". */
int http1_build_chunk(struct proto_buf *out, const void *data, size_t len);

/* The standard reason phrase of a status code ("Not Found"), or "" */
const char *http1_reason(int status);

/* An RFC 7231 IMF-fixdate for time t ("Tue, 24 Nov 2026 12:02:56 GMT")
 * into out (at least 30 bytes), NUL-terminated; t is clamped to the
 * years 0001 to 9999. */
void http1_date(char out[30], int64_t t);

#endif
