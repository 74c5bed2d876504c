/* Unit tests for the AJP13 codec (proto/ajp.h): packets from a real
 * Apache 2.4 -> Tomcat 10.1 capture (tests/data/ajp/), every packet split
 * at every offset and streamed a byte at a time, encode/decode round
 * trips, the packet size limits, and malformed input with the expected
 * error and offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajp.h"
#include "check_main.h"
#include "test_util.h"
#include "proto_buf.h"
#include "proto_err.h"

/* ---- helpers ---- */

static uint8_t *read_data(const char *name, size_t *len)
{
	char p[256];
	snprintf(p, sizeof(p), "ajp/%s", name);
	return (uint8_t *)test_read_data(p, len);
}

#define ck_assert_ajp_str(str, text)                                           \
	do {                                                                   \
		const struct ajp_str s_ = (str);                               \
		const char *t_ = (text);                                       \
		ck_assert_ptr_nonnull(s_.s);                                   \
		ck_assert_uint_eq(s_.len, strlen(t_));                         \
		ck_assert_mem_eq(s_.s, t_, s_.len);                            \
	} while (0)

static struct ajp_str S(const char *s) {
	struct ajp_str r = {s, s ? strlen(s) : 0};
	return r;
}

static struct ajp_pair
P(const char *name, const char *value) {
	struct ajp_pair p = {S(name), S(value), 0};
	return p;
}

/* Parse one whole packet from buf and check it is all of buf. */
static void
parse_whole(const uint8_t *buf, size_t len, enum ajp_dir dir,
	    size_t packet_size, const uint8_t **payload, size_t *payload_len)
{
	size_t eo = 999;
	int rc = ajp_packet_parse(buf, len, dir, packet_size, payload,
				  payload_len, &eo);
	ck_assert_msg(rc == (int)len, "parse gave %d (%s), want %zu", rc,
		      proto_errname(rc), len);
	ck_assert_uint_eq(*payload_len, len - AJP_HEADER_LEN);
	ck_assert_ptr_eq(*payload, buf + AJP_HEADER_LEN);
}

static struct ajp_forward_request fr_a, fr_b; /* big: keep off the stack */
static struct ajp_send_headers sh_a, sh_b;

static void assert_str_same(struct ajp_str a, struct ajp_str b)
{
	ck_assert_uint_eq(a.s == NULL, b.s == NULL);
	ck_assert_uint_eq(a.len, b.len);
	if (a.s)
		ck_assert_mem_eq(a.s, b.s, a.len);
}

static void assert_fr_same(const struct ajp_forward_request *a,
			   const struct ajp_forward_request *b)
{
	ck_assert_uint_eq(a->method_code, b->method_code);
	assert_str_same(a->method, b->method);
	assert_str_same(a->protocol, b->protocol);
	assert_str_same(a->req_uri, b->req_uri);
	assert_str_same(a->remote_addr, b->remote_addr);
	assert_str_same(a->remote_host, b->remote_host);
	assert_str_same(a->server_name, b->server_name);
	ck_assert_uint_eq(a->server_port, b->server_port);
	ck_assert_uint_eq(a->is_ssl, b->is_ssl);
	ck_assert_uint_eq(a->nheaders, b->nheaders);
	for (size_t i = 0; i < a->nheaders; i++) {
		assert_str_same(a->headers[i].name, b->headers[i].name);
		assert_str_same(a->headers[i].value, b->headers[i].value);
		ck_assert_uint_eq(a->headers[i].code, b->headers[i].code);
	}
	ck_assert_uint_eq(a->nattributes, b->nattributes);
	for (size_t i = 0; i < a->nattributes; i++) {
		assert_str_same(a->attributes[i].name, b->attributes[i].name);
		assert_str_same(a->attributes[i].value, b->attributes[i].value);
		ck_assert_uint_eq(a->attributes[i].code, b->attributes[i].code);
	}
	assert_str_same(a->secret, b->secret);
	assert_str_same(a->query_string, b->query_string);
	ck_assert_uint_eq(a->ssl_key_size, b->ssl_key_size);
}

/* Encode r, parse and decode the packet into *out (which must not be r). */
static void fr_roundtrip(const struct ajp_forward_request *r,
			 struct ajp_forward_request *out, struct proto_buf *b,
			 size_t packet_size)
{
	const uint8_t *pl;
	size_t pn, eo = 999;
	proto_buf_reset(b);
	ck_assert_int_eq(ajp_forward_request_encode(b, r, packet_size), 0);
	parse_whole(proto_buf_head(b), proto_buf_size(b), AJP_TO_CONTAINER,
		    packet_size, &pl, &pn);
	int rc = ajp_forward_request_decode(pl, pn, out, &eo);
	ck_assert_msg(rc == 0, "decode: %s at %zu", proto_errname(rc), eo);
}

/* ---- the real capture ---- */

START_TEST(capture_forward_request)
{
	size_t len, pn, eo = 999;
	const uint8_t *pl;
	uint8_t *buf = read_data("forward_request_upgrade.bin", &len);
	ck_assert_uint_eq(len, 275);
	parse_whole(buf, len, AJP_TO_CONTAINER, AJP_PACKET_DEFAULT, &pl, &pn);
	ck_assert_int_eq(ajp_forward_request_decode(pl, pn, &fr_a, &eo), 0);

	const struct ajp_forward_request *r = &fr_a;
	ck_assert_uint_eq(r->method_code, 2);
	ck_assert_ajp_str(r->method, "GET");
	ck_assert_ajp_str(r->protocol, "HTTP/1.1");
	ck_assert_ajp_str(r->req_uri, "/examples/websocket/echoProgrammatic");
	ck_assert_ajp_str(r->remote_addr, "127.0.0.1");
	ck_assert_ptr_null(r->remote_host.s); /* no HostnameLookups */
	ck_assert_ajp_str(r->server_name, "127.0.0.1");
	ck_assert_uint_eq(r->server_port, 18081);
	ck_assert(!r->is_ssl);

	ck_assert_uint_eq(r->nheaders, 5);
	ck_assert_ajp_str(r->headers[0].name, "host");
	ck_assert_uint_eq(r->headers[0].code, 0xA00B);
	ck_assert_ajp_str(r->headers[0].value, "127.0.0.1:18081");
	ck_assert_ajp_str(r->headers[1].name, "Upgrade");
	ck_assert_uint_eq(r->headers[1].code, 0);
	ck_assert_ajp_str(r->headers[1].value, "websocket");
	ck_assert_ajp_str(r->headers[2].name, "connection");
	ck_assert_uint_eq(r->headers[2].code, 0xA006);
	ck_assert_ajp_str(r->headers[2].value, "Upgrade");
	ck_assert_ajp_str(r->headers[3].name, "Sec-WebSocket-Key");
	ck_assert_ajp_str(r->headers[3].value, "dGhlIHNhbXBsZSBub25jZQ==");
	ck_assert_ajp_str(r->headers[4].name, "Sec-WebSocket-Version");
	ck_assert_ajp_str(r->headers[4].value, "13");
	/* literal names point into the packet: zero copy */
	ck_assert_ptr_eq(r->headers[1].name.s, (const char *)buf + 0x6d);

	/* Apache sends the client port and its own address as named
	 * attributes; no query string, no secret. */
	ck_assert_uint_eq(r->nattributes, 2);
	ck_assert_uint_eq(r->attributes[0].code, AJP_ATTR_REQ_ATTRIBUTE);
	ck_assert_ajp_str(r->attributes[0].name, "AJP_REMOTE_PORT");
	ck_assert_ajp_str(r->attributes[0].value, "38572");
	ck_assert_uint_eq(r->attributes[1].code, AJP_ATTR_REQ_ATTRIBUTE);
	ck_assert_ajp_str(r->attributes[1].name, "AJP_LOCAL_ADDR");
	ck_assert_ajp_str(r->attributes[1].value, "127.0.0.1");
	ck_assert_ptr_null(r->secret.s);
	ck_assert_ptr_null(r->query_string.s);
	ck_assert_uint_eq(r->ssl_key_size, 0);

	/* Re-encoded: the very same bytes. */
	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), len);
	ck_assert_mem_eq(proto_buf_head(&b), buf, len);

	/* The same with every header found by name instead of by code. */
	fr_b = fr_a;
	for (size_t i = 0; i < fr_b.nheaders; i++)
		fr_b.headers[i].code = 0;
	fr_b.headers[0].name = S("Host");
	fr_b.headers[2].name = S("CONNECTION");
	for (size_t i = 0; i < fr_b.nattributes; i++)
		fr_b.attributes[i].code = 0;
	fr_b.method_code = 0;
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_forward_request_encode(&b, &fr_b, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), len);
	ck_assert_mem_eq(proto_buf_head(&b), buf, len);
	proto_buf_free(&b);
	free(buf);
}
END_TEST

START_TEST(capture_send_headers)
{
	size_t len, pn, eo = 999;
	const uint8_t *pl;
	uint8_t *buf = read_data("send_headers_500.bin", &len);
	ck_assert_uint_eq(len, 218);
	parse_whole(buf, len, AJP_TO_SERVER, AJP_PACKET_DEFAULT, &pl, &pn);
	ck_assert_int_eq(ajp_send_headers_decode(pl, pn, &sh_a, &eo), 0);

	/* Tomcat sends the number as the message, and keeps the handshake
	 * headers it had set before the upgrade failed. */
	ck_assert_uint_eq(sh_a.status, 500);
	ck_assert_ajp_str(sh_a.message, "500");
	static const char *const want[][2] = {
	    {"X-Frame-Options", "DENY"},
	    {"X-Content-Type-Options", "nosniff"},
	    {"Upgrade", "websocket"},
	    {"Connection", "upgrade"},
	    {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
	    {"Content-Type", "text/html;charset=utf-8"},
	    {"Content-Language", "en"},
	    {"Content-Length", "1563"},
	};
	static const uint16_t codes[] = {0, 0, 0, 0, 0, 0xA001, 0xA002, 0xA003};
	ck_assert_uint_eq(sh_a.nheaders, 8);
	for (size_t i = 0; i < 8; i++) {
		ck_assert_ajp_str(sh_a.headers[i].name, want[i][0]);
		ck_assert_ajp_str(sh_a.headers[i].value, want[i][1]);
		ck_assert_uint_eq(sh_a.headers[i].code, codes[i]);
	}

	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(ajp_send_headers_encode(&b, &sh_a, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), len);
	ck_assert_mem_eq(proto_buf_head(&b), buf, len);

	/* By name, in another case: still coded where a code exists. */
	sh_b = sh_a;
	for (size_t i = 0; i < sh_b.nheaders; i++)
		sh_b.headers[i].code = 0;
	sh_b.headers[5].name = S("content-type");
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_send_headers_encode(&b, &sh_b, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), len);
	ck_assert_mem_eq(proto_buf_head(&b), buf, len);
	proto_buf_free(&b);
	free(buf);
}
END_TEST

START_TEST(capture_body_and_end)
{
	size_t len, pn, dlen = 0, eo = 999;
	const uint8_t *pl, *data = NULL;
	uint8_t *buf = read_data("body_chunk_error.bin", &len);
	ck_assert_uint_eq(len, 1571);
	parse_whole(buf, len, AJP_TO_SERVER, AJP_PACKET_DEFAULT, &pl, &pn);
	ck_assert_int_eq(ajp_body_chunk_decode(pl, pn, &data, &dlen, &eo), 0);
	ck_assert_uint_eq(dlen, 1563); /* the Content-Length Tomcat sent */
	ck_assert_ptr_eq(data, buf + 7);
	ck_assert_mem_eq(data, "<!doctype html>", 15);
	ck_assert_mem_eq(data + dlen - 7, "</html>", 7);
	ck_assert_ptr_nonnull(memmem(
	    data, dlen, "HTTP upgrade is not supported by this protocol", 46));
	ck_assert_uint_eq(buf[len - 1], 0); /* Tomcat's trailing NUL */

	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(ajp_body_chunk_encode(&b, data, dlen, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), len);
	ck_assert_mem_eq(proto_buf_head(&b), buf, len);
	free(buf);

	bool reuse = false;
	buf = read_data("end_response.bin", &len);
	ck_assert_uint_eq(len, 6);
	parse_whole(buf, len, AJP_TO_SERVER, AJP_PACKET_DEFAULT, &pl, &pn);
	ck_assert_int_eq(ajp_end_response_decode(pl, pn, &reuse, &eo), 0);
	ck_assert(reuse);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_end_response_encode(&b, true), 0);
	ck_assert_uint_eq(proto_buf_size(&b), len);
	ck_assert_mem_eq(proto_buf_head(&b), buf, len);
	proto_buf_free(&b);
	free(buf);
}
END_TEST

/* ---- split at every offset, streamed one byte at a time ---- */

static const char *const capture_files[] = {
    "forward_request_upgrade.bin",
    "send_headers_500.bin",
    "body_chunk_error.bin",
    "end_response.bin",
};
static const enum ajp_dir capture_dirs[] = {AJP_TO_CONTAINER, AJP_TO_SERVER,
					    AJP_TO_SERVER, AJP_TO_SERVER};

/* Every prefix is AGAIN, the whole is the packet; trailing bytes of the
 * next packet change nothing. */
static void check_split(const uint8_t *pkt, size_t len, enum ajp_dir dir)
{
	uint8_t *copy = malloc(len + 3);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, pkt, len);
	memcpy(copy + len, dir == AJP_TO_SERVER ? "AB\x00" : "\x12\x34\x00", 3);
	for (size_t cut = 0; cut <= len + 3; cut++) {
		const uint8_t *pl = NULL;
		size_t pn = 0;
		int rc = ajp_packet_parse(copy, cut, dir, 0, &pl, &pn, NULL);
		if (cut < len) {
			ck_assert_msg(rc == PROTO_E_AGAIN,
				      "cut %zu of %zu gave %d", cut, len, rc);
		} else {
			ck_assert_int_eq(rc, (int)len);
			ck_assert_ptr_eq(pl, copy + AJP_HEADER_LEN);
			ck_assert_uint_eq(pn, len - AJP_HEADER_LEN);
		}
	}
	free(copy);
}

START_TEST(split_every_offset)
{
	for (size_t i = 0; i < 4; i++) {
		size_t len;
		uint8_t *buf = read_data(capture_files[i], &len);
		check_split(buf, len, capture_dirs[i]);
		free(buf);
	}
	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(ajp_cping_encode(&b), 0);
	check_split(proto_buf_head(&b), proto_buf_size(&b), AJP_TO_CONTAINER);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_cpong_encode(&b), 0);
	check_split(proto_buf_head(&b), proto_buf_size(&b), AJP_TO_SERVER);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_get_body_chunk_encode(&b, 8186), 0);
	check_split(proto_buf_head(&b), proto_buf_size(&b), AJP_TO_SERVER);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_request_body_encode(&b, "x=1&y=2", 7, 0), 0);
	check_split(proto_buf_head(&b), proto_buf_size(&b), AJP_TO_CONTAINER);
	proto_buf_free(&b);
}
END_TEST

/* Feed `stream` one byte at a time into a buffer, taking out every
 * packet as soon as it is complete; returns the packet count and checks
 * each is taken out exactly when its last byte arrives. */
static size_t feed_bytewise(const uint8_t *stream, size_t len, enum ajp_dir dir,
			    const size_t *ends, size_t nends)
{
	struct proto_buf in = PROTO_BUF_INIT;
	size_t got = 0;
	for (size_t i = 0; i < len; i++) {
		ck_assert_int_eq(proto_buf_append_u8(&in, stream[i]), 0);
		const uint8_t *pl;
		size_t pn;
		int rc =
		    ajp_packet_parse(proto_buf_head(&in), proto_buf_size(&in),
				     dir, 0, &pl, &pn, NULL);
		if (rc == PROTO_E_AGAIN)
			continue;
		ck_assert_int_gt(rc, 0);
		ck_assert_uint_lt(got, nends);
		ck_assert_uint_eq(i + 1, ends[got]);
		ck_assert_uint_eq((size_t)rc, pn + AJP_HEADER_LEN);
		got++;
		proto_buf_consume(&in, (size_t)rc);
	}
	ck_assert_uint_eq(proto_buf_size(&in), 0);
	proto_buf_free(&in);
	return got;
}

START_TEST(stream_bytewise)
{
	/* Container to server: the captured response, then a CPONG and a
	 * GET_BODY_CHUNK; decode each one as it completes. */
	struct proto_buf s = PROTO_BUF_INIT;
	size_t ends[8], n = 0;
	for (size_t i = 1; i < 4; i++) {
		size_t len;
		uint8_t *buf = read_data(capture_files[i], &len);
		ck_assert_int_eq(proto_buf_append(&s, buf, len), 0);
		ends[n++] = proto_buf_size(&s);
		free(buf);
	}
	ck_assert_int_eq(ajp_cpong_encode(&s), 0);
	ends[n++] = proto_buf_size(&s);
	ck_assert_int_eq(ajp_get_body_chunk_encode(&s, 100), 0);
	ends[n++] = proto_buf_size(&s);
	ck_assert_uint_eq(feed_bytewise(proto_buf_head(&s), proto_buf_size(&s),
					AJP_TO_SERVER, ends, n),
			  5);

	/* Server to container: CPING, the captured request, a body. */
	proto_buf_reset(&s);
	n = 0;
	ck_assert_int_eq(ajp_cping_encode(&s), 0);
	ends[n++] = proto_buf_size(&s);
	size_t len;
	uint8_t *buf = read_data(capture_files[0], &len);
	ck_assert_int_eq(proto_buf_append(&s, buf, len), 0);
	free(buf);
	ends[n++] = proto_buf_size(&s);
	ck_assert_int_eq(ajp_request_body_encode(&s, "hello", 5, 0), 0);
	ends[n++] = proto_buf_size(&s);
	ck_assert_int_eq(ajp_request_body_encode(&s, NULL, 0, 0), 0);
	ends[n++] = proto_buf_size(&s);
	ck_assert_uint_eq(feed_bytewise(proto_buf_head(&s), proto_buf_size(&s),
					AJP_TO_CONTAINER, ends, n),
			  4);
	proto_buf_free(&s);
}
END_TEST

/* The decoders only ever see whole payloads, but a payload cut short at
 * any point must be an error, never a read past the end. */
START_TEST(truncated_payloads)
{
	for (size_t i = 0; i < 4; i++) {
		size_t len;
		uint8_t *buf = read_data(capture_files[i], &len);
		const uint8_t *pl = buf + AJP_HEADER_LEN;
		size_t full = len - AJP_HEADER_LEN;
		for (size_t cut = 0; cut < full; cut++) {
			/* a private copy of exactly `cut` bytes for ASan */
			uint8_t *p = malloc(cut ? cut : 1);
			memcpy(p, pl, cut);
			size_t eo = 999, dl;
			const uint8_t *d;
			bool reuse;
			int rc;
			switch (i) {
			case 0:
				rc = ajp_forward_request_decode(p, cut, &fr_a,
								&eo);
				break;
			case 1:
				rc =
				    ajp_send_headers_decode(p, cut, &sh_a, &eo);
				break;
			case 2:
				rc =
				    ajp_body_chunk_decode(p, cut, &d, &dl, &eo);
				break;
			default:
				rc = ajp_end_response_decode(p, cut, &reuse,
							     &eo);
				break;
			}
			ck_assert_int_eq(rc, PROTO_E_AJP_SYNTAX);
			ck_assert_uint_le(eo, cut);
			free(p);
		}
		free(buf);
	}
}
END_TEST

/* ---- encode -> decode round trips ---- */

START_TEST(roundtrip_forward_request)
{
	struct proto_buf b = PROTO_BUF_INIT;
	struct ajp_forward_request *r = &fr_a;
	memset(r, 0, sizeof(*r));
	r->method = S("POST");
	r->protocol = S("HTTP/1.1");
	r->req_uri = S("/examples/servlets/servlet/RequestParamExample");
	r->remote_addr = S("192.0.2.7");
	r->remote_host = S("client.example");
	r->server_name = S("www.example.org");
	r->server_port = 8443;
	r->is_ssl = true;
	r->headers[r->nheaders++] = P("Content-Type", "text/plain");
	r->headers[r->nheaders++] = P("content-length", "7");
	r->headers[r->nheaders++] = P("User-Agent", "wssim");
	r->headers[r->nheaders++] = P("X-Forwarded-For", "198.51.100.1");
	r->headers[r->nheaders++] = P("Cookie", "a=b");
	r->headers[r->nheaders++] = P("", ""); /* empty literal name */
	r->secret = S("s3cret");
	r->query_string = S("a=1&b=%20");
	r->ssl_key_size = 256;
	r->attributes[r->nattributes++] =
	    P("ssl_cipher", "TLS_AES_128_GCM_SHA256");
	r->attributes[r->nattributes++] = P("AJP_REMOTE_PORT", "40000");
	r->attributes[r->nattributes++] = P("jvm_route", "node1");
	/* a named attribute that happens to be called "secret" */
	r->attributes[r->nattributes] = P("secret", "not-the-secret");
	r->attributes[r->nattributes++].code = AJP_ATTR_REQ_ATTRIBUTE;

	fr_roundtrip(r, &fr_b, &b, 0);
	const struct ajp_forward_request *d = &fr_b;
	ck_assert_uint_eq(d->method_code, 4);
	ck_assert_ajp_str(d->method, "POST");
	ck_assert_ajp_str(d->req_uri,
			  "/examples/servlets/servlet/RequestParamExample");
	ck_assert_ajp_str(d->remote_host, "client.example");
	ck_assert_uint_eq(d->server_port, 8443);
	ck_assert(d->is_ssl);
	ck_assert_uint_eq(d->nheaders, 6);
	ck_assert_uint_eq(d->headers[0].code, 0xA007);
	ck_assert_ajp_str(d->headers[0].name, "content-type");
	ck_assert_uint_eq(d->headers[1].code, 0xA008);
	ck_assert_uint_eq(d->headers[2].code, 0xA00E);
	ck_assert_uint_eq(d->headers[3].code, 0);
	ck_assert_ajp_str(d->headers[3].name, "X-Forwarded-For");
	ck_assert_ajp_str(d->headers[3].value, "198.51.100.1");
	ck_assert_uint_eq(d->headers[4].code, 0xA009);
	ck_assert_ajp_str(d->headers[4].value, "a=b");
	ck_assert_uint_eq(d->headers[5].code, 0);
	ck_assert_ajp_str(d->headers[5].name, "");

	/* secret, query_string and the key size go first, in
	 * mod_proxy_ajp's order; then the listed ones. */
	ck_assert_uint_eq(d->nattributes, 7);
	static const uint16_t codes[] = {
	    AJP_ATTR_SECRET,	    AJP_ATTR_QUERY_STRING,
	    AJP_ATTR_SSL_KEY_SIZE,  AJP_ATTR_SSL_CIPHER,
	    AJP_ATTR_REQ_ATTRIBUTE, AJP_ATTR_ROUTE,
	    AJP_ATTR_REQ_ATTRIBUTE};
	for (size_t i = 0; i < 7; i++)
		ck_assert_uint_eq(d->attributes[i].code, codes[i]);
	ck_assert_ajp_str(d->attributes[0].name, "secret");
	ck_assert_ajp_str(d->attributes[0].value, "s3cret");
	ck_assert_ajp_str(d->attributes[1].name, "query_string");
	ck_assert_ajp_str(d->attributes[1].value, "a=1&b=%20");
	ck_assert_ajp_str(d->attributes[2].name, "ssl_key_size");
	ck_assert_mem_eq(d->attributes[2].value.s, "\x01\x00", 2);
	ck_assert_ajp_str(d->attributes[3].name, "ssl_cipher");
	ck_assert_ajp_str(d->attributes[4].name, "AJP_REMOTE_PORT");
	ck_assert_ajp_str(d->attributes[4].value, "40000");
	ck_assert_ajp_str(d->attributes[5].name, "route");
	ck_assert_ajp_str(d->attributes[5].value, "node1");
	ck_assert_ajp_str(d->attributes[6].name, "secret");
	ck_assert_ajp_str(d->attributes[6].value, "not-the-secret");
	ck_assert_ajp_str(d->secret, "s3cret");
	ck_assert_ajp_str(d->query_string, "a=1&b=%20");
	ck_assert_uint_eq(d->ssl_key_size, 256);

	/* The decoded request encodes to the same bytes (nothing added
	 * twice), and decodes to the same fields again. */
	struct proto_buf b2 = PROTO_BUF_INIT;
	ck_assert_int_eq(ajp_forward_request_encode(&b2, d, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b2), proto_buf_size(&b));
	ck_assert_mem_eq(proto_buf_head(&b2), proto_buf_head(&b),
			 proto_buf_size(&b));
	fr_roundtrip(d, &fr_a, &b2, 0);
	assert_fr_same(&fr_a, d);
	proto_buf_free(&b);
	proto_buf_free(&b2);
}
END_TEST

START_TEST(roundtrip_stored_method)
{
	struct proto_buf b = PROTO_BUF_INIT;
	struct ajp_forward_request *r = &fr_a;

	/* A method without a code: byte 0xFF and a stored_method. */
	memset(r, 0, sizeof(*r));
	r->method = S("PATCH");
	r->protocol = S("HTTP/1.1");
	r->req_uri = S("/x");
	r->remote_addr = S("127.0.0.1");
	r->server_name = S("localhost");
	r->server_port = 80;
	r->attributes[r->nattributes++] = P("AJP_LOCAL_ADDR", "127.0.0.1");
	fr_roundtrip(r, &fr_b, &b, 0);
	ck_assert_uint_eq(proto_buf_head(&b)[5], AJP_METHOD_STORED);
	ck_assert_uint_eq(fr_b.method_code, AJP_METHOD_STORED);
	ck_assert_ajp_str(fr_b.method, "PATCH");
	ck_assert_ptr_null(fr_b.remote_host.s);
	ck_assert_uint_eq(fr_b.nattributes, 2);
	ck_assert_uint_eq(fr_b.attributes[0].code, AJP_ATTR_STORED_METHOD);
	ck_assert_ajp_str(fr_b.attributes[0].name, "stored_method");
	ck_assert_ajp_str(fr_b.attributes[0].value, "PATCH");
	ck_assert_ajp_str(fr_b.attributes[1].name, "AJP_LOCAL_ADDR");

	/* Listed by its other name, it is not sent twice. */
	memset(r, 0, sizeof(*r));
	r->method_code = AJP_METHOD_STORED;
	r->method = S("PATCH");
	r->attributes[r->nattributes++] = P("req_method", "MKCALENDAR");
	fr_roundtrip(r, &fr_b, &b, 0);
	ck_assert_uint_eq(fr_b.nattributes, 1);
	ck_assert_ajp_str(fr_b.method, "MKCALENDAR");

	/* The stored_method wins over a method code, as in Tomcat. */
	memset(r, 0, sizeof(*r));
	r->method_code = 2;
	r->attributes[r->nattributes++] = P("stored_method", "PROPFIND");
	fr_roundtrip(r, &fr_b, &b, 0);
	ck_assert_uint_eq(fr_b.method_code, 2);
	ck_assert_ajp_str(fr_b.method, "PROPFIND");

	/* Every coded method goes as its code. */
	for (unsigned c = 1; c <= 27; c++) {
		memset(r, 0, sizeof(*r));
		r->method = S(ajp_method_name((uint8_t)c));
		fr_roundtrip(r, &fr_b, &b, 0);
		ck_assert_uint_eq(fr_b.method_code, c);
		ck_assert_uint_eq(fr_b.nattributes, 0);
		ck_assert_ajp_str(fr_b.method, ajp_method_name((uint8_t)c));
	}
	proto_buf_free(&b);
}
END_TEST

START_TEST(roundtrip_response_messages)
{
	struct proto_buf b = PROTO_BUF_INIT;
	const uint8_t *pl, *data;
	size_t pn, dlen, eo = 999;

	/* SEND_HEADERS 101 with a null message and every coded header. */
	memset(&sh_a, 0, sizeof(sh_a));
	sh_a.status = 101;
	for (uint16_t c = 0xA001; c <= 0xA00B; c++)
		sh_a.headers[sh_a.nheaders++] =
		    P(ajp_response_header_name(c), "v");
	sh_a.headers[sh_a.nheaders++] = P("Upgrade", "websocket");
	ck_assert_int_eq(ajp_send_headers_encode(&b, &sh_a, 0), 0);
	parse_whole(proto_buf_head(&b), proto_buf_size(&b), AJP_TO_SERVER, 0,
		    &pl, &pn);
	ck_assert_int_eq(ajp_send_headers_decode(pl, pn, &sh_b, &eo), 0);
	ck_assert_uint_eq(sh_b.status, 101);
	ck_assert_ptr_null(sh_b.message.s);
	ck_assert_uint_eq(sh_b.nheaders, 12);
	for (size_t i = 0; i < 11; i++)
		ck_assert_uint_eq(sh_b.headers[i].code, 0xA001 + i);
	ck_assert_ajp_str(sh_b.headers[10].name, "WWW-Authenticate");
	ck_assert_ajp_str(sh_b.headers[11].name, "Upgrade");
	/* 1 type, 2 status, 2 null, 2 count, 11 x (2 + 4), 2+8 + 2+10 */
	ck_assert_uint_eq(pn, 1 + 2 + 2 + 2 + 11 * 6 + 10 + 12);

	/* A body of 20000 bytes: 8184 + 8184 + 3632, each with its NUL. */
	uint8_t *body = malloc(20000);
	for (size_t i = 0; i < 20000; i++)
		body[i] = (uint8_t)(i * 7 + 3);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_body_chunk_encode(&b, body, 20000, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 20000 + 3 * 8);
	size_t off = 0, total = 0;
	static const size_t sizes[] = {8184, 8184, 3632};
	for (size_t k = 0; k < 3; k++) {
		int rc = ajp_packet_parse(proto_buf_head(&b) + off,
					  proto_buf_size(&b) - off,
					  AJP_TO_SERVER, 0, &pl, &pn, NULL);
		ck_assert_int_eq(rc, (int)(sizes[k] + 8));
		ck_assert_int_eq(
		    ajp_body_chunk_decode(pl, pn, &data, &dlen, &eo), 0);
		ck_assert_uint_eq(dlen, sizes[k]);
		ck_assert_mem_eq(data, body + total, dlen);
		total += dlen;
		off += (size_t)rc;
	}
	ck_assert_uint_eq(off, proto_buf_size(&b));

	/* Exactly packet_size - 8 is one packet; one more byte is two. */
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_body_chunk_encode(&b, body, 8184, 8192), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 8192);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_body_chunk_encode(&b, body, 8185, 8192), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 8185 + 16);

	/* An empty chunk: Tomcat's flush. */
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_body_chunk_encode(&b, NULL, 0, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 8);
	ck_assert_mem_eq(proto_buf_head(&b), "AB\x00\x04\x03\x00\x00\x00", 8);

	/* GET_BODY_CHUNK, END_RESPONSE without reuse, CPING, CPONG. */
	uint16_t want = 0;
	bool reuse = true;
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_get_body_chunk_encode(&b, 8186), 0);
	ck_assert_mem_eq(proto_buf_head(&b), "AB\x00\x03\x06\x1f\xfa", 7);
	parse_whole(proto_buf_head(&b), 7, AJP_TO_SERVER, 0, &pl, &pn);
	ck_assert_int_eq(ajp_get_body_chunk_decode(pl, pn, &want, &eo), 0);
	ck_assert_uint_eq(want, 8186);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_end_response_encode(&b, false), 0);
	ck_assert_mem_eq(proto_buf_head(&b), "AB\x00\x02\x05\x00", 6);
	parse_whole(proto_buf_head(&b), 6, AJP_TO_SERVER, 0, &pl, &pn);
	ck_assert_int_eq(ajp_end_response_decode(pl, pn, &reuse, &eo), 0);
	ck_assert(!reuse);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_cping_encode(&b), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 5);
	ck_assert_mem_eq(proto_buf_head(&b), "\x12\x34\x00\x01\x0a", 5);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_cpong_encode(&b), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 5);
	ck_assert_mem_eq(proto_buf_head(&b), "AB\x00\x01\x09", 5);

	/* Request bodies: data, and the empty end-of-body packet. */
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_request_body_encode(&b, body, 1000, 0), 0);
	parse_whole(proto_buf_head(&b), proto_buf_size(&b), AJP_TO_CONTAINER, 0,
		    &pl, &pn);
	ck_assert_int_eq(ajp_request_body_decode(pl, pn, &data, &dlen, &eo), 0);
	ck_assert_uint_eq(dlen, 1000);
	ck_assert_mem_eq(data, body, 1000);
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_request_body_encode(&b, NULL, 0, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 6);
	ck_assert_mem_eq(proto_buf_head(&b), "\x12\x34\x00\x02\x00\x00", 6);
	parse_whole(proto_buf_head(&b), 6, AJP_TO_CONTAINER, 0, &pl, &pn);
	ck_assert_int_eq(ajp_request_body_decode(pl, pn, &data, &dlen, &eo), 0);
	ck_assert_uint_eq(dlen, 0);
	free(body);
	proto_buf_free(&b);
}
END_TEST

/* ---- packet size limits ---- */

START_TEST(limit_8k_parse)
{
	/* 8192 - 4 is the largest payload; 8189 announced is too big,
	 * known from the header alone. */
	uint8_t hdr[4] = {0x12, 0x34, 0x1f, 0xfd};
	const uint8_t *pl;
	size_t pn, eo = 999;
	ck_assert_int_eq(
	    ajp_packet_parse(hdr, 4, AJP_TO_CONTAINER, 0, &pl, &pn, &eo),
	    PROTO_E_AJP_TOO_BIG);
	ck_assert_uint_eq(eo, 2);
	hdr[0] = 'A';
	hdr[1] = 'B';
	hdr[2] = 0xff;
	hdr[3] = 0xff;
	eo = 999;
	ck_assert_int_eq(
	    ajp_packet_parse(hdr, 4, AJP_TO_SERVER, 8192, &pl, &pn, &eo),
	    PROTO_E_AJP_TOO_BIG);
	ck_assert_uint_eq(eo, 2);
	/* 8188 announced: just fits, so AGAIN until it is all there. */
	hdr[2] = 0x1f;
	hdr[3] = 0xfc;
	ck_assert_int_eq(
	    ajp_packet_parse(hdr, 4, AJP_TO_SERVER, 8192, &pl, &pn, &eo),
	    PROTO_E_AGAIN);
	/* The same 65535 with a 64 KiB packet size: still too big (65532
	 * is the most), 65532 is AGAIN. */
	hdr[2] = 0xff;
	hdr[3] = 0xff;
	ck_assert_int_eq(
	    ajp_packet_parse(hdr, 4, AJP_TO_SERVER, 65536, &pl, &pn, &eo),
	    PROTO_E_AJP_TOO_BIG);
	hdr[3] = 0xfc;
	ck_assert_int_eq(
	    ajp_packet_parse(hdr, 4, AJP_TO_SERVER, 65536, &pl, &pn, &eo),
	    PROTO_E_AGAIN);
	/* Packet sizes AJP does not allow. */
	ck_assert_int_eq(
	    ajp_packet_parse(hdr, 4, AJP_TO_SERVER, 65537, &pl, &pn, &eo),
	    PROTO_E_INVAL);
	ck_assert_int_eq(
	    ajp_packet_parse(hdr, 4, AJP_TO_SERVER, 8, &pl, &pn, &eo),
	    PROTO_E_INVAL);
}
END_TEST

START_TEST(limit_8k_encoders)
{
	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(proto_buf_append_str(&b, "before"), 0);
	char *big = malloc(70000);
	memset(big, 'c', 70000);
	struct ajp_str bigs = {big, 0};

	/* A request whose cookie makes it one byte too big for 8 KiB. */
	struct ajp_forward_request *r = &fr_a;
	memset(r, 0, sizeof(*r));
	r->method = S("GET");
	r->req_uri = S("/");
	r->headers[r->nheaders++] = P("Cookie", "");
	/* payload: type and method 2, four null strings 8, uri "/" 4,
	 * port 2, is_ssl 1, count 2, code 2, value 2 + len + 1, 0xFF 1:
	 * 25 + len */
	bigs.len = 8188 - 25 + 1;
	r->headers[0].value = bigs;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0),
			 PROTO_E_AJP_TOO_BIG);
	ck_assert_uint_eq(proto_buf_size(&b), 6);
	ck_assert_mem_eq(proto_buf_head(&b), "before", 6);
	r->headers[0].value.len--; /* now exactly 8192 */
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 6 + 8192);
	proto_buf_reset(&b);
	ck_assert_int_eq(proto_buf_append_str(&b, "before"), 0);

	/* SEND_HEADERS likewise. */
	memset(&sh_a, 0, sizeof(sh_a));
	sh_a.status = 200;
	sh_a.message = S("200");
	sh_a.headers[sh_a.nheaders++] = P("Set-Cookie", "");
	bigs.len = 8188;
	sh_a.headers[0].value = bigs;
	ck_assert_int_eq(ajp_send_headers_encode(&b, &sh_a, 8192),
			 PROTO_E_AJP_TOO_BIG);
	ck_assert_uint_eq(proto_buf_size(&b), 6);

	/* Request body: at most 8186 bytes in one packet. */
	ck_assert_int_eq(ajp_request_body_encode(&b, big, 8187, 8192),
			 PROTO_E_AJP_TOO_BIG);
	ck_assert_uint_eq(proto_buf_size(&b), 6);
	ck_assert_int_eq(ajp_request_body_encode(&b, big, 8186, 8192), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 6 + 8192);

	/* A string that no packet could carry. */
	proto_buf_reset(&b);
	bigs.len = 65535;
	r->headers[0].value = bigs;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, AJP_PACKET_MAX),
			 PROTO_E_AJP_TOO_BIG);
	ck_assert_uint_eq(proto_buf_size(&b), 0);
	free(big);
	proto_buf_free(&b);
}
END_TEST

START_TEST(limit_64k_works)
{
	struct proto_buf b = PROTO_BUF_INIT;
	const uint8_t *pl, *data;
	size_t pn, dlen, eo = 999;
	char *big = malloc(65536);
	for (size_t i = 0; i < 65536; i++)
		big[i] = (char)('a' + i % 26);

	/* A forward request of exactly 64 KiB. */
	struct ajp_forward_request *r = &fr_a;
	memset(r, 0, sizeof(*r));
	r->method = S("GET");
	r->req_uri = S("/");
	r->headers[r->nheaders++] = P("Cookie", "");
	struct ajp_str v = {big, 65532 - 25};
	r->headers[0].value = v;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 8192),
			 PROTO_E_AJP_TOO_BIG);
	ck_assert_uint_eq(proto_buf_size(&b), 0);
	fr_roundtrip(r, &fr_b, &b, AJP_PACKET_MAX);
	ck_assert_uint_eq(proto_buf_size(&b), 65536);
	ck_assert_uint_eq(fr_b.headers[0].value.len, 65532 - 25);
	ck_assert_mem_eq(fr_b.headers[0].value.s, big, 65532 - 25);
	/* and the 8 KiB limit refuses it */
	ck_assert_int_eq(ajp_packet_parse(proto_buf_head(&b), 65536,
					  AJP_TO_CONTAINER, 0, &pl, &pn, &eo),
			 PROTO_E_AJP_TOO_BIG);

	/* A body chunk of 65528 bytes is one packet at 64 KiB. */
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_body_chunk_encode(&b, big, 65528, 65536), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 65536);
	parse_whole(proto_buf_head(&b), 65536, AJP_TO_SERVER, 65536, &pl, &pn);
	ck_assert_int_eq(ajp_body_chunk_decode(pl, pn, &data, &dlen, &eo), 0);
	ck_assert_uint_eq(dlen, 65528);
	ck_assert_mem_eq(data, big, 65528);

	/* A request body of 65530 bytes likewise. */
	proto_buf_reset(&b);
	ck_assert_int_eq(ajp_request_body_encode(&b, big, 65530, 65536), 0);
	parse_whole(proto_buf_head(&b), 65536, AJP_TO_CONTAINER, 65536, &pl,
		    &pn);
	ck_assert_int_eq(ajp_request_body_decode(pl, pn, &data, &dlen, &eo), 0);
	ck_assert_uint_eq(dlen, 65530);
	ck_assert_mem_eq(data, big, 65530);
	free(big);
	proto_buf_free(&b);
}
END_TEST

/* ---- malformed input ---- */

START_TEST(bad_magic)
{
	const uint8_t *pl;
	size_t pn, eo = 999;
	/* A response magic sent to the container and vice versa. */
	ck_assert_int_eq(ajp_packet_parse((const uint8_t *)"AB\x00\x01\x09", 5,
					  AJP_TO_CONTAINER, 0, &pl, &pn, &eo),
			 PROTO_E_AJP_MAGIC);
	ck_assert_uint_eq(eo, 0);
	eo = 999;
	ck_assert_int_eq(ajp_packet_parse((const uint8_t *)"\x12\x34\x00\x01"
							   "\x0a",
					  5, AJP_TO_SERVER, 0, &pl, &pn, &eo),
			 PROTO_E_AJP_MAGIC);
	ck_assert_uint_eq(eo, 0);
	/* Second byte wrong: known after one more byte, not before. */
	ck_assert_int_eq(ajp_packet_parse((const uint8_t *)"\x12", 1,
					  AJP_TO_CONTAINER, 0, &pl, &pn, &eo),
			 PROTO_E_AGAIN);
	eo = 999;
	ck_assert_int_eq(ajp_packet_parse((const uint8_t *)"\x12\x35", 2,
					  AJP_TO_CONTAINER, 0, &pl, &pn, &eo),
			 PROTO_E_AJP_MAGIC);
	ck_assert_uint_eq(eo, 1);
	eo = 999;
	ck_assert_int_eq(ajp_packet_parse((const uint8_t *)"Ab\x00\x01\x09", 5,
					  AJP_TO_SERVER, 0, &pl, &pn, &eo),
			 PROTO_E_AJP_MAGIC);
	ck_assert_uint_eq(eo, 1);
	/* An HTTP request on the AJP port. */
	eo = 999;
	ck_assert_int_eq(ajp_packet_parse((const uint8_t *)"GET / HTTP/1.1", 14,
					  AJP_TO_CONTAINER, 0, &pl, &pn, &eo),
			 PROTO_E_AJP_MAGIC);
	ck_assert_uint_eq(eo, 0);
}
END_TEST

START_TEST(zero_length_payload)
{
	const uint8_t *pl;
	size_t pn, eo = 999;
	ck_assert_int_eq(ajp_packet_parse((const uint8_t *)"\x12\x34\x00\x00",
					  4, AJP_TO_CONTAINER, 0, &pl, &pn,
					  &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 2);
	eo = 999;
	ck_assert_int_eq(ajp_packet_parse((const uint8_t *)"AB\x00\x00", 4,
					  AJP_TO_SERVER, 0, &pl, &pn, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 2);
	/* and every decoder refuses an empty payload at offset 0 */
	const uint8_t empty[1] = {0};
	const uint8_t *d;
	size_t dl;
	bool reuse;
	uint16_t want;
	eo = 999;
	ck_assert_int_eq(ajp_forward_request_decode(empty, 0, &fr_a, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 0);
	eo = 999;
	ck_assert_int_eq(ajp_send_headers_decode(empty, 0, &sh_a, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 0);
	ck_assert_int_eq(ajp_body_chunk_decode(empty, 0, &d, &dl, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_int_eq(ajp_end_response_decode(empty, 0, &reuse, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_int_eq(ajp_get_body_chunk_decode(empty, 0, &want, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_int_eq(ajp_request_body_decode(empty, 0, &d, &dl, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 0);
}
END_TEST

/* A small FORWARD_REQUEST built by hand, then broken in one place.
 * Offsets: 0 type, 1 method, 2 protocol "HTTP/1.1" (2+8+1), 13 uri "/"
 * (2+1+1), 17 remote_addr null, 19 remote_host null, 21 server_name null,
 * 23 port, 25 is_ssl, 26 header count, 28 header code, 30 value "h"
 * (2+1+1), 34 attribute code, 35 attribute value "q" (2+1+1), 39 0xFF. */
static const uint8_t good_fr[] = {
    0x02, 0x02, 0x00, 0x08, 'H',  'T',	'T',  'P',  '/',  '1',
    '.',  '1',	0x00, 0x00, 0x01, '/',	0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0x00, 0x50, 0x00, 0x00, 0x01, 0xa0, 0x0b,
    0x00, 0x01, 'h',  0x00, 0x05, 0x00, 0x01, 'q',  0x00, 0xff,
};

static void expect_fr_error(const uint8_t *p, size_t n, size_t want_off)
{
	size_t eo = 999;
	int rc = ajp_forward_request_decode(p, n, &fr_a, &eo);
	ck_assert_msg(rc == PROTO_E_AJP_SYNTAX, "rc %d", rc);
	ck_assert_uint_eq(eo, want_off);
}

START_TEST(malformed_forward_request)
{
	uint8_t p[sizeof(good_fr) + 4];
	size_t n = sizeof(good_fr), eo = 999;

	ck_assert_int_eq(ajp_forward_request_decode(good_fr, n, &fr_a, &eo), 0);
	ck_assert_ajp_str(fr_a.headers[0].name, "host");
	ck_assert_ajp_str(fr_a.query_string, "q");
	ck_assert_uint_eq(fr_a.server_port, 80);

	/* wrong type */
	memcpy(p, good_fr, n);
	p[0] = 0x04;
	expect_fr_error(p, n, 0);
	/* unknown method codes */
	memcpy(p, good_fr, n);
	p[1] = 28;
	expect_fr_error(p, n, 1);
	p[1] = 0;
	expect_fr_error(p, n, 1);
	/* method byte 0xFF without a stored_method attribute */
	p[1] = 0xff;
	expect_fr_error(p, n, 1);
	/* protocol string running past the end */
	memcpy(p, good_fr, n);
	p[3] = 0x60;
	expect_fr_error(p, n, 2);
	/* missing NUL after the protocol */
	memcpy(p, good_fr, n);
	p[12] = 'X';
	expect_fr_error(p, n, 12);
	/* unknown header code 0xA0FF, and 0xA000, and 0xA00F */
	memcpy(p, good_fr, n);
	p[29] = 0xff;
	expect_fr_error(p, n, 28);
	p[29] = 0x00;
	expect_fr_error(p, n, 28);
	p[29] = 0x0f;
	expect_fr_error(p, n, 28);
	/* a null header name */
	memcpy(p, good_fr, n);
	p[28] = 0xff;
	p[29] = 0xff;
	expect_fr_error(p, n, 28);
	/* header value missing its NUL */
	memcpy(p, good_fr, n);
	p[33] = 'x';
	expect_fr_error(p, n, 33);
	/* more headers announced than sent: the attribute byte 0x05 reads
	 * as a literal name length 0x0500, running past the end */
	memcpy(p, good_fr, n);
	p[27] = 2;
	expect_fr_error(p, n, 34);
	/* too many headers */
	memcpy(p, good_fr, n);
	p[26] = 0x01;
	p[27] = 0x00;
	expect_fr_error(p, n, 26);
	/* unknown attribute codes: 0x0E, 0x00, 0xFE */
	memcpy(p, good_fr, n);
	p[34] = 0x0e;
	expect_fr_error(p, n, 34);
	p[34] = 0x00;
	expect_fr_error(p, n, 34);
	p[34] = 0xfe;
	expect_fr_error(p, n, 34);
	/* truncated attribute: cut after its code, inside its value, and
	 * before the terminator */
	expect_fr_error(good_fr, 35, 35);
	expect_fr_error(good_fr, 36, 35);
	expect_fr_error(good_fr, 38, 38);
	expect_fr_error(good_fr, 39, 39);
	/* a req_attribute with its value missing */
	memcpy(p, good_fr, n);
	p[34] = 0x0a;
	p[39] = 0x00; /* name "q", then a value cut after one byte */
	expect_fr_error(p, 40, 39);
	/* a named attribute whose name is the null string */
	memcpy(p, good_fr, n);
	p[34] = 0x0a;
	p[35] = 0xff;
	p[36] = 0xff;
	expect_fr_error(p, n, 35);
	/* ssl_key_size is an integer: cut short */
	memcpy(p, good_fr, 34);
	p[34] = 0x0b;
	p[35] = 0x01;
	expect_fr_error(p, 36, 35);
	p[36] = 0x00;
	p[37] = 0xff;
	eo = 999;
	ck_assert_int_eq(ajp_forward_request_decode(p, 38, &fr_a, &eo), 0);
	ck_assert_uint_eq(fr_a.ssl_key_size, 256);
	/* bytes after the terminator */
	memcpy(p, good_fr, n);
	p[n] = 0x00;
	expect_fr_error(p, n + 1, n);
}
END_TEST

START_TEST(malformed_response_messages)
{
	size_t eo = 999;
	/* SEND_HEADERS 200 "OK", one header coded 0xA0FF */
	uint8_t sh[] = {0x04, 0x00, 0xc8, 0x00, 0x02, 'O',  'K', 0x00,
			0x00, 0x01, 0xa0, 0xff, 0x00, 0x01, 'x', 0x00};
	ck_assert_int_eq(ajp_send_headers_decode(sh, sizeof(sh), &sh_a, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 10);
	sh[11] = 0x0c; /* one past WWW-Authenticate */
	eo = 999;
	ck_assert_int_eq(ajp_send_headers_decode(sh, sizeof(sh), &sh_a, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 10);
	sh[11] = 0x0b;
	ck_assert_int_eq(ajp_send_headers_decode(sh, sizeof(sh), &sh_a, &eo),
			 0);
	ck_assert_ajp_str(sh_a.headers[0].name, "WWW-Authenticate");
	/* message without its NUL */
	sh[7] = '!';
	eo = 999;
	ck_assert_int_eq(ajp_send_headers_decode(sh, sizeof(sh), &sh_a, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 7);
	sh[7] = 0;
	/* message length running past the end */
	sh[4] = 0x40;
	eo = 999;
	ck_assert_int_eq(ajp_send_headers_decode(sh, sizeof(sh), &sh_a, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 3);

	/* body chunk whose length disagrees with the payload, or lacks the
	 * trailing byte mod_proxy_ajp requires */
	const uint8_t *d;
	size_t dl;
	const uint8_t bc[] = {0x03, 0x00, 0x03, 'a', 'b', 'c', 0x00};
	ck_assert_int_eq(ajp_body_chunk_decode(bc, sizeof(bc), &d, &dl, &eo),
			 0);
	ck_assert_uint_eq(dl, 3);
	eo = 999;
	ck_assert_int_eq(ajp_body_chunk_decode(bc, 6, &d, &dl, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 1);
	eo = 999;
	ck_assert_int_eq(ajp_body_chunk_decode(bc, 2, &d, &dl, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 1);
	/* wrong type for each small decoder */
	bool reuse;
	uint16_t want;
	eo = 999;
	ck_assert_int_eq(ajp_end_response_decode((const uint8_t *)"\x06\x01", 2,
						 &reuse, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 0);
	eo = 999;
	ck_assert_int_eq(ajp_get_body_chunk_decode((const uint8_t *)"\x05\x01",
						   2, &want, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 0);
	/* END_RESPONSE too long; any non-zero reuse byte means reuse */
	eo = 999;
	ck_assert_int_eq(ajp_end_response_decode(
			     (const uint8_t *)"\x05\x01\x00", 3, &reuse, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 2);
	ck_assert_int_eq(ajp_end_response_decode((const uint8_t *)"\x05\x02", 2,
						 &reuse, &eo),
			 0);
	ck_assert(reuse);
	/* GET_BODY_CHUNK cut short */
	eo = 999;
	ck_assert_int_eq(ajp_get_body_chunk_decode((const uint8_t *)"\x06\x1f",
						   2, &want, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 1);
	/* request body whose length disagrees */
	eo = 999;
	ck_assert_int_eq(ajp_request_body_decode((const uint8_t *)"\x00\x05"
								  "abc",
						 5, &d, &dl, &eo),
			 PROTO_E_AJP_SYNTAX);
	ck_assert_uint_eq(eo, 0);
}
END_TEST

START_TEST(encoder_refusals)
{
	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(proto_buf_append_str(&b, "keep"), 0);
	struct ajp_forward_request *r = &fr_a;

	memset(r, 0, sizeof(*r)); /* no method at all */
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), PROTO_E_INVAL);
	r->method_code = 28;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), PROTO_E_INVAL);
	r->method_code = AJP_METHOD_STORED; /* and no name to store */
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), PROTO_E_INVAL);
	r->method_code = 2;
	r->headers[r->nheaders++] = P("X", "y");
	r->headers[0].code = 0xA0FF;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), PROTO_E_INVAL);
	r->headers[0].code = 0;
	r->headers[0].name.s = NULL;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), PROTO_E_INVAL);
	r->nheaders = 0;
	r->attributes[r->nattributes++] = P("ssl_key_size", "256");
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), PROTO_E_INVAL);
	r->attributes[0] = P("x", "y");
	r->attributes[0].code = 0x0E;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 0), PROTO_E_INVAL);
	r->nattributes = 0;
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 7), PROTO_E_INVAL);
	ck_assert_int_eq(ajp_forward_request_encode(&b, r, 65537),
			 PROTO_E_INVAL);
	ck_assert_int_eq(ajp_body_chunk_encode(&b, "x", 1, 65537),
			 PROTO_E_INVAL);
	ck_assert_int_eq(ajp_request_body_encode(&b, "x", 1, 1), PROTO_E_INVAL);
	ck_assert_uint_eq(proto_buf_size(&b), 4);
	ck_assert_mem_eq(proto_buf_head(&b), "keep", 4);

	/* A literal name 0xA000 bytes long would read as a code. */
	char *big = malloc(0xA000);
	memset(big, 'n', 0xA000);
	memset(&sh_a, 0, sizeof(sh_a));
	sh_a.headers[sh_a.nheaders++] = P("", "v");
	struct ajp_str name = {big, 0xA000};
	sh_a.headers[0].name = name;
	ck_assert_int_eq(ajp_send_headers_encode(&b, &sh_a, AJP_PACKET_MAX),
			 PROTO_E_INVAL);
	sh_a.headers[0].name.len = 0x9FFF;
	ck_assert_int_eq(ajp_send_headers_encode(&b, &sh_a, AJP_PACKET_MAX), 0);
	ck_assert_uint_eq(proto_buf_size(&b),
			  4 + 4 + 1 + 2 + 2 + 2 + 2 + 0x9FFF + 1 + 2 + 1 + 1);
	free(big);
	proto_buf_free(&b);
}
END_TEST

/* ---- tables ---- */

START_TEST(lookup_tables)
{
	ck_assert_str_eq(ajp_request_header_name(0xA001), "accept");
	ck_assert_str_eq(ajp_request_header_name(0xA00E), "user-agent");
	ck_assert_ptr_null(ajp_request_header_name(0xA000));
	ck_assert_ptr_null(ajp_request_header_name(0xA00F));
	ck_assert_ptr_null(ajp_request_header_name(0xA0FF));
	ck_assert_uint_eq(ajp_request_header_code("Host", 4), 0xA00B);
	ck_assert_uint_eq(ajp_request_header_code("HOST", 4), 0xA00B);
	ck_assert_uint_eq(ajp_request_header_code("Accept-Language", 15),
			  0xA004);
	ck_assert_uint_eq(ajp_request_header_code("Accept", 6), 0xA001);
	ck_assert_uint_eq(ajp_request_header_code("Accept-X", 8), 0);
	ck_assert_uint_eq(ajp_request_header_code("Host: x", 4), 0xA00B);
	ck_assert_uint_eq(ajp_request_header_code("Hos", 3), 0);
	ck_assert_uint_eq(ajp_request_header_code("Upgrade", 7), 0);
	ck_assert_uint_eq(ajp_request_header_code("Content-Type", 12), 0xA007);
	for (uint16_t c = 0xA001; c <= 0xA00E; c++) {
		const char *n = ajp_request_header_name(c);
		ck_assert_uint_eq(ajp_request_header_code(n, strlen(n)), c);
	}

	ck_assert_str_eq(ajp_response_header_name(0xA001), "Content-Type");
	ck_assert_str_eq(ajp_response_header_name(0xA00B), "WWW-Authenticate");
	ck_assert_ptr_null(ajp_response_header_name(0xA00C));
	ck_assert_uint_eq(ajp_response_header_code("content-length", 14),
			  0xA003);
	ck_assert_uint_eq(ajp_response_header_code("Connection", 10), 0);
	for (uint16_t c = 0xA001; c <= 0xA00B; c++) {
		const char *n = ajp_response_header_name(c);
		ck_assert_uint_eq(ajp_response_header_code(n, strlen(n)), c);
	}

	ck_assert_uint_eq(ajp_method_code("GET", 3), 2);
	ck_assert_uint_eq(ajp_method_code("OPTIONS", 7), 1);
	ck_assert_uint_eq(ajp_method_code("VERSION-CONTROL", 15), 17);
	ck_assert_uint_eq(ajp_method_code("BASELINE-CONTROL", 16), 26);
	ck_assert_uint_eq(ajp_method_code("MKACTIVITY", 10), 27);
	ck_assert_uint_eq(ajp_method_code("get", 3), 0);
	ck_assert_uint_eq(ajp_method_code("PATCH", 5), 0);
	ck_assert_str_eq(ajp_method_name(4), "POST");
	ck_assert_str_eq(ajp_method_name(21), "SEARCH");
	ck_assert_ptr_null(ajp_method_name(0));
	ck_assert_ptr_null(ajp_method_name(28));
	ck_assert_ptr_null(ajp_method_name(AJP_METHOD_STORED));
}
END_TEST

static Suite *ajp_suite(void)
{
	Suite *s = suite_create("ajp");
	TCase *tc = tcase_create("capture");
	tcase_add_test(tc, capture_forward_request);
	tcase_add_test(tc, capture_send_headers);
	tcase_add_test(tc, capture_body_and_end);
	suite_add_tcase(s, tc);

	tc = tcase_create("split");
	tcase_add_test(tc, split_every_offset);
	tcase_add_test(tc, stream_bytewise);
	tcase_add_test(tc, truncated_payloads);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_add_test(tc, roundtrip_forward_request);
	tcase_add_test(tc, roundtrip_stored_method);
	tcase_add_test(tc, roundtrip_response_messages);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, limit_8k_parse);
	tcase_add_test(tc, limit_8k_encoders);
	tcase_add_test(tc, limit_64k_works);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, bad_magic);
	tcase_add_test(tc, zero_length_payload);
	tcase_add_test(tc, malformed_forward_request);
	tcase_add_test(tc, malformed_response_messages);
	tcase_add_test(tc, encoder_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_add_test(tc, lookup_tables);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(ajp_suite)
