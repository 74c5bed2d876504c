/* RFC 6455 frames: header encoding, masking, close payloads and the
 * event-at-a-time decoder (see ws_frame.h).
 *
 * The decoder never copies data frame payloads: DATA events point into
 * the caller's buffer, unmasked in place (or, in raw mode, left as they
 * came, unchecked, so that skipping a payload costs nothing per byte).
 * Only header bytes split across calls and control payloads (<= 125
 * bytes) are gathered inside it. Rules
 * are checked as soon as the byte that decides them arrives, so where an
 * error is reported does not depend on how the stream was split.
 * Inflating compressed messages and answering control frames are the
 * caller's business.
 */
#include "ws_frame.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#include "proto_err.h"

size_t ws_frame_hdr_encode(uint8_t out[WS_MAX_HEADER], bool fin, uint8_t rsv,
			   uint8_t opcode, const uint8_t *mask, uint64_t len)
{
	size_t n = 0;

	assert(len >> 63 == 0);
	out[n++] =
	    (uint8_t)((fin ? 0x80 : 0) | (rsv & 7) << 4 | (opcode & 0xf));
	uint8_t m = mask ? 0x80 : 0;
	if (len <= 125) {
		out[n++] = (uint8_t)(m | len);
	} else if (len <= 0xffff) {
		out[n++] = m | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = m | 127;
		for (int shift = 56; shift >= 0; shift -= 8)
			out[n++] = (uint8_t)(len >> shift);
	}
	if (mask) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

int ws_frame_hdr_parse(const uint8_t *buf, size_t len, struct ws_frame_hdr *h)
{
	if (len < 2)
		return PROTO_E_AGAIN;
	uint8_t l7 = buf[1] & 0x7f;
	bool masked = buf[1] & 0x80;
	size_t need = 2 +
		      (l7 == 126   ? 2
		       : l7 == 127 ? 8
				   : 0) +
		      (masked ? 4 : 0);

	/* The MSB of a 64-bit length is wrong as soon as it is seen. */
	if (l7 == 127 && len >= 3 && (buf[2] & 0x80))
		return PROTO_E_WS_PROTOCOL;
	if (len < need)
		return PROTO_E_AGAIN;

	h->fin = buf[0] & 0x80;
	h->rsv = (buf[0] >> 4) & 7;
	h->opcode = buf[0] & 0xf;
	h->masked = masked;
	size_t n = 2;
	if (l7 == 126) {
		h->len = (uint64_t)buf[2] << 8 | buf[3];
		n = 4;
	} else if (l7 == 127) {
		h->len = 0;
		for (n = 2; n < 10; n++)
			h->len = h->len << 8 | buf[n];
	} else {
		h->len = l7;
	}
	h->long_len =
	    (l7 == 126 && h->len < 126) || (l7 == 127 && h->len <= 0xffff);
	if (masked) {
		memcpy(h->mask, buf + n, 4);
		n += 4;
	} else {
		memset(h->mask, 0, 4);
	}
	h->hdr_len = n;
	return (int)n;
}

void ws_mask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset)
{
	size_t k = (size_t)(offset & 3);

	/* Bytes up to an 8-byte boundary of p. */
	while (n > 0 && ((uintptr_t)p & 7) != 0) {
		*p++ ^= mask[k];
		k = (k + 1) & 3;
		n--;
	}
	if (n >= 8) {
		/* The mask rotated to start at phase k, twice over: XOR a
		 * word at a time. A word is 8 bytes, a multiple of 4, so k
		 * is the same after the word loop. */
		uint8_t m8[8];
		for (size_t i = 0; i < 8; i++)
			m8[i] = mask[(k + i) & 3];
		uint64_t m;
		memcpy(&m, m8, 8);
		while (n >= 32) {
			uint64_t w[4];
			memcpy(w, p, 32);
			w[0] ^= m;
			w[1] ^= m;
			w[2] ^= m;
			w[3] ^= m;
			memcpy(p, w, 32);
			p += 32;
			n -= 32;
		}
		while (n >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			w ^= m;
			memcpy(p, &w, 8);
			p += 8;
			n -= 8;
		}
	}
	while (n > 0) {
		*p++ ^= mask[k];
		k = (k + 1) & 3;
		n--;
	}
}

bool ws_close_code_valid(unsigned code)
{
	if (code >= 1000 && code <= 1003)
		return true;
	if (code >= 1007 && code <= 1014)
		return true;
	return code >= 3000 && code <= 4999;
}

int ws_close_payload(uint8_t out[WS_MAX_CONTROL], unsigned code,
		     const char *reason, size_t reason_len)
{
	if (code == 0)
		return reason_len == 0 ? 0 : PROTO_E_RANGE;
	if (!ws_close_code_valid(code) || reason_len > WS_MAX_CONTROL - 2)
		return PROTO_E_RANGE;
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (reason_len)
		memcpy(out + 2, reason, reason_len);
	return (int)(2 + reason_len);
}

/* ws_close_parse with the index of the offending byte in *bad. */
static int close_parse_at(const uint8_t *p, size_t n, unsigned *code,
			  const char **reason, size_t *reason_len, size_t *bad)
{
	*bad = 0;
	if (n == 0) {
		*code = WS_CLOSE_NO_STATUS;
		*reason = (const char *)p;
		*reason_len = 0;
		return 0;
	}
	if (n == 1)
		return PROTO_E_WS_PROTOCOL;
	unsigned c = (unsigned)p[0] << 8 | p[1];
	if (!ws_close_code_valid(c))
		return PROTO_E_WS_PROTOCOL;
	struct ws_utf8 u;
	ws_utf8_init(&u);
	if (ws_utf8_feed(&u, p + 2, n - 2, bad) < 0) {
		*bad += 2;
		return PROTO_E_WS_UTF8;
	}
	if (!ws_utf8_complete(&u)) {
		*bad = n;
		return PROTO_E_WS_UTF8;
	}
	*code = c;
	*reason = (const char *)p + 2;
	*reason_len = n - 2;
	return 0;
}

int ws_close_parse(const uint8_t *p, size_t n, unsigned *code,
		   const char **reason, size_t *reason_len)
{
	size_t bad;

	return close_parse_at(p, n, code, reason, reason_len, &bad);
}

/* Decoder states (d->state); a negative state is the error returned. */
enum {
	ST_HEADER,  /* reading a frame header (partial bytes in hbuf) */
	ST_DATA,    /* reading a data frame's payload: DATA events */
	ST_END,	    /* a data frame's payload is read: report FRAME_END */
	ST_CONTROL, /* gathering a control frame's payload into ctrl */
};

void ws_decoder_init(struct ws_decoder *d, enum ws_role role, bool allow_rsv1,
		     uint64_t max_message)
{
	memset(d, 0, sizeof(*d));
	d->role = role;
	d->allow_rsv1 = allow_rsv1;
	d->max_message = max_message;
	d->state = ST_HEADER;
}

static int fail(struct ws_decoder *d, int rc, unsigned close_code,
		const char *why, uint64_t at)
{
	d->state = rc;
	d->close_code = close_code;
	d->error = why;
	d->error_offset = at;
	return rc;
}

static bool is_data_op(uint8_t op)
{
	return op == WS_OP_CONT || op == WS_OP_TEXT || op == WS_OP_BINARY;
}

static bool is_control_op(uint8_t op)
{
	return op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG;
}

/* Where, within the first `have` bytes of a header, its length is known
 * not to be in its shortest form: byte 3 for a 16-bit length below 126,
 * byte 7 for a 64-bit one whose first six bytes are zero (below 65536
 * whatever follows); 0 when it is not (or not yet) known. */
static size_t long_len_at(const uint8_t *b, size_t have)
{
	uint8_t l7 = b[1] & 0x7f;
	if (l7 == 126 && have >= 4)
		return b[2] == 0 && b[3] < 126 ? 3 : 0;
	if (l7 != 127 || have < 8)
		return 0;
	for (size_t i = 2; i < 8; i++)
		if (b[i])
			return 0;
	return 7;
}

/* Check the first `have` bytes of a header at stream offset `at` against
 * the rules, in the order the bytes arrive. Returns the header length
 * with *h filled, PROTO_E_AGAIN if more bytes are needed to go on, or an
 * error (recorded in d). */
static int hdr_check(struct ws_decoder *d, const uint8_t *b, size_t have,
		     uint64_t at, struct ws_frame_hdr *h)
{
	uint8_t op = b[0] & 0xf;
	uint8_t rsv = (b[0] >> 4) & 7;
	bool fin = b[0] & 0x80;

	if (!is_data_op(op) && !is_control_op(op))
		return fail(d, PROTO_E_WS_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "reserved opcode", at);
	if (rsv & 3)
		return fail(d, PROTO_E_WS_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "reserved bit RSV2 or RSV3 set", at);
	if (rsv & WS_RSV1) {
		const char *why = NULL;
		if (!d->allow_rsv1)
			why = "RSV1 set without a negotiated extension";
		else if (is_control_op(op))
			why = "RSV1 set on a control frame";
		else if (op == WS_OP_CONT)
			why = "RSV1 set on a continuation frame";
		if (why)
			return fail(d, PROTO_E_WS_PROTOCOL, WS_CLOSE_PROTOCOL,
				    why, at);
	}
	if (is_control_op(op) && !fin)
		return fail(d, PROTO_E_WS_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "fragmented control frame", at);
	if (op == WS_OP_CONT && !d->in_message)
		return fail(d, PROTO_E_WS_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "continuation frame without a message", at);
	if ((op == WS_OP_TEXT || op == WS_OP_BINARY) && d->in_message)
		return fail(d, PROTO_E_WS_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "new data message inside a fragmented message", at);
	if (have < 2)
		return PROTO_E_AGAIN;

	bool masked = b[1] & 0x80;
	if (d->role == WS_ROLE_SERVER && !masked)
		return fail(d, PROTO_E_WS_UNMASKED, WS_CLOSE_PROTOCOL,
			    "client frame not masked", at + 1);
	if (d->role == WS_ROLE_CLIENT && masked)
		return fail(d, PROTO_E_WS_MASKED, WS_CLOSE_PROTOCOL,
			    "server frame masked", at + 1);

	/* Not the shortest length form: decided at the last byte that could
	 * have made the length need this form (RFC 6455 section 5.2). Raw
	 * mode lets it through, flagged in h->long_len. */
	size_t at_short = long_len_at(b, have);
	if (at_short && !d->raw_data)
		return fail(d, PROTO_E_WS_LENGTH, WS_CLOSE_PROTOCOL,
			    "payload length not in its shortest form",
			    at + at_short);

	int n = ws_frame_hdr_parse(b, have, h);
	if (n == PROTO_E_WS_PROTOCOL)
		return fail(d, PROTO_E_WS_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "64-bit payload length with the most significant "
			    "bit set",
			    at + 2);
	if (n < 0)
		return n;

	/* (In raw mode a control length <= 125 in a longer form gets here.) */
	if (is_control_op(op) && h->len > WS_MAX_CONTROL)
		return fail(d, PROTO_E_WS_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "control frame longer than 125 bytes", at + 1);
	if (d->max_message && is_data_op(op)) {
		uint64_t before = op == WS_OP_CONT ? d->msg_len : 0;
		if (h->len > d->max_message - before)
			return fail(d, PROTO_E_WS_TOO_BIG, WS_CLOSE_TOO_BIG,
				    "message larger than the size limit",
				    at + 1);
	}
	return n;
}

/* Gather control payload from buf; report the frame when complete. */
static int control_feed(struct ws_decoder *d, const uint8_t *buf, size_t len,
			size_t used, struct ws_event *ev)
{
	size_t want = (size_t)d->hdr.len - (size_t)d->done;
	size_t n = len - used < want ? len - used : want;

	if (n > 0) {
		memcpy(d->ctrl + d->done, buf + used, n);
		if (d->hdr.masked)
			ws_mask(d->ctrl + d->done, n, d->hdr.mask, d->done);
		d->done += n;
		used += n;
	}
	if (d->done < d->hdr.len) {
		d->consumed_total += used;
		return (int)used;
	}

	/* Whole: check a close payload, then report the frame. */
	size_t plen = (size_t)d->hdr.len;
	unsigned code = 0;
	const char *reason = NULL;
	size_t reason_len = 0;
	d->ctrl[plen] = 0;
	if (d->hdr.opcode == WS_OP_CLOSE) {
		size_t bad;
		uint64_t start = d->consumed_total + used - plen;
		int rc = close_parse_at(d->ctrl, plen, &code, &reason,
					&reason_len, &bad);
		if (rc == PROTO_E_WS_UTF8)
			return fail(d, rc, WS_CLOSE_INVALID_DATA,
				    "invalid UTF-8 in close reason",
				    start + bad);
		if (rc < 0)
			return fail(d, rc, WS_CLOSE_PROTOCOL,
				    plen == 1 ? "close frame with a one-byte "
						"payload"
					      : "invalid close code",
				    start);
	}
	ev->type = WS_EV_CONTROL;
	ev->hdr = d->hdr;
	ev->data = d->ctrl;
	ev->len = plen;
	ev->close_code = code;
	ev->close_reason = reason;
	ev->close_reason_len = reason_len;
	d->state = ST_HEADER;
	d->consumed_total += used;
	return (int)used;
}

/* A header was parsed (used bytes of buf consumed so far). */
static int frame_begin(struct ws_decoder *d, const uint8_t *buf, size_t len,
		       size_t used, struct ws_event *ev)
{
	d->done = 0;
	if (is_control_op(d->hdr.opcode)) {
		d->state = ST_CONTROL;
		return control_feed(d, buf, len, used, ev);
	}
	if (d->hdr.opcode != WS_OP_CONT) {
		d->in_message = true;
		d->msg_opcode = d->hdr.opcode;
		d->msg_compressed = d->hdr.rsv & WS_RSV1;
		d->msg_len = 0;
		ws_utf8_init(&d->utf8);
	}
	d->msg_len += d->hdr.len;
	d->state = d->hdr.len ? ST_DATA : ST_END;
	ev->type = WS_EV_FRAME_START;
	ev->hdr = d->hdr;
	ev->msg_opcode = d->msg_opcode;
	ev->compressed = d->msg_compressed;
	d->consumed_total += used;
	return (int)used;
}

static int header_feed(struct ws_decoder *d, const uint8_t *buf, size_t len,
		       struct ws_event *ev)
{
	if (len == 0)
		return 0;
	if (d->hbuf_len == 0) {
		/* Usual case: the header is in buf, parse it there. */
		int n = hdr_check(d, buf, len, d->consumed_total, &d->hdr);
		if (n >= 0)
			return frame_begin(d, buf, len, (size_t)n, ev);
		if (n != PROTO_E_AGAIN)
			return n;
		/* A partial header is shorter than WS_MAX_HEADER. */
		memcpy(d->hbuf, buf, len);
		d->hbuf_len = len;
		d->consumed_total += len;
		return (int)len;
	}

	size_t old = d->hbuf_len;
	size_t n = WS_MAX_HEADER - old < len ? WS_MAX_HEADER - old : len;
	memcpy(d->hbuf + old, buf, n);
	int hl =
	    hdr_check(d, d->hbuf, old + n, d->consumed_total - old, &d->hdr);
	if (hl == PROTO_E_AGAIN) {
		/* Every byte taken belongs to this header. */
		d->hbuf_len = old + n;
		d->consumed_total += n;
		return (int)n;
	}
	if (hl < 0)
		return hl;
	d->hbuf_len = 0;
	return frame_begin(d, buf, len, (size_t)hl - old, ev);
}

/* Check the UTF-8 of *n unmasked text bytes at p: 0 with *n cut to the
 * valid bytes before a bad one (reported first, so what is delivered does
 * not depend on the split; the bytes from the bad one on are masked
 * again, left as they came), or the error when p[0] is bad. */
static int data_utf8(struct ws_decoder *d, uint8_t *p, size_t *n)
{
	struct ws_utf8 saved = d->utf8;
	size_t bad;

	if (ws_utf8_feed(&d->utf8, p, *n, &bad) == 0)
		return 0;
	if (d->hdr.masked)
		ws_mask(p + bad, *n - bad, d->hdr.mask, d->done + bad);
	if (bad == 0)
		return fail(d, PROTO_E_WS_UTF8, WS_CLOSE_INVALID_DATA,
			    "invalid UTF-8 in text message", d->consumed_total);
	d->utf8 = saved;
	ws_utf8_feed(&d->utf8, p, bad, NULL);
	*n = bad;
	return 0;
}

/* Payload of a data frame from buf; wbuf is the same bytes, writable
 * (NULL in raw mode, where they are reported as they came). */
static int data_feed(struct ws_decoder *d, const uint8_t *buf, uint8_t *wbuf,
		     size_t len, struct ws_event *ev)
{
	uint64_t left = d->hdr.len - d->done;
	size_t n = left < len ? (size_t)left : len;

	if (n == 0)
		return 0;
	if (n > INT_MAX) /* the count is returned as an int */
		n = INT_MAX;
	if (!d->raw_data) {
		assert(wbuf == buf);
		if (d->hdr.masked)
			ws_mask(wbuf, n, d->hdr.mask, d->done);
		if (d->msg_opcode == WS_OP_TEXT && !d->msg_compressed) {
			int rc = data_utf8(d, wbuf, &n);
			if (rc < 0)
				return rc;
		}
	}
	ev->type = WS_EV_DATA;
	ev->hdr = d->hdr;
	ev->msg_opcode = d->msg_opcode;
	ev->compressed = d->msg_compressed;
	ev->data = buf;
	ev->len = n;
	ev->frame_offset = d->done;
	d->done += n;
	if (d->done == d->hdr.len)
		d->state = ST_END;
	d->consumed_total += n;
	return (int)n;
}

static int frame_end(struct ws_decoder *d, struct ws_event *ev)
{
	if (d->hdr.fin) {
		if (!d->raw_data && d->msg_opcode == WS_OP_TEXT &&
		    !d->msg_compressed && !ws_utf8_complete(&d->utf8))
			return fail(d, PROTO_E_WS_UTF8, WS_CLOSE_INVALID_DATA,
				    "text message ends inside a UTF-8 "
				    "character",
				    d->consumed_total);
		d->in_message = false;
	}
	ev->type = WS_EV_FRAME_END;
	ev->msg_opcode = d->msg_opcode;
	ev->compressed = d->msg_compressed;
	ev->fin = d->hdr.fin;
	d->state = ST_HEADER;
	return 0;
}

/* ws_decoder_feed on buf, writable as wbuf (NULL: read only, raw mode). */
static int feed(struct ws_decoder *d, const uint8_t *buf, uint8_t *wbuf,
		size_t len, struct ws_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	switch (d->state) {
	case ST_HEADER:
		return header_feed(d, buf, len, ev);
	case ST_DATA:
		return data_feed(d, buf, wbuf, len, ev);
	case ST_END:
		return frame_end(d, ev);
	case ST_CONTROL:
		return control_feed(d, buf, len, 0, ev);
	default:
		assert(d->state < 0);
		return d->state;
	}
}

int ws_decoder_feed(struct ws_decoder *d, uint8_t *buf, size_t len,
		    struct ws_event *ev)
{
	return feed(d, buf, buf, len, ev);
}

int ws_decoder_feed_raw(struct ws_decoder *d, const uint8_t *buf, size_t len,
			struct ws_event *ev)
{
	assert(d->raw_data);
	return feed(d, buf, NULL, len, ev);
}
