/* AJP13 packets and messages (see ajp.h): framing in both directions,
 * zero-copy decoders over one payload, and encoders that size a message
 * first and then write it into a proto_buf in one go, so a refused
 * message leaves the buffer as it was. The codes and layouts follow the
 * ajpv13a reference, with httpd's mod_proxy_ajp and Tomcat's AJP
 * connector as the judges where the reference is vague (the integer
 * ssl_key_size attribute, the NUL after a body chunk). Sockets, state
 * across packets and the request/response cycle belong to the callers.
 */
#include "ajp.h"

#include <string.h>
#include <strings.h>

#include "proto_err.h"

/* ---- tables ---- */

static const char *const request_headers[] = {
    "accept",	       "accept-charset", "accept-encoding",
    "accept-language", "authorization",	 "connection",
    "content-type",    "content-length", "cookie",
    "cookie2",	       "host",		 "pragma",
    "referer",	       "user-agent",
};
#define NREQUEST_HEADERS (sizeof(request_headers) / sizeof(request_headers[0]))

static const char *const response_headers[] = {
    "Content-Type",   "Content-Language", "Content-Length",   "Date",
    "Last-Modified",  "Location",	  "Set-Cookie",	      "Set-Cookie2",
    "Servlet-Engine", "Status",		  "WWW-Authenticate",
};
#define NRESPONSE_HEADERS                                                      \
	(sizeof(response_headers) / sizeof(response_headers[0]))

static const char *const methods[] = {
    "OPTIONS",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "TRACE",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "ACL",
    "REPORT",
    "VERSION-CONTROL",
    "CHECKIN",
    "CHECKOUT",
    "UNCHECKOUT",
    "SEARCH",
    "MKWORKSPACE",
    "UPDATE",
    "LABEL",
    "MERGE",
    "BASELINE-CONTROL",
    "MKACTIVITY",
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* Attribute names by code (index = code); NULL where there is none. */
static const char *const attributes[] = {
    NULL,	  "context",	   "servlet_path", "remote_user",
    "auth_type",  "query_string",  "route",	   "ssl_cert",
    "ssl_cipher", "ssl_session",   NULL,	   "ssl_key_size",
    "secret",	  "stored_method",
};
#define NATTRIBUTES (sizeof(attributes) / sizeof(attributes[0]))

static bool name_eq(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

const char *ajp_request_header_name(uint16_t code)
{
	if (code <= 0xA000 || code > 0xA000 + NREQUEST_HEADERS)
		return NULL;
	return request_headers[code - 0xA001];
}

uint16_t ajp_request_header_code(const char *name, size_t len)
{
	for (size_t i = 0; i < NREQUEST_HEADERS; i++)
		if (name_eq(name, len, request_headers[i]))
			return (uint16_t)(0xA001 + i);
	return 0;
}

const char *ajp_response_header_name(uint16_t code)
{
	if (code <= 0xA000 || code > 0xA000 + NRESPONSE_HEADERS)
		return NULL;
	return response_headers[code - 0xA001];
}

uint16_t ajp_response_header_code(const char *name, size_t len)
{
	for (size_t i = 0; i < NRESPONSE_HEADERS; i++)
		if (name_eq(name, len, response_headers[i]))
			return (uint16_t)(0xA001 + i);
	return 0;
}

uint8_t ajp_method_code(const char *name, size_t len)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (len == strlen(methods[i]) &&
		    memcmp(name, methods[i], len) == 0)
			return (uint8_t)(i + 1);
	return 0;
}

const char *ajp_method_name(uint8_t code)
{
	if (code == 0 || code > NMETHODS)
		return NULL;
	return methods[code - 1];
}

/* The code of an attribute name, 0 if it has none (a req_attribute). */
static uint8_t attribute_code(const char *name, size_t len)
{
	for (size_t i = 1; i < NATTRIBUTES; i++)
		if (attributes[i] && name_eq(name, len, attributes[i]))
			return (uint8_t)i;
	if (name_eq(name, len, "jvm_route"))
		return AJP_ATTR_ROUTE;
	if (name_eq(name, len, "req_method"))
		return AJP_ATTR_STORED_METHOD;
	return 0;
}

/* ---- packets ---- */

static int packet_size_norm(size_t *packet_size)
{
	if (*packet_size == 0)
		*packet_size = AJP_PACKET_DEFAULT;
	if (*packet_size < AJP_PACKET_MIN || *packet_size > AJP_PACKET_MAX)
		return PROTO_E_INVAL;
	return 0;
}

int ajp_packet_parse(const uint8_t *buf, size_t len, enum ajp_dir dir,
		     size_t packet_size, const uint8_t **payload,
		     size_t *payload_len, size_t *err_offset)
{
	static const uint8_t magic[2][2] = {{0x12, 0x34}, {'A', 'B'}};
	const uint8_t *m = magic[dir == AJP_TO_SERVER];

	if (packet_size_norm(&packet_size) < 0)
		return PROTO_E_INVAL;
	for (size_t i = 0; i < 2; i++) {
		if (len <= i)
			return PROTO_E_AGAIN;
		if (buf[i] != m[i]) {
			if (err_offset)
				*err_offset = i;
			return PROTO_E_AJP_MAGIC;
		}
	}
	if (len < AJP_HEADER_LEN)
		return PROTO_E_AGAIN;
	size_t n = (size_t)buf[2] << 8 | buf[3];
	if (n == 0 || n > packet_size - AJP_HEADER_LEN) {
		if (err_offset)
			*err_offset = 2;
		return n ? PROTO_E_AJP_TOO_BIG : PROTO_E_AJP_SYNTAX;
	}
	if (len - AJP_HEADER_LEN < n)
		return PROTO_E_AGAIN;
	*payload = buf + AJP_HEADER_LEN;
	*payload_len = n;
	return (int)(AJP_HEADER_LEN + n);
}

/* ---- decoding ---- */

/* A cursor over one payload; `err` is where decoding stopped. */
struct rd {
	const uint8_t *p;
	size_t n;
	size_t pos;
	size_t err;
};

static int rd_fail(struct rd *r, size_t at)
{
	r->err = at;
	return PROTO_E_AJP_SYNTAX;
}

static int rd_u8(struct rd *r, uint8_t *v)
{
	if (r->n - r->pos < 1)
		return rd_fail(r, r->pos);
	*v = r->p[r->pos++];
	return 0;
}

static int rd_u16(struct rd *r, uint16_t *v)
{
	if (r->n - r->pos < 2)
		return rd_fail(r, r->pos);
	*v = (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1]);
	r->pos += 2;
	return 0;
}

/* The string whose 16-bit length was just read at `at`. */
static int rd_str_body(struct rd *r, size_t at, uint16_t len, struct ajp_str *s,
		       bool allow_null)
{
	if (len == 0xFFFF) {
		if (!allow_null)
			return rd_fail(r, at);
		s->s = NULL;
		s->len = 0;
		return 0;
	}
	size_t left = r->n - r->pos;
	if (len > left)
		return rd_fail(r, at); /* runs past the end */
	if (len == left || r->p[r->pos + len] != 0)
		return rd_fail(r, r->pos + len); /* no NUL */
	s->s = (const char *)r->p + r->pos;
	s->len = len;
	r->pos += (size_t)len + 1;
	return 0;
}

static int rd_str(struct rd *r, struct ajp_str *s, bool allow_null)
{
	size_t at = r->pos;
	uint16_t len;
	if (rd_u16(r, &len) < 0)
		return PROTO_E_AJP_SYNTAX;
	return rd_str_body(r, at, len, s, allow_null);
}

static void str_static(struct ajp_str *s, const char *text)
{
	s->s = text;
	s->len = strlen(text);
}

/* A header name: a 0xA0xx code looked up with `name_of`, or a string. */
static int rd_header_name(struct rd *r, struct ajp_pair *h,
			  const char *(*name_of)(uint16_t))
{
	size_t at = r->pos;
	uint16_t v;
	if (rd_u16(r, &v) < 0)
		return PROTO_E_AJP_SYNTAX;
	if ((v & 0xFF00) == 0xA000) {
		const char *name = name_of(v);
		if (!name)
			return rd_fail(r, at);
		str_static(&h->name, name);
		h->code = v;
		return 0;
	}
	h->code = 0;
	return rd_str_body(r, at, v, &h->name, false);
}

static int rd_headers(struct rd *r, struct ajp_pair *headers, size_t *nheaders,
		      const char *(*name_of)(uint16_t))
{
	size_t at = r->pos;
	uint16_t count;
	if (rd_u16(r, &count) < 0)
		return PROTO_E_AJP_SYNTAX;
	if (count > AJP_MAX_HEADERS)
		return rd_fail(r, at);
	for (size_t i = 0; i < count; i++) {
		if (rd_header_name(r, &headers[i], name_of) < 0 ||
		    rd_str(r, &headers[i].value, true) < 0)
			return PROTO_E_AJP_SYNTAX;
	}
	*nheaders = count;
	return 0;
}

static int rd_type(struct rd *r, uint8_t type)
{
	uint8_t t;
	if (rd_u8(r, &t) < 0)
		return PROTO_E_AJP_SYNTAX;
	if (t != type)
		return rd_fail(r, 0);
	return 0;
}

static int rd_end(struct rd *r)
{
	return r->pos == r->n ? 0 : rd_fail(r, r->pos);
}

static int rd_done(struct rd *r, int rc, size_t *err_offset)
{
	if (rc < 0 && err_offset)
		*err_offset = r->err;
	return rc;
}

static int rd_attributes(struct rd *r, struct ajp_forward_request *out,
			 bool *stored)
{
	for (;;) {
		size_t at = r->pos;
		uint8_t code;
		if (rd_u8(r, &code) < 0)
			return PROTO_E_AJP_SYNTAX;
		if (code == AJP_ATTR_ARE_DONE)
			return 0;
		if (code == 0 || code >= NATTRIBUTES)
			return rd_fail(r, at);
		if (out->nattributes == AJP_MAX_ATTRIBUTES)
			return rd_fail(r, at);
		struct ajp_pair *a = &out->attributes[out->nattributes];
		a->code = code;
		if (code == AJP_ATTR_REQ_ATTRIBUTE) {
			if (rd_str(r, &a->name, false) < 0 ||
			    rd_str(r, &a->value, true) < 0)
				return PROTO_E_AJP_SYNTAX;
		} else if (code == AJP_ATTR_SSL_KEY_SIZE) {
			uint16_t ks;
			size_t vat = r->pos;
			str_static(&a->name, attributes[code]);
			if (rd_u16(r, &ks) < 0)
				return PROTO_E_AJP_SYNTAX;
			a->value.s = (const char *)r->p + vat;
			a->value.len = 2;
			out->ssl_key_size = ks;
		} else {
			str_static(&a->name, attributes[code]);
			if (rd_str(r, &a->value, true) < 0)
				return PROTO_E_AJP_SYNTAX;
			if (code == AJP_ATTR_SECRET)
				out->secret = a->value;
			else if (code == AJP_ATTR_QUERY_STRING)
				out->query_string = a->value;
			else if (code == AJP_ATTR_STORED_METHOD) {
				out->method = a->value;
				*stored = true;
			}
		}
		out->nattributes++;
	}
}

static int forward_request_decode(struct rd *r, struct ajp_forward_request *out)
{
	static const struct ajp_str none = {NULL, 0};
	uint8_t is_ssl;
	bool stored = false;

	out->method = out->secret = out->query_string = none;
	out->nheaders = out->nattributes = 0;
	out->ssl_key_size = 0;
	if (rd_type(r, AJP_FORWARD_REQUEST) < 0 ||
	    rd_u8(r, &out->method_code) < 0)
		return PROTO_E_AJP_SYNTAX;
	const char *mname = ajp_method_name(out->method_code);
	if (mname)
		str_static(&out->method, mname);
	else if (out->method_code != AJP_METHOD_STORED)
		return rd_fail(r, 1);
	if (rd_str(r, &out->protocol, true) < 0 ||
	    rd_str(r, &out->req_uri, true) < 0 ||
	    rd_str(r, &out->remote_addr, true) < 0 ||
	    rd_str(r, &out->remote_host, true) < 0 ||
	    rd_str(r, &out->server_name, true) < 0 ||
	    rd_u16(r, &out->server_port) < 0 || rd_u8(r, &is_ssl) < 0)
		return PROTO_E_AJP_SYNTAX;
	out->is_ssl = is_ssl != 0;
	if (rd_headers(r, out->headers, &out->nheaders,
		       ajp_request_header_name) < 0 ||
	    rd_attributes(r, out, &stored) < 0 || rd_end(r) < 0)
		return PROTO_E_AJP_SYNTAX;
	if (out->method_code == AJP_METHOD_STORED && !stored)
		return rd_fail(r, 1);
	return 0;
}

int ajp_forward_request_decode(const uint8_t *p, size_t n,
			       struct ajp_forward_request *out,
			       size_t *err_offset)
{
	struct rd r = {p, n, 0, 0};
	return rd_done(&r, forward_request_decode(&r, out), err_offset);
}

static int send_headers_decode(struct rd *r, struct ajp_send_headers *out)
{
	out->nheaders = 0;
	if (rd_type(r, AJP_SEND_HEADERS) < 0 || rd_u16(r, &out->status) < 0 ||
	    rd_str(r, &out->message, true) < 0 ||
	    rd_headers(r, out->headers, &out->nheaders,
		       ajp_response_header_name) < 0)
		return PROTO_E_AJP_SYNTAX;
	return rd_end(r);
}

int ajp_send_headers_decode(const uint8_t *p, size_t n,
			    struct ajp_send_headers *out, size_t *err_offset)
{
	struct rd r = {p, n, 0, 0};
	return rd_done(&r, send_headers_decode(&r, out), err_offset);
}

/* A 16-bit length and that many bytes, then exactly `trailer` bytes. */
static int rd_chunk(struct rd *r, const uint8_t **data, size_t *len,
		    size_t trailer)
{
	size_t at = r->pos;
	uint16_t n;
	if (rd_u16(r, &n) < 0)
		return PROTO_E_AJP_SYNTAX;
	if (r->n - r->pos != (size_t)n + trailer)
		return rd_fail(r, at);
	*data = r->p + r->pos;
	*len = n;
	r->pos = r->n;
	return 0;
}

int ajp_body_chunk_decode(const uint8_t *p, size_t n, const uint8_t **data,
			  size_t *len, size_t *err_offset)
{
	struct rd r = {p, n, 0, 0};
	int rc = rd_type(&r, AJP_SEND_BODY_CHUNK);
	if (rc == 0)
		rc = rd_chunk(&r, data, len, 1);
	return rd_done(&r, rc, err_offset);
}

int ajp_end_response_decode(const uint8_t *p, size_t n, bool *reuse,
			    size_t *err_offset)
{
	struct rd r = {p, n, 0, 0};
	uint8_t v;
	int rc = rd_type(&r, AJP_END_RESPONSE);
	if (rc == 0)
		rc = rd_u8(&r, &v);
	if (rc == 0)
		rc = rd_end(&r);
	if (rc == 0)
		*reuse = v != 0;
	return rd_done(&r, rc, err_offset);
}

int ajp_get_body_chunk_decode(const uint8_t *p, size_t n, uint16_t *len,
			      size_t *err_offset)
{
	struct rd r = {p, n, 0, 0};
	int rc = rd_type(&r, AJP_GET_BODY_CHUNK);
	if (rc == 0)
		rc = rd_u16(&r, len);
	if (rc == 0)
		rc = rd_end(&r);
	return rd_done(&r, rc, err_offset);
}

int ajp_request_body_decode(const uint8_t *p, size_t n, const uint8_t **data,
			    size_t *len, size_t *err_offset)
{
	struct rd r = {p, n, 0, 0};
	return rd_done(&r, rd_chunk(&r, data, len, 0), err_offset);
}

/* ---- encoding ---- */

/* A writer that only counts while p is NULL: every message is sized
 * with one pass and written with a second, so nothing is appended
 * unless all of it fits. */
struct wr {
	uint8_t *p;
	size_t n;
};

static void wr_u8(struct wr *w, uint8_t v)
{
	if (w->p)
		w->p[w->n] = v;
	w->n++;
}

static void wr_u16(struct wr *w, uint16_t v)
{
	wr_u8(w, (uint8_t)(v >> 8));
	wr_u8(w, (uint8_t)v);
}

static void wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->p && n)
		memcpy(w->p + w->n, p, n);
	w->n += n;
}

/* A string; lengths of 0xFFFF and more cannot fit any packet anyway,
 * they are left to the size check (0xFFFF would read as null). */
static void wr_str(struct wr *w, const struct ajp_str *s)
{
	if (!s->s) {
		wr_u16(w, 0xFFFF);
		return;
	}
	wr_u16(w, s->len >= 0xFFFF ? 0xFFFF : (uint16_t)s->len);
	wr_bytes(w, s->s, s->len);
	wr_u8(w, 0);
}

/* A header name: its code, else the literal name. */
static int wr_header_name(struct wr *w, const struct ajp_pair *h,
			  const char *(*name_of)(uint16_t),
			  uint16_t (*code_of)(const char *, size_t))
{
	uint16_t code = h->code;
	if (code) {
		if (!name_of(code))
			return PROTO_E_INVAL;
	} else {
		if (!h->name.s)
			return PROTO_E_INVAL;
		code = code_of(h->name.s, h->name.len);
	}
	if (code) {
		wr_u16(w, code);
		return 0;
	}
	if (h->name.len >= 0xA000 && h->name.len < 0xA100)
		return PROTO_E_INVAL; /* would read as a code */
	wr_str(w, &h->name);
	return 0;
}

static int wr_headers(struct wr *w, const struct ajp_pair *headers,
		      size_t nheaders, const char *(*name_of)(uint16_t),
		      uint16_t (*code_of)(const char *, size_t))
{
	if (nheaders > AJP_MAX_HEADERS)
		return PROTO_E_INVAL;
	wr_u16(w, (uint16_t)nheaders);
	for (size_t i = 0; i < nheaders; i++) {
		int rc = wr_header_name(w, &headers[i], name_of, code_of);
		if (rc < 0)
			return rc;
		wr_str(w, &headers[i].value);
	}
	return 0;
}

/* The code an attribute travels with, or 0 if it is invalid. */
static uint8_t attribute_code_of(const struct ajp_pair *a)
{
	if (a->code) {
		if (a->code >= NATTRIBUTES)
			return 0;
		return (uint8_t)a->code;
	}
	if (!a->name.s)
		return 0;
	uint8_t code = attribute_code(a->name.s, a->name.len);
	return code ? code : AJP_ATTR_REQ_ATTRIBUTE;
}

static int wr_attribute(struct wr *w, uint8_t code, const struct ajp_pair *a)
{
	wr_u8(w, code);
	if (code == AJP_ATTR_REQ_ATTRIBUTE) {
		if (!a->name.s)
			return PROTO_E_INVAL;
		wr_str(w, &a->name);
	} else if (code == AJP_ATTR_SSL_KEY_SIZE) {
		if (!a->value.s || a->value.len != 2)
			return PROTO_E_INVAL;
		wr_bytes(w, a->value.s, 2);
		return 0;
	}
	wr_str(w, &a->value);
	return 0;
}

static bool attribute_listed(const struct ajp_forward_request *r, uint8_t code)
{
	for (size_t i = 0; i < r->nattributes; i++)
		if (attribute_code_of(&r->attributes[i]) == code)
			return true;
	return false;
}

static int forward_request_write(struct wr *w, const void *arg)
{
	const struct ajp_forward_request *r = arg;
	uint8_t method = r->method_code;

	if (method == 0) {
		if (!r->method.s)
			return PROTO_E_INVAL;
		method = ajp_method_code(r->method.s, r->method.len);
		if (method == 0)
			method = AJP_METHOD_STORED;
	} else if (method != AJP_METHOD_STORED && !ajp_method_name(method))
		return PROTO_E_INVAL;
	if (r->nattributes > AJP_MAX_ATTRIBUTES)
		return PROTO_E_INVAL;

	wr_u8(w, AJP_FORWARD_REQUEST);
	wr_u8(w, method);
	wr_str(w, &r->protocol);
	wr_str(w, &r->req_uri);
	wr_str(w, &r->remote_addr);
	wr_str(w, &r->remote_host);
	wr_str(w, &r->server_name);
	wr_u16(w, r->server_port);
	wr_u8(w, r->is_ssl ? 1 : 0);
	int rc = wr_headers(w, r->headers, r->nheaders, ajp_request_header_name,
			    ajp_request_header_code);
	if (rc < 0)
		return rc;

	/* The convenience fields, in mod_proxy_ajp's order, unless listed. */
	if (r->secret.s && !attribute_listed(r, AJP_ATTR_SECRET)) {
		wr_u8(w, AJP_ATTR_SECRET);
		wr_str(w, &r->secret);
	}
	if (r->query_string.s && !attribute_listed(r, AJP_ATTR_QUERY_STRING)) {
		wr_u8(w, AJP_ATTR_QUERY_STRING);
		wr_str(w, &r->query_string);
	}
	if (r->ssl_key_size && !attribute_listed(r, AJP_ATTR_SSL_KEY_SIZE)) {
		wr_u8(w, AJP_ATTR_SSL_KEY_SIZE);
		wr_u16(w, r->ssl_key_size);
	}
	if (method == AJP_METHOD_STORED &&
	    !attribute_listed(r, AJP_ATTR_STORED_METHOD)) {
		if (!r->method.s)
			return PROTO_E_INVAL;
		wr_u8(w, AJP_ATTR_STORED_METHOD);
		wr_str(w, &r->method);
	}
	for (size_t i = 0; i < r->nattributes; i++) {
		uint8_t code = attribute_code_of(&r->attributes[i]);
		if (code == 0)
			return PROTO_E_INVAL;
		rc = wr_attribute(w, code, &r->attributes[i]);
		if (rc < 0)
			return rc;
	}
	wr_u8(w, AJP_ATTR_ARE_DONE);
	return 0;
}

static int send_headers_write(struct wr *w, const void *arg)
{
	const struct ajp_send_headers *h = arg;
	wr_u8(w, AJP_SEND_HEADERS);
	wr_u16(w, h->status);
	wr_str(w, &h->message);
	return wr_headers(w, h->headers, h->nheaders, ajp_response_header_name,
			  ajp_response_header_code);
}

/* Append one packet whose payload `write` produces: size it, check it
 * against packet_size, then write it. */
static int packet_emit(struct proto_buf *out, enum ajp_dir dir,
		       size_t packet_size,
		       int (*write)(struct wr *, const void *), const void *arg)
{
	struct wr w = {NULL, 0};
	int rc = packet_size_norm(&packet_size);
	if (rc < 0)
		return rc;
	rc = write(&w, arg);
	if (rc < 0)
		return rc;
	size_t n = w.n;
	if (n > packet_size - AJP_HEADER_LEN)
		return PROTO_E_AJP_TOO_BIG;
	uint8_t *dst = proto_buf_reserve(out, AJP_HEADER_LEN + n);
	if (!dst)
		return PROTO_E_NOMEM;
	dst[0] = dir == AJP_TO_SERVER ? 'A' : 0x12;
	dst[1] = dir == AJP_TO_SERVER ? 'B' : 0x34;
	dst[2] = (uint8_t)(n >> 8);
	dst[3] = (uint8_t)n;
	w.p = dst + AJP_HEADER_LEN;
	w.n = 0;
	rc = write(&w, arg);
	if (rc < 0)
		return rc; /* cannot happen: the sizing pass succeeded */
	proto_buf_commit(out, AJP_HEADER_LEN + n);
	return 0;
}

int ajp_forward_request_encode(struct proto_buf *out,
			       const struct ajp_forward_request *r,
			       size_t packet_size)
{
	return packet_emit(out, AJP_TO_CONTAINER, packet_size,
			   forward_request_write, r);
}

int ajp_send_headers_encode(struct proto_buf *out,
			    const struct ajp_send_headers *h,
			    size_t packet_size)
{
	return packet_emit(out, AJP_TO_SERVER, packet_size, send_headers_write,
			   h);
}

/* Small fixed packets: header and payload given whole. */
static int packet_fixed(struct proto_buf *out, enum ajp_dir dir,
			const uint8_t *payload, size_t n)
{
	uint8_t pkt[AJP_HEADER_LEN + 8];
	pkt[0] = dir == AJP_TO_SERVER ? 'A' : 0x12;
	pkt[1] = dir == AJP_TO_SERVER ? 'B' : 0x34;
	pkt[2] = 0;
	pkt[3] = (uint8_t)n;
	memcpy(pkt + AJP_HEADER_LEN, payload, n);
	return proto_buf_append(out, pkt, AJP_HEADER_LEN + n);
}

int ajp_body_chunk_encode(struct proto_buf *out, const void *data, size_t len,
			  size_t packet_size)
{
	int rc = packet_size_norm(&packet_size);
	if (rc < 0)
		return rc;
	size_t max = packet_size - 8;
	size_t npackets = len ? (len + max - 1) / max : 1;
	uint8_t *dst = proto_buf_reserve(out, len + 8 * npackets);
	if (!dst)
		return PROTO_E_NOMEM;
	const uint8_t *src = data;
	size_t left = len, off = 0;
	do {
		size_t n = left < max ? left : max;
		dst[off++] = 'A';
		dst[off++] = 'B';
		dst[off++] = (uint8_t)((n + 4) >> 8);
		dst[off++] = (uint8_t)(n + 4);
		dst[off++] = AJP_SEND_BODY_CHUNK;
		dst[off++] = (uint8_t)(n >> 8);
		dst[off++] = (uint8_t)n;
		if (n)
			memcpy(dst + off, src, n);
		off += n;
		dst[off++] = 0;
		src += n;
		left -= n;
	} while (left);
	proto_buf_commit(out, off);
	return 0;
}

int ajp_end_response_encode(struct proto_buf *out, bool reuse)
{
	const uint8_t p[] = {AJP_END_RESPONSE, reuse ? 1 : 0};
	return packet_fixed(out, AJP_TO_SERVER, p, sizeof(p));
}

int ajp_get_body_chunk_encode(struct proto_buf *out, uint16_t len)
{
	const uint8_t p[] = {AJP_GET_BODY_CHUNK, (uint8_t)(len >> 8),
			     (uint8_t)len};
	return packet_fixed(out, AJP_TO_SERVER, p, sizeof(p));
}

int ajp_request_body_encode(struct proto_buf *out, const void *data, size_t len,
			    size_t packet_size)
{
	int rc = packet_size_norm(&packet_size);
	if (rc < 0)
		return rc;
	if (len > packet_size - 6)
		return PROTO_E_AJP_TOO_BIG;
	uint8_t *dst = proto_buf_reserve(out, len + 6);
	if (!dst)
		return PROTO_E_NOMEM;
	dst[0] = 0x12;
	dst[1] = 0x34;
	dst[2] = (uint8_t)((len + 2) >> 8);
	dst[3] = (uint8_t)(len + 2);
	dst[4] = (uint8_t)(len >> 8);
	dst[5] = (uint8_t)len;
	if (len)
		memcpy(dst + 6, data, len);
	proto_buf_commit(out, len + 6);
	return 0;
}

int ajp_cping_encode(struct proto_buf *out)
{
	const uint8_t p[] = {AJP_CPING};
	return packet_fixed(out, AJP_TO_CONTAINER, p, sizeof(p));
}

int ajp_cpong_encode(struct proto_buf *out)
{
	const uint8_t p[] = {AJP_CPONG_REPLY};
	return packet_fixed(out, AJP_TO_SERVER, p, sizeof(p));
}
