/* The per-connection TLS decryptor of cap_tls.h: record framing, the
 * hellos, key derivation (TLS 1.2 PRF key_block, TLS 1.3
 * HKDF-Expand-Label) and AEAD record decryption with OpenSSL's EVP
 * primitives. Key log parsing is cap_keylog.c's; the sink in front of the
 * session sink is cap_tls_filter.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "cap_tls.h"
#include "cap_tls_hello.h"
#include "proto_buf.h"

#define REC_MAX (16384 + 2048) /* largest record fragment we accept */
#define HS_MAX (1u << 20)      /* largest handshake message */
#define WAIT_MAX (8u << 20)    /* bytes a direction may hold waiting */

enum aead { AEAD_GCM, AEAD_CHACHA };

struct tls_keys {
	bool on;
	EVP_CIPHER_CTX *ctx;
	uint8_t iv[12];
	uint64_t seq;
	uint8_t secret[48]; /* TLS 1.3 traffic secret (KeyUpdate) */
	size_t secret_len;
};

struct tls_dir {
	struct proto_buf in; /* raw bytes not processed yet */
	struct proto_buf hs; /* handshake bytes not parsed yet */
	struct tls_keys k;
	bool app;	 /* 1.3: application keys in use */
	bool finished;	 /* Finished seen in this record: switch keys */
	bool key_update; /* KeyUpdate seen in this record: update keys */
	bool early_reported;
};

struct cap_tls {
	const struct cap_keylog *kl;
	struct cap_tls_cbs cbs;
	struct cap_tls_info info;
	const struct cap_keylog_entry *e;
	bool have_ch, have_sh, hrr, early_offered;
	uint8_t client_random[32], server_random[32];
	const EVP_CIPHER *cipher;
	const char *md; /* digest name for the KDFs */
	size_t key_len, hash_len;
	enum aead aead;
	struct tls_dir d[2];
	uint8_t *scratch; /* REC_MAX bytes of plaintext */
};

static const char *dir_name(enum cap_dir dir)
{
	return dir == CAP_C2S ? "c2s" : "s2c";
}

const char *cap_tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0304:
		return "TLS1.3";
	case 0x0303:
		return "TLS1.2";
	case 0x0302:
		return "TLS1.1";
	case 0x0301:
		return "TLS1.0";
	case 0x0300:
		return "SSL3.0";
	default:
		return NULL;
	}
}

static void report(struct cap_tls *t, enum cap_dir dir, int err,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct cap_tls *t, enum cap_dir dir, int err,
		   const char *fmt, ...)
{
	if (!t->cbs.report)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->cbs.report(t->cbs.ctx, dir, err, msg);
}

/* End decryption of one direction for `err` (what it holds counts as
 * undecrypted). */
static void stop_dir(struct cap_tls *t, enum cap_dir dir, int err)
{
	struct tls_dir *d = &t->d[dir];
	if (t->info.stopped[dir])
		return;
	t->info.stopped[dir] = true;
	t->info.stop_err[dir] = err;
	t->info.undecrypted[dir] += proto_buf_size(&d->in);
	proto_buf_reset(&d->in);
	proto_buf_reset(&d->hs);
}

/* The connection will not be decrypted, for `err` found in `dir`: stop
 * both directions. */
static void give_up(struct cap_tls *t, enum cap_tls_state st, enum cap_dir dir,
		    int err)
{
	t->info.state = st;
	t->info.err = err;
	t->info.err_dir = dir;
	stop_dir(t, CAP_C2S, err);
	stop_dir(t, CAP_S2C, err);
}

/* A problem in one direction: reported, the direction stops; before the
 * first record decrypted, the whole connection fails. */
static void fail(struct cap_tls *t, enum cap_dir dir, int err, const char *what)
{
	report(t, dir, err, "%s: %s%s%s", dir_name(dir), cap_tls_strerror(err),
	       what ? ": " : "", what ? what : "");
	if (t->info.state == CAP_TLS_HELLO)
		give_up(t, CAP_TLS_NOT_TLS, dir, err);
	else if (t->info.state == CAP_TLS_KEYS)
		give_up(t, CAP_TLS_FAILED, dir, err);
	else
		stop_dir(t, dir, err);
}

/* ---- key derivation -------------------------------------------------- */

static int kdf(const char *name, OSSL_PARAM *params, uint8_t *out, size_t n)
{
	EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *c = k ? EVP_KDF_CTX_new(k) : NULL;
	int ok = c && EVP_KDF_derive(c, out, n, params) > 0;
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(k);
	return ok ? 0 : CAP_TLS_E_CRYPTO;
}

/* RFC 8446 7.1 HKDF-Expand-Label(secret, label, "", n). */
static int hkdf_expand_label(const char *md, const uint8_t *secret, size_t slen,
			     const char *label, uint8_t *out, size_t n)
{
	uint8_t info[2 + 1 + 6 + 32 + 1];
	size_t ll = strlen(label);
	info[0] = (uint8_t)(n >> 8);
	info[1] = (uint8_t)n;
	info[2] = (uint8_t)(6 + ll);
	memcpy(info + 3, "tls13 ", 6);
	memcpy(info + 9, label, ll);
	info[9 + ll] = 0; /* empty context */
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[] = {OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
			  OSSL_PARAM_construct_utf8_string(
			      OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
			  OSSL_PARAM_construct_octet_string(
			      OSSL_KDF_PARAM_KEY, (void *)secret, slen),
			  OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							    info, 10 + ll),
			  OSSL_PARAM_construct_end()};
	return kdf("HKDF", p, out, n);
}

/* Install key and iv (iv_len bytes, the rest of the 12 zero) in k. */
static int keys_set(struct cap_tls *t, struct tls_keys *k, const uint8_t *key,
		    const uint8_t *iv, size_t iv_len)
{
	if (!k->ctx && !(k->ctx = EVP_CIPHER_CTX_new()))
		return CAP_TLS_E_NOMEM;
	if (EVP_DecryptInit_ex(k->ctx, t->cipher, NULL, key, NULL) <= 0)
		return CAP_TLS_E_CRYPTO;
	memset(k->iv, 0, sizeof(k->iv));
	memcpy(k->iv, iv, iv_len);
	k->seq = 0;
	k->on = true;
	return 0;
}

/* TLS 1.3: keys from a traffic secret. */
static int keys_from_secret(struct cap_tls *t, struct tls_keys *k,
			    const uint8_t *secret, size_t slen)
{
	uint8_t key[32], iv[12];
	int r = hkdf_expand_label(t->md, secret, slen, "key", key, t->key_len);
	if (!r)
		r = hkdf_expand_label(t->md, secret, slen, "iv", iv, 12);
	if (!r)
		r = keys_set(t, k, key, iv, 12);
	memcpy(k->secret, secret, slen);
	k->secret_len = slen;
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/* TLS 1.2: both directions' keys from the master secret. */
static int keys_tls12(struct cap_tls *t)
{
	uint8_t seed[13 + 64], kb[2 * 32 + 2 * 12];
	size_t ivl = t->aead == AEAD_GCM ? 4 : 12;
	size_t n = 2 * t->key_len + 2 * ivl;
	memcpy(seed, "key expansion", 13);
	memcpy(seed + 13, t->server_random, 32);
	memcpy(seed + 45, t->client_random, 32);
	OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(
			      OSSL_KDF_PARAM_DIGEST, (char *)t->md, 0),
			  OSSL_PARAM_construct_octet_string(
			      OSSL_KDF_PARAM_SECRET, (void *)t->e->master, 48),
			  OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
							    seed, sizeof(seed)),
			  OSSL_PARAM_construct_end()};
	int r = kdf("TLS1-PRF", p, kb, n);
	/* key_block: client key, server key, client iv, server iv (the MAC
	 * keys are empty for AEAD suites) */
	if (!r)
		r = keys_set(t, &t->d[CAP_C2S].k, kb, kb + 2 * t->key_len, ivl);
	if (!r)
		r = keys_set(t, &t->d[CAP_S2C].k, kb + t->key_len,
			     kb + 2 * t->key_len + ivl, ivl);
	/* CCS turns them on, per direction */
	t->d[CAP_C2S].k.on = t->d[CAP_S2C].k.on = false;
	OPENSSL_cleanse(kb, sizeof(kb));
	return r;
}

/* ---- the hellos -------------------------------------------------------- */

static int client_hello(struct cap_tls *t, const uint8_t *b, size_t n)
{
	struct cap_tls_hello h;
	if (t->have_ch)
		return 0; /* the second one, after a HelloRetryRequest */
	int rc = cap_tls_hello_parse(true, b, n, &h);
	if (rc < 0)
		return rc;
	if (h.sni && h.sni_len < sizeof(t->info.sni)) {
		memcpy(t->info.sni, h.sni, h.sni_len);
		t->info.sni[h.sni_len] = '\0';
	}
	memcpy(t->info.offered, h.offered, sizeof(h.offered));
	t->info.noffered = h.noffered;
	t->early_offered = h.early_data;
	memcpy(t->client_random, h.random, 32);
	t->have_ch = true;
	t->e = cap_keylog_find(t->kl, t->client_random);
	t->info.keylog_entry = t->e != NULL;
	return 0;
}

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
    0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
    0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static bool pick_suite(struct cap_tls *t)
{
	unsigned s = t->info.suite;
	bool v13 = t->info.version == 0x0304;
	t->md = "SHA256";
	t->hash_len = 32;
	t->key_len = 16;
	t->aead = AEAD_GCM;
	t->cipher = EVP_aes_128_gcm();
	if (v13 ? s == 0x1302
		: (s == 0x009D || s == 0x009F || s == 0xC02C || s == 0xC030)) {
		t->md = "SHA384";
		t->hash_len = 48;
		t->key_len = 32;
		t->cipher = EVP_aes_256_gcm();
	} else if (v13 ? s == 0x1303
		       : (s == 0xCCA8 || s == 0xCCA9 || s == 0xCCAA)) {
		t->key_len = 32;
		t->aead = AEAD_CHACHA;
		t->cipher = EVP_chacha20_poly1305();
	} else if (!(v13 ? s == 0x1301
			 : (s == 0x009C || s == 0x009E || s == 0xC02B ||
			    s == 0xC02F))) {
		return false;
	}
	return true;
}

static void not_decrypting(struct cap_tls *t, enum cap_tls_state st, int err,
			   const char *why)
{
	const char *v = cap_tls_version_name(t->info.version);
	report(t, CAP_S2C, err, "%s (%s, suite 0x%04x, SNI '%s')", why,
	       v ? v : "unknown version", t->info.suite, t->info.sni);
	give_up(t, st, CAP_S2C, err);
}

static int server_hello(struct cap_tls *t, const uint8_t *b, size_t n)
{
	struct cap_tls_hello h;
	if (t->have_sh)
		return 0;
	int rc = cap_tls_hello_parse(false, b, n, &h);
	if (rc < 0)
		return rc;
	if (!memcmp(h.random, hrr_random, 32)) {
		t->hrr = true; /* HelloRetryRequest: the real one follows */
		return 0;
	}
	memcpy(t->server_random, h.random, 32);
	t->have_sh = true;
	t->info.version = h.selected;
	t->info.suite = h.suite;
	if (!t->e) {
		not_decrypting(t, CAP_TLS_NO_KEY, CAP_TLS_E_NO_SECRET,
			       "no key log entry for this client random");
		return 0;
	}
	if (h.selected != 0x0303 && h.selected != 0x0304) {
		not_decrypting(t, CAP_TLS_UNSUPPORTED, CAP_TLS_E_VERSION,
			       "not decrypted");
		return 0;
	}
	if (!pick_suite(t)) {
		char why[64];
		snprintf(why, sizeof(why), "cipher suite 0x%04x not decrypted",
			 h.suite);
		not_decrypting(t, CAP_TLS_UNSUPPORTED, CAP_TLS_E_CIPHER, why);
		return 0;
	}
	if (!t->scratch && !(t->scratch = malloc(REC_MAX)))
		return CAP_TLS_E_NOMEM;
	if (h.selected == 0x0303) {
		if (!t->e->has_master) {
			not_decrypting(t, CAP_TLS_NO_KEY, CAP_TLS_E_NO_SECRET,
				       "no CLIENT_RANDOM line for this TLS "
				       "1.2 connection");
			return 0;
		}
		rc = keys_tls12(t);
	} else {
		const struct cap_keylog_entry *e = t->e;
		if (e->secret_len[CAP_KL_CLIENT_HS] != t->hash_len ||
		    e->secret_len[CAP_KL_SERVER_HS] != t->hash_len) {
			not_decrypting(t, CAP_TLS_NO_KEY, CAP_TLS_E_NO_SECRET,
				       "no handshake traffic secrets of the "
				       "suite's length for this connection");
			return 0;
		}
		rc = keys_from_secret(t, &t->d[CAP_C2S].k,
				      e->secret[CAP_KL_CLIENT_HS], t->hash_len);
		if (!rc)
			rc = keys_from_secret(t, &t->d[CAP_S2C].k,
					      e->secret[CAP_KL_SERVER_HS],
					      t->hash_len);
	}
	if (rc < 0)
		return rc;
	t->info.state = CAP_TLS_KEYS;
	return 0;
}

/* Parse the complete handshake messages in d->hs. */
static int handshake(struct cap_tls *t, enum cap_dir dir, bool encrypted)
{
	struct tls_dir *d = &t->d[dir];
	while (proto_buf_size(&d->hs) >= 4) {
		const uint8_t *h = proto_buf_head(&d->hs);
		size_t len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
		if (len > HS_MAX)
			return CAP_TLS_E_HANDSHAKE;
		if (proto_buf_size(&d->hs) < 4 + len)
			return 0;
		int r = 0;
		uint8_t type = h[0];
		bool v13 = t->info.version == 0x0304;
		if (!encrypted && !(dir == CAP_C2S ? t->have_ch : t->have_sh) &&
		    type != (dir == CAP_C2S ? 1 : 2))
			return CAP_TLS_E_HANDSHAKE; /* no hello first */
		if (!encrypted && type == 1 && dir == CAP_C2S)
			r = client_hello(t, h + 4, len);
		else if (!encrypted && type == 2 && dir == CAP_S2C)
			r = server_hello(t, h + 4, len);
		else if (encrypted && type == 20)
			d->finished = true;
		else if (encrypted && v13 && type == 24)
			d->key_update = true;
		else if (encrypted && !v13 && (type == 1 || type == 2))
			r = CAP_TLS_E_RENEGOTIATION;
		if (r < 0)
			return r;
		if (t->info.stopped[dir])
			return 0;
		proto_buf_consume(&d->hs, 4 + len);
	}
	return 0;
}

/* ---- records ----------------------------------------------------------- */

static void nonce_xor(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
	memcpy(nonce, iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
}

/* Decrypt one record into t->scratch. Returns the plaintext length, or
 * CAP_TLS_E_DECRYPT / CAP_TLS_E_RECORD. */
static int decrypt(struct cap_tls *t, struct tls_dir *d, const uint8_t *hdr,
		   const uint8_t *frag, size_t len)
{
	uint8_t nonce[12], aad[13];
	const uint8_t *ct = frag;
	size_t aad_len;
	struct tls_keys *k = &d->k;
	if (t->info.version == 0x0304) {
		if (len < 17)
			return CAP_TLS_E_RECORD;
		nonce_xor(nonce, k->iv, k->seq);
		memcpy(aad, hdr, 5);
		aad_len = 5;
		len -= 16;
	} else {
		size_t explicit_len = t->aead == AEAD_GCM ? 8 : 0;
		if (len < explicit_len + 16)
			return CAP_TLS_E_RECORD;
		if (t->aead == AEAD_GCM) {
			memcpy(nonce, k->iv, 4);
			memcpy(nonce + 4, frag, 8);
			ct += 8;
		} else {
			nonce_xor(nonce, k->iv, k->seq);
		}
		len -= explicit_len + 16;
		for (int i = 0; i < 8; i++)
			aad[i] = (uint8_t)(k->seq >> (56 - 8 * i));
		memcpy(aad + 8, hdr, 3);
		aad[11] = (uint8_t)(len >> 8);
		aad[12] = (uint8_t)len;
		aad_len = 13;
	}
	int ol = 0, fl = 0;
	EVP_CIPHER_CTX *c = k->ctx;
	if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) <= 0 ||
	    EVP_DecryptUpdate(c, NULL, &ol, aad, (int)aad_len) <= 0 ||
	    EVP_DecryptUpdate(c, t->scratch, &ol, ct, (int)len) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16,
				(void *)(ct + len)) <= 0 ||
	    EVP_DecryptFinal_ex(c, t->scratch + ol, &fl) <= 0)
		return CAP_TLS_E_DECRYPT;
	k->seq++;
	return ol + fl;
}

static void emit(struct cap_tls *t, enum cap_dir dir, const uint8_t *p,
		 size_t n)
{
	if (n && t->cbs.plaintext)
		t->cbs.plaintext(t->cbs.ctx, dir, p, n);
}

/* TLS 1.3 key changes at the end of a record. */
static int after_record13(struct cap_tls *t, enum cap_dir dir)
{
	struct tls_dir *d = &t->d[dir];
	if (d->finished && !d->app) {
		int s = dir == CAP_C2S ? CAP_KL_CLIENT_AP : CAP_KL_SERVER_AP;
		d->finished = false;
		d->app = true;
		if (t->e->secret_len[s] != t->hash_len) {
			report(
			    t, dir, CAP_TLS_E_NO_SECRET,
			    "%s: no %s line for this connection", dir_name(dir),
			    s == CAP_KL_CLIENT_AP ? "CLIENT_TRAFFIC_SECRET_0"
						  : "SERVER_TRAFFIC_SECRET_0");
			stop_dir(t, dir, CAP_TLS_E_NO_SECRET);
			return 0;
		}
		return keys_from_secret(t, &d->k, t->e->secret[s], t->hash_len);
	}
	d->finished = false;
	if (d->key_update) {
		/* RFC 8446 7.2: the next secret from the current one */
		uint8_t next[48];
		d->key_update = false;
		int r = hkdf_expand_label(t->md, d->k.secret, d->k.secret_len,
					  "traffic upd", next, t->hash_len);
		if (!r)
			r = keys_from_secret(t, &d->k, next, t->hash_len);
		OPENSSL_cleanse(next, sizeof(next));
		return r;
	}
	return 0;
}

/* One encrypted record. */
static int record_encrypted(struct cap_tls *t, enum cap_dir dir,
			    const uint8_t *hdr, const uint8_t *frag, size_t len)
{
	struct tls_dir *d = &t->d[dir];
	bool v13 = t->info.version == 0x0304;
	int n = decrypt(t, d, hdr, frag, len);
	if (n == CAP_TLS_E_DECRYPT && v13 && dir == CAP_C2S && !d->app &&
	    t->early_offered && t->info.records[dir] == 0) {
		/* 0-RTT data under the early secret: skip it */
		if (!d->early_reported)
			report(t, dir, CAP_TLS_E_EARLY_DATA, "%s: %s",
			       dir_name(dir),
			       cap_tls_strerror(CAP_TLS_E_EARLY_DATA));
		d->early_reported = true;
		return 0;
	}
	if (n < 0) {
		char what[96];
		t->info.fail_record[dir] = t->info.seen[dir] + 1;
		snprintf(what, sizeof(what), "record %llu of this direction",
			 (unsigned long long)t->info.fail_record[dir]);
		fail(t, dir, n, what);
		return 0;
	}
	t->info.records[dir]++;
	if (t->info.state == CAP_TLS_KEYS)
		t->info.state = CAP_TLS_DECRYPTING;
	uint8_t type = hdr[0];
	size_t pl = (size_t)n;
	if (v13) {
		while (pl > 0 && t->scratch[pl - 1] == 0)
			pl--;
		if (pl == 0) {
			fail(t, dir, CAP_TLS_E_RECORD, "no inner content type");
			return 0;
		}
		type = t->scratch[--pl];
	}
	if (type == 23) {
		emit(t, dir, t->scratch, pl);
	} else if (type == 22) {
		if (proto_buf_append(&d->hs, t->scratch, pl) < 0)
			return CAP_TLS_E_NOMEM;
		int r = handshake(t, dir, true);
		if (r == CAP_TLS_E_NOMEM)
			return r;
		if (r < 0) {
			fail(t, dir, r, NULL);
			return 0;
		}
	}
	/* alerts, heartbeats: nothing to show */
	return v13 ? after_record13(t, dir) : 0;
}

/* One record. Returns 0 when consumed, 1 to wait for the other
 * direction, or CAP_TLS_E_NOMEM. */
static int record(struct cap_tls *t, enum cap_dir dir, const uint8_t *hdr,
		  const uint8_t *frag, size_t len)
{
	struct tls_dir *d = &t->d[dir];
	uint8_t type = hdr[0];
	bool v13 = t->info.version == 0x0304;
	if (!t->have_sh && type == 20 && t->hrr)
		return 0; /* TLS 1.3 compatibility ChangeCipherSpec */
	if (!t->have_sh && type != 22 && type != 21)
		return 1; /* needs the version, or keys */
	if (dir == CAP_S2C && !t->have_ch)
		return 1; /* the ServerHello needs the client random */
	if (v13 && type == 20)
		return 0; /* middlebox compatibility ChangeCipherSpec */
	if (d->k.on && (!v13 || type == 23)) {
		int r = record_encrypted(t, dir, hdr, frag, len);
		return r < 0 ? r : 0;
	}
	if (type == 22) {
		if (proto_buf_append(&d->hs, frag, len) < 0)
			return CAP_TLS_E_NOMEM;
		int r = handshake(t, dir, false);
		if (r == CAP_TLS_E_NOMEM)
			return r;
		if (r < 0)
			fail(t, dir, r, NULL);
		return 0;
	}
	if (type == 20 && t->info.state >= CAP_TLS_KEYS && d->k.ctx) {
		d->k.on = true; /* TLS 1.2 ChangeCipherSpec */
		d->k.seq = 0;
	}
	return 0;
}

/* Process the complete records of one direction. Returns true when any
 * was consumed. */
static bool process(struct cap_tls *t, enum cap_dir dir, int *err)
{
	struct tls_dir *d = &t->d[dir];
	bool progress = false;
	while (!t->info.stopped[dir] && proto_buf_size(&d->in) >= 5) {
		const uint8_t *h = proto_buf_head(&d->in);
		size_t len = (size_t)h[3] << 8 | h[4];
		if (h[0] < 20 || h[0] > 24 || h[1] != 3 || len > REC_MAX) {
			fail(t, dir, CAP_TLS_E_RECORD,
			     "not a TLS record header");
			break;
		}
		if (proto_buf_size(&d->in) < 5 + len)
			break;
		int r = record(t, dir, h, h + 5, len);
		if (r < 0) {
			*err = r;
			break;
		}
		if (r == 1)
			break;
		progress = true;
		t->info.seen[dir]++;
		if (!t->info.stopped[dir])
			proto_buf_consume(&d->in, 5 + len);
	}
	if (!t->info.stopped[dir] && proto_buf_size(&d->in) > WAIT_MAX)
		fail(t, dir, CAP_TLS_E_TOO_BIG, NULL);
	return progress;
}

/* ---- the API ----------------------------------------------------------- */

struct cap_tls *cap_tls_new(const struct cap_keylog *kl,
			    const struct cap_tls_cbs *cbs)
{
	struct cap_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->kl = kl;
	if (cbs)
		t->cbs = *cbs;
	for (int i = 0; i < 2; i++) {
		proto_buf_init(&t->d[i].in);
		proto_buf_init(&t->d[i].hs);
	}
	return t;
}

void cap_tls_free(struct cap_tls *t)
{
	if (!t)
		return;
	for (int i = 0; i < 2; i++) {
		proto_buf_free(&t->d[i].in);
		proto_buf_free(&t->d[i].hs);
		EVP_CIPHER_CTX_free(t->d[i].k.ctx);
		OPENSSL_cleanse(t->d[i].k.secret, sizeof(t->d[i].k.secret));
	}
	free(t->scratch);
	free(t);
}

int cap_tls_feed(struct cap_tls *t, enum cap_dir dir, const uint8_t *p,
		 size_t n)
{
	if (n == 0)
		return 0;
	if (t->info.stopped[dir]) {
		t->info.undecrypted[dir] += n;
		return 0;
	}
	if (proto_buf_append(&t->d[dir].in, p, n) < 0)
		return CAP_TLS_E_NOMEM;
	int err = 0;
	enum cap_dir other = dir == CAP_C2S ? CAP_S2C : CAP_C2S;
	bool more = process(t, dir, &err);
	/* the other direction may have waited for this one */
	while (more && !err) {
		more = process(t, other, &err);
		if (more && !err)
			more = process(t, dir, &err);
	}
	return err;
}

void cap_tls_gap(struct cap_tls *t, enum cap_dir dir, uint64_t n)
{
	t->info.undecrypted[dir] += n;
	if (t->info.stopped[dir])
		return;
	char what[64];
	snprintf(what, sizeof(what), "%llu bytes", (unsigned long long)n);
	fail(t, dir, CAP_TLS_E_GAP, what);
}

const struct cap_tls_info *cap_tls_info(const struct cap_tls *t)
{
	return &t->info;
}
