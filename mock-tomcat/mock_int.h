/* Private to mock-tomcat/: the structures the connectors share. */
#ifndef WSSIM_MOCK_INT_H
#define WSSIM_MOCK_INT_H

#include <openssl/ssl.h>

#include "http1.h"
#include "mock_tomcat.h"
#include "net_stream.h"
#include "proto_buf.h"
#include "webapp.h"

struct mock_ws;

enum mock_phase {
	PHASE_HTTP,   /* reading request heads (HTTP, HTTPS) */
	PHASE_WS,     /* upgraded: websocket echo */
	PHASE_AJP,    /* AJP13 packets */
	PHASE_CLOSED, /* answered and closing; input is ignored */
};

struct mock_conn {
	struct net_stream s;
	struct mock_tomcat *m;
	struct mock_conn *prev, *next; /* m->conns */
	uint64_t id;
	uint64_t last_active; /* uv_now, for the idle sweep */
	uint8_t kind;	      /* enum mock_connector */
	uint8_t phase;	      /* enum mock_phase */
	bool close_after;     /* close once the response is written */
	struct proto_buf in;  /* input not yet processed */
	size_t scan;	      /* http1_head_end resume point */
	/* a request body being skipped (HTTP) or read (AJP) */
	uint8_t body_kind;
	uint64_t body_left;
	struct http1_chunked chunked;
	struct mock_ws *ws;	  /* PHASE_WS */
	struct mock_ajp_req *ajp; /* AJP: the request waiting for its body */
	char peer[48];		  /* "127.0.0.1:40123", set on first use */
};

/* Output gathered while one read is served, written with one writev at
 * its end (mock_ws.c). Entries refer either to memory valid until the
 * flush (the read buffer) or to offsets in `own`, which may move while it
 * grows. One per mock: a mock runs on one loop, which serves one read at a
 * time. */
#define BATCH_MAX 64
struct mock_batch_ent {
	const uint8_t *ptr; /* NULL: offset into own */
	size_t off, len;
};
struct mock_batch {
	struct mock_batch_ent ent[BATCH_MAX];
	unsigned n;
	struct proto_buf own;
	struct proto_buf z; /* deflate scratch */
};

struct mock_listener {
	uv_tcp_t tcp;
	struct mock_tomcat *m;
	uint8_t kind;
	bool open;
	int port;
};

struct mock_tomcat {
	uv_loop_t *loop;
	struct mock_config cfg;
	char *bind;
	char *ajp_secret;
	struct mock_listener listeners[MOCK_NCONNECTORS];
	SSL_CTX *tls;
	struct mock_conn *conns;
	size_t nconns;
	uint64_t next_id;
	struct mock_batch batch;
	uv_timer_t sweep;
	uv_timer_t grace;
	bool stopping;
	int handles; /* open handles of our own: listeners, timers */
	void (*done)(void *arg);
	void *done_arg;
};

/* Report an event about connection c (c may be NULL for mock-wide). */
void mock_emit(struct mock_tomcat *m, struct mock_conn *c,
	       struct mock_event *ev);
void mock_note(struct mock_tomcat *m, struct mock_conn *c,
	       enum mock_event_type type, int status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Connectors: data arriving on a connection in each phase. */
void mock_http_on_data(struct mock_conn *c, uint8_t *data, size_t len);
void mock_ajp_on_data(struct mock_conn *c, uint8_t *data, size_t len);
void mock_ajp_free(struct mock_conn *c);

struct mock_request;
struct mock_answer;
/* Serve one request: report it, decide the answer (*a, to be written by
 * the connector and freed with mock_answer_free), report that. Returns 0,
 * or a negative code when out of memory (c is then being reset). */
int mock_serve(struct mock_conn *c, const struct mock_request *req,
	       struct mock_answer *a);

/* Websocket sessions (mock_ws.c). mock_ws_start answers an upgrade
 * request (already checked) with 101 and switches c to PHASE_WS; `ext` is
 * its Sec-WebSocket-Extensions value or NULL. Returns 0 or a negative
 * code (c must then be closed). */
int mock_ws_start(struct mock_conn *c, enum webapp_endpoint ep, const char *key,
		  size_t key_len, const char *ext, size_t ext_len);
void mock_ws_on_data(struct mock_conn *c, uint8_t *data, size_t len);
/* Send close `code` with `reason` and end the connection. */
void mock_ws_close(struct mock_conn *c, unsigned code, const char *reason);
void mock_ws_free(struct mock_conn *c);

/* Tomcat's standard response headers and the current date. */
void mock_date(char out[30]);

#endif
