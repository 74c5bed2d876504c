/* Recordings as scenarios: the collected sessions as a scenario tree
 * (cap_scn.h). Each client-side HTTP exchange becomes an http client with
 * `expect status`; each websocket upgrade a websocket client: the request
 * headers a browser would not send anyway, `expect status` and `expect
 * open` (or `expect closed 1006` for a refused upgrade), then the messages
 * in recorded order, the client's as sends, the server's as expectations,
 * and the close. Sends and answers carry `at`: when they happened, since
 * the client's start (its connection's SYN): a send is made at that time,
 * an answer's is what `wssim replay` compares the replay's timing with. A
 * connection decrypted with a key log keeps its scheme (wss://, https://) and
 * its TLS facts as a comment on the client; one that stayed TLS is named in a
 * note saying why it could not be recorded. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cap_scn.h"
#include "cap_session_int.h"
#include "proto_buf.h"
#include "ws_frame.h"

#define SCN_TIMEOUT_MS 5000 /* the parser's default per wait */

struct build {
	struct cap_sessions *s;
	struct scn_file *f;
	struct proto_buf notes;
	bool oom;
};

static char *dupn(struct build *b, const void *p, size_t n)
{
	char *d = malloc(n + 1);
	if (!d) {
		b->oom = true;
		return NULL;
	}
	if (n)
		memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

static char *dups(struct build *b, const char *s)
{
	return dupn(b, s, strlen(s));
}

/* A template that stands for `s` literally: every `${` becomes `$${`. */
static char *tmpl(struct build *b, const char *s)
{
	struct proto_buf o = PROTO_BUF_INIT;
	int r = 0;
	for (const char *p = s; *p && !r; p++) {
		if (p[0] == '$' && p[1] == '{')
			r = proto_buf_append_u8(&o, '$');
		if (!r)
			r = proto_buf_append_u8(&o, (uint8_t)*p);
	}
	char *d = r ? NULL : proto_buf_steal(&o, NULL);
	proto_buf_free(&o);
	if (!d)
		b->oom = true;
	return d;
}

/* s with every byte that is not printable ASCII as '?', into out (a
 * comment must stay one line). */
static void printable(const char *s, char *out, size_t len)
{
	size_t i = 0;
	for (; s[i] && i + 1 < len; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

/* "TLS1.3 (TLS_AES_128_GCM_SHA256), SNI example.com" as far as known. */
static void tls_words(const struct cs_tls_facts *t, char *out, size_t len)
{
	char sni[128];
	printable(t->sni ? t->sni : "", sni, sizeof(sni));
	snprintf(out, len, "%s%s%s%s%s%s", t->selected[0] ? t->selected : "TLS",
		 t->suite_text[0] ? " (" : "", t->suite_text,
		 t->suite_text[0] ? ")" : "",
		 !t->client_hello ? ""
		 : t->sni	  ? ", SNI "
				  : ", no SNI",
		 sni);
}

static void note(struct build *b, const char *client, const char *text)
{
	if (proto_buf_appendf(&b->notes, "# %s: %s\n", client, text) < 0)
		b->oom = true;
}

static struct scn_client *client_add(struct build *b)
{
	struct scn_file *f = b->f;
	struct scn_client *v =
	    realloc(f->clients, (f->nclients + 1) * sizeof(*v));
	if (!v) {
		b->oom = true;
		return NULL;
	}
	f->clients = v;
	struct scn_client *c = &v[f->nclients++];
	memset(c, 0, sizeof(*c));
	return c;
}

static struct scn_step *step_add(struct build *b, struct scn_client *c,
				 enum scn_step_kind kind)
{
	struct scn_step *v = realloc(c->steps, (c->nsteps + 1) * sizeof(*v));
	if (!v) {
		b->oom = true;
		return NULL;
	}
	c->steps = v;
	struct scn_step *st = &v[c->nsteps++];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->clean = -1;
	st->upgrade = -1;
	return st;
}

static void header_add(struct build *b, struct scn_client *c, const char *name,
		       const char *value)
{
	struct scn_header *v =
	    realloc(c->headers, (c->nheaders + 1) * sizeof(*v));
	if (!v) {
		b->oom = true;
		return;
	}
	c->headers = v;
	struct scn_header *h = &v[c->nheaders++];
	h->name = dups(b, name);
	h->value = tmpl(b, value);
}

static const char *pair_get(const struct cs_pairs *p, const char *name)
{
	for (size_t i = 0; i + 1 < p->n; i += 2)
		if (!strcasecmp(p->kv[i], name))
			return p->kv[i + 1];
	return NULL;
}

/* Headers our client sends anyway (its own values), or that say how the
 * bytes travel: not repeated in the recording. */
static bool header_default(const char *name, bool ws)
{
	static const char *const both[] = {"host",
					   "connection",
					   "user-agent",
					   "accept-encoding",
					   "accept-language",
					   "content-length",
					   "transfer-encoding",
					   "keep-alive",
					   "te",
					   "upgrade",
					   "pragma",
					   "cache-control"};
	static const char *const wsonly[] = {
	    "sec-websocket-key", "sec-websocket-version",
	    "sec-websocket-extensions", "sec-websocket-protocol", "origin"};
	static const char *const httponly[] = {"accept",
					       "upgrade-insecure-requests"};
	for (size_t i = 0; i < sizeof(both) / sizeof(both[0]); i++)
		if (!strcasecmp(name, both[i]))
			return true;
	if (ws) {
		for (size_t i = 0; i < sizeof(wsonly) / sizeof(wsonly[0]); i++)
			if (!strcasecmp(name, wsonly[i]))
				return true;
	} else {
		for (size_t i = 0; i < sizeof(httponly) / sizeof(httponly[0]);
		     i++)
			if (!strcasecmp(name, httponly[i]))
				return true;
	}
	return false;
}

/* The URL: scheme, the recorded Host (or the server's address), the
 * target's path and query (an absolute-form target keeps its path). */
static char *make_url(struct build *b, const struct cs_conn *c,
		      const struct cs_exchange *ex, bool ws)
{
	struct cs_tls_facts tf;
	bool tls = cs_tls_facts(c, &tf);
	const char *scheme =
	    ws ? (tls ? "wss" : "ws") : (tls ? "https" : "http");
	char addr[80];
	const char *host = pair_get(&ex->req_headers, "host");
	if (!host || !*host) {
		cs_endpoint_format(&c->server, addr, sizeof(addr));
		host = addr;
	}
	const char *t = ex->target ? ex->target : "/";
	const char *sep = strstr(t, "://");
	if (sep && t[0] != '/') {
		t = strchr(sep + 3, '/');
		if (!t)
			t = "/";
	}
	struct proto_buf o = PROTO_BUF_INIT;
	int r = proto_buf_appendf(&o, "%s://%s%s%s", scheme, host,
				  t[0] == '/' ? "" : "/", t);
	char *url = r ? NULL : proto_buf_steal(&o, NULL);
	proto_buf_free(&o);
	if (!url) {
		b->oom = true;
		return NULL;
	}
	char *u = tmpl(b, url);
	free(url);
	return u;
}

static void client_name(struct build *b, struct scn_client *cl,
			const struct cs_conn *c, size_t k, size_t n)
{
	char name[64];
	if (n > 1)
		snprintf(name, sizeof(name), "c%llu_%zu",
			 (unsigned long long)c->id, k + 1);
	else
		snprintf(name, sizeof(name), "c%llu",
			 (unsigned long long)c->id);
	cl->name = dups(b, name);
}

/* The recorded request headers as client options. */
static void client_headers(struct build *b, struct scn_client *cl,
			   const struct cs_exchange *ex, bool ws)
{
	const struct cs_pairs *p = &ex->req_headers;
	for (size_t i = 0; i + 1 < p->n; i += 2) {
		const char *name = p->kv[i], *value = p->kv[i + 1];
		if (ws && !strcasecmp(name, "origin") && !cl->origin)
			cl->origin = tmpl(b, value);
		else if (ws && !strcasecmp(name, "sec-websocket-protocol") &&
			 !cl->protocols)
			cl->protocols = dups(b, value);
		else if (!header_default(name, ws))
			header_add(b, cl, name,
				   cs_header_redacted(b->s, name) ? "[redacted]"
								  : value);
	}
	if (ws) {
		const char *ext =
		    pair_get(&ex->req_headers, "sec-websocket-extensions");
		if (p->n && (!ext || !strstr(ext, "permessage-deflate")))
			cl->extensions = dups(b, "");
	}
	if (ex->method && strcmp(ex->method, "GET") && !ws)
		cl->method = dups(b, ex->method);
}

static uint64_t ms_between(uint64_t from_us, uint64_t to_us)
{
	if (to_us <= from_us)
		return 0;
	return (to_us - from_us + 500) / 1000;
}

/* `at`: when a step happened, relative to the client's start (left out
 * beyond the parser's 24 hours). On a send it is when the replay sends it;
 * measured from the start rather than from the step before, so neither
 * rounding nor the server's answer times add up over a session. */
static void at(struct scn_step *st, uint64_t start_us, uint64_t ts_us)
{
	if (!st || ts_us < start_us ||
	    ts_us - start_us > SCN_MAX_DURATION_MS * 1000ull)
		return;
	st->has_at = true;
	st->at_us = ts_us - start_us;
}

/* An expectation that arrived `ms` after the last step: give it room
 * beyond the default wait. */
static void within(struct scn_step *st, uint64_t ms)
{
	if (st && ms > SCN_TIMEOUT_MS / 2)
		st->within_ms = 2 * ms + 1000;
}

/* The length of the longest prefix of p[0..n) that ends on a UTF-8
 * character boundary. */
static size_t utf8_cut(const uint8_t *p, size_t n)
{
	size_t k = n;
	while (k > 0 && (p[k - 1] & 0xc0) == 0x80 && n - k < 3)
		k--;
	if (k > 0 && p[k - 1] >= 0xc0) {
		unsigned need = p[k - 1] >= 0xf0 ? 4 : p[k - 1] >= 0xe0 ? 3 : 2;
		if (n - (k - 1) < need)
			return k - 1;
	}
	return n;
}

/* The messages after the 101 (at t0); the client began at start_us. */
static void ws_messages(struct build *b, struct scn_client *cl,
			const struct cs_conn *c, uint64_t start_us, uint64_t t0)
{
	uint64_t last = t0;
	bool client_closed = false, server_closed = false;
	unsigned server_pings = 0;
	for (size_t i = 0; i < c->nmsgs && !b->oom; i++) {
		const struct cs_msg *m = &c->msgs[i];
		const char *pl = (const char *)m->payload;
		size_t n = m->payload_len;
		struct scn_step *st = NULL;
		if (m->dir == CAP_C2S) {
			if (client_closed)
				continue;
			if (m->opcode == WS_OP_PONG && server_pings) {
				server_pings--; /* our client answers too */
				continue;
			}
			last = m->ts_us;
			switch (m->opcode) {
			case WS_OP_TEXT:
				st = step_add(b, cl, SCN_SEND_TEXT);
				break;
			case WS_OP_BINARY:
				st = step_add(b, cl, SCN_SEND_BINARY);
				break;
			case WS_OP_PING:
				st = step_add(b, cl, SCN_SEND_PING);
				break;
			case WS_OP_PONG:
				st = step_add(b, cl, SCN_SEND_PONG);
				break;
			case WS_OP_CLOSE:
				client_closed = true;
				st = step_add(b, cl, SCN_CLOSE);
				at(st, start_us, m->ts_us);
				if (!st || !m->close_code)
					continue;
				if (!ws_close_code_valid(m->close_code)) {
					char t[128];
					snprintf(t, sizeof(t),
						 "the recorded client closed "
						 "with code %u, which a "
						 "client may not send: "
						 "replayed without a code",
						 m->close_code);
					note(b, cl->name, t);
					continue;
				}
				st->code = (int)m->close_code;
				if (n)
					st->data.s = dupn(b, pl, n);
				st->data.len = n;
				continue;
			default:
				continue;
			}
			at(st, start_us, m->ts_us);
			if (st && (m->opcode != WS_OP_PING || n)) {
				st->data.s = dupn(b, pl, n);
				st->data.len = n;
			}
			if (m->truncated)
				note(b, cl->name,
				     "a message was longer than the payload "
				     "cap: only its first bytes are sent");
			continue;
		}
		/* the server's side: expectations */
		uint64_t delay = ms_between(last, m->ts_us);
		switch (m->opcode) {
		case WS_OP_TEXT:
			st = step_add(b, cl, SCN_EXPECT_TEXT);
			if (st && m->truncated) {
				n = utf8_cut(m->payload, n);
				st->match = SCN_MATCH_CONTAINS;
				note(b, cl->name,
				     "a text message from the server was "
				     "longer than the payload cap: expected "
				     "by its first bytes (expect text "
				     "contains)");
			}
			break;
		case WS_OP_BINARY:
			st = step_add(b, cl, SCN_EXPECT_BINARY);
			if (st && m->truncated) {
				st->match = SCN_MATCH_LENGTH;
				st->length = m->len;
				note(b, cl->name,
				     "a binary message from the server was "
				     "longer than the payload cap: expected "
				     "by its length (expect binary length)");
				at(st, start_us, m->ts_us);
				within(st, delay);
				last = m->ts_us;
				continue;
			}
			break;
		case WS_OP_PONG:
			st = step_add(b, cl, SCN_EXPECT_PONG);
			break;
		case WS_OP_PING:
			server_pings++;
			continue;
		case WS_OP_CLOSE:
			if (server_closed)
				continue;
			server_closed = true;
			st = step_add(b, cl, SCN_EXPECT_CLOSED);
			if (st)
				st->code =
				    m->close_code ? (int)m->close_code : 1005;
			at(st, start_us, m->ts_us);
			within(st, delay);
			last = m->ts_us;
			continue;
		default:
			continue;
		}
		if (st) {
			st->data.s = dupn(b, pl, n);
			st->data.len = n;
		}
		at(st, start_us, m->ts_us);
		within(st, delay);
		last = m->ts_us;
	}
	/* The server went away without a close frame: a browser says 1006. */
	if (!server_closed && c->d[CAP_S2C].ended && !b->oom) {
		struct scn_step *st = step_add(b, cl, SCN_EXPECT_CLOSED);
		if (st)
			st->code = 1006;
	}
}

/* A decrypted TLS connection: its facts as the client's comment, and a
 * note for a direction whose decryption stopped. */
static void client_tls(struct build *b, struct scn_client *cl,
		       const struct cs_conn *c)
{
	struct cs_tls_facts t;
	if (!cs_tls_facts(c, &t))
		return;
	char words[256], text[512];
	tls_words(&t, words, sizeof(words));
	snprintf(text, sizeof(text),
		 "recorded over %s, decrypted with the key log", words);
	cl->comment = dups(b, text);
	for (int d = 0; d < 2; d++) {
		if (!t.stop[d])
			continue;
		snprintf(text, sizeof(text),
			 "decryption of what the %s sent stopped (%s): what "
			 "came after is not in the recording",
			 d == CAP_C2S ? "client" : "server", t.stop_text[d]);
		note(b, cl->name, text);
	}
}

/* A TLS connection that was not decrypted: a note saying so. */
static void tls_not_recorded(struct build *b, const struct cs_conn *c)
{
	struct cs_tls_facts t;
	if (!cs_tls_facts(c, &t))
		return;
	char cli[64], srv[64], who[160], words[256], text[512];
	cs_endpoint_format(&c->client, cli, sizeof(cli));
	cs_endpoint_format(&c->server, srv, sizeof(srv));
	snprintf(who, sizeof(who), "connection #%llu %s -> %s",
		 (unsigned long long)c->id, cli, srv);
	tls_words(&t, words, sizeof(words));
	snprintf(text, sizeof(text),
		 "%s; not recorded, as it was not decrypted: %s", words,
		 t.why_text);
	note(b, who, text);
}

static void add_exchange(struct build *b, const struct cs_conn *c, size_t k,
			 size_t nclients)
{
	const struct cs_exchange *ex = &c->ex[k];
	bool ws = ex->upgrade;
	bool answered = ex->has_resp && ex->status;
	if (!answered && !ws) {
		/* an http client expecting nothing would pass whatever the
		 * replay got: a note instead */
		char cli[64], srv[64], who[160];
		cs_endpoint_format(&c->client, cli, sizeof(cli));
		cs_endpoint_format(&c->server, srv, sizeof(srv));
		snprintf(who, sizeof(who), "connection #%llu %s -> %s",
			 (unsigned long long)c->id, cli, srv);
		note(b, who,
		     "a request with no answer in the capture; not recorded "
		     "(there is nothing to compare a replay with)");
		return;
	}
	struct scn_client *cl = client_add(b);
	if (!cl)
		return;
	client_name(b, cl, c, k, nclients);
	/* The recorded start, in µs for now: starts_relative() makes it the
	 * offset from the first client's, in ms, once all are known. A
	 * replayed client begins by connecting: the connection's first
	 * exchange starts at its SYN, when there was one. */
	uint64_t start_us = ex->req_us;
	if (c->saw_syn && c->first_us <= ex->req_us) {
		bool first = true;
		for (size_t i = 0; i < k && first; i++)
			first = !(c->ex[i].has_req && c->ex[i].method);
		if (first)
			start_us = c->first_us;
	}
	cl->has_start = true;
	cl->start_ms = start_us;
	cl->url = make_url(b, c, ex, ws);
	client_tls(b, cl, c);
	client_headers(b, cl, ex, ws);
	if (!answered) {
		/* an upgrade with no answer: what a browser reports */
		struct scn_step *st = step_add(b, cl, SCN_EXPECT_CLOSED);
		if (st)
			st->code = 1006;
		return;
	}
	struct scn_step *st = step_add(b, cl, SCN_EXPECT_STATUS);
	if (st)
		st->code = ex->status;
	if (ex->resp_us)
		at(st, start_us, ex->resp_us);
	if (!ws)
		return;
	if (ex->status != 101) {
		st = step_add(b, cl, SCN_EXPECT_CLOSED);
		if (st)
			st->code = 1006;
		return;
	}
	step_add(b, cl, SCN_EXPECT_OPEN);
	ws_messages(b, cl, c, start_us, ex->resp_us ? ex->resp_us : ex->req_us);
}

/* Every client's `start`: when it began (add_exchange), relative to the
 * earliest client's (to the microsecond), so sessions that overlapped in
 * the capture overlap in the replay. start_ms holds µs until then. */
static void starts_relative(struct scn_file *f)
{
	uint64_t base = UINT64_MAX;
	for (size_t i = 0; i < f->nclients; i++)
		if (f->clients[i].start_ms < base)
			base = f->clients[i].start_ms;
	for (size_t i = 0; i < f->nclients; i++) {
		uint64_t us = f->clients[i].start_ms - base;
		if (us > SCN_MAX_DURATION_MS * 1000ull)
			us = SCN_MAX_DURATION_MS * 1000ull;
		f->clients[i].start_ms = us / 1000;
		f->clients[i].start_us = us % 1000;
	}
}

/* The exchanges of a client-side connection that become clients: every
 * request, but on a connection that upgraded only up to the upgrade. */
static size_t exchanges_of(const struct cs_conn *c)
{
	size_t n = 0;
	for (size_t k = 0; k < c->nex; k++) {
		if (!c->ex[k].has_req || !c->ex[k].method)
			continue;
		n++;
		if (c->ex[k].upgrade && c->ex[k].status == 101)
			break;
	}
	return n;
}

int cap_scn_build(struct cap_sessions *s, const char *source,
		  struct scn_file **out, char **notes)
{
	*out = NULL;
	*notes = NULL;
	cap_sessions_finish(s);
	struct build b = {.s = s};
	proto_buf_init(&b.notes);
	b.f = calloc(1, sizeof(*b.f));
	if (!b.f)
		return CAP_SCN_ENOMEM;
	b.f->timeout_ms = SCN_TIMEOUT_MS;
	b.f->path = dups(&b, "recording");
	struct proto_buf t = PROTO_BUF_INIT;
	if (proto_buf_appendf(&t, "recorded by wssim capture from %s", source) <
		0 ||
	    !(b.f->title = proto_buf_steal(&t, NULL)))
		b.oom = true;
	proto_buf_free(&t);
	for (size_t i = 0; i < s->nconns && !b.oom; i++) {
		const struct cs_conn *c = s->conns[i];
		if (c->leg_of || !cs_conn_matches(s, c))
			continue;
		if (c->proto == CS_TLS)
			tls_not_recorded(&b, c);
		if (c->proto != CS_HTTP && c->proto != CS_WS)
			continue;
		size_t n = exchanges_of(c), done = 0;
		for (size_t k = 0; k < c->nex && done < n && !b.oom; k++) {
			if (!c->ex[k].has_req || !c->ex[k].method)
				continue;
			add_exchange(&b, c, k, n);
			done++;
		}
	}
	starts_relative(b.f);
	int rc = 0;
	if (b.oom)
		rc = CAP_SCN_ENOMEM;
	else if (!b.f->nclients)
		rc = CAP_SCN_EMPTY;
	else if (proto_buf_size(&b.notes) &&
		 !(*notes = proto_buf_steal(&b.notes, NULL)))
		rc = CAP_SCN_ENOMEM;
	proto_buf_free(&b.notes);
	if (rc) {
		scn_free(b.f);
		return rc;
	}
	*out = b.f;
	return 0;
}

int cap_scn_write(struct cap_sessions *s, const char *source, FILE *f)
{
	struct scn_file *sc;
	char *notes;
	int rc = cap_scn_build(s, source, &sc, &notes);
	if (rc < 0)
		return rc;
	fputs("# Written by `wssim capture -o`: each client replays one "
	      "recorded client\n"
	      "# connection; the expectations are what the server answered "
	      "then.\n"
	      "# Replay it with `wssim replay FILE --target URL` (a running "
	      "setup)\n"
	      "# or `--setup SETUP.scn` (a scenario's topology); `at` is when "
	      "each\n"
	      "# send and answer happened, since the client's connection "
	      "began:\n"
	      "# sends are made at that time, answers are compared with it "
	      "(timing drift).\n",
	      f);
	for (size_t i = 0; i < sc->nclients; i++) {
		if (strncmp(sc->clients[i].url, "wss:", 4) &&
		    strncmp(sc->clients[i].url, "https:", 6))
			continue;
		fputs("# Its wss:// and https:// clients need --ca FILE or "
		      "--insecure to trust\n"
		      "# the target's certificate.\n",
		      f);
		break;
	}
	if (notes)
		fputs(notes, f);
	fputc('\n', f);
	if (scn_print(f, sc) < 0 || ferror(f))
		rc = CAP_SCN_EWRITE;
	scn_free(sc);
	free(notes);
	return rc;
}
