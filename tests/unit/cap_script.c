/* The scripted connection of cap_script.h. */
#include "cap_script.h"

#include <check.h>
#include <string.h>

#include "ws_frame.h"

void script_init(struct script *sc, uint64_t id, uint16_t cport, uint16_t sport)
{
	memset(sc, 0, sizeof(*sc));
	sc->id = id;
	sc->client = (struct cap_endpoint){4, {127, 0, 0, 1}, cport};
	sc->server = (struct cap_endpoint){4, {127, 0, 0, 1}, sport};
	sc->server_fin = true;
}

static struct seg *seg_new(struct script *sc, enum cap_dir dir, uint64_t ts)
{
	ck_assert_uint_lt(sc->n, SCRIPT_MAX_SEGS);
	struct seg *g = &sc->s[sc->n++];
	memset(g, 0, sizeof(*g));
	g->dir = dir;
	g->ts = ts;
	proto_buf_init(&g->b);
	return g;
}

struct proto_buf *seg_add(struct script *sc, enum cap_dir dir, uint64_t ts)
{
	return &seg_new(sc, dir, ts)->b;
}

void seg_str(struct script *sc, enum cap_dir dir, uint64_t ts, const char *s)
{
	proto_buf_append_str(seg_add(sc, dir, ts), s);
}

void seg_client_hello(struct script *sc, uint64_t ts)
{
	static const uint8_t ext_sni[] = {0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c,
					  0x00, 0x00, 0x09, 'l',  'o',	'c',
					  'a',	'l',  'h',  'o',  's',	't'};
	static const uint8_t ext_sv[] = {0x00, 0x2b, 0x00, 0x05, 0x04,
					 0x03, 0x04, 0x03, 0x03};
	struct proto_buf hs = PROTO_BUF_INIT;
	proto_buf_append_u16(&hs, 0x0303);
	for (int i = 0; i < 32; i++)
		proto_buf_append_u8(&hs, (uint8_t)i);
	proto_buf_append_u8(&hs, 0);
	proto_buf_append_u16(&hs, 2);
	proto_buf_append_u16(&hs, 0x1301);
	proto_buf_append_u8(&hs, 1);
	proto_buf_append_u8(&hs, 0);
	proto_buf_append_u16(&hs, sizeof(ext_sni) + sizeof(ext_sv));
	proto_buf_append(&hs, ext_sni, sizeof(ext_sni));
	proto_buf_append(&hs, ext_sv, sizeof(ext_sv));
	struct proto_buf *b = seg_add(sc, CAP_C2S, ts);
	size_t n = proto_buf_size(&hs);
	proto_buf_append_u8(b, 0x16);
	proto_buf_append_u16(b, 0x0301);
	proto_buf_append_u16(b, (uint16_t)(n + 4));
	proto_buf_append_u8(b, 1);
	proto_buf_append_u8(b, 0);
	proto_buf_append_u16(b, (uint16_t)n);
	proto_buf_append(b, proto_buf_head(&hs), n);
	proto_buf_free(&hs);
}

void seg_gap(struct script *sc, enum cap_dir dir, uint64_t ts, uint64_t n)
{
	struct seg *g = seg_new(sc, dir, ts);
	g->gap = true;
	g->gap_len = n;
}

void script_free(struct script *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		proto_buf_free(&sc->s[i].b);
}

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

void script_frame(struct proto_buf *b, bool fin, uint8_t rsv, uint8_t op,
		  bool masked, const void *p, size_t n)
{
	uint8_t h[WS_MAX_HEADER];
	size_t hl =
	    ws_frame_hdr_encode(h, fin, rsv, op, masked ? MASK : NULL, n);
	proto_buf_append(b, h, hl);
	size_t at = b->len;
	proto_buf_append(b, p, n);
	if (masked)
		ws_mask(b->data + at, n, MASK, 0);
}

void script_feed(struct cap_tcp_sink *k, const struct script *sc, int how,
		 size_t split)
{
	struct cap_conn c = {.id = sc->id,
			     .client = sc->client,
			     .server = sc->server,
			     .saw_syn = !sc->no_syn};
	c.first_us = sc->syn_us ? sc->syn_us : sc->n ? sc->s[0].ts : 0;
	k->open(k->ctx, &c);
	uint64_t last = 0;
	if (how == SCRIPT_JOINED) {
		for (int d = 0; d < 2; d++) {
			struct proto_buf all = PROTO_BUF_INIT;
			for (size_t i = 0; i < sc->n; i++)
				if (sc->s[i].dir == (enum cap_dir)d)
					proto_buf_append(
					    &all, proto_buf_head(&sc->s[i].b),
					    proto_buf_size(&sc->s[i].b));
			k->data(k->ctx, &c, (enum cap_dir)d,
				proto_buf_head(&all), proto_buf_size(&all),
				1000 + (uint64_t)d);
			proto_buf_free(&all);
		}
		last = 2000;
	}
	for (size_t i = 0; how != SCRIPT_JOINED && i < sc->n; i++) {
		const struct seg *g = &sc->s[i];
		last = g->ts;
		c.last_us = g->ts;
		if (g->gap) {
			k->gap(k->ctx, &c, g->dir, g->gap_len, g->ts);
			continue;
		}
		const uint8_t *p = proto_buf_head(&g->b);
		size_t n = proto_buf_size(&g->b);
		if (how == SCRIPT_WHOLE) {
			k->data(k->ctx, &c, g->dir, p, n, g->ts);
		} else if (how == SCRIPT_SPLIT) {
			size_t at = split < n ? split : n;
			k->data(k->ctx, &c, g->dir, p, at, g->ts);
			k->data(k->ctx, &c, g->dir, p + at, n - at, g->ts);
		} else {
			for (size_t j = 0; j < n; j++)
				k->data(k->ctx, &c, g->dir, p + j, 1, g->ts);
		}
	}
	k->end(k->ctx, &c, CAP_C2S, CAP_END_FIN, last);
	if (sc->server_fin)
		k->end(k->ctx, &c, CAP_S2C, CAP_END_FIN, last);
	if (sc->tls && k->tls)
		k->tls(k->ctx, &c, sc->tls);
	k->close(k->ctx, &c);
}

char *sessions_written(struct cap_sessions *s,
		       int (*write)(struct cap_sessions *, FILE *))
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(write(s, f), 0);
	fclose(f);
	return out;
}
