/* What the mock Tomcat answers to one request, whatever connector it came
 * on: the status, headers and body (Tomcat 10.1's, DESIGN.md section 6).
 * The HTTP and AJP connectors write the answer in their own framing; the
 * one case that differs by connector (a websocket upgrade: 101 on HTTP,
 * 500 over AJP, which cannot upgrade) is decided here too. Private to
 * mock-tomcat/.
 */
#ifndef WSSIM_MOCK_ANSWER_H
#define WSSIM_MOCK_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include "mock_tomcat.h"
#include "proto_buf.h"
#include "webapp.h"

struct mock_request {
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	const struct mock_header *headers;
	size_t nheaders;
	bool over_ajp;
	/* AJP: why the required secret is refused ("missing AJP secret"),
	 * or NULL when it is fine */
	const char *bad_secret;
};

/* The first header named `name` (case-insensitive) with a value, or NULL;
 * whether any header `name` holds `token` in its comma-separated value. */
const struct mock_header *mock_header_find(const struct mock_header *h,
					   size_t n, const char *name);
bool mock_header_has_token(const struct mock_header *h, size_t n,
			   const char *name, const char *token);

#define MOCK_ANSWER_MAX_HEADERS 16

struct mock_answer {
	int status;
	bool upgrade; /* HTTP only: accept the websocket upgrade (101) */
	enum webapp_endpoint endpoint;
	size_t nheaders;
	struct mock_header headers[MOCK_ANSWER_MAX_HEADERS];
	const char *body; /* into `page` or static */
	size_t body_len;
	bool head_only;	  /* HEAD: headers as for GET, no body */
	const char *note; /* for the observer: why this answer */
	/* storage */
	struct proto_buf page;
	char len_str[24];
	char accept[32];
	char date[30];
};

/* Decide the answer. `a` is initialised here; free with
 * mock_answer_free. Returns 0 or PROTO_E_NOMEM. */
int mock_answer_make(const struct mock_request *req, struct mock_answer *a);
void mock_answer_free(struct mock_answer *a);

#endif
