/* The mock Tomcat's answer to a request (see mock_answer.h). */
#include "mock_answer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http1.h"
#include "mock_int.h"
#include "proto_err.h"
#include "ws_handshake.h"

const struct mock_header *mock_header_find(const struct mock_header *h,
					   size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].value && http1_eq(h[i].name, h[i].name_len, name))
			return &h[i];
	return NULL;
}

bool mock_header_has_token(const struct mock_header *h, size_t n,
			   const char *name, const char *token)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].value && http1_eq(h[i].name, h[i].name_len, name) &&
		    http1_value_has_token(h[i].value, h[i].value_len, token))
			return true;
	return false;
}

static void add(struct mock_answer *a, const char *name, const char *value)
{
	if (a->nheaders >= MOCK_ANSWER_MAX_HEADERS)
		return;
	struct mock_header *h = &a->headers[a->nheaders++];
	h->name = name;
	h->name_len = strlen(name);
	h->value = value;
	h->value_len = strlen(value);
}

/* The filter every examples response passes (HttpHeaderSecurityFilter). */
static void add_security(struct mock_answer *a)
{
	add(a, "X-Frame-Options", "DENY");
	add(a, "X-Content-Type-Options", "nosniff");
}

static int error_page(struct mock_answer *a, int status, const char *message,
		      const char *exception)
{
	a->status = status;
	int r = webapp_error_page(&a->page, status, message, exception);
	if (r < 0)
		return r;
	a->body = (const char *)proto_buf_head(&a->page);
	a->body_len = proto_buf_size(&a->page);
	add(a, "Content-Type", "text/html;charset=utf-8");
	add(a, "Content-Language", "en");
	return 0;
}

static int not_found(struct mock_answer *a, const struct mock_request *req)
{
	char msg[600];
	size_t n = req->target_len;
	const char *q = memchr(req->target, '?', n);
	if (q)
		n = (size_t)(q - req->target);
	if (n > 400)
		n = 400;
	snprintf(msg, sizeof(msg),
		 "The requested resource [%.*s] is not available", (int)n,
		 req->target);
	return error_page(a, 404, msg, NULL);
}

static const char upgrade_exception[] =
    "java.lang.UnsupportedOperationException: HTTP upgrade is not "
    "supported by this protocol\n"
    "\torg.apache.coyote.AbstractProcessor.doHttpUpgrade("
    "AbstractProcessor.java:1042)\n"
    "\torg.apache.coyote.AbstractProcessor.action(AbstractProcessor.java:"
    "654)\n"
    "\torg.apache.coyote.Request.action(Request.java:765)\n"
    "\torg.apache.catalina.connector.Request.upgrade(Request.java:2010)\n"
    "\torg.apache.catalina.connector.RequestFacade.upgrade("
    "RequestFacade.java:803)\n"
    "\torg.apache.tomcat.websocket.server.UpgradeUtil.doUpgrade("
    "UpgradeUtil.java:244)\n"
    "\torg.apache.tomcat.websocket.server.WsFilter.doFilter(WsFilter.java:"
    "82)\n"
    "\torg.apache.catalina.filters.HttpHeaderSecurityFilter.doFilter("
    "HttpHeaderSecurityFilter.java:140)\n";

static int websocket(const struct mock_request *req, struct mock_answer *a,
		     const struct webapp_route *rt)
{
	const struct mock_header *h = req->headers;
	size_t n = req->nheaders;
	bool upgrade = http1_eq(req->method, req->method_len, "GET") &&
		       mock_header_has_token(h, n, "Upgrade", "websocket") &&
		       mock_header_has_token(h, n, "Connection", "upgrade");
	if (!upgrade) {
		a->note = "the websocket endpoint was requested without "
			  "'Upgrade: websocket'";
		return not_found(a, req);
	}
	const struct mock_header *ver =
	    mock_header_find(h, n, "Sec-WebSocket-Version");
	if (!ver || !http1_eq(ver->value, ver->value_len, "13")) {
		a->status = 426;
		add(a, "Sec-WebSocket-Version", "13");
		a->note = "unsupported Sec-WebSocket-Version";
		return error_page(a, 426, NULL, NULL);
	}
	const struct mock_header *key =
	    mock_header_find(h, n, "Sec-WebSocket-Key");
	if (!key || ws_hs_accept(key->value, key->value_len, a->accept) < 0) {
		a->note = "missing Sec-WebSocket-Key";
		return error_page(a, 400, NULL, NULL);
	}
	if (!req->over_ajp) {
		a->status = 101;
		a->upgrade = true;
		a->endpoint = rt->endpoint;
		return 0;
	}
	/* Tomcat began the handshake (headers set) before the AJP processor
	 * refused the upgrade. */
	add(a, "Upgrade", "websocket");
	add(a, "Connection", "upgrade");
	add(a, "Sec-WebSocket-Accept", a->accept);
	a->note = "websocket upgrade over AJP: HTTP upgrade is not supported "
		  "by this protocol";
	return error_page(a, 500,
			  "HTTP upgrade is not supported by this protocol",
			  upgrade_exception);
}

static int page(const struct mock_request *req, struct mock_answer *a,
		const struct webapp_route *rt)
{
	if (http1_eq(req->method, req->method_len, "OPTIONS")) {
		a->status = 200;
		add(a, "Allow", "OPTIONS, GET, HEAD, POST");
		return 0;
	}
	bool head = http1_eq(req->method, req->method_len, "HEAD");
	if (!head && !http1_eq(req->method, req->method_len, "GET") &&
	    !http1_eq(req->method, req->method_len, "POST")) {
		add(a, "Allow", "OPTIONS, GET, HEAD, POST");
		return error_page(a, 405,
				  "Method is not supported by the target "
				  "resource",
				  NULL);
	}
	a->status = 200;
	a->head_only = head;
	add(a, "Accept-Ranges", "bytes");
	add(a, "ETag", rt->etag);
	add(a, "Last-Modified", webapp_last_modified);
	add(a, "Content-Type", rt->content_type);
	a->body = rt->body;
	a->body_len = rt->body_len;
	return 0;
}

int mock_answer_make(const struct mock_request *req, struct mock_answer *a)
{
	memset(a, 0, sizeof(*a));
	proto_buf_init(&a->page);
	mock_date(a->date);
	add_security(a);
	const char *target = req->target;
	size_t tlen = req->target_len;
	/* absolute-form ("http://host/path"): keep the path */
	size_t skip = 0;
	if (tlen > 7 && strncasecmp(target, "http://", 7) == 0)
		skip = 7;
	else if (tlen > 8 && strncasecmp(target, "https://", 8) == 0)
		skip = 8;
	if (skip) {
		const char *p = memchr(target + skip, '/', tlen - skip);
		target = p ? p : "/";
		tlen = p ? tlen - (size_t)(p - req->target) : 1;
	}
	if (req->bad_secret) {
		/* Tomcat's secretRequired: a bare 403 */
		a->status = 403;
		a->nheaders = 0;
		a->note = req->bad_secret;
		add(a, "Content-Length", "0");
		return 0;
	}
	struct webapp_route rt;
	webapp_route(target, tlen, &rt);
	int r = 0;
	switch (rt.kind) {
	case WEBAPP_WEBSOCKET:
		r = websocket(req, a, &rt);
		break;
	case WEBAPP_PAGE:
		r = page(req, a, &rt);
		break;
	case WEBAPP_REDIRECT:
		a->status = 302;
		add(a, "Location", rt.location);
		break;
	case WEBAPP_NOT_FOUND:
		r = not_found(a, req);
		break;
	}
	if (r == 0 && !a->upgrade) {
		snprintf(a->len_str, sizeof(a->len_str), "%zu", a->body_len);
		add(a, "Content-Length", a->len_str);
	}
	return r;
}

void mock_answer_free(struct mock_answer *a)
{
	proto_buf_free(&a->page);
}
