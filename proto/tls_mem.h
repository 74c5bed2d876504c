/* TLS over memory BIOs (OpenSSL), sans I/O.
 *
 * The network side is bytes in and bytes out: feed what arrived from the
 * socket with tls_mem_feed, send what tls_mem_take_out gives. The
 * application side is tls_mem_read / tls_mem_write of plaintext. The
 * handshake runs inside read and write (and tls_mem_handshake to drive it
 * before there is anything to read). Any call may queue ciphertext (the
 * handshake, alerts, close_notify): send tls_mem_take_out's bytes after
 * each. After a fatal error, t->error is set and every call fails with
 * PROTO_E_TLS. net/ turns this into a stream on a socket; capture may use
 * it too.
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
	bool shutdown_pending;	  /* tls_mem_shutdown before the handshake */
	struct proto_buf pending; /* plaintext written before the handshake
				     completed (OpenSSL does not hold it) */
	char error[256];	  /* last error, readable ("certificate verify
				     failed: ...") */
};

/* A server context with a certificate chain and key (PEM files), TLS 1.2
 * and 1.3, ALPN http/1.1. Returns NULL with a message in err. */
SSL_CTX *tls_ctx_server_files(const char *cert_pem, const char *key_pem,
			      char *err, size_t errlen);
/* The same from objects already in memory (borrowed: the context takes
 * references of its own; the caller still frees its own). */
SSL_CTX *tls_ctx_server(X509 *cert, EVP_PKEY *key, char *err, size_t errlen);
/* A client context trusting the PEM file `ca_pem` (NULL: the system
 * store), verifying peers unless `insecure`. TLS 1.2 and 1.3; it offers
 * ALPN http/1.1, as browsers do for websockets. */
SSL_CTX *tls_ctx_client(const char *ca_pem, bool insecure, char *err,
			size_t errlen);

/* Start a session on ctx (borrowed; SSL keeps its own reference). For a
 * client, `host` is sent as SNI (unless it is an IP address, bracketed or
 * not) and checked against the certificate; NULL checks the chain only. A
 * server ignores `host`. Returns 0, PROTO_E_NOMEM or PROTO_E_TLS (t->error
 * set); on failure nothing is left to free. */
int tls_mem_init(struct tls_mem *t, SSL_CTX *ctx, bool is_server,
		 const char *host);
/* Free everything; t is left zeroed (safe to free twice). */
void tls_mem_free(struct tls_mem *t);

/* Ciphertext from the network (copied). Returns 0 or PROTO_E_NOMEM.
 * After a fatal error the bytes are dropped. */
int tls_mem_feed(struct tls_mem *t, const uint8_t *p, size_t n);

/* Drive the handshake. Returns 1 when done, 0 when it needs more input
 * (send pending output first), PROTO_E_TLS with t->error set. */
int tls_mem_handshake(struct tls_mem *t);

/* Read plaintext into out[0..cap). Returns bytes (> 0), 0 when it needs
 * more input, PROTO_E_EOF after the peer's close_notify, PROTO_E_TLS with
 * t->error set. */
int tls_mem_read(struct tls_mem *t, uint8_t *out, size_t cap);

/* Encrypt plaintext (all of it, copied; it is queued in the BIO). Returns
 * 0, PROTO_E_NOMEM, PROTO_E_INVAL (after tls_mem_shutdown) or PROTO_E_TLS
 * (t->error set). Before the handshake completes, the data is held in
 * t->pending and encrypted once it does (OpenSSL would refuse it;
 * SSL_MODE_ENABLE_PARTIAL_WRITE stays off). */
int tls_mem_write(struct tls_mem *t, const uint8_t *p, size_t n);

/* Send a close_notify (queued as output; before the handshake completes,
 * queued after the pending data once it does). tls_mem_write after it
 * returns PROTO_E_INVAL; reading goes on until the peer's close_notify. */
void tls_mem_shutdown(struct tls_mem *t);

/* Ciphertext waiting to go to the network: move it all into out
 * (appending). Returns the number of bytes moved (fewer only when out
 * cannot grow; the rest stays queued). */
size_t tls_mem_take_out(struct tls_mem *t, struct proto_buf *out);

/* The negotiated protocol version ("TLSv1.3"), or "" before the handshake
 * completes. */
const char *tls_mem_version(const struct tls_mem *t);

#endif
