/* The mock's AJP13 connector, as Tomcat's AjpNioProtocol behaves towards
 * Apache's mod_proxy_ajp: forward requests answered with SEND_HEADERS
 * (the status number as the message: Apache relays "200 200"), body
 * chunks and END_RESPONSE with reuse, so Apache's pooled connections are
 * reused; request bodies read with GET_BODY_CHUNK; CPING answered with
 * CPONG; a required secret checked (403 without it, as secretRequired);
 * a websocket upgrade refused with Tomcat's 500 (AJP cannot upgrade).
 * Garbage (a wrong magic) is logged and the connection closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajp.h"
#include "mock_answer.h"
#include "mock_int.h"
#include "proto_err.h"

/* A forward request kept while its body arrives. */
struct mock_ajp_req {
	struct proto_buf raw; /* the FORWARD_REQUEST payload, owned */
	uint64_t body_left;
};

static size_t packet_size(const struct mock_conn *c)
{
	return c->m->cfg.ajp_packet_size ? c->m->cfg.ajp_packet_size
					 : AJP_PACKET_DEFAULT;
}

static int write_answer(struct mock_conn *c, const struct mock_answer *a,
			bool reuse)
{
	size_t ps = packet_size(c);
	struct proto_buf out = PROTO_BUF_INIT;
	struct ajp_send_headers sh;
	memset(&sh, 0, sizeof(sh));
	sh.status = (uint16_t)a->status;
	char msg[8];
	snprintf(msg, sizeof(msg), "%d", a->status);
	sh.message.s = msg;
	sh.message.len = strlen(msg);
	for (size_t i = 0; i < a->nheaders && i < AJP_MAX_HEADERS; i++) {
		sh.headers[i].name.s = a->headers[i].name;
		sh.headers[i].name.len = a->headers[i].name_len;
		sh.headers[i].value.s = a->headers[i].value;
		sh.headers[i].value.len = a->headers[i].value_len;
	}
	sh.nheaders = a->nheaders;
	int r = ajp_send_headers_encode(&out, &sh, ps);
	if (!a->head_only) {
		size_t max = ps - 8;
		for (size_t off = 0; r == 0 && off < a->body_len; off += max) {
			size_t n =
			    a->body_len - off < max ? a->body_len - off : max;
			r = ajp_body_chunk_encode(&out, a->body + off, n, ps);
		}
	}
	if (r == 0)
		r = ajp_end_response_encode(&out, reuse);
	if (r == 0)
		r = net_stream_write(&c->s, proto_buf_head(&out),
				     proto_buf_size(&out));
	proto_buf_free(&out);
	return r;
}

static void to_mock_headers(const struct ajp_forward_request *f,
			    struct mock_header *out)
{
	for (size_t i = 0; i < f->nheaders; i++) {
		out[i].name = f->headers[i].name.s;
		out[i].name_len = f->headers[i].name.len;
		out[i].value = f->headers[i].value.s;
		out[i].value_len = f->headers[i].value.len;
	}
}

/* Answer a decoded forward request. */
static void respond(struct mock_conn *c, const struct ajp_forward_request *f)
{
	struct mock_header hs[AJP_MAX_HEADERS];
	to_mock_headers(f, hs);
	char target[1024];
	if (f->query_string.s)
		snprintf(target, sizeof(target), "%.*s?%.*s",
			 (int)f->req_uri.len, f->req_uri.s,
			 (int)f->query_string.len, f->query_string.s);
	else
		snprintf(target, sizeof(target), "%.*s", (int)f->req_uri.len,
			 f->req_uri.s ? f->req_uri.s : "");
	const char *secret = c->m->ajp_secret;
	const char *bad_secret = NULL;
	if (secret && !f->secret.s)
		bad_secret = "missing AJP secret (secretRequired)";
	else if (secret && (f->secret.len != strlen(secret) ||
			    memcmp(f->secret.s, secret, f->secret.len) != 0))
		bad_secret = "wrong AJP secret (secretRequired)";
	struct mock_request req = {
	    .method = f->method.s ? f->method.s : "",
	    .method_len = f->method.len,
	    .target = target,
	    .target_len = strlen(target),
	    .headers = hs,
	    .nheaders = f->nheaders,
	    .over_ajp = true,
	    .bad_secret = bad_secret,
	};
	struct mock_answer a;
	if (mock_serve(c, &req, &a) < 0)
		return;
	/* Tomcat drops the connection of a request with a bad secret. */
	write_answer(c, &a, !req.bad_secret);
	mock_answer_free(&a);
	if (req.bad_secret) {
		c->phase = PHASE_CLOSED;
		net_stream_end(&c->s);
	}
}

static uint64_t content_length(const struct ajp_forward_request *f)
{
	const struct ajp_pair *cl = NULL;
	for (size_t i = 0; i < f->nheaders && !cl; i++)
		if (http1_eq(f->headers[i].name.s, f->headers[i].name.len,
			     "Content-Length"))
			cl = &f->headers[i];
	if (!cl || !cl->value.s)
		return 0;
	uint64_t n = 0;
	for (size_t i = 0; i < cl->value.len; i++) {
		char ch = cl->value.s[i];
		if (ch < '0' || ch > '9' || n > UINT64_MAX / 10 - 9)
			return 0;
		n = n * 10 + (uint64_t)(ch - '0');
	}
	return n;
}

static void garbage(struct mock_conn *c, int err, size_t off)
{
	mock_note(c->m, c, MOCK_EV_PROTOCOL_ERROR, 0,
		  "AJP connector: %s (byte %zu of a packet); closing",
		  proto_strerror(err), off);
	c->phase = PHASE_CLOSED;
	net_stream_close(&c->s, false);
}

static void body_packet(struct mock_conn *c, const uint8_t *p, size_t n)
{
	struct mock_ajp_req *q = c->ajp;
	const uint8_t *data;
	size_t len, off = 0;
	if (ajp_request_body_decode(p, n, &data, &len, &off) < 0) {
		garbage(c, PROTO_E_AJP_SYNTAX, off);
		return;
	}
	q->body_left = len >= q->body_left ? 0 : q->body_left - len;
	if (q->body_left > 0 && len > 0) {
		struct proto_buf out = PROTO_BUF_INIT;
		size_t max = packet_size(c) - 6;
		ajp_get_body_chunk_encode(
		    &out, (uint16_t)(q->body_left < max ? q->body_left : max));
		net_stream_write(&c->s, proto_buf_head(&out),
				 proto_buf_size(&out));
		proto_buf_free(&out);
		return;
	}
	struct ajp_forward_request *f = malloc(sizeof(*f));
	if (f &&
	    ajp_forward_request_decode(proto_buf_head(&q->raw),
				       proto_buf_size(&q->raw), f, NULL) == 0)
		respond(c, f);
	free(f);
	mock_ajp_free(c);
}

static void packet(struct mock_conn *c, const uint8_t *p, size_t n)
{
	if (c->ajp) {
		body_packet(c, p, n);
		return;
	}
	switch (p[0]) {
	case AJP_FORWARD_REQUEST: {
		struct ajp_forward_request *f = malloc(sizeof(*f));
		size_t off = 0;
		if (!f) {
			net_stream_close(&c->s, true);
			return;
		}
		int r = ajp_forward_request_decode(p, n, f, &off);
		if (r < 0) {
			free(f);
			garbage(c, r, off);
			return;
		}
		uint64_t cl = content_length(f);
		if (cl > 0) {
			/* mod_proxy_ajp sends the first body packet at once;
			 * answer once the whole body is in. */
			c->ajp = calloc(1, sizeof(*c->ajp));
			if (!c->ajp ||
			    proto_buf_append(&c->ajp->raw, p, n) < 0) {
				free(f);
				net_stream_close(&c->s, true);
				return;
			}
			c->ajp->body_left = cl;
		} else {
			respond(c, f);
		}
		free(f);
		break;
	}
	case AJP_CPING: {
		struct proto_buf out = PROTO_BUF_INIT;
		ajp_cpong_encode(&out);
		net_stream_write(&c->s, proto_buf_head(&out),
				 proto_buf_size(&out));
		proto_buf_free(&out);
		break;
	}
	case AJP_SHUTDOWN:
		mock_note(c->m, c, MOCK_EV_NOTE, 0,
			  "AJP SHUTDOWN ignored (as Tomcat does by default)");
		break;
	default:
		mock_note(c->m, c, MOCK_EV_PROTOCOL_ERROR, 0,
			  "unexpected AJP message type %u; closing", p[0]);
		c->phase = PHASE_CLOSED;
		net_stream_close(&c->s, false);
		break;
	}
}

void mock_ajp_on_data(struct mock_conn *c, uint8_t *data, size_t len)
{
	if (c->phase != PHASE_AJP)
		return;
	if (proto_buf_append(&c->in, data, len) < 0) {
		net_stream_close(&c->s, true);
		return;
	}
	while (c->phase == PHASE_AJP && !net_stream_closing(&c->s)) {
		const uint8_t *payload;
		size_t plen;
		int n = ajp_packet_parse(
		    proto_buf_head(&c->in), proto_buf_size(&c->in),
		    AJP_TO_CONTAINER, packet_size(c), &payload, &plen, NULL);
		if (n == PROTO_E_AGAIN)
			break;
		if (n < 0) {
			garbage(c, n, 0);
			return;
		}
		packet(c, payload, plen);
		proto_buf_consume(&c->in, (size_t)n);
	}
	if (proto_buf_size(&c->in) == 0)
		proto_buf_free(&c->in);
}

void mock_ajp_free(struct mock_conn *c)
{
	if (!c->ajp)
		return;
	proto_buf_free(&c->ajp->raw);
	free(c->ajp);
	c->ajp = NULL;
}
