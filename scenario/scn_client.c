/* Client declarations: `client NAME URL { options, steps, expectations }`.
 * Options shape the opening handshake (header, cookie, origin, protocol,
 * extensions, method, insecure, timeout) or when the client begins (start
 * DURATION, told from the step `start COMP` by its digit); steps act (send,
 * close, wait, repeat, stop, start); expectations check (expect ..., each with
 * an optional `within DURATION`). Sends, close and the expectations of an
 * answer may carry `at DURATION`, from the client's start: when a send is
 * made, when an answer arrived in a recording. Checks that need only the
 * client: what an http client cannot do, nothing but expectations after
 * `close`, sizes of control frames. Component names are checked at the end
 * (scn_macro.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scn_int.h"

#define STEPS "send, close, wait, repeat, stop, start, expect"
#define OPTIONS                                                                \
	"header, cookie, origin, protocol, extensions, method, insecure, "     \
	"timeout"

struct cl {
	struct scn_client *c;
	bool ws; /* ws:// or wss:// */
	bool tls;
	struct scn_pos closed; /* of a `close` step, line 0 if none */
};

/* A string value: quoted, or one bare word. */
static void bytes(struct scn_parser *p, const char *what, struct scn_bytes *out)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	if (t->kind != SCN_T_STRING && t->kind != SCN_T_WORD)
		scn_fail(p, t->pos, "expected %s, got %s", what,
			 scn_tok_desc(t, b, sizeof(b)));
	out->s = scn_take(p, &out->len);
}

static char *cstr(struct scn_parser *p, const char *what)
{
	struct scn_bytes v;
	bytes(p, what, &v);
	if (memchr(v.s, 0, v.len)) {
		free(v.s);
		scn_fail(p, p->tok.pos, "%s holds a NUL byte", what);
	}
	return v.s;
}

/* A template string: its macros are recorded for the final check. */
static char *tmpl(struct scn_parser *p, const char *what)
{
	char *s = cstr(p, what);
	struct scn_pos pos = p->tok.pos;
	if (p->tok.kind == SCN_T_STRING)
		pos.col++;
	/* the string is owned by the caller's tree only after we return:
	 * park it in the token so an error here frees it */
	p->tok.s = s;
	scn_template_check(p, s, strlen(s), pos, false);
	p->tok.s = NULL;
	return s;
}

static bool next_is_value(struct scn_parser *p)
{
	const struct scn_tok *t = scn_peek(p);
	return t->kind == SCN_T_STRING ||
	       (t->kind == SCN_T_WORD && strcmp(t->s, "within"));
}

/* The end of a step's values: the statement ends, or a trailing `at` (or
 * `within`) begins. */
static bool values_end(struct scn_parser *p)
{
	const struct scn_tok *t = scn_peek(p);
	return scn_is_end(t) || scn_word_is(t, "at");
}

/* An optional trailing string must be quoted, so that a misspelt
 * keyword is an error rather than a value. */
static void quoted_opt(struct scn_parser *p, const char *expected,
		       struct scn_bytes *out)
{
	const struct scn_tok *t = scn_peek(p);
	char b[64];
	if (t->kind == SCN_T_STRING) {
		scn_next(p);
		out->s = scn_take(p, &out->len);
	} else if (t->kind == SCN_T_WORD && strcmp(t->s, "within") &&
		   strcmp(t->s, "at")) {
		scn_fail(p, t->pos, "unexpected %s (expected %s)",
			 scn_tok_desc(t, b, sizeof(b)), expected);
	}
}

static void header_name(struct scn_parser *p, char **out)
{
	*out = cstr(p, "a header name");
	if (!scn_is_token(*out))
		scn_fail(p, p->tok.pos, "bad header name '%.60s'", *out);
}

/* hex "..." | base64 "..." */
static void payload(struct scn_parser *p, struct scn_bytes *out)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	bool hex = scn_word_is(t, "hex");
	if (!hex && !scn_word_is(t, "base64"))
		scn_fail(p, t->pos,
			 "expected hex or base64 before a binary payload, got "
			 "%s",
			 scn_tok_desc(t, b, sizeof(b)));
	t = scn_next(p);
	if (t->kind != SCN_T_STRING && t->kind != SCN_T_WORD)
		scn_fail(p, t->pos, "expected the %s payload, got %s",
			 hex ? "hex" : "base64", scn_tok_desc(t, b, sizeof(b)));
	if (hex)
		scn_decode_hex(p, t, out);
	else
		scn_decode_base64(p, t, out);
}

/* The component[.field] of stop, start and expect backend. */
static void comp_ref(struct scn_parser *p, struct scn_step *s, const char *kw)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	if (t->kind != SCN_T_WORD)
		scn_fail(p, t->pos,
			 "expected a tomcat's name after '%s', got %s", kw,
			 scn_tok_desc(t, b, sizeof(b)));
	const char *dot = strchr(t->s, '.');
	size_t n = dot ? (size_t)(dot - t->s) : t->len;
	s->comp = scn_alloc(p, n + 1);
	memcpy(s->comp, t->s, n);
	if (dot)
		s->field = scn_strdup(p, dot + 1);
	if (!scn_is_name(s->comp) || (dot && !scn_is_name(s->field)))
		scn_fail(p, t->pos,
			 "expected a tomcat's name or name.connector "
			 "after '%s', got %s",
			 kw, scn_tok_desc(t, b, sizeof(b)));
	char what[160];
	snprintf(what, sizeof(what), "'%s %.100s'", kw, t->s);
	scn_ref_add(p, SCN_REF_TOMCAT, s->comp, s->field, t->pos, what);
}

static void control_payload(struct scn_parser *p, struct scn_step *s,
			    const char *what)
{
	if (s->data.len > 125)
		scn_fail(p, p->tok.pos,
			 "%s payload is %zu bytes (a control frame carries at "
			 "most 125)",
			 what, s->data.len);
}

static void parse_send(struct scn_parser *p, struct scn_step *s)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	if (scn_word_is(t, "text")) {
		s->kind = SCN_SEND_TEXT;
		bytes(p, "the text to send", &s->data);
	} else if (scn_word_is(t, "binary")) {
		s->kind = SCN_SEND_BINARY;
		payload(p, &s->data);
	} else if (scn_word_is(t, "ping")) {
		s->kind = SCN_SEND_PING;
		if (!values_end(p))
			bytes(p, "the ping payload", &s->data);
		else
			s->data.s = scn_strdup(p, "");
		control_payload(p, s, "ping");
	} else if (scn_word_is(t, "pong")) {
		s->kind = SCN_SEND_PONG;
		bytes(p, "the pong payload", &s->data);
		control_payload(p, s, "pong");
	} else if (scn_word_is(t, "fragments")) {
		s->kind = SCN_SEND_FRAGMENTS;
		t = scn_next(p);
		bool hex = false, b64 = false;
		if (scn_word_is(t, "binary")) {
			s->binary = true;
			t = scn_next(p);
			hex = scn_word_is(t, "hex");
			b64 = scn_word_is(t, "base64");
			if (!hex && !b64)
				scn_fail(p, t->pos,
					 "expected hex or base64 after 'send "
					 "fragments binary', got %s",
					 scn_tok_desc(t, b, sizeof(b)));
		} else if (!scn_word_is(t, "text")) {
			scn_fail(p, t->pos,
				 "expected text or binary after 'send "
				 "fragments', got %s",
				 scn_tok_desc(t, b, sizeof(b)));
		}
		while (!values_end(p)) {
			s->pieces = scn_push(p, s->pieces, &s->npieces,
					     sizeof(*s->pieces));
			struct scn_bytes *pc = &s->pieces[s->npieces - 1];
			t = scn_next(p);
			if (t->kind != SCN_T_STRING && t->kind != SCN_T_WORD)
				scn_fail(p, t->pos,
					 "expected a fragment, got %s",
					 scn_tok_desc(t, b, sizeof(b)));
			if (hex)
				scn_decode_hex(p, t, pc);
			else if (b64)
				scn_decode_base64(p, t, pc);
			else
				pc->s = scn_take(p, &pc->len);
		}
		if (!s->npieces)
			scn_fail(p, scn_peek(p)->pos,
				 "expected at least one fragment");
	} else {
		scn_fail(p, t->pos,
			 "unknown send %s (expected text, binary, ping, pong, "
			 "fragments)",
			 scn_tok_desc(t, b, sizeof(b)));
	}
}

static void parse_close(struct scn_parser *p, struct scn_step *s)
{
	s->kind = SCN_CLOSE;
	if (values_end(p))
		return;
	const struct scn_tok *t = scn_next(p);
	s->code = (int)scn_number(p, t, "close code", 0, 99999);
	if (!scn_close_code_ok(s->code, false))
		scn_fail(p, t->pos,
			 "close code %d cannot be sent (valid: 1000-1003, "
			 "1007-1014, 3000-4999)",
			 s->code);
	if (values_end(p))
		return;
	bytes(p, "the close reason", &s->data);
	if (s->data.len > 123)
		scn_fail(p, p->tok.pos,
			 "close reason is %zu bytes (at most 123)",
			 s->data.len);
}

static void parse_expect(struct scn_parser *p, struct cl *k, struct scn_step *s)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	struct scn_pos at = t->pos;
	bool ws_only = false;
	char ew[16];
	snprintf(ew, sizeof(ew), "%s", t->kind == SCN_T_WORD ? t->s : "");
	if (scn_word_is(t, "status")) {
		s->kind = SCN_EXPECT_STATUS;
		s->code =
		    (int)scn_number(p, scn_next(p), "HTTP status", 100, 599);
	} else if (scn_word_is(t, "header")) {
		s->kind = SCN_EXPECT_HEADER;
		header_name(p, &s->name);
		if (scn_word_is(scn_peek(p), "contains")) {
			scn_next(p);
			s->match = SCN_MATCH_CONTAINS;
			s->data.s = tmpl(p, "the header value");
			s->data.len = strlen(s->data.s);
		} else if (next_is_value(p)) {
			s->data.s = tmpl(p, "the header value");
			s->data.len = strlen(s->data.s);
		}
	} else if (scn_word_is(t, "no")) {
		t = scn_next(p);
		if (!scn_word_is(t, "header"))
			scn_fail(p, t->pos,
				 "expected 'header' after 'expect no', got %s",
				 scn_tok_desc(t, b, sizeof(b)));
		s->kind = SCN_EXPECT_NO_HEADER;
		header_name(p, &s->name);
	} else if (scn_word_is(t, "open")) {
		s->kind = SCN_EXPECT_OPEN;
		ws_only = true;
	} else if (scn_word_is(t, "closed")) {
		s->kind = SCN_EXPECT_CLOSED;
		s->clean = -1;
		ws_only = true;
		t = scn_peek(p);
		if (t->kind == SCN_T_WORD && t->s[0] >= '0' && t->s[0] <= '9') {
			t = scn_next(p);
			s->code = (int)scn_number(p, t, "close code", 0, 99999);
			if (!scn_close_code_ok(s->code, true))
				scn_fail(p, t->pos,
					 "close code %d is not a valid close "
					 "code (1000-1003, 1005-1015, "
					 "3000-4999)",
					 s->code);
		}
		if (scn_word_is(scn_peek(p), "clean") ||
		    scn_word_is(scn_peek(p), "unclean"))
			s->clean = scn_word_is(scn_next(p), "clean");
		quoted_opt(p, "clean, unclean, a quoted reason or within",
			   &s->data);
	} else if (scn_word_is(t, "text") || scn_word_is(t, "body")) {
		bool text = scn_word_is(t, "text");
		s->kind = text ? SCN_EXPECT_TEXT : SCN_EXPECT_BODY;
		ws_only = text;
		if (scn_word_is(scn_peek(p), "contains")) {
			scn_next(p);
			s->match = SCN_MATCH_CONTAINS;
		}
		bytes(p, text ? "the expected text" : "the expected body",
		      &s->data);
	} else if (scn_word_is(t, "binary")) {
		s->kind = SCN_EXPECT_BINARY;
		ws_only = true;
		if (scn_word_is(scn_peek(p), "length")) {
			scn_next(p);
			s->match = SCN_MATCH_LENGTH;
			s->length = scn_number(p, scn_next(p), "message length",
					       0, 4294967295ul);
		} else {
			payload(p, &s->data);
		}
	} else if (scn_word_is(t, "echo")) {
		s->kind = SCN_EXPECT_ECHO;
		ws_only = true;
	} else if (scn_word_is(t, "pong")) {
		s->kind = SCN_EXPECT_PONG;
		ws_only = true;
		quoted_opt(p, "a quoted payload or within", &s->data);
	} else if (scn_word_is(t, "backend")) {
		s->kind = SCN_EXPECT_BACKEND;
		s->upgrade = -1;
		comp_ref(p, s, "expect backend");
		if (s->field)
			scn_fail(p, p->tok.pos,
				 "write the connector as 'expect backend %s on "
				 "%s'",
				 s->comp, s->field);
		bool on = false, path = false, up = false;
		while (!scn_is_end(scn_peek(p)) &&
		       !scn_word_is(scn_peek(p), "within")) {
			t = scn_next(p);
			struct scn_pos opt = t->pos;
			if (scn_word_is(t, "on") && !on) {
				on = true;
				t = scn_next(p);
				if (!scn_word_is(t, "http") &&
				    !scn_word_is(t, "https") &&
				    !scn_word_is(t, "ajp"))
					scn_fail(p, t->pos,
						 "expected http, https or ajp "
						 "after 'on', got %s",
						 scn_tok_desc(t, b, sizeof(b)));
				s->field = scn_take(p, NULL);
				char what[160];
				snprintf(what, sizeof(what),
					 "'expect backend %.60s on %s'",
					 s->comp, s->field);
				scn_ref_add(p, SCN_REF_TOMCAT, s->comp,
					    s->field, t->pos, what);
			} else if (scn_word_is(t, "path") && !path) {
				path = true;
				bytes(p, "the path", &s->data);
			} else if (scn_word_is(t, "upgrade") && !up) {
				up = true;
				s->upgrade = 1;
			} else if (scn_word_is(t, "no") && !up) {
				up = true;
				t = scn_next(p);
				if (!scn_word_is(t, "upgrade"))
					scn_fail(p, t->pos,
						 "expected 'upgrade' after "
						 "'no', got %s",
						 scn_tok_desc(t, b, sizeof(b)));
				s->upgrade = 0;
			} else if (scn_word_is(t, "header") && !s->name) {
				header_name(p, &s->name);
				if (next_is_value(p))
					s->value = cstr(p, "the header value");
			} else {
				scn_fail(p, opt,
					 "unexpected %s in 'expect backend' "
					 "(expected on, path, upgrade, no "
					 "upgrade, header, each once)",
					 scn_tok_desc(t, b, sizeof(b)));
			}
		}
	} else {
		scn_fail(
		    p, t->pos,
		    "unknown expectation %s (expected status, header, no "
		    "header, open, closed, text, binary, echo, pong, body, "
		    "backend)",
		    scn_tok_desc(t, b, sizeof(b)));
	}
	if (ws_only && !k->ws)
		scn_fail(p, at,
			 "'expect %s' needs a websocket client (ws:// or "
			 "wss://); '%s' is an http client",
			 ew, k->c->name);
}

/* Whether a step may carry `at`: a send, or the expectation of something
 * that arrives at a time. */
static bool at_allowed(const struct scn_step *s)
{
	if (scn_step_sends(s->kind))
		return true;
	switch (s->kind) {
	case SCN_EXPECT_STATUS:
	case SCN_EXPECT_OPEN:
	case SCN_EXPECT_CLOSED:
	case SCN_EXPECT_TEXT:
	case SCN_EXPECT_BINARY:
	case SCN_EXPECT_ECHO:
	case SCN_EXPECT_PONG:
		return true;
	default:
		return false;
	}
}

/* A step's trailing `within DURATION` (expectations) and `at DURATION`,
 * in either order, each at most once. */
static void trailing(struct scn_parser *p, struct scn_step *s, bool expectation)
{
	for (;;) {
		const struct scn_tok *t = scn_peek(p);
		if (expectation && scn_word_is(t, "within") && !s->within_ms) {
			scn_next(p);
			t = scn_next(p);
			s->within_ms = scn_duration(p, t);
			if (!s->within_ms)
				scn_fail(p, t->pos,
					 "'within' needs more than 0");
		} else if (scn_word_is(t, "at") && !s->has_at) {
			t = scn_next(p);
			struct scn_pos pos = t->pos;
			if (!at_allowed(s))
				scn_fail(
				    p, pos,
				    "'at' (when it happens, from the "
				    "client's start) goes on send, close, and "
				    "expect status, open, closed, text, "
				    "binary, echo, pong");
			if (p->depth)
				scn_fail(p, pos,
					 "'at' counts from the client's start: "
					 "not inside 'repeat' (use 'wait')");
			s->at_us = scn_duration_us(p, scn_next(p));
			s->has_at = true;
		} else if ((expectation && scn_word_is(t, "within")) ||
			   scn_word_is(t, "at")) {
			scn_fail(p, t->pos, "a second '%s' for this step",
				 t->s);
		} else {
			return; /* the caller checks the statement ends */
		}
	}
}

static void parse_steps(struct scn_parser *p, struct cl *k,
			struct scn_step **steps, size_t *nsteps, bool top);

static bool is_expectation(enum scn_step_kind kind)
{
	return kind >= SCN_EXPECT_STATUS;
}

/* Right after `start` was taken: whether a duration follows (the option
 * `start 120ms`) rather than a component (the step `start t1.ajp`; names
 * begin with a letter or '_'). */
static bool start_is_option(struct scn_parser *p)
{
	const struct scn_tok *t = scn_peek(p);
	return t->kind == SCN_T_WORD && t->len && t->s[0] >= '0' &&
	       t->s[0] <= '9';
}

/* One step or expectation into a new element of *steps; its keyword is
 * the next token, or the last one when `taken`. */
static void parse_step(struct scn_parser *p, struct cl *k,
		       struct scn_step **steps, size_t *nsteps, bool taken)
{
	const struct scn_tok *t = taken ? &p->tok : scn_next(p);
	char b[64];
	struct scn_pos pos = t->pos;
	char kw[16];
	snprintf(kw, sizeof(kw), "%s", t->s);
	*steps = scn_push(p, *steps, nsteps, sizeof(**steps));
	struct scn_step *s = &(*steps)[*nsteps - 1];
	s->pos = pos;
	s->clean = -1;
	s->upgrade = -1;
	bool ws_only = true;
	if (scn_word_is(t, "send")) {
		parse_send(p, s);
		trailing(p, s, false);
	} else if (scn_word_is(t, "close")) {
		parse_close(p, s);
		trailing(p, s, false);
	} else if (scn_word_is(t, "wait")) {
		s->kind = SCN_WAIT;
		uint64_t us = scn_duration_us(p, scn_next(p));
		s->ms = us / 1000;
		s->us = us % 1000;
		ws_only = false;
	} else if (scn_word_is(t, "repeat")) {
		s->kind = SCN_REPEAT;
		s->count = (unsigned)scn_number(p, scn_next(p), "repeat count",
						1, SCN_MAX_COUNT);
		ws_only = false;
		if (p->depth >= SCN_MAX_DEPTH)
			scn_fail(p, pos, "repeat nested too deep (at most %d)",
				 SCN_MAX_DEPTH);
		t = scn_next(p);
		if (t->kind != SCN_T_LBRACE)
			scn_fail(p, t->pos,
				 "expected '{' after the repeat "
				 "count, got %s",
				 scn_tok_desc(t, b, sizeof(b)));
		if (k->closed.line)
			scn_fail(p, pos,
				 "'repeat' after 'close' (at %u:%u): only "
				 "expectations may follow it",
				 k->closed.line, k->closed.col);
		p->depth++;
		parse_steps(p, k, &s->body, &s->nbody, false);
		p->depth--;
	} else if (scn_word_is(t, "stop") || scn_word_is(t, "start")) {
		s->kind = scn_word_is(t, "stop") ? SCN_STOP : SCN_START;
		comp_ref(p, s, kw);
		ws_only = false;
	} else if (scn_word_is(t, "expect")) {
		parse_expect(p, k, s);
		trailing(p, s, true);
		ws_only = false;
	} else {
		scn_fail(p, pos, "unknown step %s (expected " STEPS ")",
			 scn_tok_desc(t, b, sizeof(b)));
	}
	if (ws_only && !k->ws)
		scn_fail(p, pos,
			 "'%s' needs a websocket client (ws:// or wss://); "
			 "'%s' is an http client",
			 kw, k->c->name);
	if (!is_expectation(s->kind) && s->kind != SCN_REPEAT && k->closed.line)
		scn_fail(p, pos,
			 "'%s' after 'close' (at %u:%u): only expectations may "
			 "follow it",
			 kw, k->closed.line, k->closed.col);
	if (s->kind == SCN_CLOSE) {
		if (p->depth)
			scn_fail(p, pos,
				 "'close' inside 'repeat': only expectations "
				 "may follow a close");
		k->closed = pos;
	}
}

static void set_once(struct scn_parser *p, struct scn_pos pos, bool taken,
		     const char *kw)
{
	if (taken)
		scn_fail(p, pos, "a second '%s' for this client", kw);
}

/* A client option, if the word is one. `start` is taken either way: when
 * no duration follows, *start_taken is set and the caller parses the step
 * `start COMP`. */
static bool parse_option(struct scn_parser *p, struct cl *k, bool *start_taken)
{
	const struct scn_tok *t = scn_peek(p);
	struct scn_client *c = k->c;
	struct scn_pos pos = t->pos;
	if (t->kind != SCN_T_WORD)
		return false;
	if (scn_word_is(t, "header")) {
		scn_next(p);
		c->headers =
		    scn_push(p, c->headers, &c->nheaders, sizeof(*c->headers));
		struct scn_header *h = &c->headers[c->nheaders - 1];
		header_name(p, &h->name);
		h->value = tmpl(p, "the header value");
	} else if (scn_word_is(t, "cookie")) {
		scn_next(p);
		char *v = tmpl(p, "the cookie (name=value)");
		p->tok.s = v; /* freed if what follows fails */
		struct scn_header *h = NULL;
		for (size_t i = 0; i < c->nheaders; i++)
			if (!strcasecmp(c->headers[i].name, "Cookie"))
				h = &c->headers[i];
		if (!h) {
			c->headers = scn_push(p, c->headers, &c->nheaders,
					      sizeof(*c->headers));
			h = &c->headers[c->nheaders - 1];
			h->name = scn_strdup(p, "Cookie");
			h->value = scn_take(p, NULL);
		} else {
			size_t a = strlen(h->value), n = strlen(v);
			char *j = scn_alloc(p, a + 2 + n + 1);
			memcpy(j, h->value, a);
			memcpy(j + a, "; ", 2);
			memcpy(j + a + 2, v, n);
			free(h->value);
			h->value = j;
		}
	} else if (scn_word_is(t, "origin")) {
		scn_next(p);
		set_once(p, pos, c->origin, "origin");
		c->origin = tmpl(p, "the origin");
	} else if (scn_word_is(t, "protocol")) {
		scn_next(p);
		char *v = cstr(p, "a subprotocol");
		if (!c->protocols) {
			c->protocols = v;
		} else {
			p->tok.s = v;
			size_t a = strlen(c->protocols), n = strlen(v);
			char *j = scn_alloc(p, a + 2 + n + 1);
			memcpy(j, c->protocols, a);
			memcpy(j + a, ", ", 2);
			memcpy(j + a + 2, v, n);
			free(c->protocols);
			c->protocols = j;
		}
	} else if (scn_word_is(t, "extensions")) {
		scn_next(p);
		set_once(p, pos, c->extensions, "extensions");
		if (scn_word_is(scn_peek(p), "none")) {
			scn_next(p);
			c->extensions = scn_strdup(p, "");
		} else {
			c->extensions = cstr(p, "the extensions offer");
		}
	} else if (scn_word_is(t, "method")) {
		scn_next(p);
		set_once(p, pos, c->method, "method");
		if (k->ws)
			scn_fail(p, pos,
				 "'method' needs an http client (http:// or "
				 "https://)");
		c->method = cstr(p, "an HTTP method");
		if (!scn_is_token(c->method))
			scn_fail(p, p->tok.pos, "bad HTTP method '%.60s'",
				 c->method);
	} else if (scn_word_is(t, "insecure")) {
		scn_next(p);
		set_once(p, pos, c->insecure, "insecure");
		if (!k->tls)
			scn_fail(
			    p, pos,
			    "'insecure' needs a wss:// or https:// client");
		c->insecure = true;
	} else if (scn_word_is(t, "timeout")) {
		scn_next(p);
		set_once(p, pos, c->timeout_ms, "timeout");
		t = scn_next(p);
		c->timeout_ms = scn_duration(p, t);
		if (!c->timeout_ms)
			scn_fail(p, t->pos, "a timeout must be more than 0");
	} else if (scn_word_is(t, "start")) {
		scn_next(p);
		if (!start_is_option(p)) {
			*start_taken = true;
			return false;
		}
		set_once(p, pos, c->has_start, "start");
		uint64_t us = scn_duration_us(p, scn_next(p));
		c->start_ms = us / 1000;
		c->start_us = us % 1000;
		c->has_start = true;
	} else {
		return false;
	}
	return true;
}

/* Whether t begins a step (one of STEPS). */
static bool is_step_word(const struct scn_tok *t)
{
	static const char *const words[] = {"send", "close", "wait",  "repeat",
					    "stop", "start", "expect"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (scn_word_is(t, words[i]))
			return true;
	return false;
}

static void parse_steps(struct scn_parser *p, struct cl *k,
			struct scn_step **steps, size_t *nsteps, bool top)
{
	struct scn_pos open = p->tok.pos;
	char b[64];
	for (;;) {
		const struct scn_tok *t = scn_peek(p);
		if (t->kind == SCN_T_EOF)
			scn_fail(p, open,
				 "unterminated block (this '{' is "
				 "never closed)");
		if (t->kind == SCN_T_RBRACE) {
			scn_next(p);
			return;
		}
		if (t->kind == SCN_T_NL || t->kind == SCN_T_SEMI) {
			scn_next(p);
			continue;
		}
		if (t->kind != SCN_T_WORD)
			scn_fail(p, t->pos, "unexpected %s (expected a step)",
				 scn_tok_desc(t, b, sizeof(b)));
		bool taken = false;
		if (top && parse_option(p, k, &taken)) {
			scn_expect_end(p);
			continue;
		}
		if (taken) {
			parse_step(p, k, steps, nsteps, true);
			scn_expect_end(p);
			continue;
		}
		if (!top) {
			static const char *const opts[] = {
			    "header",	  "cookie", "origin",	"protocol",
			    "extensions", "method", "insecure", "timeout"};
			for (size_t i = 0; i < 8; i++)
				if (scn_word_is(t, opts[i]))
					scn_fail(p, t->pos,
						 "'%s' is a client option: not "
						 "inside 'repeat'",
						 opts[i]);
			if (scn_word_is(t, "start")) {
				struct scn_pos pos = t->pos;
				scn_next(p);
				if (start_is_option(p))
					scn_fail(p, pos,
						 "'start DURATION' is a client "
						 "option: not inside 'repeat'");
				parse_step(p, k, steps, nsteps, true);
				scn_expect_end(p);
				continue;
			}
			if (is_step_word(t)) {
				parse_step(p, k, steps, nsteps, false);
			} else {
				scn_next(p);
				scn_fail(p, p->tok.pos,
					 "unknown step %s (expected " STEPS ")",
					 scn_tok_desc(&p->tok, b, sizeof(b)));
			}
		} else if (is_step_word(t)) {
			parse_step(p, k, steps, nsteps, false);
		} else {
			scn_next(p);
			scn_fail(p, p->tok.pos,
				 "unknown step %s (expected " STEPS
				 ", or an option: " OPTIONS ")",
				 scn_tok_desc(&p->tok, b, sizeof(b)));
		}
		scn_expect_end(p);
	}
}

/* Does any step (repeat bodies included) expect something? */
static bool checks_something(const struct scn_step *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (st[i].kind >= SCN_EXPECT_STATUS ||
		    (st[i].kind == SCN_REPEAT &&
		     checks_something(st[i].body, st[i].nbody)))
			return true;
	return false;
}

void scn_parse_client(struct scn_parser *p)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	scn_check_name(p, t);
	struct scn_file *f = p->f;
	f->clients = scn_push(p, f->clients, &f->nclients, sizeof(*f->clients));
	struct cl k = {.c = &f->clients[f->nclients - 1]};
	struct scn_client *c = k.c;
	c->pos = t->pos;
	c->name = scn_take(p, NULL);
	t = scn_peek(p);
	if (t->kind != SCN_T_WORD && t->kind != SCN_T_STRING)
		scn_fail(p, t->pos, "expected the client's URL, got %s",
			 scn_tok_desc(t, b, sizeof(b)));
	c->url_pos = t->pos;
	c->url = tmpl(p, "the client's URL");
	static const char *const schemes[] = {"ws://", "wss://", "http://",
					      "https://"};
	int scheme = -1;
	for (int i = 0; i < 4 && scheme < 0; i++)
		if (!strncmp(c->url, schemes[i], strlen(schemes[i])))
			scheme = i;
	if (scheme < 0 || !c->url[strlen(schemes[scheme])])
		scn_fail(p, c->url_pos,
			 "a client URL starts with ws://, wss://, http:// or "
			 "https:// and names a host");
	k.ws = scheme <= 1;
	k.tls = scheme == 1 || scheme == 3;
	t = scn_next(p);
	if (t->kind != SCN_T_LBRACE)
		scn_fail(p, t->pos,
			 "expected '{' after the client's URL, got %s",
			 scn_tok_desc(t, b, sizeof(b)));
	parse_steps(p, &k, &c->steps, &c->nsteps, true);
}

void scn_clients_check(struct scn_parser *p)
{
	/* a client that checks nothing passes whatever happens: a test that
	 * cannot fail */
	const struct scn_file *f = p->f;
	for (size_t i = 0; i < f->nclients; i++) {
		const struct scn_client *c = &f->clients[i];
		if (!checks_something(c->steps, c->nsteps))
			scn_fail(p, c->pos,
				 "client %s checks nothing: give it an "
				 "expectation (e.g. %s)",
				 c->name,
				 strncmp(c->url, "ws", 2)
				     ? "expect status 200"
				     : "expect open, or expect closed 1006");
	}
}
