/* Unit tests for pmd: RFC 7692 permessage-deflate negotiation and
 * compression. The section 7.2.3 examples live in tests/data/pmd/, one
 * case a file:
 *   # comment
 *   mode both|inflate   (both: deflating each plain text gives the
 *                        message byte for byte; inflate: only inflate)
 *   message HEX...      (one compressed message, as sent)
 *   plain TEXT          (what it inflates to; the rest of the line)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "pmd.h"
#include "proto_buf.h"
#include "proto_err.h"

/* ---- helpers ------------------------------------------------------- */

static struct pmd_params defaults(void)
{
	struct pmd_params p;
	memset(&p, 0, sizeof(p));
	p.server_max_window_bits = 15;
	p.client_max_window_bits = 15;
	return p;
}

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static uint8_t *random_bytes(size_t n, uint64_t seed)
{
	rng_state = seed;
	uint8_t *p = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
	return p;
}

/* English-like text: words from a small list, so it compresses. */
static uint8_t *text_bytes(size_t n, uint64_t seed)
{
	static const char *const words[] = {
	    "the",    "proxy",	 "upgrade", "websocket", "frame",
	    "tomcat", "apache",	 "deflate", "window",	 "context",
	    "close",  "message", "ajp",	    "connector", "echo",
	    "a",      "of",	 "and",	    "browser",	 "handshake"};
	rng_state = seed;
	uint8_t *p = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(p);
	size_t i = 0;
	while (i < n) {
		const char *w = words[rng() % (sizeof(words) / sizeof(*words))];
		for (size_t k = 0; w[k] && i < n; k++)
			p[i++] = (uint8_t)w[k];
		if (i < n)
			p[i++] = rng() % 11 == 0 ? '\n' : ' ';
	}
	return p;
}

/* Deflate msg[0..n) as one message in pieces of `piece` bytes (the last
 * piece has fin), appending the compressed message to z. With
 * empty_fin the last data piece goes without fin and an empty piece
 * ends the message. */
static void deflate_msg(struct pmd_ctx *c, const uint8_t *msg, size_t n,
			size_t piece, bool empty_fin, struct proto_buf *z)
{
	size_t off = 0;
	do {
		size_t take = n - off < piece ? n - off : piece;
		bool fin = off + take == n && !empty_fin;
		ck_assert_int_eq(pmd_deflate(c, msg + off, take, fin, z), 0);
		off += take;
	} while (off < n);
	if (empty_fin)
		ck_assert_int_eq(pmd_deflate(c, NULL, 0, true, z), 0);
}

/* Inflate z[0..n) as one message in pieces of `piece` bytes; returns the
 * first error or 0. */
static int inflate_msg(struct pmd_ctx *c, const uint8_t *z, size_t n,
		       size_t piece, struct proto_buf *out)
{
	size_t off = 0;
	for (;;) {
		size_t take = n - off < piece ? n - off : piece;
		bool fin = off + take == n;
		int r = pmd_inflate(c, z + off, take, fin, out);
		if (r < 0 || fin)
			return r;
		off += take;
	}
}

static int inflate_hex_msg(struct pmd_ctx *c, const char *hex,
			   struct proto_buf *out)
{
	uint8_t z[256];
	size_t n = 0;
	for (const char *s = hex; *s;) {
		if (*s == ' ') {
			s++;
			continue;
		}
		unsigned v;
		ck_assert_int_eq(sscanf(s, "%2x", &v), 1);
		ck_assert_uint_lt(n, sizeof(z));
		z[n++] = (uint8_t)v;
		s += 2;
	}
	return pmd_inflate(c, z, n, true, out);
}

/* ---- RFC 7692 section 7.2.3 vectors from tests/data/pmd/ ---------- */

struct vec_msg {
	uint8_t z[64];
	size_t zlen;
	char plain[64];
};

struct vec {
	bool both;
	size_t n;
	struct vec_msg m[4];
};

static const char *const vec_files[] = {
    "rfc7692_7_2_3_1_hello.txt",      "rfc7692_7_2_3_2_takeover.txt",
    "rfc7692_7_2_3_3_stored.txt",     "rfc7692_7_2_3_4_bfinal.txt",
    "rfc7692_7_2_3_5_two_blocks.txt", "rfc7692_7_2_3_6_empty.txt"};
#define NVEC (sizeof(vec_files) / sizeof(*vec_files))

static void vec_load(const char *name, struct vec *v)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/pmd/%s", WSSIM_TEST_DATA, name);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	memset(v, 0, sizeof(*v));
	bool have_mode = false;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strcmp(line, "mode both") == 0 ||
		    strcmp(line, "mode inflate") == 0) {
			v->both = line[5] == 'b';
			have_mode = true;
		} else if (strncmp(line, "message ", 8) == 0) {
			ck_assert_uint_lt(v->n, 4);
			struct vec_msg *m = &v->m[v->n++];
			for (const char *s = line + 8; *s;) {
				if (*s == ' ') {
					s++;
					continue;
				}
				unsigned b;
				ck_assert_msg(sscanf(s, "%2x", &b) == 1,
					      "%s: bad hex", path);
				ck_assert_uint_lt(m->zlen, sizeof(m->z));
				m->z[m->zlen++] = (uint8_t)b;
				s += 2;
			}
		} else if (strncmp(line, "plain", 5) == 0 &&
			   (line[5] == ' ' || line[5] == '\0')) {
			ck_assert_uint_gt(v->n, 0);
			const char *t = line[5] ? line + 6 : "";
			ck_assert_uint_lt(strlen(t), sizeof(v->m[0].plain));
			strcpy(v->m[v->n - 1].plain, t);
		} else {
			ck_abort_msg("%s: unknown line '%s'", path, line);
		}
	}
	fclose(f);
	ck_assert_msg(have_mode && v->n > 0, "%s: incomplete", path);
}

START_TEST(rfc_vectors_inflate)
{
	for (size_t i = 0; i < NVEC; i++) {
		struct vec v;
		vec_load(vec_files[i], &v);
		struct pmd_params p = defaults();
		struct pmd_ctx c;
		ck_assert_int_eq(pmd_init(&c, &p, true, 0), 0);
		for (size_t k = 0; k < v.n; k++) {
			struct proto_buf out = PROTO_BUF_INIT;
			ck_assert_int_eq(
			    pmd_inflate(&c, v.m[k].z, v.m[k].zlen, true, &out),
			    0);
			ck_assert_uint_eq(proto_buf_size(&out),
					  strlen(v.m[k].plain));
			if (proto_buf_size(&out))
				ck_assert_mem_eq(proto_buf_head(&out),
						 v.m[k].plain,
						 strlen(v.m[k].plain));
			proto_buf_free(&out);
		}
		pmd_free(&c);
	}
}
END_TEST

START_TEST(rfc_vectors_deflate)
{
	int checked = 0;
	for (size_t i = 0; i < NVEC; i++) {
		struct vec v;
		vec_load(vec_files[i], &v);
		if (!v.both)
			continue;
		struct pmd_params p = defaults();
		struct pmd_ctx c;
		ck_assert_int_eq(pmd_init(&c, &p, true, 0), 0);
		for (size_t k = 0; k < v.n; k++) {
			struct proto_buf z = PROTO_BUF_INIT;
			ck_assert_int_eq(
			    pmd_deflate(&c, (const uint8_t *)v.m[k].plain,
					strlen(v.m[k].plain), true, &z),
			    0);
			ck_assert_uint_eq(proto_buf_size(&z), v.m[k].zlen);
			ck_assert_mem_eq(proto_buf_head(&z), v.m[k].z,
					 v.m[k].zlen);
			proto_buf_free(&z);
			checked++;
		}
		pmd_free(&c);
	}
	ck_assert_int_eq(checked, 4); /* 7.2.3.1, 7.2.3.2 (two), 7.2.3.6 */
}
END_TEST

/* Every message of every vector split in two at every offset, and fed
 * one byte at a time with fin on an empty last piece. */
START_TEST(rfc_vectors_split)
{
	for (size_t i = 0; i < NVEC; i++) {
		struct vec v;
		vec_load(vec_files[i], &v);
		size_t maxlen = 0;
		for (size_t k = 0; k < v.n; k++)
			if (v.m[k].zlen > maxlen)
				maxlen = v.m[k].zlen;
		for (size_t cut = 0; cut <= maxlen + 1; cut++) {
			struct pmd_params p = defaults();
			struct pmd_ctx c;
			ck_assert_int_eq(pmd_init(&c, &p, false, 0), 0);
			for (size_t k = 0; k < v.n; k++) {
				const struct vec_msg *m = &v.m[k];
				struct proto_buf out = PROTO_BUF_INIT;
				if (cut <= maxlen) {
					size_t a =
					    cut < m->zlen ? cut : m->zlen;
					ck_assert_int_eq(pmd_inflate(&c, m->z,
								     a, false,
								     &out),
							 0);
					ck_assert_int_eq(
					    pmd_inflate(&c, m->z + a,
							m->zlen - a, true,
							&out),
					    0);
				} else { /* byte by byte */
					for (size_t b = 0; b < m->zlen; b++)
						ck_assert_int_eq(
						    pmd_inflate(&c, m->z + b, 1,
								false, &out),
						    0);
					ck_assert_int_eq(pmd_inflate(&c, NULL,
								     0, true,
								     &out),
							 0);
				}
				ck_assert_uint_eq(proto_buf_size(&out),
						  strlen(m->plain));
				if (proto_buf_size(&out))
					ck_assert_mem_eq(proto_buf_head(&out),
							 m->plain,
							 strlen(m->plain));
				proto_buf_free(&out);
			}
			pmd_free(&c);
		}
	}
}
END_TEST

/* 7.2.3.6 as the RFC tells it: data of unknown size ends after a
 * fragment was sent, so the last fragment is empty: the single 00. */
START_TEST(empty_last_fragment)
{
	struct pmd_params p = defaults();
	struct pmd_ctx tx, rx;
	ck_assert_int_eq(pmd_init(&tx, &p, true, 0), 0);
	ck_assert_int_eq(pmd_init(&rx, &p, false, 0), 0);
	struct proto_buf f1 = PROTO_BUF_INIT, f2 = PROTO_BUF_INIT;
	ck_assert_int_eq(
	    pmd_deflate(&tx, (const uint8_t *)"Hello", 5, false, &f1), 0);
	const uint8_t want1[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07,
				 0x00, 0x00, 0x00, 0xff, 0xff};
	ck_assert_uint_eq(proto_buf_size(&f1), sizeof(want1));
	ck_assert_mem_eq(proto_buf_head(&f1), want1, sizeof(want1));
	ck_assert_int_eq(pmd_deflate(&tx, NULL, 0, true, &f2), 0);
	ck_assert_uint_eq(proto_buf_size(&f2), 1);
	ck_assert_uint_eq(proto_buf_head(&f2)[0], 0x00);

	struct proto_buf out = PROTO_BUF_INIT;
	ck_assert_int_eq(pmd_inflate(&rx, proto_buf_head(&f1),
				     proto_buf_size(&f1), false, &out),
			 0);
	ck_assert_int_eq(pmd_inflate(&rx, proto_buf_head(&f2),
				     proto_buf_size(&f2), true, &out),
			 0);
	ck_assert_uint_eq(proto_buf_size(&out), 5);
	ck_assert_mem_eq(proto_buf_head(&out), "Hello", 5);

	/* The context carries on: the next "Hello" is 7.2.3.2's second. */
	proto_buf_reset(&f1);
	ck_assert_int_eq(
	    pmd_deflate(&tx, (const uint8_t *)"Hello", 5, true, &f1), 0);
	const uint8_t want2[] = {0xf2, 0x00, 0x11, 0x00, 0x00};
	ck_assert_uint_eq(proto_buf_size(&f1), sizeof(want2));
	ck_assert_mem_eq(proto_buf_head(&f1), want2, sizeof(want2));
	proto_buf_reset(&out);
	ck_assert_int_eq(pmd_inflate(&rx, proto_buf_head(&f1),
				     proto_buf_size(&f1), true, &out),
			 0);
	ck_assert_mem_eq(proto_buf_head(&out), "Hello", 5);
	proto_buf_free(&f1);
	proto_buf_free(&f2);
	proto_buf_free(&out);
	pmd_free(&tx);
	pmd_free(&rx);
}
END_TEST

/* A final block does not end the sliding window (7.2.1): a later
 * message may still refer back across it. */
START_TEST(bfinal_keeps_window)
{
	struct pmd_params p = defaults();
	struct pmd_ctx c;
	ck_assert_int_eq(pmd_init(&c, &p, true, 0), 0);
	struct proto_buf out = PROTO_BUF_INIT;
	/* 7.2.3.4, then 7.2.3.2's back-reference to "Hello". */
	ck_assert_int_eq(inflate_hex_msg(&c, "f3 48 cd c9 c9 07 00 00", &out),
			 0);
	ck_assert_int_eq(inflate_hex_msg(&c, "f2 00 11 00 00", &out), 0);
	ck_assert_uint_eq(proto_buf_size(&out), 10);
	ck_assert_mem_eq(proto_buf_head(&out), "HelloHello", 10);
	/* A message that ends right at its final block (zlib's Z_FINISH
	 * output, without 7.2.1's empty stored block) is whole too, and
	 * the window still carries on. */
	ck_assert_int_eq(inflate_hex_msg(&c, "f3 48 cd c9 c9 07 00", &out), 0);
	ck_assert_int_eq(inflate_hex_msg(&c, "f2 00 11 00 00", &out), 0);
	ck_assert_uint_eq(proto_buf_size(&out), 20);
	ck_assert_mem_eq(proto_buf_head(&out), "HelloHelloHelloHello", 20);
	/* Blocks after a final block in one message: "Hello" (BFINAL),
	 * then "He" and "llo" as in 7.2.3.5. */
	ck_assert_int_eq(inflate_hex_msg(&c,
					 "f3 48 cd c9 c9 07 00 f2 48 05 00 00 "
					 "00 ff ff ca c9 c9 07 00",
					 &out),
			 0);
	ck_assert_uint_eq(proto_buf_size(&out), 30);
	ck_assert_mem_eq(proto_buf_head(&out) + 20, "HelloHello", 10);
	proto_buf_free(&out);
	pmd_free(&c);
}
END_TEST

/* ---- round trips ---------------------------------------------------- */

/* Send `nmsg` messages from one end to the other with `agreed`, the
 * sender deflating in pieces of dpiece, the receiver inflating the
 * compressed message re-cut into pieces of ipiece (0: exactly the
 * pieces the sender produced, as frames would carry them). Returns the
 * compressed sizes in zsizes. */
static void transfer(const struct pmd_params *agreed, bool server_sends,
		     uint8_t *const *msgs, const size_t *lens, size_t nmsg,
		     size_t dpiece, size_t ipiece, size_t *zsizes)
{
	struct pmd_ctx tx, rx;
	ck_assert_int_eq(pmd_init(&tx, agreed, server_sends, 0), 0);
	ck_assert_int_eq(pmd_init(&rx, agreed, !server_sends, 0), 0);
	for (size_t m = 0; m < nmsg; m++) {
		struct proto_buf z = PROTO_BUF_INIT, out = PROTO_BUF_INIT;
		if (ipiece) {
			deflate_msg(&tx, msgs[m], lens[m], dpiece, m % 3 == 2,
				    &z);
			ck_assert_int_eq(inflate_msg(&rx, proto_buf_head(&z),
						     proto_buf_size(&z), ipiece,
						     &out),
					 0);
		} else {
			size_t off = 0;
			do {
				size_t take = lens[m] - off < dpiece
						  ? lens[m] - off
						  : dpiece;
				bool fin = off + take == lens[m];
				size_t before = proto_buf_size(&z);
				ck_assert_int_eq(pmd_deflate(&tx, msgs[m] + off,
							     take, fin, &z),
						 0);
				ck_assert_int_eq(
				    pmd_inflate(
					&rx, proto_buf_head(&z) + before,
					proto_buf_size(&z) - before, fin, &out),
				    0);
				off += take;
			} while (off < lens[m]);
		}
		ck_assert_uint_eq(proto_buf_size(&out), lens[m]);
		if (lens[m])
			ck_assert_mem_eq(proto_buf_head(&out), msgs[m],
					 lens[m]);
		if (zsizes)
			zsizes[m] = proto_buf_size(&z);
		proto_buf_free(&z);
		proto_buf_free(&out);
	}
	pmd_free(&tx);
	pmd_free(&rx);
}

START_TEST(roundtrip_text_and_random)
{
	/* Small, 64 KiB (the mock's 8 x 8192 echo), and past the 32 KiB
	 * window several times over; an empty message among them. */
	const size_t sizes[] = {5, 8192, 65536, 0, 200000, 1, 70001};
	enum { N = sizeof(sizes) / sizeof(*sizes) };
	uint8_t *text[N], *rnd[N];
	size_t lens[N];
	for (size_t i = 0; i < N; i++) {
		lens[i] = sizes[i];
		text[i] = text_bytes(sizes[i], 1000 + i);
		rnd[i] = random_bytes(sizes[i], 2000 + i);
	}
	const size_t dpieces[] = {1000, 8192, 1 << 20};
	const size_t ipieces[] = {0, 1, 777, 1 << 20};
	for (int takeover = 0; takeover < 2; takeover++) {
		struct pmd_params p = defaults();
		p.server_no_context_takeover = !takeover;
		p.client_no_context_takeover = !takeover;
		for (int dir = 0; dir < 2; dir++) {
			for (size_t d = 0; d < 3; d++) {
				for (size_t k = 0; k < 4; k++) {
					/* byte-by-byte inflate only on
					 * the small pieces: it is slow */
					if (ipieces[k] == 1 && d != 0)
						continue;
					size_t zt[N], zr[N];
					transfer(&p, dir, text, lens, N,
						 dpieces[d], ipieces[k], zt);
					transfer(&p, dir, rnd, lens, N,
						 dpieces[d], ipieces[k], zr);
					/* text compresses, random does not */
					ck_assert_uint_lt(zt[4], 200000 / 2);
					ck_assert_uint_gt(zr[4], 200000 - 100);
				}
			}
		}
	}
	for (size_t i = 0; i < N; i++) {
		free(text[i]);
		free(rnd[i]);
	}
}
END_TEST

/* Context takeover shrinks a repeated message; no_context_takeover
 * makes it compress the same each time, in the direction it names. */
START_TEST(context_takeover_by_role)
{
	uint8_t *t = text_bytes(20000, 7);
	uint8_t *msgs[3] = {t, t, t};
	size_t lens[3] = {20000, 20000, 20000};
	size_t z[3];

	struct pmd_params p = defaults();
	transfer(&p, true, msgs, lens, 3, 20000, 0, z);
	ck_assert_uint_lt(z[1], z[0] / 3);
	ck_assert_uint_lt(z[2], z[0] / 3);

	/* server_no_context_takeover: the server's messages stand alone;
	 * the client's still share their window. */
	p.server_no_context_takeover = true;
	size_t zs[3], zc[3];
	transfer(&p, true, msgs, lens, 3, 20000, 0, zs);
	transfer(&p, false, msgs, lens, 3, 20000, 0, zc);
	ck_assert_uint_eq(zs[1], zs[0]);
	ck_assert_uint_eq(zs[2], zs[0]);
	ck_assert_uint_lt(zc[1], zc[0] / 3);

	p = defaults();
	p.client_no_context_takeover = true;
	transfer(&p, true, msgs, lens, 3, 20000, 0, zs);
	transfer(&p, false, msgs, lens, 3, 20000, 0, zc);
	ck_assert_uint_lt(zs[1], zs[0] / 3);
	ck_assert_uint_eq(zc[1], zc[0]);
	ck_assert_uint_eq(zc[2], zc[0]);
	free(t);
}
END_TEST

/* The receiver drops its window when the peer's no_context_takeover
 * applies: a back-reference into the last message is then corrupt. */
START_TEST(inflate_reset_by_role)
{
	struct pmd_params p = defaults();
	p.client_no_context_takeover = true;
	struct pmd_ctx server, client;
	ck_assert_int_eq(pmd_init(&server, &p, true, 0), 0);
	ck_assert_int_eq(pmd_init(&client, &p, false, 0), 0);
	struct proto_buf out = PROTO_BUF_INIT;
	/* The client promised not to refer back, so 7.2.3.2's second
	 * message is invalid from it... */
	ck_assert_int_eq(inflate_hex_msg(&server, "f2 48 cd c9 c9 07 00", &out),
			 0);
	ck_assert_int_eq(inflate_hex_msg(&server, "f2 00 11 00 00", &out),
			 PROTO_E_PMD);
	/* ...but fine from the server, which promised nothing. */
	ck_assert_int_eq(inflate_hex_msg(&client, "f2 48 cd c9 c9 07 00", &out),
			 0);
	ck_assert_int_eq(inflate_hex_msg(&client, "f2 00 11 00 00", &out), 0);
	ck_assert_uint_eq(proto_buf_size(&out), 15);
	ck_assert_mem_eq(proto_buf_head(&out), "HelloHelloHello", 15);
	proto_buf_free(&out);
	pmd_free(&server);
	pmd_free(&client);
}
END_TEST

/* Window sizes: an agreed 8 deflates with zlib's 9 but never refers
 * further back than 256 bytes, so a peer inflating with 8 copes; and
 * the inflater really uses the agreed window. */
START_TEST(window_bits)
{
	/* 300 random bytes four times: matches only 300 back. */
	uint8_t far[1200];
	uint8_t *r = random_bytes(300, 99);
	for (int i = 0; i < 4; i++)
		memcpy(far + 300 * i, r, 300);
	free(r);
	/* 200 random bytes six times: matches 200 back. */
	uint8_t near[1200];
	r = random_bytes(200, 98);
	for (int i = 0; i < 6; i++)
		memcpy(near + 200 * i, r, 200);
	free(r);
	uint8_t *msgs[2] = {far, near};
	size_t lens[2] = {sizeof(far), sizeof(near)};

	for (int bits = 8; bits <= 15; bits++) {
		struct pmd_params p = defaults();
		p.server_max_window_bits = bits;
		p.client_max_window_bits = bits;
		size_t zs[2], zc[2];
		transfer(&p, true, msgs, lens, 2, 500, 100, zs);
		transfer(&p, false, msgs, lens, 2, 500, 100, zc);
		/* a 256-byte window still finds matches 200 back */
		ck_assert_uint_lt(zs[1], 400);
		ck_assert_uint_lt(zc[1], 400);
		if (bits == 8) /* ...but none 300 back */
			ck_assert_uint_gt(zs[0], 1100);
		if (bits >= 10) /* 1 KiB windows see the repeats */
			ck_assert_uint_lt(zs[0], 500);
	}

	/* A server deflating with 15 against a client that agreed to 8:
	 * the client keeps a 256-byte window, so a second message that
	 * refers 300 bytes back into the first must be refused. (zlib
	 * checks distances against the window only for history from
	 * earlier calls, so this is seen across messages.) With 9 the
	 * window holds 512 bytes and the same messages inflate. */
	for (int bits = 8; bits <= 9; bits++) {
		struct pmd_params big = defaults(), small = defaults();
		small.server_max_window_bits = bits;
		struct pmd_ctx tx, rx;
		ck_assert_int_eq(pmd_init(&tx, &big, true, 0), 0);
		ck_assert_int_eq(pmd_init(&rx, &small, false, 0), 0);
		struct proto_buf z = PROTO_BUF_INIT, out = PROTO_BUF_INIT;
		ck_assert_int_eq(pmd_deflate(&tx, far, 300, true, &z), 0);
		ck_assert_int_eq(pmd_inflate(&rx, proto_buf_head(&z),
					     proto_buf_size(&z), true, &out),
				 0);
		ck_assert_uint_eq(proto_buf_size(&out), 300);
		proto_buf_reset(&z);
		ck_assert_int_eq(pmd_deflate(&tx, far, 300, true, &z), 0);
		ck_assert_uint_lt(proto_buf_size(&z), 20);
		int rc = pmd_inflate(&rx, proto_buf_head(&z),
				     proto_buf_size(&z), true, &out);
		if (bits == 8) {
			ck_assert_int_eq(rc, PROTO_E_PMD);
			ck_assert_uint_eq(proto_buf_size(&out), 300);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(proto_buf_size(&out), 600);
			ck_assert_mem_eq(proto_buf_head(&out) + 300, far, 300);
		}
		proto_buf_free(&z);
		proto_buf_free(&out);
		pmd_free(&tx);
		pmd_free(&rx);
	}
}
END_TEST

/* ---- corrupt data and limits ------------------------------------- */

START_TEST(corrupt_data)
{
	static const char *const bad[] = {
	    "ff",				/* reserved block type 11 */
	    "00 05 00 00 00 48 65 6c 6c 6f 00", /* stored, NLEN != ~LEN */
	    "f2 00 11 00 00",			/* refers before the start */
	    "f2 48 cd c9 c9 07 00 00 00 ff ff", /* the tail left on */
	    "f2 48 cd c9 c9",			/* cut inside the block */
	    "00 05 00 fa ff 48 65 6c",		/* stored block cut short */
	    "fc",				/* dynamic header cut */
	};
	struct pmd_params p = defaults();
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct pmd_ctx c;
		ck_assert_int_eq(pmd_init(&c, &p, true, 0), 0);
		struct proto_buf out = PROTO_BUF_INIT;
		ck_assert_int_eq(proto_buf_append_str(&out, "keep"), 0);
		ck_assert_msg(inflate_hex_msg(&c, bad[i], &out) == PROTO_E_PMD,
			      "%s", bad[i]);
		/* this call's output is dropped, the earlier kept */
		ck_assert_uint_eq(proto_buf_size(&out), 4);
		ck_assert_mem_eq(proto_buf_head(&out), "keep", 4);
		/* and the context works again afterwards */
		ck_assert_int_eq(
		    inflate_hex_msg(&c, "f2 48 cd c9 c9 07 00", &out), 0);
		ck_assert_uint_eq(proto_buf_size(&out), 9);
		ck_assert_mem_eq(proto_buf_head(&out), "keepHello", 9);
		proto_buf_free(&out);
		pmd_free(&c);
	}
}
END_TEST

/* A long text message cut short at many places never inflates to the
 * text. Most cuts are refused; not all can be: the receiver's 00 00 ff
 * ff may itself decode as Huffman codes ending in an end-of-block, and
 * permessage-deflate carries no checksum. */
START_TEST(corrupt_long_message)
{
	uint8_t *t = text_bytes(30000, 5);
	struct pmd_params p = defaults();
	struct pmd_ctx tx;
	ck_assert_int_eq(pmd_init(&tx, &p, true, 0), 0);
	struct proto_buf z = PROTO_BUF_INIT;
	ck_assert_int_eq(pmd_deflate(&tx, t, 30000, true, &z), 0);
	size_t zn = proto_buf_size(&z);
	ck_assert_uint_gt(zn, 1000);
	int failed = 0, cuts = 0;
	for (size_t cut = 1; cut < zn; cut += 97) {
		struct pmd_ctx rx;
		ck_assert_int_eq(pmd_init(&rx, &p, false, 0), 0);
		struct proto_buf out = PROTO_BUF_INIT;
		int r =
		    pmd_inflate(&rx, proto_buf_head(&z), zn - cut, true, &out);
		cuts++;
		if (r == PROTO_E_PMD) {
			failed++;
			ck_assert_uint_eq(proto_buf_size(&out), 0);
		} else {
			ck_assert_int_eq(r, 0);
			ck_assert(proto_buf_size(&out) != 30000 ||
				  memcmp(proto_buf_head(&out), t, 30000) != 0);
		}
		proto_buf_free(&out);
		pmd_free(&rx);
	}
	ck_assert_int_ge(failed, cuts / 2);
	proto_buf_free(&z);
	pmd_free(&tx);
	free(t);
}
END_TEST

START_TEST(inflate_bomb)
{
	/* 16 MiB of zeros compress to about 16 KiB. */
	size_t n = 16u << 20;
	uint8_t *zeros = calloc(n, 1);
	ck_assert_ptr_nonnull(zeros);
	struct pmd_params p = defaults();
	struct pmd_ctx tx, rx;
	ck_assert_int_eq(pmd_init(&tx, &p, false, 0), 0);
	ck_assert_int_eq(pmd_init(&rx, &p, true, 1u << 20), 0);
	struct proto_buf z = PROTO_BUF_INIT, out = PROTO_BUF_INIT;
	ck_assert_int_eq(pmd_deflate(&tx, zeros, n, true, &z), 0);
	ck_assert_uint_lt(proto_buf_size(&z), 32768);
	/* in one piece: refused, nothing kept, no 16 MiB buffer */
	ck_assert_int_eq(pmd_inflate(&rx, proto_buf_head(&z),
				     proto_buf_size(&z), true, &out),
			 PROTO_E_WS_TOO_BIG);
	ck_assert_uint_eq(proto_buf_size(&out), 0);
	ck_assert_uint_le(out.cap, 2u << 20);
	/* in pieces: the piece that crosses 1 MiB is refused */
	proto_buf_free(&out);
	int r =
	    inflate_msg(&rx, proto_buf_head(&z), proto_buf_size(&z), 512, &out);
	ck_assert_int_eq(r, PROTO_E_WS_TOO_BIG);
	ck_assert_uint_le(proto_buf_size(&out), 1u << 20);
	ck_assert_uint_le(out.cap, 2u << 20);
	/* the next message is counted afresh */
	proto_buf_reset(&out);
	ck_assert_int_eq(inflate_hex_msg(&rx, "f2 48 cd c9 c9 07 00", &out), 0);
	ck_assert_uint_eq(proto_buf_size(&out), 5);
	ck_assert_mem_eq(proto_buf_head(&out), "Hello", 5);
	proto_buf_free(&z);
	proto_buf_free(&out);
	pmd_free(&tx);
	pmd_free(&rx);
	free(zeros);
}
END_TEST

/* max_inflated bounds each message: exactly the limit passes, one byte
 * more does not, whatever came before. */
START_TEST(inflate_limit_exact)
{
	uint8_t *t = text_bytes(4097, 3);
	struct pmd_params p = defaults();
	struct pmd_ctx tx, rx;
	ck_assert_int_eq(pmd_init(&tx, &p, true, 0), 0);
	ck_assert_int_eq(pmd_init(&rx, &p, false, 4096), 0);
	for (int round = 0; round < 3; round++) {
		struct proto_buf z = PROTO_BUF_INIT, out = PROTO_BUF_INIT;
		ck_assert_int_eq(pmd_deflate(&tx, t, 4096, true, &z), 0);
		ck_assert_int_eq(inflate_msg(&rx, proto_buf_head(&z),
					     proto_buf_size(&z), 100, &out),
				 0);
		ck_assert_uint_eq(proto_buf_size(&out), 4096);
		ck_assert_mem_eq(proto_buf_head(&out), t, 4096);
		proto_buf_free(&z);
		proto_buf_free(&out);
	}
	struct proto_buf z = PROTO_BUF_INIT, out = PROTO_BUF_INIT;
	ck_assert_int_eq(pmd_deflate(&tx, t, 4097, true, &z), 0);
	ck_assert_int_eq(pmd_inflate(&rx, proto_buf_head(&z),
				     proto_buf_size(&z), true, &out),
			 PROTO_E_WS_TOO_BIG);
	ck_assert_uint_eq(proto_buf_size(&out), 0);
	proto_buf_free(&z);
	proto_buf_free(&out);
	pmd_free(&tx);
	pmd_free(&rx);
	free(t);
}
END_TEST

/* ---- negotiation --------------------------------------------------- */

struct nego_case {
	const char *offer;
	int parse; /* pmd_parse's result */
	const char *answer;
	/* the agreed parameters */
	int sbits, cbits;
	bool snct, cnct;
};

static const struct nego_case nego_cases[] = {
    /* Chrome, DESIGN.md section 5: Tomcat's answer as measured. */
    {"permessage-deflate; client_max_window_bits", 1,
     "permessage-deflate;client_max_window_bits=15", 15, 15, false, false},
    /* Python websockets 10.4 and node ws 8 offer the same by default
     * (their own offer builders print this string). */
    {"permessage-deflate; client_max_window_bits", 1,
     "permessage-deflate;client_max_window_bits=15", 15, 15, false, false},
    {"permessage-deflate", 1, "permessage-deflate", 15, 15, false, false},
    {"permessage-deflate; server_no_context_takeover", 1,
     "permessage-deflate;server_no_context_takeover", 15, 15, true, false},
    {"permessage-deflate; client_no_context_takeover; "
     "client_max_window_bits",
     1,
     "permessage-deflate;client_no_context_takeover;client_max_window_bits="
     "15",
     15, 15, false, true},
    {"permessage-deflate; server_max_window_bits=10", 1,
     "permessage-deflate;server_max_window_bits=10", 10, 15, false, false},
    {"permessage-deflate; server_max_window_bits=15", 1,
     "permessage-deflate;server_max_window_bits=15", 15, 15, false, false},
    {"permessage-deflate; client_max_window_bits=12; "
     "server_max_window_bits=8; client_no_context_takeover; "
     "server_no_context_takeover",
     1,
     "permessage-deflate;server_no_context_takeover;server_max_window_bits="
     "8;client_no_context_takeover;client_max_window_bits=12",
     8, 12, true, true},
    /* quoted values (RFC 7692 7.1.2.1 allows the quoted-string form) */
    {"permessage-deflate; server_max_window_bits=\"10\"", 1,
     "permessage-deflate;server_max_window_bits=10", 10, 15, false, false},
    {"permessage-deflate; client_max_window_bits=\"9\"", 1,
     "permessage-deflate;client_max_window_bits=9", 15, 9, false, false},
    {"permessage-deflate; client_max_window_bits=\"1\\1\"", 1,
     "permessage-deflate;client_max_window_bits=11", 15, 11, false, false},
    /* whitespace around every separator */
    {" \tpermessage-deflate ;\tclient_max_window_bits = 9 ,x-foo ", 1,
     "permessage-deflate;client_max_window_bits=9", 15, 9, false, false},
    /* other extensions are skipped, also with quoted commas */
    {"x-webkit-deflate-frame, permessage-deflate; client_max_window_bits", 1,
     "permessage-deflate;client_max_window_bits=15", 15, 15, false, false},
    {"foo; bar=\"a,b\", permessage-deflate", 1, "permessage-deflate", 15, 15,
     false, false},
    {"foo;bar=baz;q, , permessage-deflate;server_no_context_takeover", 1,
     "permessage-deflate;server_no_context_takeover", 15, 15, true, false},
    /* the first acceptable element wins; an invalid one is declined */
    {"permessage-deflate; server_max_window_bits=7, permessage-deflate; "
     "client_max_window_bits",
     1, "permessage-deflate;client_max_window_bits=15", 15, 15, false, false},
    {"permessage-deflate; foo, permessage-deflate", 1, "permessage-deflate", 15,
     15, false, false},
    {"permessage-deflate; client_no_context_takeover, permessage-deflate", 1,
     "permessage-deflate;client_no_context_takeover", 15, 15, false, true},
    /* none offered */
    {"", 0, NULL, 0, 0, false, false},
    {" , ,", 0, NULL, 0, 0, false, false},
    {"x-webkit-deflate-frame; no_context_takeover", 0, NULL, 0, 0, false,
     false},
    /* names are case-sensitive, as in Tomcat's TransformationFactory */
    {"Permessage-Deflate", 0, NULL, 0, 0, false, false},
    {"permessage-deflate-x; client_max_window_bits", 0, NULL, 0, 0, false,
     false},
    /* duplicates */
    {"permessage-deflate; server_no_context_takeover; "
     "server_no_context_takeover",
     PROTO_E_PMD, NULL, 0, 0, false, false},
    {"permessage-deflate; client_no_context_takeover; "
     "client_no_context_takeover",
     PROTO_E_PMD, NULL, 0, 0, false, false},
    {"permessage-deflate; server_max_window_bits=10; "
     "server_max_window_bits=10",
     PROTO_E_PMD, NULL, 0, 0, false, false},
    {"permessage-deflate; client_max_window_bits; client_max_window_bits=10",
     PROTO_E_PMD, NULL, 0, 0, false, false},
    {"permessage-deflate; client_max_window_bits=10; client_max_window_bits",
     PROTO_E_PMD, NULL, 0, 0, false, false},
    /* unknown parameters */
    {"permessage-deflate; foo", PROTO_E_PMD, NULL, 0, 0, false, false},
    {"permessage-deflate; no_context_takeover", PROTO_E_PMD, NULL, 0, 0, false,
     false},
    {"permessage-deflate; Server_No_Context_Takeover", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    /* bad values */
    {"permessage-deflate; server_max_window_bits=7", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; server_max_window_bits=16", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; server_max_window_bits=08", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; server_max_window_bits=+9", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; server_max_window_bits", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; client_max_window_bits=0", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; client_max_window_bits=abc", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; client_max_window_bits=\"\"", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; client_max_window_bits=\"1 0\"", PROTO_E_PMD, NULL, 0,
     0, false, false},
    {"permessage-deflate; server_no_context_takeover=1", PROTO_E_PMD, NULL, 0,
     0, false, false},
    /* syntax errors inside the element */
    {"permessage-deflate;", PROTO_E_PMD, NULL, 0, 0, false, false},
    {"permessage-deflate; =10", PROTO_E_PMD, NULL, 0, 0, false, false},
    {"permessage-deflate client_max_window_bits", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; server_max_window_bits=\"10", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    {"permessage-deflate; server_max_window_bits=", PROTO_E_PMD, NULL, 0, 0,
     false, false},
    /* every permessage-deflate element invalid, another extension fine */
    {"permessage-deflate; foo, x-bar, permessage-deflate; "
     "server_max_window_bits=1",
     PROTO_E_PMD, NULL, 0, 0, false, false},
};

START_TEST(negotiation)
{
	for (size_t i = 0; i < sizeof(nego_cases) / sizeof(*nego_cases); i++) {
		const struct nego_case *t = &nego_cases[i];
		struct pmd_params offer, agreed;
		int r = pmd_parse(t->offer, strlen(t->offer), &offer);
		ck_assert_msg(r == t->parse, "'%s': parse %d, want %d",
			      t->offer, r, t->parse);
		if (r != 1)
			continue;
		char ans[256];
		int n = pmd_answer(&offer, &agreed, ans, sizeof(ans));
		ck_assert_msg(
		    n == (int)strlen(t->answer) && strcmp(ans, t->answer) == 0,
		    "'%s': answer '%s', want '%s'", t->offer, ans, t->answer);
		ck_assert_int_eq(agreed.server_max_window_bits, t->sbits);
		ck_assert_int_eq(agreed.client_max_window_bits, t->cbits);
		ck_assert_int_eq(agreed.server_no_context_takeover, t->snct);
		ck_assert_int_eq(agreed.client_no_context_takeover, t->cnct);
		ck_assert(!agreed.client_max_window_bits_offered);
		/* a client reads the answer back as the same agreement */
		struct pmd_params back;
		ck_assert_int_eq(pmd_parse(ans, (size_t)n, &back), 1);
		ck_assert(pmd_answer_acceptable(&back));
		ck_assert_int_eq(back.server_max_window_bits, t->sbits);
		ck_assert_int_eq(back.client_max_window_bits, t->cbits);
		ck_assert_int_eq(back.server_no_context_takeover, t->snct);
		ck_assert_int_eq(back.client_no_context_takeover, t->cnct);
		ck_assert_int_eq(back.server_max_window_bits_set,
				 agreed.server_max_window_bits_set);
		ck_assert_int_eq(back.client_max_window_bits_set,
				 agreed.client_max_window_bits_set);
		/* and both ends can run with it */
		struct pmd_ctx c;
		ck_assert_int_eq(pmd_init(&c, &agreed, true, 0), 0);
		pmd_free(&c);
	}
}
END_TEST

START_TEST(negotiation_details)
{
	/* Chrome's offer is what a client of ours sends */
	ck_assert_str_eq(pmd_default_offer(),
			 "permessage-deflate; client_max_window_bits");
	struct pmd_params p, a;
	ck_assert_int_eq(
	    pmd_parse(pmd_default_offer(), strlen(pmd_default_offer()), &p), 1);
	ck_assert(p.client_max_window_bits_offered);
	ck_assert(!p.client_max_window_bits_set);
	ck_assert(!p.server_max_window_bits_set);

	/* the length bounds the value: no NUL needed, nothing read past */
	const char *v = "permessage-deflate; server_max_window_bits=12XYZ";
	ck_assert_int_eq(pmd_parse(v, strlen(v) - 3, &p), 1);
	ck_assert_int_eq(p.server_max_window_bits, 12);
	ck_assert_int_eq(pmd_parse(v, 18, &p), 1); /* "permessage-deflate" */
	ck_assert(!p.server_max_window_bits_set);
	ck_assert_int_eq(pmd_parse(v, 17, &p), 0);

	/* answers a client accepts, and one it does not */
	const char *ok[] = {
	    "permessage-deflate;client_max_window_bits=15",
	    "permessage-deflate",
	    "permessage-deflate;server_no_context_takeover;"
	    "server_max_window_bits=8;client_no_context_takeover;"
	    "client_max_window_bits=8"};
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(pmd_parse(ok[i], strlen(ok[i]), &p), 1);
		ck_assert(pmd_answer_acceptable(&p));
	}
	ck_assert_int_eq(
	    pmd_parse(pmd_default_offer(), strlen(pmd_default_offer()), &p), 1);
	ck_assert(!pmd_answer_acceptable(&p)); /* valueless in an answer */

	/* pmd_answer needs room for the value and its NUL */
	ck_assert_int_eq(
	    pmd_parse(pmd_default_offer(), strlen(pmd_default_offer()), &p), 1);
	const char *want = "permessage-deflate;client_max_window_bits=15";
	char buf[64];
	ck_assert_int_eq(pmd_answer(&p, &a, buf, strlen(want)), PROTO_E_RANGE);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(pmd_answer(&p, &a, buf, strlen(want) + 1),
			 (int)strlen(want));
	ck_assert_str_eq(buf, want);

	/* pmd_init refuses window sizes outside 8..15 */
	struct pmd_ctx c;
	p = defaults();
	p.server_max_window_bits = 7;
	ck_assert_int_eq(pmd_init(&c, &p, true, 0), PROTO_E_PMD);
	pmd_free(&c);
	p = defaults();
	p.client_max_window_bits = 16;
	ck_assert_int_eq(pmd_init(&c, &p, false, 0), PROTO_E_PMD);
	pmd_free(&c);
}
END_TEST

static Suite *pmd_suite(void)
{
	Suite *s = suite_create("pmd");
	TCase *tc = tcase_create("rfc_vectors");
	tcase_add_test(tc, rfc_vectors_inflate);
	tcase_add_test(tc, rfc_vectors_deflate);
	tcase_add_test(tc, rfc_vectors_split);
	tcase_add_test(tc, empty_last_fragment);
	tcase_add_test(tc, bfinal_keeps_window);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, roundtrip_text_and_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("context");
	tcase_add_test(tc, context_takeover_by_role);
	tcase_add_test(tc, inflate_reset_by_role);
	tcase_add_test(tc, window_bits);
	suite_add_tcase(s, tc);

	tc = tcase_create("corrupt");
	tcase_add_test(tc, corrupt_data);
	tcase_add_test(tc, corrupt_long_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, inflate_bomb);
	tcase_add_test(tc, inflate_limit_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("negotiation");
	tcase_add_test(tc, negotiation);
	tcase_add_test(tc, negotiation_details);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(pmd_suite)
