/* The hello reader of cap_tls_hello.h: a bounds-checked cursor over the
 * body, the fixed fields, and the extensions both callers use
 * (server_name, supported_versions, early_data). What to do with the
 * facts (keys, a session's summary) is the callers'. */
#include "cap_tls_hello.h"

#include <string.h>

#include "cap_tls.h"

/* A cursor that goes bad, and stays bad, at the first read past its
 * end. */
struct rd {
	const uint8_t *p;
	size_t n, i;
	bool bad;
};

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	if (r->bad || r->n - r->i < n) {
		r->bad = true;
		return NULL;
	}
	r->i += n;
	return r->p + r->i - n;
}

static unsigned rd_u8(struct rd *r)
{
	const uint8_t *p = rd_take(r, 1);
	return p ? p[0] : 0;
}

static unsigned rd_u16(struct rd *r)
{
	const uint8_t *p = rd_take(r, 2);
	return p ? (unsigned)(p[0] << 8 | p[1]) : 0;
}

/* A cursor over the length-prefixed vector (len_bytes 1 or 2) at r. One
 * that runs past r's end is cut to it and r goes bad: what is there of it
 * can be read, nothing after it. */
static struct rd rd_vec(struct rd *r, int len_bytes)
{
	size_t n = len_bytes == 1 ? rd_u8(r) : rd_u16(r);
	struct rd s = {NULL, 0, 0, true};
	if (r->bad)
		return s;
	if (n > r->n - r->i) {
		n = r->n - r->i;
		r->bad = true;
	}
	s = (struct rd){r->p + r->i, n, 0, false};
	r->i += n;
	return s;
}

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool is_grease(unsigned v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* server_name (RFC 6066 3): the first host_name. False when malformed. */
static bool server_name(struct rd x, struct cap_tls_hello *h)
{
	struct rd l = rd_vec(&x, 2);
	while (!l.bad && l.i < l.n) {
		unsigned type = rd_u8(&l);
		struct rd name = rd_vec(&l, 2);
		if (type == 0 && !l.bad && !h->sni) {
			h->sni = name.p;
			h->sni_len = name.n;
		}
	}
	return !x.bad && !l.bad;
}

/* supported_versions (RFC 8446 4.2.1): the client's list, or the server's
 * one version. False when malformed. */
static bool versions(struct rd x, bool client, struct cap_tls_hello *h)
{
	if (!client) {
		if (x.n != 2)
			return false;
		h->selected = (uint16_t)rd_u16(&x);
		h->has_versions = true;
		return true;
	}
	h->has_versions = true;
	struct rd l = rd_vec(&x, 1);
	while (l.n - l.i >= 2) {
		unsigned v = rd_u16(&l);
		if (!is_grease(v) && h->noffered < CAP_TLS_HELLO_VERSIONS)
			h->offered[h->noffered++] = (uint16_t)v;
	}
	return !x.bad;
}

/* The extensions at r, up to the first one cut short. Only the first of
 * each kind counts. False when cut short or malformed. */
static bool extensions(struct rd *r, bool client, struct cap_tls_hello *h)
{
	bool ok = true;
	struct rd ex = rd_vec(r, 2);
	while (ex.i < ex.n) {
		unsigned type = rd_u16(&ex);
		struct rd x = rd_vec(&ex, 2);
		if (ex.bad)
			break;
		if (type == 0 && client) /* a server's is empty */
			ok = server_name(x, h) && ok;
		else if (type == 43 && !h->has_versions)
			ok = versions(x, client, h) && ok;
		else if (type == 42 && client)
			h->early_data = true;
	}
	return ok && !ex.bad && !r->bad;
}

int cap_tls_hello_parse(bool client, const uint8_t *body, size_t n,
			struct cap_tls_hello *h)
{
	struct rd r = {body, n, 0, false};
	memset(h, 0, sizeof(*h));
	h->legacy_version = (uint16_t)rd_u16(&r);
	h->selected = h->legacy_version;
	h->random = rd_take(&r, 32);
	rd_vec(&r, 1); /* legacy_session_id */
	if (client) {
		rd_vec(&r, 2); /* cipher_suites */
		rd_vec(&r, 1); /* legacy_compression_methods */
	} else {
		const uint8_t *s = rd_take(&r, 2);
		if (s) {
			h->has_suite = true;
			h->suite = (uint16_t)(s[0] << 8 | s[1]);
		}
		rd_u8(&r); /* legacy_compression_method */
	}
	h->fixed = !r.bad;
	bool ok = h->fixed;
	if (h->fixed && r.i < r.n) /* extensions are optional */
		ok = extensions(&r, client, h);
	if (client && h->fixed && !h->has_versions) {
		h->offered[0] = h->legacy_version;
		h->noffered = 1;
	}
	return ok ? 0 : CAP_TLS_E_HANDSHAKE;
}
