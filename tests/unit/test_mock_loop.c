/* The mock Tomcat on a real libuv loop, driven over loopback by blocking
 * sockets from the test thread: the websocket echo at frame level, Tomcat's
 * 8192-byte partial echo, pipelined requests, bad requests, AJP upgrade
 * refusal and connection reuse, and shutdown (close 1001 to open
 * sessions). Every test ends with uv_loop_close() == 0, so a leaked handle
 * fails it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include "ajp.h"
#include "check_main.h"
#include "http1.h"
#include "mock_tomcat.h"
#include "proto_err.h"
#include "ws_frame.h"

struct fixture {
	uv_loop_t loop;
	uv_async_t stop;
	struct mock_tomcat *m;
	pthread_t thread;
	int port[MOCK_NCONNECTORS];
};

static struct fixture fx;

static void stopped(void *arg)
{
	(void)arg;
	uv_close((uv_handle_t *)&fx.stop, NULL);
}

static void on_stop(uv_async_t *a)
{
	(void)a;
	mock_tomcat_stop(fx.m, 500, stopped, NULL);
}

static void *run_loop(void *arg)
{
	(void)arg;
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	return NULL;
}

static void start_mock(void)
{
	struct mock_config cfg;
	mock_config_init(&cfg);
	cfg.port[MOCK_HTTP] = 0;
	cfg.port[MOCK_AJP] = 0;
	ck_assert_int_eq(uv_loop_init(&fx.loop), 0);
	char err[256];
	ck_assert_int_eq(
	    mock_tomcat_start(&fx.loop, &cfg, &fx.m, err, sizeof(err)), 0);
	for (int c = 0; c < MOCK_NCONNECTORS; c++)
		fx.port[c] = mock_tomcat_port(fx.m, (enum mock_connector)c);
	ck_assert_int_gt(fx.port[MOCK_HTTP], 0);
	ck_assert_int_eq(fx.port[MOCK_HTTPS], -1);
	uv_async_init(&fx.loop, &fx.stop, on_stop);
	ck_assert_int_eq(pthread_create(&fx.thread, NULL, run_loop, NULL), 0);
}

static void stop_mock(void)
{
	uv_async_send(&fx.stop);
	pthread_join(fx.thread, NULL);
	mock_tomcat_free(fx.m);
	ck_assert_int_eq(uv_loop_close(&fx.loop), 0);
}

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		ck_assert_int_gt(w, 0);
		b += w;
		n -= (size_t)w;
	}
}

/* Read exactly n bytes (fails on timeout or EOF). */
static void recv_exact(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n > 0) {
		ssize_t r = recv(fd, b, n, 0);
		ck_assert_msg(r > 0, "recv: %zd (wanted %zu more bytes)", r, n);
		b += r;
		n -= (size_t)r;
	}
}

/* Read a response head (up to the blank line) into buf. */
static size_t recv_head(int fd, char *buf, size_t cap)
{
	size_t n = 0, scan = 0;
	for (;;) {
		ck_assert_uint_lt(n, cap);
		ssize_t r = recv(fd, buf + n, 1, 0);
		ck_assert_int_eq(r, 1);
		n++;
		if (http1_head_end(buf, n, &scan))
			return n;
	}
}

static void send_frame(int fd, bool fin, uint8_t op, const void *p, size_t n)
{
	uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
	uint8_t h[WS_MAX_HEADER];
	size_t hl = ws_frame_hdr_encode(h, fin, 0, op, mask, n);
	uint8_t *buf = malloc(hl + n);
	memcpy(buf, h, hl);
	memcpy(buf + hl, p, n);
	ws_mask(buf + hl, n, mask, 0);
	send_all(fd, buf, hl + n);
	free(buf);
}

/* Read one server frame: header into *h, payload into a malloc'd buffer. */
static uint8_t *recv_frame(int fd, struct ws_frame_hdr *h)
{
	uint8_t hb[WS_MAX_HEADER];
	recv_exact(fd, hb, 2);
	size_t need = 2;
	int r;
	while ((r = ws_frame_hdr_parse(hb, need, h)) == PROTO_E_AGAIN) {
		recv_exact(fd, hb + need, 1);
		need++;
	}
	ck_assert_int_gt(r, 0);
	ck_assert(!h->masked);
	uint8_t *p = malloc(h->len + 1);
	recv_exact(fd, p, h->len);
	p[h->len] = 0;
	return p;
}

static int upgrade(const char *path)
{
	int fd = dial(fx.port[MOCK_HTTP]);
	char req[512];
	snprintf(
	    req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: "
	    "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    path);
	send_all(fd, req, strlen(req));
	char head[2048];
	size_t n = recv_head(fd, head, sizeof(head));
	struct http1_head h;
	ck_assert_int_eq(http1_parse_response(head, n, &h, NULL, NULL), (int)n);
	ck_assert_int_eq(h.status, 101);
	ck_assert_uint_eq(h.reason_len, 0); /* "HTTP/1.1 101 " */
	const struct http1_header *acc = http1_find(&h, "Sec-WebSocket-Accept");
	ck_assert_ptr_nonnull(acc);
	ck_assert_int_eq(acc->value_len, 28);
	ck_assert_mem_eq(acc->value, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28);
	ck_assert_ptr_null(http1_find(&h, "Sec-WebSocket-Extensions"));
	return fd;
}

START_TEST(echo_and_close)
{
	start_mock();
	int fd = upgrade("/examples/websocket/echoProgrammatic");
	send_frame(fd, true, WS_OP_TEXT, "hello", 5);
	struct ws_frame_hdr h;
	uint8_t *p = recv_frame(fd, &h);
	ck_assert(h.fin);
	ck_assert_uint_eq(h.opcode, WS_OP_TEXT);
	ck_assert_str_eq((char *)p, "hello");
	free(p);
	send_frame(fd, true, WS_OP_PING, "ping!!", 6);
	p = recv_frame(fd, &h);
	ck_assert_uint_eq(h.opcode, WS_OP_PONG);
	ck_assert_str_eq((char *)p, "ping!!");
	free(p);
	uint8_t cp[WS_MAX_CONTROL];
	int cl = ws_close_payload(cp, 1000, "bye", 3);
	send_frame(fd, true, WS_OP_CLOSE, cp, (size_t)cl);
	p = recv_frame(fd, &h);
	ck_assert_uint_eq(h.opcode, WS_OP_CLOSE);
	ck_assert_uint_eq(h.len, 5);
	ck_assert_mem_eq(p, cp, 5);
	free(p);
	char c;
	ck_assert_int_eq(recv(fd, &c, 1, 0), 0); /* the server closed TCP */
	close(fd);
	/* An empty close is read as 1000 and answered with it (Tomcat). */
	fd = upgrade("/examples/websocket/echoProgrammatic");
	send_frame(fd, true, WS_OP_CLOSE, "", 0);
	p = recv_frame(fd, &h);
	ck_assert_uint_eq(h.opcode, WS_OP_CLOSE);
	ck_assert_uint_eq(h.len, 2);
	ck_assert_uint_eq((p[0] << 8) | p[1], 1000);
	free(p);
	close(fd);
	stop_mock();
}
END_TEST

static void check_partial_echo(size_t piece)
{
	size_t n = 65536;
	uint8_t *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	int fd = upgrade("/examples/websocket/echoProgrammatic");
	uint8_t mask[4] = {1, 2, 3, 4};
	uint8_t h0[WS_MAX_HEADER];
	size_t hl = ws_frame_hdr_encode(h0, true, 0, WS_OP_BINARY, mask, n);
	uint8_t *wire = malloc(hl + n);
	memcpy(wire, h0, hl);
	memcpy(wire + hl, data, n);
	ws_mask(wire + hl, n, mask, 0);
	for (size_t off = 0; off < hl + n; off += piece)
		send_all(fd, wire + off,
			 off + piece > hl + n ? hl + n - off : piece);
	for (int i = 0; i < 8; i++) {
		struct ws_frame_hdr h;
		uint8_t *p = recv_frame(fd, &h);
		ck_assert_uint_eq(h.len, 8192);
		ck_assert_uint_eq(h.opcode, i == 0 ? WS_OP_BINARY : WS_OP_CONT);
		ck_assert_int_eq(h.fin, i == 7);
		ck_assert_mem_eq(p, data + (size_t)i * 8192, 8192);
		free(p);
	}
	free(wire);
	free(data);
	close(fd);
}

START_TEST(binary_64k_as_8_frames)
{
	start_mock();
	check_partial_echo(70000); /* all at once */
	check_partial_echo(1000);  /* in pieces that straddle blocks */
	stop_mock();
}
END_TEST

START_TEST(stream_endpoint_joins_text)
{
	start_mock();
	int fd = upgrade("/examples/websocket/echoStreamAnnotation");
	send_frame(fd, false, WS_OP_TEXT, "Hel", 3);
	send_frame(fd, false, WS_OP_CONT, "lo, ", 4);
	send_frame(fd, true, WS_OP_CONT, "world", 5);
	struct ws_frame_hdr h;
	uint8_t *p = recv_frame(fd, &h);
	ck_assert(h.fin);
	ck_assert_uint_eq(h.opcode, WS_OP_TEXT);
	ck_assert_str_eq((char *)p, "Hello, world");
	free(p);
	close(fd);
	stop_mock();
}
END_TEST

START_TEST(protocol_errors)
{
	start_mock();
	/* an unmasked client frame: close 1002 */
	int fd = upgrade("/examples/websocket/echoProgrammatic");
	const uint8_t unmasked[] = {0x81, 0x02, 'h', 'i'};
	send_all(fd, unmasked, sizeof(unmasked));
	struct ws_frame_hdr h;
	uint8_t *p = recv_frame(fd, &h);
	ck_assert_uint_eq(h.opcode, WS_OP_CLOSE);
	ck_assert_uint_eq((p[0] << 8) | p[1], 1002);
	free(p);
	close(fd);
	/* invalid UTF-8: close 1007 */
	fd = upgrade("/examples/websocket/echoProgrammatic");
	send_frame(fd, true, WS_OP_TEXT, "\xc3\x28", 2);
	p = recv_frame(fd, &h);
	ck_assert_uint_eq(h.opcode, WS_OP_CLOSE);
	ck_assert_uint_eq((p[0] << 8) | p[1], 1007);
	free(p);
	close(fd);
	/* a message over the limit (64 MiB): close 1009 at its header */
	fd = upgrade("/examples/websocket/echoProgrammatic");
	uint8_t big[WS_MAX_HEADER];
	uint8_t mask[4] = {9, 9, 9, 9};
	size_t bl = ws_frame_hdr_encode(big, true, 0, WS_OP_BINARY, mask,
					(uint64_t)1 << 27);
	send_all(fd, big, bl);
	p = recv_frame(fd, &h);
	ck_assert_uint_eq(h.opcode, WS_OP_CLOSE);
	ck_assert_uint_eq((p[0] << 8) | p[1], 1009);
	free(p);
	close(fd);
	stop_mock();
}
END_TEST

START_TEST(shutdown_sends_1001)
{
	start_mock();
	int fd = upgrade("/examples/websocket/echoAnnotation");
	uv_async_send(&fx.stop);
	struct ws_frame_hdr h;
	uint8_t *p = recv_frame(fd, &h);
	ck_assert_uint_eq(h.opcode, WS_OP_CLOSE);
	ck_assert_uint_eq((p[0] << 8) | p[1], 1001);
	ck_assert_str_eq((char *)p + 2, "The web application is stopping");
	free(p);
	/* We never answer the close: the mock must still finish. */
	pthread_join(fx.thread, NULL);
	mock_tomcat_free(fx.m);
	ck_assert_int_eq(uv_loop_close(&fx.loop), 0);
	close(fd);
}
END_TEST

START_TEST(pipelined_and_bad_requests)
{
	start_mock();
	int fd = dial(fx.port[MOCK_HTTP]);
	const char two[] =
	    "GET /examples/websocket/echo.xhtml HTTP/1.1\r\nHost: a\r\n\r\n"
	    "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n";
	send_all(fd, two, sizeof(two) - 1);
	int want[] = {200, 404};
	for (int i = 0; i < 2; i++) {
		char head[4096];
		size_t n = recv_head(fd, head, sizeof(head));
		struct http1_head h;
		ck_assert_int_eq(http1_parse_response(head, n, &h, NULL, NULL),
				 (int)n);
		ck_assert_int_eq(h.status, want[i]);
		uint64_t len = 0;
		ck_assert_int_eq(http1_body_kind(&h, true, "GET", &len),
				 HTTP1_BODY_LENGTH);
		char *body = malloc(len);
		recv_exact(fd, body, len);
		free(body);
	}
	close(fd);
	/* garbage: 400 and close */
	fd = dial(fx.port[MOCK_HTTP]);
	send_all(fd, "GET / HTTP/9.9\r\n\r\n", 18);
	char head[4096];
	size_t n = recv_head(fd, head, sizeof(head));
	ck_assert_int_eq(memcmp(head, "HTTP/1.1 400 ", 13), 0);
	(void)n;
	close(fd);
	stop_mock();
}
END_TEST

static size_t ajp_read_packet(int fd, uint8_t *buf)
{
	recv_exact(fd, buf, 4);
	ck_assert(buf[0] == 'A' && buf[1] == 'B');
	size_t len = ((size_t)buf[2] << 8) | buf[3];
	recv_exact(fd, buf + 4, len);
	return len + 4;
}

static void ajp_request(int fd, const char *uri, bool upgrade)
{
	struct ajp_forward_request r;
	memset(&r, 0, sizeof(r));
	r.method_code = 2;
	r.method = (struct ajp_str){"GET", 3};
	r.protocol = (struct ajp_str){"HTTP/1.1", 8};
	r.req_uri = (struct ajp_str){uri, strlen(uri)};
	r.remote_addr = (struct ajp_str){"127.0.0.1", 9};
	r.server_name = (struct ajp_str){"127.0.0.1", 9};
	r.server_port = 80;
	const char *hv[][2] = {
	    {"Host", "127.0.0.1"},
	    {"Upgrade", "websocket"},
	    {"Connection", "Upgrade"},
	    {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
	    {"Sec-WebSocket-Version", "13"}};
	size_t nh = upgrade ? 5 : 1;
	for (size_t i = 0; i < nh; i++) {
		r.headers[i].name =
		    (struct ajp_str){hv[i][0], strlen(hv[i][0])};
		r.headers[i].value =
		    (struct ajp_str){hv[i][1], strlen(hv[i][1])};
	}
	r.nheaders = nh;
	struct proto_buf out = PROTO_BUF_INIT;
	ck_assert_int_eq(ajp_forward_request_encode(&out, &r, 8192), 0);
	send_all(fd, proto_buf_head(&out), proto_buf_size(&out));
	proto_buf_free(&out);
}

/* Read a whole AJP response; returns the status, the body size. */
static int ajp_response(int fd, size_t *body_len, bool *reuse, char *body,
			size_t cap)
{
	static uint8_t buf[70000];
	struct ajp_send_headers sh;
	size_t n = ajp_read_packet(fd, buf);
	ck_assert_int_eq(buf[4], AJP_SEND_HEADERS);
	ck_assert_int_eq(ajp_send_headers_decode(buf + 4, n - 4, &sh, NULL), 0);
	char msg[8];
	snprintf(msg, sizeof(msg), "%d", sh.status);
	ck_assert_uint_eq(sh.message.len, strlen(msg)); /* "500" for 500 */
	ck_assert_mem_eq(sh.message.s, msg, sh.message.len);
	int status = sh.status;
	*body_len = 0;
	for (;;) {
		n = ajp_read_packet(fd, buf);
		if (buf[4] == AJP_END_RESPONSE) {
			ck_assert_int_eq(ajp_end_response_decode(buf + 4, n - 4,
								 reuse, NULL),
					 0);
			return status;
		}
		ck_assert_int_eq(buf[4], AJP_SEND_BODY_CHUNK);
		const uint8_t *d;
		size_t dl;
		ck_assert_int_eq(
		    ajp_body_chunk_decode(buf + 4, n - 4, &d, &dl, NULL), 0);
		if (*body_len + dl < cap)
			memcpy(body + *body_len, d, dl);
		*body_len += dl;
	}
}

START_TEST(ajp_refuses_upgrade_and_reuses)
{
	start_mock();
	int fd = dial(fx.port[MOCK_AJP]);
	ajp_request(fd, "/examples/websocket/echoProgrammatic", true);
	size_t bl;
	bool reuse = false;
	static char body[8192];
	int st = ajp_response(fd, &bl, &reuse, body, sizeof(body) - 1);
	ck_assert_int_eq(st, 500);
	ck_assert(reuse);
	body[bl < sizeof(body) ? bl : sizeof(body) - 1] = 0;
	ck_assert_ptr_nonnull(strstr(body, "HTTP upgrade is not supported by "
					   "this protocol"));
	/* the same connection serves the next request */
	ajp_request(fd, "/examples/websocket/echo.xhtml", false);
	st = ajp_response(fd, &bl, &reuse, body, sizeof(body) - 1);
	ck_assert_int_eq(st, 200);
	ck_assert_uint_gt(bl, 100);
	/* CPING -> CPONG */
	struct proto_buf out = PROTO_BUF_INIT;
	ajp_cping_encode(&out);
	send_all(fd, proto_buf_head(&out), proto_buf_size(&out));
	proto_buf_free(&out);
	uint8_t buf[16];
	recv_exact(fd, buf, 5);
	ck_assert_int_eq(buf[4], AJP_CPONG_REPLY);
	close(fd);
	/* garbage: the connection is closed, the mock keeps serving */
	fd = dial(fx.port[MOCK_AJP]);
	send_all(fd, "GET / HTTP/1.0\r\n\r\n", 18);
	char c;
	ck_assert_int_le(recv(fd, &c, 1, 0), 0);
	close(fd);
	fd = dial(fx.port[MOCK_AJP]);
	ajp_request(fd, "/examples/websocket/echo.xhtml", false);
	ck_assert_int_eq(ajp_response(fd, &bl, &reuse, body, sizeof(body) - 1),
			 200);
	close(fd);
	stop_mock();
}
END_TEST

static Suite *mock_loop_suite(void)
{
	Suite *s = suite_create("mock_loop");
	TCase *tc = tcase_create("websocket");
	tcase_add_test(tc, echo_and_close);
	tcase_add_test(tc, binary_64k_as_8_frames);
	tcase_add_test(tc, stream_endpoint_joins_text);
	tcase_add_test(tc, protocol_errors);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("shutdown");
	tcase_add_test(tc, shutdown_sends_1001);
	suite_add_tcase(s, tc);
	tc = tcase_create("http");
	tcase_add_test(tc, pipelined_and_bad_requests);
	suite_add_tcase(s, tc);
	tc = tcase_create("ajp");
	tcase_add_test(tc, ajp_refuses_upgrade_and_reuses);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(mock_loop_suite)
