/* Test certificates (see tls_cert.h): ECDSA P-256 keys, a per-run test CA
 * and the leaf certificates it signs, written out as PEM.
 *
 * Everything happens in process through libcrypto; nothing here runs the
 * openssl command. On failure OpenSSL's error queue is left as it is, for
 * the caller to report if it wants to.
 */
#include "tls_cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "os_out.h"
#include "proto_err.h"

#define TLS_CERT_DAYS 30
#define TLS_CERT_BACKDATE_SECS (60L * 60) /* valid from one hour ago */
#define TLS_CERT_CN_MAX 64		  /* ub-common-name */

static EVP_PKEY *tls_key_new(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* A random positive 128-bit serial (top bit set, so never zero). */
static int tls_set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = bn != NULL &&
		 BN_rand(bn, 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/* notBefore and notAfter from one reading of the clock, so the period is
 * exact: [now + from_days + from_secs, that + TLS_CERT_DAYS days]. */
static int tls_set_validity(X509 *x, int from_days, long from_secs)
{
	time_t now = time(NULL);
	return X509_time_adj_ex(X509_getm_notBefore(x), from_days, from_secs,
				&now) != NULL &&
	       X509_time_adj_ex(X509_getm_notAfter(x),
				from_days + TLS_CERT_DAYS, from_secs,
				&now) != NULL;
}

static int tls_set_subject(X509 *x, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(x);
	return X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					  (const unsigned char *)"wssim", -1,
					  -1, 0) &&
	       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					  (const unsigned char *)cn, -1, -1, 0);
}

/* Add one extension given in openssl.cnf syntax ("critical,CA:TRUE"). */
static int tls_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return 0;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* The binary form of an IPv4/IPv6 literal into ip[16]: its length (4 or
 * 16), or 0 when `s` is not one. */
static int tls_parse_ip(const char *s, unsigned char ip[16])
{
	if (inet_pton(AF_INET, s, ip) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, ip) == 1)
		return 16;
	return 0;
}

/* A DNS name for a SAN must be printable ASCII (IA5String, no spaces). */
static bool tls_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static GENERAL_NAME *tls_san_entry(const char *name)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	if (gn == NULL)
		return NULL;
	unsigned char ip[16];
	int iplen = tls_parse_ip(name, ip);
	ASN1_STRING *s = iplen ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
	if (s == NULL ||
	    !ASN1_STRING_set(s, iplen ? (const void *)ip : (const void *)name,
			     iplen ? iplen : -1)) {
		ASN1_STRING_free(s);
		GENERAL_NAME_free(gn);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, iplen ? GEN_IPADD : GEN_DNS, s);
	return gn;
}

/* subjectAltName: one DNS or IP entry per name, in order. */
static int tls_add_san(X509 *x, const char *const *names)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int ok = gens != NULL;
	for (size_t i = 0; ok && names[i]; i++) {
		GENERAL_NAME *gn = tls_san_entry(names[i]);
		if (gn == NULL || !sk_GENERAL_NAME_push(gens, gn)) {
			GENERAL_NAME_free(gn);
			ok = 0;
		}
	}
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
				     X509V3_ADD_DEFAULT) == 1;
	GENERAL_NAMES_free(gens);
	return ok;
}

void tls_ca_free(struct tls_ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	ca->key = NULL;
	ca->cert = NULL;
}

int tls_ca_new(struct tls_ca *ca, const char *cn)
{
	char subject[TLS_CERT_CN_MAX + 1];
	snprintf(subject, sizeof(subject), "wssim test CA%s%s",
		 cn && *cn ? " " : "", cn ? cn : "");
	ca->key = tls_key_new();
	ca->cert = X509_new();
	X509 *x = ca->cert;
	X509V3_CTX ctx;
	int ok = ca->key != NULL && x != NULL &&
		 X509_set_version(x, X509_VERSION_3) && tls_set_serial(x) &&
		 tls_set_validity(x, 0, -TLS_CERT_BACKDATE_SECS) &&
		 tls_set_subject(x, subject) &&
		 X509_set_issuer_name(x, X509_get_subject_name(x)) &&
		 X509_set_pubkey(x, ca->key);
	if (ok) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ok = tls_add_ext(x, &ctx, NID_basic_constraints,
				 "critical,CA:TRUE") &&
		     tls_add_ext(x, &ctx, NID_key_usage,
				 "critical,keyCertSign,cRLSign") &&
		     tls_add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     X509_sign(x, ca->key, EVP_sha256()) > 0;
	}
	if (!ok) {
		tls_ca_free(ca);
		return PROTO_E_CRYPTO;
	}
	return 0;
}

int tls_cert_issue(const struct tls_ca *ca, const char *const *names,
		   enum tls_cert_kind kind, EVP_PKEY **key, X509 **cert)
{
	if (key == NULL || cert == NULL)
		return PROTO_E_INVAL;
	*key = NULL;
	*cert = NULL;
	if (names == NULL || names[0] == NULL)
		return PROTO_E_INVAL;
	for (size_t i = 0; names[i]; i++)
		if (!tls_name_ok(names[i]))
			return PROTO_E_INVAL;
	bool self = kind == TLS_CERT_SELF_SIGNED;
	if (!self && kind != TLS_CERT_VALID && kind != TLS_CERT_EXPIRED)
		return PROTO_E_INVAL;
	if (!self && (ca == NULL || ca->key == NULL || ca->cert == NULL))
		return PROTO_E_INVAL;

	EVP_PKEY *k = tls_key_new();
	X509 *x = X509_new();
	X509 *issuer = self ? x : ca->cert;
	EVP_PKEY *signer = self ? k : ca->key;
	/* A CN holds at most 64 characters; the SAN is what counts anyway. */
	const char *cn =
	    strlen(names[0]) <= TLS_CERT_CN_MAX ? names[0] : "wssim test leaf";
	int ok = k != NULL && x != NULL &&
		 X509_set_version(x, X509_VERSION_3) && tls_set_serial(x) &&
		 (kind == TLS_CERT_EXPIRED
		      ? tls_set_validity(x, -TLS_CERT_DAYS - 1, 0)
		      : tls_set_validity(x, 0, -TLS_CERT_BACKDATE_SECS)) &&
		 tls_set_subject(x, cn) &&
		 X509_set_issuer_name(x, X509_get_subject_name(issuer)) &&
		 X509_set_pubkey(x, k);
	if (ok) {
		X509V3_CTX ctx;
		X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
		/* The subject key id goes first: for a self-signed cert the
		 * authority key id is taken from it. */
		ok = tls_add_ext(x, &ctx, NID_basic_constraints,
				 "critical,CA:FALSE") &&
		     tls_add_ext(x, &ctx, NID_key_usage,
				 "critical,digitalSignature") &&
		     tls_add_ext(x, &ctx, NID_ext_key_usage,
				 "serverAuth,clientAuth") &&
		     tls_add_san(x, names) &&
		     tls_add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     tls_add_ext(x, &ctx, NID_authority_key_identifier,
				 "keyid:always") &&
		     X509_sign(x, signer, EVP_sha256()) > 0;
	}
	if (!ok) {
		EVP_PKEY_free(k);
		X509_free(x);
		return PROTO_E_CRYPTO;
	}
	*key = k;
	*cert = x;
	return 0;
}

/* Write a PEM through os_out: to a temp file beside `path`, renamed into
 * place, never through a symlink or to a device unless `force`; mode 0666
 * or 0600 (less the umask). errno tells a failure, err (if not NULL) says
 * it. */
static int pem_write(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key,
		     bool force, char *err, size_t errlen)
{
	struct os_out o;
	char why[PATH_MAX + 300];
	if (!err) {
		err = why;
		errlen = sizeof(why);
	}
	errno = 0;
	if (os_out_open_mode(&o, path, mode, force, err, errlen) != 0) {
		if (!errno)
			errno = EEXIST;
		return PROTO_E_CRYPTO;
	}
	int ok =
	    cert ? PEM_write_X509(o.f, cert)
		 : PEM_write_PrivateKey(o.f, key, NULL, NULL, 0, NULL, NULL);
	if (!ok) {
		os_out_discard(&o);
		snprintf(err, errlen, "cannot encode the PEM");
		errno = EIO;
		return PROTO_E_CRYPTO;
	}
	return os_out_commit(&o, err, errlen) == 0 ? 0 : PROTO_E_CRYPTO;
}

int tls_write_cert_pem_to(const char *path, X509 *cert, bool force, char *err,
			  size_t errlen)
{
	return pem_write(path, 0666, cert, NULL, force, err, errlen);
}

int tls_write_cert_pem(const char *path, X509 *cert)
{
	return pem_write(path, 0666, cert, NULL, false, NULL, 0);
}

int tls_write_key_pem(const char *path, EVP_PKEY *key)
{
	return pem_write(path, 0600, NULL, key, false, NULL, 0);
}
