/* Error codes shared by every codec and layer of wssim.
 *
 * Functions return 0 (or a byte count) on success and one of the negative
 * PROTO_E_* codes below on failure. One X-macro list gives each code its
 * name and its message, in the manner of libuv's UV_ERRNO_MAP; add a code
 * by adding a line here and nowhere else.
 */
#ifndef WSSIM_PROTO_ERR_H
#define WSSIM_PROTO_ERR_H

#define PROTO_ERR_MAP(X)                                                       \
	X(AGAIN, "need more input")                                            \
	X(NOMEM, "out of memory")                                              \
	X(INVAL, "invalid argument")                                           \
	X(EOF, "end of stream")                                                \
	X(RANGE, "value out of range")                                         \
	X(HTTP_SYNTAX, "malformed HTTP message head")                          \
	X(HTTP_VERSION, "unsupported HTTP version")                            \
	X(HTTP_TOO_MANY_HEADERS, "too many HTTP header fields")                \
	X(HTTP_HEAD_TOO_LARGE, "HTTP message head too large")                  \
	X(HTTP_CHUNK, "malformed chunked body")                                \
	X(HTTP_LENGTH, "invalid Content-Length")                               \
	X(WS_PROTOCOL, "websocket protocol error")                             \
	X(WS_UTF8, "invalid UTF-8 in websocket text or close reason")          \
	X(WS_TOO_BIG, "websocket message too big")                             \
	X(WS_UNMASKED, "websocket client frame not masked")                    \
	X(WS_MASKED, "websocket server frame masked")                          \
	X(WS_LENGTH, "websocket payload length not in its shortest form")      \
	X(WS_HANDSHAKE, "invalid websocket handshake")                         \
	X(PMD, "permessage-deflate error")                                     \
	X(AJP_MAGIC, "bad AJP13 packet magic")                                 \
	X(AJP_SYNTAX, "malformed AJP13 message")                               \
	X(AJP_TOO_BIG, "AJP13 packet larger than the packet size")             \
	X(TLS, "TLS error")                                                    \
	X(CRYPTO, "cryptographic library error")

enum proto_err {
	PROTO_OK = 0,
#define PROTO_ERR_ENUM_(name, msg) PROTO_E_##name,
	PROTO_ERR_FIRST_ = -1000,
	PROTO_ERR_MAP(PROTO_ERR_ENUM_)
#undef PROTO_ERR_ENUM_
	    PROTO_ERR_LAST_
};

/* The message for code `err` (a PROTO_E_* value, or 0 for "success").
 * Never NULL; unknown codes give "unknown error". */
const char *proto_strerror(int err);

/* The symbolic name of `err` without prefix, e.g. "HTTP_SYNTAX". */
const char *proto_errname(int err);

#endif
