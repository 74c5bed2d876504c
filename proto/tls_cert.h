/* Test certificates made in process with OpenSSL: a per-run test CA and
 * leaf certificates it signs, all on ECDSA P-256 keys (RSA-2048 key
 * generation takes 0.3-0.5 s on our machine class; P-256 takes well under
 * a millisecond). Certificates can be valid, self-signed, for the wrong
 * host or expired, so scenarios can show how proxies react. PEM in and
 * out. Never shells out to the openssl command.
 */
#ifndef WSSIM_TLS_CERT_H
#define WSSIM_TLS_CERT_H

#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct tls_ca {
	EVP_PKEY *key;
	X509 *cert;
};

/* A new self-signed CA ("wssim test CA <cn>"; cn may be NULL), valid from
 * one hour ago for 30 days. Returns 0 or PROTO_E_CRYPTO (ca left empty).
 * tls_ca_free leaves ca empty and may be called twice. */
int tls_ca_new(struct tls_ca *ca, const char *cn);
void tls_ca_free(struct tls_ca *ca);

enum tls_cert_kind {
	TLS_CERT_VALID,	      /* signed by the CA, names as given */
	TLS_CERT_SELF_SIGNED, /* names as given, signed by its own key */
	TLS_CERT_EXPIRED,     /* signed by the CA, 30 days that ended
				 yesterday */
};

/* Issue a leaf certificate for `names` (a NULL-terminated list of DNS
 * names and IP addresses, e.g. {"localhost", "127.0.0.1", "::1", NULL};
 * IP literals go in as IP SANs, the first name is also the CN) with a new
 * P-256 key. `ca` may be NULL only for TLS_CERT_SELF_SIGNED. Returns 0,
 * PROTO_E_INVAL (no names, a name that is not printable ASCII without
 * spaces, no CA where one is needed, an unknown kind) or PROTO_E_CRYPTO.
 * On success *key and *cert are the caller's to free; else both NULL. */
int tls_cert_issue(const struct tls_ca *ca, const char *const *names,
		   enum tls_cert_kind kind, EVP_PKEY **key, X509 **cert);

/* Write PEM files (0600 for keys) as os_out does: to a temp file beside
 * the path, renamed into place; an existing symlink, FIFO or device there
 * is refused. Return 0 or PROTO_E_CRYPTO (errno kept for file errors). */
int tls_write_cert_pem(const char *path, X509 *cert);
int tls_write_key_pem(const char *path, EVP_PKEY *key);
/* The same for a file a user named: `force` lets it write through a
 * symlink or to a device; the reason of a failure in err. */
int tls_write_cert_pem_to(const char *path, X509 *cert, bool force, char *err,
			  size_t errlen);

#endif
