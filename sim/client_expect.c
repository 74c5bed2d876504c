/* The simulated client's expectations: each looks at what the client has
 * seen so far (the response head, the received queue, the outcome, the
 * HTTP body) and says held, failed (with
 * what was seen instead), or not yet. Deadlines are the caller's
 * (client.c): with `final` set, "not yet" becomes a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"

bool client_is_expect(const struct scn_step *st)
{
	return st->kind >= SCN_EXPECT_STATUS;
}

static void quote(const char *s, size_t n, bool text, char *out, size_t outlen)
{
	client_preview((const uint8_t *)(s ? s : ""), s ? n : 0, text, out,
		       outlen);
}

void client_expect_text(const struct scn_step *st, char *out, size_t outlen)
{
	char q[160];
	const char *how = st->match == SCN_MATCH_CONTAINS ? "containing " : "";
	switch (st->kind) {
	case SCN_EXPECT_STATUS:
		snprintf(out, outlen, "status %d", st->code);
		break;
	case SCN_EXPECT_HEADER:
		if (st->data.s) {
			quote(st->data.s, st->data.len, true, q, sizeof(q));
			snprintf(out, outlen, "header %s %s%s", st->name, how,
				 q);
		} else {
			snprintf(out, outlen, "header %s", st->name);
		}
		break;
	case SCN_EXPECT_NO_HEADER:
		snprintf(out, outlen, "no header %s", st->name);
		break;
	case SCN_EXPECT_OPEN:
		snprintf(out, outlen, "open");
		break;
	case SCN_EXPECT_CLOSED: {
		size_t n = (size_t)snprintf(out, outlen, "closed");
		if (st->code && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, " %d",
					      st->code);
		if (st->clean >= 0 && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, " %s",
					      st->clean ? "clean" : "unclean");
		if (st->data.s && n < outlen) {
			quote(st->data.s, st->data.len, true, q, sizeof(q));
			snprintf(out + n, outlen - n, " %s%s", how, q);
		}
		break;
	}
	case SCN_EXPECT_TEXT:
		quote(st->data.s, st->data.len, true, q, sizeof(q));
		snprintf(out, outlen, "text %s%s", how, q);
		break;
	case SCN_EXPECT_BINARY:
		if (st->match == SCN_MATCH_LENGTH) {
			snprintf(out, outlen,
				 "binary of %llu bytes (any content)",
				 (unsigned long long)st->length);
			break;
		}
		quote(st->data.s, st->data.len, false, q, sizeof(q));
		snprintf(out, outlen, "binary (%s)", q);
		break;
	case SCN_EXPECT_ECHO:
		snprintf(out, outlen, "echo");
		break;
	case SCN_EXPECT_PONG:
		if (st->data.s) {
			quote(st->data.s, st->data.len, true, q, sizeof(q));
			snprintf(out, outlen, "pong %s", q);
		} else {
			snprintf(out, outlen, "pong");
		}
		break;
	case SCN_EXPECT_BODY:
		quote(st->data.s, st->data.len, true, q, sizeof(q));
		snprintf(out, outlen, "body %s%s", how, q);
		break;
	case SCN_EXPECT_BACKEND: {
		size_t n = (size_t)snprintf(
		    out, outlen, "backend %s%s%s", st->comp ? st->comp : "?",
		    st->field ? "." : "", st->field ? st->field : "");
		if (st->data.s && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n,
					      " request for %s", st->data.s);
		if (st->name && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n,
					      " with header %s", st->name);
		if (st->upgrade >= 0 && n < outlen)
			snprintf(out + n, outlen - n, " %s",
				 st->upgrade ? "with upgrade"
					     : "without upgrade");
		break;
	}
	default:
		snprintf(out, outlen, "step %d", (int)st->kind);
		break;
	}
}

static bool match_bytes(const struct scn_step *st, const char *want,
			size_t wlen, const uint8_t *got, size_t glen)
{
	if (st->match == SCN_MATCH_LENGTH)
		return glen == st->length;
	if (st->match == SCN_MATCH_CONTAINS)
		return wlen == 0 || memmem(got, glen, want, wlen) != NULL;
	return wlen == glen && (wlen == 0 || memcmp(want, got, wlen) == 0);
}

/* The expected string of a step, macros expanded. */
static const char *want_str(struct sim_client *c, const struct scn_step *st,
			    size_t *len, char **owned)
{
	*owned = NULL;
	*len = st->data.len;
	const char *s = st->data.s;
	if (!s)
		return NULL;
	if (c->env.expand && strlen(s) == st->data.len && strstr(s, "${")) {
		char err[128];
		*owned = c->env.expand(c->env.ctx, s, err, sizeof(err));
		if (*owned) {
			*len = strlen(*owned);
			return *owned;
		}
	}
	return s;
}

/* Whether a response head may still come. */
static bool head_pending(const struct sim_client *c)
{
	return c->stream_live && !c->closed &&
	       (c->conn == CC_NONE || c->conn == CC_CONNECTING ||
		c->conn == CC_HEAD);
}

static enum step_result need_head(struct sim_client *c, bool final, char *got,
				  size_t gotlen)
{
	char state[512];
	client_state_text(c, state, sizeof(state));
	if (head_pending(c) && !final)
		return STEP_BLOCK;
	if (head_pending(c))
		snprintf(got, gotlen, "nothing; %s", state);
	else
		snprintf(got, gotlen, "no response: %s", state);
	return STEP_FAIL;
}

static void closed_text(const struct sim_client *c, char *out, size_t outlen)
{
	char state[512];
	client_state_text(c, state, sizeof(state));
	snprintf(out, outlen, "%s", state);
}

/* The first queued item that is data (text/binary) or a pong. */
static struct client_rx **find_rx(struct sim_client *c, bool pong)
{
	for (struct client_rx **pp = &c->rx_head; *pp; pp = &(*pp)->next)
		if (((*pp)->opcode == WS_OP_PONG) == pong)
			return pp;
	return NULL;
}

static void rx_remove(struct sim_client *c, struct client_rx **pp)
{
	struct client_rx *r = *pp;
	*pp = r->next;
	if (c->rx_tail == &r->next)
		c->rx_tail = pp;
	free(r->data);
	free(r);
}

/* More may still arrive. */
static bool rx_pending(const struct sim_client *c)
{
	return c->stream_live && !c->closed && !c->close_received &&
	       (c->conn == CC_NONE || c->conn == CC_CONNECTING ||
		c->conn == CC_HEAD || c->conn == CC_OPEN);
}

static enum step_result nothing(struct sim_client *c, bool final, char *got,
				size_t gotlen)
{
	char state[512];
	if (rx_pending(c) && !final)
		return STEP_BLOCK;
	closed_text(c, state, sizeof(state));
	snprintf(got, gotlen, "nothing; %s", state);
	return STEP_FAIL;
}

static enum step_result expect_message(struct sim_client *c,
				       const struct scn_step *st, bool final,
				       char *got, size_t gotlen)
{
	if (!c->ws) {
		snprintf(got, gotlen, "an http client (no websocket)");
		return STEP_FAIL;
	}
	uint8_t want_op;
	const char *want;
	size_t wlen;
	char *owned = NULL;
	if (st->kind == SCN_EXPECT_ECHO) {
		if (!c->last_sent_op) {
			snprintf(got, gotlen,
				 "nothing to compare: no message was sent");
			return STEP_FAIL;
		}
		want_op = c->last_sent_op;
		want = (const char *)proto_buf_head(&c->last_sent);
		wlen = proto_buf_size(&c->last_sent);
	} else if (st->kind == SCN_EXPECT_TEXT) {
		want_op = WS_OP_TEXT;
		want = want_str(c, st, &wlen, &owned);
	} else {
		want_op = WS_OP_BINARY;
		want = st->data.s;
		wlen = st->data.len;
	}
	struct client_rx **pp = find_rx(c, false);
	if (!pp) {
		free(owned);
		return nothing(c, final, got, gotlen);
	}
	struct client_rx *r = *pp;
	char pv[160];
	client_preview(r->data, r->len, r->opcode == WS_OP_TEXT, pv,
		       sizeof(pv));
	bool ok =
	    r->opcode == want_op &&
	    match_bytes(st, want ? want : "", want ? wlen : 0, r->data, r->len);
	if (ok && st->kind == SCN_EXPECT_ECHO)
		c->echoed++;
	else if (ok && c->last_sent_op == r->opcode &&
		 proto_buf_size(&c->last_sent) == r->len &&
		 (r->len == 0 ||
		  memcmp(proto_buf_head(&c->last_sent), r->data, r->len) == 0))
		c->echoed++;
	if (!ok) {
		if (st->kind == SCN_EXPECT_ECHO) {
			char sent[160];
			client_preview(proto_buf_head(&c->last_sent),
				       proto_buf_size(&c->last_sent),
				       c->last_sent_op == WS_OP_TEXT, sent,
				       sizeof(sent));
			snprintf(
			    got, gotlen, "%s %s (sent %s %s)",
			    r->opcode == WS_OP_TEXT ? "text" : "binary", pv,
			    c->last_sent_op == WS_OP_TEXT ? "text" : "binary",
			    sent);
		} else {
			snprintf(got, gotlen, "%s %s",
				 r->opcode == WS_OP_TEXT ? "text" : "binary",
				 pv);
		}
	}
	rx_remove(c, pp);
	free(owned);
	return ok ? STEP_DONE : STEP_FAIL;
}

static enum step_result expect_pong(struct sim_client *c,
				    const struct scn_step *st, bool final,
				    char *got, size_t gotlen)
{
	struct client_rx **pp = find_rx(c, true);
	if (!pp)
		return nothing(c, final, got, gotlen);
	struct client_rx *r = *pp;
	bool ok = !st->data.s ||
		  (r->len == st->data.len &&
		   (r->len == 0 || memcmp(r->data, st->data.s, r->len) == 0));
	if (!ok) {
		char pv[160];
		client_preview(r->data, r->len, true, pv, sizeof(pv));
		snprintf(got, gotlen, "pong %s", pv);
	}
	rx_remove(c, pp);
	return ok ? STEP_DONE : STEP_FAIL;
}

static enum step_result expect_closed(struct sim_client *c,
				      const struct scn_step *st, bool final,
				      char *got, size_t gotlen)
{
	char state[512];
	if (!c->closed) {
		bool pending = c->stream_live;
		if (pending && !final)
			return STEP_BLOCK;
		closed_text(c, state, sizeof(state));
		snprintf(got, gotlen, "%s%s", pending ? "nothing; " : "",
			 state);
		return STEP_FAIL;
	}
	char *owned = NULL;
	size_t wlen = 0;
	const char *want = want_str(c, st, &wlen, &owned);
	bool ok =
	    (st->code == 0 || st->code == c->close_code) &&
	    (st->clean < 0 || (st->clean != 0) == c->clean) &&
	    (!want || match_bytes(st, want, wlen, (const uint8_t *)c->reason,
				  strlen(c->reason)));
	free(owned);
	if (ok)
		return STEP_DONE;
	closed_text(c, state, sizeof(state));
	snprintf(got, gotlen, "%s", state);
	return STEP_FAIL;
}

static enum step_result expect_header(struct sim_client *c,
				      const struct scn_step *st, char *got,
				      size_t gotlen)
{
	const struct http1_head *h = c->resp;
	char *owned = NULL;
	size_t wlen = 0;
	const char *want = st->kind == SCN_EXPECT_HEADER
			       ? want_str(c, st, &wlen, &owned)
			       : NULL;
	const struct http1_header *first = NULL;
	bool ok = false;
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http1_header *x = &h->headers[i];
		if (!st->name || !http1_eq(x->name, x->name_len, st->name))
			continue;
		if (!first)
			first = x;
		if (!want ||
		    match_bytes(st, want, wlen, (const uint8_t *)x->value,
				x->value_len)) {
			ok = true;
			first = x;
			break;
		}
	}
	free(owned);
	if (st->kind == SCN_EXPECT_NO_HEADER) {
		if (!first)
			return STEP_DONE;
		snprintf(got, gotlen, "%.*s: %.*s (in %s)",
			 (int)first->name_len, first->name,
			 (int)first->value_len, first->value, c->status_line);
		return STEP_FAIL;
	}
	if (ok)
		return STEP_DONE;
	if (first)
		snprintf(got, gotlen, "%.*s: %.*s (in %s)",
			 (int)first->name_len, first->name,
			 (int)first->value_len, first->value, c->status_line);
	else
		snprintf(got, gotlen, "no header %s in %s", st->name,
			 c->status_line);
	return STEP_FAIL;
}

static enum step_result expect_body(struct sim_client *c,
				    const struct scn_step *st, bool final,
				    char *got, size_t gotlen)
{
	char state[512];
	if (c->ws) {
		snprintf(got, gotlen,
			 "a websocket client (body expectations are for "
			 "http and https clients)");
		return STEP_FAIL;
	}
	if (!c->resp)
		return need_head(c, final, got, gotlen);
	if (!c->body_done) {
		bool pending = c->stream_live && c->conn == CC_BODY;
		if (pending && !final)
			return STEP_BLOCK;
		client_state_text(c, state, sizeof(state));
		snprintf(got, gotlen, "%s%s%s%s", pending ? "nothing; " : "",
			 state, c->error[0] ? ": " : "", c->error);
		return STEP_FAIL;
	}
	char *owned = NULL;
	size_t wlen = 0;
	const char *want = want_str(c, st, &wlen, &owned);
	bool ok = !want || match_bytes(st, want, wlen, proto_buf_head(&c->body),
				       proto_buf_size(&c->body));
	free(owned);
	if (ok)
		return STEP_DONE;
	char pv[160];
	client_preview(proto_buf_head(&c->body), proto_buf_size(&c->body), true,
		       pv, sizeof(pv));
	snprintf(got, gotlen, "body %s (%s)", pv, c->status_line);
	return STEP_FAIL;
}

enum step_result client_expect(struct sim_client *c, const struct scn_step *st,
			       bool final, char *got, size_t gotlen)
{
	char state[512];
	got[0] = '\0';
	switch (st->kind) {
	case SCN_EXPECT_STATUS:
		if (!c->resp)
			return need_head(c, final, got, gotlen);
		if (c->status == st->code)
			return STEP_DONE;
		snprintf(got, gotlen, "%s", c->status_line);
		if (c->ws && c->closed) {
			size_t n = strlen(got);
			snprintf(got + n, gotlen - n, " (closed %d)",
				 c->close_code);
		}
		return STEP_FAIL;
	case SCN_EXPECT_HEADER:
	case SCN_EXPECT_NO_HEADER:
		if (!c->resp)
			return need_head(c, final, got, gotlen);
		return expect_header(c, st, got, gotlen);
	case SCN_EXPECT_OPEN:
		if (!c->ws) {
			snprintf(got, gotlen, "an http client (no websocket)");
			return STEP_FAIL;
		}
		if (c->opened)
			return STEP_DONE;
		if (head_pending(c) && !final)
			return STEP_BLOCK;
		client_state_text(c, state, sizeof(state));
		snprintf(got, gotlen, "%s%s",
			 head_pending(c) ? "nothing; " : "", state);
		return STEP_FAIL;
	case SCN_EXPECT_CLOSED:
		return expect_closed(c, st, final, got, gotlen);
	case SCN_EXPECT_TEXT:
	case SCN_EXPECT_BINARY:
	case SCN_EXPECT_ECHO:
		return expect_message(c, st, final, got, gotlen);
	case SCN_EXPECT_PONG:
		return expect_pong(c, st, final, got, gotlen);
	case SCN_EXPECT_BODY:
		return expect_body(c, st, final, got, gotlen);
	case SCN_EXPECT_BACKEND:
		/* what the mock received is checked by the run, from the
		 * observer, once the client is done (run_backend.c) */
		return STEP_DONE;
	default:
		snprintf(got, gotlen, "an unknown expectation");
		return STEP_FAIL;
	}
}
