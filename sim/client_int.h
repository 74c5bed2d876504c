/* Private to the simulated client (client.c, client_ws.c,
 * client_expect.c): the client's state and the functions its parts share.
 * Nothing outside sim/client*.c includes this. */
#ifndef WSSIM_SIM_CLIENT_INT_H
#define WSSIM_SIM_CLIENT_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "client.h"
#include "http1.h"
#include "net_stream.h"
#include "pmd.h"
#include "proto_buf.h"
#include "ws_frame.h"
#include "ws_handshake.h"

#define CLIENT_MAX_DEPTH 16	       /* nested repeats */
#define CLIENT_MAX_MESSAGE (64u << 20) /* bytes of one received message */
#define CLIENT_MAX_BODY (64u << 20)    /* bytes of an HTTP body kept */
#define CLIENT_CLOSE_WAIT_MS 2000      /* closing handshake timeout */
#define CLIENT_DEFAULT_TIMEOUT_MS 5000

/* Where the connection is. */
enum client_conn {
	CC_NONE,       /* not started */
	CC_CONNECTING, /* TCP (and TLS) */
	CC_HEAD,       /* request sent, waiting for the response head */
	CC_OPEN,       /* websocket open */
	CC_BODY,       /* http: reading the body */
	CC_DONE,       /* http: response complete */
	CC_CLOSED,     /* websocket closed (see close_*), or failed */
};

/* Something received, kept in order for expectations. */
struct client_rx {
	struct client_rx *next;
	uint8_t opcode; /* WS_OP_TEXT, WS_OP_BINARY, WS_OP_PONG */
	uint8_t *data;	/* malloc'd, NUL after the payload */
	size_t len;
};

/* One level of the step program (the client's steps or a repeat body). */
struct client_frame {
	const struct scn_step *steps;
	size_t n, i;
	unsigned iter, count;
};

struct client_token; /* outlives the client while a backend call runs */

struct sim_client {
	struct net_stream s; /* first: the stream callbacks cast back */
	const struct scn_client *def;
	struct sim_client_env env;
	void (*done)(void *arg, const struct sim_client_result *r);
	void *arg;
	const char *who;

	/* the URL */
	bool ws, tls;
	char host[80];	   /* as written, without brackets: "127.0.0.1" */
	char hostport[96]; /* Host header: "127.0.0.1:8080" */
	int port;
	char *target; /* path and query */
	struct sockaddr_storage addr;
	uint64_t timeout_ms; /* the client's default per wait */

	/* the connection */
	enum client_conn conn;
	bool stream_live; /* the net_stream handle exists */
	bool connected;	  /* TCP (and TLS) came up */
	bool quiet_close; /* we closed it after the last step or a failure */
	char key[WS_KEY_LEN + 1];
	char *offered_ext;	 /* NULL: none */
	char *offered_protocols; /* NULL: none */
	char *method;		 /* http: the method sent */

	/* the response head */
	struct proto_buf headbuf;
	size_t head_scan;
	char *head;		 /* the head's bytes (resp points in) */
	struct http1_head *resp; /* NULL until the head is in */
	int status;
	char status_line[256];

	/* http body */
	enum http1_body_kind body_kind;
	uint64_t body_left;
	struct http1_chunked chunked;
	struct proto_buf body;
	bool body_done;

	/* websocket */
	bool opened; /* the handshake succeeded (even if closed since) */
	struct ws_decoder dec;
	bool pmd_on;
	struct pmd_ctx pmd;
	char pmd_answer[128];
	struct proto_buf msg; /* the message being received */
	uint8_t msg_op;
	bool msg_compressed;
	struct client_rx *rx_head, **rx_tail;
	struct proto_buf last_sent;
	uint8_t last_sent_op; /* 0: nothing sent yet */
	bool close_sent, close_received;
	unsigned close_code_received;
	char close_reason_received[WS_MAX_CONTROL + 1];

	/* the outcome (browser's onclose) */
	bool closed;
	int close_code;
	bool clean;
	char reason[256];
	char error[256]; /* the last transport error (refused, TLS, ...) */

	/* counters for the summary */
	unsigned sent_msgs, recv_msgs, echoed;

	/* steps */
	struct client_frame stack[CLIENT_MAX_DEPTH];
	unsigned depth;
	bool step_started; /* the current step's timer runs */
	bool timed_out;	   /* the current step's timer fired */
	bool backend_done;
	char backend_err[256];
	struct client_token *token;
	bool in_pump, repump;
	bool ending;	  /* steps over (or failed): closing down */
	bool end_waited;  /* the end phase's timer was started */
	bool finished;	  /* done has been called (or is about to be) */
	uv_timer_t timer; /* step deadlines, end phase */
	uv_timer_t poll;  /* re-checks backend expectations */
	struct sim_sched_timer wake; /* the end of a `wait`, a send's `at` */
	uint64_t origin_ns;	     /* `at` counts from it (uv_hrtime) */
	unsigned live_handles;
	bool poll_on;

	struct sim_client_result res;
};

/* client.c */
void client_pump(struct sim_client *c);
/* Record the browser's onclose: once. */
void client_set_closed(struct sim_client *c, int code, bool clean,
		       const char *reason_fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Close the connection now (no close frame). */
void client_drop(struct sim_client *c, bool reset);
uint64_t client_step_timeout(const struct sim_client *c,
			     const struct scn_step *st);
/* A readable state: "the connection is still open", "closed 1006 (...)". */
void client_state_text(const struct sim_client *c, char *out, size_t outlen);

/* client_ws.c */
/* The 101 was accepted: set up the decoder and permessage-deflate.
 * Returns 0, or -1 with the reason in why. */
int client_ws_open(struct sim_client *c, char *why, size_t whylen);
/* Frames from the server. */
void client_ws_feed(struct sim_client *c, uint8_t *p, size_t n);
/* Send one frame (masked). Returns 0 or a negative code. */
int client_ws_send_frame(struct sim_client *c, bool fin, uint8_t rsv,
			 uint8_t opcode, const uint8_t *p, size_t n);
/* Send a whole text or binary message (compressed when negotiated). */
int client_ws_send_message(struct sim_client *c, uint8_t opcode,
			   const uint8_t *p, size_t n);
/* Send a message in pieces. */
int client_ws_send_fragments(struct sim_client *c, uint8_t opcode,
			     const struct scn_bytes *pieces, size_t n);
int client_ws_send_close(struct sim_client *c, unsigned code,
			 const char *reason, size_t reason_len);
void client_ws_free(struct sim_client *c);
/* A short printable preview of a payload into out. */
void client_preview(const uint8_t *p, size_t n, bool text, char *out,
		    size_t outlen);

/* client_expect.c */
enum step_result { STEP_DONE, STEP_BLOCK, STEP_FAIL };
/* Evaluate an expectation now. STEP_FAIL fills `got` with what was seen
 * ("text \"hello\"", "closed 1006: ..."). `final` is true when the
 * deadline passed (then BLOCK is not an option). */
enum step_result client_expect(struct sim_client *c, const struct scn_step *st,
			       bool final, char *got, size_t gotlen);
/* "text \"hello\"", "closed 1000 clean": what the step expects. */
void client_expect_text(const struct scn_step *st, char *out, size_t outlen);
bool client_is_expect(const struct scn_step *st);

/* Record a client-hop event for c (client.c); the stored event (valid
 * until the next one), or NULL without an observer. */
struct sim_event *client_obs(struct sim_client *c, enum sim_ev ev, int code,
			     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
