/* The RFC 6455 opening handshake, sans I/O: keys, the accept value
 * (SHA-1 and base64 from OpenSSL), checking a client's upgrade request as
 * a server would, and checking a server's answer as a client must
 * (section 4.1: status 101, Upgrade, Connection, Sec-WebSocket-Accept,
 * extensions and subprotocol only as offered). */
#ifndef WSSIM_WS_HANDSHAKE_H
#define WSSIM_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "http1.h"

#define WS_KEY_LEN 24	 /* base64 of 16 bytes */
#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/* A fresh random key (16 random bytes, base64) into out, NUL-terminated.
 * Returns 0 or PROTO_E_CRYPTO. */
int ws_hs_key_new(char out[WS_KEY_LEN + 1]);

/* The Sec-WebSocket-Accept value for `key` into out, NUL-terminated.
 * Returns 0 or PROTO_E_CRYPTO. */
int ws_hs_accept(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1]);

/* Whether a parsed request asks for a websocket upgrade at all
 * (Upgrade: websocket token, Connection: upgrade token, GET). */
bool ws_hs_is_upgrade(const struct http1_head *req);

/* What a server found in an upgrade request. Pointers into the request. */
struct ws_hs_request {
	const char *key;
	size_t key_len;
	const char *protocols; /* Sec-WebSocket-Protocol or NULL */
	size_t protocols_len;
	const char *extensions; /* first Sec-WebSocket-Extensions or NULL */
	size_t extensions_len;
	const char *origin;
	size_t origin_len;
};

/* Check an upgrade request as RFC 6455 section 4.2.1 says: GET, HTTP/1.1,
 * Host, Upgrade: websocket, Connection: upgrade, a key that decodes to 16
 * bytes, Sec-WebSocket-Version: 13. Returns 0 and fills *out, or
 * PROTO_E_WS_HANDSHAKE with *why (if non-NULL) a static readable reason.
 * The first of several Sec-WebSocket-Protocol fields is reported. */
int ws_hs_check_request(const struct http1_head *req, struct ws_hs_request *out,
			const char **why);

/* Check a server's answer to a request sent with `key`, as a browser
 * does (section 4.1): 0 if it opens the connection; PROTO_E_WS_HANDSHAKE
 * with *why ("Unexpected response code: 500", "Incorrect
 * 'Sec-WebSocket-Accept' header value", ...) otherwise. `offered_ext` is
 * true when the client offered any extension (an answer naming one not
 * offered fails), `offered_protocols` NULL when none were offered.
 * `key` is the NUL-terminated key sent; `offered_protocols` the
 * comma-separated list sent. *why is NULL on success; a message that
 * quotes the response or the status lives in a thread-local buffer, valid
 * until the next call of this function in the same thread. */
int ws_hs_check_response(const struct http1_head *resp, const char *key,
			 bool offered_ext, const char *offered_protocols,
			 const char **why);

#endif
