/* The request a browser sends (see browser.h). */
#include "browser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http1.h"
#include "pmd.h"

#define USER_AGENT                                                             \
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "     \
	"Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"

#define MAX_HEADERS 64

struct hdr {
	const char *name;
	char *value; /* malloc'd */
};

/* Set name: value, replacing a header of that name (case-insensitive)
 * where it was, else adding it last. */
static int hdr_set(struct hdr *h, size_t *n, const char *name,
		   const char *value)
{
	char *v = strdup(value);
	if (!v)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(h[i].name, name) == 0) {
			free(h[i].value);
			h[i].value = v;
			return 0;
		}
	if (*n == MAX_HEADERS) {
		free(v);
		return -1;
	}
	h[*n].name = name;
	h[*n].value = v;
	(*n)++;
	return 0;
}

static bool set_defaults(const struct browser_req *r, struct hdr *h, size_t *n)
{
	bool oom = false;
	oom |= hdr_set(h, n, "Host", r->hostport) < 0;
	if (r->ws) {
		char origin[160];
		const char *o = r->origin;
		if (!o) {
			snprintf(origin, sizeof(origin), "%s://%s",
				 r->tls ? "https" : "http", r->hostport);
			o = origin;
		}
		oom |= hdr_set(h, n, "Connection", "Upgrade") < 0;
		oom |= hdr_set(h, n, "Pragma", "no-cache") < 0;
		oom |= hdr_set(h, n, "Cache-Control", "no-cache") < 0;
		oom |= hdr_set(h, n, "User-Agent", USER_AGENT) < 0;
		oom |= hdr_set(h, n, "Upgrade", "websocket") < 0;
		oom |= hdr_set(h, n, "Origin", o) < 0;
		oom |= hdr_set(h, n, "Sec-WebSocket-Version", "13") < 0;
		oom |= hdr_set(h, n, "Accept-Encoding",
			       "gzip, deflate, br, zstd") < 0;
		oom |= hdr_set(h, n, "Accept-Language", "en-US,en;q=0.9") < 0;
		oom |= hdr_set(h, n, "Sec-WebSocket-Key", r->key) < 0;
		const char *ext =
		    r->extensions ? r->extensions : pmd_default_offer();
		if (ext[0])
			oom |=
			    hdr_set(h, n, "Sec-WebSocket-Extensions", ext) < 0;
		if (r->protocols && r->protocols[0])
			oom |= hdr_set(h, n, "Sec-WebSocket-Protocol",
				       r->protocols) < 0;
	} else {
		oom |= hdr_set(h, n, "Connection", "keep-alive") < 0;
		oom |= hdr_set(h, n, "Upgrade-Insecure-Requests", "1") < 0;
		oom |= hdr_set(h, n, "User-Agent", USER_AGENT) < 0;
		oom |= hdr_set(h, n, "Accept",
			       "text/html,application/xhtml+xml,application/"
			       "xml;q=0.9,image/avif,image/webp,image/apng,*/"
			       "*;q=0.8") < 0;
		/* not Chrome's "gzip, deflate, br, zstd": body expectations
		 * read the body as it comes */
		oom |= hdr_set(h, n, "Accept-Encoding", "identity") < 0;
		oom |= hdr_set(h, n, "Accept-Language", "en-US,en;q=0.9") < 0;
	}
	return !oom;
}

void browser_sent_free(struct browser_sent *s)
{
	free(s->extensions);
	free(s->protocols);
	s->extensions = s->protocols = NULL;
}

int browser_request_build(struct proto_buf *out, const struct browser_req *r,
			  struct browser_sent *sent, char *err, size_t errlen)
{
	struct hdr h[MAX_HEADERS];
	size_t n = 0;
	int rc = -1;
	bool ok = set_defaults(r, h, &n);
	for (size_t i = 0; i < r->nextra && ok; i++)
		ok = hdr_set(h, &n, r->extra[i].name, r->extra[i].value) == 0;
	if (!ok) {
		snprintf(err, errlen, "out of memory, or too many headers");
		goto out;
	}
	struct browser_sent s;
	memset(&s, 0, sizeof(s));
	const char *method = !r->ws && r->method ? r->method : "GET";
	if (http1_build_request_line(out, method, r->target, 1) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		/* what the handshake check compares the answer with */
		if (strcasecmp(h[i].name, "Sec-WebSocket-Extensions") == 0 &&
		    h[i].value[0])
			s.extensions = strdup(h[i].value);
		else if (strcasecmp(h[i].name, "Sec-WebSocket-Protocol") == 0 &&
			 h[i].value[0])
			s.protocols = strdup(h[i].value);
		else if (strcasecmp(h[i].name, "Sec-WebSocket-Key") == 0) {
			snprintf(s.key, sizeof(s.key), "%s", h[i].value);
			s.key_at = proto_buf_size(out) + strlen(h[i].name) + 2;
		}
		if (http1_build_header(out, h[i].name, h[i].value) < 0) {
			browser_sent_free(&s);
			goto nomem;
		}
	}
	if (proto_buf_append_str(out, "\r\n") < 0) {
		browser_sent_free(&s);
		goto nomem;
	}
	if (sent)
		*sent = s;
	else
		browser_sent_free(&s);
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	for (size_t i = 0; i < n; i++)
		free(h[i].value);
	return rc;
}
