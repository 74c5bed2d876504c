/* TLS over memory BIOs (OpenSSL), sans I/O.
 *
 * The network side is bytes in and bytes out: feed what arrived from the
 * socket with tls_mem_feed, send what tls_mem_pending_out shows. The
 * application side is tls_mem_read / tls_mem_write of plaintext. The
 * handshake runs inside read and write (and tls_mem_handshake to drive it
 * before there is anything to read). net/ turns this into a stream on a
 * socket; capture may use it too.
 */
#ifndef WSSIM_TLS_MEM_H
#define WSSIM_TLS_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "proto_buf.h"

struct tls_mem {
	SSL *ssl;
	BIO *net_in;  /* network -> SSL */
	BIO *net_out; /* SSL -> network */
	bool handshake_done;
	char error[256]; /* last error, readable ("certificate verify
			    failed: ...") */
};

/* A server context with a certificate chain and key (PEM files), TLS 1.2
 * and 1.3, ALPN http/1.1. Returns NULL with a message in err. */
SSL_CTX *tls_ctx_server_files(const char *cert_pem, const char *key_pem,
			      char *err, size_t errlen);
/* The same from objects already in memory (taken references: the caller
 * keeps its own). */
SSL_CTX *tls_ctx_server(X509 *cert, EVP_PKEY *key, char *err, size_t errlen);
/* A client context trusting the PEM file `ca_pem` (NULL: the system
 * store), verifying peers unless `insecure`. */
SSL_CTX *tls_ctx_client(const char *ca_pem, bool insecure, char *err,
			size_t errlen);

/* Start a session on ctx. For a client, `host` is sent as SNI (unless it
 * is an IP address) and checked against the certificate. Returns 0,
 * PROTO_E_NOMEM or PROTO_E_TLS. */
int tls_mem_init(struct tls_mem *t, SSL_CTX *ctx, bool is_server,
		 const char *host);
void tls_mem_free(struct tls_mem *t);

/* Ciphertext from the network. Returns 0 or PROTO_E_NOMEM. */
int tls_mem_feed(struct tls_mem *t, const uint8_t *p, size_t n);

/* Drive the handshake. Returns 1 when done, 0 when it needs more input
 * (send pending output first), PROTO_E_TLS with t->error set. */
int tls_mem_handshake(struct tls_mem *t);

/* Read plaintext into out[0..cap). Returns bytes (> 0), 0 when it needs
 * more input, PROTO_E_EOF after the peer's close_notify, PROTO_E_TLS with
 * t->error set. */
int tls_mem_read(struct tls_mem *t, uint8_t *out, size_t cap);

/* Encrypt plaintext (all of it; it is queued in the BIO). Returns 0 or
 * PROTO_E_TLS. Before the handshake completes, data is held by OpenSSL
 * and sent once it does (SSL_MODE_ENABLE_PARTIAL_WRITE off). */
int tls_mem_write(struct tls_mem *t, const uint8_t *p, size_t n);

/* Send a close_notify (queued as output). */
void tls_mem_shutdown(struct tls_mem *t);

/* Ciphertext waiting to go to the network: move it all into out
 * (appending). Returns the number of bytes moved. */
size_t tls_mem_take_out(struct tls_mem *t, struct proto_buf *out);

/* The negotiated protocol version ("TLSv1.3") or "". */
const char *tls_mem_version(const struct tls_mem *t);

#endif
