/* AJP13 (Apache JServ Protocol 1.3) messages, sans I/O, as the Tomcat
 * connectors documentation specifies them (ajpv13a).
 *
 * Packets from the web server to the container start 0x12 0x34, packets
 * back start 'A' 'B'; then a 16-bit length and the payload, whose first
 * byte is the message type. Strings are a 16-bit length, the bytes and a
 * NUL (length 0xFFFF means null). The packet size is 8 KiB by default and
 * configurable up to 64 KiB (Tomcat's packetSize, Apache's
 * ProxyIOBufferSize).
 *
 * Decoding is zero-copy: decoded strings point into the caller's buffer
 * (coded names point to static text). Encoding appends whole packets
 * (header included) to a proto_buf. Both directions are covered, so the
 * mock (container side), our own test client (web server side) and
 * capture can all use them. Nothing here does I/O or allocates, except
 * the encoders growing their proto_buf.
 *
 * A packet_size argument is the agreed maximum packet size, header
 * included: 0 means AJP_PACKET_DEFAULT; values outside
 * [AJP_PACKET_MIN, AJP_PACKET_MAX] give PROTO_E_INVAL.
 */
#ifndef WSSIM_AJP_H
#define WSSIM_AJP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto_buf.h"

#define AJP_PACKET_DEFAULT 8192
#define AJP_PACKET_MAX 65536
#define AJP_PACKET_MIN 16
#define AJP_HEADER_LEN 4

/* Message types (the payload's first byte). */
enum ajp_type {
	AJP_FORWARD_REQUEST = 2, /* server -> container */
	AJP_SEND_BODY_CHUNK = 3, /* container -> server */
	AJP_SEND_HEADERS = 4,
	AJP_END_RESPONSE = 5,
	AJP_GET_BODY_CHUNK = 6,
	AJP_SHUTDOWN = 7, /* server -> container */
	AJP_PING = 8,
	AJP_CPONG_REPLY = 9, /* container -> server */
	AJP_CPING = 10,	     /* server -> container */
};

/* Attribute codes of a FORWARD_REQUEST (ajpv13a "Attributes"). */
enum ajp_attr {
	AJP_ATTR_CONTEXT = 0x01,
	AJP_ATTR_SERVLET_PATH = 0x02,
	AJP_ATTR_REMOTE_USER = 0x03,
	AJP_ATTR_AUTH_TYPE = 0x04,
	AJP_ATTR_QUERY_STRING = 0x05,
	AJP_ATTR_ROUTE = 0x06,
	AJP_ATTR_SSL_CERT = 0x07,
	AJP_ATTR_SSL_CIPHER = 0x08,
	AJP_ATTR_SSL_SESSION = 0x09,
	AJP_ATTR_REQ_ATTRIBUTE = 0x0A, /* a named attribute: name, value */
	AJP_ATTR_SSL_KEY_SIZE = 0x0B,  /* value is a 16-bit integer */
	AJP_ATTR_SECRET = 0x0C,
	AJP_ATTR_STORED_METHOD = 0x0D, /* a method without a code */
	AJP_ATTR_ARE_DONE = 0xFF,      /* terminator */
};

/* The method byte of a request whose method is in the stored_method
 * attribute. */
#define AJP_METHOD_STORED 0xFF

enum ajp_dir {
	AJP_TO_CONTAINER, /* 0x12 0x34 */
	AJP_TO_SERVER,	  /* 'A' 'B' */
};

/* A counted string; s == NULL for the AJP null string. */
struct ajp_str {
	const char *s;
	size_t len;
};

/* A header or an attribute. `code` says how it travels: for headers
 * the 0xA0xx code (0 = a literal name); for attributes the enum ajp_attr
 * code (AJP_ATTR_REQ_ATTRIBUTE for a named one). Decoders fill it in;
 * encoders use it when non-zero, else look the name up (case
 * insensitive; attribute names also accept "jvm_route" and
 * "req_method"), so a pair built with a name alone is sent coded when
 * the name has a code and literally (or as a req_attribute) otherwise.
 * For AJP_ATTR_SSL_KEY_SIZE, value is the integer's two big-endian
 * bytes (len 2). */
struct ajp_pair {
	struct ajp_str name; /* coded names decoded to their text */
	struct ajp_str value;
	uint16_t code;
};

#define AJP_MAX_HEADERS 128
#define AJP_MAX_ATTRIBUTES 32

/* A decoded request: every string may be the null string (s == NULL)
 * except header and attribute names. The secret, query_string and
 * ssl_key_size fields repeat the attributes of those codes; encoding, they
 * are sent (before the listed attributes) when set and not also listed,
 * and so is a stored_method attribute carrying `method` when the method
 * byte is AJP_METHOD_STORED. */
struct ajp_forward_request {
	uint8_t method_code;   /* 1 OPTIONS, 2 GET, ... 27, or 0xFF; encoding,
				  0 means "from method" */
	struct ajp_str method; /* its name ("GET"), or the stored_method
				  attribute (which wins, as in Tomcat) */
	struct ajp_str protocol;
	struct ajp_str req_uri;
	struct ajp_str remote_addr;
	struct ajp_str remote_host;
	struct ajp_str server_name;
	uint16_t server_port;
	bool is_ssl;
	size_t nheaders;
	struct ajp_pair headers[AJP_MAX_HEADERS];
	size_t nattributes; /* every attribute, secret and query_string too */
	struct ajp_pair attributes[AJP_MAX_ATTRIBUTES];
	struct ajp_str secret;	     /* the "secret" attribute, if any */
	struct ajp_str query_string; /* the "query_string" attribute */
	uint16_t ssl_key_size;	     /* the "ssl_key_size" attribute, 0 if
					none */
};

struct ajp_send_headers {
	uint16_t status;
	struct ajp_str message;
	size_t nheaders;
	struct ajp_pair headers[AJP_MAX_HEADERS];
};

/* Find one whole packet at the start of buf[0..len) sent in direction
 * `dir`: returns the packet length (header + payload) and sets
 * *payload and *payload_len; PROTO_E_AGAIN if incomplete; PROTO_E_AJP_MAGIC
 * for a wrong magic (*err_offset 0 or 1); PROTO_E_AJP_TOO_BIG when the
 * announced length exceeds packet_size - 4 (known from the header alone;
 * *err_offset 2); PROTO_E_AJP_SYNTAX for an empty payload (*err_offset
 * 2; note mod_jk ends a request body with such a packet, mod_proxy_ajp
 * never sends one); PROTO_E_INVAL for a bad packet_size. err_offset may
 * be NULL. */
int ajp_packet_parse(const uint8_t *buf, size_t len, enum ajp_dir dir,
		     size_t packet_size, const uint8_t **payload,
		     size_t *payload_len, size_t *err_offset);

/* Decoders take one payload (from ajp_packet_parse), type byte included,
 * and return 0, or PROTO_E_AJP_SYNTAX with *err_offset (if non-NULL) the
 * payload offset where it went wrong: the type byte (0) for another
 * message, the start of a field that is cut short or whose length runs
 * past the end, the byte where a string's NUL should be, an unknown
 * method (1), header code or attribute code, the header count when above
 * AJP_MAX_HEADERS, an attribute beyond AJP_MAX_ATTRIBUTES, or the first
 * byte after the message's end. On error *out is unspecified. */
int ajp_forward_request_decode(const uint8_t *p, size_t n,
			       struct ajp_forward_request *out,
			       size_t *err_offset);
int ajp_send_headers_decode(const uint8_t *p, size_t n,
			    struct ajp_send_headers *out, size_t *err_offset);
/* SEND_BODY_CHUNK: the chunk (pointing into p). The payload must end
 * with one byte after the chunk (Tomcat's NUL), which mod_proxy_ajp
 * insists on. */
int ajp_body_chunk_decode(const uint8_t *p, size_t n, const uint8_t **data,
			  size_t *len, size_t *err_offset);
/* END_RESPONSE: the reuse flag (any non-zero byte, as in httpd). */
int ajp_end_response_decode(const uint8_t *p, size_t n, bool *reuse,
			    size_t *err_offset);
/* GET_BODY_CHUNK: the requested length. */
int ajp_get_body_chunk_decode(const uint8_t *p, size_t n, uint16_t *len,
			      size_t *err_offset);
/* A request body packet (server -> container; no type byte: the payload
 * is a 16-bit length and the data). */
int ajp_request_body_decode(const uint8_t *p, size_t n, const uint8_t **data,
			    size_t *len, size_t *err_offset);

/* The name of a request header code (0xA001 "accept" ... 0xA00E
 * "user-agent") or NULL; and the code of a request header name (case
 * insensitive), or 0 when it has none. Likewise for response headers
 * (0xA001 "Content-Type" ... 0xA00B "WWW-Authenticate"). */
const char *ajp_request_header_name(uint16_t code);
uint16_t ajp_request_header_code(const char *name, size_t len);
const char *ajp_response_header_name(uint16_t code);
uint16_t ajp_response_header_code(const char *name, size_t len);

/* The method code of a method name (GET -> 2; case sensitive, as HTTP
 * methods are), 0 if none; the name of a method code (1..27), NULL if
 * none. */
uint8_t ajp_method_code(const char *name, size_t len);
const char *ajp_method_name(uint8_t code);

/* Encoders: append one whole packet to out; return 0, PROTO_E_NOMEM,
 * PROTO_E_AJP_TOO_BIG if it would not fit packet_size, or PROTO_E_INVAL
 * for what AJP cannot carry (a bad packet_size, code or method, a null
 * name, a literal header name of 0xA000 bytes or more, an ssl_key_size
 * value not 2 bytes long); on any error out is unchanged. Header names
 * with a code are sent coded, as Apache and Tomcat do. */
int ajp_forward_request_encode(struct proto_buf *out,
			       const struct ajp_forward_request *r,
			       size_t packet_size);
int ajp_send_headers_encode(struct proto_buf *out,
			    const struct ajp_send_headers *h,
			    size_t packet_size);
/* At most packet_size - 8 bytes per chunk (type, length and Tomcat's
 * trailing NUL); longer data is split into several packets, len 0 gives
 * one empty chunk (Tomcat's flush). */
int ajp_body_chunk_encode(struct proto_buf *out, const void *data, size_t len,
			  size_t packet_size);
int ajp_end_response_encode(struct proto_buf *out, bool reuse);
int ajp_get_body_chunk_encode(struct proto_buf *out, uint16_t len);
/* One request body packet of at most packet_size - 6 bytes of data (the
 * answer to one GET_BODY_CHUNK); len 0 is the empty packet that ends the
 * body (12 34 00 02 00 00, as mod_proxy_ajp sends). */
int ajp_request_body_encode(struct proto_buf *out, const void *data, size_t len,
			    size_t packet_size);
int ajp_cping_encode(struct proto_buf *out);
int ajp_cpong_encode(struct proto_buf *out);

#endif
