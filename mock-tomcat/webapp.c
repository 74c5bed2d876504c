/* The `examples` webapp of the mock Tomcat: routing, pages and error pages
 * (see webapp.h). The pages are our own; the error page follows the layout
 * Tomcat 10.1's ErrorReportValve produces, which clients and proxies see. */
#include "webapp.h"

#include <string.h>

#include "http1.h"

const char webapp_last_modified[] = "Tue, 24 Nov 2026 12:00:00 GMT";

/* Our own echo page: connects to the echo endpoint of the same host and
 * prints what a browser's WebSocket object reports, in the words of
 * Tomcat's original example page. */
static const char echo_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE html>\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
    "<head>\n"
    "<title>wssim mock Tomcat: WebSocket echo</title>\n"
    "<script type=\"application/javascript\"><![CDATA[\n"
    "\"use strict\";\n"
    "var ws = null;\n"
    "function log(m) {\n"
    "  var p = document.createElement('p');\n"
    "  p.appendChild(document.createTextNode(m));\n"
    "  document.getElementById('console').appendChild(p);\n"
    "}\n"
    "function target(name) {\n"
    "  var s = window.location.protocol === 'https:' ? 'wss://' : 'ws://';\n"
    "  var base = window.location.pathname.replace(/\\/[^\\/]*$/, '/');\n"
    "  return s + window.location.host + base + name;\n"
    "}\n"
    "function connect() {\n"
    "  var name = document.getElementById('endpoint').value;\n"
    "  ws = new WebSocket(target(name));\n"
    "  ws.onopen = function () { log('Info: WebSocket connection "
    "opened.'); };\n"
    "  ws.onmessage = function (e) { log('Received: ' + e.data); };\n"
    "  ws.onclose = function (e) {\n"
    "    log('Info: WebSocket connection closed, Code: ' + e.code +\n"
    "        (e.reason === '' ? '' : ', Reason: ' + e.reason));\n"
    "  };\n"
    "}\n"
    "function echo() {\n"
    "  var m = document.getElementById('message').value;\n"
    "  if (ws !== null) { log('Sent: ' + m); ws.send(m); }\n"
    "  else { log('WebSocket connection not established, please "
    "connect.'); }\n"
    "}\n"
    "function disconnect() { if (ws !== null) { ws.close(); ws = null; } "
    "}\n"
    "window.addEventListener('load', connect);\n"
    "]]></script>\n"
    "</head>\n"
    "<body>\n"
    "<div>\n"
    "<select id=\"endpoint\">\n"
    "<option value=\"echoProgrammatic\">echoProgrammatic</option>\n"
    "<option value=\"echoAnnotation\">echoAnnotation</option>\n"
    "<option value=\"echoStreamAnnotation\">echoStreamAnnotation</option>\n"
    "</select>\n"
    "<button id=\"connect\" onclick=\"connect();\">Connect</button>\n"
    "<button id=\"disconnect\" onclick=\"disconnect();\">Disconnect</button>\n"
    "<input id=\"message\" type=\"text\" value=\"Hello, world!\"/>\n"
    "<button id=\"echo\" onclick=\"echo();\">Echo message</button>\n"
    "</div>\n"
    "<div id=\"console\"></div>\n"
    "</body>\n"
    "</html>\n";

static const char ws_index_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE html>\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
    "<head><title>wssim mock Tomcat: WebSocket examples</title></head>\n"
    "<body><ul>\n"
    "<li><a href=\"echo.xhtml\">Echo example</a></li>\n"
    "</ul></body>\n"
    "</html>\n";

static const char examples_index_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\"><head><title>Apache Tomcat Examples</title></head>\n"
    "<body><h3>Apache Tomcat Examples (wssim mock)</h3>\n"
    "<ul><li><a href=\"websocket/index.xhtml\">WebSocket "
    "Examples</a></li></ul>\n"
    "</body></html>\n";

static const char root_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\"><head><title>Apache Tomcat</title></head>\n"
    "<body><h1>It works !</h1>\n"
    "<p>This is the wssim mock of Apache Tomcat 10.1.</p>\n"
    "</body></html>\n";

struct page {
	const char *path;
	const char *type;
	const char *body;
	size_t len;
	const char *etag;
};

#define PAGE(p, t, b, e)                                                       \
	{                                                                      \
		p, t, b, sizeof(b) - 1, e                                      \
	}
static const struct page pages[] = {
    PAGE("/", "text/html;charset=UTF-8", root_page, "W/\"root-1\""),
    PAGE("/examples/", "text/html;charset=UTF-8", examples_index_page,
	 "W/\"examples-1\""),
    PAGE("/examples/index.html", "text/html;charset=UTF-8", examples_index_page,
	 "W/\"examples-1\""),
    PAGE("/examples/websocket/index.xhtml", "text/html;charset=UTF-8",
	 ws_index_page, "W/\"wsindex-1\""),
    PAGE("/examples/websocket/echo.xhtml", "text/html;charset=UTF-8", echo_page,
	 "W/\"echo-1\""),
};

static const struct {
	const char *path;
	enum webapp_endpoint ep;
	const char *name;
} endpoints[] = {
    {"/examples/websocket/echoProgrammatic", WEBAPP_EP_ECHO_PROGRAMMATIC,
     "echoProgrammatic"},
    {"/examples/websocket/echoAnnotation", WEBAPP_EP_ECHO_ANNOTATION,
     "echoAnnotation"},
    {"/examples/websocket/echoStreamAnnotation", WEBAPP_EP_ECHO_STREAM,
     "echoStreamAnnotation"},
    {"/examples/websocket/echoAsyncAnnotation", WEBAPP_EP_ECHO_ASYNC,
     "echoAsyncAnnotation"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool path_is(const char *p, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(p, want, n) == 0;
}

void webapp_route(const char *target, size_t len, struct webapp_route *r)
{
	memset(r, 0, sizeof(*r));
	const char *q = memchr(target, '?', len);
	if (q)
		len = (size_t)(q - target);
	for (size_t i = 0; i < COUNT(endpoints); i++) {
		if (path_is(target, len, endpoints[i].path)) {
			r->kind = WEBAPP_WEBSOCKET;
			r->endpoint = endpoints[i].ep;
			return;
		}
	}
	for (size_t i = 0; i < COUNT(pages); i++) {
		if (path_is(target, len, pages[i].path)) {
			r->kind = WEBAPP_PAGE;
			r->content_type = pages[i].type;
			r->body = pages[i].body;
			r->body_len = pages[i].len;
			r->etag = pages[i].etag;
			return;
		}
	}
	if (path_is(target, len, "/examples") ||
	    path_is(target, len, "/examples/websocket")) {
		r->kind = WEBAPP_REDIRECT;
		r->location = len == 9 ? "/examples/" : "/examples/websocket/";
		return;
	}
	r->kind = WEBAPP_NOT_FOUND;
}

const char *webapp_endpoint_name(enum webapp_endpoint ep)
{
	for (size_t i = 0; i < COUNT(endpoints); i++)
		if (endpoints[i].ep == ep)
			return endpoints[i].name;
	return "none";
}

static const char *description(int status)
{
	switch (status) {
	case 400:
		return "The server cannot or will not process the request due "
		       "to something that is perceived to be a client error "
		       "(e.g., malformed request syntax, invalid request "
		       "message framing, or deceptive request routing).";
	case 403:
		return "The server understood the request but refuses to "
		       "authorize it.";
	case 404:
		return "The origin server did not find a current "
		       "representation "
		       "for the target resource or is not willing to disclose "
		       "that one exists.";
	case 405:
		return "The method received in the request-line is known by "
		       "the "
		       "origin server but not supported by the target "
		       "resource.";
	case 426:
		return "The server refuses to perform the request using the "
		       "current protocol but might be willing to do so after "
		       "the client upgrades to a different protocol.";
	default:
		return "The server encountered an unexpected condition that "
		       "prevented it from fulfilling the request.";
	}
}

int webapp_error_page(struct proto_buf *out, int status, const char *message,
		      const char *exception)
{
	const char *reason = http1_reason(status);
	int r = proto_buf_appendf(
	    out,
	    "<!doctype html><html lang=\"en\"><head><title>HTTP Status %d "
	    "\xe2\x80\x93 %s</title><style type=\"text/css\">body "
	    "{font-family:Tahoma,Arial,sans-serif;} h1, h2, h3, b "
	    "{color:white;background-color:#525D76;} h1 "
	    "{font-size:22px;} h2 {font-size:16px;} h3 {font-size:14px;} "
	    "p {font-size:12px;} a {color:black;} .line "
	    "{height:1px;background-color:#525D76;border:none;}</style>"
	    "</head><body><h1>HTTP Status %d \xe2\x80\x93 %s</h1><hr "
	    "class=\"line\" /><p><b>Type</b> %s</p>",
	    status, reason, status, reason,
	    exception ? "Exception Report" : "Status Report");
	if (r == 0 && message)
		r = proto_buf_appendf(out, "<p><b>Message</b> %s</p>", message);
	if (r == 0)
		r = proto_buf_appendf(out, "<p><b>Description</b> %s</p>",
				      description(status));
	if (r == 0 && exception)
		r = proto_buf_appendf(
		    out,
		    "<p><b>Exception</b></p><pre>%s</pre><p><b>Note</b> "
		    "The full stack trace of the root cause is available "
		    "in the server logs.</p>",
		    exception);
	if (r == 0)
		r = proto_buf_append_str(
		    out, "<hr class=\"line\" /><h3>Apache Tomcat/10.1.60 "
			 "(Debian)</h3></body></html>");
	return r;
}
