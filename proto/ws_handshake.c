/* The RFC 6455 opening handshake (see ws_handshake.h).
 *
 * Keys and accept values come from OpenSSL (RAND_bytes, SHA-1, base64).
 * Requests are checked as a server must (section 4.2.1), in the order
 * Tomcat checks them; responses as Chromium checks them (section 4.1 plus
 * its single-value rules), with its failure messages, so a report reads
 * like the browser console. Extension parameters are left to pmd.
 */
#include "ws_handshake.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "proto_err.h"

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int ws_hs_key_new(char out[WS_KEY_LEN + 1])
{
	unsigned char raw[16];
	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		return PROTO_E_CRYPTO;
	/* 16 bytes give 24 characters and a NUL. */
	EVP_EncodeBlock((unsigned char *)out, raw, (int)sizeof(raw));
	return 0;
}

int ws_hs_accept(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return PROTO_E_CRYPTO;
	int ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, key, key_len) == 1 &&
		 EVP_DigestUpdate(ctx, ws_guid, sizeof(ws_guid) - 1) == 1 &&
		 EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len == 20;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return PROTO_E_CRYPTO;
	/* 20 bytes give 28 characters and a NUL. */
	EVP_EncodeBlock((unsigned char *)out, md, 20);
	return 0;
}

static bool is_get(const struct http1_head *req)
{
	/* Methods are case-sensitive (RFC 9110 9.1). */
	return req->method && req->method_len == 3 &&
	       memcmp(req->method, "GET", 3) == 0;
}

bool ws_hs_is_upgrade(const struct http1_head *req)
{
	return is_get(req) && http1_has_token(req, "Upgrade", "websocket") &&
	       http1_has_token(req, "Connection", "upgrade");
}

static size_t count_named(const struct http1_head *h, const char *name,
			  const struct http1_header **first)
{
	size_t n = 0;
	*first = NULL;
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http1_header *f = &h->headers[i];
		if (http1_eq(f->name, f->name_len, name)) {
			if (!n)
				*first = f;
			n++;
		}
	}
	return n;
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Whether `k` is the padded base64 of 16 bytes. Like Tomcat's and
 * Python's decoders, unused bits of the last character are not checked. */
static bool key_is_valid(const char *k, size_t n)
{
	if (n != WS_KEY_LEN || k[22] != '=' || k[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++) {
		if (!is_b64(k[i]))
			return false;
	}
	return true;
}

static int reject(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return PROTO_E_WS_HANDSHAKE;
}

int ws_hs_check_request(const struct http1_head *req, struct ws_hs_request *out,
			const char **why)
{
	const struct http1_header *f;
	memset(out, 0, sizeof(*out));
	if (!is_get(req))
		return reject(why, "Upgrade request method must be GET");
	if (req->version_minor < 1)
		return reject(why, "Upgrade request must be HTTP/1.1");
	if (!http1_find(req, "Host"))
		return reject(why, "'Host' header is missing");
	if (!http1_find(req, "Upgrade"))
		return reject(why, "'Upgrade' header is missing");
	if (!http1_has_token(req, "Upgrade", "websocket"))
		return reject(why, "'Upgrade' header value must contain "
				   "'websocket'");
	if (!http1_find(req, "Connection"))
		return reject(why, "'Connection' header is missing");
	if (!http1_has_token(req, "Connection", "upgrade"))
		return reject(why, "'Connection' header value must contain "
				   "'Upgrade'");

	size_t n = count_named(req, "Sec-WebSocket-Version", &f);
	if (n == 0)
		return reject(why, "'Sec-WebSocket-Version' header is missing");
	if (n > 1 || !(f->value_len == 2 && memcmp(f->value, "13", 2) == 0))
		return reject(why, "Unsupported 'Sec-WebSocket-Version' "
				   "(only 13 is supported)");

	n = count_named(req, "Sec-WebSocket-Key", &f);
	if (n == 0)
		return reject(why, "'Sec-WebSocket-Key' header is missing");
	if (n > 1)
		return reject(why, "'Sec-WebSocket-Key' header must not "
				   "appear more than once");
	if (!key_is_valid(f->value, f->value_len))
		return reject(why, "'Sec-WebSocket-Key' header value is not "
				   "the base64 of 16 bytes");
	out->key = f->value;
	out->key_len = f->value_len;

	if ((f = http1_find(req, "Sec-WebSocket-Protocol")) != NULL) {
		out->protocols = f->value;
		out->protocols_len = f->value_len;
	}
	if ((f = http1_find(req, "Sec-WebSocket-Extensions")) != NULL) {
		out->extensions = f->value;
		out->extensions_len = f->value_len;
	}
	if ((f = http1_find(req, "Origin")) != NULL) {
		out->origin = f->value;
		out->origin_len = f->value_len;
	}
	if (why)
		*why = NULL;
	return 0;
}

/* ---- the client's side ------------------------------------------------- */

/* Messages that quote the response live here; a value is cut to fit. */
static _Thread_local char why_buf[192];

static int reject_fmt(const char **why, const char *pre, const char *v,
		      size_t n, const char *post)
{
	if (n > 100)
		n = 100;
	snprintf(why_buf, sizeof(why_buf), "%s%.*s%s", pre, (int)n, v, post);
	return reject(why, why_buf);
}

/* One element of a comma-separated list: [*s, *e) trimmed. */
struct list_iter {
	const struct http1_head *h;
	const char *name;
	size_t field; /* next field to look at */
	const char *v, *end;
	bool in_field;
};

static bool list_next(struct list_iter *it, const char **s, size_t *n)
{
	for (;;) {
		if (!it->in_field) {
			while (it->field < it->h->nheaders &&
			       !http1_eq(it->h->headers[it->field].name,
					 it->h->headers[it->field].name_len,
					 it->name))
				it->field++;
			if (it->field >= it->h->nheaders)
				return false;
			const struct http1_header *f =
			    &it->h->headers[it->field++];
			it->v = f->value;
			it->end = f->value + f->value_len;
			it->in_field = true;
			if (f->value_len == 0) { /* an empty field: one "" */
				it->in_field = false;
				*s = f->value;
				*n = 0;
				return true;
			}
		}
		while (it->v < it->end) {
			const char *comma =
			    memchr(it->v, ',', (size_t)(it->end - it->v));
			const char *e = comma ? comma : it->end;
			const char *a = it->v;
			it->v = comma ? comma + 1 : it->end;
			while (a < e && (*a == ' ' || *a == '\t'))
				a++;
			while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e > a) {
				*s = a;
				*n = (size_t)(e - a);
				return true;
			}
		}
		it->in_field = false;
	}
}

/* Chromium's GetSingleHeaderValue: 0 missing, 1 one value, 2 several. */
static int single_value(const struct http1_head *h, const char *name,
			const char **v, size_t *n)
{
	struct list_iter it = {h, name, 0, NULL, NULL, false};
	const char *s;
	size_t len;
	int count = 0;
	while (count < 2 && list_next(&it, &s, &len)) {
		if (count == 0) {
			*v = s;
			*n = len;
		}
		count++;
	}
	return count;
}

static bool offered(const char *list, const char *v, size_t n)
{
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - p) == n && n > 0 && memcmp(p, v, n) == 0)
			return true;
		p = e;
	}
	return false;
}

static bool offers_any(const char *list)
{
	if (!list)
		return false;
	for (; *list; list++) {
		if (*list != ' ' && *list != '\t' && *list != ',')
			return true;
	}
	return false;
}

int ws_hs_check_response(const struct http1_head *resp, const char *key,
			 bool offered_ext, const char *offered_protocols,
			 const char **why)
{
	const char *v = NULL;
	size_t n = 0;
	int count;

	if (resp->status != 101) {
		snprintf(why_buf, sizeof(why_buf),
			 "Unexpected response code: %d", resp->status);
		return reject(why, why_buf);
	}

	count = single_value(resp, "Upgrade", &v, &n);
	if (count == 0)
		return reject(why, "'Upgrade' header is missing");
	if (count > 1)
		return reject(why, "'Upgrade' header must not appear more "
				   "than once in a response");
	if (!http1_eq(v, n, "websocket"))
		return reject_fmt(why,
				  "'Upgrade' header value is not "
				  "'WebSocket': ",
				  v, n, "");

	count = single_value(resp, "Sec-WebSocket-Accept", &v, &n);
	if (count == 0)
		return reject(why, "'Sec-WebSocket-Accept' header is missing");
	if (count > 1)
		return reject(why, "'Sec-WebSocket-Accept' header must not "
				   "appear more than once in a response");
	char want[WS_ACCEPT_LEN + 1];
	if (ws_hs_accept(key, strlen(key), want) != 0)
		return reject(why, "Cannot compute 'Sec-WebSocket-Accept'");
	if (n != WS_ACCEPT_LEN || memcmp(v, want, WS_ACCEPT_LEN) != 0)
		return reject(why, "Incorrect 'Sec-WebSocket-Accept' header "
				   "value");

	if (!http1_find(resp, "Connection"))
		return reject(why, "'Connection' header is missing");
	if (!http1_has_token(resp, "Connection", "upgrade"))
		return reject(why, "'Connection' header value must contain "
				   "'Upgrade'");

	/* Sub-protocol (Chromium's ValidateSubProtocol). */
	bool asked = offers_any(offered_protocols);
	struct list_iter it = {resp, "Sec-WebSocket-Protocol", 0, NULL, NULL,
			       false};
	count = 0;
	while (list_next(&it, &v, &n)) {
		if (count++)
			return reject(why, "'Sec-WebSocket-Protocol' header "
					   "must not appear more than once "
					   "in a response");
		if (!asked)
			return reject_fmt(why,
					  "Response must not include "
					  "'Sec-WebSocket-Protocol' header "
					  "if not present in request: ",
					  v, n, "");
		if (!offered(offered_protocols, v, n))
			return reject_fmt(why,
					  "'Sec-WebSocket-Protocol' header "
					  "value '",
					  v, n,
					  "' in response does not match any "
					  "of sent values");
	}
	if (asked && count == 0)
		return reject(why, "Sent non-empty 'Sec-WebSocket-Protocol' "
				   "header but no response was received");

	if (!offered_ext && http1_find(resp, "Sec-WebSocket-Extensions"))
		return reject(why, "Response must not include "
				   "'Sec-WebSocket-Extensions' header if not "
				   "present in request");
	if (why)
		*why = NULL;
	return 0;
}
