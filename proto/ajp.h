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
 * Decoding is zero-copy: decoded strings point into the caller's buffer.
 * Encoding appends whole packets (header included) to a proto_buf. Both
 * directions are covered, so the mock (container side), our own test
 * client (web server side) and capture can all use them.
 */
#ifndef WSSIM_AJP_H
#define WSSIM_AJP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto_buf.h"

#define AJP_PACKET_DEFAULT 8192
#define AJP_PACKET_MAX 65536
#define AJP_HEADER_LEN 4

/* Message types (the payload's first byte). */
enum ajp_type {
	AJP_FORWARD_REQUEST = 2, /* server -> container */
	AJP_SEND_BODY_CHUNK = 3, /* container -> server */
	AJP_SEND_HEADERS = 4,
	AJP_END_RESPONSE = 5,
	AJP_GET_BODY_CHUNK = 6,
	AJP_SHUTDOWN = 7,	 /* server -> container */
	AJP_PING = 8,
	AJP_CPONG_REPLY = 9,	 /* container -> server */
	AJP_CPING = 10,		 /* server -> container */
};

enum ajp_dir {
	AJP_TO_CONTAINER, /* 0x12 0x34 */
	AJP_TO_SERVER,	  /* 'A' 'B' */
};

/* A counted string; s == NULL for the AJP null string. */
struct ajp_str {
	const char *s;
	size_t len;
};

struct ajp_pair {
	struct ajp_str name; /* coded names decoded to their text */
	struct ajp_str value;
};

#define AJP_MAX_HEADERS 128
#define AJP_MAX_ATTRIBUTES 32

struct ajp_forward_request {
	uint8_t method_code; /* 1 OPTIONS, 2 GET, ... */
	struct ajp_str method; /* its name ("GET"), or the req_method attribute */
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
};

struct ajp_send_headers {
	uint16_t status;
	struct ajp_str message;
	size_t nheaders;
	struct ajp_pair headers[AJP_MAX_HEADERS];
};

/* Find one whole packet at the start of buf[0..len) sent in direction
 * `dir`: returns the packet length (header + payload) and sets
 * *payload/*payload_len; PROTO_E_AGAIN if incomplete; PROTO_E_AJP_MAGIC
 * for a wrong magic (err offset 0 or 1); PROTO_E_AJP_TOO_BIG when the
 * announced length exceeds packet_size - 4; PROTO_E_AJP_SYNTAX for an
 * empty payload. */
int ajp_packet_parse(const uint8_t *buf, size_t len, enum ajp_dir dir,
		     size_t packet_size, const uint8_t **payload,
		     size_t *payload_len);

/* Decoders take one payload (from ajp_packet_parse) and return 0, or
 * PROTO_E_AJP_SYNTAX with *err_offset (if non-NULL) the payload offset
 * where it went wrong (a string running past the end, a missing NUL, an
 * unknown coded header or attribute, too many headers). */
int ajp_forward_request_decode(const uint8_t *p, size_t n,
			       struct ajp_forward_request *out,
			       size_t *err_offset);
int ajp_send_headers_decode(const uint8_t *p, size_t n,
			    struct ajp_send_headers *out, size_t *err_offset);
/* SEND_BODY_CHUNK: the chunk (pointing into p). */
int ajp_body_chunk_decode(const uint8_t *p, size_t n, const uint8_t **data,
			  size_t *len, size_t *err_offset);
/* END_RESPONSE: the reuse flag. */
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

/* The method code of a method name (GET -> 2), 0 if none; the name of a
 * method code, NULL if none. */
uint8_t ajp_method_code(const char *name, size_t len);
const char *ajp_method_name(uint8_t code);

/* Encoders: append one whole packet to out; return 0, PROTO_E_NOMEM, or
 * PROTO_E_AJP_TOO_BIG if it would not fit packet_size (out unchanged).
 * Header names with a code are sent coded, as Apache and Tomcat do. */
int ajp_forward_request_encode(struct proto_buf *out,
			       const struct ajp_forward_request *r,
			       size_t packet_size);
int ajp_send_headers_encode(struct proto_buf *out,
			    const struct ajp_send_headers *h,
			    size_t packet_size);
/* At most packet_size - 8 bytes per chunk; split longer bodies. */
int ajp_body_chunk_encode(struct proto_buf *out, const void *data, size_t len,
			  size_t packet_size);
int ajp_end_response_encode(struct proto_buf *out, bool reuse);
int ajp_get_body_chunk_encode(struct proto_buf *out, uint16_t len);
int ajp_request_body_encode(struct proto_buf *out, const void *data,
			    size_t len, size_t packet_size);
int ajp_cping_encode(struct proto_buf *out);
int ajp_cpong_encode(struct proto_buf *out);

#endif
