/* The mock Tomcat 10.1: HTTP, HTTPS and AJP13 connectors on one libuv
 * loop, serving the `examples` webapp (webapp.h) with Tomcat's observable
 * behaviour (DESIGN.md section 6).
 *
 * The mock prints nothing: everything it sees (connections, request heads,
 * upgrades, protocol errors, closes) goes to one observer callback, which
 * the wssim CLI logs and the simulator's assertions read.
 */
#ifndef WSSIM_MOCK_TOMCAT_H
#define WSSIM_MOCK_TOMCAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum mock_connector { MOCK_HTTP, MOCK_HTTPS, MOCK_AJP, MOCK_NCONNECTORS };

/* "http", "https", "ajp" */
const char *mock_connector_name(enum mock_connector c);

struct mock_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

enum mock_event_type {
	MOCK_EV_LISTENING,	/* a connector is open: port */
	MOCK_EV_ACCEPT,		/* a connection came in: peer */
	MOCK_EV_REQUEST,	/* a request head: method, target, headers */
	MOCK_EV_RESPONSE,	/* what we answered: status, detail */
	MOCK_EV_WS_OPEN,	/* a websocket session began: target */
	MOCK_EV_WS_FRAME,	/* a frame from the client: opcode, len */
	MOCK_EV_WS_CLOSE,	/* a close frame was sent (status = code) */
	MOCK_EV_PROTOCOL_ERROR, /* detail says what; status a close code */
	MOCK_EV_CLOSE,		/* a connection closed */
	MOCK_EV_NOTE,		/* anything else worth a log line */
};

struct mock_event {
	enum mock_event_type type;
	enum mock_connector connector;
	uint64_t conn_id; /* 1, 2, ... per mock */
	const char *peer; /* "127.0.0.1:40123" */
	const char *method;
	const char *target;
	size_t nheaders;
	const struct mock_header *headers;
	int status;	/* HTTP status, or a close code */
	int port;	/* LISTENING */
	uint8_t opcode; /* WS_FRAME */
	uint64_t len;	/* WS_FRAME payload length */
	const char *detail;
};

typedef void (*mock_event_cb)(void *ctx, const struct mock_event *ev);

struct mock_config {
	const char *bind;	    /* default "127.0.0.1" */
	int port[MOCK_NCONNECTORS]; /* -1: connector off; 0: free port */
	const char *cert_file;	    /* HTTPS: PEM cert and key, or NULL to */
	const char *key_file;	    /* generate them from a test CA */
	const char *ca_out;	    /* write the test CA's PEM here */
	bool ca_out_force;	    /* even through a symlink or to a device */
	const char *const *cert_names; /* names for a generated cert (NULL:
					  localhost, 127.0.0.1, ::1) */
	const char *ajp_secret;	       /* NULL: no secret required */
	size_t ajp_packet_size;	       /* 0: 8192 */
	size_t max_head;	/* 0: 8192 (Tomcat's maxHttpHeaderSize) */
	uint64_t max_message;	/* 0: 64 MiB; beyond it close 1009 */
	mock_event_cb on_event; /* may be NULL */
	bool frame_events;	/* also MOCK_EV_WS_FRAME, one a frame */
	void *event_ctx;
};

/* Default config: all connectors off, bind 127.0.0.1. */
void mock_config_init(struct mock_config *c);

struct mock_tomcat;

/* Open the configured connectors on `loop`. Returns 0 and *out, or a
 * negative code with a readable message in err (nothing left open). */
int mock_tomcat_start(uv_loop_t *loop, const struct mock_config *cfg,
		      struct mock_tomcat **out, char *err, size_t errlen);

/* The port a connector is listening on, or -1 if it is not open. */
int mock_tomcat_port(const struct mock_tomcat *m, enum mock_connector c);
/* The address it listens on ("127.0.0.1"). */
const char *mock_tomcat_bind(const struct mock_tomcat *m);

/* Stop one connector: close its listener and its connections (websocket
 * sessions get close 1001 "The web application is stopping"). Reopen it
 * with mock_tomcat_start_connector on the same port. */
void mock_tomcat_stop_connector(struct mock_tomcat *m, enum mock_connector c);
int mock_tomcat_start_connector(struct mock_tomcat *m, enum mock_connector c,
				char *err, size_t errlen);

/* Stop everything as Tomcat does at shutdown: websocket sessions get close
 * 1001 "The web application is stopping"; connections are given up to
 * `grace_ms` to finish, then reset. `done` runs once every handle is
 * closed; then free the mock with mock_tomcat_free. */
void mock_tomcat_stop(struct mock_tomcat *m, unsigned grace_ms,
		      void (*done)(void *arg), void *arg);
void mock_tomcat_free(struct mock_tomcat *m);

/* Number of open connections (all connectors). */
size_t mock_tomcat_connections(const struct mock_tomcat *m);

#endif
