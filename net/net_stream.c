/* net_stream: libuv TCP handles as byte streams, plain or TLS (see
 * net_stream.h). */
#include "net_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_err.h"

enum {
	F_READING = 1 << 0, /* uv_read_start in effect */
	F_PAUSED_OWNER = 1 << 1,
	F_PAUSED_FULL = 1 << 2, /* write queue above NET_WRITE_HIGH */
	F_EOF = 1 << 3,
	F_ENDING = 1 << 4, /* net_stream_end called */
	F_SHUT = 1 << 5,   /* FIN sent */
	F_OPEN = 1 << 6,   /* on_open reported / stream usable */
};

#define LINGER_MS 2000

/* One loop runs per thread; the read buffers are shared by every stream of
 * that thread (see the header). */
static _Thread_local uint8_t net_rbuf[256 * 1024];
static _Thread_local uint8_t net_pbuf[64 * 1024];

struct net_wreq {
	uv_write_t req;
	struct net_stream *s;
	size_t len;
	uint8_t data[];
};

struct net_linger {
	uv_timer_t timer;
	struct net_stream *s;
};

static void update_reading(struct net_stream *s);

static void on_close_cb(uv_handle_t *h)
{
	struct net_stream *s = (struct net_stream *)h;
	if (s->tls) {
		tls_mem_free(s->tls);
		free(s->tls);
		s->tls = NULL;
	}
	s->cbs->on_close(s);
}

static void linger_closed(uv_handle_t *h)
{
	free(h->data);
}

void net_stream_close(struct net_stream *s, bool reset)
{
	if (s->closing)
		return;
	s->closing = 1;
	if (s->linger) {
		uv_close((uv_handle_t *)&s->linger->timer, linger_closed);
		s->linger = NULL;
	}
	if (reset && !(s->flags & F_SHUT) &&
	    uv_tcp_close_reset(&s->tcp, on_close_cb) == 0)
		return;
	uv_close((uv_handle_t *)&s->tcp, on_close_cb);
}

static void fail(struct net_stream *s, int err, const char *msg)
{
	if (s->closing)
		return;
	if (s->cbs->on_error)
		s->cbs->on_error(s, err, msg);
	net_stream_close(s, false);
}

static void linger_timeout(uv_timer_t *t)
{
	struct net_linger *l = t->data;
	net_stream_close(l->s, false);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
	struct net_stream *s = req->data;
	free(req);
	if (s->closing)
		return;
	/* Wait (bounded) for the peer's FIN before closing, so a peer that
	 * still sends does not get a reset that destroys what we sent. */
	if (status < 0 || (s->flags & F_EOF)) {
		net_stream_close(s, false);
		return;
	}
	struct net_linger *l = malloc(sizeof(*l));
	if (!l || uv_timer_init(s->tcp.loop, &l->timer) != 0) {
		free(l);
		net_stream_close(s, false);
		return;
	}
	l->s = s;
	l->timer.data = l;
	s->linger = l;
	uv_timer_start(&l->timer, linger_timeout, LINGER_MS, 0);
	s->flags &= ~(F_PAUSED_OWNER | F_PAUSED_FULL);
	update_reading(s);
}

static void do_shutdown(struct net_stream *s)
{
	if (s->flags & F_SHUT)
		return;
	s->flags |= F_SHUT;
	uv_shutdown_t *req = malloc(sizeof(*req));
	if (!req) {
		net_stream_close(s, false);
		return;
	}
	req->data = s;
	if (uv_shutdown(req, (uv_stream_t *)&s->tcp, shutdown_cb) != 0) {
		free(req);
		net_stream_close(s, false);
	}
}

static void write_cb(uv_write_t *req, int status)
{
	struct net_wreq *w = (struct net_wreq *)req;
	struct net_stream *s = w->s;
	s->queued -= w->len;
	free(w);
	if (s->closing)
		return;
	if (status < 0) {
		fail(s, status, uv_strerror(status));
		return;
	}
	if (s->queued > 0)
		return;
	if (s->flags & F_PAUSED_FULL) {
		s->flags &= ~F_PAUSED_FULL;
		update_reading(s);
	}
	if (s->flags & F_ENDING)
		do_shutdown(s);
	else if (s->cbs->on_drain)
		s->cbs->on_drain(s);
}

/* Write to the socket: at once where the kernel takes it, the rest
 * copied and queued. */
static int raw_writev(struct net_stream *s, const uv_buf_t *bufs,
		      unsigned nbufs)
{
	size_t total = 0;
	for (unsigned i = 0; i < nbufs; i++)
		total += bufs[i].len;
	if (total == 0)
		return 0;
	size_t done = 0;
	if (s->queued == 0) {
		int r = uv_try_write((uv_stream_t *)&s->tcp, bufs, nbufs);
		if (r >= 0)
			done = (size_t)r;
		else if (r != UV_EAGAIN && r != UV_ENOSYS) {
			fail(s, r, uv_strerror(r));
			return r;
		}
	}
	if (done == total)
		return 0;
	size_t rest = total - done;
	struct net_wreq *w = malloc(sizeof(*w) + rest);
	if (!w) {
		fail(s, UV_ENOMEM, "out of memory");
		return UV_ENOMEM;
	}
	uint8_t *p = w->data;
	size_t skip = done;
	for (unsigned i = 0; i < nbufs; i++) {
		size_t len = bufs[i].len;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		memcpy(p, bufs[i].base + skip, len - skip);
		p += len - skip;
		skip = 0;
	}
	w->s = s;
	w->len = rest;
	uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)rest);
	int r = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, write_cb);
	if (r != 0) {
		free(w);
		fail(s, r, uv_strerror(r));
		return r;
	}
	s->queued += rest;
	if (s->queued > NET_WRITE_HIGH && !(s->flags & F_PAUSED_FULL)) {
		s->flags |= F_PAUSED_FULL;
		update_reading(s);
	}
	return 0;
}

/* Send whatever ciphertext TLS has produced. */
static int flush_tls(struct net_stream *s)
{
	if (!s->tls)
		return 0;
	struct proto_buf out = PROTO_BUF_INIT;
	if (tls_mem_take_out(s->tls, &out) == 0)
		return 0;
	uv_buf_t b = uv_buf_init((char *)proto_buf_head(&out),
				 (unsigned)proto_buf_size(&out));
	int r = raw_writev(s, &b, 1);
	proto_buf_free(&out);
	return r;
}

int net_stream_writev(struct net_stream *s, const uv_buf_t *bufs,
		      unsigned nbufs)
{
	if (s->closing || (s->flags & F_ENDING))
		return UV_EPIPE;
	if (!s->tls)
		return raw_writev(s, bufs, nbufs);
	for (unsigned i = 0; i < nbufs; i++) {
		if (bufs[i].len == 0)
			continue;
		int r = tls_mem_write(s->tls, (const uint8_t *)bufs[i].base,
				      bufs[i].len);
		if (r < 0) {
			fail(s, r, s->tls->error);
			return r;
		}
	}
	return flush_tls(s);
}

int net_stream_write(struct net_stream *s, const void *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
	return net_stream_writev(s, &b, 1);
}

void net_stream_end(struct net_stream *s)
{
	if (s->closing || (s->flags & F_ENDING))
		return;
	s->flags |= F_ENDING;
	if (s->tls) {
		tls_mem_shutdown(s->tls);
		if (flush_tls(s) < 0)
			return;
	}
	if (s->queued == 0)
		do_shutdown(s);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	buf->base = (char *)net_rbuf;
	buf->len = sizeof(net_rbuf);
}

/* Run TLS: handshake, then hand plaintext up. */
static void tls_pump(struct net_stream *s)
{
	if (!(s->flags & F_OPEN)) {
		int r = tls_mem_handshake(s->tls);
		if (flush_tls(s) < 0)
			return;
		if (r < 0) {
			fail(s, PROTO_E_TLS, s->tls->error);
			return;
		}
		if (r == 0)
			return;
		s->flags |= F_OPEN;
		if (s->cbs->on_open)
			s->cbs->on_open(s);
		if (s->closing)
			return;
	}
	while (!s->closing && !(s->flags & F_PAUSED_OWNER)) {
		int n = tls_mem_read(s->tls, net_pbuf, sizeof(net_pbuf));
		if (n > 0) {
			s->cbs->on_data(s, net_pbuf, (size_t)n);
			continue;
		}
		if (n == PROTO_E_EOF) {
			s->flags |= F_EOF;
			if (s->cbs->on_eof)
				s->cbs->on_eof(s);
		} else if (n < 0) {
			fail(s, n, s->tls->error);
			return;
		}
		break;
	}
	if (!s->closing)
		flush_tls(s);
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct net_stream *s = (struct net_stream *)st;
	if (s->closing)
		return;
	if (nread > 0) {
		if (s->linger)
			return; /* we are done; discard */
		if (!s->tls) {
			s->cbs->on_data(s, (uint8_t *)buf->base, (size_t)nread);
			return;
		}
		if (tls_mem_feed(s->tls, (uint8_t *)buf->base, (size_t)nread) <
		    0) {
			fail(s, UV_ENOMEM, "out of memory");
			return;
		}
		tls_pump(s);
		return;
	}
	if (nread == UV_EOF) {
		s->flags |= F_EOF;
		s->flags &= ~F_READING;
		uv_read_stop(st);
		if (s->linger) {
			net_stream_close(s, false);
			return;
		}
		if (s->flags & F_SHUT)
			return; /* shutdown_cb sees F_EOF and closes */
		if (s->tls && !(s->flags & F_OPEN)) {
			fail(s, PROTO_E_TLS,
			     "connection closed during the TLS handshake");
			return;
		}
		if (s->cbs->on_eof)
			s->cbs->on_eof(s);
		return;
	}
	if (nread < 0)
		fail(s, (int)nread, uv_strerror((int)nread));
}

static void update_reading(struct net_stream *s)
{
	if (s->closing)
		return;
	bool want =
	    !(s->flags & F_EOF) &&
	    (s->linger || !(s->flags & (F_PAUSED_OWNER | F_PAUSED_FULL)));
	if (want && !(s->flags & F_READING)) {
		if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) ==
		    0)
			s->flags |= F_READING;
	} else if (!want && (s->flags & F_READING)) {
		uv_read_stop((uv_stream_t *)&s->tcp);
		s->flags &= ~F_READING;
	}
}

void net_stream_pause(struct net_stream *s)
{
	s->flags |= F_PAUSED_OWNER;
	update_reading(s);
}

void net_stream_resume(struct net_stream *s)
{
	s->flags &= ~F_PAUSED_OWNER;
	update_reading(s);
	/* Plaintext may be waiting inside TLS already. */
	if (s->tls && (s->flags & F_OPEN) && !s->closing)
		tls_pump(s);
}

static int setup_tls(struct net_stream *s, SSL_CTX *ctx, bool server,
		     const char *host)
{
	s->tls = calloc(1, sizeof(*s->tls));
	if (!s->tls)
		return UV_ENOMEM;
	int r = tls_mem_init(s->tls, ctx, server, host);
	if (r < 0) {
		free(s->tls);
		s->tls = NULL;
		return r;
	}
	return 0;
}

int net_stream_accept(struct net_stream *s, uv_stream_t *server,
		      SSL_CTX *tls_ctx, const struct net_stream_cbs *cbs,
		      void *data)
{
	s->cbs = cbs;
	s->data = data;
	int r = uv_tcp_init(server->loop, &s->tcp);
	if (r != 0)
		return r; /* no handle: nothing to close */
	r = uv_accept(server, (uv_stream_t *)&s->tcp);
	if (r == 0 && tls_ctx)
		r = setup_tls(s, tls_ctx, true, NULL);
	if (r != 0) {
		net_stream_close(s, false);
		return r;
	}
	uv_tcp_nodelay(&s->tcp, 1);
	if (!tls_ctx)
		s->flags |= F_OPEN;
	update_reading(s);
	return 0;
}

static void connect_cb(uv_connect_t *req, int status)
{
	struct net_stream *s = req->data;
	free(req);
	if (s->closing)
		return;
	if (status < 0) {
		fail(s, status, uv_strerror(status));
		return;
	}
	uv_tcp_nodelay(&s->tcp, 1);
	update_reading(s);
	if (s->tls) {
		tls_pump(s); /* sends the ClientHello */
		return;
	}
	s->flags |= F_OPEN;
	if (s->cbs->on_open)
		s->cbs->on_open(s);
}

int net_stream_connect(struct net_stream *s, uv_loop_t *loop,
		       const struct sockaddr *addr, SSL_CTX *tls_ctx,
		       const char *host, const struct net_stream_cbs *cbs,
		       void *data)
{
	s->cbs = cbs;
	s->data = data;
	if (tls_ctx) {
		int r = setup_tls(s, tls_ctx, false, host);
		if (r < 0)
			return r;
	}
	uv_connect_t *req = malloc(sizeof(*req));
	int r = req ? uv_tcp_init(loop, &s->tcp) : UV_ENOMEM;
	if (r != 0) {
		free(req);
		if (s->tls) {
			tls_mem_free(s->tls);
			free(s->tls);
			s->tls = NULL;
		}
		return r;
	}
	req->data = s;
	r = uv_tcp_connect(req, &s->tcp, addr, connect_cb);
	if (r != 0) {
		free(req);
		/* The handle exists: close it quietly; the caller sees only
		 * the error code, and on_close runs for the memory. */
		net_stream_close(s, false);
		return r;
	}
	return 0;
}

void net_stream_peer(const struct net_stream *s, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	char host[64];
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&ss;
		uv_ip6_name(a, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)&ss;
		uv_ip4_name(a, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(a->sin_port));
	}
}
