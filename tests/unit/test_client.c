/* The browser-like client (sim/client.h) against the mock Tomcat on one
 * libuv loop: echo and clean close, a failing expectation and its message,
 * wss with and without the test CA, a refused connection, 404 and a
 * non-101 answer (closed 1006 at the head, also when the server keeps the
 * connection open), ping/pong, fragments, permessage-deflate, the 1001 of
 * a stopping Tomcat, an http GET with its body, and an expectation timing
 * out against a silent peer in bounded time. Scenario structs are built
 * here, not parsed. Every test ends with uv_loop_close() == 0. */
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

#include "test_util.h"
#include "check_main.h"
#include "client.h"
#include "mock_tomcat.h"
#include "observer.h"
#include "scn.h"
#include "tls_mem.h"
#include "ws_frame.h"
#include "ws_handshake.h"

/* ---- fixture ------------------------------------------------------------ */

struct fixture {
	uv_loop_t loop;
	struct mock_tomcat *m;
	bool mock_stopped;
	char dir[64];
	char ca[128];
	SSL_CTX *verify, *insecure, *nobody; /* nobody: system store only */
	struct sim_observer obs;
	struct sim_sched sched;
	struct sim_client_result res;
	bool done;
	int port[MOCK_NCONNECTORS];
	char first_request_headers[2048];
	int requests;
};

static struct fixture fx;

static void on_mock_event(void *ctx, const struct mock_event *ev)
{
	(void)ctx;
	if (ev->type != MOCK_EV_REQUEST || fx.requests++ > 0)
		return;
	size_t n = 0;
	for (size_t i = 0; i < ev->nheaders; i++)
		n += (size_t)snprintf(
		    fx.first_request_headers + n,
		    sizeof(fx.first_request_headers) - n, "%.*s: %.*s\n",
		    (int)ev->headers[i].name_len, ev->headers[i].name,
		    (int)ev->headers[i].value_len, ev->headers[i].value);
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	ck_assert_int_eq(uv_loop_init(&fx.loop), 0);
	test_scratch_mkdtemp(fx.dir, sizeof(fx.dir), "client");
	snprintf(fx.ca, sizeof(fx.ca), "%s/ca.pem", fx.dir);
	struct mock_config cfg;
	mock_config_init(&cfg);
	cfg.port[MOCK_HTTP] = 0;
	cfg.port[MOCK_HTTPS] = 0;
	cfg.port[MOCK_AJP] = 0;
	cfg.ca_out = fx.ca;
	cfg.on_event = on_mock_event;
	char err[256];
	ck_assert_msg(
	    mock_tomcat_start(&fx.loop, &cfg, &fx.m, err, sizeof(err)) == 0,
	    "mock: %s", err);
	for (int c = 0; c < MOCK_NCONNECTORS; c++)
		fx.port[c] = mock_tomcat_port(fx.m, (enum mock_connector)c);
	fx.verify = tls_ctx_client(fx.ca, false, err, sizeof(err));
	ck_assert_msg(fx.verify != NULL, "%s", err);
	fx.insecure = tls_ctx_client(NULL, true, err, sizeof(err));
	ck_assert_msg(fx.insecure != NULL, "%s", err);
	fx.nobody = tls_ctx_client(NULL, false, err, sizeof(err));
	ck_assert_msg(fx.nobody != NULL, "%s", err);
	sim_obs_init(&fx.obs);
	ck_assert_int_eq(sim_sched_init(&fx.sched, &fx.loop), 0);
}

static void on_mock_stopped(void *arg)
{
	(void)arg;
}

static void teardown(void)
{
	if (!fx.mock_stopped) {
		mock_tomcat_stop(fx.m, 200, on_mock_stopped, NULL);
		fx.mock_stopped = true;
	}
	sim_sched_close(&fx.sched, NULL);
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	mock_tomcat_free(fx.m);
	ck_assert_int_eq(uv_loop_close(&fx.loop), 0);
	SSL_CTX_free(fx.verify);
	SSL_CTX_free(fx.insecure);
	SSL_CTX_free(fx.nobody);
	sim_obs_free(&fx.obs);
	unlink(fx.ca);
	rmdir(fx.dir);
}

/* ---- steps -------------------------------------------------------------- */

static struct scn_step st(enum scn_step_kind k)
{
	struct scn_step s;
	memset(&s, 0, sizeof(s));
	s.kind = k;
	s.clean = -1;
	s.upgrade = -1;
	return s;
}

static struct scn_step st_data(enum scn_step_kind k, const char *d)
{
	struct scn_step s = st(k);
	s.data.s = (char *)(uintptr_t)d;
	s.data.len = strlen(d);
	return s;
}

static struct scn_step st_code(enum scn_step_kind k, int code)
{
	struct scn_step s = st(k);
	s.code = code;
	return s;
}

static struct scn_step st_closed(int code, int clean, const char *reason)
{
	struct scn_step s = st(SCN_EXPECT_CLOSED);
	s.code = code;
	s.clean = clean;
	if (reason) {
		s.data.s = (char *)(uintptr_t)reason;
		s.data.len = strlen(reason);
	}
	return s;
}

static struct scn_client client(const char *name, struct scn_step *steps,
				size_t n)
{
	struct scn_client c;
	memset(&c, 0, sizeof(c));
	c.name = (char *)(uintptr_t)name;
	c.steps = steps;
	c.nsteps = n;
	return c;
}

/* ---- running ------------------------------------------------------------ */

static int backend(void *ctx, bool start, const char *comp, const char *field,
		   void (*done)(void *arg), void *arg, char *err, size_t errlen)
{
	(void)ctx;
	(void)comp;
	if (start) {
		snprintf(err, errlen, "start is not used here");
		return -1;
	}
	if (field) {
		mock_tomcat_stop_connector(fx.m, MOCK_HTTP);
		done(arg);
		return 0;
	}
	fx.mock_stopped = true;
	mock_tomcat_stop(fx.m, 1000, done, arg);
	return 0;
}

static void client_done(void *arg, const struct sim_client_result *r)
{
	(void)arg;
	fx.res = *r;
	fx.done = true;
	uv_stop(&fx.loop); /* the mock's listeners keep the loop alive */
}

static struct sim_client_env env(SSL_CTX *verify)
{
	struct sim_client_env e;
	memset(&e, 0, sizeof(e));
	e.loop = &fx.loop;
	e.tls_verify = verify;
	e.tls_insecure = fx.insecure;
	e.obs = &fx.obs;
	e.default_timeout_ms = 3000;
	e.backend = backend;
	e.sched = &fx.sched;
	return e;
}

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000;
}

/* Run one client to its end; returns the milliseconds it took. */
static uint64_t run_env(const struct scn_client *def, const char *url,
			const struct sim_client_env *e)
{
	uint64_t t0 = now_ms();
	ck_assert_int_eq(sim_client_start(def, url, e, client_done, NULL, NULL),
			 0);
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	ck_assert(fx.done);
	return now_ms() - t0;
}

static uint64_t run(const struct scn_client *def, const char *url)
{
	struct sim_client_env e = env(fx.verify);
	return run_env(def, url, &e);
}

static const char *url(const char *scheme, enum mock_connector c,
		       const char *path)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s://127.0.0.1:%d%s", scheme, fx.port[c],
		 path);
	return buf;
}

#define EP_ECHO "/examples/websocket/echoProgrammatic"

static bool obs_has(enum sim_ev ev, const char *text)
{
	for (size_t i = 0; i < fx.obs.n; i++)
		if (fx.obs.ev[i].ev == ev && fx.obs.ev[i].text &&
		    strstr(fx.obs.ev[i].text, text))
			return true;
	return false;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(echo_close)
{
	struct scn_step s[] = {
	    st(SCN_EXPECT_OPEN),      st_data(SCN_SEND_TEXT, "hello"),
	    st(SCN_EXPECT_ECHO),      st_code(SCN_CLOSE, 1000),
	    st_closed(1000, 1, NULL),
	};
	struct scn_client c = client("direct", s, 5);
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_str_eq(fx.res.summary, "open, echoed 1 message, closed 1000 "
					 "clean");
	ck_assert_int_eq(fx.res.status, 101);
	ck_assert_int_eq(fx.res.close_code, 1000);
	ck_assert(fx.res.clean);
	ck_assert_ptr_null(fx.res.failed_step);
	/* Chromium's header order */
	char want[1024];
	snprintf(want, sizeof(want),
		 "Host: 127.0.0.1:%d\n"
		 "Connection: Upgrade\n"
		 "Pragma: no-cache\n"
		 "Cache-Control: no-cache\n"
		 "User-Agent: Mozilla/5.0 (X11; Linux x86_64) "
		 "AppleWebKit/537.36 (KHTML, like Gecko) "
		 "HeadlessChrome/156.0.0.0 Safari/537.36\n"
		 "Upgrade: websocket\n"
		 "Origin: http://127.0.0.1:%d\n"
		 "Sec-WebSocket-Version: 13\n"
		 "Accept-Encoding: gzip, deflate, br, zstd\n"
		 "Accept-Language: en-US,en;q=0.9\n"
		 "Sec-WebSocket-Key: ",
		 fx.port[MOCK_HTTP], fx.port[MOCK_HTTP]);
	ck_assert_msg(strncmp(fx.first_request_headers, want, strlen(want)) ==
			  0,
		      "got:\n%s", fx.first_request_headers);
	ck_assert_ptr_nonnull(
	    strstr(fx.first_request_headers,
		   "\nSec-WebSocket-Extensions: permessage-deflate; "
		   "client_max_window_bits\n"));
	/* the observer saw each hop of it */
	ck_assert(obs_has(SIM_EV_CONNECT, "connected to 127.0.0.1:"));
	ck_assert(obs_has(SIM_EV_REQUEST, "GET " EP_ECHO " HTTP/1.1"));
	ck_assert(obs_has(SIM_EV_RESPONSE, "HTTP/1.1 101"));
	ck_assert(obs_has(SIM_EV_OPEN, "open"));
	ck_assert(obs_has(SIM_EV_SEND, "text \"hello\""));
	ck_assert(obs_has(SIM_EV_RECV, "text \"hello\""));
	ck_assert(obs_has(SIM_EV_EXPECT, "echo"));
	ck_assert_str_eq(fx.obs.ev[0].who, "direct");
}
END_TEST

START_TEST(extra_headers)
{
	struct scn_header h[] = {{"Origin", "http://example.test"},
				 {"Cookie", "a=b"}};
	struct scn_step s[] = {st(SCN_EXPECT_OPEN)};
	struct scn_client c = client("hdr", s, 1);
	c.headers = h;
	c.nheaders = 2;
	c.extensions = "";
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_ptr_nonnull(
	    strstr(fx.first_request_headers,
		   "\nOrigin: http://example.test\nSec-WebSocket-Version"));
	ck_assert_ptr_nonnull(
	    strstr(fx.first_request_headers, "\nCookie: a=b\n"));
	ck_assert_ptr_null(
	    strstr(fx.first_request_headers, "Sec-WebSocket-Extensions"));
	/* open, then closed by the client after the last step: no failure */
	ck_assert_str_eq(fx.res.summary,
			 "open, closed by the client without a close frame");
}
END_TEST

START_TEST(text_mismatch)
{
	struct scn_step s[] = {
	    st_data(SCN_SEND_TEXT, "hello"),
	    st_data(SCN_EXPECT_TEXT, "nope"),
	    st_code(SCN_CLOSE, 1000),
	};
	struct scn_client c = client("wrong", s, 3);
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert(!fx.res.passed);
	ck_assert_ptr_eq(fx.res.failed_step, &s[1]);
	ck_assert_str_eq(fx.res.failure,
			 "expected text \"nope\", got text \"hello\"");
	ck_assert(obs_has(SIM_EV_EXPECT, "expected text \"nope\""));
	ck_assert(!obs_has(SIM_EV_SEND, "close 1000")); /* skipped */
}
END_TEST

START_TEST(wss_trusted)
{
	struct scn_step s[] = {
	    st(SCN_EXPECT_OPEN),
	    st_data(SCN_SEND_TEXT, "over TLS"),
	    st_data(SCN_EXPECT_TEXT, "over TLS"),
	    st_code(SCN_CLOSE, 1000),
	    st_closed(1000, 1, NULL),
	};
	struct scn_client c = client("tls", s, 5);
	run(&c, url("wss", MOCK_HTTPS, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_str_eq(fx.res.summary, "open, echoed 1 message, closed 1000 "
					 "clean");
	ck_assert(obs_has(SIM_EV_CONNECT, "TLSv1."));
	ck_assert_ptr_nonnull(
	    strstr(fx.first_request_headers, "\nOrigin: https://127.0.0.1:"));
}
END_TEST

START_TEST(wss_untrusted)
{
	struct scn_step s[] = {st_closed(1006, 0, NULL), st(SCN_EXPECT_OPEN)};
	struct scn_client c = client("untrusted", s, 2);
	struct sim_client_env e = env(fx.nobody);
	run_env(&c, url("wss", MOCK_HTTPS, EP_ECHO), &e);
	ck_assert(!fx.res.passed);
	ck_assert_ptr_eq(fx.res.failed_step, &s[1]);
	ck_assert_int_eq(fx.res.close_code, 1006);
	ck_assert(!fx.res.clean);
	ck_assert_msg(strstr(fx.res.reason, "certificate verify failed"), "%s",
		      fx.res.reason);
	ck_assert_msg(strncmp(fx.res.failure,
			      "expected open, got closed 1006: "
			      "certificate verify failed",
			      52) == 0,
		      "%s", fx.res.failure);
	ck_assert_int_eq(fx.res.status, 0);

	/* insecure: the same server, no verification */
	fx.done = false;
	struct scn_step s2[] = {st(SCN_EXPECT_OPEN)};
	struct scn_client c2 = client("insecure", s2, 1);
	c2.insecure = true;
	e = env(fx.nobody);
	ck_assert_int_eq(sim_client_start(&c2, url("wss", MOCK_HTTPS, EP_ECHO),
					  &e, client_done, NULL, NULL),
			 0);
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	ck_assert(fx.done);
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
}
END_TEST

static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t al = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd);
	return ntohs(a.sin_port);
}

START_TEST(refused)
{
	struct scn_step s[] = {st_closed(1006, 0, "connection refused"),
			       st(SCN_EXPECT_OPEN)};
	struct scn_client c = client("refused", s, 2);
	char u[128];
	snprintf(u, sizeof(u), "ws://127.0.0.1:%d" EP_ECHO, closed_port());
	run(&c, u);
	ck_assert(!fx.res.passed);
	ck_assert_ptr_eq(fx.res.failed_step, &s[1]);
	ck_assert_str_eq(fx.res.failure, "expected open, got closed 1006: "
					 "connection refused");
	ck_assert_str_eq(fx.res.summary, "closed 1006 (connection refused)");
	ck_assert(obs_has(SIM_EV_ERROR, "connection refused"));
}
END_TEST

START_TEST(http_404)
{
	struct scn_step s[] = {st_code(SCN_EXPECT_STATUS, 404)};
	struct scn_client c = client("page", s, 1);
	run(&c, url("http", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_int_eq(fx.res.status, 404);
}
END_TEST

START_TEST(upgrade_page)
{
	struct scn_step s[] = {
	    st_code(SCN_EXPECT_STATUS, 200),
	    st_closed(1006, 0, NULL),
	    st(SCN_EXPECT_OPEN),
	};
	struct scn_client c = client("notws", s, 3);
	run(&c, url("ws", MOCK_HTTP, "/examples/websocket/echo.xhtml"));
	ck_assert(!fx.res.passed);
	ck_assert_ptr_eq(fx.res.failed_step, &s[2]);
	ck_assert_int_eq(fx.res.close_code, 1006);
	ck_assert_msg(strstr(fx.res.summary,
			     "closed 1006 (the server answered HTTP/1.1 200"),
		      "%s", fx.res.summary);
	ck_assert_msg(strstr(fx.res.failure,
			     "expected open, got closed 1006: "
			     "the server answered HTTP/1.1 200"),
		      "%s", fx.res.failure);
}
END_TEST

START_TEST(ping_pong)
{
	struct scn_step s[] = {
	    st_data(SCN_SEND_PING, "p1"),
	    st_data(SCN_EXPECT_PONG, "p1"),
	    st(SCN_SEND_PING),
	    st(SCN_EXPECT_PONG),
	    st_code(SCN_CLOSE, 1000),
	    st_closed(1000, 1, NULL),
	};
	struct scn_client c = client("ping", s, 6);
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert(obs_has(SIM_EV_RECV, "pong \"p1\""));
}
END_TEST

START_TEST(fragments)
{
	struct scn_bytes pieces[] = {{"Hel", 3}, {"lo, ", 4}, {"world", 5}};
	struct scn_step frag = st(SCN_SEND_FRAGMENTS);
	frag.pieces = pieces;
	frag.npieces = 3;
	static uint8_t big[65536];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	struct scn_step bin = st(SCN_SEND_BINARY);
	bin.data.s = (char *)big;
	bin.data.len = sizeof(big);
	struct scn_step rep_body[] = {st_data(SCN_SEND_TEXT, "again"),
				      st(SCN_EXPECT_ECHO)};
	struct scn_step rep = st(SCN_REPEAT);
	rep.count = 3;
	rep.body = rep_body;
	rep.nbody = 2;
	struct scn_step s[] = {
	    frag,
	    st_data(SCN_EXPECT_TEXT, "Hello, world"),
	    bin,
	    st(SCN_EXPECT_ECHO),
	    rep,
	    st_code(SCN_CLOSE, 1000),
	    st_closed(1000, 1, NULL),
	};
	struct scn_client c = client("frag", s, 7);
	c.extensions = ""; /* frames as they are on the wire */
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_str_eq(fx.res.summary, "open, echoed 5 messages, closed 1000 "
					 "clean");
	ck_assert(obs_has(SIM_EV_SEND, "fragment 3/3 (continuation, fin)"));
}
END_TEST

START_TEST(deflate)
{
	struct scn_bytes pieces[] = {{"compressed ", 11}, {"pieces", 6}};
	struct scn_step frag = st(SCN_SEND_FRAGMENTS);
	frag.pieces = pieces;
	frag.npieces = 2;
	struct scn_step s[] = {
	    st(SCN_EXPECT_OPEN),
	    st_data(SCN_EXPECT_HEADER, "permessage-deflate"),
	    st_data(SCN_SEND_TEXT, "squeeze me squeeze me squeeze me"),
	    st(SCN_EXPECT_ECHO),
	    frag,
	    st_data(SCN_EXPECT_TEXT, "compressed pieces"),
	    st_code(SCN_CLOSE, 1000),
	    st_closed(1000, 1, NULL),
	};
	s[1].name = "Sec-WebSocket-Extensions";
	s[1].match = SCN_MATCH_CONTAINS;
	struct scn_client c = client("pmd", s, 8);
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert(obs_has(SIM_EV_OPEN, "permessage-deflate"));
	ck_assert(obs_has(SIM_EV_SEND, "(compressed)"));
	ck_assert(obs_has(SIM_EV_RECV, "(compressed)"));
}
END_TEST

START_TEST(tomcat_stop)
{
	struct scn_step stop = st(SCN_STOP);
	stop.comp = "t1";
	struct scn_step s[] = {
	    st(SCN_EXPECT_OPEN),
	    stop,
	    st_closed(1001, 1, "The web application is stopping"),
	};
	struct scn_client c = client("stopping", s, 3);
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_str_eq(fx.res.summary, "open, closed 1001 clean (The web "
					 "application is stopping)");
}
END_TEST

START_TEST(http_page)
{
	struct scn_step s[] = {
	    st_code(SCN_EXPECT_STATUS, 200),
	    st_data(SCN_EXPECT_HEADER, "text/html"),
	    st_data(SCN_EXPECT_BODY, "WebSocket connection opened"),
	    st(SCN_EXPECT_NO_HEADER),
	};
	s[1].name = "Content-Type";
	s[1].match = SCN_MATCH_CONTAINS;
	s[2].match = SCN_MATCH_CONTAINS;
	s[3].name = "Upgrade";
	struct scn_client c = client("page", s, 4);
	run(&c, url("http", MOCK_HTTP, "/examples/websocket/echo.xhtml"));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_msg(strncmp(fx.res.summary, "HTTP/1.1 200", 12) == 0, "%s",
		      fx.res.summary);
	ck_assert(obs_has(SIM_EV_REQUEST,
			  "GET /examples/websocket/echo.xhtml HTTP/1.1"));

	/* the same body check failing says what the body was */
	fx.done = false;
	struct scn_step s2[] = {st_data(SCN_EXPECT_BODY, "not in the page")};
	s2[0].match = SCN_MATCH_CONTAINS;
	struct scn_client c2 = client("page2", s2, 1);
	run(&c2, url("https", MOCK_HTTPS, "/examples/websocket/echo.xhtml"));
	ck_assert(!fx.res.passed);
	ck_assert_msg(strncmp(fx.res.failure,
			      "expected body containing \"not in the page\", "
			      "got body \"",
			      50) == 0,
		      "%s", fx.res.failure);
}
END_TEST

START_TEST(timeout_silent)
{
	/* a listening socket nobody accepts from: the kernel completes the
	 * TCP handshake, then nothing is ever said */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	socklen_t al = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	struct scn_step s[] = {st_data(SCN_EXPECT_TEXT, "hello")};
	s[0].within_ms = 50;
	struct scn_client c = client("silent", s, 1);
	char u[128];
	snprintf(u, sizeof(u), "ws://127.0.0.1:%d/x", ntohs(a.sin_port));
	uint64_t ms = run(&c, u);
	close(fd);
	ck_assert(!fx.res.passed);
	ck_assert_msg(ms < 1000, "took %llu ms", (unsigned long long)ms);
	ck_assert_msg(strncmp(fx.res.failure,
			      "expected text \"hello\" within 50 ms, got "
			      "nothing; no response yet",
			      60) == 0,
		      "%s", fx.res.failure);

	/* the client's own timeout applies when the step has none */
	fx.done = false;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = 0;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&a, &al);
	s[0].within_ms = 0;
	c.timeout_ms = 80;
	snprintf(u, sizeof(u), "ws://127.0.0.1:%d/x", ntohs(a.sin_port));
	ms = run(&c, u);
	close(fd);
	ck_assert(!fx.res.passed);
	ck_assert_msg(ms < 1000, "took %llu ms", (unsigned long long)ms);
	ck_assert_msg(strstr(fx.res.failure, "within 80 ms"), "%s",
		      fx.res.failure);
}
END_TEST

/* A server that answers the upgrade with "HTTP/1.1 500 500" and keeps the
 * connection open for a while, as Apache may. */
struct fake {
	int lfd;
	int port;
	pthread_t th;
	int hold_ms;
	bool upgrade; /* answer a valid 101, then close without a frame */
	bool ping;    /* after the 101, a ping "hb" before the close */
};

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	char buf[4096];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	if (f->upgrade) {
		char *k = strstr(buf, "Sec-WebSocket-Key: ");
		char accept[WS_ACCEPT_LEN + 1] = "";
		if (k)
			ws_hs_accept(k + 19, WS_KEY_LEN, accept);
		char r101[256];
		int n101 = snprintf(r101, sizeof(r101),
				    "HTTP/1.1 101 \r\nUpgrade: websocket\r\n"
				    "Connection: upgrade\r\n"
				    "Sec-WebSocket-Accept: %s\r\n\r\n",
				    accept);
		send(fd, r101, (size_t)n101, MSG_NOSIGNAL);
		if (f->ping)
			send(fd, "\x89\x02hb", 4, MSG_NOSIGNAL);
		usleep(50 * 1000);
		close(fd);
		return NULL;
	}
	const char *resp = "HTTP/1.1 500 500\r\n"
			   "Upgrade: websocket\r\n"
			   "Connection: upgrade, close\r\n"
			   "Content-Type: text/html;charset=utf-8\r\n"
			   "Content-Length: 1000\r\n"
			   "\r\n"
			   "<html>partial";
	send(fd, resp, strlen(resp), MSG_NOSIGNAL);
	struct timeval tv = {f->hold_ms / 1000, (f->hold_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f)
{
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(f->lfd, 8), 0);
	socklen_t al = sizeof(a);
	getsockname(f->lfd, (struct sockaddr *)&a, &al);
	f->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_run, f), 0);
}

START_TEST(dropped_after_open)
{
	struct fake f = {.upgrade = true};
	fake_start(&f);
	struct scn_step s[] = {
	    st(SCN_EXPECT_OPEN),
	    st_data(SCN_EXPECT_TEXT, "never sent"),
	};
	struct scn_client c = client("dropped", s, 2);
	char u[128];
	snprintf(u, sizeof(u), "ws://127.0.0.1:%d/x", f.port);
	run(&c, u);
	pthread_join(f.th, NULL);
	close(f.lfd);
	ck_assert(!fx.res.passed);
	ck_assert_ptr_eq(fx.res.failed_step, &s[1]);
	ck_assert_int_eq(fx.res.close_code, 1006);
	ck_assert(!fx.res.clean);
	ck_assert_str_eq(fx.res.failure,
			 "expected text \"never sent\", got nothing; closed "
			 "1006: the connection was closed without a close "
			 "frame");
	ck_assert_str_eq(fx.res.summary,
			 "open, closed 1006 unclean (the connection was "
			 "closed without a close frame)");
}
END_TEST

/* A server's ping is answered by the client on its own: the pong's event
 * says so (replay's timing leaves such pongs out of the sends). */
START_TEST(automatic_pong)
{
	struct fake f = {.upgrade = true, .ping = true};
	fake_start(&f);
	struct scn_step s[] = {st(SCN_EXPECT_OPEN), st_closed(1006, 0, NULL)};
	struct scn_client c = client("pinged", s, 2);
	char u[128];
	snprintf(u, sizeof(u), "ws://127.0.0.1:%d/x", f.port);
	run(&c, u);
	pthread_join(f.th, NULL);
	close(f.lfd);
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	size_t pongs = 0;
	for (size_t i = 0; i < fx.obs.n; i++) {
		const struct sim_event *e = &fx.obs.ev[i];
		if (e->ev == SIM_EV_SEND && e->code == WS_OP_PONG) {
			ck_assert(e->automatic);
			ck_assert_str_eq(e->text, "pong \"hb\" (automatic)");
			pongs++;
		} else {
			ck_assert(!e->automatic);
		}
	}
	ck_assert_uint_eq(pongs, 1);
}
END_TEST

START_TEST(head_500_kept_open)
{
	struct fake f = {.hold_ms = 3000};
	fake_start(&f);
	struct scn_step s[] = {
	    st_code(SCN_EXPECT_STATUS, 500),
	    st_data(SCN_EXPECT_HEADER, "websocket"),
	    st_closed(1006, 0, NULL),
	};
	s[1].name = "Upgrade";
	struct scn_client c = client("via_proxy", s, 3);
	char u[128];
	snprintf(u, sizeof(u), "ws://localhost:%d" EP_ECHO, f.port);
	uint64_t ms = run(&c, u);
	pthread_join(f.th, NULL);
	close(f.lfd);
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_msg(ms < 1500, "took %llu ms", (unsigned long long)ms);
	ck_assert_str_eq(fx.res.summary,
			 "closed 1006 (the server answered HTTP/1.1 500 500)");
	ck_assert_int_eq(fx.res.status, 500);
}
END_TEST

START_TEST(bad_urls)
{
	struct scn_client c = client("bad", NULL, 0);
	struct sim_client_env e = env(fx.verify);
	const char *bad[] = {
	    "ftp://127.0.0.1/x", "ws://example.com/x",
	    "ws://127.0.0.1:0/", "ws://127.0.0.1:99999/",
	    "ws://[::1/x",	 "ws:///x",
	    "http//127.0.0.1/",	 "ws://user@127.0.0.1/x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sim_client_start(&c, bad[i], &e, client_done,
					       NULL, NULL) < 0,
			      "%s accepted", bad[i]);
	ck_assert(!fx.done);
}
END_TEST

START_TEST(send_after_failed_handshake)
{
	struct scn_step s[] = {st_data(SCN_SEND_TEXT, "hello")};
	struct scn_client c = client("late", s, 1);
	run(&c, url("ws", MOCK_AJP, EP_ECHO)); /* HTTP to the AJP port */
	ck_assert(!fx.res.passed);
	ck_assert_ptr_eq(fx.res.failed_step, &s[0]);
	ck_assert_int_eq(fx.res.close_code, 1006);
	ck_assert_msg(strstr(fx.res.failure, "send text"), "%s",
		      fx.res.failure);
}
END_TEST

START_TEST(abort_client)
{
	struct scn_step s[] = {st_closed(1000, 1, NULL)};
	struct scn_client c = client("aborted", s, 1);
	struct sim_client_env e = env(fx.verify);
	struct sim_client *h = NULL;
	ck_assert_int_eq(sim_client_start(&c, url("ws", MOCK_HTTP, EP_ECHO), &e,
					  client_done, NULL, &h),
			 0);
	ck_assert_ptr_nonnull(h);
	uv_run(&fx.loop, UV_RUN_NOWAIT);
	sim_client_abort(h);
	uint64_t t0 = now_ms();
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	ck_assert(fx.done);
	ck_assert(now_ms() - t0 < 1000);
	ck_assert(!fx.res.passed);
	ck_assert_ptr_nonnull(strstr(fx.res.failure, "aborted"));
}
END_TEST

static struct scn_step st_wait(uint64_t ms, uint64_t us)
{
	struct scn_step s = st(SCN_WAIT);
	s.ms = ms;
	s.us = us;
	return s;
}

/* The time of client event `ev` with opcode `code`, the n-th (from 0). */
static uint64_t ev_time(enum sim_ev ev, int code, unsigned n)
{
	for (size_t i = 0; i < fx.obs.n; i++)
		if (fx.obs.ev[i].ev == ev && fx.obs.ev[i].code == code &&
		    n-- == 0)
			return fx.obs.ev[i].t_us;
	ck_abort_msg("no such event");
	return 0;
}

/* Waits end on the precise timers (fx.sched), sub-millisecond ones too,
 * and the steps after them run. */
START_TEST(waits)
{
	struct scn_step s[] = {st(SCN_EXPECT_OPEN),
			       st_wait(2, 250),
			       st_data(SCN_SEND_TEXT, "a"),
			       st(SCN_EXPECT_ECHO),
			       st_wait(0, 300),
			       st_wait(0, 0),
			       st_code(SCN_CLOSE, 1000),
			       st_closed(1000, 1, NULL)};
	struct scn_client c = client("waits", s, 8);
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	ck_assert_uint_eq(fx.sched.n, 0); /* nothing left scheduled */
	/* the send came no sooner than its wait after the open (the
	 * expectation's event marks it) */
	uint64_t open = ev_time(SIM_EV_OPEN, 101, 0);
	uint64_t sent = ev_time(SIM_EV_SEND, WS_OP_TEXT, 0);
	ck_assert_msg(sent >= open + 2250, "sent %llu us after the open",
		      (unsigned long long)(sent - open));
}
END_TEST

/* A client aborted in a wait leaves no timer behind (the freed client's
 * would fire later, or be touched when the scheduler closes). */
static void abort_once_scheduled(struct scn_step *s, size_t n)
{
	struct scn_client c = client("waiting", s, n);
	struct sim_client_env e = env(fx.verify);
	struct sim_client *h = NULL;
	ck_assert_int_eq(sim_client_start(&c, url("ws", MOCK_HTTP, EP_ECHO), &e,
					  client_done, NULL, &h),
			 0);
	while (fx.sched.n == 0) /* the program has begun its wait */
		uv_run(&fx.loop, UV_RUN_ONCE);
	sim_client_abort(h);
	ck_assert_uint_eq(fx.sched.n, 0);
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	ck_assert(fx.done);
	ck_assert(!fx.res.passed);
	ck_assert_ptr_nonnull(strstr(fx.res.failure, "aborted"));
}

START_TEST(abort_in_wait)
{
	struct scn_step s[] = {st_wait(60000, 0), st_data(SCN_SEND_TEXT, "a")};
	abort_once_scheduled(s, 2);
}
END_TEST

/* A send with `at` is made no earlier than that long after the client's
 * start (its START event); one whose time has passed goes at once, after
 * the step before (order kept). */
START_TEST(send_at)
{
	struct scn_step s[] = {
	    st(SCN_EXPECT_OPEN),     st_data(SCN_SEND_TEXT, "a"),
	    st(SCN_EXPECT_ECHO),     st_data(SCN_SEND_TEXT, "b"),
	    st(SCN_EXPECT_ECHO),     st_code(SCN_CLOSE, 1000),
	    st_closed(1000, 1, NULL)};
	s[1].has_at = true;
	s[1].at_us = 30500; /* 30.5 ms */
	s[3].has_at = true;
	s[3].at_us = 1000; /* long past by then */
	s[5].has_at = true;
	s[5].at_us = 45000;
	struct scn_client c = client("timed", s, 7);
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
	uint64_t t0 = ev_time(SIM_EV_START, 0, 0);
	uint64_t a = ev_time(SIM_EV_SEND, WS_OP_TEXT, 0);
	uint64_t echo = ev_time(SIM_EV_RECV, WS_OP_TEXT, 0);
	uint64_t b = ev_time(SIM_EV_SEND, WS_OP_TEXT, 1);
	uint64_t cl = ev_time(SIM_EV_SEND, WS_OP_CLOSE, 0);
	ck_assert_msg(a >= t0 + 30500, "a at %llu us after the start",
		      (unsigned long long)(a - t0));
	ck_assert_uint_ge(b, echo);
	ck_assert_msg(cl >= t0 + 45000, "close at %llu us after the start",
		      (unsigned long long)(cl - t0));
	ck_assert_uint_eq(fx.sched.n, 0);
}
END_TEST

/* Aborted while a send waits for its `at`: no timer left behind. */
START_TEST(abort_in_at)
{
	struct scn_step s[] = {st(SCN_EXPECT_OPEN),
			       st_data(SCN_SEND_TEXT, "a")};
	s[1].has_at = true;
	s[1].at_us = 60000000;
	abort_once_scheduled(s, 2);
}
END_TEST

/* A send waiting for its `at` on a connection the server then drops
 * fails at once with why (not when its time comes, a minute later), and
 * a send whose `at` lies beyond the client's timeout is no timeout. */
START_TEST(send_at_dropped)
{
	struct fake f = {.upgrade = true};
	fake_start(&f);
	struct scn_step s[] = {st(SCN_EXPECT_OPEN),
			       st_data(SCN_SEND_TEXT, "late")};
	s[1].has_at = true;
	s[1].at_us = 60000000;
	struct scn_client c = client("dropped", s, 2);
	char u[128];
	snprintf(u, sizeof(u), "ws://127.0.0.1:%d/x", f.port);
	run(&c, u);
	pthread_join(f.th, NULL);
	close(f.lfd);
	ck_assert(!fx.res.passed);
	ck_assert_ptr_eq(fx.res.failed_step, &s[1]);
	ck_assert_msg(strstr(fx.res.failure, "expected open (to send text), "
					     "got closed 1006"),
		      "%s", fx.res.failure);
	ck_assert_uint_eq(fx.sched.n, 0);
}
END_TEST

START_TEST(send_at_beyond_timeout)
{
	struct scn_step s[] = {st(SCN_EXPECT_OPEN), st_data(SCN_SEND_TEXT, "a"),
			       st(SCN_EXPECT_ECHO), st_code(SCN_CLOSE, 1000),
			       st_closed(1000, 1, NULL)};
	s[1].has_at = true;
	s[1].at_us = 300000; /* 300 ms, the timeout 100 ms */
	struct scn_client c = client("patient", s, 5);
	c.timeout_ms = 100;
	run(&c, url("ws", MOCK_HTTP, EP_ECHO));
	ck_assert_msg(fx.res.passed, "%s", fx.res.failure);
}
END_TEST

START_TEST(needs_sched)
{
	struct scn_client c = client("nosched", NULL, 0);
	struct sim_client_env e = env(fx.verify);
	e.sched = NULL;
	ck_assert_int_eq(sim_client_start(&c, url("ws", MOCK_HTTP, EP_ECHO), &e,
					  client_done, NULL, NULL),
			 UV_EINVAL);
	ck_assert(!fx.done);
}
END_TEST

/* One TCase per test, each its own ctest test (suites.cmake reads the
 * tcase_create("...") names). */
static void add(Suite *s, TCase *tc, const TTest *t)
{
	test_scratch_fixture(tc);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	add(s, tcase_create("echo"), echo_close);
	add(s, tcase_create("headers"), extra_headers);
	add(s, tcase_create("mismatch"), text_mismatch);
	add(s, tcase_create("wss"), wss_trusted);
	add(s, tcase_create("wss_untrusted"), wss_untrusted);
	add(s, tcase_create("refused"), refused);
	add(s, tcase_create("http_404"), http_404);
	add(s, tcase_create("upgrade_page"), upgrade_page);
	add(s, tcase_create("ping"), ping_pong);
	add(s, tcase_create("fragments"), fragments);
	add(s, tcase_create("deflate"), deflate);
	add(s, tcase_create("tomcat_stop"), tomcat_stop);
	add(s, tcase_create("http_page"), http_page);
	add(s, tcase_create("timeout"), timeout_silent);
	add(s, tcase_create("head_500"), head_500_kept_open);
	add(s, tcase_create("dropped"), dropped_after_open);
	add(s, tcase_create("automatic_pong"), automatic_pong);
	add(s, tcase_create("bad_urls"), bad_urls);
	add(s, tcase_create("send_failed"), send_after_failed_handshake);
	add(s, tcase_create("abort"), abort_client);
	add(s, tcase_create("waits"), waits);
	add(s, tcase_create("abort_in_wait"), abort_in_wait);
	add(s, tcase_create("needs_sched"), needs_sched);
	add(s, tcase_create("send_at"), send_at);
	add(s, tcase_create("abort_in_at"), abort_in_at);
	add(s, tcase_create("send_at_dropped"), send_at_dropped);
	add(s, tcase_create("send_at_beyond_timeout"), send_at_beyond_timeout);
	return s;
}

WSSIM_CHECK_MAIN(client_suite)
