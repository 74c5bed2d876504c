/* Unit tests for capture/cap_session (the session sink) and its summary
 * and JSON writers, driven with synthetic stream events: no pcap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ajp.h"
#include "cap_script.h"
#include "cap_session.h"
#include "cap_session_int.h"
#include "check_main.h"
#include "http1.h"
#include "pmd.h"
#include "proto_buf.h"
#include "ws_frame.h"

static struct cap_sessions *run(const struct script *sc, int how, size_t split,
				bool keep)
{
	struct cap_session_opts o = {.keep_messages = keep};
	struct cap_sessions *s = cap_sessions_new(&o);
	ck_assert_ptr_nonnull(s);
	script_feed(cap_sessions_sink(s), sc, how, split);
	cap_sessions_finish(s);
	return s;
}

/* What a session decoded, as text (times only when `times`). */
static char *fingerprint(struct cap_sessions *s, bool times)
{
	struct proto_buf b = PROTO_BUF_INIT;
	for (size_t i = 0; i < s->nconns; i++) {
		const struct cs_conn *c = s->conns[i];
		proto_buf_appendf(&b, "conn %llu %s notes %zu\n",
				  (unsigned long long)c->id,
				  cs_proto_name(c->proto), c->nnotes);
		for (size_t j = 0; j < c->nex; j++)
			proto_buf_appendf(
			    &b, "ex %s %s %d %s body %llu/%llu\n",
			    c->ex[j].method ? c->ex[j].method : "-",
			    c->ex[j].target ? c->ex[j].target : "-",
			    c->ex[j].status,
			    c->ex[j].reason ? c->ex[j].reason : "-",
			    (unsigned long long)c->ex[j].req_body,
			    (unsigned long long)c->ex[j].resp_body);
		for (size_t jj = 0; jj < 2 * c->nmsgs; jj++) {
			/* by time, or each direction in order */
			size_t j = jj % c->nmsgs;
			if (times ? jj >= c->nmsgs
				  : c->msgs[j].dir != (jj >= c->nmsgs))
				continue;
			const struct cs_msg *m = &c->msgs[j];
			proto_buf_appendf(&b, "msg %d %d %llu %u ", m->dir,
					  m->opcode, (unsigned long long)m->len,
					  m->close_code);
			if (times)
				proto_buf_appendf(&b, "@%llu ",
						  (unsigned long long)m->ts_us);
			proto_buf_append(&b, m->payload, m->payload_len);
			proto_buf_append_str(&b, "\n");
		}
	}
	char *out = proto_buf_steal(&b, NULL);
	proto_buf_free(&b);
	return out;
}

static char *json_of(struct cap_sessions *s)
{
	return sessions_written(s, cap_sessions_write_json);
}

static char *summary_of(struct cap_sessions *s)
{
	return sessions_written(s, cap_sessions_write_summary);
}

/* ---- a tiny JSON validator ------------------------------------------- */

static const char *jv_value(const char *p, int depth);

static const char *jv_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *jv_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						    p[i]) ||
					    !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return p + 1;
}

static const char *jv_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = jv_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';
		p = jv_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = jv_string(jv_ws(p));
				if (!p)
					return NULL;
				p = jv_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = jv_value(p, depth + 1);
			if (!p)
				return NULL;
			p = jv_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return jv_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	const char *q = p;
	if (*q == '-')
		q++;
	if (*q < '0' || *q > '9')
		return NULL;
	while (*q >= '0' && *q <= '9')
		q++;
	return q;
}

static void assert_json_valid(const char *j)
{
	const char *end = jv_value(j, 0);
	ck_assert_msg(end != NULL, "invalid JSON: %s", j);
	ck_assert_msg(*jv_ws(end) == '\0', "trailing bytes after JSON");
	if (access("/usr/bin/python3", X_OK) == 0) {
		char path[] = "/tmp/cap_session_jsonXXXXXX";
		int fd = mkstemp(path);
		ck_assert_int_ge(fd, 0);
		FILE *f = fdopen(fd, "w");
		fputs(j, f);
		fclose(f);
		char cmd[128];
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/python3 -m json.tool %s >/dev/null", path);
		int rc = system(cmd);
		unlink(path);
		ck_assert_int_eq(rc, 0);
	}
}

/* ---- the websocket session ------------------------------------------- */

static const char *UPGRADE_REQ =
    "GET /examples/websocket/echo HTTP/1.1\r\n"
    "Host: localhost:18080\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Cookie: JSESSIONID=secret1\r\n"
    "Authorization: Basic c2VjcmV0Mg==\r\n"
    "\r\n";

static void ws_script(struct script *sc)
{
	script_init(sc, 1, 50000, 18080);
	seg_str(sc, CAP_C2S, 100, UPGRADE_REQ);
	seg_str(sc, CAP_S2C, 200,
		"HTTP/1.1 101 \r\nUpgrade: websocket\r\n"
		"Connection: upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		"Set-Cookie: a=secret3\r\n\r\n");
	script_frame(seg_add(sc, CAP_C2S, 300), true, 0, WS_OP_TEXT, true,
		     "hello", 5);
	script_frame(seg_add(sc, CAP_S2C, 400), true, 0, WS_OP_TEXT, false,
		     "hello", 5);
	struct proto_buf *b = seg_add(sc, CAP_C2S, 500);
	script_frame(b, true, 0, WS_OP_PING, true, "pi", 2);
	script_frame(seg_add(sc, CAP_S2C, 600), true, 0, WS_OP_PONG, false,
		     "pi", 2);
	b = seg_add(sc, CAP_C2S, 700);
	script_frame(b, false, 0, WS_OP_TEXT, true, "frag", 4);
	script_frame(b, false, 0, WS_OP_CONT, true, "men", 3);
	script_frame(b, true, 0, WS_OP_CONT, true, "ted", 3);
	uint8_t bin[300];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7);
	script_frame(seg_add(sc, CAP_S2C, 800), true, 0, WS_OP_BINARY, false,
		     bin, sizeof(bin));
	uint8_t cl[WS_MAX_CONTROL];
	int cn = ws_close_payload(cl, 1000, "bye", 3);
	script_frame(seg_add(sc, CAP_C2S, 900), true, 0, WS_OP_CLOSE, true, cl,
		     (size_t)cn);
	script_frame(seg_add(sc, CAP_S2C, 1000), true, 0, WS_OP_CLOSE, false,
		     cl, (size_t)cn);
}

/* A websocket connection `id` from client port `cport` to 18080: the
 * upgrade request at time t, its 101 at t + 10 (no extension). */
static void ws_upgraded(struct script *sc, uint64_t id, uint16_t cport,
			uint64_t t)
{
	script_init(sc, id, cport, 18080);
	seg_str(sc, CAP_C2S, t, UPGRADE_REQ);
	seg_str(sc, CAP_S2C, t + 10,
		"HTTP/1.1 101 \r\nUpgrade: websocket\r\n"
		"Connection: upgrade\r\n\r\n");
}

START_TEST(websocket_session)
{
	struct script sc;
	ws_script(&sc);
	struct cap_sessions *s = run(&sc, 0, 0, true);
	ck_assert_uint_eq(s->nconns, 1);
	struct cs_conn *c = s->conns[0];
	ck_assert_int_eq(c->proto, CS_WS);
	ck_assert_uint_eq(c->nex, 1);
	ck_assert_int_eq(c->ex[0].status, 101);
	ck_assert_uint_eq(c->d[CAP_C2S].messages, 2);
	ck_assert_uint_eq(c->d[CAP_S2C].messages, 2);
	ck_assert_uint_eq(c->nmsgs, 8);
	ck_assert_int_eq(c->msgs[0].opcode, WS_OP_TEXT);
	ck_assert_mem_eq(c->msgs[0].payload, "hello", 5);
	ck_assert_uint_eq(c->msgs[0].ts_us, 300);
	ck_assert_int_eq(c->msgs[2].opcode, WS_OP_PING);
	ck_assert_mem_eq(c->msgs[2].payload, "pi", 2);
	ck_assert_int_eq(c->msgs[3].opcode, WS_OP_PONG);
	ck_assert_uint_eq(c->msgs[4].len, 10);
	ck_assert_mem_eq(c->msgs[4].payload, "fragmented", 10);
	ck_assert_int_eq(c->msgs[5].opcode, WS_OP_BINARY);
	ck_assert_uint_eq(c->msgs[5].len, 300);
	ck_assert_uint_eq(c->msgs[5].payload[299], (uint8_t)(299 * 7));
	ck_assert_int_eq(c->msgs[6].opcode, WS_OP_CLOSE);
	ck_assert_uint_eq(c->msgs[6].close_code, 1000);
	ck_assert_mem_eq(c->msgs[6].payload, "bye", 3);
	ck_assert_uint_eq(c->nnotes, 0);
	char *sum = summary_of(s);
	ck_assert_msg(strstr(sum, "websocket open, closed 1000 by the client"),
		      "%s", sum);
	ck_assert_msg(strstr(sum, "messages c2s 2 s2c 2"), "%s", sum);
	ck_assert_msg(strstr(sum, "#1 127.0.0.1:50000 -> 127.0.0.1:18080 "
				  "websocket \"GET /examples/websocket/echo\" "
				  "101"),
		      "%s", sum);
	free(sum);
	char *j = json_of(s);
	assert_json_valid(j);
	ck_assert_ptr_nonnull(strstr(j, "\"payload\":\"fragmented\""));
	ck_assert_ptr_nonnull(strstr(j, "\"encoding\":\"base64\""));
	ck_assert_ptr_nonnull(strstr(j, "\"code\":1000,\"reason\":\"bye\""));
	free(j);
	char *want = fingerprint(s, true);
	char *want_nt = fingerprint(s, false);
	cap_sessions_free(s);

	size_t maxlen = 0;
	for (size_t i = 0; i < sc.n; i++)
		if (proto_buf_size(&sc.s[i].b) > maxlen)
			maxlen = proto_buf_size(&sc.s[i].b);
	for (size_t k = 0; k <= maxlen; k++) {
		s = run(&sc, 1, k, true);
		char *got = fingerprint(s, true);
		ck_assert_msg(strcmp(got, want) == 0, "split at %zu:\n%s", k,
			      got);
		free(got);
		cap_sessions_free(s);
	}
	s = run(&sc, 2, 0, true);
	char *got = fingerprint(s, true);
	ck_assert_str_eq(got, want);
	free(got);
	cap_sessions_free(s);
	/* each direction's bytes in one call, the client's first: the
	 * frames wait for the 101 */
	s = run(&sc, 3, 0, true);
	got = fingerprint(s, false);
	ck_assert_str_eq(got, want_nt);
	free(got);
	cap_sessions_free(s);
	free(want);
	free(want_nt);
	script_free(&sc);
}
END_TEST

START_TEST(summary_mode_keeps_no_payloads)
{
	struct script sc;
	ws_script(&sc);
	struct cap_sessions *s = run(&sc, 0, 0, false);
	struct cs_conn *c = s->conns[0];
	ck_assert_uint_eq(c->nmsgs, 0);
	ck_assert_uint_eq(c->d[CAP_C2S].messages, 2);
	ck_assert_uint_eq(c->d[CAP_S2C].messages, 2);
	ck_assert_uint_eq(c->d[CAP_C2S].close_code, 1000);
	char *sum = summary_of(s);
	ck_assert_msg(strstr(sum, "closed 1000 by the client"), "%s", sum);
	free(sum);
	cap_sessions_free(s);
	script_free(&sc);
}
END_TEST

/* Frames are decoded in raw mode straight from the segments: a masked
 * message longer than the payload cap keeps its first bytes, unmasked,
 * whatever the split; a text message that is not UTF-8 is counted and
 * kept (base64 in JSON) and decoding goes on, in both modes. */
START_TEST(websocket_raw_cap_and_bad_utf8)
{
	struct script sc;
	ws_upgraded(&sc, 1, 50010, 100);
	static char big[6000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	script_frame(seg_add(&sc, CAP_C2S, 300), true, 0, WS_OP_TEXT, true, big,
		     sizeof(big));
	script_frame(seg_add(&sc, CAP_C2S, 400), true, 0, WS_OP_TEXT, true,
		     "ab\xff"
		     "c",
		     4);
	script_frame(seg_add(&sc, CAP_C2S, 500), true, 0, WS_OP_TEXT, true,
		     "ok", 2);
	uint8_t cl[WS_MAX_CONTROL];
	int cn = ws_close_payload(cl, 1007, "", 0);
	script_frame(seg_add(&sc, CAP_S2C, 600), true, 0, WS_OP_CLOSE, false,
		     cl, (size_t)cn);
	struct cap_session_opts o = {.keep_messages = true, .payload_cap = 100};
	char *want = NULL;
	for (size_t k = 0; k <= sizeof(big) + 20; k += k < 40 ? 1 : 997) {
		struct cap_sessions *s = cap_sessions_new(&o);
		ck_assert_ptr_nonnull(s);
		script_feed(cap_sessions_sink(s), &sc,
			    k ? SCRIPT_SPLIT : SCRIPT_WHOLE, k);
		cap_sessions_finish(s);
		struct cs_conn *c = s->conns[0];
		ck_assert_uint_eq(c->d[CAP_C2S].messages, 3);
		ck_assert_uint_eq(c->nnotes, 0);
		ck_assert_uint_eq(c->nmsgs, 4);
		ck_assert_uint_eq(c->msgs[0].len, sizeof(big));
		ck_assert(c->msgs[0].truncated);
		ck_assert_uint_eq(c->msgs[0].payload_len, 100);
		ck_assert_mem_eq(c->msgs[0].payload, big, 100);
		ck_assert_uint_eq(c->msgs[1].payload_len, 4);
		ck_assert_mem_eq(c->msgs[1].payload,
				 "ab\xff"
				 "c",
				 4);
		ck_assert_mem_eq(c->msgs[2].payload, "ok", 2);
		ck_assert_uint_eq(c->msgs[3].close_code, 1007);
		char *j = json_of(s);
		assert_json_valid(j);
		ck_assert_ptr_nonnull(strstr(
		    j, "\"length\":4,\"encoding\":\"base64\",\"payload\":"
		       "\"YWL/Yw==\""));
		ck_assert_ptr_nonnull(strstr(j, "\"payload\":\"ok\""));
		if (!want)
			want = j;
		else {
			ck_assert_str_eq(j, want);
			free(j);
		}
		cap_sessions_free(s);
	}
	free(want);
	struct cap_sessions *s = run(&sc, 2, 0, false);
	ck_assert_uint_eq(s->conns[0]->d[CAP_C2S].messages, 3);
	ck_assert_uint_eq(s->conns[0]->nnotes, 0);
	char *sum = summary_of(s);
	ck_assert_msg(strstr(sum, "closed 1007 by the server; messages c2s 3 "
				  "s2c 0"),
		      "%s", sum);
	free(sum);
	cap_sessions_free(s);
	script_free(&sc);
}
END_TEST

/* A length not in its shortest form (RFC 6455 section 5.2): a peer closes
 * with 1002, the capture notes it (the first of each direction) and goes
 * on decoding, at every split. */
START_TEST(websocket_long_length_noted)
{
	struct script sc;
	ws_upgraded(&sc, 1, 50011, 100);
	/* "Hello" in the 16-bit form, zero mask key: unmasked as it is */
	static const uint8_t hello16[] = {0x81, 0xfe, 0,   5,	0,   0,	 0,
					  0,	'H',  'e', 'l', 'l', 'o'};
	proto_buf_append(seg_add(&sc, CAP_C2S, 300), hello16, sizeof(hello16));
	proto_buf_append(seg_add(&sc, CAP_C2S, 310), hello16, sizeof(hello16));
	script_frame(seg_add(&sc, CAP_C2S, 320), true, 0, WS_OP_TEXT, true,
		     "ok", 2);
	/* a server ping of 2 bytes in the 64-bit form, after a normal one */
	script_frame(seg_add(&sc, CAP_S2C, 400), true, 0, WS_OP_TEXT, false,
		     "hey", 3);
	static const uint8_t ping64[] = {0x89, 0x7f, 0, 0, 0,	0,
					 0,    0,    0, 2, 'h', 'i'};
	proto_buf_append(seg_add(&sc, CAP_S2C, 410), ping64, sizeof(ping64));
	struct cap_session_opts o = {.keep_messages = true};
	for (size_t k = 0; k < 60; k++) {
		struct cap_sessions *s = cap_sessions_new(&o);
		ck_assert_ptr_nonnull(s);
		script_feed(cap_sessions_sink(s), &sc,
			    k ? SCRIPT_SPLIT : SCRIPT_WHOLE, k);
		cap_sessions_finish(s);
		struct cs_conn *c = s->conns[0];
		ck_assert_int_eq(c->proto, CS_WS);
		ck_assert_uint_eq(c->d[CAP_C2S].messages, 3);
		ck_assert_uint_eq(c->d[CAP_S2C].messages, 1);
		ck_assert_uint_eq(c->d[CAP_S2C].pings, 1);
		ck_assert(!c->d[CAP_C2S].dead && !c->d[CAP_S2C].dead);
		ck_assert_uint_eq(c->nnotes, 2);
		ck_assert_str_eq(
		    c->notes[0].text,
		    "c2s: websocket frame at byte 0 has a 5-byte length in "
		    "the 16-bit form, not the shortest (a peer closes with "
		    "1002); decoding goes on (later ones not noted)");
		ck_assert_str_eq(
		    c->notes[1].text,
		    "s2c: websocket frame at byte 5 has a 2-byte length in "
		    "the 64-bit form, not the shortest (a peer closes with "
		    "1002); decoding goes on (later ones not noted)");
		ck_assert_mem_eq(c->msgs[0].payload, "Hello", 5);
		cap_sessions_free(s);
	}
	script_free(&sc);
}
END_TEST

/* ---- permessage-deflate ---------------------------------------------- */

static void pmd_session(bool no_takeover)
{
	struct script sc;
	script_init(&sc, 1, 50001, 18080);
	seg_str(&sc, CAP_C2S, 10,
		"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n"
		"Sec-WebSocket-Extensions: permessage-deflate; "
		"client_max_window_bits\r\n\r\n");
	const char *ext =
	    no_takeover ? "permessage-deflate;server_no_context_takeover;"
			  "client_no_context_takeover;server_max_window_bits="
			  "10;client_max_window_bits=9"
			: "permessage-deflate;client_max_window_bits=15";
	struct proto_buf *b = seg_add(&sc, CAP_S2C, 20);
	proto_buf_appendf(b,
			  "HTTP/1.1 101 Switching Protocols\r\n"
			  "Upgrade: websocket\r\nConnection: upgrade\r\n"
			  "Sec-WebSocket-Accept: "
			  "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
			  "Sec-WebSocket-Extensions: %s\r\n\r\n",
			  ext);
	struct pmd_params pp;
	ck_assert_int_eq(pmd_parse(ext, strlen(ext), &pp), 1);
	struct pmd_ctx cli, srv;
	ck_assert_int_eq(pmd_init(&cli, &pp, false, 0), 0);
	ck_assert_int_eq(pmd_init(&srv, &pp, true, 0), 0);
	static const char *msgs[] = {"Hello, Hello, Hello, compressed world",
				     "Hello, Hello, Hello, compressed world",
				     "", "another message, another message"};
	uint64_t ts = 30;
	for (size_t i = 0; i < 4; i++) {
		for (int d = 0; d < 2; d++) {
			struct proto_buf z = PROTO_BUF_INIT;
			struct pmd_ctx *ctx = d == 0 ? &cli : &srv;
			size_t n = strlen(msgs[i]);
			if (i == 3) { /* two frames, deflated in two pieces */
				ck_assert_int_eq(
				    pmd_deflate(ctx, (const uint8_t *)msgs[i],
						10, false, &z),
				    0);
				struct proto_buf *fb =
				    seg_add(&sc, (enum cap_dir)d, ts++);
				script_frame(fb, false, WS_RSV1, WS_OP_TEXT,
					     d == 0, proto_buf_head(&z),
					     proto_buf_size(&z));
				proto_buf_reset(&z);
				ck_assert_int_eq(
				    pmd_deflate(ctx,
						(const uint8_t *)msgs[i] + 10,
						n - 10, true, &z),
				    0);
				script_frame(fb, true, 0, WS_OP_CONT, d == 0,
					     proto_buf_head(&z),
					     proto_buf_size(&z));
			} else {
				ck_assert_int_eq(
				    pmd_deflate(ctx, (const uint8_t *)msgs[i],
						n, true, &z),
				    0);
				script_frame(
				    seg_add(&sc, (enum cap_dir)d, ts++), true,
				    WS_RSV1, WS_OP_TEXT, d == 0,
				    proto_buf_head(&z), proto_buf_size(&z));
			}
			proto_buf_free(&z);
		}
	}
	pmd_free(&cli);
	pmd_free(&srv);
	for (int how = 0; how < 3; how++) {
		struct cap_sessions *s = run(&sc, how, 3, true);
		struct cs_conn *c = s->conns[0];
		ck_assert_int_eq(c->proto, CS_WS);
		ck_assert_uint_eq(c->nnotes, 0);
		ck_assert_uint_eq(c->nmsgs, 8);
		for (size_t i = 0; i < 8; i++) {
			const char *w = msgs[i / 2];
			ck_assert_int_eq(c->msgs[i].dir, (int)(i % 2));
			ck_assert(c->msgs[i].compressed);
			ck_assert_uint_eq(c->msgs[i].len, strlen(w));
			ck_assert_uint_eq(c->msgs[i].payload_len, strlen(w));
			ck_assert_mem_eq(c->msgs[i].payload, w, strlen(w));
		}
		cap_sessions_free(s);
	}
	script_free(&sc);
}

START_TEST(permessage_deflate_takeover)
{
	pmd_session(false);
}
END_TEST

START_TEST(permessage_deflate_no_takeover)
{
	pmd_session(true);
}
END_TEST

/* ---- HTTP keep-alive --------------------------------------------------- */

START_TEST(http_keepalive_chunked)
{
	struct script sc;
	script_init(&sc, 3, 50002, 8080);
	seg_str(&sc, CAP_C2S, 10,
		"POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
		"abcde"
		"GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
	seg_str(&sc, CAP_S2C, 20,
		"HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	seg_str(&sc, CAP_S2C, 30,
		"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n"
		"Set-Cookie: s=1\r\n\r\n"
		"4\r\nnot \r\n5\r\nfound\r\n0\r\n\r\n");
	seg_str(&sc, CAP_C2S, 40, "HEAD /c HTTP/1.1\r\nHost: h\r\n\r\n");
	seg_str(&sc, CAP_S2C, 50,
		"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
	struct cap_sessions *s = run(&sc, 0, 0, true);
	char *want = fingerprint(s, true);
	struct cs_conn *c = s->conns[0];
	ck_assert_int_eq(c->proto, CS_HTTP);
	ck_assert_uint_eq(c->nex, 3);
	ck_assert_str_eq(c->ex[0].method, "POST");
	ck_assert_uint_eq(c->ex[0].req_body, 5);
	ck_assert_int_eq(c->ex[0].status, 200);
	ck_assert_uint_eq(c->ex[0].resp_body, 2);
	ck_assert_str_eq(c->ex[1].target, "/b");
	ck_assert_int_eq(c->ex[1].status, 404);
	ck_assert_uint_eq(c->ex[1].resp_body, 9);
	ck_assert_int_eq(c->ex[2].status, 200);
	ck_assert_uint_eq(c->ex[2].resp_body, 0);
	ck_assert_uint_eq(c->nnotes, 0);
	char *sum = summary_of(s);
	ck_assert_msg(strstr(sum, "http \"POST /a?x=1\" 200: 3 requests, 3 "
				  "responses"),
		      "%s", sum);
	free(sum);
	char *j = json_of(s);
	assert_json_valid(j);
	ck_assert_ptr_nonnull(strstr(j, "[\"Set-Cookie\",\"[redacted]\"]"));
	free(j);
	cap_sessions_free(s);
	for (size_t k = 0; k < 120; k++) {
		s = run(&sc, 1, k, true);
		char *got = fingerprint(s, true);
		ck_assert_msg(strcmp(got, want) == 0, "split %zu: %s", k, got);
		free(got);
		cap_sessions_free(s);
	}
	free(want);
	script_free(&sc);
}
END_TEST

START_TEST(http_gap_resync)
{
	struct script sc;
	script_init(&sc, 4, 50003, 8080);
	seg_str(&sc, CAP_C2S, 10, "GET /one HTTP/1.1\r\nHost: h\r\n\r\n");
	seg_str(&sc, CAP_S2C, 20, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n");
	seg_gap(&sc, CAP_S2C, 21, 30);
	seg_str(&sc, CAP_S2C, 22, "junk\r\nmore junk\r\n");
	seg_str(&sc, CAP_C2S, 30, "GET /two HTTP/1.1\r\nHost: h\r\n\r\n");
	seg_str(&sc, CAP_S2C, 40, "HTTP/1.1 204 No Content\r\n\r\n");
	struct cap_sessions *s = run(&sc, 0, 0, true);
	struct cs_conn *c = s->conns[0];
	ck_assert_uint_eq(c->nex, 2);
	/* the first response was lost in the gap; the next parses */
	ck_assert(c->ex[0].has_resp);
	ck_assert_int_eq(c->ex[0].status, 204);
	ck_assert_uint_eq(c->d[CAP_S2C].gap_bytes, 30);
	ck_assert_str_eq(c->notes[0].text, "s2c: gap of 30 bytes");
	char *sum = summary_of(s);
	ck_assert_msg(strstr(sum, "gaps c2s 0 s2c 30 bytes"), "%s", sum);
	free(sum);
	cap_sessions_free(s);
	script_free(&sc);
}
END_TEST

/* ---- a gap inside a websocket frame ---------------------------------- */

START_TEST(websocket_gap_mid_frame)
{
	struct script sc;
	ws_upgraded(&sc, 5, 50004, 10);
	struct proto_buf whole = PROTO_BUF_INIT;
	script_frame(&whole, true, 0, WS_OP_TEXT, true,
		     "a message cut by a gap in the capture", 37);
	proto_buf_append(seg_add(&sc, CAP_C2S, 30), proto_buf_head(&whole), 10);
	seg_gap(&sc, CAP_C2S, 31, 10);
	proto_buf_append(seg_add(&sc, CAP_C2S, 32), proto_buf_head(&whole) + 20,
			 proto_buf_size(&whole) - 20);
	script_frame(seg_add(&sc, CAP_C2S, 33), true, 0, WS_OP_TEXT, true,
		     "next", 4);
	script_frame(seg_add(&sc, CAP_S2C, 40), true, 0, WS_OP_TEXT, false,
		     "one", 3);
	script_frame(seg_add(&sc, CAP_S2C, 41), true, 0, WS_OP_TEXT, false,
		     "two", 3);
	proto_buf_free(&whole);
	for (int how = 0; how < 3; how++) {
		struct cap_sessions *s = run(&sc, how, 5, true);
		struct cs_conn *c = s->conns[0];
		ck_assert_int_eq(c->proto, CS_WS);
		ck_assert_uint_eq(c->d[CAP_C2S].messages, 0);
		ck_assert_uint_eq(c->d[CAP_S2C].messages, 2);
		ck_assert(c->d[CAP_C2S].dead);
		ck_assert_uint_ge(c->nnotes, 1);
		ck_assert_str_eq(c->notes[0].text, "c2s: gap of 10 bytes");
		char *j = json_of(s);
		assert_json_valid(j);
		ck_assert_ptr_nonnull(strstr(j, "gap of 10 bytes"));
		free(j);
		cap_sessions_free(s);
	}
	script_free(&sc);
}
END_TEST

/* ---- AJP --------------------------------------------------------------- */

#define S(lit) ((struct ajp_str){lit, sizeof(lit) - 1})

static void ajp_script(struct script *sc, uint64_t id, uint64_t t0)
{
	script_init(sc, id, 40000 + (uint16_t)id, 18009);
	static struct ajp_forward_request fr;
	memset(&fr, 0, sizeof(fr));
	fr.method = S("GET");
	fr.protocol = S("HTTP/1.1");
	fr.req_uri = S("/examples/websocket/echo");
	fr.remote_addr = S("127.0.0.1");
	fr.remote_host = S("127.0.0.1");
	fr.server_name = S("localhost");
	fr.server_port = 18080;
	fr.nheaders = 5;
	fr.headers[0] = (struct ajp_pair){S("Host"), S("localhost"), 0};
	fr.headers[1] = (struct ajp_pair){S("Upgrade"), S("websocket"), 0};
	fr.headers[2] = (struct ajp_pair){S("Connection"), S("Upgrade"), 0};
	fr.headers[3] = (struct ajp_pair){S("Cookie"), S("JSESSIONID=x"), 0};
	fr.headers[4] =
	    (struct ajp_pair){S("Sec-WebSocket-Version"), S("13"), 0};
	fr.nattributes = 1;
	fr.attributes[0] =
	    (struct ajp_pair){S("AJP_REMOTE_PORT"), S("40000"), 0};
	ck_assert_int_eq(
	    ajp_forward_request_encode(seg_add(sc, CAP_C2S, t0), &fr, 0), 0);
	static struct ajp_send_headers sh;
	memset(&sh, 0, sizeof(sh));
	sh.status = 500;
	sh.message = S("500");
	sh.nheaders = 1;
	sh.headers[0] = (struct ajp_pair){S("Content-Type"), S("text/html"), 0};
	struct proto_buf *b = seg_add(sc, CAP_S2C, t0 + 100);
	ck_assert_int_eq(ajp_send_headers_encode(b, &sh, 0), 0);
	ck_assert_int_eq(ajp_body_chunk_encode(b, "<html>error</html>", 18, 0),
			 0);
	ck_assert_int_eq(ajp_end_response_encode(b, true), 0);
	ck_assert_int_eq(ajp_cping_encode(seg_add(sc, CAP_C2S, t0 + 200)), 0);
	ck_assert_int_eq(ajp_cpong_encode(seg_add(sc, CAP_S2C, t0 + 300)), 0);
}

START_TEST(ajp_exchange)
{
	struct script sc;
	ajp_script(&sc, 7, 1000);
	struct cap_sessions *s = run(&sc, 0, 0, true);
	char *want = fingerprint(s, true);
	struct cs_conn *c = s->conns[0];
	ck_assert_int_eq(c->proto, CS_AJP);
	ck_assert_uint_eq(c->nex, 1);
	struct cs_exchange *e = &c->ex[0];
	ck_assert_str_eq(e->method, "GET");
	ck_assert_str_eq(e->target, "/examples/websocket/echo");
	ck_assert(e->upgrade);
	ck_assert_int_eq(e->status, 500);
	ck_assert_str_eq(e->reason, "500");
	ck_assert_uint_eq(e->resp_body, 18);
	ck_assert(e->complete && e->ajp_reuse);
	ck_assert_uint_eq(c->cpings, 1);
	ck_assert_uint_eq(c->cpongs, 1);
	ck_assert_uint_eq(e->attributes.n, 2);
	ck_assert_str_eq(e->attributes.kv[0], "AJP_REMOTE_PORT");
	char *sum = summary_of(s);
	ck_assert_msg(strstr(sum, "ajp \"GET /examples/websocket/echo\" 500: "
				  "AJP: upgrade request answered 500"),
		      "%s", sum);
	free(sum);
	char *j = json_of(s);
	assert_json_valid(j);
	ck_assert_ptr_nonnull(strstr(j, "\"payload\":\"<html>error</html>\""));
	ck_assert_ptr_nonnull(strstr(j, "[\"AJP_REMOTE_PORT\",\"40000\"]"));
	ck_assert_ptr_nonnull(strstr(j, "[\"cookie\",\"[redacted]\"]"));
	free(j);
	cap_sessions_free(s);
	for (size_t k = 0; k < 200; k++) {
		s = run(&sc, 1, k, true);
		char *got = fingerprint(s, true);
		ck_assert_str_eq(got, want);
		free(got);
		cap_sessions_free(s);
	}
	free(want);
	script_free(&sc);
}
END_TEST

static void read_bin(struct proto_buf *b, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/ajp/%s", WSSIM_TEST_DATA, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	uint8_t buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		proto_buf_append(b, buf, n);
	fclose(f);
}

START_TEST(ajp_real_capture_bytes)
{
	struct script sc;
	script_init(&sc, 2, 46000, 18009);
	read_bin(seg_add(&sc, CAP_C2S, 10), "forward_request_upgrade.bin");
	read_bin(seg_add(&sc, CAP_S2C, 20), "send_headers_500.bin");
	read_bin(seg_add(&sc, CAP_S2C, 30), "body_chunk_error.bin");
	read_bin(seg_add(&sc, CAP_S2C, 40), "end_response.bin");
	for (int how = 0; how < 3; how++) {
		struct cap_sessions *s = run(&sc, how, 7, true);
		struct cs_conn *c = s->conns[0];
		ck_assert_int_eq(c->proto, CS_AJP);
		ck_assert_uint_eq(c->nex, 1);
		ck_assert_uint_eq(c->nnotes, 0);
		struct cs_exchange *e = &c->ex[0];
		ck_assert_str_eq(e->method, "GET");
		ck_assert_str_eq(e->target,
				 "/examples/websocket/echoProgrammatic");
		ck_assert(e->upgrade);
		ck_assert_int_eq(e->status, 500);
		ck_assert_str_eq(e->reason, "500");
		ck_assert_uint_eq(e->resp_body, 1563);
		ck_assert(e->complete && e->ajp_reuse);
		char *sum = summary_of(s);
		ck_assert_msg(strstr(sum, "AJP: upgrade request answered 500"),
			      "%s", sum);
		free(sum);
		char *j = json_of(s);
		assert_json_valid(j);
		ck_assert_ptr_nonnull(
		    strstr(j, "HTTP upgrade is not supported"));
		free(j);
		cap_sessions_free(s);
	}
	script_free(&sc);
}
END_TEST

/* ---- legs, redaction, filter ----------------------------------------- */

START_TEST(legs_client_and_ajp_backend)
{
	struct script cl, be;
	script_init(&cl, 1, 50010, 80);
	seg_str(&cl, CAP_C2S, 1000000, UPGRADE_REQ);
	seg_str(&cl, CAP_S2C, 1300000,
		"HTTP/1.1 500 500\r\nContent-Length: 0\r\n\r\n");
	ajp_script(&be, 2, 1000400);
	struct cap_session_opts o = {.keep_messages = true};
	struct cap_sessions *s = cap_sessions_new(&o);
	struct cap_tcp_sink *k = cap_sessions_sink(s);
	script_feed(k, &cl, 0, 0);
	script_feed(k, &be, 0, 0);
	char *sum = summary_of(s);
	ck_assert_uint_eq(s->conns[1]->leg_of, 1);
	ck_assert_uint_eq(s->conns[0]->backend_leg, 2);
	ck_assert_uint_eq(s->conns[0]->ex[0].link_conn, 2);
	ck_assert_uint_eq(s->conns[1]->ex[0].link_conn, 1);
	ck_assert_msg(strstr(sum, "HTTP 500 500 to a websocket upgrade: a "
				  "browser reports closed 1006"),
		      "%s", sum);
	ck_assert_msg(strstr(sum, "leg of #1"), "%s", sum);
	ck_assert_msg(strstr(sum, "backend leg #2"), "%s", sum);
	free(sum);
	char *j = json_of(s);
	assert_json_valid(j);
	ck_assert_ptr_nonnull(strstr(j, "\"leg_of\":1"));
	ck_assert_ptr_nonnull(
	    strstr(j, "\"leg\":{\"connection\":2,\"exchange\":0,\"role\":"
		      "\"backend\"}"));
	free(j);
	cap_sessions_free(s);

	/* more than 1 s apart: no link */
	script_free(&be);
	ajp_script(&be, 2, 2100000);
	s = cap_sessions_new(&o);
	k = cap_sessions_sink(s);
	script_feed(k, &cl, 0, 0);
	script_feed(k, &be, 0, 0);
	cap_sessions_finish(s);
	ck_assert_uint_eq(s->conns[1]->leg_of, 0);
	cap_sessions_free(s);
	script_free(&cl);
	script_free(&be);
}
END_TEST

START_TEST(redaction_and_filter)
{
	struct script sc;
	ws_script(&sc);
	struct cap_session_opts o = {.keep_messages = true};
	struct cap_sessions *s = cap_sessions_new(&o);
	script_feed(cap_sessions_sink(s), &sc, 0, 0);
	char *j = json_of(s);
	ck_assert_ptr_null(strstr(j, "secret"));
	ck_assert_ptr_nonnull(strstr(j, "[\"Cookie\",\"[redacted]\"]"));
	ck_assert_ptr_nonnull(strstr(j, "[\"Authorization\",\"[redacted]\"]"));
	ck_assert_ptr_nonnull(strstr(j, "[\"Set-Cookie\",\"[redacted]\"]"));
	free(j);
	cap_sessions_free(s);

	o.no_redact = true;
	s = cap_sessions_new(&o);
	script_feed(cap_sessions_sink(s), &sc, 0, 0);
	j = json_of(s);
	ck_assert_ptr_nonnull(strstr(j, "JSESSIONID=secret1"));
	ck_assert_ptr_nonnull(strstr(j, "Basic c2VjcmV0Mg=="));
	ck_assert_ptr_nonnull(strstr(j, "a=secret3"));
	free(j);
	cap_sessions_free(s);

	static const struct {
		const char *filter;
		bool match;
	} cases[] = {{"18080", true},	  {":50000", true},
		     {"9999", false},	  {"127.0.0.1", true},
		     {"10.0.0.1", false}, {"/websocket/", true},
		     {"/nothere", false}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cap_session_opts fo = {.filter = cases[i].filter};
		s = cap_sessions_new(&fo);
		script_feed(cap_sessions_sink(s), &sc, 0, 0);
		char *sum = summary_of(s);
		ck_assert_msg((strlen(sum) > 0) == cases[i].match,
			      "filter %s: %s", cases[i].filter, sum);
		free(sum);
		cap_sessions_free(s);
	}
	script_free(&sc);
}
END_TEST

START_TEST(json_payload_cap_and_tls)
{
	struct script sc;
	ws_script(&sc);
	struct cap_session_opts o = {.keep_messages = true, .payload_cap = 4};
	struct cap_sessions *s = cap_sessions_new(&o);
	script_feed(cap_sessions_sink(s), &sc, 0, 0);
	char *j = json_of(s);
	assert_json_valid(j);
	ck_assert_ptr_nonnull(
	    strstr(j, "\"length\":10,\"encoding\":\"text\",\"payload\":"
		      "\"frag\",\"truncated\":true"));
	free(j);
	cap_sessions_free(s);
	script_free(&sc);

	/* a TLS 1.3 ClientHello with SNI and supported_versions */
	script_init(&sc, 9, 50020, 443);
	seg_client_hello(&sc, 5);
	for (int how = 0; how < 3; how++) {
		s = run(&sc, how, 9, true);
		struct cs_conn *c = s->conns[0];
		ck_assert_int_eq(c->proto, CS_TLS);
		struct cs_tls_facts f;
		ck_assert(cs_tls_facts(c, &f));
		ck_assert_str_eq(c->sni, "localhost");
		ck_assert_str_eq(f.offered, "TLS1.3,TLS1.2");
		j = json_of(s);
		assert_json_valid(j);
		ck_assert_ptr_nonnull(strstr(
		    j, "\"tls\":{\"sni\":\"localhost\",\"offered\":[\"TLS1.3\","
		       "\"TLS1.2\"]"));
		free(j);
		cap_sessions_free(s);
	}
	script_free(&sc);
}
END_TEST

/* TLS without a filter in front: why not decrypted is the session's to
 * say (no --keylog; the handshake not captured); with the filter's
 * verdict (the `tls` event) a decrypted connection keeps its TLS facts. */
START_TEST(tls_decryption_notes)
{
	struct script sc;
	script_init(&sc, 9, 50020, 443);
	seg_client_hello(&sc, 5);
	struct cap_sessions *s = run(&sc, 0, 0, true);
	char *j = json_of(s), *sum = summary_of(s);
	assert_json_valid(j);
	ck_assert_ptr_nonnull(
	    strstr(j, "\"client_hello\":true,\"server_hello\":false,"
		      "\"cipher_suite\":null,\"decrypted\":false,"
		      "\"not_decrypted\":{\"reason\":\"no_keylog\",\"text\":"
		      "\"no --keylog given\"},\"records\":{\"c2s\":0,"
		      "\"s2c\":0},\"stopped\":{\"c2s\":null,\"s2c\":null}}"));
	ck_assert_msg(strstr(sum, "selected ?; bytes c2s 79 s2c 0; not "
				  "decrypted: no --keylog given\n"),
		      "%s", sum);
	free(j);
	free(sum);
	cap_sessions_free(s);
	script_free(&sc);

	/* application data records of a connection open before the
	 * capture: TLS whose handshake was not captured */
	static const uint8_t rec[] = {0x17, 0x03, 0x03, 0x00, 0x03, 1, 2, 3};
	for (int syn = 0; syn < 2; syn++) {
		script_init(&sc, 10, 50021, 443);
		sc.no_syn = !syn;
		proto_buf_append(seg_add(&sc, CAP_C2S, 5), rec, sizeof(rec));
		proto_buf_append(seg_add(&sc, CAP_S2C, 6), rec, sizeof(rec));
		s = run(&sc, 2, 0, true);
		struct cs_conn *c = s->conns[0];
		/* with a SYN seen, records without a handshake are no TLS */
		ck_assert_int_eq(c->proto, syn ? CS_TCP : CS_TLS);
		j = json_of(s);
		sum = summary_of(s);
		assert_json_valid(j);
		ck_assert_msg(
		    !syn == !!strstr(j, "\"client_hello\":false,\"server_"
					"hello\":false,\"cipher_suite\":null,"
					"\"decrypted\":false,\"not_"
					"decrypted\":{\"reason\":\"no_"
					"handshake\",\"text\":\"the "
					"handshake was not captured: the "
					"capture began mid-connection\"}"),
		    "%s", j);
		ck_assert(!syn == !!strstr(sum,
					   "; not decrypted: the handshake "
					   "was not captured: the capture "
					   "began mid-connection\n"));
		free(j);
		free(sum);
		cap_sessions_free(s);
		script_free(&sc);
	}

	/* decrypted by the filter in front: an http connection that says
	 * it was TLS, one direction stopped at a bad record */
	struct cap_tls_info in;
	memset(&in, 0, sizeof(in));
	in.state = CAP_TLS_DECRYPTING;
	snprintf(in.sni, sizeof(in.sni), "example.test");
	in.offered[0] = 0x0304;
	in.offered[1] = 0x0303;
	in.noffered = 2;
	in.version = 0x0304;
	in.suite = 0x1302;
	in.keylog_entry = true;
	in.records[0] = 3;
	in.records[1] = 5;
	in.stop_err[1] = CAP_TLS_E_DECRYPT;
	in.fail_record[1] = 9;
	script_init(&sc, 12, 50022, 443);
	sc.tls = &in;
	seg_str(&sc, CAP_C2S, 5, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	seg_str(&sc, CAP_S2C, 6, "HTTP/1.1 204 No Content\r\n\r\n");
	s = run(&sc, 0, 0, true);
	ck_assert_int_eq(s->conns[0]->proto, CS_HTTP);
	j = json_of(s);
	sum = summary_of(s);
	assert_json_valid(j);
	ck_assert_msg(
	    strstr(j, "\"protocol\":\"http\"") &&
		strstr(j,
		       "\"tls\":{\"sni\":\"example.test\",\"offered\":"
		       "[\"TLS1.3\",\"TLS1.2\"],\"selected\":\"TLS1.3\","
		       "\"client_hello\":true,\"server_hello\":true,"
		       "\"cipher_suite\":{\"id\":4866,\"name\":\"TLS_AES_"
		       "256_GCM_SHA384\"},\"decrypted\":true,\"not_"
		       "decrypted\":null,\"records\":{\"c2s\":3,\"s2c\":5},"
		       "\"stopped\":{\"c2s\":null,\"s2c\":{\"reason\":"
		       "\"decrypt_failed\",\"text\":\"decryption failed at "
		       "s2c record 9 (bad authentication tag: wrong secret or "
		       "corrupted data)\",\"dir\":\"s2c\",\"record\":9}}}"),
	    "%s", j);
	ck_assert_msg(strstr(sum, "; decrypted TLS1.3 TLS_AES_256_GCM_SHA384 "
				  "sni=example.test; s2c decryption stopped: "
				  "decryption failed at s2c record 9 (bad"),
		      "%s", sum);
	free(j);
	free(sum);
	cap_sessions_free(s);
	script_free(&sc);
}
END_TEST

START_TEST(plain_tcp_and_garbage)
{
	struct script sc;
	script_init(&sc, 11, 50030, 6379);
	seg_str(&sc, CAP_C2S, 1, "*1\r\n$4\r\nPING\r\n");
	seg_str(&sc, CAP_S2C, 2, "+PONG\r\n");
	struct cap_sessions *s = run(&sc, 2, 0, true);
	ck_assert_int_eq(s->conns[0]->proto, CS_TCP);
	ck_assert_uint_eq(s->conns[0]->d[CAP_C2S].bytes, 14);
	char *j = json_of(s);
	assert_json_valid(j);
	free(j);
	cap_sessions_free(s);
	script_free(&sc);
}
END_TEST

static Suite *cap_session_suite(void)
{
	Suite *s = suite_create("cap_session");
	TCase *tc = tcase_create("websocket");
	tcase_add_test(tc, websocket_session);
	tcase_add_test(tc, summary_mode_keeps_no_payloads);
	tcase_add_test(tc, websocket_gap_mid_frame);
	tcase_add_test(tc, websocket_raw_cap_and_bad_utf8);
	tcase_add_test(tc, websocket_long_length_noted);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("pmd");
	tcase_add_test(tc, permessage_deflate_takeover);
	tcase_add_test(tc, permessage_deflate_no_takeover);
	suite_add_tcase(s, tc);
	tc = tcase_create("http");
	tcase_add_test(tc, http_keepalive_chunked);
	tcase_add_test(tc, http_gap_resync);
	tcase_add_test(tc, plain_tcp_and_garbage);
	suite_add_tcase(s, tc);
	tc = tcase_create("ajp");
	tcase_add_test(tc, ajp_exchange);
	tcase_add_test(tc, ajp_real_capture_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("output");
	tcase_add_test(tc, legs_client_and_ajp_backend);
	tcase_add_test(tc, redaction_and_filter);
	tcase_add_test(tc, json_payload_cap_and_tls);
	tcase_add_test(tc, tls_decryption_notes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(cap_session_suite)
