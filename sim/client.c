/* The browser-like simulated client: URL, connection (TCP or TLS through
 * net_stream), the request a browser sends, the response head (the
 * websocket handshake's checks, or an HTTP response and its body), the
 * step program and its deadlines, the outcome a browser reports, and the
 * result. Frames and messages live in client_ws.c, expectations in
 * client_expect.c.
 *
 * One timer gives every blocking step its deadline (an expectation, a send
 * waiting for open, a backend stop), so no step can hang; a second one
 * starts the program from the loop. A `wait` or `at` ends on the run's
 * precise timers (env.sched, to the microsecond). `done` runs once the stream
 * and both timers are closed.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "browser.h"
#include "client_int.h"
#include "net_addr.h"
#include "net_url.h"
#include "proto_err.h"

struct client_token {
	struct sim_client *c; /* NULL once the client is gone */
};

static void client_finish_maybe(struct sim_client *c);

/* ---- small helpers ----------------------------------------------------- */

struct sim_event *client_obs(struct sim_client *c, enum sim_ev ev, int code,
			     const char *fmt, ...)
{
	if (!c->env.obs)
		return NULL;
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return sim_obs_add(c->env.obs, SIM_HOP_CLIENT, ev, c->who, code, "%s",
			   text);
}

uint64_t client_step_timeout(const struct sim_client *c,
			     const struct scn_step *st)
{
	if (st && st->within_ms)
		return st->within_ms;
	return c->timeout_ms;
}

void client_set_closed(struct sim_client *c, int code, bool clean,
		       const char *reason_fmt, ...)
{
	if (c->closed)
		return;
	c->closed = true;
	c->close_code = code;
	c->clean = clean;
	va_list ap;
	va_start(ap, reason_fmt);
	vsnprintf(c->reason, sizeof(c->reason), reason_fmt, ap);
	va_end(ap);
	if (c->ws)
		c->conn = CC_CLOSED;
	client_obs(c, SIM_EV_CLOSE, code, "closed %d %s%s%s%s", code,
		   clean ? "clean" : "unclean", c->reason[0] ? " (" : "",
		   c->reason, c->reason[0] ? ")" : "");
}

void client_drop(struct sim_client *c, bool reset)
{
	if (!c->stream_live || net_stream_closing(&c->s))
		return;
	c->quiet_close = true;
	net_stream_close(&c->s, reset);
}

void client_state_text(const struct sim_client *c, char *out, size_t outlen)
{
	if (c->closed) {
		/* 1006 is never clean: "closed 1006: connection refused" */
		const char *how = c->close_code == WS_CLOSE_ABNORMAL ? ""
				  : c->clean			     ? " clean"
					     : " unclean";
		snprintf(out, outlen, "closed %d%s%s%s", c->close_code, how,
			 c->reason[0] ? ": " : "", c->reason);
		return;
	}
	if (c->error[0] && !c->stream_live) {
		snprintf(out, outlen, "the connection failed: %s", c->error);
		return;
	}
	switch (c->conn) {
	case CC_NONE:
	case CC_CONNECTING:
		snprintf(out, outlen, "still connecting to %s", c->hostport);
		break;
	case CC_HEAD:
		snprintf(out, outlen,
			 "no response yet (the request was sent to %s)",
			 c->hostport);
		break;
	case CC_OPEN:
		if (c->close_sent)
			snprintf(out, outlen,
				 "the connection is still open (our close "
				 "frame was sent, no answer yet)");
		else
			snprintf(out, outlen, "the connection is still open");
		break;
	case CC_BODY:
		snprintf(out, outlen, "%s, body still arriving (%zu bytes)",
			 c->status_line, proto_buf_size(&c->body));
		break;
	case CC_DONE:
		snprintf(out, outlen, "%s, %zu bytes of body", c->status_line,
			 proto_buf_size(&c->body));
		break;
	case CC_CLOSED:
		snprintf(out, outlen, "the connection is closed");
		break;
	}
}

/* A step's string, macros expanded (text only: binary data and strings
 * holding NUL bytes are taken as they are). *owned is what to free. */
static const char *expand_str(struct sim_client *c, const char *s, char **owned,
			      char *err, size_t errlen)
{
	*owned = NULL;
	if (!s || !c->env.expand || !strstr(s, "${"))
		return s;
	*owned = c->env.expand(c->env.ctx, s, err, errlen);
	return *owned;
}

/* ---- URL ---------------------------------------------------------------- */

static int parse_url(struct sim_client *c, const char *url)
{
	struct net_url u;
	int rc = net_url_parse(url, &u);
	if (rc != 0)
		return rc;
	c->ws = u.ws;
	c->tls = u.tls;
	memcpy(c->host, u.host, sizeof(c->host));
	memcpy(c->hostport, u.hostport, sizeof(c->hostport));
	c->port = u.port;
	c->target = u.target;
	c->addr = u.addr;
	return 0;
}

/* ---- the request -------------------------------------------------------- */

/* Build the request into out. Returns 0, or -1 with a message. */
static int build_request(struct sim_client *c, struct proto_buf *out, char *err,
			 size_t errlen)
{
	const struct scn_client *d = c->def;
	int rc = -1;
	char *origin = NULL;
	size_t nx = 0;
	struct browser_header *extra =
	    calloc(d->nheaders ? d->nheaders : 1, sizeof(*extra));
	char **owned = calloc(d->nheaders ? d->nheaders : 1, sizeof(*owned));
	if (!extra || !owned) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	struct browser_req req = {
	    .ws = c->ws,
	    .tls = c->tls,
	    .hostport = c->hostport,
	    .target = c->target,
	    .method = d->method,
	    .key = c->key,
	    .extensions = d->extensions,
	    .protocols = d->protocols,
	};
	if (c->ws) {
		if (d->origin) {
			req.origin =
			    expand_str(c, d->origin, &origin, err, errlen);
			if (!req.origin)
				goto out;
		}
		if (ws_hs_key_new(c->key) < 0) {
			snprintf(err, errlen, "no random key (OpenSSL)");
			goto out;
		}
	}
	for (; nx < d->nheaders; nx++) {
		extra[nx].name = d->headers[nx].name;
		extra[nx].value = expand_str(c, d->headers[nx].value,
					     &owned[nx], err, errlen);
		if (!extra[nx].value)
			goto out;
	}
	req.extra = extra;
	req.nextra = nx;
	struct browser_sent sent;
	if (browser_request_build(out, &req, &sent, err, errlen) < 0)
		goto out;
	snprintf(c->key, sizeof(c->key), "%s", sent.key);
	c->offered_ext = sent.extensions;
	c->offered_protocols = sent.protocols;
	c->method = strdup(!c->ws && d->method ? d->method : "GET");
	if (!c->method) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(origin);
	for (size_t i = 0; owned && i < nx; i++)
		free(owned[i]);
	free(owned);
	free(extra);
	return rc;
}

/* ---- the response ------------------------------------------------------- */

static void http_body_feed(struct sim_client *c, const uint8_t *p, size_t n);

static void body_complete(struct sim_client *c)
{
	if (c->body_done)
		return;
	c->body_done = true;
	c->conn = CC_DONE;
	client_obs(c, SIM_EV_RECV, 0, "body complete: %zu bytes",
		   proto_buf_size(&c->body));
	client_drop(c, false);
}

static void handshake_failed(struct sim_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void handshake_failed(struct sim_client *c, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	client_obs(c, SIM_EV_ERROR, 0, "websocket handshake failed: %s", why);
	client_set_closed(c, WS_CLOSE_ABNORMAL, false, "%s", why);
	client_drop(c, false);
}

/* The head is complete at headbuf[0..end). */
static void on_head(struct sim_client *c, size_t end)
{
	size_t blen = proto_buf_size(&c->headbuf);
	c->head = malloc(end + 1);
	c->resp = calloc(1, sizeof(*c->resp));
	if (!c->head || !c->resp) {
		free(c->resp);
		c->resp = NULL;
		handshake_failed(c, "out of memory");
		return;
	}
	memcpy(c->head, proto_buf_head(&c->headbuf), end);
	c->head[end] = '\0';
	size_t erroff = 0;
	int r = http1_parse_response(c->head, end, c->resp, NULL, &erroff);
	if (r < 0) {
		free(c->resp);
		c->resp = NULL;
		client_obs(c, SIM_EV_RESPONSE, 0, "malformed response head");
		if (c->ws)
			handshake_failed(c,
					 "malformed response head at byte "
					 "%zu: %s",
					 erroff, proto_strerror(r));
		else {
			snprintf(c->error, sizeof(c->error),
				 "malformed response head at byte %zu: %s",
				 erroff, proto_strerror(r));
			c->conn = CC_DONE;
			client_drop(c, false);
		}
		return;
	}
	c->status = c->resp->status;
	size_t sl = strcspn(c->head, "\r\n");
	if (sl >= sizeof(c->status_line))
		sl = sizeof(c->status_line) - 1;
	memcpy(c->status_line, c->head, sl);
	c->status_line[sl] = '\0';
	/* trailing blanks ("HTTP/1.1 101 ") read badly in a report */
	while (sl > 0 && c->status_line[sl - 1] == ' ')
		c->status_line[--sl] = '\0';
	client_obs(c, SIM_EV_RESPONSE, c->status, "%s", c->status_line);

	/* whatever came after the head */
	size_t rest = blen - end;
	uint8_t *tail = NULL;
	if (rest > 0) {
		tail = malloc(rest);
		if (tail)
			memcpy(tail, proto_buf_head(&c->headbuf) + end, rest);
	}
	proto_buf_free(&c->headbuf);

	if (c->ws) {
		const char *why = NULL;
		if (ws_hs_check_response(c->resp, c->key,
					 c->offered_ext != NULL,
					 c->offered_protocols, &why) < 0) {
			if (c->status != 101)
				handshake_failed(c, "the server answered %s",
						 c->status_line);
			else
				handshake_failed(
				    c, "the server answered %s: %s",
				    c->status_line, why ? why : "invalid");
			free(tail);
			return;
		}
		char whybuf[256];
		if (client_ws_open(c, whybuf, sizeof(whybuf)) < 0) {
			handshake_failed(c, "the server answered %s: %s",
					 c->status_line, whybuf);
			free(tail);
			return;
		}
		c->conn = CC_OPEN;
		c->opened = true;
		client_obs(c, SIM_EV_OPEN, 101, "open%s%s",
			   c->pmd_on ? ", permessage-deflate: " : "",
			   c->pmd_on ? c->pmd_answer : "");
		if (tail)
			client_ws_feed(c, tail, rest);
		free(tail);
		return;
	}
	/* http */
	int k = http1_body_kind(c->resp, true, c->method, &c->body_left);
	if (k < 0) {
		snprintf(c->error, sizeof(c->error), "bad body framing: %s",
			 proto_strerror(k));
		c->conn = CC_DONE;
		c->body_done = true;
		client_drop(c, false);
		free(tail);
		return;
	}
	c->body_kind = (enum http1_body_kind)k;
	if (c->status / 100 == 1 || c->status == 204 || c->status == 304)
		c->body_kind = HTTP1_BODY_NONE;
	http1_chunked_init(&c->chunked);
	c->conn = CC_BODY;
	if (c->body_kind == HTTP1_BODY_NONE ||
	    (c->body_kind == HTTP1_BODY_LENGTH && c->body_left == 0))
		body_complete(c);
	else if (tail)
		http_body_feed(c, tail, rest);
	free(tail);
}

static void http_body_feed(struct sim_client *c, const uint8_t *p, size_t n)
{
	if (c->body_done)
		return;
	switch (c->body_kind) {
	case HTTP1_BODY_NONE:
		break;
	case HTTP1_BODY_LENGTH: {
		size_t k = n < c->body_left ? n : (size_t)c->body_left;
		if (proto_buf_size(&c->body) + k <= CLIENT_MAX_BODY)
			proto_buf_append(&c->body, p, k);
		c->body_left -= k;
		if (c->body_left == 0)
			body_complete(c);
		break;
	}
	case HTTP1_BODY_UNTIL_CLOSE:
		if (proto_buf_size(&c->body) + n <= CLIENT_MAX_BODY)
			proto_buf_append(&c->body, p, n);
		break;
	case HTTP1_BODY_CHUNKED:
		while (n > 0 || !c->body_done) {
			const char *d = NULL;
			size_t dl = 0, erroff = 0;
			bool fin = false;
			int r = http1_chunked_feed(&c->chunked, (const char *)p,
						   n, &d, &dl, &fin, &erroff);
			if (r < 0) {
				snprintf(c->error, sizeof(c->error),
					 "malformed chunked body");
				client_obs(c, SIM_EV_ERROR, 0, "%s", c->error);
				c->body_done = true;
				c->conn = CC_DONE;
				client_drop(c, false);
				return;
			}
			if (dl > 0 &&
			    proto_buf_size(&c->body) + dl <= CLIENT_MAX_BODY)
				proto_buf_append(&c->body, d, dl);
			p += r;
			n -= (size_t)r;
			if (fin) {
				body_complete(c);
				return;
			}
			if (r == 0 && dl == 0)
				break;
		}
		break;
	}
}

/* ---- stream callbacks --------------------------------------------------- */

static void on_open(struct net_stream *s)
{
	struct sim_client *c = s->data;
	c->connected = true;
	char peer[96];
	net_stream_peer(s, peer, sizeof(peer));
	if (s->tls)
		client_obs(c, SIM_EV_CONNECT, 0, "connected to %s (%s)", peer,
			   tls_mem_version(s->tls));
	else
		client_obs(c, SIM_EV_CONNECT, 0, "connected to %s", peer);
	struct proto_buf req = PROTO_BUF_INIT;
	char err[256];
	if (build_request(c, &req, err, sizeof(err)) < 0) {
		proto_buf_free(&req);
		snprintf(c->error, sizeof(c->error),
			 "cannot build the request: %.200s", err);
		client_obs(c, SIM_EV_ERROR, 0, "%s", c->error);
		if (c->ws)
			client_set_closed(c, WS_CLOSE_ABNORMAL, false, "%s",
					  c->error);
		else
			c->conn = CC_DONE;
		client_drop(c, false);
		client_pump(c);
		return;
	}
	const char *b = (const char *)proto_buf_head(&req);
	client_obs(c, SIM_EV_REQUEST, 0, "%.*s", (int)strcspn(b, "\r\n"), b);
	c->conn = CC_HEAD;
	net_stream_write(s, proto_buf_head(&req), proto_buf_size(&req));
	proto_buf_free(&req);
	client_pump(c);
}

static void on_data(struct net_stream *s, uint8_t *data, size_t len)
{
	struct sim_client *c = s->data;
	switch (c->conn) {
	case CC_HEAD: {
		if (proto_buf_append(&c->headbuf, data, len) < 0) {
			handshake_failed(c, "out of memory");
			break;
		}
		size_t end =
		    http1_head_end((const char *)proto_buf_head(&c->headbuf),
				   proto_buf_size(&c->headbuf), &c->head_scan);
		if (end > 0)
			on_head(c, end);
		else if (proto_buf_size(&c->headbuf) > HTTP1_DEFAULT_MAX_HEAD) {
			if (c->ws)
				handshake_failed(c, "response head too large");
			else {
				snprintf(c->error, sizeof(c->error),
					 "response head too large");
				c->conn = CC_DONE;
				client_drop(c, false);
			}
		}
		break;
	}
	case CC_OPEN:
		client_ws_feed(c, data, len);
		break;
	case CC_BODY:
		http_body_feed(c, data, len);
		break;
	default:
		break; /* after the outcome: discarded */
	}
	client_pump(c);
}

static void on_eof(struct net_stream *s)
{
	struct sim_client *c = s->data;
	switch (c->conn) {
	case CC_CONNECTING:
	case CC_HEAD:
		snprintf(c->error, sizeof(c->error),
			 "the server closed the connection without an answer");
		client_obs(c, SIM_EV_ERROR, 0, "%s", c->error);
		if (c->ws)
			client_set_closed(c, WS_CLOSE_ABNORMAL, false, "%s",
					  c->error);
		else
			c->conn = CC_DONE;
		net_stream_close(s, false);
		break;
	case CC_OPEN:
		if (c->close_sent && c->close_received) {
			net_stream_close(s, false);
		} else {
			client_obs(
			    c, SIM_EV_ERROR, 0,
			    "the server closed the connection without a close "
			    "frame");
			client_set_closed(c, WS_CLOSE_ABNORMAL, false,
					  "the connection was closed without "
					  "a close frame");
			net_stream_close(s, false);
		}
		break;
	case CC_BODY:
		if (c->body_kind == HTTP1_BODY_UNTIL_CLOSE) {
			body_complete(c);
		} else {
			snprintf(c->error, sizeof(c->error),
				 "the connection closed before the body was "
				 "complete");
			client_obs(c, SIM_EV_ERROR, 0, "%s", c->error);
			c->conn = CC_DONE;
		}
		net_stream_close(s, false);
		break;
	default:
		net_stream_close(s, false);
		break;
	}
	client_pump(c);
}

static void on_error(struct net_stream *s, int err, const char *msg)
{
	struct sim_client *c = s->data;
	if (c->closed && c->conn == CC_CLOSED)
		return; /* after the outcome, e.g. a reset after a 500 */
	if (c->quiet_close)
		return;
	char why[256];
	if (err == UV_ECONNREFUSED)
		snprintf(why, sizeof(why), "connection refused");
	else if (err == UV_ECONNRESET)
		snprintf(why, sizeof(why), "connection reset");
	else if (err == UV_ETIMEDOUT)
		snprintf(why, sizeof(why), "connection timed out");
	else if (err == PROTO_E_TLS && !c->connected) {
		if (msg && strstr(msg, "certificate verify failed"))
			snprintf(why, sizeof(why), "%s", msg);
		else
			snprintf(why, sizeof(why), "TLS handshake failed: %s",
				 msg ? msg : "?");
	} else if (err == PROTO_E_TLS)
		snprintf(why, sizeof(why), "TLS error: %s", msg ? msg : "?");
	else
		snprintf(why, sizeof(why), "%s", msg ? msg : uv_strerror(err));
	snprintf(c->error, sizeof(c->error), "%s", why);
	client_obs(c, SIM_EV_ERROR, err, "%s", why);
	if (c->ws) {
		if (c->conn == CC_OPEN && c->close_sent && c->close_received)
			client_set_closed(c, (int)c->close_code_received, true,
					  "%s", c->close_reason_received);
		else
			client_set_closed(c, WS_CLOSE_ABNORMAL, false, "%s",
					  why);
	} else if (c->conn == CC_BODY &&
		   c->body_kind == HTTP1_BODY_UNTIL_CLOSE) {
		body_complete(c);
	} else {
		c->conn = CC_DONE;
	}
}

static void on_close(struct net_stream *s)
{
	struct sim_client *c = s->data;
	c->stream_live = false;
	if (c->ws && c->opened && !c->closed) {
		if (c->close_sent && c->close_received)
			client_set_closed(c, (int)c->close_code_received, true,
					  "%s", c->close_reason_received);
		else if (c->close_sent || c->close_received)
			client_set_closed(c, WS_CLOSE_ABNORMAL, false,
					  "the closing handshake did not "
					  "finish");
		else if (!c->quiet_close)
			client_set_closed(c, WS_CLOSE_ABNORMAL, false,
					  "the connection was closed without "
					  "a close frame");
	}
	if (c->ws && !c->opened && !c->closed && !c->quiet_close)
		client_set_closed(c, WS_CLOSE_ABNORMAL, false, "%s",
				  c->error[0] ? c->error
					      : "the connection was closed");
	if (!c->ws && (c->conn == CC_BODY || c->conn == CC_HEAD ||
		       c->conn == CC_CONNECTING))
		c->conn = CC_DONE;
	client_pump(c);
}

static const struct net_stream_cbs client_cbs = {
    .on_open = on_open,
    .on_data = on_data,
    .on_eof = on_eof,
    .on_error = on_error,
    .on_close = on_close,
};

/* ---- steps -------------------------------------------------------------- */

static const struct scn_step *current_step(struct sim_client *c)
{
	while (c->depth > 0) {
		struct client_frame *f = &c->stack[c->depth - 1];
		if (f->i < f->n)
			return &f->steps[f->i];
		if (c->depth > 1 && ++f->iter < f->count) {
			f->i = 0;
			continue;
		}
		c->depth--;
		if (c->depth > 0)
			c->stack[c->depth - 1].i++;
	}
	return NULL;
}

/* The current step's timers. */
static void step_timers_stop(struct sim_client *c)
{
	uv_timer_stop(&c->timer);
	sim_sched_stop(c->env.sched, &c->wake);
}

static void step_advance(struct sim_client *c)
{
	c->stack[c->depth - 1].i++;
	step_timers_stop(c);
	c->step_started = false;
	c->timed_out = false;
	c->backend_done = false;
}

static void step_fail(struct sim_client *c, const struct scn_step *st,
		      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void step_fail(struct sim_client *c, const struct scn_step *st,
		      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->res.failure, sizeof(c->res.failure), fmt, ap);
	va_end(ap);
	c->res.failed_step = st;
	c->res.passed = false;
	step_timers_stop(c);
	c->step_started = false;
	c->timed_out = false;
}

static void backend_done_cb(void *arg)
{
	struct client_token *t = arg;
	struct sim_client *c = t->c;
	free(t);
	if (!c)
		return;
	c->token = NULL;
	c->backend_done = true;
	client_pump(c);
}

static const char *opname(uint8_t op)
{
	switch (op) {
	case WS_OP_TEXT:
		return "text";
	case WS_OP_BINARY:
		return "binary";
	case WS_OP_PING:
		return "ping";
	case WS_OP_PONG:
		return "pong";
	case WS_OP_CLOSE:
		return "close";
	default:
		return "frame";
	}
}

static const char *step_action_name(const struct scn_step *st)
{
	switch (st->kind) {
	case SCN_SEND_TEXT:
		return "send text";
	case SCN_SEND_BINARY:
		return "send binary";
	case SCN_SEND_PING:
		return "send ping";
	case SCN_SEND_PONG:
		return "send pong";
	case SCN_SEND_FRAGMENTS:
		return "send fragments";
	case SCN_CLOSE:
		return "close";
	default:
		return "step";
	}
}

/* A send or close: needs the connection open. */
/* The client can no longer send: not a websocket, or its connection is
 * closing, closed or failed (not merely still opening). */
static bool send_hopeless(const struct sim_client *c)
{
	bool opening = c->conn == CC_CONNECTING || c->conn == CC_HEAD ||
		       c->conn == CC_NONE;
	return !c->ws || c->closed || c->close_sent || c->close_received ||
	       (c->conn != CC_OPEN && !opening);
}

static enum step_result run_send(struct sim_client *c,
				 const struct scn_step *st)
{
	char state[512];
	if (!c->ws) {
		step_fail(c, st, "%s: this is an http client, not a websocket",
			  step_action_name(st));
		return STEP_FAIL;
	}
	if (c->conn != CC_OPEN || c->close_sent || c->close_received ||
	    c->closed) {
		bool pending =
		    !c->closed && (c->conn == CC_CONNECTING ||
				   c->conn == CC_HEAD || c->conn == CC_NONE);
		if (pending && !c->timed_out)
			return STEP_BLOCK;
		client_state_text(c, state, sizeof(state));
		if (pending)
			step_fail(c, st,
				  "expected open within %" PRIu64
				  " ms (to %s), got nothing; %s",
				  client_step_timeout(c, st),
				  step_action_name(st), state);
		else if (c->close_sent || c->close_received)
			step_fail(c, st,
				  "%s after the closing handshake began; %s",
				  step_action_name(st), state);
		else
			step_fail(c, st, "expected open (to %s), got %s",
				  step_action_name(st), state);
		return STEP_FAIL;
	}
	int r = 0;
	char *owned = NULL;
	char err[256] = "";
	const char *data = st->data.s;
	size_t len = st->data.len;
	if ((st->kind == SCN_SEND_TEXT || st->kind == SCN_CLOSE) && data &&
	    strlen(data) == len) {
		data = expand_str(c, data, &owned, err, sizeof(err));
		if (!data) {
			step_fail(c, st, "%s: %s", step_action_name(st), err);
			return STEP_FAIL;
		}
		len = strlen(data);
	}
	switch (st->kind) {
	case SCN_SEND_TEXT:
	case SCN_SEND_BINARY:
		r = client_ws_send_message(
		    c, st->kind == SCN_SEND_TEXT ? WS_OP_TEXT : WS_OP_BINARY,
		    (const uint8_t *)(data ? data : ""), data ? len : 0);
		break;
	case SCN_SEND_PING:
	case SCN_SEND_PONG:
		if (len > WS_MAX_CONTROL) {
			free(owned);
			step_fail(
			    c, st,
			    "%s: a control frame holds at most 125 bytes, "
			    "not %zu",
			    step_action_name(st), len);
			return STEP_FAIL;
		}
		r = client_ws_send_frame(
		    c, true, 0,
		    st->kind == SCN_SEND_PING ? WS_OP_PING : WS_OP_PONG,
		    (const uint8_t *)(data ? data : ""), data ? len : 0);
		if (r == 0) {
			char pv[128];
			client_preview((const uint8_t *)(data ? data : ""),
				       data ? len : 0, true, pv, sizeof(pv));
			client_obs(
			    c, SIM_EV_SEND,
			    st->kind == SCN_SEND_PING ? WS_OP_PING : WS_OP_PONG,
			    "%s %s",
			    opname(st->kind == SCN_SEND_PING ? WS_OP_PING
							     : WS_OP_PONG),
			    pv);
		}
		break;
	case SCN_SEND_FRAGMENTS:
		r = client_ws_send_fragments(
		    c, st->binary ? WS_OP_BINARY : WS_OP_TEXT, st->pieces,
		    st->npieces);
		break;
	case SCN_CLOSE:
		r = client_ws_send_close(c, (unsigned)st->code, data,
					 data ? len : 0);
		if (r == PROTO_E_RANGE) {
			free(owned);
			step_fail(
			    c, st,
			    "close: code %d or its reason is not valid on "
			    "the wire (reason at most 123 bytes)",
			    st->code);
			return STEP_FAIL;
		}
		break;
	default:
		break;
	}
	free(owned);
	if (r < 0) {
		client_state_text(c, state, sizeof(state));
		step_fail(c, st, "%s failed: %s; %s", step_action_name(st),
			  r <= -1000 ? proto_strerror(r) : uv_strerror(r),
			  state);
		return STEP_FAIL;
	}
	return STEP_DONE;
}

static enum step_result run_backend(struct sim_client *c,
				    const struct scn_step *st)
{
	bool start = st->kind == SCN_START;
	if (c->backend_done)
		return STEP_DONE;
	if (c->step_started) {
		if (!c->timed_out)
			return STEP_BLOCK;
		step_fail(c, st,
			  "%s %s%s%s did not finish within %" PRIu64 " ms",
			  start ? "start" : "stop", st->comp ? st->comp : "?",
			  st->field ? "." : "", st->field ? st->field : "",
			  client_step_timeout(c, st));
		return STEP_FAIL;
	}
	if (!c->env.backend) {
		step_fail(c, st, "%s %s: no backend control in this run",
			  start ? "start" : "stop", st->comp ? st->comp : "?");
		return STEP_FAIL;
	}
	struct client_token *t = calloc(1, sizeof(*t));
	if (!t) {
		step_fail(c, st, "out of memory");
		return STEP_FAIL;
	}
	t->c = c;
	c->token = t;
	char err[256] = "";
	client_obs(c, SIM_EV_NOTE, 0, "%s %s%s%s", start ? "start" : "stop",
		   st->comp ? st->comp : "?", st->field ? "." : "",
		   st->field ? st->field : "");
	if (c->env.backend(c->env.ctx, start, st->comp, st->field,
			   backend_done_cb, t, err, sizeof(err)) != 0) {
		c->token = NULL;
		free(t);
		step_fail(c, st, "%s %s%s%s: %s", start ? "start" : "stop",
			  st->comp ? st->comp : "?", st->field ? "." : "",
			  st->field ? st->field : "", err);
		return STEP_FAIL;
	}
	return c->backend_done ? STEP_DONE : STEP_BLOCK;
}

static void timer_cb(uv_timer_t *t)
{
	struct sim_client *c = t->data;
	c->timed_out = true;
	client_pump(c);
}

static void poll_cb(uv_timer_t *t)
{
	client_pump(t->data);
}

static void wake_cb(struct sim_sched_timer *t)
{
	struct sim_client *c = t->data;
	c->timed_out = true;
	client_pump(c);
}

/* A send's `at` has come: the send begins, with its own deadline from
 * now (for a connection still opening). */
static void at_cb(struct sim_sched_timer *t)
{
	struct sim_client *c = t->data;
	c->step_started = false;
	c->timed_out = false;
	client_pump(c);
}

static void expect_event(struct sim_client *c, const struct scn_step *st,
			 bool failed, const char *text)
{
	if (!c->env.obs)
		return;
	struct sim_event *e =
	    sim_obs_add(c->env.obs, SIM_HOP_CLIENT, SIM_EV_EXPECT, c->who,
			failed ? 1 : 0, "%s", text);
	if (e)
		e->failed = failed;
	(void)st;
}

static enum step_result run_step(struct sim_client *c,
				 const struct scn_step *st)
{
	if (scn_step_sends(st->kind)) {
		/* `at`: not before that long after the client's start (a
		 * connection that can no longer send fails at once instead:
		 * run_send says why) */
		uint64_t due = c->origin_ns + st->at_us * 1000;
		if (st->has_at && !send_hopeless(c) && uv_hrtime() < due) {
			if (!sim_sched_pending(&c->wake) &&
			    sim_sched_start(c->env.sched, &c->wake, due,
					    at_cb) < 0) {
				step_fail(c, st, "at: out of memory");
				return STEP_FAIL;
			}
			c->step_started = true; /* no deadline until then */
			return STEP_BLOCK;
		}
		return run_send(c, st);
	}
	switch (st->kind) {
	case SCN_WAIT:
		/* on the run's precise timers: libuv's count whole ms */
		if (!c->step_started) {
			uint64_t now = uv_hrtime();
			c->step_started = true;
			if (sim_sched_start(c->env.sched, &c->wake,
					    now +
						(st->ms * 1000 + st->us) * 1000,
					    wake_cb) < 0) {
				step_fail(c, st, "wait: out of memory");
				return STEP_FAIL;
			}
		}
		return c->timed_out ? STEP_DONE : STEP_BLOCK;
	case SCN_STOP:
	case SCN_START:
		return run_backend(c, st);
	case SCN_REPEAT:
		return STEP_DONE; /* handled by the caller */
	default: {
		char got[768], want[512];
		enum step_result r =
		    client_expect(c, st, c->timed_out, got, sizeof(got));
		client_expect_text(st, want, sizeof(want));
		if (r == STEP_DONE) {
			expect_event(c, st, false, want);
			return r;
		}
		if (r == STEP_FAIL) {
			if (c->timed_out)
				step_fail(
				    c, st,
				    "expected %s within %" PRIu64 " ms, got %s",
				    want, client_step_timeout(c, st), got);
			else
				step_fail(c, st, "expected %s, got %s", want,
					  got);
			expect_event(c, st, true, c->res.failure);
			return r;
		}
		return r;
	}
	}
}

/* The end phase: after the last step or a failure. */
static void run_end(struct sim_client *c)
{
	if (!c->ending) {
		c->ending = true;
		step_timers_stop(c);
		c->timed_out = false;
		c->step_started = false;
	}
	if (c->res.failed_step || c->res.failure[0] || c->timed_out) {
		client_drop(c, false);
	} else if (c->stream_live && !net_stream_closing(&c->s)) {
		uint64_t wait = 0;
		switch (c->conn) {
		case CC_NONE:
		case CC_CONNECTING:
		case CC_HEAD:
		case CC_BODY:
			wait = c->timeout_ms; /* see how it ends */
			break;
		case CC_OPEN:
			if (c->close_sent || c->close_received)
				wait = CLIENT_CLOSE_WAIT_MS;
			else
				client_drop(c, false); /* quietly */
			break;
		default:
			client_drop(c, false);
			break;
		}
		if (wait && !c->end_waited) {
			c->end_waited = true;
			uv_timer_start(&c->timer, timer_cb, wait, 0);
		}
	}
	client_finish_maybe(c);
}

void client_pump(struct sim_client *c)
{
	if (c->finished)
		return;
	if (c->in_pump) {
		c->repump = true;
		return;
	}
	c->in_pump = true;
	do {
		c->repump = false;
		while (!c->ending) {
			const struct scn_step *st = current_step(c);
			if (!st)
				break;
			if (st->kind == SCN_REPEAT) {
				if (st->count == 0 || st->nbody == 0) {
					step_advance(c);
					continue;
				}
				if (c->depth == CLIENT_MAX_DEPTH) {
					step_fail(c, st,
						  "repeats nested too deep");
					break;
				}
				c->stack[c->depth++] = (struct client_frame){
				    st->body, st->nbody, 0, 0, st->count};
				continue;
			}
			enum step_result r = run_step(c, st);
			if (r == STEP_DONE) {
				step_advance(c);
				continue;
			}
			if (r == STEP_FAIL)
				break;
			if (!c->step_started) {
				c->step_started = true;
				uv_timer_start(&c->timer, timer_cb,
					       client_step_timeout(c, st), 0);
			}
			break;
		}
		if (c->ending || c->res.failed_step || !current_step(c))
			run_end(c);
	} while (c->repump && !c->finished);
	c->in_pump = false;
	if (c->finished)
		client_finish_maybe(c);
}

/* ---- finishing ---------------------------------------------------------- */

static void summary(struct sim_client *c)
{
	char *s = c->res.summary;
	size_t cap = sizeof(c->res.summary), n = 0;
#define ADD(...)                                                               \
	do {                                                                   \
		if (n < cap)                                                   \
			n += (size_t)snprintf(s + n, cap - n, __VA_ARGS__);    \
	} while (0)
	if (c->ws) {
		if (c->opened) {
			ADD("open");
			if (c->echoed)
				ADD(", echoed %u message%s", c->echoed,
				    c->echoed == 1 ? "" : "s");
			else if (c->recv_msgs)
				ADD(", received %u message%s", c->recv_msgs,
				    c->recv_msgs == 1 ? "" : "s");
			if (c->closed) {
				ADD(", closed %d %s", c->close_code,
				    c->clean ? "clean" : "unclean");
				if (c->reason[0])
					ADD(" (%s)", c->reason);
			} else {
				ADD(", closed by the client without a close "
				    "frame");
			}
		} else if (c->closed) {
			ADD("closed %d", c->close_code);
			if (c->reason[0])
				ADD(" (%s)", c->reason);
		} else {
			char st[400];
			client_state_text(c, st, sizeof(st));
			ADD("never opened: %s", st);
		}
	} else {
		if (c->resp) {
			ADD("%s", c->status_line);
			if (c->body_done)
				ADD(", %zu bytes of body",
				    proto_buf_size(&c->body));
			else
				ADD(", body incomplete (%zu bytes)",
				    proto_buf_size(&c->body));
		} else if (c->error[0]) {
			ADD("no response (%s)", c->error);
		} else {
			ADD("no response");
		}
	}
#undef ADD
}

static void fill_result(struct sim_client *c)
{
	struct sim_client_result *r = &c->res;
	r->passed = r->failed_step == NULL && r->failure[0] == '\0';
	r->status = c->status;
	r->close_code = c->closed ? c->close_code : 0;
	r->clean = c->closed && c->clean;
	if (c->closed)
		snprintf(r->reason, sizeof(r->reason), "%s", c->reason);
	else
		snprintf(r->reason, sizeof(r->reason), "%s", c->error);
	summary(c);
}

static void client_free(struct sim_client *c)
{
	client_ws_free(c);
	proto_buf_free(&c->headbuf);
	proto_buf_free(&c->body);
	free(c->head);
	free(c->resp);
	free(c->target);
	free(c->offered_ext);
	free(c->offered_protocols);
	free(c->method);
	free(c);
}

static void handle_closed(uv_handle_t *h)
{
	struct sim_client *c = h->data;
	if (--c->live_handles > 0)
		return;
	fill_result(c);
	if (c->env.obs)
		sim_obs_add(c->env.obs, SIM_HOP_CLIENT,
			    c->res.passed ? SIM_EV_NOTE : SIM_EV_ERROR, c->who,
			    c->res.passed ? 0 : 1, "%s: %s%s%s",
			    c->res.passed ? "passed" : "failed", c->res.summary,
			    c->res.passed ? "" : "; ", c->res.failure);
	c->done(c->arg, &c->res);
	client_free(c);
}

static void client_finish_maybe(struct sim_client *c)
{
	if (!c->ending || c->stream_live)
		return;
	if (c->finished)
		return;
	c->finished = true;
	sim_sched_stop(c->env.sched, &c->wake);
	if (c->token) { /* a backend call still running: let it be */
		c->token->c = NULL;
		c->token = NULL;
	}
	uv_close((uv_handle_t *)&c->timer, handle_closed);
	uv_close((uv_handle_t *)&c->poll, handle_closed);
}

/* ---- public ------------------------------------------------------------- */

int sim_client_start(const struct scn_client *def, const char *url,
		     const struct sim_client_env *env,
		     void (*done)(void *arg, const struct sim_client_result *r),
		     void *arg, struct sim_client **out)
{
	if (out)
		*out = NULL;
	if (!def || !url || !env || !env->loop || !env->sched || !done)
		return UV_EINVAL;
	struct sim_client *c = calloc(1, sizeof(*c));
	if (!c)
		return UV_ENOMEM;
	int r = parse_url(c, url);
	if (r < 0) {
		free(c->target);
		free(c);
		return r;
	}
	c->def = def;
	c->env = *env;
	c->wake.data = c;
	c->origin_ns = env->origin_ns ? env->origin_ns : uv_hrtime();
	c->done = done;
	c->arg = arg;
	c->who = def->name ? def->name : "client";
	c->timeout_ms = def->timeout_ms		  ? def->timeout_ms
			: env->default_timeout_ms ? env->default_timeout_ms
						  : CLIENT_DEFAULT_TIMEOUT_MS;
	c->rx_tail = &c->rx_head;
	proto_buf_init(&c->headbuf);
	proto_buf_init(&c->body);
	proto_buf_init(&c->msg);
	proto_buf_init(&c->last_sent);
	c->stack[0] = (struct client_frame){def->steps, def->nsteps, 0, 0, 1};
	c->depth = 1;
	c->res.passed = true;

	uv_timer_init(env->loop, &c->timer);
	uv_timer_init(env->loop, &c->poll);
	c->timer.data = c;
	c->poll.data = c;
	c->live_handles = 2;

	SSL_CTX *ctx = NULL;
	if (c->tls)
		ctx = def->insecure ? env->tls_insecure : env->tls_verify;
	struct sim_event *se = client_obs(c, SIM_EV_START, 0, "start");
	if (se && c->origin_ns / 1000 >= env->obs->t0_us)
		se->t_us = c->origin_ns / 1000 - env->obs->t0_us;
	client_obs(c, SIM_EV_NOTE, 0, "connecting to %s (%s)", c->hostport,
		   url);
	c->conn = CC_CONNECTING;
	c->stream_live = true;
	if (c->tls && !ctx) {
		c->stream_live = false;
		snprintf(c->error, sizeof(c->error),
			 "no TLS context for %s in this run", url);
	} else {
		r = net_stream_connect(&c->s, env->loop,
				       (const struct sockaddr *)&c->addr, ctx,
				       c->host, &client_cbs, c);
		if (r < 0) {
			c->stream_live = net_stream_closing(&c->s);
			snprintf(c->error, sizeof(c->error), "connect: %s",
				 r <= -1000 ? proto_strerror(r)
					    : uv_strerror(r));
		}
	}
	if (!c->stream_live) {
		client_obs(c, SIM_EV_ERROR, 0, "%s", c->error);
		if (c->ws)
			client_set_closed(c, WS_CLOSE_ABNORMAL, false, "%s",
					  c->error);
		else
			c->conn = CC_DONE;
	}
	/* the program starts from the loop, never inside this call */
	uv_timer_start(&c->poll, poll_cb, 0, 0);
	if (out)
		*out = c;
	return 0;
}

void sim_client_abort(struct sim_client *c)
{
	if (!c || c->finished)
		return;
	if (!c->res.failed_step && !c->res.failure[0]) {
		snprintf(c->res.failure, sizeof(c->res.failure),
			 "aborted (the run was interrupted or timed out)");
		c->res.passed = false;
	}
	c->ending = true;
	step_timers_stop(c);
	uv_timer_stop(&c->poll);
	client_drop(c, true);
	client_finish_maybe(c);
}
