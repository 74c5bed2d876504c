/* Websocket sessions of the mock: the upgrade answer and Tomcat's echo
 * endpoints (DESIGN.md section 6).
 *
 * echoProgrammatic, echoAnnotation (and the flagged echoAsyncAnnotation)
 * echo partial messages as they arrive, in blocks of at most 8192 bytes
 * (Tomcat's read buffer): a 64 KiB binary frame comes back as 8 frames of
 * 8192. echoStreamAnnotation joins text into one frame and streams binary,
 * ending it with an empty final frame. Pings get pongs at once, also
 * between fragments; a close is echoed with its code and reason, then the
 * connection ends. Protocol errors get the close code RFC 6455 prescribes.
 *
 * Output is batched per read: frame headers are written into a scratch
 * buffer, payloads that are whole blocks of the read buffer go out without
 * a copy, and the batch is written with one writev at the end of the read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_int.h"
#include "pmd.h"
#include "proto_err.h"
#include "ws_frame.h"
#include "ws_handshake.h"

#define ECHO_BLOCK 8192

struct mock_ws {
	struct ws_decoder dec;
	struct pmd_ctx *pmd;   /* NULL without permessage-deflate */
	struct proto_buf pend; /* a partial block, or inflated plaintext */
	struct ws_utf8 utf8;   /* inflated text */
	uint64_t frame_len;
	uint8_t ep; /* enum webapp_endpoint */
	uint8_t msg_opcode;
	bool frame_fin;
	bool compressed;
	bool out_started; /* an echoed message is under way */
	bool close_sent;
};

static int batch_flush(struct mock_conn *c)
{
	struct mock_batch *b = &c->m->batch;
	if (b->n == 0)
		return 0;
	uv_buf_t iov[BATCH_MAX];
	for (unsigned i = 0; i < b->n; i++) {
		const uint8_t *p =
		    b->ent[i].ptr ? b->ent[i].ptr
				  : proto_buf_head(&b->own) + b->ent[i].off;
		iov[i] =
		    uv_buf_init((char *)(uintptr_t)p, (unsigned)b->ent[i].len);
	}
	unsigned n = b->n;
	b->n = 0;
	int r = net_stream_writev(&c->s, iov, n);
	proto_buf_reset(&b->own);
	return r;
}

static int batch_add(struct mock_conn *c, const uint8_t *p, size_t len,
		     bool copy)
{
	struct mock_batch *b = &c->m->batch;
	if (len == 0)
		return 0;
	if (b->n == BATCH_MAX) {
		int r = batch_flush(c);
		if (r < 0)
			return r;
	}
	struct mock_batch_ent *e = &b->ent[b->n];
	if (copy) {
		size_t off = proto_buf_size(&b->own);
		if (proto_buf_append(&b->own, p, len) < 0)
			return PROTO_E_NOMEM;
		/* Coalesce with the previous owned entry when adjacent. */
		struct mock_batch_ent *prev = b->n ? &b->ent[b->n - 1] : NULL;
		if (prev && !prev->ptr && prev->off + prev->len == off) {
			prev->len += len;
			return 0;
		}
		e->ptr = NULL;
		e->off = off;
	} else {
		e->ptr = p;
		e->off = 0;
	}
	e->len = len;
	b->n++;
	return 0;
}

static int send_frame(struct mock_conn *c, bool fin, uint8_t rsv,
		      uint8_t opcode, const uint8_t *p, size_t n, bool copy)
{
	uint8_t h[WS_MAX_HEADER];
	size_t hl = ws_frame_hdr_encode(h, fin, rsv, opcode, NULL, n);
	int r = batch_add(c, h, hl, true);
	if (r == 0)
		r = batch_add(c, p, n, copy);
	return r;
}

/* One echoed data frame of the current message. */
static int echo_frame(struct mock_conn *c, const uint8_t *p, size_t n, bool fin,
		      bool copy)
{
	struct mock_ws *w = c->ws;
	uint8_t op = w->out_started ? WS_OP_CONT : w->msg_opcode;
	w->out_started = !fin;
	if (!w->compressed)
		return send_frame(c, fin, 0, op, p, n, copy);
	proto_buf_reset(&c->m->batch.z);
	int r = pmd_deflate(w->pmd, p, n, fin, &c->m->batch.z);
	if (r < 0)
		return r;
	return send_frame(c, fin, op == WS_OP_CONT ? 0 : WS_RSV1, op,
			  proto_buf_head(&c->m->batch.z),
			  proto_buf_size(&c->m->batch.z), true);
}

static bool streams_text(const struct mock_ws *w)
{
	return w->ep == WEBAPP_EP_ECHO_STREAM && w->msg_opcode == WS_OP_TEXT;
}

static bool streams_binary(const struct mock_ws *w)
{
	return w->ep == WEBAPP_EP_ECHO_STREAM && w->msg_opcode == WS_OP_BINARY;
}

/* Uncompressed data: blocks of ECHO_BLOCK aligned to the frame's start,
 * sent without a copy when a whole block is in this read. */
static int echo_plain(struct mock_conn *c, const uint8_t *p, size_t n,
		      uint64_t off)
{
	struct mock_ws *w = c->ws;
	if (streams_text(w))
		return proto_buf_append(&w->pend, p, n);
	while (n > 0) {
		uint64_t bend = (off / ECHO_BLOCK + 1) * ECHO_BLOCK;
		if (bend > w->frame_len)
			bend = w->frame_len;
		size_t take =
		    (size_t)(bend - off) < n ? (size_t)(bend - off) : n;
		bool last = off + take == w->frame_len;
		bool fin = last && w->frame_fin && !streams_binary(w);
		int r;
		if (proto_buf_size(&w->pend) == 0 && off % ECHO_BLOCK == 0 &&
		    off + take == bend) {
			r = echo_frame(c, p, take, fin, false);
		} else {
			r = proto_buf_append(&w->pend, p, take);
			if (r == 0 && off + take == bend) {
				r = echo_frame(c, proto_buf_head(&w->pend),
					       proto_buf_size(&w->pend), fin,
					       true);
				proto_buf_reset(&w->pend);
			}
		}
		if (r < 0)
			return r;
		p += take;
		n -= take;
		off += take;
	}
	return 0;
}

/* Compressed data: inflate into pend, send full blocks as they fill. */
static int echo_compressed(struct mock_conn *c, const uint8_t *p, size_t n,
			   bool last_piece)
{
	struct mock_ws *w = c->ws;
	size_t before = proto_buf_size(&w->pend);
	int r = pmd_inflate(w->pmd, p, n, last_piece, &w->pend);
	if (r < 0)
		return r;
	if (w->msg_opcode == WS_OP_TEXT &&
	    ws_utf8_feed(&w->utf8, proto_buf_head(&w->pend) + before,
			 proto_buf_size(&w->pend) - before, NULL) < 0)
		return PROTO_E_WS_UTF8;
	if (streams_text(w))
		return 0;
	while (proto_buf_size(&w->pend) > ECHO_BLOCK) {
		r = echo_frame(c, proto_buf_head(&w->pend), ECHO_BLOCK, false,
			       true);
		if (r < 0)
			return r;
		proto_buf_consume(&w->pend, ECHO_BLOCK);
	}
	return 0;
}

/* The end of a received data frame. */
static int frame_end(struct mock_conn *c, bool fin)
{
	struct mock_ws *w = c->ws;
	int r = 0;
	if (w->compressed) {
		if (!fin)
			return 0;
		if (w->frame_len == 0) /* the inflate tail is still due */
			r = echo_compressed(c, NULL, 0, true);
		if (r == 0 && w->msg_opcode == WS_OP_TEXT &&
		    !ws_utf8_complete(&w->utf8))
			r = PROTO_E_WS_UTF8;
		if (r == 0)
			r = echo_frame(c, proto_buf_head(&w->pend),
				       proto_buf_size(&w->pend),
				       !streams_binary(w), true);
		proto_buf_reset(&w->pend);
	} else if (streams_text(w)) {
		if (!fin)
			return 0;
		r = echo_frame(c, proto_buf_head(&w->pend),
			       proto_buf_size(&w->pend), true, true);
		proto_buf_reset(&w->pend);
		return r;
	} else if (w->frame_len == 0 && !streams_binary(w)) {
		/* An empty frame has no data run: echo it here. */
		r = echo_frame(c, NULL, 0, fin, false);
	}
	if (r == 0 && fin && streams_binary(w))
		r = echo_frame(c, NULL, 0, true, false); /* empty final frame */
	return r;
}

static void emit_frame_event(struct mock_conn *c, uint8_t opcode, uint64_t len)
{
	if (!c->m->cfg.on_event || !c->m->cfg.frame_events)
		return;
	struct mock_event ev = {.type = MOCK_EV_WS_FRAME};
	ev.opcode = opcode;
	ev.len = len;
	mock_emit(c->m, c, &ev);
}

static void send_close(struct mock_conn *c, unsigned code, const char *reason,
		       size_t rl)
{
	struct mock_ws *w = c->ws;
	if (w->close_sent)
		return;
	uint8_t p[WS_MAX_CONTROL];
	if (!reason)
		rl = 0;
	if (rl > 123)
		rl = 123;
	int n = ws_close_payload(p, code, reason, rl);
	if (n < 0)
		n = 0;
	send_frame(c, true, 0, WS_OP_CLOSE, p, (size_t)n, true);
	w->close_sent = true;
	mock_note(c->m, c, MOCK_EV_WS_CLOSE, (int)code, "%.*s", (int)rl,
		  reason ? reason : "");
}

static void protocol_error(struct mock_conn *c, unsigned code, const char *why)
{
	mock_note(c->m, c, MOCK_EV_PROTOCOL_ERROR, (int)code, "%s", why);
	send_close(c, code, why, strlen(why));
	batch_flush(c);
	c->phase = PHASE_CLOSED;
	net_stream_end(&c->s);
}

static void on_control(struct mock_conn *c, const struct ws_event *ev)
{
	struct mock_ws *w = c->ws;
	emit_frame_event(c, ev->hdr.opcode, ev->len);
	switch (ev->hdr.opcode) {
	case WS_OP_PING:
		send_frame(c, true, 0, WS_OP_PONG, ev->data, ev->len, true);
		break;
	case WS_OP_CLOSE:
		/* Tomcat reads an empty close as 1000 (WsFrameBase) and
		 * answers with that code. */
		if (!w->close_sent)
			send_close(c,
				   ev->close_code == WS_CLOSE_NO_STATUS
				       ? WS_CLOSE_NORMAL
				       : ev->close_code,
				   ev->close_reason, ev->close_reason_len);
		batch_flush(c);
		c->phase = PHASE_CLOSED;
		net_stream_end(&c->s);
		break;
	default: /* pong: nothing to do */
		break;
	}
}

void mock_ws_on_data(struct mock_conn *c, uint8_t *data, size_t len)
{
	struct mock_ws *w = c->ws;
	/* Until all input is consumed and no event is left: an event such as
	 * FRAME_END may need no input. */
	while (c->phase == PHASE_WS) {
		struct ws_event ev;
		int n = ws_decoder_feed(&w->dec, data, len, &ev);
		if (n < 0) {
			protocol_error(c, w->dec.close_code, w->dec.error);
			return;
		}
		data += n;
		len -= (size_t)n;
		int r = 0;
		switch (ev.type) {
		case WS_EV_FRAME_START:
			w->frame_len = ev.hdr.len;
			w->frame_fin = ev.hdr.fin;
			if (ev.hdr.opcode != WS_OP_CONT) {
				w->msg_opcode = ev.msg_opcode;
				w->compressed = ev.compressed;
				ws_utf8_init(&w->utf8);
			}
			emit_frame_event(c, ev.hdr.opcode, ev.hdr.len);
			break;
		case WS_EV_DATA:
			if (w->compressed)
				r = echo_compressed(
				    c, ev.data, ev.len,
				    w->frame_fin && ev.frame_offset + ev.len ==
							w->frame_len);
			else
				r = echo_plain(c, ev.data, ev.len,
					       ev.frame_offset);
			break;
		case WS_EV_FRAME_END:
			r = frame_end(c, ev.fin);
			break;
		case WS_EV_CONTROL:
			on_control(c, &ev);
			break;
		case WS_EV_NONE:
			break;
		}
		if (r == PROTO_E_WS_UTF8) {
			protocol_error(c, WS_CLOSE_INVALID_DATA,
				       "invalid UTF-8 in text message");
			return;
		}
		if (r == PROTO_E_WS_TOO_BIG) {
			protocol_error(c, WS_CLOSE_TOO_BIG, "message too big");
			return;
		}
		if (r == PROTO_E_PMD) {
			protocol_error(c, WS_CLOSE_PROTOCOL,
				       "corrupt compressed data");
			return;
		}
		if (r < 0) {
			c->m->batch.n = 0;
			proto_buf_reset(&c->m->batch.own);
			net_stream_close(&c->s, true);
			return;
		}
		if (ev.type == WS_EV_NONE && len == 0)
			break;
	}
	if (!net_stream_closing(&c->s))
		batch_flush(c);
}

void mock_ws_close(struct mock_conn *c, unsigned code, const char *reason)
{
	if (c->phase != PHASE_WS)
		return;
	send_close(c, code, reason, reason ? strlen(reason) : 0);
	batch_flush(c);
	net_stream_end(&c->s);
}

int mock_ws_start(struct mock_conn *c, enum webapp_endpoint ep, const char *key,
		  size_t key_len, const char *ext, size_t ext_len)
{
	struct mock_ws *w = calloc(1, sizeof(*w));
	if (!w)
		return PROTO_E_NOMEM;
	w->ep = (uint8_t)ep;
	char accept[WS_ACCEPT_LEN + 1];
	int r = ws_hs_accept(key, key_len, accept);
	char answer[160] = "";
	if (r == 0 && ext) {
		struct pmd_params offer, agreed;
		/* Tomcat 10.1 declines an offer that limits its own window
		 * (PerMessageDeflate.negotiate), so the mock does too. */
		if (pmd_parse(ext, ext_len, &offer) == 1 &&
		    !(offer.server_max_window_bits_set &&
		      offer.server_max_window_bits != 15) &&
		    pmd_answer(&offer, &agreed, answer, sizeof(answer)) > 0) {
			w->pmd = calloc(1, sizeof(*w->pmd));
			if (!w->pmd || pmd_init(w->pmd, &agreed, true,
						c->m->cfg.max_message) < 0) {
				free(w->pmd);
				w->pmd = NULL;
				answer[0] = '\0';
			}
		}
	}
	if (r < 0) {
		free(w);
		return r;
	}
	ws_decoder_init(&w->dec, WS_ROLE_SERVER, w->pmd != NULL,
			c->m->cfg.max_message);
	char date[30];
	mock_date(date);
	struct proto_buf *out = &c->m->batch.own;
	proto_buf_reset(out);
	r = proto_buf_appendf(out,
			      "HTTP/1.1 101 \r\n"
			      "X-Frame-Options: DENY\r\n"
			      "X-Content-Type-Options: nosniff\r\n"
			      "Upgrade: websocket\r\n"
			      "Connection: upgrade\r\n"
			      "Sec-WebSocket-Accept: %s\r\n",
			      accept);
	if (r == 0 && answer[0])
		r = proto_buf_appendf(out, "Sec-WebSocket-Extensions: %s\r\n",
				      answer);
	if (r == 0)
		r = proto_buf_appendf(out, "Date: %s\r\n\r\n", date);
	if (r == 0)
		r = net_stream_write(&c->s, proto_buf_head(out),
				     proto_buf_size(out));
	proto_buf_reset(out);
	if (r < 0) {
		if (w->pmd) {
			pmd_free(w->pmd);
			free(w->pmd);
		}
		free(w);
		return r;
	}
	c->ws = w;
	c->phase = PHASE_WS;
	struct mock_event ev = {.type = MOCK_EV_WS_OPEN};
	ev.status = 101;
	ev.detail = w->pmd ? answer : NULL;
	ev.target = webapp_endpoint_name(ep);
	mock_emit(c->m, c, &ev);
	if (ep == WEBAPP_EP_ECHO_ASYNC)
		mock_note(c->m, c, MOCK_EV_NOTE, 0,
			  "echoAsyncAnnotation is not deployed by Debian's "
			  "tomcat10-examples (a real Tomcat there answers "
			  "404); the mock serves it like echoAnnotation");
	return 0;
}

void mock_ws_free(struct mock_conn *c)
{
	struct mock_ws *w = c->ws;
	if (!w)
		return;
	if (w->pmd) {
		pmd_free(w->pmd);
		free(w->pmd);
	}
	proto_buf_free(&w->pend);
	free(w);
	c->ws = NULL;
}
