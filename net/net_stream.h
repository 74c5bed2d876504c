/* Sockets as byte streams: the one place in wssim where a libuv TCP handle
 * becomes a stream of bytes, in plain TCP or TLS alike (TLS through the
 * sans-I/O tls_mem). Everything above (the mock's connectors, the
 * simulated clients, the load generator) sees only on_data / write /
 * end / close.
 *
 * A net_stream is embedded in its owner's struct; the owner supplies the
 * callbacks and frees its struct in on_close, the only place a stream's
 * memory may go (libuv's rule for handles).
 *
 * Reading uses one buffer per loop, shared by every stream on it, so an
 * idle connection holds no read buffer at all; data passed to on_data is
 * valid (and writable, for in-place unmasking) only during the call.
 * Writing tries the socket at once (uv_try_write) and copies only what the
 * kernel did not take; reading pauses while more than NET_WRITE_HIGH
 * bytes wait to be written, so a peer that does not read cannot make us
 * buffer without bound.
 */
#ifndef WSSIM_NET_STREAM_H
#define WSSIM_NET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tls_mem.h"

#define NET_WRITE_HIGH (1024 * 1024)

struct net_stream;

struct net_stream_cbs {
	/* Connected (client), after the TLS handshake when TLS is on; for
	 * an accepted TLS stream, its handshake is done. May be NULL. */
	void (*on_open)(struct net_stream *s);
	/* Plaintext arrived. */
	void (*on_data)(struct net_stream *s, uint8_t *data, size_t len);
	/* The peer finished sending (FIN, or TLS close_notify). The stream
	 * stays writable until the owner ends or closes it. */
	void (*on_eof)(struct net_stream *s);
	/* Connect refused, reset, TLS failure, ... `err` is a libuv code or
	 * a PROTO_E_* code; `msg` is readable. The stream is being closed;
	 * on_close follows. */
	void (*on_error)(struct net_stream *s, int err, const char *msg);
	/* The handle is closed: the owner may free the stream now. */
	void (*on_close)(struct net_stream *s);
	/* Everything queued has been written (after the queue was above
	 * zero). May be NULL. */
	void (*on_drain)(struct net_stream *s);
};

struct net_linger; /* net_stream.c */

struct net_stream {
	uv_tcp_t tcp;
	const struct net_stream_cbs *cbs;
	void *data;	     /* the owner's */
	struct tls_mem *tls; /* NULL for plain TCP */
	size_t queued;	     /* bytes handed to libuv, not yet written */
	uint8_t flags;
	uint8_t closing;
	struct net_linger *linger; /* after FIN, until the peer's (rare) */
};

/* Accept a pending connection from `server` into `s` (a zeroed struct of
 * the owner's). `tls_ctx` non-NULL makes it a TLS server stream (on_open
 * runs when its handshake is done; a plain stream is open on return).
 * Reading starts at once. Returns 0 or a negative code; on failure the
 * handle exists already, so the stream is being closed and on_close (only
 * it) will run: the owner frees its struct there as usual. */
int net_stream_accept(struct net_stream *s, uv_stream_t *server,
		      SSL_CTX *tls_ctx, const struct net_stream_cbs *cbs,
		      void *data);

/* Connect `s` to addr; on success on_open runs (after the TLS handshake
 * when tls_ctx is non-NULL, verifying `host`), on failure on_error then
 * on_close. Returns 0 or a negative code: no callback runs then, except
 * that if the handle already existed (uv_tcp_connect itself refused)
 * on_close runs, as for net_stream_accept. */
int net_stream_connect(struct net_stream *s, uv_loop_t *loop,
		       const struct sockaddr *addr, SSL_CTX *tls_ctx,
		       const char *host, const struct net_stream_cbs *cbs,
		       void *data);

/* Write the buffers, in order, after anything queued before. The bytes
 * are copied if they cannot go out at once, so the caller keeps
 * ownership. Returns 0 or a negative code (the stream is then closing). */
int net_stream_writev(struct net_stream *s, const uv_buf_t *bufs,
		      unsigned nbufs);
int net_stream_write(struct net_stream *s, const void *p, size_t n);

/* Finish: flush what is queued, send TLS close_notify (TLS), FIN, then
 * close. Idempotent. */
void net_stream_end(struct net_stream *s);

/* Close now; `reset` sends a TCP RST instead of a FIN. Idempotent;
 * on_close runs later. */
void net_stream_close(struct net_stream *s, bool reset);

/* Stop and restart reading (e.g. while a peer is slow to read what we
 * echo). */
void net_stream_pause(struct net_stream *s);
void net_stream_resume(struct net_stream *s);

/* Whether close has begun. */
static inline bool net_stream_closing(const struct net_stream *s)
{
	return s->closing != 0;
}

/* The peer's and our own address, as "127.0.0.1:40123" / "[::1]:80". */
void net_stream_peer(const struct net_stream *s, char *out, size_t outlen);

#endif
