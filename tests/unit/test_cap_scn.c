/* Unit tests for capture/cap_scn (recordings as scenarios): synthetic
 * sessions fed to the session collector, turned into a scenario, printed,
 * parsed back with scn_parse_string and checked step by step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajp.h"
#include "cap_script.h"
#include "cap_scn.h"
#include "cap_session.h"
#include "cap_tls.h"
#include "check_main.h"
#include "proto_buf.h"
#include "scn.h"
#include "ws_frame.h"

static void close_frame(struct proto_buf *b, bool masked, unsigned code,
			const char *reason)
{
	uint8_t cl[WS_MAX_CONTROL];
	int cn = ws_close_payload(cl, code, reason, strlen(reason));
	ck_assert_int_ge(cn, 0);
	script_frame(b, true, 0, WS_OP_CLOSE, masked, cl, (size_t)cn);
}

/* Collect the scripts (payloads cut at `cap` bytes, 0 for the default),
 * write the scenario, parse it back. */
static struct scn_file *roundtrip_cap(struct script *const *scs, size_t n,
				      bool no_redact, size_t cap, char **text)
{
	struct cap_session_opts o = {
	    .keep_messages = true, .no_redact = no_redact, .payload_cap = cap};
	struct cap_sessions *s = cap_sessions_new(&o);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		script_feed(cap_sessions_sink(s), scs[i], SCRIPT_WHOLE, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cap_scn_write(s, "test.pcap", f), 0);
	fclose(f);
	cap_sessions_free(s);
	struct scn_file *sf;
	struct scn_error err;
	int r = scn_parse_string("rec.scn", buf, len, &sf, &err);
	ck_assert_msg(r == 0, "%s:%u:%u: %s\n%s", err.file, err.line, err.col,
		      err.message, buf);
	*text = buf;
	return sf;
}

static struct scn_file *roundtrip(struct script *const *scs, size_t n,
				  bool no_redact, char **text)
{
	return roundtrip_cap(scs, n, no_redact, 0, text);
}

static const struct scn_client *client_named(const struct scn_file *f,
					     const char *name)
{
	for (size_t i = 0; i < f->nclients; i++)
		if (!strcmp(f->clients[i].name, name))
			return &f->clients[i];
	ck_abort_msg("no client %s", name);
	return NULL;
}

static const char *header_of(const struct scn_client *c, const char *name)
{
	for (size_t i = 0; i < c->nheaders; i++)
		if (!strcmp(c->headers[i].name, name))
			return c->headers[i].value;
	return NULL;
}

static void step_is(const struct scn_client *c, size_t i,
		    enum scn_step_kind kind, const char *data, int code,
		    const char *text)
{
	ck_assert_msg(i < c->nsteps, "step %zu missing:\n%s", i, text);
	const struct scn_step *s = &c->steps[i];
	ck_assert_msg(s->kind == kind, "step %zu is %d, not %d:\n%s", i,
		      s->kind, kind, text);
	if (data) {
		ck_assert_ptr_nonnull(s->data.s);
		size_t n = strlen(data);
		if (kind == SCN_SEND_BINARY || kind == SCN_EXPECT_BINARY)
			n = 3; /* the one binary payload, "\0\xff\x7f" */
		ck_assert_uint_eq(s->data.len, n);
		ck_assert_mem_eq(s->data.s, data, s->data.len);
	}
	if (code)
		ck_assert_int_eq(s->code, code);
}

/* `at` this many µs from the client's start (kept to the µs). */
/* Step i carries `at` the recorded µs since the client's start (or none). */
static void at_is(const struct scn_client *c, size_t i, int64_t us,
		  const char *text)
{
	const struct scn_step *s = &c->steps[i];
	if (us < 0) {
		ck_assert_msg(!s->has_at, "step %zu has at:\n%s", i, text);
		return;
	}
	ck_assert_msg(s->has_at, "step %zu has no at:\n%s", i, text);
	ck_assert_uint_eq(s->at_us, (uint64_t)us);
}

/* ---- the websocket echo session --------------------------------------- */

static const char *UPGRADE =
    "GET /examples/websocket/echoProgrammatic?room=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:18080\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Origin: http://app.example\r\n"
    "Sec-WebSocket-Protocol: chat\r\n"
    "User-Agent: Python/3.11 websockets/10.4\r\n"
    "Cookie: JSESSIONID=secret1\r\n"
    "X-Trace: ${not-a-macro}\r\n"
    "\r\n";

static const char *ACCEPT = "HTTP/1.1 101 \r\nUpgrade: websocket\r\n"
			    "Connection: upgrade\r\n"
			    "Sec-WebSocket-Accept: "
			    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

static void echo_script(struct script *sc)
{
	script_init(sc, 1, 50000, 18080);
	sc->syn_us = 99000; /* the client began 1 ms before its request */
	seg_str(sc, CAP_C2S, 100000, UPGRADE);
	seg_str(sc, CAP_S2C, 102000, ACCEPT);
	/* 50 ms after the 101: hello, echoed 1 ms later */
	script_frame(seg_add(sc, CAP_C2S, 152000), true, 0, WS_OP_TEXT, true,
		     "hello", 5);
	script_frame(seg_add(sc, CAP_S2C, 153000), true, 0, WS_OP_TEXT, false,
		     "hello", 5);
	/* 0.4 ms later (no wait): world, echoed */
	script_frame(seg_add(sc, CAP_C2S, 153400), true, 0, WS_OP_TEXT, true,
		     "world", 5);
	script_frame(seg_add(sc, CAP_S2C, 153700), true, 0, WS_OP_TEXT, false,
		     "world", 5);
	/* a server ping, answered by the client: no step */
	script_frame(seg_add(sc, CAP_S2C, 160000), true, 0, WS_OP_PING, false,
		     "hb", 2);
	script_frame(seg_add(sc, CAP_C2S, 160100), true, 0, WS_OP_PONG, true,
		     "hb", 2);
	/* binary and a ping of our own, 1.2345 s later */
	uint8_t bin[3] = {0x00, 0xff, 0x7f};
	script_frame(seg_add(sc, CAP_C2S, 1394600), true, 0, WS_OP_BINARY, true,
		     bin, 3);
	script_frame(seg_add(sc, CAP_S2C, 1395000), true, 0, WS_OP_BINARY,
		     false, bin, 3);
	script_frame(seg_add(sc, CAP_C2S, 1396000), true, 0, WS_OP_PING, true,
		     "p1", 2);
	script_frame(seg_add(sc, CAP_S2C, 1396500), true, 0, WS_OP_PONG, false,
		     "p1", 2);
	/* 3 s later the server speaks by itself: room to wait for it */
	script_frame(seg_add(sc, CAP_S2C, 4396500), true, 0, WS_OP_TEXT, false,
		     "tick", 4);
	close_frame(seg_add(sc, CAP_C2S, 4400000), true, 1000, "bye");
	close_frame(seg_add(sc, CAP_S2C, 4401000), false, 1000, "bye");
}

START_TEST(websocket_echo)
{
	struct script sc;
	echo_script(&sc);
	struct script *scs[] = {&sc};
	char *text;
	struct scn_file *f = roundtrip(scs, 1, false, &text);
	ck_assert_str_eq(f->title, "recorded by wssim capture from test.pcap");
	ck_assert_uint_eq(f->ncomps, 0);
	ck_assert_uint_eq(f->nclients, 1);
	const struct scn_client *c = client_named(f, "c1");
	ck_assert_str_eq(c->url, "ws://127.0.0.1:18080/examples/websocket/"
				 "echoProgrammatic?room=1");
	ck_assert_str_eq(c->origin, "http://app.example");
	ck_assert_str_eq(c->protocols, "chat");
	/* no permessage-deflate offered: none */
	ck_assert_str_eq(c->extensions, "");
	ck_assert_str_eq(header_of(c, "Cookie"), "[redacted]");
	/* a literal ${ survives as $${ in the template */
	ck_assert_str_eq(header_of(c, "X-Trace"), "$${not-a-macro}");
	ck_assert_ptr_null(header_of(c, "User-Agent"));
	ck_assert_ptr_null(header_of(c, "Sec-WebSocket-Key"));
	ck_assert_ptr_null(header_of(c, "Host"));
	ck_assert_uint_eq(c->nheaders, 2);
	size_t i = 0;
	step_is(c, i++, SCN_EXPECT_STATUS, NULL, 101, text);
	step_is(c, i++, SCN_EXPECT_OPEN, NULL, 0, text);
	step_is(c, i++, SCN_SEND_TEXT, "hello", 0, text);
	step_is(c, i++, SCN_EXPECT_TEXT, "hello", 0, text);
	ck_assert_int_eq(c->steps[i - 1].match, SCN_MATCH_EXACT);
	step_is(c, i++, SCN_SEND_TEXT, "world", 0, text);
	step_is(c, i++, SCN_EXPECT_TEXT, "world", 0, text);
	step_is(c, i++, SCN_SEND_BINARY, "\x00\xff\x7f", 0, text);
	step_is(c, i++, SCN_EXPECT_BINARY, "\x00\xff\x7f", 0, text);
	step_is(c, i++, SCN_SEND_PING, "p1", 0, text);
	step_is(c, i++, SCN_EXPECT_PONG, "p1", 0, text);
	step_is(c, i++, SCN_EXPECT_TEXT, "tick", 0, text);
	ck_assert_uint_eq(c->steps[i - 1].within_ms, 7000);
	step_is(c, i++, SCN_CLOSE, "bye", 1000, text);
	step_is(c, i++, SCN_EXPECT_CLOSED, NULL, 1000, text);
	ck_assert_uint_eq(c->nsteps, i);
	/* when each send and answer happened, since the client's start (its
	 * SYN, 99 ms), to the microsecond */
	at_is(c, 0, 3000, text);     /* the 101 */
	at_is(c, 1, -1, text);	     /* open: the 101 says it */
	at_is(c, 2, 53000, text);    /* send hello */
	at_is(c, 3, 54000, text);    /* its echo */
	at_is(c, 4, 54400, text);    /* send world */
	at_is(c, 5, 54700, text);    /* its echo */
	at_is(c, 6, 1295600, text);  /* send binary */
	at_is(c, 7, 1296000, text);  /* its echo */
	at_is(c, 8, 1297000, text);  /* send ping */
	at_is(c, 9, 1297500, text);  /* its pong */
	at_is(c, 10, 4297500, text); /* tick */
	at_is(c, 11, 4301000, text); /* close */
	at_is(c, 12, 4302000, text); /* the server's close frame */
	ck_assert_msg(strstr(text, "\tsend text \"hello\" at 53ms\n"), "%s",
		      text);
	ck_assert_msg(strstr(text, "\tsend binary hex \"00ff7f\" at "
				   "1295.600ms\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "\texpect text \"world\" at 54.700ms\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "\texpect closed 1000 at 4302ms\n"), "%s",
		      text);
	ck_assert_msg(
	    strstr(text,
		   "\texpect text \"tick\" within 7000ms at 4297.500ms\n"),
	    "%s", text);
	ck_assert_ptr_null(strstr(text, "\twait "));
	scn_free(f);
	free(text);

	/* --no-redact keeps the cookie */
	f = roundtrip(scs, 1, true, &text);
	ck_assert_str_eq(header_of(&f->clients[0], "Cookie"),
			 "JSESSIONID=secret1");
	scn_free(f);
	free(text);
	script_free(&sc);
}
END_TEST

/* The server drops the connection without a close frame: 1006. A client
 * that offered permessage-deflate keeps the default offer. */
START_TEST(websocket_dropped)
{
	struct script sc;
	script_init(&sc, 7, 50001, 18080);
	seg_str(&sc, CAP_C2S, 1000,
		"GET /ws HTTP/1.1\r\nHost: localhost:8080\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n"
		"Sec-WebSocket-Extensions: permessage-deflate; "
		"client_max_window_bits\r\n\r\n");
	seg_str(&sc, CAP_S2C, 2000, ACCEPT);
	script_frame(seg_add(&sc, CAP_C2S, 2500), true, 0, WS_OP_TEXT, true,
		     "x", 1);
	struct script *scs[] = {&sc};
	char *text;
	struct scn_file *f = roundtrip(scs, 1, false, &text);
	const struct scn_client *c = client_named(f, "c7");
	ck_assert_str_eq(c->url, "ws://localhost:8080/ws");
	ck_assert_ptr_null(c->extensions);
	size_t i = 0;
	step_is(c, i++, SCN_EXPECT_STATUS, NULL, 101, text);
	step_is(c, i++, SCN_EXPECT_OPEN, NULL, 0, text);
	step_is(c, i++, SCN_SEND_TEXT, "x", 0, text);
	at_is(c, i - 1, 1500, text); /* 0.5 ms after the 101: kept too */
	step_is(c, i++, SCN_EXPECT_CLOSED, NULL, 1006, text);
	ck_assert_uint_eq(c->nsteps, i);
	scn_free(f);
	free(text);
	script_free(&sc);
}
END_TEST

/* Messages longer than the payload cap: a text one is expected by its
 * first bytes, a binary one by its length (`expect binary length`), so the
 * expectations after it stay in step. */
START_TEST(websocket_capped)
{
	struct script sc;
	script_init(&sc, 9, 50002, 18080);
	seg_str(&sc, CAP_C2S, 1000, UPGRADE);
	seg_str(&sc, CAP_S2C, 2000, ACCEPT);
	uint8_t big[100];
	for (size_t k = 0; k < sizeof(big); k++)
		big[k] = (uint8_t)k;
	script_frame(seg_add(&sc, CAP_S2C, 3000), true, 0, WS_OP_BINARY, false,
		     big, sizeof(big));
	script_frame(seg_add(&sc, CAP_S2C, 3500), true, 0, WS_OP_TEXT, false,
		     "a long text message", 19);
	script_frame(seg_add(&sc, CAP_S2C, 4000), true, 0, WS_OP_TEXT, false,
		     "ok", 2);
	struct script *scs[] = {&sc};
	char *text;
	struct scn_file *f = roundtrip_cap(scs, 1, false, 16, &text);
	const struct scn_client *c = client_named(f, "c9");
	size_t i = 0;
	step_is(c, i++, SCN_EXPECT_STATUS, NULL, 101, text);
	step_is(c, i++, SCN_EXPECT_OPEN, NULL, 0, text);
	step_is(c, i++, SCN_EXPECT_BINARY, NULL, 0, text);
	ck_assert_int_eq(c->steps[i - 1].match, SCN_MATCH_LENGTH);
	ck_assert_uint_eq(c->steps[i - 1].length, 100);
	at_is(c, i - 1, 2000, text);
	step_is(c, i++, SCN_EXPECT_TEXT, "a long text mess", 0, text);
	ck_assert_int_eq(c->steps[i - 1].match, SCN_MATCH_CONTAINS);
	step_is(c, i++, SCN_EXPECT_TEXT, "ok", 0, text);
	ck_assert_int_eq(c->steps[i - 1].match, SCN_MATCH_EXACT);
	ck_assert_msg(strstr(text, "\texpect binary length 100 at 2ms\n"), "%s",
		      text);
	ck_assert_msg(strstr(text, "expected by its length"), "%s", text);
	scn_free(f);
	free(text);
	script_free(&sc);
}
END_TEST

/* A refused upgrade through a proxy with its AJP backend leg in the same
 * capture, and a keep-alive HTTP connection with two requests. */
#define S(x) ((struct ajp_str){(x), sizeof(x) - 1})

START_TEST(failed_upgrade_and_http)
{
	struct script cl, be, web;
	script_init(&cl, 1, 50010, 80);
	cl.syn_us = 999000;
	seg_str(&cl, CAP_C2S, 1000000,
		"GET /examples/websocket/echoProgrammatic HTTP/1.1\r\n"
		"Host: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n");
	seg_str(&cl, CAP_S2C, 1300000,
		"HTTP/1.1 500 500\r\nContent-Length: 0\r\n\r\n");
	/* the backend leg (AJP), 0.4 ms after the client's request */
	script_init(&be, 2, 40002, 18009);
	static struct ajp_forward_request fr;
	memset(&fr, 0, sizeof(fr));
	fr.method = S("GET");
	fr.protocol = S("HTTP/1.1");
	fr.req_uri = S("/examples/websocket/echoProgrammatic");
	fr.remote_addr = S("127.0.0.1");
	fr.remote_host = S("127.0.0.1");
	fr.server_name = S("127.0.0.1");
	fr.server_port = 8080;
	fr.nheaders = 2;
	fr.headers[0] = (struct ajp_pair){S("Host"), S("127.0.0.1:8080"), 0};
	fr.headers[1] = (struct ajp_pair){S("Upgrade"), S("websocket"), 0};
	ck_assert_int_eq(
	    ajp_forward_request_encode(seg_add(&be, CAP_C2S, 1000400), &fr, 0),
	    0);
	static struct ajp_send_headers sh;
	memset(&sh, 0, sizeof(sh));
	sh.status = 500;
	sh.message = S("500");
	struct proto_buf *b = seg_add(&be, CAP_S2C, 1000500);
	ck_assert_int_eq(ajp_send_headers_encode(b, &sh, 0), 0);
	ck_assert_int_eq(ajp_end_response_encode(b, true), 0);
	/* plain pages on one keep-alive connection */
	script_init(&web, 3, 50011, 8080);
	web.syn_us = 2999500;
	seg_str(&web, CAP_C2S, 3000000,
		"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
		"Accept: text/html\r\nX-Forwarded-Proto: https\r\n\r\n");
	seg_str(&web, CAP_S2C, 3001000,
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	seg_str(&web, CAP_C2S, 3002000,
		"POST /form HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
		"Content-Length: 3\r\n\r\na=b");
	seg_str(&web, CAP_S2C, 3003000,
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	struct script *scs[] = {&cl, &be, &web};
	char *text;
	struct scn_file *f = roundtrip(scs, 3, false, &text);
	/* the AJP leg is not a client */
	ck_assert_msg(f->nclients == 3, "%s", text);
	const struct scn_client *c = client_named(f, "c1");
	ck_assert_str_eq(c->url, "ws://127.0.0.1:8080/examples/websocket/"
				 "echoProgrammatic");
	ck_assert_str_eq(c->extensions, "");
	step_is(c, 0, SCN_EXPECT_STATUS, NULL, 500, text);
	step_is(c, 1, SCN_EXPECT_CLOSED, NULL, 1006, text);
	ck_assert_uint_eq(c->nsteps, 2);
	/* starts: relative to the first client's, to the µs; a
	 * connection's first client from its SYN, a later one from its
	 * request (it opens a connection of its own) */
	ck_assert(c->has_start);
	ck_assert_uint_eq(c->start_ms, 0);
	ck_assert_uint_eq(c->start_us, 0);
	ck_assert_msg(strstr(text, "\tstart 0ms\n"), "%s", text);
	c = client_named(f, "c3_1");
	ck_assert_str_eq(c->url, "http://127.0.0.1:8080/index.html");
	ck_assert_ptr_null(c->method);
	ck_assert_ptr_null(header_of(c, "Accept"));
	ck_assert_str_eq(header_of(c, "X-Forwarded-Proto"), "https");
	step_is(c, 0, SCN_EXPECT_STATUS, NULL, 200, text);
	ck_assert_uint_eq(c->nsteps, 1);
	ck_assert(c->has_start);
	ck_assert_uint_eq(c->start_ms, 2000);
	ck_assert_uint_eq(c->start_us, 500);
	c = client_named(f, "c3_2");
	ck_assert_str_eq(c->url, "http://127.0.0.1:8080/form");
	ck_assert_str_eq(c->method, "POST");
	step_is(c, 0, SCN_EXPECT_STATUS, NULL, 404, text);
	ck_assert(c->has_start);
	ck_assert_uint_eq(c->start_ms, 2003);
	ck_assert_uint_eq(c->start_us, 0);
	scn_free(f);
	free(text);
	script_free(&cl);
	script_free(&be);
	script_free(&web);
}
END_TEST

/* Requests that got no answer in the capture: an upgrade is what a
 * browser reports (closed 1006); a plain request would be a client that
 * checks nothing (the parser refuses those), so it is a note instead. */
START_TEST(unanswered)
{
	struct script up, page;
	script_init(&up, 1, 50020, 8080);
	seg_str(&up, CAP_C2S, 1000000, UPGRADE);
	script_init(&page, 2, 50021, 8080);
	seg_str(&page, CAP_C2S, 2000000,
		"GET /slow HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
	struct script *scs[] = {&up, &page};
	char *text;
	struct scn_file *f = roundtrip(scs, 2, false, &text);
	ck_assert_msg(f->nclients == 1, "%s", text);
	step_is(&f->clients[0], 0, SCN_EXPECT_CLOSED, NULL, 1006, text);
	ck_assert_uint_eq(f->clients[0].nsteps, 1);
	ck_assert_msg(strstr(text, "a request with no answer in the capture; "
				   "not recorded"),
		      "%s", text);
	scn_free(f);
	free(text);
	script_free(&up);
	script_free(&page);
}
END_TEST

/* Sessions that were TLS on the wire: the decrypted ones keep their
 * scheme and their TLS facts as a comment, one that stayed TLS is named
 * with the reason. */
START_TEST(tls_sessions)
{
	struct cap_tls_info in13, in12;
	memset(&in13, 0, sizeof(in13));
	in13.state = CAP_TLS_DECRYPTING;
	snprintf(in13.sni, sizeof(in13.sni), "example.test");
	in13.offered[0] = 0x0304;
	in13.noffered = 1;
	in13.version = 0x0304;
	in13.suite = 0x1301;
	in13.keylog_entry = true;
	in13.stop_err[CAP_S2C] = CAP_TLS_E_NO_SECRET;
	in12 = in13;
	/* an SNI that would break the comment line */
	snprintf(in12.sni, sizeof(in12.sni), "a\nb");
	in12.version = 0x0303;
	in12.suite = 0xc02f;
	in12.stop_err[CAP_S2C] = 0;
	struct script ws, web, raw;
	echo_script(&ws);
	ws.tls = &in13;
	script_init(&web, 2, 50001, 443);
	web.tls = &in12;
	seg_str(&web, CAP_C2S, 200000, "GET /page HTTP/1.1\r\nHost: a\r\n\r\n");
	seg_str(&web, CAP_S2C, 201000, "HTTP/1.1 204 No Content\r\n\r\n");
	script_init(&raw, 3, 50002, 443);
	seg_client_hello(&raw, 300000);
	struct script *scs[] = {&ws, &web, &raw};
	char *text;
	struct scn_file *f = roundtrip(scs, 3, false, &text);
	ck_assert_uint_eq(f->nclients, 2);
	ck_assert_str_eq(client_named(f, "c1")->url,
			 "wss://127.0.0.1:18080/examples/websocket/"
			 "echoProgrammatic?room=1");
	ck_assert_str_eq(client_named(f, "c2")->url, "https://a/page");
	static const char *const want[] = {
	    "\n# recorded over TLS1.3 (TLS_AES_128_GCM_SHA256), SNI "
	    "example.test, decrypted with the key log\nclient c1 \"wss://",
	    "\n# recorded over TLS1.2 (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), "
	    "SNI a?b, decrypted with the key log\nclient c2 \"https://",
	    "\n# c1: decryption of what the server sent stopped (no "
	    "SERVER_TRAFFIC_SECRET_0 line in the key log): what came after is "
	    "not in the recording\n",
	    "\n# connection #3 127.0.0.1:50002 -> 127.0.0.1:443: TLS, SNI "
	    "localhost; not recorded, as it was not decrypted: no --keylog "
	    "given\n",
	    "\n# Its wss:// and https:// clients need --ca FILE or --insecure "
	    "to trust\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(text, want[i]), "no %s in\n%s", want[i],
			      text);
	scn_free(f);
	free(text);
	script_free(&ws);
	script_free(&web);
	script_free(&raw);
}
END_TEST

/* Nothing to replay: no file. */
START_TEST(nothing_to_write)
{
	struct script sc;
	script_init(&sc, 1, 50000, 18080);
	seg_str(&sc, CAP_C2S, 100, "\x16\x03\x01 garbage");
	struct cap_sessions *s = cap_sessions_new(NULL);
	script_feed(cap_sessions_sink(s), &sc, SCRIPT_WHOLE, 0);
	struct scn_file *f;
	char *notes;
	ck_assert_int_eq(cap_scn_build(s, "x", &f, &notes), CAP_SCN_EMPTY);
	ck_assert_ptr_null(f);
	ck_assert_ptr_null(notes);
	cap_sessions_free(s);
	script_free(&sc);
}
END_TEST

static Suite *cap_scn_suite(void)
{
	Suite *s = suite_create("cap_scn");
	TCase *tc = tcase_create("scn");
	tcase_add_test(tc, websocket_echo);
	tcase_add_test(tc, websocket_dropped);
	tcase_add_test(tc, websocket_capped);
	tcase_add_test(tc, failed_upgrade_and_http);
	tcase_add_test(tc, unanswered);
	tcase_add_test(tc, nothing_to_write);
	tcase_add_test(tc, tls_sessions);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(cap_scn_suite)
