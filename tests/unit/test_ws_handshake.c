/* Unit tests for the RFC 6455 opening handshake (proto/ws_handshake.h):
 * the accept value against RFC 6455 and a measured Chromium/Tomcat pair,
 * request checks as a server, response checks with the messages a
 * browser prints. Vectors come from tests/data/http1/. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_util.h"
#include "http1.h"
#include "proto_buf.h"
#include "proto_err.h"
#include "ws_handshake.h"

static const char design_key[] = "1YXdn36vGUkl8mPIFX5KkA==";

static struct http1_head head; /* big: keep it off the stack */

static char *read_data(const char *name, size_t *len)
{
	char p[256];
	snprintf(p, sizeof(p), "http1/%s", name);
	return test_read_data(p, len);
}

static void parse_req(const char *s)
{
	size_t n = strlen(s);
	ck_assert_int_eq(http1_parse_request(s, n, &head, NULL, NULL), (int)n);
}

static void parse_resp(const char *s)
{
	size_t n = strlen(s);
	ck_assert_int_eq(http1_parse_response(s, n, &head, NULL, NULL), (int)n);
}

/* ---- keys and accept values ------------------------------------------ */

START_TEST(accept_vectors)
{
	char out[WS_ACCEPT_LEN + 1];
	/* RFC 6455 section 1.3. */
	const char *rfc = "dGhlIHNhbXBsZSBub25jZQ==";
	ck_assert_int_eq(ws_hs_accept(rfc, strlen(rfc), out), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* Chromium 156 and Tomcat 10.1 on the wire (DESIGN.md 5). */
	ck_assert_int_eq(ws_hs_accept(design_key, strlen(design_key), out), 0);
	ck_assert_str_eq(out, "i+oY0VDOcFvQIa/B7VCbFvvbBgc=");
	/* Only key_len bytes count. */
	ck_assert_int_eq(ws_hs_accept("dGhlIHNhbXBsZSBub25jZQ==junk", 24, out),
			 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_uint_eq(strlen(out), WS_ACCEPT_LEN);
}
END_TEST

START_TEST(key_new)
{
	char a[WS_KEY_LEN + 1], b[WS_KEY_LEN + 1];
	memset(a, 'x', sizeof(a));
	ck_assert_int_eq(ws_hs_key_new(a), 0);
	ck_assert_int_eq(ws_hs_key_new(b), 0);
	ck_assert_uint_eq(strlen(a), WS_KEY_LEN);
	ck_assert_str_ne(a, b); /* 2^-128 to fail by chance */
	unsigned char raw[32];
	/* Base64 of 16 bytes: 18 decoded with the padding, "==" at the end. */
	ck_assert_int_eq(EVP_DecodeBlock(raw, (unsigned char *)a, WS_KEY_LEN),
			 18);
	ck_assert_str_eq(a + 22, "==");

	/* A server accepts it, and a client accepts the server's answer. */
	char accept[WS_ACCEPT_LEN + 1];
	ck_assert_int_eq(ws_hs_accept(a, strlen(a), accept), 0);
	struct proto_buf req = PROTO_BUF_INIT, resp = PROTO_BUF_INIT;
	ck_assert_int_eq(http1_build_request_line(&req, "GET", "/", 1), 0);
	ck_assert_int_eq(http1_build_header(&req, "Host", "a"), 0);
	ck_assert_int_eq(http1_build_header(&req, "Upgrade", "websocket"), 0);
	ck_assert_int_eq(http1_build_header(&req, "Connection", "Upgrade"), 0);
	ck_assert_int_eq(http1_build_header(&req, "Sec-WebSocket-Key", a), 0);
	ck_assert_int_eq(
	    http1_build_header(&req, "Sec-WebSocket-Version", "13"), 0);
	ck_assert_int_eq(proto_buf_append_str(&req, "\r\n"), 0);
	ck_assert_int_eq(http1_parse_request((const char *)proto_buf_head(&req),
					     proto_buf_size(&req), &head, NULL,
					     NULL),
			 (int)proto_buf_size(&req));
	struct ws_hs_request info;
	const char *why = "unset";
	ck_assert_int_eq(ws_hs_check_request(&head, &info, &why), 0);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(info.key_len, WS_KEY_LEN);
	ck_assert_mem_eq(info.key, a, WS_KEY_LEN);

	ck_assert_int_eq(http1_build_status_line(&resp, 1, 101, ""), 0);
	ck_assert_int_eq(http1_build_header(&resp, "Upgrade", "websocket"), 0);
	ck_assert_int_eq(http1_build_header(&resp, "Connection", "upgrade"), 0);
	ck_assert_int_eq(
	    http1_build_header(&resp, "Sec-WebSocket-Accept", accept), 0);
	ck_assert_int_eq(proto_buf_append_str(&resp, "\r\n"), 0);
	ck_assert_int_eq(
	    http1_parse_response((const char *)proto_buf_head(&resp),
				 proto_buf_size(&resp), &head, NULL, NULL),
	    (int)proto_buf_size(&resp));
	ck_assert_int_eq(ws_hs_check_response(&head, a, false, NULL, &why), 0);
	/* ...but not with the other key. */
	ck_assert_int_eq(ws_hs_check_response(&head, b, false, NULL, &why),
			 PROTO_E_WS_HANDSHAKE);
	ck_assert_str_eq(why, "Incorrect 'Sec-WebSocket-Accept' header value");
	proto_buf_free(&req);
	proto_buf_free(&resp);
}
END_TEST

/* ---- the server's side ------------------------------------------------- */

START_TEST(is_upgrade)
{
	size_t len;
	char *buf = read_data("chromium_upgrade.req", &len);
	ck_assert_int_eq(http1_parse_request(buf, len, &head, NULL, NULL),
			 (int)len);
	ck_assert(ws_hs_is_upgrade(&head));
	free(buf);
	/* nginx without the upgrade headers: a plain GET. */
	buf = read_data("nginx_http10.req", &len);
	ck_assert_int_eq(http1_parse_request(buf, len, &head, NULL, NULL),
			 (int)len);
	ck_assert(!ws_hs_is_upgrade(&head));
	free(buf);

	/* Firefox's token list, and any letter case. */
	parse_req("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, "
		  "Upgrade\r\nUpgrade: websocket\r\n\r\n");
	ck_assert(ws_hs_is_upgrade(&head));
	parse_req("GET / HTTP/1.1\r\nhost: a\r\nCONNECTION: UPGRADE\r\n"
		  "upgrade: WebSocket\r\n\r\n");
	ck_assert(ws_hs_is_upgrade(&head));
	/* Split over two Connection fields. */
	parse_req("GET / HTTP/1.1\r\nConnection: keep-alive\r\n"
		  "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n");
	ck_assert(ws_hs_is_upgrade(&head));
	/* Apache's ProxyPass http:// without upgrade=websocket. */
	parse_req(
	    "GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive\r\n\r\n");
	ck_assert(!ws_hs_is_upgrade(&head));
	parse_req("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: "
		  "h2c\r\n\r\n");
	ck_assert(!ws_hs_is_upgrade(&head));
	parse_req("GET / HTTP/1.1\r\nConnection: Upgrades\r\nUpgrade: "
		  "websocket\r\n\r\n");
	ck_assert(!ws_hs_is_upgrade(&head));
	parse_req("POST / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: "
		  "websocket\r\n\r\n");
	ck_assert(!ws_hs_is_upgrade(&head));
	parse_req("get / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: "
		  "websocket\r\n\r\n");
	ck_assert(!ws_hs_is_upgrade(&head));
}
END_TEST

START_TEST(check_request_chromium)
{
	size_t len;
	char *buf = read_data("chromium_upgrade.req", &len);
	ck_assert_int_eq(http1_parse_request(buf, len, &head, NULL, NULL),
			 (int)len);
	struct ws_hs_request info;
	const char *why = "unset";
	ck_assert_int_eq(ws_hs_check_request(&head, &info, &why), 0);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(info.key_len, strlen(design_key));
	ck_assert_mem_eq(info.key, design_key, info.key_len);
	ck_assert_ptr_null(info.protocols);
	ck_assert_uint_eq(info.extensions_len,
			  strlen("permessage-deflate; client_max_window_bits"));
	ck_assert_mem_eq(info.extensions,
			 "permessage-deflate; client_max_window_bits",
			 info.extensions_len);
	ck_assert_uint_eq(info.origin_len, strlen("http://127.0.0.1:18080"));
	ck_assert_mem_eq(info.origin, "http://127.0.0.1:18080",
			 info.origin_len);
	/* Pointers into the request. */
	ck_assert(info.key > buf && info.key < buf + len);
	free(buf);

	parse_req("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		  "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n");
	ck_assert_int_eq(ws_hs_check_request(&head, &info, &why), 0);
	ck_assert_uint_eq(info.protocols_len, 15);
	ck_assert_mem_eq(info.protocols, "chat, superchat", 15);
	ck_assert_ptr_null(info.extensions);
	ck_assert_ptr_null(info.origin);
}
END_TEST

#define REQ_HEAD "GET /ws HTTP/1.1\r\nHost: a\r\n"
#define REQ_UPGRADE "Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define REQ_KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define REQ_VERSION "Sec-WebSocket-Version: 13\r\n"

static const struct bad_request {
	const char *in;
	const char *why;
} bad_requests[] = {
    {"POST /ws HTTP/1.1\r\nHost: a\r\n" REQ_UPGRADE REQ_KEY REQ_VERSION "\r\n",
     "Upgrade request method must be GET"},
    {"GET /ws HTTP/1.0\r\nHost: a\r\n" REQ_UPGRADE REQ_KEY REQ_VERSION "\r\n",
     "Upgrade request must be HTTP/1.1"},
    {"GET /ws HTTP/1.1\r\n" REQ_UPGRADE REQ_KEY REQ_VERSION "\r\n",
     "'Host' header is missing"},
    {REQ_HEAD "Connection: Upgrade\r\n" REQ_KEY REQ_VERSION "\r\n",
     "'Upgrade' header is missing"},
    {REQ_HEAD "Upgrade: h2c\r\nConnection: Upgrade\r\n" REQ_KEY REQ_VERSION
	      "\r\n",
     "'Upgrade' header value must contain 'websocket'"},
    {REQ_HEAD "Upgrade: websocket\r\n" REQ_KEY REQ_VERSION "\r\n",
     "'Connection' header is missing"},
    {REQ_HEAD
     "Upgrade: websocket\r\nConnection: keep-alive\r\n" REQ_KEY REQ_VERSION
     "\r\n",
     "'Connection' header value must contain 'Upgrade'"},
    {REQ_HEAD REQ_UPGRADE REQ_KEY "\r\n",
     "'Sec-WebSocket-Version' header is missing"},
    {REQ_HEAD REQ_UPGRADE REQ_KEY "Sec-WebSocket-Version: 8\r\n\r\n",
     "Unsupported 'Sec-WebSocket-Version' (only 13 is supported)"},
    {REQ_HEAD REQ_UPGRADE REQ_KEY "Sec-WebSocket-Version: 13, 8\r\n\r\n",
     "Unsupported 'Sec-WebSocket-Version' (only 13 is supported)"},
    {REQ_HEAD REQ_UPGRADE REQ_VERSION "\r\n",
     "'Sec-WebSocket-Key' header is missing"},
    {REQ_HEAD REQ_UPGRADE REQ_VERSION REQ_KEY REQ_KEY "\r\n",
     "'Sec-WebSocket-Key' header must not appear more than once"},
    /* 15 bytes: "dGhlIHNhbXBsZSBub25j" + padding. */
    {REQ_HEAD REQ_UPGRADE REQ_VERSION
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\n\r\n",
     "'Sec-WebSocket-Key' header value is not the base64 of 16 bytes"},
    /* 24 characters, but 17 bytes. */
    {REQ_HEAD REQ_UPGRADE REQ_VERSION
     "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
     "'Sec-WebSocket-Key' header value is not the base64 of 16 bytes"},
    {REQ_HEAD REQ_UPGRADE REQ_VERSION
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=!\r\n\r\n",
     "'Sec-WebSocket-Key' header value is not the base64 of 16 bytes"},
    {REQ_HEAD REQ_UPGRADE REQ_VERSION
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2*jZQ==\r\n\r\n",
     "'Sec-WebSocket-Key' header value is not the base64 of 16 bytes"},
    /* A valid key with more after it. */
    {REQ_HEAD REQ_UPGRADE REQ_VERSION
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==AAAA\r\n\r\n",
     "'Sec-WebSocket-Key' header value is not the base64 of 16 bytes"},
    {REQ_HEAD REQ_UPGRADE REQ_VERSION "Sec-WebSocket-Key:\r\n\r\n",
     "'Sec-WebSocket-Key' header value is not the base64 of 16 bytes"},
};

START_TEST(check_request_rejects)
{
	const struct bad_request *c = &bad_requests[_i];
	parse_req(c->in);
	struct ws_hs_request info;
	const char *why = NULL;
	ck_assert_int_eq(ws_hs_check_request(&head, &info, &why),
			 PROTO_E_WS_HANDSHAKE);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, c->why);
	/* A NULL why is allowed. */
	ck_assert_int_eq(ws_hs_check_request(&head, &info, NULL),
			 PROTO_E_WS_HANDSHAKE);
}
END_TEST

/* ---- the client's side ------------------------------------------------- */

START_TEST(check_response_tomcat)
{
	size_t len;
	char *buf = read_data("tomcat_101.resp", &len);
	ck_assert_int_eq(http1_parse_response(buf, len, &head, NULL, NULL),
			 (int)len);
	ck_assert_uint_eq(head.reason_len, 0); /* "101 " */
	const char *why = "unset";
	ck_assert_int_eq(
	    ws_hs_check_response(&head, design_key, true, NULL, &why), 0);
	ck_assert_ptr_null(why);
	/* The same answer to a client that offered no extension. */
	ck_assert_int_eq(
	    ws_hs_check_response(&head, design_key, false, NULL, &why),
	    PROTO_E_WS_HANDSHAKE);
	ck_assert_str_eq(why, "Response must not include "
			      "'Sec-WebSocket-Extensions' header if not "
			      "present in request");
	/* ...or that sent another key. */
	ck_assert_int_eq(ws_hs_check_response(&head, "dGhlIHNhbXBsZSBub25jZQ==",
					      true, NULL, &why),
			 PROTO_E_WS_HANDSHAKE);
	ck_assert_str_eq(why, "Incorrect 'Sec-WebSocket-Accept' header value");
	/* ...or asked for a sub-protocol. */
	ck_assert_int_eq(
	    ws_hs_check_response(&head, design_key, true, "chat", &why),
	    PROTO_E_WS_HANDSHAKE);
	ck_assert_str_eq(why, "Sent non-empty 'Sec-WebSocket-Protocol' header "
			      "but no response was received");
	free(buf);
}
END_TEST

START_TEST(check_response_apache_500)
{
	/* Accept and Upgrade are right, the status is not (DESIGN.md 6). */
	size_t len;
	char *buf = read_data("apache_ajp_500.resp", &len);
	ck_assert_int_gt(http1_parse_response(buf, len, &head, NULL, NULL), 0);
	const char *why = NULL;
	ck_assert_int_eq(
	    ws_hs_check_response(&head, design_key, true, NULL, &why),
	    PROTO_E_WS_HANDSHAKE);
	ck_assert_str_eq(why, "Unexpected response code: 500");
	free(buf);
	parse_resp("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n");
	ck_assert_int_eq(
	    ws_hs_check_response(&head, design_key, true, NULL, &why),
	    PROTO_E_WS_HANDSHAKE);
	ck_assert_str_eq(why, "Unexpected response code: 404");
	parse_resp("HTTP/1.1 200 OK\r\n\r\n");
	ck_assert_int_eq(
	    ws_hs_check_response(&head, design_key, true, NULL, NULL),
	    PROTO_E_WS_HANDSHAKE);
}
END_TEST

#define RESP_101 "HTTP/1.1 101 Switching Protocols\r\n"
#define RESP_UPGRADE "Upgrade: websocket\r\n"
#define RESP_CONN "Connection: Upgrade\r\n"
#define RESP_ACCEPT "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"

static const struct resp_case {
	const char *in;
	bool offered_ext;
	const char *protocols;
	const char *why; /* NULL: opens */
} resp_cases[] = {
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT "\r\n", false, NULL, NULL},
    /* Empty reason, no space, odd letter case, a token list. */
    {"HTTP/1.1 101\r\nupgrade: WebSocket\r\nCONNECTION: keep-alive, "
     "upgrade\r\n" RESP_ACCEPT "\r\n",
     false, NULL, NULL},
    {"HTTP/1.1 101 \r\n" RESP_UPGRADE RESP_CONN RESP_ACCEPT "\r\n", false, NULL,
     NULL},
    {RESP_101 RESP_CONN RESP_ACCEPT "\r\n", false, NULL,
     "'Upgrade' header is missing"},
    {RESP_101 "Upgrade: h2c\r\n" RESP_CONN RESP_ACCEPT "\r\n", false, NULL,
     "'Upgrade' header value is not 'WebSocket': h2c"},
    {RESP_101 "Upgrade: websocket, h2c\r\n" RESP_CONN RESP_ACCEPT "\r\n", false,
     NULL, "'Upgrade' header must not appear more than once in a response"},
    {RESP_101 RESP_UPGRADE RESP_UPGRADE RESP_CONN RESP_ACCEPT "\r\n", false,
     NULL, "'Upgrade' header must not appear more than once in a response"},
    {RESP_101 RESP_UPGRADE RESP_CONN "\r\n", false, NULL,
     "'Sec-WebSocket-Accept' header is missing"},
    {RESP_101 RESP_UPGRADE RESP_CONN
     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n\r\n",
     false, NULL, "Incorrect 'Sec-WebSocket-Accept' header value"},
    {RESP_101 RESP_UPGRADE RESP_CONN
     "Sec-WebSocket-Accept: S3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
     false, NULL, "Incorrect 'Sec-WebSocket-Accept' header value"},
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT RESP_ACCEPT "\r\n", false,
     NULL,
     "'Sec-WebSocket-Accept' header must not appear more than once in a "
     "response"},
    {RESP_101 RESP_UPGRADE RESP_ACCEPT "\r\n", false, NULL,
     "'Connection' header is missing"},
    {RESP_101 RESP_UPGRADE "Connection: close\r\n" RESP_ACCEPT "\r\n", false,
     NULL, "'Connection' header value must contain 'Upgrade'"},
    /* Extensions. */
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT
     "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
     false, NULL,
     "Response must not include 'Sec-WebSocket-Extensions' header if not "
     "present in request"},
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT
     "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
     true, NULL, NULL},
    /* Sub-protocols. */
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT
     "Sec-WebSocket-Protocol: chat\r\n\r\n",
     false, NULL,
     "Response must not include 'Sec-WebSocket-Protocol' header if not "
     "present in request: chat"},
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT
     "Sec-WebSocket-Protocol: chat\r\n\r\n",
     false, "", /* an empty offer is no offer */
     "Response must not include 'Sec-WebSocket-Protocol' header if not "
     "present in request: chat"},
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT
     "Sec-WebSocket-Protocol: chat\r\n\r\n",
     false, "superchat, chat", NULL},
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT
     "Sec-WebSocket-Protocol: chat\r\n\r\n",
     false, "superchat,Chat",
     "'Sec-WebSocket-Protocol' header value 'chat' in response does not "
     "match any of sent values"},
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT
     "Sec-WebSocket-Protocol: cha\r\n\r\n",
     false, "chat",
     "'Sec-WebSocket-Protocol' header value 'cha' in response does not "
     "match any of sent values"},
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT
     "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n",
     false, "chat, superchat",
     "'Sec-WebSocket-Protocol' header must not appear more than once in a "
     "response"},
    {RESP_101 RESP_UPGRADE RESP_CONN RESP_ACCEPT "\r\n", false, "chat",
     "Sent non-empty 'Sec-WebSocket-Protocol' header but no response was "
     "received"},
};

START_TEST(check_response_cases)
{
	const struct resp_case *c = &resp_cases[_i];
	parse_resp(c->in);
	const char *why = "unset";
	int rc = ws_hs_check_response(&head, "dGhlIHNhbXBsZSBub25jZQ==",
				      c->offered_ext, c->protocols, &why);
	if (!c->why) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, why ? why : "?");
		ck_assert_ptr_null(why);
	} else {
		ck_assert_int_eq(rc, PROTO_E_WS_HANDSHAKE);
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(why, c->why);
	}
}
END_TEST

START_TEST(long_value_is_cut)
{
	char in[1024];
	char junk[601];
	memset(junk, 'u', 600);
	junk[600] = '\0';
	snprintf(in, sizeof(in), RESP_101 "Upgrade: %s\r\n\r\n", junk);
	parse_resp(in);
	const char *why = NULL;
	ck_assert_int_eq(ws_hs_check_response(&head, "dGhlIHNhbXBsZSBub25jZQ==",
					      false, NULL, &why),
			 PROTO_E_WS_HANDSHAKE);
	const char *pre = "'Upgrade' header value is not 'WebSocket': ";
	ck_assert_uint_eq(strlen(why), strlen(pre) + 100);
	ck_assert_mem_eq(why, pre, strlen(pre));
}
END_TEST

static Suite *ws_handshake_suite(void)
{
	Suite *s = suite_create("ws_handshake");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, accept_vectors);
	tcase_add_test(tc, key_new);
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_add_test(tc, is_upgrade);
	tcase_add_test(tc, check_request_chromium);
	tcase_add_loop_test(
	    tc, check_request_rejects, 0,
	    (int)(sizeof(bad_requests) / sizeof(bad_requests[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_add_test(tc, check_response_tomcat);
	tcase_add_test(tc, check_response_apache_500);
	tcase_add_loop_test(tc, check_response_cases, 0,
			    (int)(sizeof(resp_cases) / sizeof(resp_cases[0])));
	tcase_add_test(tc, long_value_is_cut);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(ws_handshake_suite)
