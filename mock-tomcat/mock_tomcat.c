/* The mock Tomcat's lifecycle: connectors (listeners), connections, the
 * observer, idle sweep and shutdown (see mock_tomcat.h). */
#include "mock_tomcat.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_answer.h"
#include "mock_int.h"
#include "net_addr.h"
#include "proto_err.h"
#include "tls_cert.h"
#include "tls_mem.h"

#define IDLE_MS 20000 /* Tomcat's connectionTimeout */
#define SWEEP_MS 1000

const char *mock_connector_name(enum mock_connector c)
{
	static const char *const names[] = {"http", "https", "ajp"};
	return (unsigned)c < MOCK_NCONNECTORS ? names[c] : "?";
}

void mock_config_init(struct mock_config *c)
{
	memset(c, 0, sizeof(*c));
	c->bind = "127.0.0.1";
	for (int i = 0; i < MOCK_NCONNECTORS; i++)
		c->port[i] = -1;
}

void mock_date(char out[30])
{
	http1_date(out, (int64_t)time(NULL));
}

void mock_emit(struct mock_tomcat *m, struct mock_conn *c,
	       struct mock_event *ev)
{
	if (!m->cfg.on_event)
		return;
	if (c) {
		ev->connector = (enum mock_connector)c->kind;
		ev->conn_id = c->id;
		if (!c->peer[0]) /* one getpeername per connection */
			net_stream_peer(&c->s, c->peer, sizeof(c->peer));
		ev->peer = c->peer;
	}
	m->cfg.on_event(m->cfg.event_ctx, ev);
}

void mock_note(struct mock_tomcat *m, struct mock_conn *c,
	       enum mock_event_type type, int status, const char *fmt, ...)
{
	if (!m->cfg.on_event)
		return;
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	struct mock_event ev = {.type = type};
	ev.status = status;
	ev.detail = detail;
	mock_emit(m, c, &ev);
}

int mock_serve(struct mock_conn *c, const struct mock_request *req,
	       struct mock_answer *a)
{
	char method[32], target[1024];
	snprintf(method, sizeof(method), "%.*s", (int)req->method_len,
		 req->method);
	snprintf(target, sizeof(target), "%.*s", (int)req->target_len,
		 req->target);
	struct mock_event ev = {.type = MOCK_EV_REQUEST};
	ev.method = method;
	ev.target = target;
	ev.nheaders = req->nheaders;
	ev.headers = req->headers;
	mock_emit(c->m, c, &ev);
	int r = mock_answer_make(req, a);
	if (r < 0) {
		mock_answer_free(a);
		net_stream_close(&c->s, true);
		return r;
	}
	struct mock_event rev = {.type = MOCK_EV_RESPONSE};
	rev.status = a->status;
	rev.detail = a->note;
	rev.method = method;
	rev.target = target;
	mock_emit(c->m, c, &rev);
	return 0;
}

static void handle_closed(uv_handle_t *h);

static void maybe_done(struct mock_tomcat *m)
{
	if (!m->stopping || m->nconns > 0)
		return;
	if (!uv_is_closing((uv_handle_t *)&m->grace)) {
		uv_close((uv_handle_t *)&m->grace, handle_closed);
		return;
	}
	if (m->handles == 0 && m->done) {
		void (*done)(void *) = m->done;
		m->done = NULL;
		done(m->done_arg);
	}
}

static void conn_closed(struct net_stream *s)
{
	struct mock_conn *c = s->data;
	struct mock_tomcat *m = c->m;
	if (m->cfg.on_event) {
		struct mock_event ev = {.type = MOCK_EV_CLOSE};
		ev.connector = (enum mock_connector)c->kind;
		ev.conn_id = c->id;
		ev.peer = c->peer;
		m->cfg.on_event(m->cfg.event_ctx, &ev);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	m->nconns--;
	mock_ws_free(c);
	mock_ajp_free(c);
	proto_buf_free(&c->in);
	free(c);
	maybe_done(m);
}

static void conn_data(struct net_stream *s, uint8_t *data, size_t len)
{
	struct mock_conn *c = s->data;
	c->last_active = uv_now(c->m->loop);
	if (c->kind == MOCK_AJP)
		mock_ajp_on_data(c, data, len);
	else
		mock_http_on_data(c, data, len);
}

static void conn_eof(struct net_stream *s)
{
	struct mock_conn *c = s->data;
	/* A websocket peer that closes without a close frame, or an HTTP
	 * client done with keep-alive: finish our side too. */
	if (c->phase == PHASE_WS)
		mock_note(c->m, c, MOCK_EV_NOTE, 1006,
			  "the client closed the TCP connection without a "
			  "close frame");
	net_stream_end(s);
}

static void conn_error(struct net_stream *s, int err, const char *msg)
{
	struct mock_conn *c = s->data;
	mock_note(c->m, c, MOCK_EV_NOTE, err, "%s", msg);
}

static const struct net_stream_cbs conn_cbs = {
    .on_data = conn_data,
    .on_eof = conn_eof,
    .on_error = conn_error,
    .on_close = conn_closed,
};

static void on_connection(uv_stream_t *server, int status)
{
	struct mock_listener *l = server->data;
	struct mock_tomcat *m = l->m;
	if (status < 0) {
		mock_note(m, NULL, MOCK_EV_NOTE, status, "%s accept: %s",
			  mock_connector_name(l->kind), uv_strerror(status));
		return;
	}
	struct mock_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->m = m;
	c->kind = l->kind;
	c->id = ++m->next_id;
	c->phase = l->kind == MOCK_AJP ? PHASE_AJP : PHASE_HTTP;
	c->last_active = uv_now(m->loop);
	c->next = m->conns;
	if (m->conns)
		m->conns->prev = c;
	m->conns = c;
	m->nconns++;
	int r = net_stream_accept(
	    &c->s, server, l->kind == MOCK_HTTPS ? m->tls : NULL, &conn_cbs, c);
	if (r == UV_ENOMEM || (r != 0 && !net_stream_closing(&c->s))) {
		/* no handle was made */
		conn_closed(&c->s);
		return;
	}
	if (r == 0 && m->cfg.on_event) {
		struct mock_event ev = {.type = MOCK_EV_ACCEPT};
		mock_emit(m, c, &ev);
	}
}

static void handle_closed(uv_handle_t *h)
{
	struct mock_tomcat *m = h->data;
	if (h->type == UV_TCP)
		m = ((struct mock_listener *)h->data)->m;
	m->handles--;
	maybe_done(m);
}

static int make_tls(struct mock_tomcat *m, char *err, size_t errlen)
{
	if (m->cfg.cert_file) {
		m->tls = tls_ctx_server_files(m->cfg.cert_file, m->cfg.key_file,
					      err, errlen);
		return m->tls ? 0 : PROTO_E_TLS;
	}
	static const char *const def_names[] = {"localhost", "127.0.0.1", "::1",
						NULL};
	struct tls_ca ca;
	if (tls_ca_new(&ca, "mock-tomcat") < 0) {
		snprintf(err, errlen, "cannot create the test CA");
		return PROTO_E_CRYPTO;
	}
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r = tls_cert_issue(
	    &ca, m->cfg.cert_names ? m->cfg.cert_names : def_names,
	    TLS_CERT_VALID, &key, &cert);
	char why[PATH_MAX + 300];
	if (r == 0 && m->cfg.ca_out &&
	    tls_write_cert_pem_to(m->cfg.ca_out, ca.cert, m->cfg.ca_out_force,
				  why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--ca-out %s", why);
		r = PROTO_E_CRYPTO;
	}
	if (r == 0) {
		m->tls = tls_ctx_server(cert, key, err, errlen);
		if (!m->tls)
			r = PROTO_E_TLS;
	} else if (r != PROTO_E_CRYPTO || !err[0]) {
		snprintf(err, errlen, "cannot issue the HTTPS certificate");
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	tls_ca_free(&ca);
	return r;
}

int mock_tomcat_start_connector(struct mock_tomcat *m, enum mock_connector c,
				char *err, size_t errlen)
{
	struct mock_listener *l = &m->listeners[c];
	if (l->open)
		return 0;
	if (c == MOCK_HTTPS && !m->tls) {
		int r = make_tls(m, err, errlen);
		if (r < 0)
			return r;
		/* No TLS 1.3 session tickets: sent right after the handshake
		 * they can share a read with the 101 in Apache's mod_ssl proxy
		 * connection, whose poll() loop then never sees the buffered
		 * 101 (mod_proxy_wstunnel hangs until the client gives up). */
		SSL_CTX_set_num_tickets(m->tls, 0);
	}
	l->m = m;
	l->kind = (uint8_t)c;
	int port = l->port > 0 ? l->port : m->cfg.port[c];
	int bound = 0;
	char e[200];
	int r = net_listen(m->loop, &l->tcp, m->bind, port < 0 ? 0 : port,
			   on_connection, &bound, e, sizeof(e));
	l->tcp.data = l;
	if (r < 0) {
		snprintf(err, errlen, "%s connector: %s",
			 mock_connector_name(c), e);
		return r;
	}
	l->open = true;
	l->port = bound;
	m->handles++;
	struct mock_event ev = {.type = MOCK_EV_LISTENING};
	ev.connector = c;
	ev.port = bound;
	ev.peer = m->bind;
	mock_emit(m, NULL, &ev);
	return 0;
}

static void close_conns(struct mock_tomcat *m, int kind)
{
	for (struct mock_conn *c = m->conns; c; c = c->next) {
		if ((kind >= 0 && c->kind != kind) || c->phase == PHASE_CLOSED)
			continue; /* closing already: the grace timer ends it */
		if (c->phase == PHASE_WS)
			mock_ws_close(c, 1001,
				      "The web application is stopping");
		else
			net_stream_close(&c->s, false);
		c->phase = PHASE_CLOSED;
	}
}

void mock_tomcat_stop_connector(struct mock_tomcat *m, enum mock_connector c)
{
	struct mock_listener *l = &m->listeners[c];
	if (l->open) {
		l->open = false;
		uv_close((uv_handle_t *)&l->tcp, handle_closed);
	}
	close_conns(m, (int)c);
}

static void sweep(uv_timer_t *t)
{
	struct mock_tomcat *m = t->data;
	uint64_t now = uv_now(m->loop);
	for (struct mock_conn *c = m->conns; c; c = c->next) {
		if ((c->phase == PHASE_HTTP || c->phase == PHASE_AJP) &&
		    now - c->last_active > IDLE_MS &&
		    !net_stream_closing(&c->s)) {
			mock_note(m, c, MOCK_EV_NOTE, 0,
				  "idle for %d s: closing (connectionTimeout)",
				  IDLE_MS / 1000);
			net_stream_close(&c->s, false);
		}
	}
}

static void free_when_closed(void *arg)
{
	mock_tomcat_free(arg);
}

int mock_tomcat_start(uv_loop_t *loop, const struct mock_config *cfg,
		      struct mock_tomcat **out, char *err, size_t errlen)
{
	struct mock_tomcat *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return PROTO_E_NOMEM;
	}
	m->loop = loop;
	m->cfg = *cfg;
	if (!m->cfg.max_head)
		m->cfg.max_head = 8192;
	if (!m->cfg.max_message)
		m->cfg.max_message = 64u << 20;
	m->bind = strdup(cfg->bind ? cfg->bind : "127.0.0.1");
	m->ajp_secret = cfg->ajp_secret ? strdup(cfg->ajp_secret) : NULL;
	m->cfg.bind = m->bind;
	m->cfg.ajp_secret = m->ajp_secret;
	uv_timer_init(loop, &m->sweep);
	m->sweep.data = m;
	m->handles++;
	uv_timer_start(&m->sweep, sweep, SWEEP_MS, SWEEP_MS);
	uv_unref((uv_handle_t *)&m->sweep);
	uv_timer_init(loop, &m->grace);
	m->grace.data = m;
	m->handles++;
	for (int c = 0; c < MOCK_NCONNECTORS; c++) {
		if (cfg->port[c] < 0)
			continue;
		int r = mock_tomcat_start_connector(m, (enum mock_connector)c,
						    err, errlen);
		if (r < 0) {
			/* m is freed once its handles have closed */
			m->cfg.on_event = NULL;
			mock_tomcat_stop(m, 0, free_when_closed, m);
			return r;
		}
	}
	*out = m;
	return 0;
}

int mock_tomcat_port(const struct mock_tomcat *m, enum mock_connector c)
{
	return m->listeners[c].open ? m->listeners[c].port : -1;
}

const char *mock_tomcat_bind(const struct mock_tomcat *m)
{
	return m->bind;
}

size_t mock_tomcat_connections(const struct mock_tomcat *m)
{
	return m->nconns;
}

static void grace_over(uv_timer_t *t)
{
	struct mock_tomcat *m = t->data;
	for (struct mock_conn *c = m->conns; c; c = c->next)
		net_stream_close(&c->s, true);
}

void mock_tomcat_stop(struct mock_tomcat *m, unsigned grace_ms,
		      void (*done)(void *arg), void *arg)
{
	if (m->stopping)
		return;
	m->stopping = true;
	m->done = done;
	m->done_arg = arg;
	for (int c = 0; c < MOCK_NCONNECTORS; c++)
		mock_tomcat_stop_connector(m, (enum mock_connector)c);
	close_conns(m, -1);
	uv_close((uv_handle_t *)&m->sweep, handle_closed);
	/* The grace timer is closed by maybe_done with the last
	 * connection. */
	if (m->nconns && grace_ms)
		uv_timer_start(&m->grace, grace_over, grace_ms, 0);
	else
		grace_over(&m->grace);
	maybe_done(m);
}

void mock_tomcat_free(struct mock_tomcat *m)
{
	if (!m)
		return;
	if (m->tls)
		SSL_CTX_free(m->tls);
	proto_buf_free(&m->batch.own);
	proto_buf_free(&m->batch.z);
	free(m->bind);
	free(m->ajp_secret);
	free(m);
}
