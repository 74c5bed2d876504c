/* The observer: every event of every hop of a scenario run (clients, the
 * proxy, the mock's connectors) in one time-ordered log. Assertions,
 * reports, -v output and the failure trace all read it; no module prints
 * on its own. Events are copied in (the log owns them). */
#ifndef WSSIM_SIM_OBSERVER_H
#define WSSIM_SIM_OBSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_hop {
	SIM_HOP_CLIENT,	 /* a simulated client */
	SIM_HOP_PROXY,	 /* the proxy under test (its process, its log) */
	SIM_HOP_BACKEND, /* the mock Tomcat */
	SIM_HOP_RUN,	 /* the run itself (bring-up, teardown) */
};

enum sim_ev {
	SIM_EV_START,	 /* a client began: t_us is when it was due (its
			    `start`), the origin of its `at`s */
	SIM_EV_CONNECT,	 /* TCP (and TLS) up */
	SIM_EV_REQUEST,	 /* a request head sent or received: text */
	SIM_EV_RESPONSE, /* a status: code, text = status line */
	SIM_EV_OPEN,	 /* websocket open */
	SIM_EV_SEND,	 /* a message or frame sent: code = opcode */
	SIM_EV_RECV,	 /* a message or frame received: code = opcode */
	SIM_EV_CLOSE,	 /* a close: code = close code, text = reason */
	SIM_EV_ERROR,	 /* refused, reset, TLS failure, timeout: text */
	SIM_EV_EXPECT,	 /* an expectation held (text) or failed */
	SIM_EV_NOTE,	 /* anything else */
};

struct sim_event {
	uint64_t t_us; /* since the run began */
	enum sim_hop hop;
	enum sim_ev ev;
	char *who; /* client name, or "t1.ajp", "front" */
	int code;
	bool failed;	/* SIM_EV_EXPECT: the expectation failed */
	bool automatic; /* SIM_EV_SEND: sent by the client on its own (a pong
			   answering a ping), not by a scenario step */
	char *text;	/* readable detail */
	/* backend requests (hop BACKEND, ev REQUEST): what the mock saw */
	char *method, *target, *headers; /* headers: "Name: value\n"... */
	char *connector;		 /* "http", "https", "ajp" */
	bool upgrade; /* the request asked for a websocket upgrade */
};

struct sim_observer {
	struct sim_event *ev;
	size_t n, cap;
	uint64_t t0_us; /* uv_hrtime()/1000 at the start */
	void (*live)(void *ctx, const struct sim_event *e); /* -v, or NULL */
	void *live_ctx;
};

void sim_obs_init(struct sim_observer *o);
void sim_obs_free(struct sim_observer *o);

/* Record an event; `fmt` formats its text. Returns the stored event
 * (valid until the next add), so callers may fill the backend fields. */
struct sim_event *sim_obs_add(struct sim_observer *o, enum sim_hop hop,
			      enum sim_ev ev, const char *who, int code,
			      const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Set a backend request's details on an event (copies the strings). */
void sim_obs_set_request(struct sim_event *e, const char *connector,
			 const char *method, const char *target,
			 const char *headers, bool upgrade);

#endif
