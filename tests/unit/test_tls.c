/* Unit tests for tls_cert (test CA and leaf certificates) and tls_mem (TLS
 * over memory BIOs). A client and a server tls_mem talk to each other in
 * memory: ciphertext is shuttled between them in odd-sized pieces, no
 * sockets. Certificates are checked with OpenSSL's own verifier, and with
 * the openssl command as an independent one where it is installed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "test_util.h"
#include "check_main.h"
#include "proto_buf.h"
#include "proto_err.h"
#include "tls_cert.h"
#include "tls_mem.h"

/* ---- fixtures ---------------------------------------------------------- */

/* Files go to the TCase's scratch directory (test_scratch_fixture). */
#define tmp_path test_scratch_path

static const char *const localhost_names[] = {"localhost", "127.0.0.1", NULL};

/* A CA, its PEM file ca.pem in the scratch dir, and a leaf of `kind` for
 * `names` (signed by `signer`, or by the CA when signer is NULL). */
struct pki {
	struct tls_ca ca;
	EVP_PKEY *key;
	X509 *cert;
	char ca_file[128];
};

static void pki_make(struct pki *p, const char *const *names,
		     enum tls_cert_kind kind, const struct tls_ca *signer)
{
	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(tls_ca_new(&p->ca, "unit"), 0);
	tmp_path(p->ca_file, sizeof(p->ca_file), "ca.pem");
	ck_assert_int_eq(tls_write_cert_pem(p->ca_file, p->ca.cert), 0);
	ck_assert_int_eq(tls_cert_issue(signer ? signer : &p->ca, names, kind,
					&p->key, &p->cert),
			 0);
}

static void pki_free(struct pki *p)
{
	EVP_PKEY_free(p->key);
	X509_free(p->cert);
	tls_ca_free(&p->ca);
}

/* ---- the in-memory wire ---------------------------------------------- */

/* Ciphertext goes from one tls_mem to the other in pieces whose sizes
 * cycle through `sizes`, so records and handshake messages are cut at
 * ever different places. */
struct link {
	const size_t *sizes;
	size_t nsizes;
	size_t next;
	struct proto_buf wire;
};

static const size_t odd_sizes[] = {1, 7, 1000};
static const size_t one_byte[] = {1};

static void link_init(struct link *l, const size_t *sizes, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->sizes = sizes;
	l->nsizes = n;
}

/* Let `to` act on what it was fed: drive the handshake (sink NULL) or
 * read all plaintext into sink. Returns the last result. */
static int poke(struct tls_mem *to, struct proto_buf *sink)
{
	if (sink == NULL)
		return tls_mem_handshake(to);
	uint8_t buf[4093]; /* odd on purpose */
	for (;;) {
		int r = tls_mem_read(to, buf, sizeof(buf));
		if (r <= 0)
			return r;
		ck_assert_int_eq(proto_buf_append(sink, buf, (size_t)r), 0);
	}
}

/* Move everything `from` has queued to `to`, poking `to` after every
 * piece; *last gets the last poke's result (untouched if nothing moved).
 * Returns the bytes moved. */
static size_t pump(struct link *l, struct tls_mem *from, struct tls_mem *to,
		   struct proto_buf *sink, int *last)
{
	size_t moved = tls_mem_take_out(from, &l->wire);
	ck_assert_uint_eq(moved, proto_buf_size(&l->wire));
	while (proto_buf_size(&l->wire) > 0) {
		size_t n = l->sizes[l->next++ % l->nsizes];
		if (n > proto_buf_size(&l->wire))
			n = proto_buf_size(&l->wire);
		ck_assert_int_eq(tls_mem_feed(to, proto_buf_head(&l->wire), n),
				 0);
		proto_buf_consume(&l->wire, n);
		*last = poke(to, sink);
	}
	return moved;
}

/* Run the handshake to its end, either way; *rc and *rs get the client's
 * and the server's last tls_mem_handshake results. */
static void handshake(struct link *l, struct tls_mem *c, struct tls_mem *s,
		      int *rc, int *rs)
{
	*rc = tls_mem_handshake(c);
	*rs = tls_mem_handshake(s);
	for (int round = 0; round < 16; round++) {
		size_t a = pump(l, c, s, NULL, rs);
		size_t b = pump(l, s, c, NULL, rc);
		if (a == 0 && b == 0)
			return;
	}
	ck_abort_msg("handshake did not settle");
}

/* A client and a server session on their contexts. */
struct pair {
	SSL_CTX *sctx, *cctx;
	struct tls_mem c, s;
	struct link l;
};

static void pair_open(struct pair *p, SSL_CTX *sctx, SSL_CTX *cctx,
		      const char *host, const size_t *sizes, size_t nsizes)
{
	memset(p, 0, sizeof(*p));
	p->sctx = sctx;
	p->cctx = cctx;
	ck_assert_ptr_nonnull(sctx);
	ck_assert_ptr_nonnull(cctx);
	ck_assert_int_eq(tls_mem_init(&p->s, sctx, true, NULL), 0);
	ck_assert_int_eq(tls_mem_init(&p->c, cctx, false, host), 0);
	link_init(&p->l, sizes, nsizes);
}

static void pair_close(struct pair *p)
{
	tls_mem_free(&p->c);
	tls_mem_free(&p->s);
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
	proto_buf_free(&p->l.wire);
}

static void pair_handshake_ok(struct pair *p)
{
	int rc, rs;
	handshake(&p->l, &p->c, &p->s, &rc, &rs);
	ck_assert_msg(rc == 1, "client: %d %s", rc, p->c.error);
	ck_assert_msg(rs == 1, "server: %d %s", rs, p->s.error);
	ck_assert(p->c.handshake_done);
	ck_assert(p->s.handshake_done);
	ck_assert_str_eq(p->c.error, "");
	ck_assert_str_eq(p->s.error, "");
}

static SSL_CTX *server_ctx(const struct pki *k)
{
	char err[256] = "";
	SSL_CTX *ctx = tls_ctx_server(k->cert, k->key, err, sizeof(err));
	ck_assert_msg(ctx != NULL, "%s", err);
	return ctx;
}

static SSL_CTX *client_ctx(const char *ca_file, bool insecure)
{
	char err[256] = "";
	SSL_CTX *ctx = tls_ctx_client(ca_file, insecure, err, sizeof(err));
	ck_assert_msg(ctx != NULL, "%s", err);
	return ctx;
}

/* Send n pattern bytes from `from` to `to` and check they arrive whole. */
static void transfer(struct pair *p, struct tls_mem *from, struct tls_mem *to,
		     size_t n, uint32_t seed)
{
	uint8_t *data = malloc(n);
	ck_assert_ptr_nonnull(data);
	uint32_t x = seed;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 16);
	}
	ck_assert_int_eq(tls_mem_write(from, data, n), 0);
	struct proto_buf got = PROTO_BUF_INIT;
	int last = 99;
	size_t moved = pump(&p->l, from, to, &got, &last);
	ck_assert_uint_gt(moved, n); /* ciphertext carries overhead */
	ck_assert_int_eq(last, 0);   /* nothing more to read */
	ck_assert_uint_eq(proto_buf_size(&got), n);
	ck_assert(memcmp(proto_buf_head(&got), data, n) == 0);
	proto_buf_free(&got);
	free(data);
}

/* ---- certificates ------------------------------------------------------ */

static X509_STORE *store_with(X509 *ca)
{
	X509_STORE *st = X509_STORE_new();
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(X509_STORE_add_cert(st, ca), 1);
	return st;
}

/* X509_verify_cert of `cert` against a store holding `ca` (for a TLS
 * server unless `cert` is that CA); returns the verify error (X509_V_OK
 * on success). */
static int verify_against(X509 *ca, X509 *cert)
{
	X509_STORE *st = store_with(ca);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(X509_STORE_CTX_init(ctx, st, cert, NULL), 1);
	if (cert != ca)
		ck_assert_int_eq(
		    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER),
		    1);
	int ok = X509_verify_cert(ctx);
	int err = X509_STORE_CTX_get_error(ctx);
	ck_assert_int_eq(ok == 1, err == X509_V_OK);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return err;
}

static void check_p256(EVP_PKEY *key)
{
	char group[64] = "";
	ck_assert(EVP_PKEY_is_a(key, "EC"));
	ck_assert_int_eq(
	    EVP_PKEY_get_group_name(key, group, sizeof(group), NULL), 1);
	ck_assert_str_eq(group, "prime256v1");
	ck_assert_int_eq(EVP_PKEY_get_bits(key), 256);
}

static void check_cn(X509 *cert, const char *want)
{
	char cn[128] = "";
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
						   NID_commonName, cn,
						   sizeof(cn)),
			 0);
	ck_assert_str_eq(cn, want);
}

static int serial_bits(X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	ck_assert_ptr_nonnull(bn);
	ck_assert(!BN_is_negative(bn));
	int bits = BN_num_bits(bn);
	BN_free(bn);
	return bits;
}

/* notAfter - notBefore in whole days and leftover seconds. */
static void validity_span(X509 *cert, int *days, int *secs)
{
	ck_assert_int_eq(ASN1_TIME_diff(days, secs, X509_get0_notBefore(cert),
					X509_get0_notAfter(cert)),
			 1);
}

START_TEST(ca_is_a_ca)
{
	struct tls_ca ca;
	ck_assert_int_eq(tls_ca_new(&ca, "unit"), 0);
	check_p256(ca.key);
	check_cn(ca.cert, "wssim test CA unit");
	ck_assert_int_eq(X509_get_version(ca.cert), X509_VERSION_3);
	ck_assert_int_eq(X509_check_ca(ca.cert), 1);
	int crit = -1;
	BASIC_CONSTRAINTS *bc =
	    X509_get_ext_d2i(ca.cert, NID_basic_constraints, &crit, NULL);
	ck_assert_ptr_nonnull(bc);
	ck_assert(bc->ca);
	ck_assert_int_eq(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	ck_assert_uint_eq(X509_get_key_usage(ca.cert),
			  KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca.cert);
	ck_assert_ptr_nonnull(ski);
	ck_assert_int_eq(ASN1_STRING_length(ski), 20);
	ck_assert_int_eq(X509_self_signed(ca.cert, 1), 1);
	ck_assert_int_eq(X509_check_private_key(ca.cert, ca.key), 1);
	ck_assert_int_eq(X509_get_signature_nid(ca.cert),
			 NID_ecdsa_with_SHA256);
	ck_assert_int_eq(serial_bits(ca.cert), 128);
	int days = -1, secs = -1;
	validity_span(ca.cert, &days, &secs);
	ck_assert_int_eq(days, 30);
	ck_assert_int_eq(secs, 0);
	ck_assert_int_eq(verify_against(ca.cert, ca.cert), X509_V_OK);
	tls_ca_free(&ca);
	ck_assert_ptr_null(ca.cert);
	ck_assert_ptr_null(ca.key);
}
END_TEST

START_TEST(leaf_verifies_with_exact_san)
{
	const char *const names[] = {"localhost",	"127.0.0.1", "::1",
				     "ws.example.test", "10.1.2.3",  NULL};
	struct tls_ca ca;
	EVP_PKEY *key, *key2;
	X509 *cert, *cert2;
	ck_assert_int_eq(tls_ca_new(&ca, NULL), 0);
	check_cn(ca.cert, "wssim test CA");
	ck_assert_int_eq(
	    tls_cert_issue(&ca, names, TLS_CERT_VALID, &key, &cert), 0);
	ck_assert_int_eq(
	    tls_cert_issue(&ca, names, TLS_CERT_VALID, &key2, &cert2), 0);

	ck_assert_int_eq(verify_against(ca.cert, cert), X509_V_OK);
	check_p256(key);
	ck_assert_int_eq(X509_check_private_key(cert, key), 1);
	ck_assert_int_eq(X509_check_private_key(cert, key2), 0);
	check_cn(cert, "localhost");
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(cert),
				       X509_get_subject_name(ca.cert)),
			 0);
	ck_assert_int_eq(X509_check_ca(cert), 0);
	ck_assert_uint_eq(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	ck_assert_uint_eq(X509_get_extended_key_usage(cert),
			  XKU_SSL_SERVER | XKU_SSL_CLIENT);
	ck_assert_int_eq(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
	ck_assert_int_eq(serial_bits(cert), 128);
	ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert),
					  X509_get0_serialNumber(cert2)),
			 0);
	/* authorityKeyIdentifier names the CA's key. */
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(cert);
	ck_assert_ptr_nonnull(aki);
	ck_assert_int_eq(
	    ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(ca.cert)), 0);

	/* Valid from one hour ago, for 30 days. */
	int days = -1, secs = -1;
	validity_span(cert, &days, &secs);
	ck_assert_int_eq(days, 30);
	ck_assert_int_eq(secs, 0);
	ck_assert_int_lt(X509_cmp_current_time(X509_get0_notBefore(cert)), 0);
	ck_assert_int_gt(X509_cmp_current_time(X509_get0_notAfter(cert)), 0);
	ASN1_TIME *now = X509_gmtime_adj(NULL, 0);
	ck_assert_int_eq(
	    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), now), 1);
	ck_assert_int_eq(days, 0);
	ck_assert_int_ge(secs, 3600);
	ck_assert_int_lt(secs, 3600 + 600);
	ASN1_TIME_free(now);

	/* The SAN holds exactly the names, in order, IP literals as IPs. */
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	ck_assert_ptr_nonnull(gens);
	ck_assert_int_eq(sk_GENERAL_NAME_num(gens), 5);
	static const unsigned char ip4[] = {127, 0, 0, 1};
	static const unsigned char ip6[16] = {[15] = 1};
	static const unsigned char ip10[] = {10, 1, 2, 3};
	const struct {
		int type;
		const void *p;
		int len;
	} want[] = {{GEN_DNS, "localhost", 9},
		    {GEN_IPADD, ip4, 4},
		    {GEN_IPADD, ip6, 16},
		    {GEN_DNS, "ws.example.test", 15},
		    {GEN_IPADD, ip10, 4}};
	for (int i = 0; i < 5; i++) {
		int type = -1;
		ASN1_STRING *v = GENERAL_NAME_get0_value(
		    sk_GENERAL_NAME_value(gens, i), &type);
		ck_assert_int_eq(type, want[i].type);
		ck_assert_int_eq(ASN1_STRING_length(v), want[i].len);
		ck_assert_mem_eq(ASN1_STRING_get0_data(v), want[i].p,
				 (size_t)want[i].len);
	}
	GENERAL_NAMES_free(gens);
	ck_assert_int_eq(X509_check_host(cert, "ws.example.test", 0, 0, NULL),
			 1);
	ck_assert_int_eq(X509_check_ip_asc(cert, "::1", 0), 1);
	ck_assert_int_eq(X509_check_host(cert, "example.org", 0, 0, NULL), 0);
	ck_assert_int_eq(X509_check_ip_asc(cert, "127.0.0.2", 0), 0);

	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	X509_free(cert);
	X509_free(cert2);
	tls_ca_free(&ca);
}
END_TEST

START_TEST(expired_and_self_signed)
{
	struct tls_ca ca;
	EVP_PKEY *key;
	X509 *cert;
	ck_assert_int_eq(tls_ca_new(&ca, "unit"), 0);

	ck_assert_int_eq(
	    tls_cert_issue(&ca, localhost_names, TLS_CERT_EXPIRED, &key, &cert),
	    0);
	/* Ended yesterday: in the past, but less than two days ago. */
	ck_assert_int_lt(X509_cmp_current_time(X509_get0_notAfter(cert)), 0);
	time_t two_days_ago = time(NULL) - 2 * 24 * 3600;
	ck_assert_int_gt(X509_cmp_time(X509_get0_notAfter(cert), &two_days_ago),
			 0);
	int days = -1, secs = -1;
	validity_span(cert, &days, &secs);
	ck_assert_int_eq(days, 30);
	ck_assert_int_eq(verify_against(ca.cert, cert),
			 X509_V_ERR_CERT_HAS_EXPIRED);
	EVP_PKEY_free(key);
	X509_free(cert);

	ck_assert_int_eq(tls_cert_issue(NULL, localhost_names,
					TLS_CERT_SELF_SIGNED, &key, &cert),
			 0);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(cert),
				       X509_get_subject_name(cert)),
			 0);
	ck_assert_int_eq(X509_verify(cert, key), 1);
	ck_assert_int_eq(X509_verify(cert, ca.key), 0);
	ck_assert_int_eq(X509_check_ca(cert), 0);
	ck_assert_int_eq(X509_self_signed(cert, 1), 1);
	ck_assert_int_eq(verify_against(ca.cert, cert),
			 X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	EVP_PKEY_free(key);
	X509_free(cert);
	tls_ca_free(&ca);
}
END_TEST

START_TEST(bad_arguments)
{
	struct tls_ca ca;
	EVP_PKEY *key = (EVP_PKEY *)1;
	X509 *cert = (X509 *)1;
	const char *const none[] = {NULL};
	const char *const spaced[] = {"local host", NULL};
	ck_assert_int_eq(tls_ca_new(&ca, "unit"), 0);
	ck_assert_int_eq(tls_cert_issue(&ca, NULL, TLS_CERT_VALID, &key, &cert),
			 PROTO_E_INVAL);
	ck_assert_ptr_null(key);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(tls_cert_issue(&ca, none, TLS_CERT_VALID, &key, &cert),
			 PROTO_E_INVAL);
	ck_assert_int_eq(
	    tls_cert_issue(&ca, spaced, TLS_CERT_VALID, &key, &cert),
	    PROTO_E_INVAL);
	ck_assert_int_eq(
	    tls_cert_issue(NULL, localhost_names, TLS_CERT_VALID, &key, &cert),
	    PROTO_E_INVAL);
	ck_assert_int_eq(tls_cert_issue(NULL, localhost_names, TLS_CERT_EXPIRED,
					&key, &cert),
			 PROTO_E_INVAL);
	ck_assert_ptr_null(key);
	ck_assert_ptr_null(cert);

	errno = 0;
	ck_assert_int_eq(
	    tls_write_cert_pem("/nonexistent-wssim/c.pem", ca.cert),
	    PROTO_E_CRYPTO);
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_int_eq(tls_write_key_pem("/nonexistent-wssim/k.pem", ca.key),
			 PROTO_E_CRYPTO);
	ck_assert_int_eq(errno, ENOENT);
	tls_ca_free(&ca);
	tls_ca_free(&ca); /* twice is fine */
}
END_TEST

/* Run `cmd` through the shell; its exit status and first output line. */
static int run(const char *cmd, char *out, size_t outlen)
{
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(pem_files)
{
	char ca_file[128], leaf_file[128], key_file[128];
	tmp_path(ca_file, sizeof(ca_file), "ca.pem");
	tmp_path(leaf_file, sizeof(leaf_file), "leaf.pem");
	tmp_path(key_file, sizeof(key_file), "leaf.key");
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	ck_assert_int_eq(tls_write_cert_pem(leaf_file, k.cert), 0);
	/* A key file that exists with a loose mode, under a loose umask,
	 * still ends up 0600. */
	FILE *f = fopen(key_file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(chmod(key_file, 0644), 0);
	mode_t old = umask(0);
	ck_assert_int_eq(tls_write_key_pem(key_file, k.key), 0);
	umask(old);
	struct stat st;
	ck_assert_int_eq(stat(key_file, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	/* What was written reads back as the same objects. */
	f = fopen(leaf_file, "r");
	ck_assert_ptr_nonnull(f);
	X509 *back = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(X509_cmp(back, k.cert), 0);
	X509_free(back);
	f = fopen(key_file, "r");
	ck_assert_ptr_nonnull(f);
	EVP_PKEY *kback = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(kback);
	ck_assert_int_eq(EVP_PKEY_eq(kback, k.key), 1);
	EVP_PKEY_free(kback);
	f = fopen(ca_file, "r");
	ck_assert_ptr_nonnull(f);
	back = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(X509_cmp(back, k.ca.cert), 0);
	ck_assert_int_eq(verify_against(back, k.cert), X509_V_OK);
	X509_free(back);

	/* An independent verifier, where there is one. */
	if (access("/usr/bin/openssl", X_OK) == 0) {
		char cmd[512], out[8192];
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/openssl verify -purpose sslserver -CAfile "
			 "%s %s 2>&1",
			 ca_file, leaf_file);
		ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
		ck_assert_msg(strstr(out, ": OK") != NULL, "%s", out);
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/openssl x509 -noout -text -in %s 2>&1",
			 leaf_file);
		ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
		ck_assert_msg(
		    strstr(out, "DNS:localhost, IP Address:127.0.0.1") != NULL,
		    "%s", out);
		ck_assert_ptr_nonnull(strstr(out, "CA:FALSE"));
		ck_assert_ptr_nonnull(strstr(out, "ecdsa-with-SHA256"));
		ck_assert_ptr_nonnull(
		    strstr(out, "TLS Web Server Authentication"));
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/openssl x509 -noout -text -in %s 2>&1",
			 ca_file);
		ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
		ck_assert_ptr_nonnull(strstr(out, "CA:TRUE"));
		ck_assert_ptr_nonnull(
		    strstr(out, "Certificate Sign, CRL Sign"));
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/openssl pkey -noout -text -in %s 2>&1",
			 key_file);
		ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
		ck_assert_ptr_nonnull(strstr(out, "NIST CURVE: P-256"));
	}
	pki_free(&k);
}
END_TEST

/* ---- TLS over memory --------------------------------------------------- */

START_TEST(handshake_by_name_and_ip)
{
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	struct pair p;

	/* By name: SNI sent, ALPN http/1.1 agreed, TLS 1.3 by default. */
	pair_open(&p, server_ctx(&k), client_ctx(k.ca_file, false), "localhost",
		  odd_sizes, 3);
	ck_assert_str_eq(tls_mem_version(&p.c), "");
	pair_handshake_ok(&p);
	ck_assert_str_eq(tls_mem_version(&p.c), "TLSv1.3");
	ck_assert_str_eq(tls_mem_version(&p.s), "TLSv1.3");
	const char *sni =
	    SSL_get_servername(p.s.ssl, TLSEXT_NAMETYPE_host_name);
	ck_assert_ptr_nonnull(sni);
	ck_assert_str_eq(sni, "localhost");
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;
	SSL_get0_alpn_selected(p.s.ssl, &alpn, &alpn_len);
	ck_assert_uint_eq(alpn_len, 8);
	ck_assert_mem_eq(alpn, "http/1.1", 8);
	SSL_get0_alpn_selected(p.c.ssl, &alpn, &alpn_len);
	ck_assert_uint_eq(alpn_len, 8);
	ck_assert_int_eq(SSL_get_verify_result(p.c.ssl), X509_V_OK);
	transfer(&p, &p.c, &p.s, 5, 1);
	pair_close(&p);

	/* By IP literal, one byte at a time: no SNI, IP SAN checked. */
	pair_open(&p, server_ctx(&k), client_ctx(k.ca_file, false), "127.0.0.1",
		  one_byte, 1);
	pair_handshake_ok(&p);
	ck_assert_ptr_null(
	    SSL_get_servername(p.s.ssl, TLSEXT_NAMETYPE_host_name));
	ck_assert_int_eq(SSL_get_verify_result(p.c.ssl), X509_V_OK);
	transfer(&p, &p.s, &p.c, 5, 2);
	pair_close(&p);
	pki_free(&k);
}
END_TEST

START_TEST(server_from_files)
{
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	char cert_file[128], key_file[128], err[256] = "";
	tmp_path(cert_file, sizeof(cert_file), "leaf.pem");
	tmp_path(key_file, sizeof(key_file), "leaf.key");
	ck_assert_int_eq(tls_write_cert_pem(cert_file, k.cert), 0);
	ck_assert_int_eq(tls_write_key_pem(key_file, k.key), 0);
	SSL_CTX *sctx =
	    tls_ctx_server_files(cert_file, key_file, err, sizeof(err));
	ck_assert_msg(sctx != NULL, "%s", err);
	struct pair p;
	pair_open(&p, sctx, client_ctx(k.ca_file, false), "[127.0.0.1]",
		  odd_sizes, 3);
	pair_handshake_ok(&p);
	transfer(&p, &p.c, &p.s, 100, 3);
	pair_close(&p);
	pki_free(&k);
}
END_TEST

START_TEST(context_errors)
{
	struct pki k, other;
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	pki_make(&other, localhost_names, TLS_CERT_VALID, NULL);
	char cert_file[128], key_file[128], err[256];
	tmp_path(cert_file, sizeof(cert_file), "leaf.pem");
	tmp_path(key_file, sizeof(key_file), "other.key");
	ck_assert_int_eq(tls_write_cert_pem(cert_file, k.cert), 0);
	ck_assert_int_eq(tls_write_key_pem(key_file, other.key), 0);

	err[0] = '\0';
	ck_assert_ptr_null(tls_ctx_server_files("/nonexistent-wssim/c.pem",
						key_file, err, sizeof(err)));
	ck_assert_msg(strstr(err, "/nonexistent-wssim/c.pem") &&
			  strstr(err, "No such file"),
		      "%s", err);
	err[0] = '\0';
	ck_assert_ptr_null(
	    tls_ctx_server_files(cert_file, key_file, err, sizeof(err)));
	ck_assert_msg(strstr(err, "key values mismatch"), "%s", err);
	err[0] = '\0';
	ck_assert_ptr_null(tls_ctx_server(k.cert, other.key, err, sizeof(err)));
	ck_assert_msg(strstr(err, "key values mismatch"), "%s", err);
	err[0] = '\0';
	ck_assert_ptr_null(tls_ctx_client("/nonexistent-wssim/ca.pem", false,
					  err, sizeof(err)));
	ck_assert_msg(strstr(err, "CA file /nonexistent-wssim/ca.pem"), "%s",
		      err);
	/* A FIFO or a device is refused before OpenSSL opens it (it would
	 * block, or read for ever). */
	err[0] = '\0';
	ck_assert_ptr_null(
	    tls_ctx_client("/dev/zero", false, err, sizeof(err)));
	ck_assert_msg(strstr(err, "CA file /dev/zero: is a character device"),
		      "%s", err);
	err[0] = '\0';
	ck_assert_ptr_null(
	    tls_ctx_server_files(cert_file, "/dev/urandom", err, sizeof(err)));
	ck_assert_msg(strstr(err, "key /dev/urandom: is a character device"),
		      "%s", err);
	/* A key file is no CA file. */
	err[0] = '\0';
	ck_assert_ptr_null(tls_ctx_client(key_file, false, err, sizeof(err)));
	ck_assert_msg(strstr(err, key_file), "%s", err);

	/* A name that cannot be SNI fails at init, leaving nothing. */
	SSL_CTX *cctx = client_ctx(k.ca_file, false);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	struct tls_mem t;
	ck_assert_int_eq(tls_mem_init(&t, cctx, false, longname), PROTO_E_TLS);
	ck_assert_ptr_null(t.ssl);
	ck_assert_msg(strstr(t.error, "invalid peer name"), "%s", t.error);
	ck_assert_int_eq(tls_mem_handshake(&t), PROTO_E_TLS);
	tls_mem_free(&t);
	SSL_CTX_free(cctx);
	pki_free(&k);
	pki_free(&other);
}
END_TEST

/* The version the client is limited to is the one agreed. */
static void check_version(int version, const char *name)
{
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	SSL_CTX *cctx = client_ctx(k.ca_file, false);
	ck_assert_int_eq(SSL_CTX_set_min_proto_version(cctx, version), 1);
	ck_assert_int_eq(SSL_CTX_set_max_proto_version(cctx, version), 1);
	struct pair p;
	pair_open(&p, server_ctx(&k), cctx, "localhost", odd_sizes, 3);
	pair_handshake_ok(&p);
	ck_assert_str_eq(tls_mem_version(&p.c), name);
	ck_assert_str_eq(tls_mem_version(&p.s), name);
	ck_assert_int_eq(SSL_version(p.s.ssl), version);
	transfer(&p, &p.c, &p.s, 16384, 4);
	transfer(&p, &p.s, &p.c, 16384, 5);
	pair_close(&p);
	pki_free(&k);
}

START_TEST(tls12_and_tls13)
{
	check_version(TLS1_2_VERSION, "TLSv1.2");
	check_version(TLS1_3_VERSION, "TLSv1.3");
}
END_TEST

START_TEST(round_trips)
{
	static const size_t sizes[] = {1, 16384, 1024 * 1024};
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	for (int v = 0; v < 2; v++) {
		SSL_CTX *cctx = client_ctx(k.ca_file, false);
		int version = v ? TLS1_3_VERSION : TLS1_2_VERSION;
		ck_assert_int_eq(SSL_CTX_set_max_proto_version(cctx, version),
				 1);
		struct pair p;
		pair_open(&p, server_ctx(&k), cctx, "localhost", odd_sizes, 3);
		pair_handshake_ok(&p);
		for (int i = 0; i < 3; i++) {
			transfer(&p, &p.c, &p.s, sizes[i], (uint32_t)i);
			transfer(&p, &p.s, &p.c, sizes[i], (uint32_t)i + 7);
		}
		/* After bulk transfers the memory BIOs are small again. */
		BUF_MEM *bm = NULL;
		BIO_get_mem_ptr(p.c.net_out, &bm);
		ck_assert_uint_le(bm->max, 64 * 1024);
		BIO_get_mem_ptr(p.s.net_in, &bm);
		ck_assert_uint_le(bm->max, 64 * 1024);
		pair_close(&p);
	}
	pki_free(&k);
}
END_TEST

START_TEST(close_notify_is_eof)
{
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	struct pair p;
	pair_open(&p, server_ctx(&k), client_ctx(k.ca_file, false), "localhost",
		  odd_sizes, 3);
	pair_handshake_ok(&p);
	ck_assert_int_eq(tls_mem_write(&p.c, (const uint8_t *)"last", 4), 0);
	tls_mem_shutdown(&p.c);
	ck_assert_int_eq(tls_mem_write(&p.c, (const uint8_t *)"x", 1),
			 PROTO_E_INVAL);
	struct proto_buf got = PROTO_BUF_INIT;
	int last = 99;
	pump(&p.l, &p.c, &p.s, &got, &last);
	ck_assert_int_eq(last, PROTO_E_EOF);
	ck_assert_uint_eq(proto_buf_size(&got), 4);
	ck_assert_mem_eq(proto_buf_head(&got), "last", 4);
	uint8_t buf[16];
	ck_assert_int_eq(tls_mem_read(&p.s, buf, sizeof(buf)), PROTO_E_EOF);
	ck_assert_str_eq(p.s.error, "");
	/* The server answers with its own close_notify. */
	tls_mem_shutdown(&p.s);
	pump(&p.l, &p.s, &p.c, &got, &last);
	ck_assert_int_eq(last, PROTO_E_EOF);
	ck_assert_uint_eq(proto_buf_size(&got), 4);
	ck_assert_int_eq(tls_mem_read(&p.c, buf, sizeof(buf)), PROTO_E_EOF);
	proto_buf_free(&got);
	pair_close(&p);
	pki_free(&k);
}
END_TEST

START_TEST(write_before_handshake)
{
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	struct pair p;
	pair_open(&p, server_ctx(&k), client_ctx(k.ca_file, false), "localhost",
		  odd_sizes, 3);
	/* Both sides write, and the client also closes, before anything
	 * has been exchanged; it all goes out once the handshake is done. */
	ck_assert_int_eq(tls_mem_write(&p.c, (const uint8_t *)"GET /", 5), 0);
	ck_assert_int_eq(tls_mem_write(&p.c, (const uint8_t *)" HTTP", 5), 0);
	ck_assert_int_eq(tls_mem_write(&p.s, (const uint8_t *)"hello", 5), 0);
	tls_mem_shutdown(&p.c);
	ck_assert_uint_eq(proto_buf_size(&p.c.pending), 10);
	ck_assert_int_eq(tls_mem_write(&p.c, (const uint8_t *)"x", 1),
			 PROTO_E_INVAL);
	pair_handshake_ok(&p);
	ck_assert_uint_eq(proto_buf_size(&p.c.pending), 0);
	ck_assert_uint_eq(proto_buf_size(&p.s.pending), 0);
	struct proto_buf got = PROTO_BUF_INIT;
	int last = 99;
	ck_assert_int_eq(poke(&p.s, &got), PROTO_E_EOF);
	ck_assert_uint_eq(proto_buf_size(&got), 10);
	ck_assert_mem_eq(proto_buf_head(&got), "GET / HTTP", 10);
	proto_buf_reset(&got);
	pump(&p.l, &p.s, &p.c, &got, &last);
	ck_assert_int_eq(poke(&p.c, &got), 0);
	ck_assert_uint_eq(proto_buf_size(&got), 5);
	ck_assert_mem_eq(proto_buf_head(&got), "hello", 5);
	proto_buf_free(&got);
	pair_close(&p);
	pki_free(&k);
}
END_TEST

/* A client verifying `k`'s leaf against `ca_file` for `host` fails with
 * `want` in its error, and the server learns of it by an alert; an
 * insecure client connects to the same server fine. */
static void expect_rejected(struct pki *k, const char *ca_file,
			    const char *host, const char *want)
{
	struct pair p;
	pair_open(&p, server_ctx(k), client_ctx(ca_file, false), host,
		  odd_sizes, 3);
	int rc, rs;
	handshake(&p.l, &p.c, &p.s, &rc, &rs);
	ck_assert_int_eq(rc, PROTO_E_TLS);
	ck_assert_msg(strstr(p.c.error, want) != NULL, "client: %s", p.c.error);
	ck_assert_int_eq(rs, PROTO_E_TLS);
	ck_assert_msg(strstr(p.s.error, "alert") != NULL, "server: %s",
		      p.s.error);
	/* The failure sticks. */
	uint8_t buf[8];
	ck_assert_int_eq(tls_mem_handshake(&p.c), PROTO_E_TLS);
	ck_assert_int_eq(tls_mem_read(&p.c, buf, sizeof(buf)), PROTO_E_TLS);
	ck_assert_int_eq(tls_mem_write(&p.c, buf, 1), PROTO_E_TLS);
	ck_assert_msg(strstr(p.c.error, want) != NULL, "client: %s", p.c.error);
	ck_assert(!p.c.handshake_done);
	ck_assert_str_eq(tls_mem_version(&p.c), "");
	pair_close(&p);

	pair_open(&p, server_ctx(k), client_ctx(NULL, true), host, odd_sizes,
		  3);
	pair_handshake_ok(&p);
	ck_assert_int_ne(SSL_get_verify_result(p.c.ssl), X509_V_OK);
	transfer(&p, &p.c, &p.s, 64, 8);
	transfer(&p, &p.s, &p.c, 64, 9);
	pair_close(&p);
}

START_TEST(rejects_self_signed)
{
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_SELF_SIGNED, NULL);
	expect_rejected(&k, k.ca_file, "localhost",
			"certificate verify failed: self-signed certificate");
	pki_free(&k);
}
END_TEST

START_TEST(rejects_expired)
{
	struct pki k;
	pki_make(&k, localhost_names, TLS_CERT_EXPIRED, NULL);
	expect_rejected(&k, k.ca_file, "localhost",
			"certificate verify failed: certificate has expired");
	pki_free(&k);
}
END_TEST

START_TEST(rejects_wrong_host)
{
	const char *const names[] = {"example.org", NULL};
	struct pki k;
	pki_make(&k, names, TLS_CERT_VALID, NULL);
	expect_rejected(&k, k.ca_file, "localhost",
			"certificate verify failed: hostname mismatch");
	pki_free(&k);
	/* An IP the certificate does not name. */
	pki_make(&k, localhost_names, TLS_CERT_VALID, NULL);
	expect_rejected(&k, k.ca_file, "127.0.0.2",
			"certificate verify failed: IP address mismatch");
	pki_free(&k);
}
END_TEST

START_TEST(rejects_untrusted_ca)
{
	struct tls_ca other;
	ck_assert_int_eq(tls_ca_new(&other, "other"), 0);
	struct pki k; /* trusts its own CA; the leaf is from the other */
	pki_make(&k, localhost_names, TLS_CERT_VALID, &other);
	expect_rejected(&k, k.ca_file, "localhost",
			"certificate verify failed: unable to get local issuer "
			"certificate");
	pki_free(&k);
	tls_ca_free(&other);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("cert_ca");
	tcase_add_test(tc, ca_is_a_ca);
	suite_add_tcase(s, tc);
	tc = tcase_create("cert_leaf");
	tcase_add_test(tc, leaf_verifies_with_exact_san);
	tcase_add_test(tc, expired_and_self_signed);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("cert_pem");
	test_scratch_fixture(tc);
	tcase_add_test(tc, pem_files);
	suite_add_tcase(s, tc);
	tc = tcase_create("handshake");
	test_scratch_fixture(tc);
	tcase_add_test(tc, handshake_by_name_and_ip);
	tcase_add_test(tc, server_from_files);
	tcase_add_test(tc, context_errors);
	tcase_add_test(tc, tls12_and_tls13);
	suite_add_tcase(s, tc);
	tc = tcase_create("data");
	test_scratch_fixture(tc);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, close_notify_is_eof);
	tcase_add_test(tc, write_before_handshake);
	suite_add_tcase(s, tc);
	tc = tcase_create("verify");
	test_scratch_fixture(tc);
	tcase_add_test(tc, rejects_self_signed);
	tcase_add_test(tc, rejects_expired);
	tcase_add_test(tc, rejects_wrong_host);
	tcase_add_test(tc, rejects_untrusted_ca);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(tls_suite)
