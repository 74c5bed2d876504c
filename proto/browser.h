/* The request a current browser sends (Chromium 156, DESIGN.md section
 * 5): the websocket upgrade in Chrome's header order, or a page's GET,
 * with the scenario's own headers replacing or adding to them. Shared by
 * the one-at-a-time client (sim/) and the load engine (load/), so both
 * send byte for byte what a browser would. Sans I/O. */
#ifndef WSSIM_BROWSER_H
#define WSSIM_BROWSER_H

#include <stdbool.h>
#include <stddef.h>

#include "proto_buf.h"
#include "ws_handshake.h"

struct browser_header {
	const char *name;
	const char *value;
};

struct browser_req {
	bool ws;		/* an upgrade; else a page's GET (or method) */
	bool tls;		/* the page's origin is https */
	const char *hostport;	/* the Host header */
	const char *target;	/* path and query */
	const char *method;	/* http only; NULL: GET */
	const char *origin;	/* ws: NULL derives it from the URL */
	const char *key;	/* ws: the Sec-WebSocket-Key to send */
	const char *extensions; /* ws: NULL Chrome's offer, "" none */
	const char *protocols;	/* ws: NULL or "" none */
	const struct browser_header *extra; /* replace same-named ones */
	size_t nextra;
};

/* What was sent, for checking the answer (after the extra headers had
 * their say): malloc'd strings or NULL when none was sent. */
struct browser_sent {
	char key[WS_KEY_LEN + 1];
	char *extensions;
	char *protocols;
	size_t key_at; /* the key's offset in out's data (proto_buf_head),
			  so a copy of the request can take a new key */
};

/* Append the request to out. Returns 0, or -1 with a message in err (out
 * of memory, more than 64 headers); *sent (may be NULL) is filled on
 * success: free with browser_sent_free. */
int browser_request_build(struct proto_buf *out, const struct browser_req *r,
			  struct browser_sent *sent, char *err, size_t errlen);
void browser_sent_free(struct browser_sent *s);

#endif
