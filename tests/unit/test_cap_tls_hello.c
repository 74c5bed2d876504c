/* Unit tests for cap_tls_hello (the hello reader the decryptor and the
 * session collector share) and for what the session collector makes of
 * the hellos it reads with it. Real hellos from OpenSSL (tests/data/tls,
 * one record a file) are read whole and cut at every offset, each cut in a
 * buffer of exactly its size so that ASan sees a read past it; built ones
 * cover what those do not have (GREASE, more versions than are kept, odd
 * server_name lists, early_data, malformed vectors). The session tests
 * feed the records as TCP data, whole, split at every offset and a byte at
 * a time, also with the ClientHello spread over two records (the session
 * reads the first record's part), and check the summary and JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_script.h"
#include "cap_session.h"
#include "cap_tls.h"
#include "cap_tls_hello.h"
#include "check_main.h"
#include "proto_buf.h"
#include "test_util.h"

/* ---- the real hellos --------------------------------------------------- */

/* A file of tests/data/tls and what it holds (see its README). */
struct vec {
	const char *file;
	bool client;
	size_t fixed_end, sni_end, sv_end; /* body offsets; 0: none */
	const char *sni;
	uint16_t offered[4]; /* when read whole */
	size_t noffered;
	uint16_t selected, suite; /* ServerHello */
};

static const struct vec vecs[] = {
    {.file = "tls/openssl_client_hello_tls13.bin",
     .client = true,
     .fixed_end = 133,
     .sni_end = 157,
     .sv_end = 280,
     .sni = "a.b.c.example",
     .offered = {0x0304, 0x0303, 0x0302, 0x0301},
     .noffered = 4},
    {.file = "tls/openssl_server_hello_tls13.bin",
     .fixed_end = 70,
     .sv_end = 78,
     .selected = 0x0304,
     .suite = 0x1302},
    {.file = "tls/openssl_client_hello_tls12.bin",
     .client = true,
     .fixed_end = 95,
     .sni_end = 118,
     .sni = "example.test",
     .offered = {0x0303},
     .noffered = 1},
    {.file = "tls/openssl_server_hello_tls12.bin",
     .fixed_end = 38,
     .selected = 0x0303,
     .suite = 0xc030},
    {.file = "tls/openssl_hello_retry_request.bin",
     .fixed_end = 70,
     .sv_end = 78,
     .selected = 0x0304,
     .suite = 0x1302},
};

/* The record of v (malloc'd), checked to hold one whole hello. */
static uint8_t *record_of(const struct vec *v, size_t *n)
{
	uint8_t *r = (uint8_t *)test_read_data(v->file, n);
	ck_assert_uint_ge(*n, 9);
	ck_assert_uint_eq(r[0], 0x16);
	ck_assert_uint_eq((size_t)r[3] << 8 | r[4], *n - 5);
	ck_assert_uint_eq(r[5], v->client ? 1 : 2);
	ck_assert_uint_eq((size_t)r[6] << 16 | (size_t)r[7] << 8 | r[8],
			  *n - 9);
	return r;
}

static void check_sni(const struct cap_tls_hello *h, const char *want)
{
	if (!want) {
		ck_assert_ptr_null(h->sni);
		return;
	}
	ck_assert_ptr_nonnull(h->sni);
	ck_assert_uint_eq(h->sni_len, strlen(want));
	ck_assert(!memcmp(h->sni, want, h->sni_len));
}

static void check_offered(const struct cap_tls_hello *h, const uint16_t *want,
			  size_t n)
{
	ck_assert_uint_eq(h->noffered, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(h->offered[i], want[i]);
}

START_TEST(real_hellos)
{
	const struct vec *v = &vecs[_i];
	size_t n;
	uint8_t *r = record_of(v, &n);
	const uint8_t *body = r + 9;
	struct cap_tls_hello h;
	ck_assert_int_eq(cap_tls_hello_parse(v->client, body, n - 9, &h), 0);
	ck_assert_uint_eq(h.legacy_version, 0x0303);
	ck_assert_ptr_eq(h.random, body + 2);
	ck_assert(h.fixed);
	check_sni(&h, v->sni);
	check_offered(&h, v->offered, v->noffered);
	ck_assert(!h.early_data);
	ck_assert(h.has_versions == (v->sv_end != 0));
	if (!v->client) {
		ck_assert(h.has_suite);
		ck_assert_uint_eq(h.suite, v->suite);
		ck_assert_uint_eq(h.selected, v->selected);
	}
	free(r);
}
END_TEST

/* The body cut to k bytes, for every k: what is read is exactly what lies
 * wholly before the cut, and only a whole hello, or one that ends where its
 * extensions would begin (they are optional), is well-formed. */
START_TEST(real_hellos_cut_everywhere)
{
	const struct vec *v = &vecs[_i];
	size_t n;
	uint8_t *r = record_of(v, &n);
	size_t bn = n - 9;
	for (size_t k = 0; k <= bn; k++) {
		uint8_t *b = malloc(k ? k : 1);
		ck_assert_ptr_nonnull(b);
		memcpy(b, r + 9, k);
		struct cap_tls_hello h;
		int rc = cap_tls_hello_parse(v->client, b, k, &h);
		bool fixed = k >= v->fixed_end;
		bool sv = v->sv_end && k >= v->sv_end;
		ck_assert_msg(rc == (k == bn || k == v->fixed_end
					 ? 0
					 : CAP_TLS_E_HANDSHAKE),
			      "%s cut at %zu: %d", v->file, k, rc);
		ck_assert_uint_eq(h.legacy_version, k >= 2 ? 0x0303 : 0);
		ck_assert_ptr_eq(h.random, k >= 34 ? b + 2 : NULL);
		ck_assert(h.fixed == fixed);
		ck_assert(h.has_versions == sv);
		if (v->client) {
			check_sni(&h, v->sni_end && k >= v->sni_end ? v->sni
								    : NULL);
			static const uint16_t legacy[] = {0x0303};
			if (sv)
				check_offered(&h, v->offered, v->noffered);
			else
				check_offered(&h, legacy, fixed ? 1 : 0);
		} else {
			ck_assert(h.has_suite == (k >= v->fixed_end - 1));
			ck_assert_uint_eq(h.suite, h.has_suite ? v->suite : 0);
			ck_assert_uint_eq(h.selected, sv       ? v->selected
						      : k >= 2 ? 0x0303
							       : 0);
			ck_assert_ptr_null(h.sni);
			ck_assert_uint_eq(h.noffered, 0);
		}
		free(b);
	}
	free(r);
}
END_TEST

/* ---- built hellos ------------------------------------------------------ */

static void put16(struct proto_buf *b, unsigned v)
{
	proto_buf_append_u16(b, (uint16_t)v);
}

/* Extension `type` with n bytes of data. */
static void ext(struct proto_buf *b, unsigned type, const void *p, size_t n)
{
	put16(b, type);
	put16(b, (unsigned)n);
	proto_buf_append(b, p, n);
}

/* A server_name extension with the entries (type, name) in `list`. */
static void ext_sni(struct proto_buf *b, const char *const *list, size_t n)
{
	struct proto_buf l = PROTO_BUF_INIT;
	for (size_t i = 0; i < n; i += 2) {
		proto_buf_append_u8(&l, (uint8_t)atoi(list[i]));
		put16(&l, (unsigned)strlen(list[i + 1]));
		proto_buf_append_str(&l, list[i + 1]);
	}
	put16(b, 0);
	put16(b, (unsigned)proto_buf_size(&l) + 2);
	put16(b, (unsigned)proto_buf_size(&l));
	proto_buf_append(b, proto_buf_head(&l), proto_buf_size(&l));
	proto_buf_free(&l);
}

/* A ClientHello's supported_versions with n versions. */
static void ext_sv(struct proto_buf *b, const uint16_t *vs, size_t n)
{
	put16(b, 43);
	put16(b, (unsigned)(1 + 2 * n));
	proto_buf_append_u8(b, (uint8_t)(2 * n));
	for (size_t i = 0; i < n; i++)
		put16(b, vs[i]);
}

/* A hello body: legacy 0x0303, a random of 0x11, a 32-byte session id,
 * (client) two suites and null compression, (server) suite 0x1301; then
 * the extensions block of `exts` (NULL: none). Returns the body's size. */
static size_t hello(struct proto_buf *b, bool client,
		    const struct proto_buf *exts)
{
	proto_buf_reset(b);
	put16(b, 0x0303);
	for (int i = 0; i < 32; i++)
		proto_buf_append_u8(b, 0x11);
	proto_buf_append_u8(b, 32);
	for (int i = 0; i < 32; i++)
		proto_buf_append_u8(b, 0x22);
	if (client) {
		put16(b, 4);
		put16(b, 0x1301);
		put16(b, 0x3a3a);
		proto_buf_append_u8(b, 1);
		proto_buf_append_u8(b, 0);
	} else {
		put16(b, 0x1301);
		proto_buf_append_u8(b, 0);
	}
	if (exts) {
		put16(b, (unsigned)proto_buf_size(exts));
		proto_buf_append(b, proto_buf_head(exts), proto_buf_size(exts));
	}
	return proto_buf_size(b);
}

static int parse(const struct proto_buf *b, bool client,
		 struct cap_tls_hello *h)
{
	return cap_tls_hello_parse(client, proto_buf_head(b), proto_buf_size(b),
				   h);
}

START_TEST(client_hello_built)
{
	struct proto_buf b = PROTO_BUF_INIT, x = PROTO_BUF_INIT;
	struct cap_tls_hello h;

	/* GREASE (RFC 8701) as an extension and as versions; more versions
	 * than are kept; early_data */
	static const uint16_t many[] = {0x2a2a, 0x0304, 0x7f1c, 0x0303,
					0x0302, 0x0301, 0x0300, 0xdada,
					0xfefc, 0xfefd, 0xfeff, 0x0305};
	static const uint16_t kept[] = {0x0304, 0x7f1c, 0x0303, 0x0302,
					0x0301, 0x0300, 0xfefc, 0xfefd};
	ext(&x, 0x3a3a, NULL, 0);
	ext_sv(&x, many, 12);
	ext(&x, 42, NULL, 0);
	hello(&b, true, &x);
	ck_assert_int_eq(parse(&b, true, &h), 0);
	check_offered(&h, kept, 8);
	ck_assert(h.early_data && h.has_versions && h.fixed);
	ck_assert_ptr_null(h.sni);
	ck_assert(!h.has_suite);

	/* the first host_name of the first server_name extension; a
	 * second supported_versions does not count */
	static const char *const names[] = {
	    "1", "other", "0", "first.example", "0", "second.example"};
	static const char *const third[] = {"0", "third.example"};
	static const uint16_t v12[] = {0x0303}, v13[] = {0x0304};
	proto_buf_reset(&x);
	ext_sni(&x, names, 6);
	ext_sni(&x, third, 2);
	ext_sv(&x, v13, 1);
	ext_sv(&x, v12, 1);
	hello(&b, true, &x);
	ck_assert_int_eq(parse(&b, true, &h), 0);
	check_sni(&h, "first.example");
	check_offered(&h, v13, 1);
	ck_assert(!h.early_data);

	/* an empty host_name is one; an empty versions list offers none */
	static const char *const empty[] = {"0", ""};
	proto_buf_reset(&x);
	ext_sni(&x, empty, 2);
	ext_sv(&x, NULL, 0);
	hello(&b, true, &x);
	ck_assert_int_eq(parse(&b, true, &h), 0);
	check_sni(&h, "");
	ck_assert(h.has_versions);
	check_offered(&h, NULL, 0);

	/* no extensions: the legacy version is the offer */
	hello(&b, true, NULL);
	ck_assert_int_eq(parse(&b, true, &h), 0);
	ck_assert(h.fixed && !h.has_versions);
	check_offered(&h, v12, 1);
	ck_assert_ptr_null(h.sni);

	proto_buf_free(&b);
	proto_buf_free(&x);
}
END_TEST

START_TEST(server_hello_built)
{
	struct proto_buf b = PROTO_BUF_INIT, x = PROTO_BUF_INIT;
	struct cap_tls_hello h;
	static const uint8_t reneg[] = {0};

	/* TLS 1.2 acknowledging SNI with an empty server_name */
	ext(&x, 0, NULL, 0);
	ext(&x, 0xff01, reneg, 1);
	hello(&b, false, &x);
	ck_assert_int_eq(parse(&b, false, &h), 0);
	ck_assert(h.has_suite && !h.has_versions);
	ck_assert_uint_eq(h.suite, 0x1301);
	ck_assert_uint_eq(h.selected, 0x0303);
	ck_assert_ptr_null(h.sni);
	ck_assert_uint_eq(h.noffered, 0);

	/* a version without a name is still the one selected */
	static const uint8_t draft[] = {0x7f, 0x1c};
	proto_buf_reset(&x);
	ext(&x, 43, draft, 2);
	hello(&b, false, &x);
	ck_assert_int_eq(parse(&b, false, &h), 0);
	ck_assert(h.has_versions);
	ck_assert_uint_eq(h.selected, 0x7f1c);

	/* supported_versions of other than two bytes is malformed: the
	 * legacy version stands */
	static const uint8_t three[] = {0x03, 0x04, 0x00};
	for (size_t len = 0; len <= 3; len += len == 1 ? 2 : 1) {
		proto_buf_reset(&x);
		ext(&x, 43, three, len);
		hello(&b, false, &x);
		ck_assert_int_eq(parse(&b, false, &h), CAP_TLS_E_HANDSHAKE);
		ck_assert(!h.has_versions && h.has_suite);
		ck_assert_uint_eq(h.selected, 0x0303);
	}

	proto_buf_free(&b);
	proto_buf_free(&x);
}
END_TEST

START_TEST(malformed_hellos)
{
	struct proto_buf b = PROTO_BUF_INIT, x = PROTO_BUF_INIT;
	struct cap_tls_hello h;
	static const char *const sni[] = {"0", "example.test"};
	static const uint16_t v13[] = {0x0304}, v12[] = {0x0303};

	/* a versions list longer than its extension: the versions in the
	 * extension are read, and the extensions after it */
	static const uint8_t sv_over[] = {9, 0x03, 0x04, 0x03, 0x03};
	static const uint16_t both[] = {0x0304, 0x0303};
	ext(&x, 43, sv_over, sizeof(sv_over));
	ext_sni(&x, sni, 2);
	hello(&b, true, &x);
	ck_assert_int_eq(parse(&b, true, &h), CAP_TLS_E_HANDSHAKE);
	check_offered(&h, both, 2);
	check_sni(&h, "example.test");

	/* a server_name list longer than its extension: a whole name in
	 * the extension is read */
	static const uint8_t sni_over[] = {0x00, 0x20, 0x00, 0x00, 0x01, 'a'};
	proto_buf_reset(&x);
	ext(&x, 0, sni_over, sizeof(sni_over));
	ext_sv(&x, v13, 1);
	hello(&b, true, &x);
	ck_assert_int_eq(parse(&b, true, &h), CAP_TLS_E_HANDSHAKE);
	check_sni(&h, "a");
	check_offered(&h, v13, 1);

	/* a name longer than its list */
	static const uint8_t name_over[] = {0x00, 0x04, 0x00, 0x00,
					    0x09, 'a',	'b',  'c'};
	proto_buf_reset(&x);
	ext(&x, 0, name_over, sizeof(name_over));
	hello(&b, true, &x);
	ck_assert_int_eq(parse(&b, true, &h), CAP_TLS_E_HANDSHAKE);
	ck_assert_ptr_null(h.sni);
	check_offered(&h, v12, 1);

	/* an extension running past the block: the ones before it are
	 * read, it is not (not even its first bytes) */
	proto_buf_reset(&x);
	ext_sni(&x, sni, 2);
	put16(&x, 43);
	put16(&x, 40);
	proto_buf_append_u8(&x, 2);
	put16(&x, 0x0304);
	hello(&b, true, &x);
	ck_assert_int_eq(parse(&b, true, &h), CAP_TLS_E_HANDSHAKE);
	check_sni(&h, "example.test");
	ck_assert(!h.has_versions);
	check_offered(&h, v12, 1);

	/* the block longer than the body (a hello cut by its record) */
	proto_buf_reset(&x);
	ext_sni(&x, sni, 2);
	ext_sv(&x, v13, 1);
	size_t full = hello(&b, true, &x);
	b.data[full - proto_buf_size(&x) - 2 + b.off] = 0x7f;
	ck_assert_int_eq(parse(&b, true, &h), CAP_TLS_E_HANDSHAKE);
	check_sni(&h, "example.test");
	check_offered(&h, v13, 1);

	/* a session id, or the cipher suites, longer than the body: the
	 * random is known, the rest is not */
	for (int field = 0; field < 2; field++) {
		hello(&b, true, &x);
		size_t at = b.off + (field == 0 ? 34 : 67);
		b.data[at] = 0xff;
		ck_assert_int_eq(parse(&b, true, &h), CAP_TLS_E_HANDSHAKE);
		ck_assert_ptr_eq(h.random, proto_buf_head(&b) + 2);
		ck_assert(!h.fixed && !h.has_versions);
		ck_assert_uint_eq(h.noffered, 0);
		ck_assert_ptr_null(h.sni);
	}

	/* nothing at all */
	ck_assert_int_eq(cap_tls_hello_parse(true, (const uint8_t *)"", 0, &h),
			 CAP_TLS_E_HANDSHAKE);
	ck_assert_ptr_null(h.random);
	ck_assert_uint_eq(h.legacy_version, 0);

	proto_buf_free(&b);
	proto_buf_free(&x);
}
END_TEST

/* ---- what the session collector makes of them -------------------------- */

/* The connection's summary line and JSON with rec (c2s, n bytes; may be
 * NULL) and srec (s2c) as its first segments, fed `how` (split at
 * `split`). */
static void session_of(const uint8_t *rec, size_t n, const uint8_t *srec,
		       size_t sn, int how, size_t split, char **sum,
		       char **json)
{
	struct script sc;
	script_init(&sc, 1, 50100, 443);
	if (rec)
		proto_buf_append(seg_add(&sc, CAP_C2S, 10), rec, n);
	if (srec)
		proto_buf_append(seg_add(&sc, CAP_S2C, 20), srec, sn);
	struct cap_session_opts o = {.keep_messages = true};
	struct cap_sessions *s = cap_sessions_new(&o);
	ck_assert_ptr_nonnull(s);
	script_feed(cap_sessions_sink(s), &sc, how, split);
	cap_sessions_finish(s);
	*sum = sessions_written(s, cap_sessions_write_summary);
	*json = sessions_written(s, cap_sessions_write_json);
	cap_sessions_free(s);
	script_free(&sc);
}

/* Every way of feeding rec and srec says `line` in the summary and has
 * `tls` in the JSON (NULL: not checked). */
static void check_session(const uint8_t *rec, size_t n, const uint8_t *srec,
			  size_t sn, const char *line, const char *tls)
{
	size_t most = n > sn ? n : sn;
	for (size_t split = 0; split <= most + 1; split++) {
		int how = split == most + 1 ? SCRIPT_BYTES : SCRIPT_SPLIT;
		char *sum, *json;
		session_of(rec, n, srec, sn, how, split, &sum, &json);
		ck_assert_msg(strstr(sum, line), "split %zu: want '%s' in\n%s",
			      split, line, sum);
		ck_assert_msg(!tls || strstr(json, tls),
			      "split %zu: want '%s' in\n%s", split, tls, json);
		free(sum);
		free(json);
	}
}

START_TEST(session_hellos)
{
	size_t cn, sn, hn, n12, sn12;
	uint8_t *ch = record_of(&vecs[0], &cn);
	uint8_t *sh = record_of(&vecs[1], &sn);
	uint8_t *ch12 = record_of(&vecs[2], &n12);
	uint8_t *sh12 = record_of(&vecs[3], &sn12);
	uint8_t *hrr = record_of(&vecs[4], &hn);

	check_session(ch, cn, sh, sn,
		      "tls: TLS sni=a.b.c.example offered TLS1.3,TLS1.2,"
		      "TLS1.1,TLS1.0, selected TLS1.3; bytes c2s 337 s2c 127;",
		      "\"tls\":{\"sni\":\"a.b.c.example\",\"offered\":["
		      "\"TLS1.3\",\"TLS1.2\",\"TLS1.1\",\"TLS1.0\"],"
		      "\"selected\":\"TLS1.3\",\"client_hello\":true,"
		      "\"server_hello\":true,\"cipher_suite\":{\"id\":4866,"
		      "\"name\":\"TLS_AES_256_GCM_SHA384\"}");
	check_session(ch12, n12, sh12, sn12,
		      "tls: TLS sni=example.test offered TLS1.2, selected "
		      "TLS1.2;",
		      "\"cipher_suite\":{\"id\":49200,\"name\":\"TLS_ECDHE_"
		      "RSA_WITH_AES_256_GCM_SHA384\"}");
	/* a HelloRetryRequest is what the server's first record holds */
	check_session(ch, cn, hrr, hn,
		      "offered TLS1.3,TLS1.2,TLS1.1,TLS1.0, "
		      "selected TLS1.3;",
		      "\"cipher_suite\":{\"id\":4866,");
	/* only a client: no server hello */
	check_session(ch, cn, NULL, 0, "selected ?;",
		      "\"client_hello\":true,\"server_hello\":false,"
		      "\"cipher_suite\":null");

	/* a version without a name (a draft) selected: the legacy one is
	 * said */
	sh[9 + 76] = 0x7f; /* supported_versions' data */
	sh[9 + 77] = 0x1c;
	check_session(ch, cn, sh, sn, "selected TLS1.2;", NULL);

	/* a first record of another handshake message: nothing is known */
	ch12[5] = 11;
	check_session(ch12, n12, NULL, 0, "tls: TLS offered ?, selected ?;",
		      "\"client_hello\":false,\"server_hello\":false");

	free(ch);
	free(sh);
	free(ch12);
	free(sh12);
	free(hrr);
}
END_TEST

/* The ClientHello spread over two records, the first holding `at` bytes of
 * the message (its header included): the session reads that part. */
static const struct {
	size_t at;
	const char *line, *json;
} cuts[] = {
    /* not even the random */
    {4 + 30, "tls: TLS offered ?, selected ?;", "\"client_hello\":false"},
    /* in the cipher suites */
    {4 + 100, "tls: TLS offered ?, selected ?;", "\"client_hello\":true"},
    /* where the extensions begin: no supported_versions seen */
    {4 + 133, "tls: TLS offered TLS1.2, selected ?;", "\"sni\":null"},
    /* in server_name */
    {4 + 150, "tls: TLS offered TLS1.2, selected ?;", "\"sni\":null"},
    {4 + 157, "tls: TLS sni=a.b.c.example offered TLS1.2, selected ?;", NULL},
    /* in supported_versions */
    {4 + 279, "tls: TLS sni=a.b.c.example offered TLS1.2, selected ?;", NULL},
    {4 + 280,
     "tls: TLS sni=a.b.c.example offered TLS1.3,TLS1.2,TLS1.1,TLS1.0, "
     "selected ?;",
     NULL},
};

START_TEST(session_hello_over_records)
{
	size_t cn;
	uint8_t *ch = record_of(&vecs[0], &cn);
	size_t mn = cn - 5, at = cuts[_i].at;
	struct proto_buf b = PROTO_BUF_INIT;
	proto_buf_append(&b, ch, 3);
	put16(&b, (unsigned)at);
	proto_buf_append(&b, ch + 5, at);
	proto_buf_append(&b, ch, 3);
	put16(&b, (unsigned)(mn - at));
	proto_buf_append(&b, ch + 5 + at, mn - at);
	check_session(proto_buf_head(&b), proto_buf_size(&b), NULL, 0,
		      cuts[_i].line, cuts[_i].json);
	proto_buf_free(&b);
	free(ch);
}
END_TEST

static Suite *cap_tls_hello_suite(void)
{
	Suite *s = suite_create("cap_tls_hello");
	size_t nv = sizeof(vecs) / sizeof(vecs[0]);
	TCase *tc = tcase_create("parse");
	tcase_add_loop_test(tc, real_hellos, 0, (int)nv);
	tcase_add_loop_test(tc, real_hellos_cut_everywhere, 0, (int)nv);
	tcase_add_test(tc, client_hello_built);
	tcase_add_test(tc, server_hello_built);
	tcase_add_test(tc, malformed_hellos);
	suite_add_tcase(s, tc);
	tc = tcase_create("session");
	tcase_add_test(tc, session_hellos);
	tcase_add_loop_test(tc, session_hello_over_records, 0,
			    (int)(sizeof(cuts) / sizeof(cuts[0])));
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(cap_tls_hello_suite)
