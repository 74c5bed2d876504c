/* TLS over memory BIOs (see tls_mem.h).
 *
 * One SSL per connection between two memory BIOs: net_in holds ciphertext
 * fed from the network until OpenSSL reads it, net_out holds what OpenSSL
 * wrote until tls_mem_take_out moves it to the caller. Nothing here blocks
 * or touches a socket. Plaintext written before the handshake completes
 * waits in t->pending, since SSL_write would refuse it. Errors become one
 * readable line in t->error, which also marks the session as failed.
 *
 * Memory: SSL_MODE_RELEASE_BUFFERS drops OpenSSL's record buffers while a
 * connection is idle, and a memory BIO that a bulk transfer grew is
 * replaced by a fresh one once it is empty (a memory BIO never shrinks).
 */
#include "tls_mem.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "os_file.h"
#include "proto_err.h"

/* An empty memory BIO whose buffer grew past this is replaced. */
#define TLS_MEM_BIO_KEEP (64 * 1024)

/* ALPN wire format: length-prefixed names. */
static const unsigned char tls_alpn_http11[] = "\x08http/1.1";

/* The reason of OpenSSL error `e` into buf: ERR_error_string_n's text
 * without its "error:XXXXXXXX:library:function:" prefix, then the error's
 * data in parentheses ("SSL alert number 48"). */
static void tls_err_reason(unsigned long e, const char *data, int flags,
			   char *buf, size_t len)
{
	char s[256];
	ERR_error_string_n(e, s, sizeof(s));
	const char *r = s;
	for (int i = 0; i < 4 && r; i++) {
		r = strchr(r, ':');
		if (r)
			r++;
	}
	if (r == NULL || *r == '\0')
		r = s;
	int n;
	if (data && *data && (flags & ERR_TXT_STRING))
		n = snprintf(buf, len, "%s (%s)", r, data);
	else
		n = snprintf(buf, len, "%s", r);
	if (n >= 0 && (size_t)n >= len && len >= 4)
		memcpy(buf + len - 4, "...", 4); /* show it was cut */
}

/* "what: reason" from the oldest error queued (the root cause), or "what"
 * alone when the queue is empty. Empties the queue. */
static void tls_err_fmt(char *err, size_t errlen, const char *what)
{
	const char *data = NULL;
	int flags = 0;
	unsigned long e = ERR_peek_error_data(&data, &flags);
	if (err && errlen) {
		char reason[256];
		if (e != 0) {
			tls_err_reason(e, data, flags, reason, sizeof(reason));
			snprintf(err, errlen, "%s: %s", what, reason);
		} else {
			snprintf(err, errlen, "%s", what);
		}
	}
	ERR_clear_error();
}

/* Record a fatal error from an SSL call that failed with SSL_get_error
 * code `sslerr`. A certificate the client rejected is told by its verify
 * result ("certificate verify failed: certificate has expired"). */
static void tls_mem_fail(struct tls_mem *t, int sslerr)
{
	bool verify = false;
	unsigned long e;
	/* The first error is the root cause; any verify failure counts. */
	const char *data = NULL;
	int flags = 0;
	unsigned long first = ERR_peek_error_data(&data, &flags);
	char reason[200] = "";
	if (first != 0)
		tls_err_reason(first, data, flags, reason, sizeof(reason));
	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED)
			verify = true;
	long vr = SSL_get_verify_result(t->ssl);
	if (verify && vr != X509_V_OK)
		snprintf(t->error, sizeof(t->error),
			 "certificate verify failed: %s",
			 X509_verify_cert_error_string(vr));
	else if (first != 0)
		snprintf(t->error, sizeof(t->error), "%s", reason);
	else if (sslerr == SSL_ERROR_SYSCALL)
		snprintf(t->error, sizeof(t->error),
			 "TLS stream ended unexpectedly");
	else
		snprintf(t->error, sizeof(t->error), "TLS error (%d)", sslerr);
}

static int tls_alpn_select(SSL *ssl, const unsigned char **out,
			   unsigned char *outlen, const unsigned char *in,
			   unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	unsigned char *sel = NULL;
	unsigned char sel_len = 0;
	if (SSL_select_next_proto(&sel, &sel_len, tls_alpn_http11,
				  sizeof(tls_alpn_http11) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK; /* go on without ALPN */
	*out = sel;
	*outlen = sel_len;
	return SSL_TLSEXT_ERR_OK;
}

/* What both sides share: TLS 1.2 and up, no renegotiation (so SSL_write
 * never needs to read once the handshake is done), small idle footprint. */
static SSL_CTX *tls_ctx_new(bool server, char *err, size_t errlen)
{
	ERR_clear_error();
	SSL_CTX *ctx =
	    SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL) {
		tls_err_fmt(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		tls_err_fmt(err, errlen, "cannot set the TLS version");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (server) {
		/* Resumption by tickets only: no per-session server state. */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	}
	return ctx;
}

static SSL_CTX *tls_ctx_fail(SSL_CTX *ctx, char *err, size_t errlen,
			     const char *what)
{
	tls_err_fmt(err, errlen, what);
	SSL_CTX_free(ctx);
	return NULL;
}

/* A PEM file a user named must be a regular file of sane size before
 * OpenSSL opens it: a FIFO or /dev/zero would block or grow without end. */
#define TLS_PEM_MAX (1u << 20)
static bool pem_file_ok(const char *role, const char *path, char *err,
			size_t errlen)
{
	char why[600];
	int fd = os_open_regular(path, TLS_PEM_MAX, NULL, why, sizeof(why));
	if (fd < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s %s", role, why);
		return false;
	}
	close(fd);
	return true;
}

SSL_CTX *tls_ctx_server_files(const char *cert_pem, const char *key_pem,
			      char *err, size_t errlen)
{
	if (!pem_file_ok("certificate", cert_pem, err, errlen) ||
	    !pem_file_ok("key", key_pem, err, errlen))
		return NULL;
	SSL_CTX *ctx = tls_ctx_new(true, err, errlen);
	if (ctx == NULL)
		return NULL;
	char what[512];
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_pem) != 1) {
		snprintf(what, sizeof(what), "certificate %s", cert_pem);
		return tls_ctx_fail(ctx, err, errlen, what);
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_pem, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(what, sizeof(what), "key %s (for %s)", key_pem,
			 cert_pem);
		return tls_ctx_fail(ctx, err, errlen, what);
	}
	return ctx;
}

SSL_CTX *tls_ctx_server(X509 *cert, EVP_PKEY *key, char *err, size_t errlen)
{
	if (cert == NULL || key == NULL) {
		if (err && errlen)
			snprintf(err, errlen, "no certificate or key");
		return NULL;
	}
	SSL_CTX *ctx = tls_ctx_new(true, err, errlen);
	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_use_certificate(ctx, cert) != 1)
		return tls_ctx_fail(ctx, err, errlen, "certificate");
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return tls_ctx_fail(ctx, err, errlen, "key");
	return ctx;
}

SSL_CTX *tls_ctx_client(const char *ca_pem, bool insecure, char *err,
			size_t errlen)
{
	SSL_CTX *ctx = tls_ctx_new(false, err, errlen);
	if (ctx == NULL)
		return NULL;
	/* Note: SSL_CTX_set_alpn_protos returns 0 on success. */
	if (SSL_CTX_set_alpn_protos(ctx, tls_alpn_http11,
				    sizeof(tls_alpn_http11) - 1) != 0)
		return tls_ctx_fail(ctx, err, errlen, "ALPN");
	if (insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca_pem && !pem_file_ok("CA file", ca_pem, err, errlen)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (ca_pem) {
		if (SSL_CTX_load_verify_locations(ctx, ca_pem, NULL) != 1) {
			char what[512];
			snprintf(what, sizeof(what), "CA file %s", ca_pem);
			return tls_ctx_fail(ctx, err, errlen, what);
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		return tls_ctx_fail(ctx, err, errlen, "system CA store");
	}
	return ctx;
}

static BIO *tls_mem_bio_new(void)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b)
		BIO_set_mem_eof_return(b, -1); /* empty means "retry" */
	return b;
}

/* Whether memory BIO b is empty but holds a buffer a bulk transfer grew. */
static bool tls_mem_bio_oversized(BIO *b)
{
	BUF_MEM *bm = NULL;
	if (BIO_ctrl_pending(b) != 0 || BIO_get_mem_ptr(b, &bm) <= 0 ||
	    bm == NULL)
		return false;
	return bm->max > TLS_MEM_BIO_KEEP;
}

/* Replace net_in / net_out by fresh BIOs when they are empty and large. A
 * failed allocation keeps the old one. */
static void tls_mem_trim_in(struct tls_mem *t)
{
	BIO *b;
	if (tls_mem_bio_oversized(t->net_in) && (b = tls_mem_bio_new())) {
		SSL_set0_rbio(t->ssl, b); /* frees the old one */
		t->net_in = b;
	}
}

static void tls_mem_trim_out(struct tls_mem *t)
{
	BIO *b;
	if (tls_mem_bio_oversized(t->net_out) && (b = tls_mem_bio_new())) {
		SSL_set0_wbio(t->ssl, b);
		t->net_out = b;
	}
}

/* OpenSSL ran out of input: give back what an idle connection need not
 * hold. RELEASE_BUFFERS frees the record buffers only after a record of
 * application data; a read that ended on other records (TLS 1.3 session
 * tickets, the handshake) keeps ~16 KB unless freed here. SSL_free_buffers
 * refuses while a partial record is buffered. */
static void tls_mem_idle(struct tls_mem *t)
{
	(void)SSL_free_buffers(t->ssl);
	tls_mem_trim_in(t);
}

/* The peer's name for a client: an IP literal is checked against IP SANs
 * and not sent as SNI (RFC 6066 forbids it); a name is both. */
static int tls_mem_set_peer(struct tls_mem *t, const char *host)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *name = host;
	size_t len = strlen(host);
	if (len > 2 && host[0] == '[' && host[len - 1] == ']' &&
	    len - 2 < sizeof(ip)) {
		memcpy(ip, host + 1, len - 2);
		ip[len - 2] = '\0';
		name = ip;
	}
	unsigned char bin[16];
	if (inet_pton(AF_INET, name, bin) == 1 ||
	    inet_pton(AF_INET6, name, bin) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
						  name) != 1)
			return PROTO_E_TLS;
	} else if (SSL_set_tlsext_host_name(t->ssl, host) != 1 ||
		   SSL_set1_host(t->ssl, host) != 1) {
		return PROTO_E_TLS;
	}
	return 0;
}

int tls_mem_init(struct tls_mem *t, SSL_CTX *ctx, bool is_server,
		 const char *host)
{
	memset(t, 0, sizeof(*t));
	proto_buf_init(&t->pending);
	ERR_clear_error();
	SSL *ssl = SSL_new(ctx);
	BIO *in = tls_mem_bio_new();
	BIO *out = tls_mem_bio_new();
	if (ssl == NULL || in == NULL || out == NULL) {
		BIO_free(in);
		BIO_free(out);
		SSL_free(ssl);
		ERR_clear_error();
		snprintf(t->error, sizeof(t->error), "out of memory");
		return PROTO_E_NOMEM;
	}
	SSL_set_bio(ssl, in, out); /* ssl owns both now */
	t->ssl = ssl;
	t->net_in = in;
	t->net_out = out;
	if (is_server) {
		SSL_set_accept_state(ssl);
		return 0;
	}
	SSL_set_connect_state(ssl);
	if (host && *host && tls_mem_set_peer(t, host) < 0) {
		char what[sizeof(t->error)];
		snprintf(what, sizeof(what), "invalid peer name \"%.64s\"",
			 host);
		tls_err_fmt(t->error, sizeof(t->error), what);
		SSL_free(ssl);
		t->ssl = NULL;
		t->net_in = t->net_out = NULL;
		return PROTO_E_TLS;
	}
	return 0;
}

void tls_mem_free(struct tls_mem *t)
{
	SSL_free(t->ssl); /* and both BIOs */
	proto_buf_free(&t->pending);
	memset(t, 0, sizeof(*t));
}

int tls_mem_feed(struct tls_mem *t, const uint8_t *p, size_t n)
{
	if (t->error[0] || t->net_in == NULL)
		return 0; /* nobody will read it */
	while (n > 0) {
		size_t w = 0;
		if (!BIO_write_ex(t->net_in, p, n, &w) || w == 0) {
			ERR_clear_error();
			return PROTO_E_NOMEM;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/* SSL_write all of p[0..n) once the handshake is done. Without partial
 * writes and renegotiation, into a memory BIO, it succeeds in one go or
 * fails for good. */
static int tls_mem_write_now(struct tls_mem *t, const uint8_t *p, size_t n)
{
	size_t w = 0;
	ERR_clear_error();
	if (SSL_write_ex(t->ssl, p, n, &w) == 1 && w == n)
		return 0;
	tls_mem_fail(t, SSL_get_error(t->ssl, 0));
	return PROTO_E_TLS;
}

/* The handshake just completed: send what waited for it. */
static int tls_mem_flush_pending(struct tls_mem *t)
{
	int r = 0;
	if (proto_buf_size(&t->pending) > 0)
		r = tls_mem_write_now(t, proto_buf_head(&t->pending),
				      proto_buf_size(&t->pending));
	proto_buf_free(&t->pending);
	if (r == 0 && t->shutdown_pending) {
		t->shutdown_pending = false;
		tls_mem_shutdown(t);
	}
	return r;
}

int tls_mem_handshake(struct tls_mem *t)
{
	if (t->error[0] || t->ssl == NULL)
		return PROTO_E_TLS;
	if (t->handshake_done)
		return 1;
	ERR_clear_error();
	int r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->handshake_done = true;
		r = tls_mem_flush_pending(t);
		return r < 0 ? r : 1;
	}
	int e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		tls_mem_idle(t);
		return 0;
	}
	tls_mem_fail(t, e);
	return PROTO_E_TLS;
}

int tls_mem_read(struct tls_mem *t, uint8_t *out, size_t cap)
{
	int r = tls_mem_handshake(t);
	if (r <= 0 || cap == 0)
		return r < 0 ? r : 0;
	if (cap > INT_MAX)
		cap = INT_MAX;
	/* Nothing new and nothing buffered: SSL_read could only say so, but
	 * it would first allocate a record buffer that RELEASE_BUFFERS frees
	 * only after a whole record, leaving ~16 KB on every idle reader. */
	if (BIO_ctrl_pending(t->net_in) == 0 && !SSL_has_pending(t->ssl)) {
		if (SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN)
			return PROTO_E_EOF;
		return 0;
	}
	size_t got = 0;
	ERR_clear_error();
	if (SSL_read_ex(t->ssl, out, cap, &got) == 1)
		return (int)got;
	int e = SSL_get_error(t->ssl, 0);
	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		tls_mem_idle(t);
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return PROTO_E_EOF;
	default:
		tls_mem_fail(t, e);
		return PROTO_E_TLS;
	}
}

static bool tls_mem_shut(const struct tls_mem *t)
{
	return t->shutdown_pending ||
	       (t->ssl && (SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN));
}

int tls_mem_write(struct tls_mem *t, const uint8_t *p, size_t n)
{
	if (t->error[0] || t->ssl == NULL)
		return PROTO_E_TLS;
	if (tls_mem_shut(t))
		return PROTO_E_INVAL;
	if (n == 0)
		return 0;
	int r = tls_mem_handshake(t);
	if (r < 0)
		return r;
	if (r == 0)
		return proto_buf_append(&t->pending, p, n);
	return tls_mem_write_now(t, p, n);
}

void tls_mem_shutdown(struct tls_mem *t)
{
	if (t->error[0] || t->ssl == NULL || tls_mem_shut(t))
		return;
	if (!t->handshake_done) {
		t->shutdown_pending = true;
		return;
	}
	ERR_clear_error();
	(void)SSL_shutdown(t->ssl); /* 0: sent, peer's not yet seen */
	ERR_clear_error();
}

size_t tls_mem_take_out(struct tls_mem *t, struct proto_buf *out)
{
	size_t moved = 0;
	if (t->net_out == NULL)
		return 0;
	size_t pending;
	while ((pending = BIO_ctrl_pending(t->net_out)) > 0) {
		size_t want = pending < INT_MAX ? pending : INT_MAX;
		uint8_t *dst = proto_buf_reserve(out, want);
		size_t got = 0;
		if (dst == NULL || !BIO_read_ex(t->net_out, dst, want, &got) ||
		    got == 0)
			break;
		proto_buf_commit(out, got);
		moved += got;
	}
	tls_mem_trim_out(t);
	return moved;
}

const char *tls_mem_version(const struct tls_mem *t)
{
	return t->ssl && t->handshake_done ? SSL_get_version(t->ssl) : "";
}
