/* The mock's `examples` webapp, as pure logic: which resource a request
 * path names, the pages' content, and Tomcat 10.1's error pages. No I/O;
 * the connectors (HTTP, HTTPS, AJP) call this and put the answer on the
 * wire in their own way. DESIGN.md section 6 is the specification.
 */
#ifndef WSSIM_WEBAPP_H
#define WSSIM_WEBAPP_H

#include <stdbool.h>
#include <stddef.h>

#include "proto_buf.h"

/* The websocket endpoints under /examples/websocket/. */
enum webapp_endpoint {
	WEBAPP_EP_NONE,
	WEBAPP_EP_ECHO_PROGRAMMATIC, /* partial messages echoed as they come */
	WEBAPP_EP_ECHO_ANNOTATION,   /* the same */
	WEBAPP_EP_ECHO_STREAM,	     /* text joined; binary ends with an
					empty final frame */
	WEBAPP_EP_ECHO_ASYNC,	     /* not deployed by Debian's package:
					served, but flagged */
};

enum webapp_kind {
	WEBAPP_PAGE,	  /* 200 with body */
	WEBAPP_REDIRECT,  /* 302 to `location` (e.g. /examples -> /examples/) */
	WEBAPP_WEBSOCKET, /* an endpoint: upgrade, or 404 without one */
	WEBAPP_NOT_FOUND, /* 404 */
};

struct webapp_route {
	enum webapp_kind kind;
	enum webapp_endpoint endpoint;
	const char *content_type;
	const char *body;
	size_t body_len;
	const char *location; /* REDIRECT */
	const char *etag;     /* PAGE: a stable weak ETag */
};

/* Route a request target (query string ignored). Never fails. */
void webapp_route(const char *target, size_t len, struct webapp_route *r);

/* The endpoint's name ("echoProgrammatic"). */
const char *webapp_endpoint_name(enum webapp_endpoint ep);

/* Tomcat 10.1's HTML error page for `status` (e.g. 404, 500), with an
 * optional `message` (the "Message" paragraph: NULL to leave it out) and
 * `exception` text (a 500's "Exception" block: NULL for a status
 * report). Appends to out; 0 or PROTO_E_NOMEM. */
int webapp_error_page(struct proto_buf *out, int status, const char *message,
		      const char *exception);

/* The server's "Last-Modified" for every page (a fixed date). */
extern const char webapp_last_modified[];

#endif
