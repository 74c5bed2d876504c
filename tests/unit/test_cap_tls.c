/* Unit tests for cap_tls (key log, TLS decryptor, filter sink). A real
 * OpenSSL client and server talk in memory (memory BIOs, bytes shuttled
 * between them and recorded per direction, the client's key log lines
 * collected with SSL_CTX_set_keylog_callback); the recorded bytes are then
 * fed to the decryptor in several ways (in capture order, a whole
 * direction at a time, server first, split at odd offsets, one byte at a
 * time) and the plaintext must be exactly what each side wrote. */
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cap_script.h"
#include "cap_session_int.h"
#include "cap_tls.h"
#include "check_main.h"
#include "proto_buf.h"
#include "test_util.h"
#include "tls_cert.h"

/* ---- a recorded session ---------------------------------------------- */

struct chunk {
	enum cap_dir dir;
	size_t off, len; /* in wire[dir] */
};

struct rec {
	struct proto_buf wire[2]; /* ciphertext per direction */
	struct chunk chunks[4096];
	size_t nchunks;
	size_t app_chunk;	  /* the first chunk after the handshake */
	struct proto_buf sent[2]; /* plaintext written per direction */
	struct proto_buf keylog;
};

static struct proto_buf *keylog_sink;

static void keylog_cb(const SSL *ssl, const char *line)
{
	(void)ssl;
	proto_buf_append_str(keylog_sink, line);
	proto_buf_append_str(keylog_sink, "\n");
}

struct peers {
	SSL_CTX *cctx, *sctx;
	SSL *ssl[2]; /* [CAP_C2S] the client, [CAP_S2C] the server */
	BIO *out[2], *in[2];
};

static void shuttle(struct peers *p, struct rec *r)
{
	for (int moved = 1; moved;) {
		moved = 0;
		for (int d = 0; d < 2; d++) {
			uint8_t buf[4096];
			int n;
			while ((n = BIO_read(p->out[d], buf, sizeof(buf))) >
			       0) {
				struct chunk *c = &r->chunks[r->nchunks++];
				ck_assert_uint_lt(r->nchunks, 4096);
				c->dir = (enum cap_dir)d;
				c->off = proto_buf_size(&r->wire[d]);
				c->len = (size_t)n;
				proto_buf_append(&r->wire[d], buf, (size_t)n);
				ck_assert_int_eq(
				    BIO_write(p->in[1 - d], buf, n), n);
				moved = 1;
			}
		}
	}
}

/* Read whatever `d`'s peer can read now; it must be `want`. */
static void drain(struct peers *p, int d, const uint8_t *want, size_t n)
{
	struct proto_buf got = PROTO_BUF_INIT;
	uint8_t buf[4096];
	int k;
	while ((k = SSL_read(p->ssl[1 - d], buf, sizeof(buf))) > 0)
		proto_buf_append(&got, buf, (size_t)k);
	ck_assert_uint_eq(proto_buf_size(&got), n);
	ck_assert(n == 0 || !memcmp(proto_buf_head(&got), want, n));
	proto_buf_free(&got);
}

static void send_msg(struct peers *p, struct rec *r, int d, const void *m,
		     size_t n)
{
	ck_assert_int_eq(SSL_write(p->ssl[d], m, (int)n), (int)n);
	proto_buf_append(&r->sent[d], m, n);
	shuttle(p, r);
	drain(p, d, m, n);
	shuttle(p, r); /* tickets, key updates */
}

static const char upgrade_req[] =
    "GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";
static const char upgrade_resp[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/* A websocket text frame (masked from the client). */
static size_t ws_text(uint8_t *out, const char *s, bool masked)
{
	size_t n = strlen(s), i = 0;
	out[i++] = 0x81;
	out[i++] = (uint8_t)((masked ? 0x80 : 0) | n);
	static const uint8_t mask[4] = {1, 2, 3, 4};
	if (masked) {
		memcpy(out + i, mask, 4);
		i += 4;
	}
	for (size_t j = 0; j < n; j++)
		out[i++] = (uint8_t)(s[j] ^ (masked ? mask[j % 4] : 0));
	return i;
}

struct opts {
	int version; /* TLS1_3_VERSION or TLS1_2_VERSION */
	const char *suite;
	bool key_update;
	bool hrr; /* force a HelloRetryRequest */
};

static void run_session(const struct opts *o, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	struct tls_ca ca;
	EVP_PKEY *key;
	X509 *cert;
	static const char *const names[] = {"example.test", NULL};
	ck_assert_int_eq(tls_ca_new(&ca, "cap_tls"), 0);
	ck_assert_int_eq(
	    tls_cert_issue(&ca, names, TLS_CERT_VALID, &key, &cert), 0);
	struct peers p;
	p.sctx = SSL_CTX_new(TLS_server_method());
	p.cctx = SSL_CTX_new(TLS_client_method());
	ck_assert_int_eq(SSL_CTX_use_certificate(p.sctx, cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(p.sctx, key), 1);
	SSL_CTX *ctxs[2] = {p.cctx, p.sctx};
	for (int i = 0; i < 2; i++) {
		SSL_CTX_set_min_proto_version(ctxs[i], o->version);
		SSL_CTX_set_max_proto_version(ctxs[i], o->version);
		if (o->version == TLS1_3_VERSION)
			ck_assert_int_eq(
			    SSL_CTX_set_ciphersuites(ctxs[i], o->suite), 1);
		else
			ck_assert_int_eq(
			    SSL_CTX_set_cipher_list(ctxs[i], o->suite), 1);
	}
	if (o->hrr) {
		ck_assert_int_eq(SSL_CTX_set1_groups_list(p.sctx, "P-384"), 1);
		ck_assert_int_eq(
		    SSL_CTX_set1_groups_list(p.cctx, "X25519:P-384"), 1);
	}
	keylog_sink = &r->keylog;
	SSL_CTX_set_keylog_callback(p.cctx, keylog_cb);
	for (int d = 0; d < 2; d++) {
		p.ssl[d] = SSL_new(ctxs[d]);
		p.in[d] = BIO_new(BIO_s_mem());
		p.out[d] = BIO_new(BIO_s_mem());
		SSL_set_bio(p.ssl[d], p.in[d], p.out[d]);
	}
	SSL_set_connect_state(p.ssl[0]);
	SSL_set_tlsext_host_name(p.ssl[0], "example.test");
	SSL_set_accept_state(p.ssl[1]);
	for (int i = 0; i < 50 && !(SSL_is_init_finished(p.ssl[0]) &&
				    SSL_is_init_finished(p.ssl[1]));
	     i++) {
		SSL_do_handshake(p.ssl[0]);
		shuttle(&p, r);
		SSL_do_handshake(p.ssl[1]);
		shuttle(&p, r);
	}
	ck_assert(SSL_is_init_finished(p.ssl[0]));
	ck_assert(SSL_is_init_finished(p.ssl[1]));
	r->app_chunk = r->nchunks;
	send_msg(&p, r, CAP_C2S, upgrade_req, strlen(upgrade_req));
	send_msg(&p, r, CAP_S2C, upgrade_resp, strlen(upgrade_resp));
	uint8_t f[200];
	send_msg(&p, r, CAP_C2S, f, ws_text(f, "secret hello", true));
	send_msg(&p, r, CAP_S2C, f, ws_text(f, "secret hello", false));
	if (o->key_update) {
		ck_assert_int_eq(
		    SSL_key_update(p.ssl[0], SSL_KEY_UPDATE_REQUESTED), 1);
		send_msg(&p, r, CAP_C2S, f, ws_text(f, "after update", true));
		send_msg(&p, r, CAP_S2C, f, ws_text(f, "updated too", false));
	}
	/* a message bigger than one record */
	static uint8_t big[40000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	send_msg(&p, r, CAP_S2C, big, sizeof(big));
	send_msg(&p, r, CAP_C2S, f, ws_text(f, "bye", true));
	SSL_shutdown(p.ssl[0]);
	shuttle(&p, r);
	SSL_shutdown(p.ssl[1]);
	shuttle(&p, r);
	for (int d = 0; d < 2; d++)
		SSL_free(p.ssl[d]);
	SSL_CTX_free(p.cctx);
	SSL_CTX_free(p.sctx);
	EVP_PKEY_free(key);
	X509_free(cert);
	tls_ca_free(&ca);
	ck_assert_uint_gt(proto_buf_size(&r->keylog), 0);
}

static void rec_free(struct rec *r)
{
	for (int d = 0; d < 2; d++) {
		proto_buf_free(&r->wire[d]);
		proto_buf_free(&r->sent[d]);
	}
	proto_buf_free(&r->keylog);
}

/* ---- feeding the decryptor -------------------------------------------- */

struct out {
	struct proto_buf pt[2];
	int reports;
	int last_err;
	char last_msg[512];
};

static void out_plaintext(void *ctx, enum cap_dir dir, const uint8_t *p,
			  size_t n)
{
	struct out *o = ctx;
	proto_buf_append(&o->pt[dir], p, n);
}

static void out_report(void *ctx, enum cap_dir dir, int err, const char *msg)
{
	struct out *o = ctx;
	(void)dir;
	o->reports++;
	o->last_err = err;
	snprintf(o->last_msg, sizeof(o->last_msg), "%s", msg);
}

enum feed_mode {
	FEED_ORDER, /* chunks as they were sent */
	FEED_C2S_FIRST,
	FEED_S2C_FIRST,
	FEED_ODD, /* in order, cut at odd offsets */
	FEED_BYTES,
	FEED_NMODES
};

static void feed(struct cap_tls *t, const struct rec *r, enum feed_mode m)
{
	if (m == FEED_C2S_FIRST || m == FEED_S2C_FIRST) {
		int first = m == FEED_C2S_FIRST ? CAP_C2S : CAP_S2C;
		for (int k = 0; k < 2; k++) {
			int d = k ? 1 - first : first;
			ck_assert_int_eq(
			    cap_tls_feed(t, (enum cap_dir)d,
					 proto_buf_head(&r->wire[d]),
					 proto_buf_size(&r->wire[d])),
			    0);
		}
		return;
	}
	static const size_t cuts[] = {1, 7, 13, 3, 501, 5, 4096, 2};
	size_t ci = 0;
	for (size_t i = 0; i < r->nchunks; i++) {
		const struct chunk *c = &r->chunks[i];
		const uint8_t *p = proto_buf_head(&r->wire[c->dir]) + c->off;
		size_t left = c->len;
		while (left) {
			size_t n = m == FEED_ORDER   ? left
				   : m == FEED_BYTES ? 1
						     : cuts[ci++ % 8];
			if (n > left)
				n = left;
			ck_assert_int_eq(cap_tls_feed(t, c->dir, p, n), 0);
			p += n;
			left -= n;
		}
	}
}

static struct cap_keylog *keylog_of(const struct rec *r)
{
	struct cap_keylog *kl = cap_keylog_new();
	char err[256];
	ck_assert_ptr_nonnull(kl);
	ck_assert_int_eq(
	    cap_keylog_parse(kl, (const char *)proto_buf_head(&r->keylog),
			     proto_buf_size(&r->keylog), "keylog", err,
			     sizeof(err)),
	    0);
	ck_assert_uint_eq(cap_keylog_count(kl), 1);
	return kl;
}

static void check_decrypts(const struct opts *o)
{
	struct rec *r = malloc(sizeof(*r));
	run_session(o, r);
	struct cap_keylog *kl = keylog_of(r);
	for (int m = 0; m < FEED_NMODES; m++) {
		struct out out;
		memset(&out, 0, sizeof(out));
		struct cap_tls_cbs cbs = {&out, out_plaintext, out_report};
		struct cap_tls *t = cap_tls_new(kl, &cbs);
		feed(t, r, (enum feed_mode)m);
		const struct cap_tls_info *in = cap_tls_info(t);
		ck_assert_msg(out.reports == 0, "mode %d: %s", m, out.last_msg);
		ck_assert_int_eq(in->state, CAP_TLS_DECRYPTING);
		ck_assert_str_eq(in->sni, "example.test");
		ck_assert_uint_eq(in->version, (unsigned)o->version);
		for (int d = 0; d < 2; d++) {
			ck_assert_msg(proto_buf_size(&out.pt[d]) ==
					  proto_buf_size(&r->sent[d]),
				      "mode %d dir %d: %zu of %zu bytes", m, d,
				      proto_buf_size(&out.pt[d]),
				      proto_buf_size(&r->sent[d]));
			ck_assert(!memcmp(proto_buf_head(&out.pt[d]),
					  proto_buf_head(&r->sent[d]),
					  proto_buf_size(&r->sent[d])));
			ck_assert(!in->stopped[d]);
			proto_buf_free(&out.pt[d]);
		}
		cap_tls_free(t);
	}
	cap_keylog_free(kl);
	rec_free(r);
	free(r);
}

/* ---- decryption -------------------------------------------------------- */

START_TEST(tls13_aes128gcm)
{
	struct opts o = {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0, 0};
	check_decrypts(&o);
}
END_TEST

START_TEST(tls13_aes256gcm)
{
	struct opts o = {TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", 0, 0};
	check_decrypts(&o);
}
END_TEST

START_TEST(tls13_chacha20)
{
	struct opts o = {TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", 0, 0};
	check_decrypts(&o);
}
END_TEST

START_TEST(tls13_key_update_and_hrr)
{
	struct opts o = {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", true, 0};
	check_decrypts(&o);
	struct opts h = {TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", false, true};
	check_decrypts(&h);
}
END_TEST

START_TEST(tls12_aes128gcm)
{
	struct opts o = {TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", 0, 0};
	check_decrypts(&o);
}
END_TEST

START_TEST(tls12_aes256gcm)
{
	struct opts o = {TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384", 0, 0};
	check_decrypts(&o);
}
END_TEST

START_TEST(tls12_chacha20)
{
	struct opts o = {TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305", 0, 0};
	check_decrypts(&o);
}
END_TEST

/* ---- without keys, wrong keys ----------------------------------------- */

START_TEST(no_keylog_entry)
{
	for (int v = 0; v < 2; v++) {
		struct opts o = {v ? TLS1_2_VERSION : TLS1_3_VERSION,
				 v ? "ECDHE-ECDSA-AES128-GCM-SHA256"
				   : "TLS_AES_128_GCM_SHA256",
				 0, 0};
		struct rec *r = malloc(sizeof(*r));
		run_session(&o, r);
		struct cap_keylog *kl = cap_keylog_new();
		struct out out;
		memset(&out, 0, sizeof(out));
		struct cap_tls_cbs cbs = {&out, out_plaintext, out_report};
		struct cap_tls *t = cap_tls_new(kl, &cbs);
		feed(t, r, FEED_ODD);
		const struct cap_tls_info *in = cap_tls_info(t);
		ck_assert_int_eq(in->state, CAP_TLS_NO_KEY);
		ck_assert_str_eq(in->sni, "example.test");
		ck_assert_uint_eq(in->version, (unsigned)o.version);
		ck_assert_uint_eq(in->offered[0], (unsigned)o.version);
		ck_assert_int_eq(out.last_err, CAP_TLS_E_NO_SECRET);
		ck_assert_uint_eq(proto_buf_size(&out.pt[0]), 0);
		ck_assert_uint_eq(proto_buf_size(&out.pt[1]), 0);
		cap_tls_free(t);
		cap_keylog_free(kl);
		rec_free(r);
		free(r);
	}
}
END_TEST

/* Flip one hex digit of the secret on the line with `label`. */
static void corrupt(struct proto_buf *kl, const char *label)
{
	char *s = (char *)proto_buf_head(kl);
	char *l = strstr(s, label);
	ck_assert_ptr_nonnull(l);
	char *last = strchr(l, '\n') - 1;
	*last = *last == '0' ? '1' : '0';
}

START_TEST(wrong_secret_fails_cleanly)
{
	for (int v = 0; v < 3; v++) {
		struct opts o = {v ? TLS1_2_VERSION : TLS1_3_VERSION,
				 v ? "ECDHE-ECDSA-AES128-GCM-SHA256"
				   : "TLS_AES_128_GCM_SHA256",
				 0, 0};
		struct rec *r = malloc(sizeof(*r));
		run_session(&o, r);
		corrupt(&r->keylog, v == 0 ? "SERVER_HANDSHAKE_TRAFFIC_SECRET"
					   : "CLIENT_RANDOM");
		struct cap_keylog *kl = keylog_of(r);
		struct out out;
		memset(&out, 0, sizeof(out));
		struct cap_tls_cbs cbs = {&out, out_plaintext, out_report};
		struct cap_tls *t = cap_tls_new(kl, &cbs);
		feed(t, r, v == 2 ? FEED_S2C_FIRST : FEED_ORDER);
		const struct cap_tls_info *in = cap_tls_info(t);
		ck_assert_int_eq(in->state, CAP_TLS_FAILED);
		ck_assert_int_eq(out.last_err, CAP_TLS_E_DECRYPT);
		ck_assert_msg(strstr(out.last_msg, "authentication failed"),
			      "%s", out.last_msg);
		ck_assert_uint_eq(proto_buf_size(&out.pt[0]), 0);
		ck_assert_uint_eq(proto_buf_size(&out.pt[1]), 0);
		cap_tls_free(t);
		cap_keylog_free(kl);
		rec_free(r);
		free(r);
	}
}
END_TEST

START_TEST(tls13_missing_app_secret)
{
	struct opts o = {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0, 0};
	struct rec *r = malloc(sizeof(*r));
	run_session(&o, r);
	/* rename the label: the line becomes an unknown one */
	char *l = strstr((char *)proto_buf_head(&r->keylog),
			 "CLIENT_TRAFFIC_SECRET_0");
	ck_assert_ptr_nonnull(l);
	l[0] = 'X';
	struct cap_keylog *kl = keylog_of(r);
	struct out out;
	memset(&out, 0, sizeof(out));
	struct cap_tls_cbs cbs = {&out, out_plaintext, out_report};
	struct cap_tls *t = cap_tls_new(kl, &cbs);
	feed(t, r, FEED_ORDER);
	const struct cap_tls_info *in = cap_tls_info(t);
	ck_assert_int_eq(in->state, CAP_TLS_DECRYPTING);
	ck_assert(in->stopped[CAP_C2S]);
	ck_assert(!in->stopped[CAP_S2C]);
	ck_assert_int_eq(out.last_err, CAP_TLS_E_NO_SECRET);
	ck_assert_uint_eq(proto_buf_size(&out.pt[CAP_C2S]), 0);
	ck_assert_uint_eq(proto_buf_size(&out.pt[CAP_S2C]),
			  proto_buf_size(&r->sent[CAP_S2C]));
	proto_buf_free(&out.pt[CAP_S2C]);
	cap_tls_free(t);
	cap_keylog_free(kl);
	rec_free(r);
	free(r);
}
END_TEST

/* ---- key log ----------------------------------------------------------- */

#define CR "0102030405060708091011121314151617181920212223242526272829303132"
#define S32 "aa02030405060708091011121314151617181920212223242526272829303132"
#define S48 S32 "01020304050607080910111213141516"

/* A warn callback: each message on a line of the proto_buf ctx. */
static void warn_into(void *ctx, const char *msg)
{
	struct proto_buf *b = ctx;
	if (proto_buf_size(b))
		proto_buf_append_str(b, "\n");
	proto_buf_append_str(b, msg);
}

static const char *warned_text(struct proto_buf *b)
{
	proto_buf_append_u8(b, 0);
	b->len--; /* the NUL stays after the text */
	return (const char *)proto_buf_head(b);
}

/* Lines longer than CAP_KEYLOG_MAX_LINE are skipped with a warning, the
 * lines around them read; 4096 bytes (and a CR) is still a line. */
START_TEST(keylog_long_lines)
{
	struct proto_buf in = PROTO_BUF_INIT, warned = PROTO_BUF_INIT;
	char err[256];
	proto_buf_appendf(&in, "# %s\n", "");
	for (int i = 0; i < 5000; i++)
		proto_buf_append_u8(&in, 'A');
	proto_buf_appendf(&in, "\nCLIENT_RANDOM %064x " S48 "\n", 1);
	proto_buf_append_str(&in, "CLIENT_RANDOM ");
	for (int i = 0; i < 4083; i++) /* 4097 bytes */
		proto_buf_append_u8(&in, 'f');
	proto_buf_appendf(&in, "\r\nCLIENT_RANDOM %064x " S48 "\r\n", 2);
	proto_buf_append_str(&in, "#");
	for (int i = 0; i < 4095; i++) /* 4096 bytes and a CR: a line */
		proto_buf_append_u8(&in, 'c');
	proto_buf_append_str(&in, "\r\n#");
	for (int i = 0; i < 10000; i++) /* the last, without LF */
		proto_buf_append_u8(&in, 'z');
	struct cap_keylog *kl = cap_keylog_new();
	cap_keylog_set_warn(kl, warn_into, &warned);
	ck_assert_int_eq(cap_keylog_parse(kl, (char *)proto_buf_head(&in),
					  proto_buf_size(&in), "k", err,
					  sizeof(err)),
			 0);
	ck_assert_uint_eq(cap_keylog_count(kl), 2);
	ck_assert_uint_eq(cap_keylog_skipped(kl), 3);
	ck_assert_str_eq(warned_text(&warned),
			 "k:2: longer than 4096 bytes; line skipped\n"
			 "k:4: longer than 4096 bytes; line skipped\n"
			 "k:7: longer than 4096 bytes; line skipped");
	cap_keylog_free(kl);

	/* The same from a file, read in blocks; then a file of one endless
	 * line (16 MiB, no LF) after a good one. */
	char path[512];
	test_scratch_path(path, sizeof(path), "keys.log");
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(
	    fwrite(proto_buf_head(&in), 1, proto_buf_size(&in), f),
	    proto_buf_size(&in));
	ck_assert_int_eq(fclose(f), 0);
	kl = cap_keylog_new();
	proto_buf_reset(&warned);
	cap_keylog_set_warn(kl, warn_into, &warned);
	ck_assert_int_eq(cap_keylog_load(kl, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(cap_keylog_count(kl), 2);
	char want[3 * 600];
	snprintf(want, sizeof(want),
		 "%s:2: longer than 4096 bytes; line skipped\n"
		 "%s:4: longer than 4096 bytes; line skipped\n"
		 "%s:7: longer than 4096 bytes; line skipped",
		 path, path, path);
	ck_assert_str_eq(warned_text(&warned), want);
	cap_keylog_free(kl);

	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "CLIENT_RANDOM %064x " S48 "\n", 3);
	static char block[65536];
	memset(block, '0', sizeof(block));
	for (int i = 0; i < 256; i++)
		ck_assert_uint_eq(fwrite(block, 1, sizeof(block), f),
				  sizeof(block));
	ck_assert_int_eq(fclose(f), 0);
	kl = cap_keylog_new();
	ck_assert_int_eq(cap_keylog_load(kl, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(cap_keylog_count(kl), 1);
	ck_assert_uint_eq(cap_keylog_skipped(kl), 1);
	cap_keylog_free(kl);
	proto_buf_free(&in);
	proto_buf_free(&warned);
}
END_TEST

START_TEST(keylog_parse)
{
	struct cap_keylog *kl = cap_keylog_new();
	char err[256];
	const char *ok = "# SSL/TLS secrets log file\r\n"
			 "\n"
			 "CLIENT_RANDOM " CR " " S48 "\r\n"
			 "CLIENT_HANDSHAKE_TRAFFIC_SECRET " CR " " S32 "\n"
			 "EXPORTER_SECRET " CR " " S32 "\n"
			 "SOMETHING_NEW whatever\n"
			 "SERVER_TRAFFIC_SECRET_0\t" CR "\t" S48;
	ck_assert_int_eq(
	    cap_keylog_parse(kl, ok, strlen(ok), "k", err, sizeof(err)), 0);
	ck_assert_uint_eq(cap_keylog_count(kl), 1);
	uint8_t cr[32];
	for (int i = 0; i < 32; i++)
		cr[i] = (uint8_t)(((i + 1) / 10) << 4 | ((i + 1) % 10));
	const struct cap_keylog_entry *e = cap_keylog_find(kl, cr);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->has_master);
	ck_assert_uint_eq(e->master[0], 0xaa);
	ck_assert_uint_eq(e->secret_len[CAP_KL_CLIENT_HS], 32);
	ck_assert_uint_eq(e->secret_len[CAP_KL_SERVER_AP], 48);
	ck_assert_uint_eq(e->secret_len[CAP_KL_SERVER_HS], 0);
	cr[0] ^= 1;
	ck_assert_ptr_null(cap_keylog_find(kl, cr));

	/* A malformed line is skipped with a warning naming it; the lines
	 * after it are read (the good one after each adds an entry). */
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"# c\nCLIENT_RANDOM " CR "\n",
	     "k:2: CLIENT_RANDOM: expected LABEL CLIENT_RANDOM SECRET (three "
	     "fields); line skipped"},
	    {"\n\nCLIENT_RANDOM " CR " " S32 "\n",
	     "k:3: CLIENT_RANDOM: the master secret is not 96 hex digits; "
	     "line skipped"},
	    {"CLIENT_TRAFFIC_SECRET_0 " CR "x " S32 "\n",
	     "k:1: CLIENT_TRAFFIC_SECRET_0: the client random is not 64 hex "
	     "digits; line skipped"},
	    {"SERVER_HANDSHAKE_TRAFFIC_SECRET " CR " zz" S32 "\r\n",
	     "k:1: SERVER_HANDSHAKE_TRAFFIC_SECRET: the secret is not 64 or "
	     "96 hex digits; line skipped"},
	    {"CLIENT_RANDOM " CR " " S48 " extra\n",
	     "k:1: CLIENT_RANDOM: expected LABEL CLIENT_RANDOM SECRET (three "
	     "fields); line skipped"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proto_buf in = PROTO_BUF_INIT, warned = PROTO_BUF_INIT;
		proto_buf_appendf(&in, "%sCLIENT_RANDOM %064zx " S48,
				  bad[i].text, i + 7);
		cap_keylog_set_warn(kl, warn_into, &warned);
		size_t had = cap_keylog_count(kl);
		ck_assert_int_eq(cap_keylog_parse(kl,
						  (char *)proto_buf_head(&in),
						  proto_buf_size(&in), "k", err,
						  sizeof(err)),
				 0);
		ck_assert_uint_eq(cap_keylog_count(kl), had + 1);
		ck_assert_uint_eq(cap_keylog_skipped(kl), i + 1);
		proto_buf_append_u8(&warned, 0);
		ck_assert_msg(
		    !strcmp((char *)proto_buf_head(&warned), bad[i].want),
		    "%zu: %s", i, (char *)proto_buf_head(&warned));
		proto_buf_free(&in);
		proto_buf_free(&warned);
	}
	cap_keylog_free(kl);

	kl = cap_keylog_new();
	ck_assert_int_eq(
	    cap_keylog_load(kl, "/nonexistent/keylog", err, sizeof(err)),
	    CAP_TLS_E_KEYLOG_IO);
	ck_assert_ptr_nonnull(
	    strstr(err, "/nonexistent/keylog: cannot open: No such"));
	/* many entries: the table grows */
	struct proto_buf many = PROTO_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		proto_buf_appendf(&many, "CLIENT_RANDOM %064x " S48 "\n", i);
	ck_assert_int_eq(cap_keylog_parse(kl, (char *)proto_buf_head(&many),
					  proto_buf_size(&many), "m", err,
					  sizeof(err)),
			 0);
	ck_assert_uint_eq(cap_keylog_count(kl), 1000);
	memset(cr, 0, 32);
	cr[31] = 0x99;
	cr[30] = 0x02;
	ck_assert_ptr_nonnull(cap_keylog_find(kl, cr));
	proto_buf_free(&many);
	cap_keylog_free(kl);
	ck_assert_str_eq(cap_tls_strerror(CAP_TLS_E_GAP),
			 "data missing from the capture");
}
END_TEST

/* ---- the filter in front of the session sink -------------------------- */

struct freport {
	int n, last_err;
	char last[512];
};

static void filter_report(void *ctx, const struct cap_conn *c, enum cap_dir dir,
			  int err, const char *msg)
{
	struct freport *f = ctx;
	(void)c;
	(void)dir;
	f->n++;
	f->last_err = err;
	snprintf(f->last, sizeof(f->last), "%s", msg);
}

/* How a recorded session reaches the sinks. */
struct route {
	size_t from, to;      /* the chunks fed: [from, to); to 0: all */
	size_t gap_at;	      /* that chunk (not 0) of gap_dir is a gap */
	enum cap_dir gap_dir; /* ... in this direction */
	bool no_syn;	      /* the capture began mid-connection */
};

/* Feed the chunks of a recorded session (as `rt` says) through filter ->
 * session sink, or with kl NULL to the session sink alone. */
static struct cap_sessions *route(const struct rec *r,
				  const struct cap_keylog *kl,
				  struct freport *rep, const struct route *rt,
				  struct cap_tls_filter_stats *st)
{
	struct cap_session_opts so = {.keep_messages = true};
	struct cap_sessions *ss = cap_sessions_new(&so);
	struct cap_tls_filter *f =
	    kl ? cap_tls_filter_new(kl, cap_sessions_sink(ss), filter_report,
				    rep)
	       : NULL;
	struct cap_tcp_sink *k =
	    f ? cap_tls_filter_sink(f) : cap_sessions_sink(ss);
	struct cap_conn c;
	memset(&c, 0, sizeof(c));
	c.id = 1;
	c.client = (struct cap_endpoint){4, {127, 0, 0, 1}, 40000};
	c.server = (struct cap_endpoint){4, {127, 0, 0, 1}, 443};
	c.saw_syn = !rt->no_syn;
	c.first_us = 1000;
	k->open(k->ctx, &c);
	size_t to = rt->to ? rt->to : r->nchunks;
	for (size_t i = rt->from; i < to; i++) {
		const struct chunk *ch = &r->chunks[i];
		uint64_t ts = 1000 + i;
		if (rt->gap_at && i == rt->gap_at && ch->dir == rt->gap_dir)
			k->gap(k->ctx, &c, ch->dir, ch->len, ts);
		else
			k->data(k->ctx, &c, ch->dir,
				proto_buf_head(&r->wire[ch->dir]) + ch->off,
				ch->len, ts);
	}
	k->end(k->ctx, &c, CAP_C2S, CAP_END_FIN, 5000);
	k->end(k->ctx, &c, CAP_S2C, CAP_END_FIN, 5000);
	k->close(k->ctx, &c);
	if (f)
		cap_tls_filter_get_stats(f, st);
	cap_tls_filter_free(f);
	return ss;
}

/* Feed a recorded session through filter -> session sink; the gap (if
 * gap_at) replaces the c2s chunk with that index. */
static struct cap_sessions *through_filter(const struct rec *r,
					   const struct cap_keylog *kl,
					   struct freport *rep, size_t gap_at,
					   struct cap_tls_filter_stats *st)
{
	struct route rt = {.gap_at = gap_at, .gap_dir = CAP_C2S};
	return route(r, kl, rep, &rt, st);
}

START_TEST(filter_into_sessions)
{
	struct opts o = {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0, 0};
	struct rec *r = malloc(sizeof(*r));
	run_session(&o, r);
	struct cap_keylog *kl = keylog_of(r);
	struct freport rep;
	memset(&rep, 0, sizeof(rep));
	struct cap_tls_filter_stats st;

	/* with the key log: a websocket session in clear */
	struct cap_sessions *ss = through_filter(r, kl, &rep, 0, &st);
	ck_assert_msg(rep.n == 0, "%s", rep.last);
	ck_assert_uint_eq(st.tls, 1);
	ck_assert_uint_eq(st.decrypted, 1);
	cap_sessions_finish(ss);
	ck_assert_uint_eq(ss->nconns, 1);
	struct cs_conn *c = ss->conns[0];
	ck_assert_int_eq(c->proto, CS_WS);
	ck_assert_uint_eq(c->nex, 1);
	ck_assert_str_eq(c->ex[0].target, "/chat");
	ck_assert_int_eq(c->ex[0].status, 101);
	ck_assert_uint_ge(c->nmsgs, 3);
	ck_assert_uint_eq(c->msgs[0].dir, CAP_C2S);
	ck_assert_uint_eq(c->msgs[0].payload_len, 12);
	ck_assert(!memcmp(c->msgs[0].payload, "secret hello", 12));
	ck_assert_uint_eq(c->msgs[1].dir, CAP_S2C);
	ck_assert(!memcmp(c->msgs[1].payload, "secret hello", 12));
	cap_sessions_free(ss);

	/* without: TLS with its SNI and version */
	struct cap_keylog *empty = cap_keylog_new();
	ss = through_filter(r, empty, &rep, 0, &st);
	ck_assert_uint_eq(st.no_key, 1);
	ck_assert_int_eq(rep.last_err, CAP_TLS_E_NO_SECRET);
	cap_sessions_finish(ss);
	c = ss->conns[0];
	ck_assert_int_eq(c->proto, CS_TLS);
	struct cs_tls_facts f;
	ck_assert(cs_tls_facts(c, &f));
	ck_assert_str_eq(c->sni, "example.test");
	ck_assert_str_eq(f.selected, "TLS1.3");
	ck_assert(f.client_hello && f.server_hello);
	ck_assert_uint_eq(c->d[CAP_C2S].bytes,
			  proto_buf_size(&r->wire[CAP_C2S]));
	cap_sessions_free(ss);
	cap_keylog_free(empty);

	/* a gap in the client's ciphertext after the upgrade request: the
	 * request is there, the rest of c2s is one gap */
	size_t gap_at = 0, seen = 0;
	for (size_t i = 0; i < r->nchunks && !gap_at; i++)
		if (r->chunks[i].dir == CAP_C2S && ++seen == 4)
			gap_at = i;
	memset(&rep, 0, sizeof(rep));
	ss = through_filter(r, kl, &rep, gap_at, &st);
	ck_assert_int_eq(rep.last_err, CAP_TLS_E_GAP);
	ck_assert_uint_eq(st.decrypted, 1);
	cap_sessions_finish(ss);
	c = ss->conns[0];
	ck_assert_int_eq(c->proto, CS_WS);
	ck_assert_uint_gt(c->d[CAP_C2S].gap_bytes, 0);
	cap_sessions_free(ss);
	cap_keylog_free(kl);
	rec_free(r);
	free(r);
}
END_TEST

START_TEST(filter_passes_plain_tcp)
{
	struct cap_keylog *kl = cap_keylog_new();
	struct rec *r = calloc(1, sizeof(*r));
	const char *req = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *resp = "HTTP/1.1 204 No Content\r\n\r\n";
	proto_buf_append_str(&r->wire[0], req);
	proto_buf_append_str(&r->wire[1], resp);
	r->chunks[0] = (struct chunk){CAP_C2S, 0, 1};
	r->chunks[1] = (struct chunk){CAP_C2S, 1, strlen(req) - 1};
	r->chunks[2] = (struct chunk){CAP_S2C, 0, strlen(resp)};
	r->nchunks = 3;
	struct freport rep;
	memset(&rep, 0, sizeof(rep));
	struct cap_tls_filter_stats st;
	struct cap_sessions *ss = through_filter(r, kl, &rep, 0, &st);
	ck_assert_int_eq(rep.n, 0);
	ck_assert_uint_eq(st.tls, 0);
	cap_sessions_finish(ss);
	struct cs_conn *c = ss->conns[0];
	ck_assert_int_eq(c->proto, CS_HTTP);
	ck_assert_str_eq(c->ex[0].target, "/x");
	ck_assert_int_eq(c->ex[0].status, 204);
	cap_sessions_free(ss);
	cap_keylog_free(kl);
	rec_free(r);
	free(r);
}
END_TEST

/* ---- why not decrypted ------------------------------------------------ */

/* The number (from 1) of the first record of `dir` after record `after`
 * that has content type `type`; 0 if none. Its offset in *off. */
static uint64_t find_record(const struct rec *r, enum cap_dir dir, uint8_t type,
			    uint64_t after, size_t *off)
{
	const uint8_t *w = proto_buf_head(&r->wire[dir]);
	size_t n = proto_buf_size(&r->wire[dir]), at = 0;
	for (uint64_t k = 1; at + 5 <= n; k++) {
		if (k > after && w[at] == type) {
			if (off)
				*off = at;
			return k;
		}
		at += 5 + ((size_t)w[at + 3] << 8 | w[at + 4]);
	}
	return 0;
}

/* The one connection of ss was TLS and is not decrypted for `why`: its
 * facts, its JSON and its summary line all say so, with `text`. */
static void check_why(struct cap_sessions *ss, int why, const char *text)
{
	cap_sessions_finish(ss);
	ck_assert_uint_eq(ss->nconns, 1);
	struct cs_tls_facts t;
	ck_assert(cs_tls_facts(ss->conns[0], &t));
	ck_assert(!t.decrypted);
	ck_assert_msg(t.why == why, "%s: %s", cap_tls_err_name(t.why),
		      t.why_text);
	ck_assert_str_eq(t.why_text, text);
	char want[512];
	char *j = sessions_written(ss, cap_sessions_write_json);
	snprintf(want, sizeof(want),
		 "\"decrypted\":false,\"not_decrypted\":{\"reason\":\"%s\","
		 "\"text\":\"%s\"",
		 cap_tls_err_name(why), text);
	ck_assert_msg(strstr(j, want), "no %s in %s", want, j);
	free(j);
	char *sum = sessions_written(ss, cap_sessions_write_summary);
	snprintf(want, sizeof(want), "; not decrypted: %s\n", text);
	ck_assert_msg(strstr(sum, want), "no %s in %s", want, sum);
	free(sum);
}

/* A key log of its own for one test (freed by the caller). */
static struct cap_keylog *keylog_text(const char *text)
{
	struct cap_keylog *kl = cap_keylog_new();
	char err[256];
	ck_assert_int_eq(
	    cap_keylog_parse(kl, text, strlen(text), "k", err, sizeof(err)), 0);
	return kl;
}

/* A recorded session with its own key log, and what the filter said. */
struct recorded {
	struct rec *r;
	struct cap_keylog *kl;
	struct freport rep;
	struct cap_tls_filter_stats st;
};

static void recorded_new(struct recorded *x, const struct opts *o)
{
	memset(x, 0, sizeof(*x));
	x->r = malloc(sizeof(*x->r));
	run_session(o, x->r);
	x->kl = keylog_of(x->r);
}

/* Its chunks as rt says (NULL: all of them) through the filter with `kl`
 * (NULL: to the session sink alone). */
static struct cap_sessions *recorded_route(struct recorded *x,
					   const struct cap_keylog *kl,
					   const struct route *rt)
{
	static const struct route all = {0};
	return route(x->r, kl, &x->rep, rt ? rt : &all, &x->st);
}

static void recorded_free(struct recorded *x)
{
	cap_keylog_free(x->kl);
	rec_free(x->r);
	free(x->r);
}

/* The recorded key log with every `label` renamed (an unknown line). */
static struct cap_keylog *keylog_without(const struct rec *r, const char *label)
{
	char *text = strndup((const char *)proto_buf_head(&r->keylog),
			     proto_buf_size(&r->keylog));
	for (char *l = text; (l = strstr(l, label));)
		*l = 'X';
	struct cap_keylog *kl = keylog_text(text);
	free(text);
	return kl;
}

START_TEST(why_no_keylog_no_key)
{
	struct opts o = {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0, 0};
	struct recorded x;
	recorded_new(&x, &o);

	/* no filter at all: no --keylog */
	struct cap_sessions *ss = recorded_route(&x, NULL, NULL);
	check_why(ss, CAP_TLS_E_NO_KEYLOG, "no --keylog given");
	char *j = sessions_written(ss, cap_sessions_write_json);
	ck_assert_ptr_nonnull(
	    strstr(j, "\"selected\":\"TLS1.3\",\"client_hello\":true,\"server_"
		      "hello\":true,\"cipher_suite\":{\"id\":4865,\"name\":"
		      "\"TLS_AES_128_GCM_SHA256\"}"));
	free(j);
	cap_sessions_free(ss);

	/* a key log without this client random */
	struct cap_keylog *kl = cap_keylog_new();
	ss = recorded_route(&x, kl, NULL);
	check_why(ss, CAP_TLS_E_NO_SECRET,
		  "no key log line for this client random");
	ck_assert_uint_eq(x.st.no_key, 1);
	cap_sessions_free(ss);
	cap_keylog_free(kl);

	/* lines for it, but not the handshake secrets */
	kl = keylog_without(x.r, "HANDSHAKE_TRAFFIC_SECRET");
	ss = recorded_route(&x, kl, NULL);
	check_why(ss, CAP_TLS_E_NO_SECRET,
		  "no handshake traffic secrets in the key log for this "
		  "client random");
	cap_sessions_free(ss);
	cap_keylog_free(kl);
	recorded_free(&x);

	/* TLS 1.2 with only a TLS 1.3 line for its client random */
	struct opts o12 = {TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", 0,
			   0};
	recorded_new(&x, &o12);
	char *text = strndup((const char *)proto_buf_head(&x.r->keylog),
			     proto_buf_size(&x.r->keylog));
	const char *cr = strstr(text, "CLIENT_RANDOM ");
	ck_assert_ptr_nonnull(cr);
	struct proto_buf other = PROTO_BUF_INIT;
	proto_buf_appendf(&other, "CLIENT_TRAFFIC_SECRET_0 %.64s %.64s\n",
			  cr + 14, cr + 14 + 65);
	proto_buf_append_u8(&other, 0);
	kl = keylog_text((const char *)proto_buf_head(&other));
	ss = recorded_route(&x, kl, NULL);
	check_why(ss, CAP_TLS_E_NO_SECRET,
		  "no CLIENT_RANDOM line in the key log for this client "
		  "random");
	cap_sessions_free(ss);
	cap_keylog_free(kl);
	proto_buf_free(&other);
	free(text);
	recorded_free(&x);
}
END_TEST

/* The keys are there, but the version or the suite is not decrypted. */
static void check_unsupported(const struct opts *o, int why, const char *text)
{
	struct recorded x;
	recorded_new(&x, o);
	struct cap_sessions *ss = recorded_route(&x, x.kl, NULL);
	check_why(ss, why, text);
	ck_assert_int_eq(x.rep.last_err, why);
	ck_assert_uint_eq(x.st.failed, 1);
	cap_sessions_free(ss);
	recorded_free(&x);
}

START_TEST(why_cipher)
{
	struct opts o = {TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA", 0, 0};
	check_unsupported(&o, CAP_TLS_E_CIPHER,
			  "cipher suite TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA "
			  "(0xc009) is not supported");
	struct opts c = {TLS1_3_VERSION, "TLS_AES_128_CCM_SHA256", 0, 0};
	check_unsupported(&c, CAP_TLS_E_CIPHER,
			  "cipher suite TLS_AES_128_CCM_SHA256 (0x1304) is not "
			  "supported");
}
END_TEST

START_TEST(why_version)
{
	struct opts o = {TLS1_1_VERSION, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0",
			 0, 0};
	check_unsupported(&o, CAP_TLS_E_VERSION, "TLS1.1 is not supported");
}
END_TEST

/* The capture began after the handshake: with or without a key log the
 * records cannot be decrypted. */
START_TEST(why_midstream)
{
	struct opts o = {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0, 0};
	struct recorded x;
	recorded_new(&x, &o);
	struct route rt = {.from = x.r->app_chunk, .no_syn = true};
	for (int k = 0; k < 2; k++) {
		struct cap_sessions *ss =
		    recorded_route(&x, k ? x.kl : NULL, &rt);
		check_why(ss, CAP_TLS_E_NO_HANDSHAKE,
			  "the handshake was not captured: the capture began "
			  "mid-connection");
		if (k)
			ck_assert_uint_eq(x.st.tls, 0);
		cap_sessions_free(ss);
	}
	recorded_free(&x);
}
END_TEST

START_TEST(why_decrypt_failed)
{
	struct opts o = {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0, 0};
	struct recorded x;
	recorded_new(&x, &o);
	struct rec *r = x.r;

	/* a wrong server handshake secret: the first encrypted record */
	corrupt(&r->keylog, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
	struct cap_keylog *kl = keylog_of(r);
	uint64_t first = find_record(r, CAP_S2C, 23, 0, NULL);
	ck_assert_uint_gt(first, 1);
	char text[256];
	snprintf(text, sizeof(text),
		 "decryption failed at s2c record %llu (bad authentication "
		 "tag: wrong secret or corrupted data)",
		 (unsigned long long)first);
	struct cap_sessions *ss = recorded_route(&x, kl, NULL);
	check_why(ss, CAP_TLS_E_DECRYPT, text);
	char *j = sessions_written(ss, cap_sessions_write_json);
	char want[64];
	snprintf(want, sizeof(want), "\"dir\":\"s2c\",\"record\":%llu}",
		 (unsigned long long)first);
	ck_assert_msg(strstr(j, want), "%s", j);
	free(j);
	cap_sessions_free(ss);
	cap_keylog_free(kl);

	/* the right secrets, a server record damaged on the way: decrypted,
	 * but the server's side stops at that record */
	size_t off = 0;
	uint64_t bad = find_record(r, CAP_S2C, 23, first + 8, &off);
	ck_assert_uint_gt(bad, 0);
	r->wire[CAP_S2C].data[r->wire[CAP_S2C].off + off + 9] ^= 0x40;
	ss = recorded_route(&x, x.kl, NULL);
	cap_sessions_finish(ss);
	struct cs_tls_facts t;
	ck_assert(cs_tls_facts(ss->conns[0], &t));
	ck_assert(t.decrypted);
	ck_assert_int_eq(ss->conns[0]->proto, CS_WS);
	ck_assert_int_eq(t.stop[CAP_C2S], 0);
	ck_assert_int_eq(t.stop[CAP_S2C], CAP_TLS_E_DECRYPT);
	ck_assert_uint_eq(t.stop_record[CAP_S2C], bad);
	ck_assert_uint_eq(t.records[CAP_S2C], bad - first);
	char *sum = sessions_written(ss, cap_sessions_write_summary);
	snprintf(text, sizeof(text),
		 "; decrypted TLS1.3 TLS_AES_128_GCM_SHA256 sni=example.test; "
		 "s2c decryption stopped: decryption failed at s2c record %llu "
		 "(bad",
		 (unsigned long long)bad);
	ck_assert_msg(strstr(sum, text), "%s", sum);
	free(sum);
	cap_sessions_free(ss);
	recorded_free(&x);
}
END_TEST

/* Data missing before any record decrypted, and a handshake cut short. */
START_TEST(why_gap_incomplete)
{
	struct opts o = {TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", 0, 0};
	struct recorded x;
	recorded_new(&x, &o);
	/* TLS 1.2: the client's second flight (key exchange, CCS, Finished)
	 * goes missing */
	size_t second = 0;
	for (size_t i = 0, seen = 0; i < x.r->nchunks && !second; i++)
		if (x.r->chunks[i].dir == CAP_C2S && ++seen == 2)
			second = i;
	struct route rt = {.gap_at = second, .gap_dir = CAP_C2S};
	struct cap_sessions *ss = recorded_route(&x, x.kl, &rt);
	check_why(ss, CAP_TLS_E_GAP,
		  "data missing from the capture before decryption began");
	cap_sessions_free(ss);
	/* the capture ends after the ClientHello, or after the server's
	 * hello (keys, but nothing encrypted yet) */
	for (size_t to = 1; to <= 2; to++) {
		struct route cut = {.to = to};
		ss = recorded_route(&x, x.kl, &cut);
		check_why(ss, CAP_TLS_E_INCOMPLETE,
			  "the handshake did not complete in the capture");
		cap_sessions_free(ss);
	}
	recorded_free(&x);
}
END_TEST

START_TEST(why_bad_handshake)
{
	/* a handshake record whose ClientHello is empty */
	static const uint8_t bad[] = {0x16, 0x03, 0x01, 0x00, 0x04,
				      0x01, 0x00, 0x00, 0x00};
	struct recorded x;
	memset(&x, 0, sizeof(x));
	x.r = calloc(1, sizeof(*x.r));
	proto_buf_append(&x.r->wire[CAP_C2S], bad, sizeof(bad));
	x.r->chunks[0] = (struct chunk){CAP_C2S, 0, sizeof(bad)};
	x.r->nchunks = 1;
	x.kl = cap_keylog_new();
	struct cap_sessions *ss = recorded_route(&x, x.kl, NULL);
	check_why(ss, CAP_TLS_E_HANDSHAKE, "malformed TLS handshake message");
	ck_assert_int_eq(x.rep.last_err, CAP_TLS_E_HANDSHAKE);
	cap_sessions_free(ss);
	recorded_free(&x);
}
END_TEST

START_TEST(decrypted_facts)
{
	struct opts o = {TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", 0, 0};
	struct recorded x;
	recorded_new(&x, &o);
	struct cap_sessions *ss = recorded_route(&x, x.kl, NULL);
	cap_sessions_finish(ss);
	ck_assert_int_eq(ss->conns[0]->proto, CS_WS);
	struct cs_tls_facts t;
	ck_assert(cs_tls_facts(ss->conns[0], &t));
	ck_assert(t.decrypted);
	ck_assert_int_eq(t.why, 0);
	ck_assert_str_eq(t.selected, "TLS1.3");
	ck_assert_str_eq(t.offered, "TLS1.3");
	ck_assert_str_eq(t.sni, "example.test");
	ck_assert_uint_eq(t.suite, 0x1303);
	ck_assert_uint_gt(t.records[0], 3);
	ck_assert_uint_gt(t.records[1], 3);
	char *j = sessions_written(ss, cap_sessions_write_json);
	char want[512];
	snprintf(want, sizeof(want),
		 "\"tls\":{\"sni\":\"example.test\",\"offered\":[\"TLS1.3\"],"
		 "\"selected\":\"TLS1.3\",\"client_hello\":true,\"server_"
		 "hello\":true,\"cipher_suite\":{\"id\":4867,\"name\":\"TLS_"
		 "CHACHA20_POLY1305_SHA256\"},\"decrypted\":true,\"not_"
		 "decrypted\":null,\"records\":{\"c2s\":%llu,\"s2c\":%llu},"
		 "\"stopped\":{\"c2s\":null,\"s2c\":null}}",
		 (unsigned long long)t.records[0],
		 (unsigned long long)t.records[1]);
	ck_assert_msg(strstr(j, want), "no %s in %s", want, j);
	free(j);
	char *sum = sessions_written(ss, cap_sessions_write_summary);
	ck_assert_msg(strstr(sum, "; decrypted TLS1.3 "
				  "TLS_CHACHA20_POLY1305_SHA256 "
				  "sni=example.test\n"),
		      "%s", sum);
	free(sum);
	cap_sessions_free(ss);
	recorded_free(&x);
}
END_TEST

static Suite *cap_tls_suite(void)
{
	Suite *s = suite_create("cap_tls");
	TCase *tc = tcase_create("tls13");
	tcase_add_test(tc, tls13_aes128gcm);
	tcase_add_test(tc, tls13_aes256gcm);
	tcase_add_test(tc, tls13_chacha20);
	tcase_add_test(tc, tls13_key_update_and_hrr);
	tcase_add_test(tc, tls13_missing_app_secret);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("tls12");
	tcase_add_test(tc, tls12_aes128gcm);
	tcase_add_test(tc, tls12_aes256gcm);
	tcase_add_test(tc, tls12_chacha20);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("keys");
	test_scratch_fixture(tc);
	tcase_add_test(tc, keylog_parse);
	tcase_add_test(tc, keylog_long_lines);
	tcase_add_test(tc, no_keylog_entry);
	tcase_add_test(tc, wrong_secret_fails_cleanly);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("filter");
	tcase_add_test(tc, filter_into_sessions);
	tcase_add_test(tc, filter_passes_plain_tcp);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("why");
	tcase_add_test(tc, decrypted_facts);
	tcase_add_test(tc, why_no_keylog_no_key);
	tcase_add_test(tc, why_cipher);
	tcase_add_test(tc, why_version);
	tcase_add_test(tc, why_midstream);
	tcase_add_test(tc, why_decrypt_failed);
	tcase_add_test(tc, why_gap_incomplete);
	tcase_add_test(tc, why_bad_handshake);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(cap_tls_suite)
