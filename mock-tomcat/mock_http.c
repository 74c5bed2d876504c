/* The mock's HTTP and HTTPS connectors: request heads (HTTP/1.1 and 1.0,
 * keep-alive, pipelining), bodies skipped, answers from mock_answer, and
 * the switch to a websocket session on an accepted upgrade. Like Tomcat,
 * every status line is "HTTP/1.1 <code> " with an empty reason. */
#include <stdio.h>
#include <string.h>

#include "mock_answer.h"
#include "mock_int.h"
#include "proto_err.h"

static void to_mock_headers(const struct http1_head *h, struct mock_header *out)
{
	for (size_t i = 0; i < h->nheaders; i++) {
		out[i].name = h->headers[i].name;
		out[i].name_len = h->headers[i].name_len;
		out[i].value = h->headers[i].value;
		out[i].value_len = h->headers[i].value_len;
	}
}

/* Write an answer in HTTP/1.1 framing. */
static int write_answer(struct mock_conn *c, const struct mock_answer *a,
			bool keep_alive, bool http10)
{
	struct proto_buf out = PROTO_BUF_INIT;
	int r = proto_buf_appendf(&out, "HTTP/1.1 %d \r\n", a->status);
	for (size_t i = 0; r == 0 && i < a->nheaders; i++)
		r = proto_buf_appendf(
		    &out, "%.*s: %.*s\r\n", (int)a->headers[i].name_len,
		    a->headers[i].name, (int)a->headers[i].value_len,
		    a->headers[i].value);
	if (r == 0 && !keep_alive)
		r = proto_buf_append_str(&out, "Connection: close\r\n");
	else if (r == 0 && http10)
		r = proto_buf_append_str(&out, "Keep-Alive: timeout=20\r\n"
					       "Connection: keep-alive\r\n");
	if (r == 0)
		r = proto_buf_appendf(&out, "Date: %s\r\n\r\n", a->date);
	if (r == 0) {
		uv_buf_t b[2] = {
		    uv_buf_init((char *)proto_buf_head(&out),
				(unsigned)proto_buf_size(&out)),
		    uv_buf_init((char *)(uintptr_t)a->body,
				a->head_only ? 0 : (unsigned)a->body_len),
		};
		r = net_stream_writev(&c->s, b, 2);
	}
	proto_buf_free(&out);
	return r;
}

/* Answer a request that could not be parsed, then close. */
static void bad_request(struct mock_conn *c, int status, const char *why)
{
	struct mock_answer a;
	memset(&a, 0, sizeof(a));
	mock_date(a.date);
	webapp_error_page(&a.page, status, why, NULL);
	a.status = status;
	a.body = (const char *)proto_buf_head(&a.page);
	a.body_len = proto_buf_size(&a.page);
	snprintf(a.len_str, sizeof(a.len_str), "%zu", a.body_len);
	a.headers[0] = (struct mock_header){"Content-Type", 12,
					    "text/html;charset=utf-8", 23};
	a.headers[1] = (struct mock_header){"Content-Language", 16, "en", 2};
	a.headers[2] = (struct mock_header){"Content-Length", 14, a.len_str,
					    strlen(a.len_str)};
	a.nheaders = 3;
	mock_note(c->m, c, MOCK_EV_RESPONSE, status, "%s", why);
	write_answer(c, &a, false, false);
	mock_answer_free(&a);
	c->phase = PHASE_CLOSED;
	net_stream_end(&c->s);
}

static void handle(struct mock_conn *c, const struct http1_head *h)
{
	struct mock_header hs[HTTP1_MAX_HEADERS];
	to_mock_headers(h, hs);
	struct mock_request req = {
	    .method = h->method,
	    .method_len = h->method_len,
	    .target = h->target,
	    .target_len = h->target_len,
	    .headers = hs,
	    .nheaders = h->nheaders,
	};
	struct mock_answer a;
	if (mock_serve(c, &req, &a) < 0)
		return;
	if (a.upgrade) {
		const struct mock_header *k =
		    mock_header_find(hs, h->nheaders, "Sec-WebSocket-Key");
		const struct mock_header *x = mock_header_find(
		    hs, h->nheaders, "Sec-WebSocket-Extensions");
		if (mock_ws_start(c, a.endpoint, k->value, k->value_len,
				  x ? x->value : NULL,
				  x ? x->value_len : 0) < 0)
			net_stream_close(&c->s, true);
		mock_answer_free(&a);
		return;
	}
	bool keep = http1_keep_alive(h) && a.status != 400;
	c->close_after = !keep;
	write_answer(c, &a, keep, h->version_minor == 0);
	mock_answer_free(&a);
}

/* Skip request body bytes at the front of c->in. Returns false when the
 * connection was failed. */
static bool skip_body(struct mock_conn *c)
{
	while (c->body_kind != HTTP1_BODY_NONE && proto_buf_size(&c->in)) {
		size_t n = proto_buf_size(&c->in);
		if (c->body_kind == HTTP1_BODY_LENGTH) {
			size_t take =
			    c->body_left < n ? (size_t)c->body_left : n;
			proto_buf_consume(&c->in, take);
			c->body_left -= take;
			if (c->body_left == 0)
				c->body_kind = HTTP1_BODY_NONE;
			continue;
		}
		const char *data;
		size_t dlen, off;
		bool done = false;
		int r = http1_chunked_feed(&c->chunked,
					   (const char *)proto_buf_head(&c->in),
					   n, &data, &dlen, &done, &off);
		if (r < 0) {
			bad_request(c, 400, "malformed chunked request body");
			return false;
		}
		proto_buf_consume(&c->in, (size_t)r);
		if (done)
			c->body_kind = HTTP1_BODY_NONE;
		else if (r == 0 && dlen == 0)
			break;
	}
	return true;
}

void mock_http_on_data(struct mock_conn *c, uint8_t *data, size_t len)
{
	if (c->phase == PHASE_WS) {
		mock_ws_on_data(c, data, len);
		return;
	}
	if (c->phase != PHASE_HTTP)
		return;
	if (proto_buf_append(&c->in, data, len) < 0) {
		net_stream_close(&c->s, true);
		return;
	}
	size_t max_head = c->m->cfg.max_head;
	struct http1_limits lim = {.max_head = max_head};
	while (c->phase == PHASE_HTTP && !net_stream_closing(&c->s)) {
		if (!skip_body(c) || c->body_kind != HTTP1_BODY_NONE)
			return;
		size_t n = proto_buf_size(&c->in);
		if (n == 0)
			break;
		const char *buf = (const char *)proto_buf_head(&c->in);
		size_t end = http1_head_end(buf, n, &c->scan);
		if (end == 0) {
			if (n > max_head) {
				mock_note(c->m, c, MOCK_EV_PROTOCOL_ERROR, 400,
					  "request head larger than %zu bytes",
					  max_head);
				bad_request(c, 400,
					    "Request header is too large");
			}
			return;
		}
		if (end > max_head) {
			mock_note(c->m, c, MOCK_EV_PROTOCOL_ERROR, 400,
				  "request head larger than %zu bytes",
				  max_head);
			bad_request(c, 400, "Request header is too large");
			return;
		}
		struct http1_head h;
		size_t eoff = 0;
		int r = http1_parse_request(buf, end, &h, &lim, &eoff);
		c->scan = 0;
		if (r < 0) {
			mock_note(c->m, c, MOCK_EV_PROTOCOL_ERROR, 400,
				  "%s at byte %zu of the request head",
				  proto_strerror(r), eoff);
			bad_request(c, 400, "Invalid request");
			return;
		}
		uint64_t blen = 0;
		int kind = http1_body_kind(&h, false, NULL, &blen);
		handle(c, &h);
		proto_buf_consume(&c->in, end);
		if (c->phase == PHASE_WS) {
			/* Frames sent right behind the upgrade request. */
			size_t rest = proto_buf_size(&c->in);
			if (rest)
				mock_ws_on_data(c, proto_buf_head(&c->in),
						rest);
			proto_buf_free(&c->in);
			return;
		}
		if (kind < 0) {
			bad_request(c, 400, "Invalid request body framing");
			return;
		}
		if (kind == HTTP1_BODY_LENGTH && blen == 0)
			kind = HTTP1_BODY_NONE;
		c->body_kind = (uint8_t)kind;
		c->body_left = blen;
		http1_chunked_init(&c->chunked);
		if (c->close_after) {
			c->phase = PHASE_CLOSED;
			net_stream_end(&c->s);
			break;
		}
	}
	if (proto_buf_size(&c->in) == 0)
		proto_buf_free(&c->in); /* idle connections hold nothing */
}
