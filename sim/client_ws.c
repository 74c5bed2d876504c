/* The simulated client's websocket session: frames out (masked with a
 * fresh random mask each, compressed with permessage-deflate when it was
 * negotiated), frames in (through the client-role decoder), reassembly of
 * fragmented messages into whole ones for the expectations, automatic
 * pongs, and the closing handshake as a browser does it. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "proto_err.h"
#include "ws_utf8.h"

void client_preview(const uint8_t *p, size_t n, bool text, char *out,
		    size_t outlen)
{
	size_t o = 0;
	if (outlen < 8) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	if (text && ws_utf8_valid(p, n)) {
		size_t max = outlen - 8;
		if (max > 60)
			max = 60;
		out[o++] = '"';
		size_t i;
		for (i = 0; i < n && o < max; i++) {
			unsigned char ch = p[i];
			if (ch == '"' || ch == '\\') {
				out[o++] = '\\';
				out[o++] = (char)ch;
			} else if (ch == '\n') {
				out[o++] = '\\';
				out[o++] = 'n';
			} else if (ch < 0x20 || ch == 0x7f) {
				o += (size_t)snprintf(out + o, outlen - o,
						      "\\x%02x", ch);
			} else if (ch >= 0xc0) {
				/* whole characters only: the preview stays
				 * UTF-8 */
				size_t cl = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
				if (i + cl > n || o + cl > max)
					break;
				memcpy(out + o, p + i, cl);
				o += cl;
				i += cl - 1;
			} else {
				out[o++] = (char)ch;
			}
		}
		out[o++] = '"';
		out[o] = '\0';
		if (i < n)
			snprintf(out + o, outlen - o, "... (%zu bytes)", n);
		return;
	}
	o = (size_t)snprintf(out, outlen, "%zu bytes", n);
	if (n == 0 || o + 4 >= outlen)
		return;
	o += (size_t)snprintf(out + o, outlen - o, ": ");
	for (size_t i = 0; i < n && i < 16 && o + 3 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02x", p[i]);
	if (n > 16 && o + 4 < outlen)
		snprintf(out + o, outlen - o, "...");
}

int client_ws_open(struct sim_client *c, char *why, size_t whylen)
{
	const struct http1_header *h =
	    http1_find(c->resp, "Sec-WebSocket-Extensions");
	bool offered_pmd =
	    c->offered_ext && strstr(c->offered_ext, "permessage-deflate");
	if (h && offered_pmd) {
		struct pmd_params p;
		int r = pmd_parse(h->value, h->value_len, &p);
		if (r == 0) {
			snprintf(
			    why, whylen,
			    "Sec-WebSocket-Extensions answers an extension "
			    "that was not offered: %.*s",
			    (int)h->value_len, h->value);
			return -1;
		}
		if (r < 0 || !pmd_answer_acceptable(&p)) {
			snprintf(why, whylen,
				 "invalid permessage-deflate answer: %.*s",
				 (int)h->value_len, h->value);
			return -1;
		}
		if (pmd_init(&c->pmd, &p, false, CLIENT_MAX_MESSAGE) < 0) {
			pmd_free(&c->pmd);
			snprintf(why, whylen,
				 "cannot set up permessage-deflate");
			return -1;
		}
		c->pmd_on = true;
		snprintf(c->pmd_answer, sizeof(c->pmd_answer), "%.*s",
			 (int)h->value_len, h->value);
	}
	ws_decoder_init(&c->dec, WS_ROLE_CLIENT, c->pmd_on, CLIENT_MAX_MESSAGE);
	return 0;
}

void client_ws_free(struct sim_client *c)
{
	if (c->pmd_on)
		pmd_free(&c->pmd);
	c->pmd_on = false;
	proto_buf_free(&c->msg);
	proto_buf_free(&c->last_sent);
	struct client_rx *r = c->rx_head;
	while (r) {
		struct client_rx *next = r->next;
		free(r->data);
		free(r);
		r = next;
	}
	c->rx_head = NULL;
	c->rx_tail = &c->rx_head;
}

/* ---- sending ------------------------------------------------------------ */

int client_ws_send_frame(struct sim_client *c, bool fin, uint8_t rsv,
			 uint8_t opcode, const uint8_t *p, size_t n)
{
	if (!c->stream_live || net_stream_closing(&c->s))
		return UV_EPIPE;
	uint8_t mask[4];
	if (RAND_bytes(mask, sizeof(mask)) != 1)
		return PROTO_E_CRYPTO;
	uint8_t *buf = malloc(WS_MAX_HEADER + n);
	if (!buf)
		return PROTO_E_NOMEM;
	size_t hl = ws_frame_hdr_encode(buf, fin, rsv, opcode, mask, n);
	if (n)
		memcpy(buf + hl, p, n);
	ws_mask(buf + hl, n, mask, 0);
	int r = net_stream_write(&c->s, buf, hl + n);
	free(buf);
	return r;
}

static void remember_sent(struct sim_client *c, uint8_t opcode,
			  const uint8_t *p, size_t n, bool append)
{
	if (!append) {
		proto_buf_reset(&c->last_sent);
		c->last_sent_op = opcode;
	}
	proto_buf_append(&c->last_sent, p, n);
}

int client_ws_send_message(struct sim_client *c, uint8_t opcode,
			   const uint8_t *p, size_t n)
{
	int r;
	if (c->pmd_on) {
		struct proto_buf z = PROTO_BUF_INIT;
		r = pmd_deflate(&c->pmd, p, n, true, &z);
		if (r == 0)
			r = client_ws_send_frame(c, true, WS_RSV1, opcode,
						 proto_buf_head(&z),
						 proto_buf_size(&z));
		proto_buf_free(&z);
	} else {
		r = client_ws_send_frame(c, true, 0, opcode, p, n);
	}
	if (r < 0)
		return r;
	remember_sent(c, opcode, p, n, false);
	c->sent_msgs++;
	char pv[128];
	client_preview(p, n, opcode == WS_OP_TEXT, pv, sizeof(pv));
	client_obs(c, SIM_EV_SEND, opcode, "%s %s%s",
		   opcode == WS_OP_TEXT ? "text" : "binary", pv,
		   c->pmd_on ? " (compressed)" : "");
	return 0;
}

int client_ws_send_fragments(struct sim_client *c, uint8_t opcode,
			     const struct scn_bytes *pieces, size_t n)
{
	static const struct scn_bytes empty = {"", 0};
	if (n == 0) {
		pieces = &empty;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		bool fin = i + 1 == n;
		uint8_t op = i == 0 ? opcode : WS_OP_CONT;
		const uint8_t *p = (const uint8_t *)pieces[i].s;
		size_t len = pieces[i].s ? pieces[i].len : 0;
		int r;
		if (c->pmd_on) {
			struct proto_buf z = PROTO_BUF_INIT;
			r = pmd_deflate(&c->pmd, p, len, fin, &z);
			if (r == 0)
				r = client_ws_send_frame(
				    c, fin, i == 0 ? WS_RSV1 : 0, op,
				    proto_buf_head(&z), proto_buf_size(&z));
			proto_buf_free(&z);
		} else {
			r = client_ws_send_frame(c, fin, 0, op, p, len);
		}
		if (r < 0)
			return r;
		remember_sent(c, opcode, p, len, i > 0);
		char pv[128];
		client_preview(p, len, opcode == WS_OP_TEXT, pv, sizeof(pv));
		client_obs(c, SIM_EV_SEND, op, "fragment %zu/%zu (%s%s) %s",
			   i + 1, n,
			   i == 0 ? (opcode == WS_OP_TEXT ? "text" : "binary")
				  : "continuation",
			   fin ? ", fin" : "", pv);
	}
	c->sent_msgs++;
	return 0;
}

int client_ws_send_close(struct sim_client *c, unsigned code,
			 const char *reason, size_t reason_len)
{
	uint8_t pl[WS_MAX_CONTROL];
	int n = ws_close_payload(pl, code, reason, reason_len);
	if (n < 0)
		return n;
	int r = client_ws_send_frame(c, true, 0, WS_OP_CLOSE, pl, (size_t)n);
	if (r < 0)
		return r;
	c->close_sent = true;
	client_obs(c, SIM_EV_SEND, WS_OP_CLOSE, "close %u%s%.*s%s", code,
		   reason_len ? " \"" : "", (int)reason_len,
		   reason ? reason : "", reason_len ? "\"" : "");
	if (c->close_received)
		net_stream_end(&c->s);
	return 0;
}

/* ---- receiving ---------------------------------------------------------- */

static void rx_push(struct sim_client *c, uint8_t opcode, const uint8_t *p,
		    size_t n)
{
	struct client_rx *r = calloc(1, sizeof(*r));
	if (!r)
		return;
	r->data = malloc(n + 1);
	if (!r->data) {
		free(r);
		return;
	}
	if (n)
		memcpy(r->data, p, n);
	r->data[n] = 0;
	r->len = n;
	r->opcode = opcode;
	*c->rx_tail = r;
	c->rx_tail = &r->next;
}

/* Fail the connection as a browser does on a protocol error: close frame
 * with `code` (if we can), drop, report 1006. */
static void ws_fail(struct sim_client *c, unsigned code, const char *why)
{
	client_obs(c, SIM_EV_ERROR, (int)code, "%s", why);
	if (!c->close_sent && code) {
		uint8_t pl[WS_MAX_CONTROL];
		int n = ws_close_payload(pl, code, NULL, 0);
		if (n >= 0)
			client_ws_send_frame(c, true, 0, WS_OP_CLOSE, pl,
					     (size_t)n);
		c->close_sent = true;
	}
	client_set_closed(c, WS_CLOSE_ABNORMAL, false, "%s", why);
	if (c->stream_live && !net_stream_closing(&c->s))
		net_stream_close(&c->s, false);
}

static void message_done(struct sim_client *c)
{
	const uint8_t *p = proto_buf_head(&c->msg);
	size_t n = proto_buf_size(&c->msg);
	struct proto_buf plain = PROTO_BUF_INIT;
	if (c->msg_compressed) {
		int r = pmd_inflate(&c->pmd, p, n, true, &plain);
		if (r < 0) {
			char why[160];
			snprintf(why, sizeof(why),
				 "the server sent a bad compressed message: %s",
				 proto_strerror(r));
			proto_buf_free(&plain);
			ws_fail(c,
				r == PROTO_E_WS_TOO_BIG ? WS_CLOSE_TOO_BIG
							: WS_CLOSE_INVALID_DATA,
				why);
			return;
		}
		p = proto_buf_head(&plain);
		n = proto_buf_size(&plain);
		if (c->msg_op == WS_OP_TEXT && !ws_utf8_valid(p, n)) {
			proto_buf_free(&plain);
			ws_fail(c, WS_CLOSE_INVALID_DATA,
				"the server sent a text message that is not "
				"UTF-8");
			return;
		}
	}
	rx_push(c, c->msg_op, p, n);
	c->recv_msgs++;
	char pv[128];
	client_preview(p, n, c->msg_op == WS_OP_TEXT, pv, sizeof(pv));
	client_obs(c, SIM_EV_RECV, c->msg_op, "%s %s%s",
		   c->msg_op == WS_OP_TEXT ? "text" : "binary", pv,
		   c->msg_compressed ? " (compressed)" : "");
	proto_buf_free(&plain);
	proto_buf_reset(&c->msg);
}

static void on_control(struct sim_client *c, const struct ws_event *ev)
{
	char pv[128];
	switch (ev->hdr.opcode) {
	case WS_OP_PING:
		client_preview(ev->data, ev->len, true, pv, sizeof(pv));
		client_obs(c, SIM_EV_RECV, WS_OP_PING, "ping %s", pv);
		if (!c->close_sent) {
			client_ws_send_frame(c, true, 0, WS_OP_PONG, ev->data,
					     ev->len);
			struct sim_event *e =
			    client_obs(c, SIM_EV_SEND, WS_OP_PONG,
				       "pong %s (automatic)", pv);
			if (e)
				e->automatic = true;
		}
		break;
	case WS_OP_PONG:
		client_preview(ev->data, ev->len, true, pv, sizeof(pv));
		client_obs(c, SIM_EV_RECV, WS_OP_PONG, "pong %s", pv);
		rx_push(c, WS_OP_PONG, ev->data, ev->len);
		break;
	case WS_OP_CLOSE:
		if (c->close_received)
			break;
		c->close_received = true;
		c->close_code_received = ev->close_code;
		snprintf(c->close_reason_received,
			 sizeof(c->close_reason_received), "%.*s",
			 (int)ev->close_reason_len,
			 ev->close_reason ? ev->close_reason : "");
		client_obs(c, SIM_EV_RECV, WS_OP_CLOSE, "close %u%s%s%s",
			   ev->close_code, ev->close_reason_len ? " \"" : "",
			   c->close_reason_received,
			   ev->close_reason_len ? "\"" : "");
		if (!c->close_sent) {
			/* answer with the same code, as a browser does */
			unsigned code = ev->close_code;
			if (code == WS_CLOSE_NO_STATUS ||
			    !ws_close_code_valid(code))
				code = 0;
			client_ws_send_close(c, code, NULL, 0);
		} else if (c->stream_live) {
			net_stream_end(&c->s);
		}
		break;
	default:
		break;
	}
}

void client_ws_feed(struct sim_client *c, uint8_t *p, size_t n)
{
	struct ws_event ev;
	do {
		if (c->close_received)
			return; /* nothing counts after the close frame */
		int r = ws_decoder_feed(&c->dec, p, n, &ev);
		if (r < 0) {
			char why[200];
			snprintf(
			    why, sizeof(why), "the server sent a bad frame: %s",
			    c->dec.error ? c->dec.error : proto_strerror(r));
			ws_fail(c, c->dec.close_code, why);
			return;
		}
		p += r;
		n -= (size_t)r;
		switch (ev.type) {
		case WS_EV_NONE:
			break;
		case WS_EV_FRAME_START:
			if (ev.hdr.opcode != WS_OP_CONT) {
				proto_buf_reset(&c->msg);
				c->msg_op = ev.msg_opcode;
				c->msg_compressed = ev.compressed;
			}
			break;
		case WS_EV_DATA:
			if (proto_buf_append(&c->msg, ev.data, ev.len) < 0) {
				ws_fail(c, WS_CLOSE_TOO_BIG, "out of memory");
				return;
			}
			break;
		case WS_EV_FRAME_END:
			if (ev.fin)
				message_done(c);
			break;
		case WS_EV_CONTROL:
			on_control(c, &ev);
			break;
		}
		if (!c->stream_live || net_stream_closing(&c->s) || c->closed)
			return;
	} while (n > 0 || ev.type != WS_EV_NONE);
}
