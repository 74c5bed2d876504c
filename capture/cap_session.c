/* The session sink: per TCP connection, detect the protocol from the
 * first client bytes (HTTP/1.x request line, AJP13 magic, TLS handshake
 * record, else plain TCP) and decode both directions with the proto/
 * codecs: HTTP heads and bodies paired in order, the websocket upgrade
 * and frames (permessage-deflate inflated), AJP13 packets, the TLS
 * hellos. Gaps are noted and, where the protocol allows, decoding
 * resynchronises (HTTP: at the next head that parses); a websocket
 * direction with a gap stops decoding. At the end the legs of proxied
 * requests are linked. Output is cap_summary.c's and cap_json.c's. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajp.h"
#include "cap_session_int.h"
#include "proto_err.h"
#include "ws_handshake.h"

#define CS_MAX_BUFFER (1u << 20) /* bytes held undecoded per direction */

/* The first held byte; never NULL + 0 (an empty, never-grown buffer). */
static uint8_t *bhead(const struct proto_buf *b)
{
	static uint8_t empty[1];
	return b->data ? b->data + b->off : empty;
}

static const char *dir_name(enum cap_dir d)
{
	return d == CAP_C2S ? "c2s" : "s2c";
}

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : 8;
	void *p = realloc(arr, nc * elem);
	if (p)
		*cap = nc;
	return p;
}

static void note(struct cs_conn *c, enum cap_dir dir, uint64_t ts,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void note(struct cs_conn *c, enum cap_dir dir, uint64_t ts,
		 const char *fmt, ...)
{
	if (c->nnotes > 1000)
		return;
	struct cs_note *n =
	    grow(c->notes, &c->capnotes, c->nnotes, sizeof(*c->notes));
	if (!n)
		return;
	c->notes = n;
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	char *t = dupn(text, strlen(text));
	if (!t)
		return;
	c->notes[c->nnotes++] = (struct cs_note){(uint8_t)dir, ts, t};
}

static void pairs_add(struct cs_pairs *p, const char *name, size_t nlen,
		      const char *value, size_t vlen)
{
	if (p->n + 2 > p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 16;
		char **kv = realloc(p->kv, nc * sizeof(*kv));
		if (!kv)
			return;
		p->kv = kv;
		p->cap = nc;
	}
	char *a = dupn(name ? name : "", name ? nlen : 0);
	char *b = dupn(value ? value : "", value ? vlen : 0);
	if (!a || !b) {
		free(a);
		free(b);
		return;
	}
	p->kv[p->n++] = a;
	p->kv[p->n++] = b;
}

static void pairs_free(struct cs_pairs *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->kv[i]);
	free(p->kv);
	*p = (struct cs_pairs){0};
}

static struct cs_exchange *ex_new(struct cs_conn *c)
{
	struct cs_exchange *e = grow(c->ex, &c->capex, c->nex, sizeof(*c->ex));
	if (!e)
		return NULL;
	c->ex = e;
	e = &c->ex[c->nex++];
	memset(e, 0, sizeof(*e));
	proto_buf_init(&e->body);
	return e;
}

/* The exchange a response belongs to: the first without one, or a new
 * one (a response whose request was not captured). */
static struct cs_exchange *ex_for_response(struct cs_conn *c)
{
	if (c->next_resp < c->nex)
		return &c->ex[c->next_resp];
	struct cs_exchange *e = ex_new(c);
	if (e)
		c->next_resp = c->nex - 1;
	return e;
}

static struct cs_msg *msg_new(struct cap_sessions *s, struct cs_conn *c)
{
	if (!s->opts.keep_messages)
		return NULL;
	struct cs_msg *m =
	    grow(c->msgs, &c->capmsgs, c->nmsgs, sizeof(*c->msgs));
	if (!m)
		return NULL;
	c->msgs = m;
	m = &c->msgs[c->nmsgs++];
	memset(m, 0, sizeof(*m));
	return m;
}

static size_t payload_cap(const struct cap_sessions *s)
{
	return s->opts.payload_cap ? s->opts.payload_cap
				   : CAP_SESSION_DEFAULT_PAYLOAD_CAP;
}

/* ---- websocket ---------------------------------------------------- */

/* A raw DATA run of an uncompressed message: count it, keep what fits
 * under the payload cap (copied, then unmasked there; the rest is never
 * touched). */
/* A data frame starts (kept mode): an unfragmented uncompressed message
 * has its size known, so its kept bytes go straight into the arena. */
static void ws_frame_start(struct cap_sessions *s, struct cs_dir *d,
			   const struct ws_event *ev)
{
	if (!ev->hdr.fin || ev->hdr.opcode == WS_OP_CONT || ev->compressed)
		return;
	size_t cap = payload_cap(s);
	size_t n = ev->hdr.len < cap ? (size_t)ev->hdr.len : cap;
	d->slot = cap_arena_alloc(&s->payloads, n);
	d->slot_len = 0;
}

static void ws_msg_append(struct cap_sessions *s, struct cs_dir *d,
			  const struct ws_event *ev)
{
	size_t n = ev->len;
	d->msg_len += n;
	if (!s->opts.keep_messages)
		return;
	size_t have = d->slot ? d->slot_len : proto_buf_size(&d->msg);
	size_t cap = payload_cap(s);
	size_t take = have >= cap ? 0 : n < cap - have ? n : cap - have;
	if (take < n)
		d->msg_truncated = true;
	uint8_t *dst = !take	 ? NULL
		       : d->slot ? d->slot + have
				 : proto_buf_reserve(&d->msg, take);
	if (!dst)
		return;
	memcpy(dst, ev->data, take);
	if (ev->hdr.masked)
		ws_mask(dst, take, ev->hdr.mask, ev->frame_offset);
	if (d->slot)
		d->slot_len += take;
	else
		proto_buf_commit(&d->msg, take);
}

/* Inflate a piece of a compressed message into d->msg (capped): a raw
 * DATA run (unmasked in s->scratch first), or the end of the message
 * (ev NULL). */
static int ws_inflate(struct cap_sessions *s, struct cs_dir *d,
		      const struct ws_event *ev)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	if (ev && ev->hdr.masked) {
		proto_buf_reset(&s->scratch);
		uint8_t *u = proto_buf_reserve(&s->scratch, ev->len);
		if (!u)
			return PROTO_E_NOMEM;
		memcpy(u, ev->data, ev->len);
		ws_mask(u, ev->len, ev->hdr.mask, ev->frame_offset);
		p = u;
		n = ev->len;
	} else if (ev) {
		p = ev->data;
		n = ev->len;
	}
	size_t before = d->msg.len;
	bool fin = !ev;
	int rc = pmd_inflate(&d->pmd, p, n, fin, &d->msg);
	if (rc < 0)
		return rc;
	size_t got = d->msg.len - before;
	d->msg_len += got;
	size_t cap = payload_cap(s);
	if (proto_buf_size(&d->msg) > cap) {
		d->msg.len = d->msg.off + cap;
		d->msg_truncated = true;
	}
	return 0;
}

static void ws_message_done(struct cap_sessions *s, struct cs_conn *c,
			    enum cap_dir dir, uint8_t op, bool compressed,
			    uint64_t ts)
{
	struct cs_dir *d = &c->d[dir];
	d->messages++;
	struct cs_msg *m = msg_new(s, c);
	if (m) {
		m->dir = (uint8_t)dir;
		m->opcode = op;
		m->compressed = compressed;
		m->ts_us = ts;
		m->len = d->msg_len;
		m->truncated = d->msg_truncated;
		size_t n = proto_buf_size(&d->msg);
		if (d->slot) {
			m->payload = d->slot;
			m->payload_len = d->slot_len;
		} else if ((m->payload = cap_arena_alloc(&s->payloads, n))) {
			if (n)
				memcpy(m->payload, bhead(&d->msg), n);
			m->payload_len = n;
		}
	}
	d->slot = NULL;
	proto_buf_reset(&d->msg);
	d->msg_len = 0;
	d->msg_truncated = false;
}

static void ws_control(struct cap_sessions *s, struct cs_conn *c,
		       enum cap_dir dir, const struct ws_event *ev, uint64_t ts)
{
	struct cs_dir *d = &c->d[dir];
	uint8_t op = ev->hdr.opcode;
	if (op == WS_OP_PING)
		d->pings++;
	else if (op == WS_OP_PONG)
		d->pongs++;
	else if (op == WS_OP_CLOSE && !d->saw_close) {
		d->saw_close = true;
		d->close_us = ts;
		d->close_code = ev->close_code;
		d->close_reason =
		    dupn(ev->close_reason ? ev->close_reason : "",
			 ev->close_reason ? ev->close_reason_len : 0);
	}
	struct cs_msg *m = msg_new(s, c);
	if (!m)
		return;
	m->dir = (uint8_t)dir;
	m->opcode = op;
	m->ts_us = ts;
	const uint8_t *p = ev->data;
	size_t n = ev->len;
	if (op == WS_OP_CLOSE) {
		m->close_code = ev->close_code;
		p = (const uint8_t *)ev->close_reason;
		n = ev->close_reason ? ev->close_reason_len : 0;
	}
	m->len = ev->len;
	m->payload = cap_arena_alloc(&s->payloads, n);
	if (m->payload && n)
		memcpy(m->payload, p, n);
	m->payload_len = m->payload ? n : 0;
}

/* Websocket bytes of one direction, straight from where they are (the
 * packet, or what was buffered before the 101): the decoder is in raw
 * mode, so payload bytes are not copied, unmasked or checked unless kept
 * (JSON, -o) or inflated. Only a partial frame header and control frames
 * are gathered, inside the decoder. */
/* A frame whose length is not in its shortest form: a peer closes with
 * 1002 (RFC 6455 section 5.2), but the frame's extent is clear, so the
 * raw decoder takes it; the first one of each direction is noted and
 * decoding goes on. `end` is the stream offset just after what the
 * decoder reported (the header of a data frame, a whole control frame). */
static void ws_long_len(struct cs_conn *c, enum cap_dir dir,
			const struct ws_event *ev, uint64_t end, uint64_t ts)
{
	struct cs_dir *d = &c->d[dir];
	if (!ev->hdr.long_len || d->long_len_noted)
		return;
	d->long_len_noted = true;
	uint64_t at = end - ev->hdr.hdr_len -
		      (ev->type == WS_EV_CONTROL ? ev->hdr.len : 0);
	note(c, dir, ts,
	     "%s: websocket frame at byte %llu has a %llu-byte length in the "
	     "%s form, not the shortest (a peer closes with 1002); decoding "
	     "goes on (later ones not noted)",
	     dir_name(dir), (unsigned long long)at,
	     (unsigned long long)ev->hdr.len,
	     ev->hdr.hdr_len - (ev->hdr.masked ? 4u : 0u) == 4 ? "16-bit"
							       : "64-bit");
}

static void ws_feed(struct cap_sessions *s, struct cs_conn *c, enum cap_dir dir,
		    const uint8_t *p, size_t n, uint64_t ts)
{
	struct cs_dir *d = &c->d[dir];
	bool inflate = d->pmd_on && s->opts.keep_messages;
	while (!d->dead) {
		struct ws_event ev;
		int rc = ws_decoder_feed_raw(&d->dec, p, n, &ev);
		if (rc < 0) {
			note(c, dir, ts,
			     "%s: websocket error at byte %llu: %s; stopped "
			     "decoding this direction",
			     dir_name(dir),
			     (unsigned long long)d->dec.error_offset,
			     d->dec.error ? d->dec.error : proto_strerror(rc));
			d->dead = true;
			return;
		}
		p += rc;
		n -= (size_t)rc;
		switch (ev.type) {
		case WS_EV_FRAME_START:
			ws_long_len(c, dir, &ev, d->dec.consumed_total, ts);
			if (s->opts.keep_messages)
				ws_frame_start(s, d, &ev);
			break;
		case WS_EV_DATA:
			if (inflate && ev.compressed) {
				if (ws_inflate(s, d, &ev) < 0)
					goto inflate_failed;
			} else {
				ws_msg_append(s, d, &ev);
			}
			break;
		case WS_EV_FRAME_END:
			if (!ev.fin)
				break;
			if (inflate && d->dec.msg_compressed &&
			    ws_inflate(s, d, NULL) < 0)
				goto inflate_failed;
			ws_message_done(s, c, dir, d->dec.msg_opcode,
					d->dec.msg_compressed, ts);
			break;
		case WS_EV_CONTROL:
			ws_long_len(c, dir, &ev, d->dec.consumed_total, ts);
			ws_control(s, c, dir, &ev, ts);
			break;
		default:
			if (rc == 0 && ev.type == WS_EV_NONE)
				return;
			break;
		}
	}
	return;
inflate_failed:
	note(c, dir, ts,
	     "%s: permessage-deflate data does not inflate; stopped "
	     "decoding this direction",
	     dir_name(dir));
	d->dead = true;
}

/* The bytes of a direction buffered before it switched to websocket. */
static void ws_drain(struct cap_sessions *s, struct cs_conn *c,
		     enum cap_dir dir, uint64_t ts)
{
	struct cs_dir *d = &c->d[dir];
	ws_feed(s, c, dir, bhead(&d->buf), proto_buf_size(&d->buf), ts);
	proto_buf_reset(&d->buf);
}

/* The 101 to a websocket upgrade: both directions carry frames now. */
static void ws_start(struct cap_sessions *s, struct cs_conn *c,
		     const struct http1_head *resp, uint64_t ts)
{
	(void)s;
	c->proto = CS_WS;
	c->ws_open = true;
	struct pmd_params pp;
	bool pmd = false;
	const struct http1_header *ext =
	    http1_find(resp, "Sec-WebSocket-Extensions");
	if (ext) {
		c->extensions = dupn(ext->value, ext->value_len);
		int r = pmd_parse(ext->value, ext->value_len, &pp);
		if (r == 1)
			pmd = true;
		else if (r < 0)
			note(c, CAP_S2C, ts,
			     "s2c: unusable Sec-WebSocket-Extensions; "
			     "compressed messages are not inflated");
	}
	for (int i = 0; i < 2; i++) {
		struct cs_dir *d = &c->d[i];
		d->mode = CS_M_WS;
		d->in_body = false;
		ws_decoder_init(&d->dec,
				i == CAP_C2S ? WS_ROLE_SERVER : WS_ROLE_CLIENT,
				pmd, 0);
		d->dec.raw_data = true;
		if (pmd && pmd_init(&d->pmd, &pp, i == CAP_C2S, 0) == 0)
			d->pmd_on = true;
	}
}

/* ---- HTTP --------------------------------------------------------- */

static bool is_tchar(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch);
}

/* Where the next head may start at or after `from`: a line beginning
 * with "HTTP/1." (responses) or a line "TOKEN SP ... HTTP/1.x"
 * (requests). Returns its offset, or n when none can start there
 * (bytes before the last line start may then be dropped). */
static size_t find_head(const char *b, size_t n, size_t from, bool response)
{
	for (size_t p = from; p < n;) {
		if (p == 0 || b[p - 1] == '\n') {
			size_t rest = n - p;
			if (response) {
				size_t k = rest < 7 ? rest : 7;
				if (memcmp(b + p, "HTTP/1.", k) == 0)
					return p;
			} else {
				const char *nl = memchr(b + p, '\n', rest);
				size_t q = p;
				while (q < n && is_tchar((unsigned char)b[q]))
					q++;
				if (q > p && (q == n || b[q] == ' ')) {
					if (!nl)
						return p;
					size_t ll = (size_t)(nl - (b + p));
					if (ll >= 9 &&
					    memmem(b + p, ll, " HTTP/1.", 8))
						return p;
				}
			}
		}
		const char *nl = memchr(b + p, '\n', n - p);
		if (!nl)
			break;
		p = (size_t)(nl - b) + 1;
	}
	return n;
}

static void http_resync_start(struct cs_conn *c, enum cap_dir dir, uint64_t ts,
			      const char *why)
{
	struct cs_dir *d = &c->d[dir];
	if (why)
		note(c, dir, ts, "%s: %s; looking for the next message head",
		     dir_name(dir), why);
	d->resync = true;
	d->in_body = false;
	d->scan = 0;
}

static void http_request(struct cap_sessions *s, struct cs_conn *c,
			 const struct http1_head *h, uint64_t ts)
{
	struct cs_dir *d = &c->d[CAP_C2S];
	struct cs_exchange *e = ex_new(c);
	if (e) {
		e->has_req = true;
		e->req_us = ts;
		e->method = dupn(h->method, h->method_len);
		e->target = dupn(h->target, h->target_len);
		e->version_minor = h->version_minor;
		e->upgrade = ws_hs_is_upgrade(h);
		if (s->opts.keep_messages)
			for (size_t i = 0; i < h->nheaders; i++)
				pairs_add(&e->req_headers, h->headers[i].name,
					  h->headers[i].name_len,
					  h->headers[i].value,
					  h->headers[i].value_len);
	}
	uint64_t len = 0;
	int k = http1_body_kind(h, false, NULL, &len);
	if (k < 0) {
		http_resync_start(c, CAP_C2S, ts,
				  "request body framing not understood");
		return;
	}
	d->body_kind = k;
	d->body_left = len;
	d->in_body =
	    k == HTTP1_BODY_CHUNKED || (k == HTTP1_BODY_LENGTH && len > 0);
	http1_chunked_init(&d->chunked);
	if (e && e->upgrade && !d->in_body)
		d->mode = CS_M_WAIT_UPGRADE;
}

/* Returns true when the connection switched to websocket. */
static bool http_response(struct cap_sessions *s, struct cs_conn *c,
			  const struct http1_head *h, uint64_t ts)
{
	struct cs_dir *d = &c->d[CAP_S2C];
	if (h->status >= 100 && h->status < 200 && h->status != 101)
		return false; /* informational: the final answer follows */
	struct cs_exchange *e = ex_for_response(c);
	if (e) {
		e->has_resp = true;
		e->complete = true;
		e->resp_us = ts;
		e->status = h->status;
		e->reason = dupn(h->reason ? h->reason : "", h->reason_len);
		if (s->opts.keep_messages)
			for (size_t i = 0; i < h->nheaders; i++)
				pairs_add(&e->resp_headers, h->headers[i].name,
					  h->headers[i].name_len,
					  h->headers[i].value,
					  h->headers[i].value_len);
		c->next_resp++;
	}
	bool upgrade = e && e->upgrade;
	if (h->status == 101) {
		if (upgrade) {
			ws_start(s, c, h, ts);
			return true;
		}
		c->d[0].mode = c->d[1].mode = CS_M_RAW;
		note(c, CAP_S2C, ts, "s2c: 101 to a non-websocket upgrade");
		return true;
	}
	if (upgrade && c->d[CAP_C2S].mode == CS_M_WAIT_UPGRADE)
		c->d[CAP_C2S].mode = CS_M_HTTP;
	uint64_t len = 0;
	int k =
	    http1_body_kind(h, true, e && e->method ? e->method : "GET", &len);
	if (k < 0) {
		http_resync_start(c, CAP_S2C, ts,
				  "response body framing not understood");
		return false;
	}
	d->body_kind = k;
	d->body_left = len;
	d->in_body = k == HTTP1_BODY_CHUNKED || k == HTTP1_BODY_UNTIL_CLOSE ||
		     (k == HTTP1_BODY_LENGTH && len > 0);
	http1_chunked_init(&d->chunked);
	return false;
}

static void body_bytes(struct cs_conn *c, enum cap_dir dir, uint64_t n)
{
	if (dir == CAP_C2S) {
		if (c->nex)
			c->ex[c->nex - 1].req_body += n;
	} else if (c->next_resp > 0 && c->next_resp <= c->nex) {
		c->ex[c->next_resp - 1].resp_body += n;
	}
}

static void body_done(struct cs_conn *c, enum cap_dir dir)
{
	struct cs_dir *d = &c->d[dir];
	d->in_body = false;
	if (dir == CAP_C2S && c->nex && c->ex[c->nex - 1].upgrade &&
	    !c->ex[c->nex - 1].has_resp)
		d->mode = CS_M_WAIT_UPGRADE;
}

static void http_feed(struct cap_sessions *s, struct cs_conn *c,
		      enum cap_dir dir, uint64_t ts);

/* Switch the other direction's buffered bytes over after a 101. */
static void ws_after_switch(struct cap_sessions *s, struct cs_conn *c,
			    uint64_t ts)
{
	ws_drain(s, c, CAP_S2C, ts);
	ws_drain(s, c, CAP_C2S, ts);
}

static void http_feed(struct cap_sessions *s, struct cs_conn *c,
		      enum cap_dir dir, uint64_t ts)
{
	struct cs_dir *d = &c->d[dir];
	bool response = dir == CAP_S2C;
	for (;;) {
		if (d->mode != CS_M_HTTP)
			return;
		const char *b = (const char *)bhead(&d->buf);
		size_t n = proto_buf_size(&d->buf);
		if (n == 0)
			return;
		if (d->in_body) {
			if (d->body_kind == HTTP1_BODY_UNTIL_CLOSE) {
				body_bytes(c, dir, n);
				proto_buf_consume(&d->buf, n);
				return;
			}
			if (d->body_kind == HTTP1_BODY_LENGTH) {
				size_t take =
				    d->body_left < n ? (size_t)d->body_left : n;
				body_bytes(c, dir, take);
				proto_buf_consume(&d->buf, take);
				d->body_left -= take;
				if (d->body_left == 0)
					body_done(c, dir);
				continue;
			}
			const char *data;
			size_t dlen = 0, eo = 0;
			bool done = false;
			int rc = http1_chunked_feed(&d->chunked, b, n, &data,
						    &dlen, &done, &eo);
			if (rc < 0) {
				proto_buf_consume(&d->buf, eo);
				http_resync_start(c, dir, ts,
						  "malformed chunked body");
				continue;
			}
			body_bytes(c, dir, dlen);
			proto_buf_consume(&d->buf, (size_t)rc);
			if (done)
				body_done(c, dir);
			else if (rc == 0 && dlen == 0)
				return;
			continue;
		}
		if (d->resync) {
			size_t p = find_head(b, n, 0, response);
			if (p == n) {
				/* keep the last partial line only */
				const char *nl = NULL;
				for (size_t i = n; i > 0; i--)
					if (b[i - 1] == '\n') {
						nl = b + i;
						break;
					}
				size_t drop = nl ? (size_t)(nl - b) : 0;
				if (n - drop > 8192)
					drop = n;
				proto_buf_consume(&d->buf, drop);
				return;
			}
			proto_buf_consume(&d->buf, p);
			b = (const char *)bhead(&d->buf);
			n = proto_buf_size(&d->buf);
		}
		size_t end = http1_head_end(b, n, &d->scan);
		if (end == 0) {
			if (n > HTTP1_DEFAULT_MAX_HEAD) {
				proto_buf_consume(&d->buf, n);
				http_resync_start(c, dir, ts,
						  "message head too large");
			}
			return;
		}
		struct http1_head *h = &s->head;
		size_t eo = 0;
		int rc = response ? http1_parse_response(b, end, h, NULL, &eo)
				  : http1_parse_request(b, end, h, NULL, &eo);
		d->scan = 0;
		if (rc < 0) {
			if (!d->resync)
				http_resync_start(c, dir, ts,
						  "unparsable message head");
			/* skip this line and look again */
			const char *nl = memchr(b, '\n', n);
			proto_buf_consume(&d->buf,
					  nl ? (size_t)(nl - b) + 1 : n);
			continue;
		}
		d->resync = false;
		if (!response) {
			http_request(s, c, h, ts);
			proto_buf_consume(&d->buf, end);
			continue;
		}
		bool sw = http_response(s, c, h, ts);
		proto_buf_consume(&d->buf, end);
		if (sw) {
			if (c->d[0].mode == CS_M_WS)
				ws_after_switch(s, c, ts);
			return;
		}
		if (c->d[CAP_C2S].mode == CS_M_HTTP &&
		    proto_buf_size(&c->d[CAP_C2S].buf) > 0)
			http_feed(s, c, CAP_C2S, ts);
	}
}

/* ---- AJP ---------------------------------------------------------- */

static bool ajp_header_has_token(const struct ajp_pair *hs, size_t n,
				 const char *name, const char *token)
{
	for (size_t i = 0; i < n; i++)
		if (hs[i].name.s &&
		    http1_eq(hs[i].name.s, hs[i].name.len, name) &&
		    hs[i].value.s &&
		    http1_value_has_token(hs[i].value.s, hs[i].value.len,
					  token))
			return true;
	return false;
}

static void ajp_pairs(struct cs_pairs *out, const struct ajp_pair *p, size_t n,
		      bool attributes)
{
	for (size_t i = 0; i < n; i++) {
		char num[8];
		const char *v = p[i].value.s;
		size_t vl = p[i].value.len;
		if (attributes && p[i].code == AJP_ATTR_SSL_KEY_SIZE &&
		    vl == 2) {
			snprintf(num, sizeof(num), "%u",
				 ((unsigned)(uint8_t)v[0] << 8) |
				     (uint8_t)v[1]);
			v = num;
			vl = strlen(num);
		}
		pairs_add(out, p[i].name.s, p[i].name.len, v, vl);
	}
}

static void ajp_to_container(struct cap_sessions *s, struct cs_conn *c,
			     const uint8_t *p, size_t n, uint64_t ts)
{
	struct cs_dir *d = &c->d[CAP_C2S];
	if (d->ajp_body) {
		const uint8_t *data;
		size_t len;
		if (ajp_request_body_decode(p, n, &data, &len, NULL) == 0) {
			if (c->nex)
				c->ex[c->nex - 1].req_body += len;
			if (len == 0 ||
			    (!d->ajp_body_chunked && len >= d->ajp_body_left))
				d->ajp_body = false;
			else if (!d->ajp_body_chunked)
				d->ajp_body_left -= len;
			return;
		}
		d->ajp_body = false;
	}
	switch (p[0]) {
	case AJP_FORWARD_REQUEST: {
		static struct ajp_forward_request fr; /* large; not reentrant
							 across threads */
		size_t eo = 0;
		if (ajp_forward_request_decode(p, n, &fr, &eo) < 0) {
			note(c, CAP_C2S, ts,
			     "c2s: malformed AJP FORWARD_REQUEST at payload "
			     "byte %zu",
			     eo);
			return;
		}
		struct cs_exchange *e = ex_new(c);
		if (!e)
			return;
		e->has_req = true;
		e->req_us = ts;
		e->method = dupn(fr.method.s ? fr.method.s : "",
				 fr.method.s ? fr.method.len : 0);
		e->target = dupn(fr.req_uri.s ? fr.req_uri.s : "",
				 fr.req_uri.s ? fr.req_uri.len : 0);
		e->upgrade = ajp_header_has_token(fr.headers, fr.nheaders,
						  "upgrade", "websocket");
		e->version_minor = 1;
		if (s->opts.keep_messages) {
			ajp_pairs(&e->req_headers, fr.headers, fr.nheaders,
				  false);
			ajp_pairs(&e->attributes, fr.attributes, fr.nattributes,
				  true);
		}
		d->ajp_body = false;
		for (size_t i = 0; i < fr.nheaders; i++) {
			const struct ajp_pair *h = &fr.headers[i];
			if (!h->name.s || !h->value.s)
				continue;
			if (http1_eq(h->name.s, h->name.len,
				     "content-length")) {
				char tmp[24];
				size_t l =
				    h->value.len < 23 ? h->value.len : 23;
				memcpy(tmp, h->value.s, l);
				tmp[l] = '\0';
				d->ajp_body_left = strtoull(tmp, NULL, 10);
				d->ajp_body = d->ajp_body_left > 0;
				d->ajp_body_chunked = false;
			} else if (http1_eq(h->name.s, h->name.len,
					    "transfer-encoding")) {
				d->ajp_body = true;
				d->ajp_body_chunked = true;
			}
		}
		break;
	}
	case AJP_CPING:
		c->cpings++;
		break;
	default:
		break;
	}
}

static void ajp_to_server(struct cap_sessions *s, struct cs_conn *c,
			  const uint8_t *p, size_t n, uint64_t ts)
{
	size_t eo = 0;
	switch (p[0]) {
	case AJP_SEND_HEADERS: {
		static struct ajp_send_headers sh;
		if (ajp_send_headers_decode(p, n, &sh, &eo) < 0) {
			note(c, CAP_S2C, ts,
			     "s2c: malformed AJP SEND_HEADERS at payload byte "
			     "%zu",
			     eo);
			return;
		}
		struct cs_exchange *e = ex_for_response(c);
		if (!e)
			return;
		e->has_resp = true;
		e->resp_us = ts;
		e->status = sh.status;
		e->reason = dupn(sh.message.s ? sh.message.s : "",
				 sh.message.s ? sh.message.len : 0);
		if (s->opts.keep_messages)
			ajp_pairs(&e->resp_headers, sh.headers, sh.nheaders,
				  false);
		break;
	}
	case AJP_SEND_BODY_CHUNK: {
		const uint8_t *data;
		size_t len;
		if (ajp_body_chunk_decode(p, n, &data, &len, &eo) < 0) {
			note(c, CAP_S2C, ts,
			     "s2c: malformed AJP SEND_BODY_CHUNK");
			return;
		}
		struct cs_exchange *e = ex_for_response(c);
		if (!e)
			return;
		e->resp_body += len;
		if (s->opts.keep_messages) {
			size_t have = proto_buf_size(&e->body);
			size_t cap = payload_cap(s);
			size_t take = have >= cap	 ? 0
				      : len < cap - have ? len
							 : cap - have;
			if (take < len)
				e->body_truncated = true;
			proto_buf_append(&e->body, data, take);
		}
		break;
	}
	case AJP_END_RESPONSE: {
		bool reuse = false;
		ajp_end_response_decode(p, n, &reuse, NULL);
		struct cs_exchange *e = ex_for_response(c);
		if (!e)
			return;
		e->ajp_reuse = reuse;
		e->complete = true;
		if (!e->has_resp)
			e->resp_us = ts;
		c->next_resp++;
		break;
	}
	case AJP_CPONG_REPLY:
		c->cpongs++;
		break;
	default:
		break;
	}
}

static void ajp_feed(struct cap_sessions *s, struct cs_conn *c,
		     enum cap_dir dir, uint64_t ts)
{
	struct cs_dir *d = &c->d[dir];
	enum ajp_dir ad = dir == CAP_C2S ? AJP_TO_CONTAINER : AJP_TO_SERVER;
	while (!d->dead && proto_buf_size(&d->buf) > 0) {
		const uint8_t *pl;
		size_t pn, eo = 0;
		int rc =
		    ajp_packet_parse(bhead(&d->buf), proto_buf_size(&d->buf),
				     ad, AJP_PACKET_MAX, &pl, &pn, &eo);
		if (rc == PROTO_E_AGAIN)
			return;
		if (rc < 0) {
			note(c, dir, ts,
			     "%s: %s at byte %zu of a packet; stopped decoding "
			     "this direction",
			     dir_name(dir), proto_strerror(rc), eo);
			d->dead = true;
			proto_buf_reset(&d->buf);
			return;
		}
		if (dir == CAP_C2S)
			ajp_to_container(s, c, pl, pn, ts);
		else
			ajp_to_server(s, c, pl, pn, ts);
		proto_buf_consume(&d->buf, (size_t)rc);
	}
}

/* ---- TLS ---------------------------------------------------------- */

static void tls_feed(struct cs_conn *c, enum cap_dir dir)
{
	struct cs_dir *d = &c->d[dir];
	if (cs_tls_hello(c, bhead(&d->buf), proto_buf_size(&d->buf)) ||
	    proto_buf_size(&d->buf) > 5 + 65536) {
		d->mode = CS_M_RAW;
		proto_buf_reset(&d->buf);
	}
}

/* ---- detection and the sink --------------------------------------- */

/* CS_M_DETECT on the client bytes: 1 decided, 0 need more. */
static int detect(struct cs_conn *c)
{
	struct cs_dir *d = &c->d[CAP_C2S];
	const uint8_t *b = bhead(&d->buf);
	size_t n = proto_buf_size(&d->buf);
	enum cs_mode m;
	if (n < 2)
		return 0;
	if (b[0] == 0x12 && b[1] == 0x34) {
		c->proto = CS_AJP;
		m = CS_M_AJP;
	} else if (b[0] == 0x16 && b[1] == 0x03) {
		c->proto = CS_TLS;
		m = CS_M_TLS;
	} else if (!c->saw_syn && b[0] >= 0x14 && b[0] <= 0x17 &&
		   b[1] == 0x03) {
		/* TLS records but no handshake: the capture began
		 * mid-connection */
		c->proto = CS_TLS;
		c->tls_midstream = true;
		m = CS_M_RAW;
	} else {
		size_t q = 0;
		while (q < n && q < 32 && is_tchar(b[q]))
			q++;
		if (q == n && n < 32)
			return 0;
		const uint8_t *nl = memchr(b, '\n', n);
		if (q > 0 && q < n && b[q] == ' ' && !nl && n < 8192)
			return 0;
		if (q > 0 && q < n && b[q] == ' ' && nl &&
		    memmem(b, (size_t)(nl - b), " HTTP/1.", 8)) {
			c->proto = CS_HTTP;
			m = CS_M_HTTP;
		} else {
			c->proto = CS_TCP;
			m = CS_M_RAW;
		}
	}
	c->d[0].mode = c->d[1].mode = m;
	if (m == CS_M_RAW) {
		proto_buf_reset(&c->d[0].buf);
		proto_buf_reset(&c->d[1].buf);
	}
	return 1;
}

static void dir_feed(struct cap_sessions *s, struct cs_conn *c,
		     enum cap_dir dir, uint64_t ts)
{
	switch (c->d[dir].mode) {
	case CS_M_HTTP:
		http_feed(s, c, dir, ts);
		break;
	case CS_M_WS:
		ws_drain(s, c, dir, ts);
		break;
	case CS_M_AJP:
		ajp_feed(s, c, dir, ts);
		break;
	case CS_M_TLS:
		tls_feed(c, dir);
		break;
	default:
		break;
	}
}

static void sink_open(void *ctx, struct cap_conn *cc)
{
	struct cap_sessions *s = ctx;
	cc->user = NULL;
	if (s->nconns == s->capconns) {
		size_t nc = s->capconns ? s->capconns * 2 : 64;
		struct cs_conn **p = realloc(s->conns, nc * sizeof(*p));
		if (!p)
			return;
		s->conns = p;
		s->capconns = nc;
	}
	struct cs_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->id = cc->id;
	c->client = cc->client;
	c->server = cc->server;
	c->saw_syn = cc->saw_syn;
	c->first_us = cc->first_us;
	c->last_us = cc->last_us;
	for (int i = 0; i < 2; i++)
		proto_buf_init(&c->d[i].buf);
	c->slot = s->nconns;
	s->conns[s->nconns++] = c;
	cc->user = c;
	if (!s->have_first || cc->first_us < s->first_us) {
		s->first_us = cc->first_us;
		s->have_first = true;
	}
}

static void touch(struct cap_sessions *s, struct cs_conn *c, uint64_t ts)
{
	if (ts > c->last_us)
		c->last_us = ts;
	if (!s->have_first || ts < s->first_us) {
		s->first_us = ts;
		s->have_first = true;
	}
	if (c->first_us == 0 || ts < c->first_us)
		c->first_us = ts;
}

static void sink_data(void *ctx, struct cap_conn *cc, enum cap_dir dir,
		      const uint8_t *p, size_t n, uint64_t ts)
{
	struct cap_sessions *s = ctx;
	struct cs_conn *c = cc->user;
	if (!c || c->closed || n == 0)
		return;
	touch(s, c, ts);
	struct cs_dir *d = &c->d[dir];
	d->bytes += n;
	if (d->mode == CS_M_RAW || d->dead)
		return;
	if (d->mode == CS_M_WS) {
		/* nothing buffered: frames straight from the packet */
		ws_feed(s, c, dir, p, n, ts);
		return;
	}
	if (proto_buf_size(&d->buf) + n > CS_MAX_BUFFER) {
		note(c, dir, ts,
		     "%s: more than %u bytes could not be decoded; stopped "
		     "decoding this direction",
		     dir_name(dir), CS_MAX_BUFFER);
		d->dead = true;
		proto_buf_reset(&d->buf);
		return;
	}
	if (proto_buf_append(&d->buf, p, n) < 0) {
		d->dead = true;
		return;
	}
	if (c->d[CAP_C2S].mode == CS_M_DETECT) {
		if (!detect(c))
			return;
		dir_feed(s, c, CAP_C2S, ts);
		dir_feed(s, c, CAP_S2C, ts);
		return;
	}
	dir_feed(s, c, dir, ts);
}

static void sink_gap(void *ctx, struct cap_conn *cc, enum cap_dir dir,
		     uint64_t n, uint64_t ts)
{
	struct cap_sessions *s = ctx;
	struct cs_conn *c = cc->user;
	if (!c || c->closed)
		return;
	touch(s, c, ts);
	struct cs_dir *d = &c->d[dir];
	d->gap_bytes += n;
	note(c, dir, ts, "%s: gap of %llu bytes", dir_name(dir),
	     (unsigned long long)n);
	switch (d->mode) {
	case CS_M_DETECT:
		/* no start seen: the first bytes say nothing reliable */
		c->d[0].mode = c->d[1].mode = CS_M_RAW;
		proto_buf_reset(&c->d[0].buf);
		proto_buf_reset(&c->d[1].buf);
		break;
	case CS_M_HTTP:
	case CS_M_WAIT_UPGRADE:
		if (d->in_body && d->body_kind == HTTP1_BODY_LENGTH &&
		    proto_buf_size(&d->buf) == 0 && n <= d->body_left) {
			body_bytes(c, dir, n);
			d->body_left -= n;
			if (d->body_left == 0)
				body_done(c, dir);
			break;
		}
		if (d->in_body && d->body_kind == HTTP1_BODY_UNTIL_CLOSE)
			break;
		proto_buf_reset(&d->buf);
		if (d->mode == CS_M_WAIT_UPGRADE) {
			d->dead = true;
			break;
		}
		http_resync_start(c, dir, ts, NULL);
		break;
	case CS_M_WS:
	case CS_M_AJP:
		if (!d->dead)
			note(c, dir, ts,
			     "%s: stopped decoding this direction after the "
			     "gap",
			     dir_name(dir));
		d->dead = true;
		proto_buf_reset(&d->buf);
		break;
	default:
		d->mode = CS_M_RAW;
		proto_buf_reset(&d->buf);
		break;
	}
}

static void sink_end(void *ctx, struct cap_conn *cc, enum cap_dir dir,
		     enum cap_end how, uint64_t ts)
{
	struct cap_sessions *s = ctx;
	struct cs_conn *c = cc->user;
	if (!c || c->closed)
		return;
	touch(s, c, ts);
	c->d[dir].ended = true;
	c->d[dir].end_how = how;
}

static void conn_release(struct cs_conn *c)
{
	for (int i = 0; i < 2; i++) {
		struct cs_dir *d = &c->d[i];
		proto_buf_free(&d->buf);
		proto_buf_free(&d->msg);
		if (d->pmd_on)
			pmd_free(&d->pmd);
		d->pmd_on = false;
	}
	c->closed = true;
}

static void sink_close(void *ctx, struct cap_conn *cc)
{
	struct cap_sessions *s = ctx;
	struct cs_conn *c = cc->user;
	if (!c || c->closed)
		return;
	(void)s;
	if (cc->last_us > c->last_us)
		c->last_us = cc->last_us;
	for (int i = 0; i < 2; i++) {
		c->conflicts[i] = cc->conflicts[i];
		if (cc->conflicts[i])
			note(c, (enum cap_dir)i, cc->conflict_us[i],
			     "%s: %llu retransmission%s with different data, "
			     "the first at byte %llu; the first copy of each "
			     "byte is kept",
			     dir_name((enum cap_dir)i),
			     (unsigned long long)cc->conflicts[i],
			     cc->conflicts[i] == 1 ? "" : "s",
			     (unsigned long long)cc->conflict_off[i]);
	}
	/* a body read until close ends here */
	struct cs_dir *d = &c->d[CAP_S2C];
	if (d->mode == CS_M_HTTP && d->in_body &&
	    d->body_kind == HTTP1_BODY_UNTIL_CLOSE)
		d->in_body = false;
	conn_release(c);
	cc->user = NULL;
}

static void conn_free(struct cs_conn *c)
{
	conn_release(c);
	for (size_t j = 0; j < c->nex; j++) {
		struct cs_exchange *e = &c->ex[j];
		free(e->method);
		free(e->target);
		free(e->reason);
		pairs_free(&e->req_headers);
		pairs_free(&e->resp_headers);
		pairs_free(&e->attributes);
		proto_buf_free(&e->body);
	}
	free(c->ex);
	free(c->msgs);
	for (size_t j = 0; j < c->nnotes; j++)
		free(c->notes[j].text);
	free(c->notes);
	for (int k = 0; k < 2; k++)
		free(c->d[k].close_reason);
	free(c->extensions);
	free(c->sni);
	free(c->tls);
	free(c);
}

/* Close up the holes forgotten connections left in s->conns. */
static void conns_compact(struct cap_sessions *s)
{
	size_t k = 0;
	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i]) {
			s->conns[i]->slot = k;
			s->conns[k++] = s->conns[i];
		}
	s->nconns = k;
	s->nholes = 0;
}

/* An evicted connection (it carried nothing): counted, not kept. */
static void sink_forget(void *ctx, struct cap_conn *cc)
{
	struct cap_sessions *s = ctx;
	struct cs_conn *c = cc->user;
	if (!c)
		return;
	cc->user = NULL;
	s->evicted++;
	s->conns[c->slot] = NULL;
	conn_free(c);
	/* amortized O(1): compact once half the slots are holes */
	if (++s->nholes > 64 && s->nholes * 2 > s->nconns)
		conns_compact(s);
}

/* ---- legs --------------------------------------------------------- */

struct ex_ref {
	struct cs_conn *c;
	size_t i;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ex_ref *x = a, *y = b;
	uint64_t tx = x->c->ex[x->i].req_us, ty = y->c->ex[y->i].req_us;
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return x->c->id < y->c->id ? -1 : x->c->id > y->c->id;
}

static bool same_endpoint(const struct cap_endpoint *x,
			  const struct cap_endpoint *y)
{
	return x->family == y->family && x->port == y->port &&
	       memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16) == 0;
}

static size_t path_len(const char *t)
{
	const char *q = strchr(t, '?');
	return q ? (size_t)(q - t) : strlen(t);
}

/* Link a backend-leg request to the client-leg request with the same
 * method and path that started at most 1 s before it on another
 * connection to another server (a proxy listens elsewhere than its
 * backend), while the client leg still waited for its response: many
 * clients asking one server for the same path are not legs of each
 * other. */
static void link_legs(struct cap_sessions *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nconns; i++)
		for (size_t j = 0; j < s->conns[i]->nex; j++)
			n += s->conns[i]->ex[j].has_req;
	if (n < 2)
		return;
	struct ex_ref *r = malloc(n * sizeof(*r));
	if (!r)
		return;
	n = 0;
	for (size_t i = 0; i < s->nconns; i++)
		for (size_t j = 0; j < s->conns[i]->nex; j++)
			if (s->conns[i]->ex[j].has_req)
				r[n++] = (struct ex_ref){s->conns[i], j};
	qsort(r, n, sizeof(*r), ref_cmp);
	for (size_t b = 1; b < n; b++) {
		struct cs_exchange *be = &r[b].c->ex[r[b].i];
		if (be->link_conn || !be->method || !be->target)
			continue;
		size_t bl = path_len(be->target);
		for (size_t a = b; a-- > 0;) {
			struct cs_exchange *ae = &r[a].c->ex[r[a].i];
			if (be->req_us - ae->req_us > 1000000)
				break;
			if (r[a].c == r[b].c || ae->link_conn ||
			    same_endpoint(&r[a].c->server, &r[b].c->server) ||
			    (ae->has_resp && ae->resp_us < be->req_us) ||
			    r[a].c->leg_of == r[b].c->id || !ae->method ||
			    !ae->target || strcmp(ae->method, be->method) ||
			    path_len(ae->target) != bl ||
			    memcmp(ae->target, be->target, bl))
				continue;
			be->link_conn = r[a].c->id;
			be->link_ex = r[a].i;
			be->link_is_backend = false;
			ae->link_conn = r[b].c->id;
			ae->link_ex = r[b].i;
			ae->link_is_backend = true;
			if (!r[b].c->leg_of)
				r[b].c->leg_of = r[a].c->id;
			if (!r[a].c->backend_leg)
				r[a].c->backend_leg = r[b].c->id;
			break;
		}
	}
	free(r);
}

/* ---- public ------------------------------------------------------- */

struct cap_sessions *cap_sessions_new(const struct cap_session_opts *opts)
{
	struct cap_sessions *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (opts)
		s->opts = *opts;
	s->sink = (struct cap_tcp_sink){s,	     sink_open,	 sink_data,
					sink_gap,    sink_end,	 sink_close,
					cs_sink_tls, sink_forget};
	proto_buf_init(&s->scratch);
	cap_arena_init(&s->payloads);
	return s;
}

struct cap_tcp_sink *cap_sessions_sink(struct cap_sessions *s)
{
	return &s->sink;
}

size_t cap_sessions_count(const struct cap_sessions *s)
{
	return s->nconns - s->nholes;
}

uint64_t cap_sessions_evicted(const struct cap_sessions *s)
{
	return s->evicted;
}

void cap_sessions_finish(struct cap_sessions *s)
{
	if (s->finished)
		return;
	s->finished = true;
	if (s->nholes)
		conns_compact(s);
	for (size_t i = 0; i < s->nconns; i++)
		if (!s->conns[i]->closed)
			conn_release(s->conns[i]);
	link_legs(s);
}

void cap_sessions_free(struct cap_sessions *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i])
			conn_free(s->conns[i]);
	free(s->conns);
	proto_buf_free(&s->scratch);
	cap_arena_free(&s->payloads);
	free(s);
}

/* ---- helpers for the writers -------------------------------------- */

void cs_endpoint_format(const struct cap_endpoint *e, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (e->family == 6) {
		inet_ntop(AF_INET6, e->addr, a, sizeof(a));
		snprintf(out, len, "[%s]:%u", a, e->port);
	} else {
		inet_ntop(AF_INET, e->addr, a, sizeof(a));
		snprintf(out, len, "%s:%u", a, e->port);
	}
}

static bool addr_matches(const struct cap_endpoint *e, const char *f)
{
	char a[INET6_ADDRSTRLEN] = "";
	inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, a, sizeof(a));
	size_t fl = strlen(f);
	if (fl > 2 && f[0] == '[' && f[fl - 1] == ']')
		return strlen(a) == fl - 2 && memcmp(a, f + 1, fl - 2) == 0;
	return strcmp(a, f) == 0;
}

bool cs_conn_matches(const struct cap_sessions *s, const struct cs_conn *c)
{
	const char *f = s->opts.filter;
	if (!f || !*f)
		return true;
	const char *num = f[0] == ':' ? f + 1 : f;
	if (*num && strspn(num, "0123456789") == strlen(num)) {
		unsigned long port = strtoul(num, NULL, 10);
		return port == c->client.port || port == c->server.port;
	}
	if (addr_matches(&c->client, f) || addr_matches(&c->server, f))
		return true;
	for (size_t i = 0; i < c->nex; i++)
		if (c->ex[i].target && strstr(c->ex[i].target, f))
			return true;
	return false;
}

bool cs_header_redacted(const struct cap_sessions *s, const char *name)
{
	if (s->opts.no_redact)
		return false;
	return !strcasecmp(name, "cookie") || !strcasecmp(name, "set-cookie") ||
	       !strcasecmp(name, "authorization") ||
	       !strcasecmp(name, "proxy-authorization") ||
	       !strcasecmp(name, "set-cookie2");
}

const char *cs_proto_name(enum cs_proto p)
{
	static const char *const names[] = {"tcp", "http", "websocket", "ajp",
					    "tls"};
	return names[p];
}

const char *cs_opcode_name(uint8_t op)
{
	switch (op) {
	case WS_OP_TEXT:
		return "text";
	case WS_OP_BINARY:
		return "binary";
	case WS_OP_CLOSE:
		return "close";
	case WS_OP_PING:
		return "ping";
	case WS_OP_PONG:
		return "pong";
	default:
		return "continuation";
	}
}

static const char *end_words(const struct cs_conn *c)
{
	for (int i = 0; i < 2; i++)
		if (c->d[i].ended && c->d[i].end_how == CAP_END_RST)
			return i == CAP_C2S ? "reset by the client"
					    : "reset by the server";
	if (c->d[0].ended && c->d[0].end_how == CAP_END_FIN)
		return "closed by the client without a close frame";
	if (c->d[1].ended && c->d[1].end_how == CAP_END_FIN)
		return "closed by the server without a close frame";
	return "still open at the end of the capture";
}

void cs_outcome(const struct cs_conn *c, char *out, size_t len)
{
	switch (c->proto) {
	case CS_WS: {
		const struct cs_dir *cd = &c->d[CAP_C2S], *sd = &c->d[CAP_S2C];
		if (cd->saw_close || sd->saw_close) {
			bool by_client =
			    cd->saw_close &&
			    (!sd->saw_close || cd->close_us <= sd->close_us);
			const struct cs_dir *f = by_client ? cd : sd;
			snprintf(
			    out, len, "websocket open, closed %u by the %s",
			    f->close_code, by_client ? "client" : "server");
		} else {
			const char *w = end_words(c);
			bool abnormal = strncmp(w, "still", 5) != 0;
			snprintf(out, len, "websocket open, %s%s", w,
				 abnormal ? ": a browser reports closed 1006"
					  : "");
		}
		return;
	}
	case CS_HTTP:
	case CS_AJP: {
		const char *pre = c->proto == CS_AJP ? "AJP: " : "";
		for (size_t i = 0; i < c->nex; i++) {
			const struct cs_exchange *e = &c->ex[i];
			if (!e->upgrade)
				continue;
			if (!e->has_resp) {
				snprintf(out, len,
					 "%swebsocket upgrade request not "
					 "answered",
					 pre);
				return;
			}
			if (c->proto == CS_AJP) {
				snprintf(out, len,
					 "AJP: upgrade request answered %d",
					 e->status);
				return;
			}
			snprintf(out, len,
				 "HTTP %d %s to a websocket upgrade: a browser "
				 "reports closed 1006",
				 e->status, e->reason ? e->reason : "");
			return;
		}
		size_t nreq = 0, nresp = 0;
		for (size_t i = 0; i < c->nex; i++) {
			nreq += c->ex[i].has_req;
			nresp += c->ex[i].has_resp;
		}
		snprintf(out, len, "%s%zu request%s, %zu response%s", pre, nreq,
			 nreq == 1 ? "" : "s", nresp, nresp == 1 ? "" : "s");
		if (c->proto == CS_AJP && (c->cpings || c->cpongs)) {
			size_t l = strlen(out);
			snprintf(out + l, len - l, ", %llu CPING, %llu CPONG",
				 (unsigned long long)c->cpings,
				 (unsigned long long)c->cpongs);
		}
		return;
	}
	case CS_TLS: {
		struct cs_tls_facts f;
		cs_tls_facts(c, &f);
		snprintf(out, len, "TLS%s%s offered %s, selected %s",
			 f.sni ? " sni=" : "", f.sni ? f.sni : "",
			 f.offered[0] ? f.offered : "?",
			 f.selected[0] ? f.selected : "?");
		return;
	}
	default:
		snprintf(out, len, "%s", end_words(c));
		return;
	}
}
