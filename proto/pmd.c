/* pmd: RFC 7692 permessage-deflate on zlib (see pmd.h).
 *
 * Negotiation parses the Sec-WebSocket-Extensions grammar of RFC 6455
 * section 9.1 (elements split by ',', parameters by ';', values a token
 * or a quoted-string) and answers offers in Tomcat 10.1's compact style.
 * Compression is raw deflate (negative windowBits) with a Z_SYNC_FLUSH
 * after every piece, as RFC 7692 section 7.2 describes. Framing (RSV1,
 * fragmentation) is left to the frame codec and its caller.
 */
#include "pmd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_err.h"

#define PMD_NAME "permessage-deflate"

/* The 4 octets a Z_SYNC_FLUSH ends with (an empty stored block's LEN and
 * NLEN); removed by the sender and put back by the receiver. */
static const uint8_t pmd_tail[4] = {0x00, 0x00, 0xff, 0xff};

/* Output is grown in steps of at most this much per zlib call. */
#define PMD_STEP_MIN 256
#define PMD_STEP_MAX 65536

/* ---- negotiation ---------------------------------------------------- */

static bool is_tchar(char ch)
{
	unsigned char u = (unsigned char)ch;
	if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
	    (u >= 'A' && u <= 'Z'))
		return true;
	return u != '\0' && strchr("!#$%&'*+-.^_`|~", u) != NULL;
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* A cursor over the header value. */
struct ext_cur {
	const char *s;
	size_t len, pos;
};

static void cur_skip_ows(struct ext_cur *c)
{
	while (c->pos < c->len && is_ows(c->s[c->pos]))
		c->pos++;
}

static bool cur_at(const struct ext_cur *c, char ch)
{
	return c->pos < c->len && c->s[c->pos] == ch;
}

/* A token at the cursor: its start and length (0 when there is none). */
static size_t cur_token(struct ext_cur *c, const char **tok)
{
	*tok = c->s + c->pos;
	size_t start = c->pos;
	while (c->pos < c->len && is_tchar(c->s[c->pos]))
		c->pos++;
	return c->pos - start;
}

/* Skip to the ',' that ends the current element (or the end), stepping
 * over quoted-strings so a ',' inside one does not count. */
static void cur_skip_element(struct ext_cur *c)
{
	bool quoted = false;
	while (c->pos < c->len) {
		char ch = c->s[c->pos];
		if (quoted && ch == '\\' && c->pos + 1 < c->len) {
			c->pos += 2;
			continue;
		}
		if (ch == '"')
			quoted = !quoted;
		else if (ch == ',' && !quoted)
			return;
		c->pos++;
	}
}

/* A parameter value: a token, or a quoted-string whose unescaped content
 * must itself be a token (RFC 6455 section 9.1). The unescaped value goes
 * to val (NUL-terminated); returns its length or -1. */
static int cur_value(struct ext_cur *c, char *val, size_t cap)
{
	size_t n = 0;
	if (!cur_at(c, '"')) {
		const char *tok;
		size_t tl = cur_token(c, &tok);
		if (tl == 0 || tl >= cap)
			return -1;
		memcpy(val, tok, tl);
		val[tl] = '\0';
		return (int)tl;
	}
	c->pos++;
	for (;;) {
		if (c->pos >= c->len)
			return -1; /* unterminated */
		char ch = c->s[c->pos++];
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (c->pos >= c->len)
				return -1;
			ch = c->s[c->pos++];
		}
		if (!is_tchar(ch) || n + 1 >= cap)
			return -1;
		val[n++] = ch;
	}
	if (n == 0)
		return -1;
	val[n] = '\0';
	return (int)n;
}

/* A window size: "8".."15", decimal without leading zeros (RFC 7692
 * sections 7.1.2.1 and 7.1.2.2). */
static int window_bits(const char *v)
{
	if (strcmp(v, "8") == 0 || strcmp(v, "9") == 0)
		return v[0] - '0';
	if (v[0] == '1' && v[1] >= '0' && v[1] <= '5' && v[2] == '\0')
		return 10 + (v[1] - '0');
	return -1;
}

static void params_default(struct pmd_params *p)
{
	memset(p, 0, sizeof(*p));
	p->server_max_window_bits = 15;
	p->client_max_window_bits = 15;
}

/* One parameter of a permessage-deflate element into *p; returns 0 or -1
 * for an unknown, repeated or badly valued one. */
static int pmd_param(struct pmd_params *p, const char *name, size_t nl,
		     const char *val)
{
#define PMD_IS(lit) (nl == sizeof(lit) - 1 && memcmp(name, lit, nl) == 0)
	if (PMD_IS("server_no_context_takeover")) {
		if (val || p->server_no_context_takeover)
			return -1;
		p->server_no_context_takeover = true;
	} else if (PMD_IS("client_no_context_takeover")) {
		if (val || p->client_no_context_takeover)
			return -1;
		p->client_no_context_takeover = true;
	} else if (PMD_IS("server_max_window_bits")) {
		int b = val ? window_bits(val) : -1;
		if (b < 0 || p->server_max_window_bits_set)
			return -1;
		p->server_max_window_bits = b;
		p->server_max_window_bits_set = true;
	} else if (PMD_IS("client_max_window_bits")) {
		if (p->client_max_window_bits_set ||
		    p->client_max_window_bits_offered)
			return -1;
		if (!val) {
			p->client_max_window_bits_offered = true;
		} else {
			int b = window_bits(val);
			if (b < 0)
				return -1;
			p->client_max_window_bits = b;
			p->client_max_window_bits_set = true;
		}
	} else {
		return -1;
	}
	return 0;
#undef PMD_IS
}

/* One element at the cursor, up to (not past) its ',' or the end. Sets
 * *is_pmd when its name is permessage-deflate and then fills *p. Returns
 * 0, or -1 for a syntax error or (permessage-deflate only) a bad
 * parameter; the cursor is then anywhere inside the element. */
static int parse_element(struct ext_cur *c, bool *is_pmd, struct pmd_params *p)
{
	const char *name;
	size_t nl = cur_token(c, &name);
	*is_pmd = nl == sizeof(PMD_NAME) - 1 && memcmp(name, PMD_NAME, nl) == 0;
	if (nl == 0)
		return -1;
	params_default(p);
	for (;;) {
		cur_skip_ows(c);
		if (c->pos >= c->len || cur_at(c, ','))
			return 0;
		if (!cur_at(c, ';'))
			return -1;
		c->pos++;
		cur_skip_ows(c);
		const char *pname;
		size_t pl = cur_token(c, &pname);
		if (pl == 0)
			return -1;
		cur_skip_ows(c);
		char val[64];
		bool has_val = false;
		if (cur_at(c, '=')) {
			c->pos++;
			cur_skip_ows(c);
			if (cur_value(c, val, sizeof(val)) < 0)
				return -1;
			has_val = true;
		}
		if (*is_pmd && pmd_param(p, pname, pl, has_val ? val : NULL))
			return -1;
	}
}

int pmd_parse(const char *value, size_t len, struct pmd_params *p)
{
	struct ext_cur c = {value, len, 0};
	bool saw_bad = false;
	for (;;) {
		cur_skip_ows(&c);
		if (c.pos >= c.len)
			break;
		if (cur_at(&c, ',')) { /* an empty list element */
			c.pos++;
			continue;
		}
		bool is_pmd;
		struct pmd_params tmp;
		size_t start = c.pos;
		if (parse_element(&c, &is_pmd, &tmp) < 0) {
			/* Decline it and go on with the next element,
			 * skipping from its start so quotes pair up. */
			saw_bad = saw_bad || is_pmd;
			c.pos = start;
			cur_skip_element(&c);
			continue;
		}
		if (is_pmd) {
			*p = tmp;
			return 1;
		}
	}
	return saw_bad ? PROTO_E_PMD : 0;
}

int pmd_answer(const struct pmd_params *offer, struct pmd_params *agreed,
	       char *out, size_t outlen)
{
	struct pmd_params a;
	params_default(&a);
	a.server_no_context_takeover = offer->server_no_context_takeover;
	a.client_no_context_takeover = offer->client_no_context_takeover;
	if (offer->server_max_window_bits_set) {
		a.server_max_window_bits = offer->server_max_window_bits;
		a.server_max_window_bits_set = true;
	}
	/* Tomcat answers client_max_window_bits=15 to the bare parameter
	 * (Java's Deflater has a fixed 32 KiB window) and echoes a value. */
	if (offer->client_max_window_bits_set) {
		a.client_max_window_bits = offer->client_max_window_bits;
		a.client_max_window_bits_set = true;
	} else if (offer->client_max_window_bits_offered) {
		a.client_max_window_bits = 15;
		a.client_max_window_bits_set = true;
	}

	/* Tomcat's order (PerMessageDeflate.getNegotiatedResponse). */
	char sbits[32] = "", cbits[32] = "";
	if (a.server_max_window_bits_set)
		snprintf(sbits, sizeof(sbits), ";server_max_window_bits=%d",
			 a.server_max_window_bits);
	if (a.client_max_window_bits_set)
		snprintf(cbits, sizeof(cbits), ";client_max_window_bits=%d",
			 a.client_max_window_bits);
	int n = snprintf(
	    out, outlen, "%s%s%s%s%s", PMD_NAME,
	    a.server_no_context_takeover ? ";server_no_context_takeover" : "",
	    sbits,
	    a.client_no_context_takeover ? ";client_no_context_takeover" : "",
	    cbits);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return PROTO_E_RANGE;
	}
	*agreed = a;
	return n;
}

const char *pmd_default_offer(void)
{
	return PMD_NAME "; client_max_window_bits";
}

bool pmd_answer_acceptable(const struct pmd_params *answer)
{
	/* Our offer allows every window size and both no_context_takeover
	 * parameters; only a valueless client_max_window_bits is not a
	 * valid answer (RFC 7692 section 7.1.2.2). */
	return !answer->client_max_window_bits_offered;
}

/* ---- compression ------------------------------------------------------ */

static bool params_valid(const struct pmd_params *p)
{
	return p->server_max_window_bits >= 8 &&
	       p->server_max_window_bits <= 15 &&
	       p->client_max_window_bits >= 8 &&
	       p->client_max_window_bits <= 15;
}

int pmd_init(struct pmd_ctx *c, const struct pmd_params *agreed, bool is_server,
	     uint64_t max_inflated)
{
	memset(c, 0, sizeof(*c));
	if (!params_valid(agreed))
		return PROTO_E_PMD;
	c->params = *agreed;
	c->is_server = is_server;
	c->max_inflated = max_inflated;
	/* The zlib streams are set up on first use: a connection that never
	 * sends (or never receives) a compressed message does not pay for a
	 * deflate state of a few hundred KiB. */
	return 0;
}

void pmd_free(struct pmd_ctx *c)
{
	if (c->deflate_ready)
		deflateEnd(&c->deflate);
	if (c->inflate_ready)
		inflateEnd(&c->inflate);
	c->deflate_ready = c->inflate_ready = false;
}

/* Whose parameters govern each direction: the sender's window and the
 * sender's no_context_takeover. */
static int own_bits(const struct pmd_ctx *c)
{
	return c->is_server ? c->params.server_max_window_bits
			    : c->params.client_max_window_bits;
}

static int peer_bits(const struct pmd_ctx *c)
{
	return c->is_server ? c->params.client_max_window_bits
			    : c->params.server_max_window_bits;
}

static bool own_no_takeover(const struct pmd_ctx *c)
{
	return c->is_server ? c->params.server_no_context_takeover
			    : c->params.client_no_context_takeover;
}

static bool peer_no_takeover(const struct pmd_ctx *c)
{
	return c->is_server ? c->params.client_no_context_takeover
			    : c->params.server_no_context_takeover;
}

static int zerr(int zrc)
{
	return zrc == Z_MEM_ERROR ? PROTO_E_NOMEM : PROTO_E_PMD;
}

static size_t step_for(size_t in_left)
{
	size_t step = in_left * 4;
	if (step < PMD_STEP_MIN)
		step = PMD_STEP_MIN;
	if (step > PMD_STEP_MAX)
		step = PMD_STEP_MAX;
	return step;
}

/* Bytes fed to zlib at once: its counters are uInt. */
static uInt chunk_of(size_t n)
{
	return n > UINT_MAX ? UINT_MAX : (uInt)n;
}

static int inflate_ready(struct pmd_ctx *c)
{
	if (c->inflate_ready)
		return 0;
	memset(&c->inflate, 0, sizeof(c->inflate));
	/* inflate takes a 256-byte window (8) as it is, unlike deflate. */
	int zrc = inflateInit2(&c->inflate, -peer_bits(c));
	if (zrc != Z_OK)
		return zerr(zrc);
	c->inflate_ready = true;
	return 0;
}

/* Start a new deflate stream after a block with BFINAL set, keeping the
 * sliding window: RFC 7692 section 7.2.1 lets more blocks follow, and
 * they (or the next message, with context takeover) may refer back. */
static int inflate_restart(struct pmd_ctx *c)
{
	Bytef *win = malloc(32768);
	if (!win)
		return PROTO_E_NOMEM;
	uInt n = 0;
	int zrc = inflateGetDictionary(&c->inflate, win, &n);
	if (zrc == Z_OK)
		zrc = inflateReset(&c->inflate);
	if (zrc == Z_OK && n > 0)
		zrc = inflateSetDictionary(&c->inflate, win, n);
	free(win);
	return zrc == Z_OK ? 0 : zerr(zrc);
}

/* Where the inflater stands after a feed. */
struct feed_end {
	int last_rc;   /* Z_STREAM_END: the final block ended the input */
	bool boundary; /* between two blocks */
};

/* Inflate in[0..len) into out, counting the bytes added in *produced.
 * A stream left at Z_STREAM_END (no input after its final block) is
 * restarted only when more input comes. */
static int inflate_feed(struct pmd_ctx *c, const uint8_t *in, size_t len,
			struct proto_buf *out, size_t *produced,
			struct feed_end *end)
{
	z_stream *z = &c->inflate;
	z->next_in = (Bytef *)in;
	z->avail_in = chunk_of(len);
	size_t rest = len - z->avail_in;
	for (;;) {
		if (z->avail_in == 0 && rest > 0) {
			z->avail_in = chunk_of(rest);
			rest -= z->avail_in;
		}
		size_t room = step_for(z->avail_in);
		if (c->max_inflated) {
			/* One byte past the limit is enough to see it
			 * crossed; never inflate a bomb further. */
			uint64_t budget = c->max_inflated - c->inflated + 1;
			if (room > budget)
				room = (size_t)budget;
		}
		uint8_t *dst = proto_buf_reserve(out, room);
		if (!dst)
			return PROTO_E_NOMEM;
		z->next_out = dst;
		z->avail_out = (uInt)room;
		uInt in_before = z->avail_in;
		int zrc = inflate(z, Z_SYNC_FLUSH);
		size_t got = room - z->avail_out;
		proto_buf_commit(out, got);
		*produced += got;
		c->inflated += got;
		end->last_rc = zrc;
		/* zlib adds 128 to data_type when it stops between blocks.
		 * A call that moved nothing says nothing new (it even turns
		 * that state into another on entry), so keep the last word. */
		if (got > 0 || z->avail_in != in_before)
			end->boundary = (z->data_type & 128) != 0;
		if (c->max_inflated && c->inflated > c->max_inflated)
			return PROTO_E_WS_TOO_BIG;
		bool more_in = z->avail_in > 0 || rest > 0;
		if (zrc == Z_STREAM_END) {
			if (!more_in)
				return 0;
			int r = inflate_restart(c);
			if (r < 0)
				return r;
			continue;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return zerr(zrc); /* Z_DATA_ERROR, Z_NEED_DICT, ... */
		if (z->avail_out == 0)
			continue; /* there may be more output */
		if (!more_in)
			return 0;
		if (zrc == Z_BUF_ERROR)
			return PROTO_E_PMD; /* no progress with input left */
	}
}

/* Whether the inflater sits just after a block with BFINAL set. */
static bool inflate_at_stream_end(struct pmd_ctx *c)
{
	Bytef none;
	z_stream *z = &c->inflate;
	z->next_in = NULL;
	z->avail_in = 0;
	z->next_out = &none;
	z->avail_out = 0;
	return inflate(z, Z_SYNC_FLUSH) == Z_STREAM_END;
}

int pmd_inflate(struct pmd_ctx *c, const uint8_t *in, size_t len, bool fin,
		struct proto_buf *out)
{
	int r = inflate_ready(c);
	if (r < 0)
		return r;
	size_t produced = 0;
	struct feed_end end = {Z_OK, false};
	r = inflate_feed(c, in, len, out, &produced, &end);
	if (r == 0 && fin) {
		if (inflate_at_stream_end(c)) {
			/* The message ended with its final block and
			 * without the empty stored block 7.2.1 asks for;
			 * the tail would start a block that never ends. */
			end.last_rc = Z_STREAM_END;
		} else {
			r = inflate_feed(c, pmd_tail, sizeof(pmd_tail), out,
					 &produced, &end);
			/* A whole message ends between blocks or after a
			 * final block; anything else was cut short. */
			if (r == 0 && end.last_rc != Z_STREAM_END &&
			    !end.boundary)
				r = PROTO_E_PMD;
		}
	}
	if (r < 0) {
		/* Drop this call's output and start afresh, so the context
		 * stays usable (without its window) after an error. */
		out->len -= produced;
		inflateReset(&c->inflate);
		c->inflated = 0;
		return r;
	}
	if (fin) {
		c->inflated = 0;
		int zrc = Z_OK;
		if (peer_no_takeover(c))
			zrc = inflateReset(&c->inflate);
		else if (end.last_rc == Z_STREAM_END)
			r = inflate_restart(c);
		if (zrc != Z_OK)
			r = zerr(zrc);
	}
	return r;
}

static int deflate_ready(struct pmd_ctx *c)
{
	if (c->deflate_ready)
		return 0;
	memset(&c->deflate, 0, sizeof(c->deflate));
	/* zlib (since 1.2.9) refuses a raw deflate stream with a 256-byte
	 * window (windowBits 8), so an agreed 8 deflates with 9. That stays
	 * within the agreement: zlib's deflate never emits a distance past
	 * its window size less MIN_LOOKAHEAD (262 bytes), so with 512 bytes
	 * the farthest reference is 250 back, inside the 256-byte window
	 * the peer inflates with. Inflating with 8 works as it is. */
	int bits = own_bits(c);
	if (bits < 9)
		bits = 9;
	int zrc = deflateInit2(&c->deflate, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
			       -bits, 8, Z_DEFAULT_STRATEGY);
	if (zrc != Z_OK)
		return zerr(zrc);
	c->deflate_ready = true;
	return 0;
}

int pmd_deflate(struct pmd_ctx *c, const uint8_t *in, size_t len, bool fin,
		struct proto_buf *out)
{
	int r = deflate_ready(c);
	if (r < 0)
		return r;
	size_t produced = 0;
	z_stream *z = &c->deflate;
	/* Nothing to flush: each earlier piece ended with a sync flush. */
	if (len > 0) {
		z->next_in = (Bytef *)in;
		z->avail_in = chunk_of(len);
		size_t rest = len - z->avail_in;
		for (;;) {
			if (z->avail_in == 0 && rest > 0) {
				z->avail_in = chunk_of(rest);
				rest -= z->avail_in;
			}
			int flush = rest > 0 ? Z_NO_FLUSH : Z_SYNC_FLUSH;
			/* More than 6 bytes, so a flush marker is never
			 * cut (zlib's manual, on Z_SYNC_FLUSH). */
			size_t room = step_for(z->avail_in / 2 + 64);
			uint8_t *dst = proto_buf_reserve(out, room);
			if (!dst) {
				r = PROTO_E_NOMEM;
				break;
			}
			z->next_out = dst;
			z->avail_out = (uInt)room;
			int zrc = deflate(z, flush);
			size_t got = room - z->avail_out;
			proto_buf_commit(out, got);
			produced += got;
			if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
				r = zerr(zrc);
				break;
			}
			if (z->avail_out == 0 || z->avail_in > 0 || rest > 0)
				continue;
			break;
		}
	}
	if (r < 0) {
		out->len -= produced;
		deflateReset(z);
		return r;
	}
	if (!fin)
		return 0;
	if (produced >= sizeof(pmd_tail) &&
	    memcmp(out->data + out->len - sizeof(pmd_tail), pmd_tail,
		   sizeof(pmd_tail)) == 0) {
		out->len -= sizeof(pmd_tail);
		produced -= sizeof(pmd_tail);
	}
	/* An empty message, or an empty last piece: the header of an empty
	 * stored block that the peer's 00 00 ff ff completes (7.2.3.6). */
	if (produced == 0) {
		r = proto_buf_append_u8(out, 0x00);
		if (r < 0)
			return r;
	}
	if (own_no_takeover(c) && deflateReset(z) != Z_OK)
		return PROTO_E_PMD;
	return 0;
}
