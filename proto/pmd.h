/* RFC 7692 permessage-deflate, sans I/O, on zlib.
 *
 * Negotiation: parse a client's Sec-WebSocket-Extensions offers, choose an
 * answer as Tomcat 10.1 does (it answers
 * "permessage-deflate;client_max_window_bits=15" to Chrome's
 * "permessage-deflate; client_max_window_bits"), build a client offer, and
 * check a server's answer. Compression: raw deflate per message with the
 * trailing 00 00 ff ff removed (section 7.2.1), with or without context
 * takeover, fed in pieces so frames can be passed on as they arrive.
 */
#ifndef WSSIM_PMD_H
#define WSSIM_PMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "proto_buf.h"

struct pmd_params {
	int server_max_window_bits; /* 8..15; 15 when absent */
	int client_max_window_bits; /* 8..15; 15 when absent */
	bool server_no_context_takeover;
	bool client_no_context_takeover;
	/* offer only: client_max_window_bits given without a value (the
	 * client can honour whatever the server picks) */
	bool client_max_window_bits_offered;
	/* server_max_window_bits / client_max_window_bits given with a
	 * value (Tomcat echoes a given value, even 15, and omits an absent
	 * one) */
	bool server_max_window_bits_set;
	bool client_max_window_bits_set;
};

/* Parse the value of a Sec-WebSocket-Extensions header (a client offer
 * list or a server answer; `value` is borrowed, need not be
 * NUL-terminated) and find the first acceptable permessage-deflate
 * element; names are matched case-sensitively, as Tomcat does. Returns 1
 * and fills *p when one is found, 0 when the header has none,
 * PROTO_E_PMD when every permessage-deflate element has unknown,
 * repeated or out-of-range parameters or bad syntax (a server declines
 * such an offer and goes on to the next element, as RFC 7692 section 5
 * says; a client fails the connection on such an answer). */
int pmd_parse(const char *value, size_t len, struct pmd_params *p);

/* The server's answer to `offer` as Tomcat gives it: fills *agreed and
 * writes the header value into out (NUL-terminated). It accepts every
 * valid offer, echoing server_no_context_takeover,
 * server_max_window_bits=N, client_no_context_takeover and
 * client_max_window_bits=N (15 for the bare parameter) in that order.
 * Returns its length or PROTO_E_RANGE if out is too small (out is then
 * "" and *agreed untouched). */
int pmd_answer(const struct pmd_params *offer, struct pmd_params *agreed,
	       char *out, size_t outlen);

/* A client's offer as Chrome sends it:
 * "permessage-deflate; client_max_window_bits". */
const char *pmd_default_offer(void);

/* Whether a server answer (already parsed with pmd_parse) is acceptable to
 * a client that sent pmd_default_offer(). */
bool pmd_answer_acceptable(const struct pmd_params *answer);

struct pmd_ctx {
	z_stream deflate;
	z_stream inflate;
	bool is_server;
	struct pmd_params params;
	bool deflate_ready, inflate_ready;
	uint64_t max_inflated; /* 0: no limit */
	uint64_t inflated;     /* bytes of the current message so far */
};

/* Set up compression for one connection with the agreed parameters.
 * `max_inflated` bounds one inflated message (0: none). Each zlib stream
 * is allocated on its first use. Returns 0, PROTO_E_NOMEM or PROTO_E_PMD
 * (a window size outside 8..15); pmd_free is safe after either. */
int pmd_init(struct pmd_ctx *c, const struct pmd_params *agreed, bool is_server,
	     uint64_t max_inflated);
void pmd_free(struct pmd_ctx *c);

/* Inflate a piece of a received compressed message, appending the
 * plaintext to out. `fin` marks the message's last piece (the 00 00 ff ff
 * tail is appended before inflating it; the context is reset after it
 * when the peer's no_context_takeover applies). Returns 0,
 * PROTO_E_PMD for corrupt data (also a message that does not end between
 * two DEFLATE blocks), PROTO_E_WS_TOO_BIG past max_inflated,
 * PROTO_E_NOMEM. On error this call's output is taken back off out and
 * the inflater starts afresh, without its window. */
int pmd_inflate(struct pmd_ctx *c, const uint8_t *in, size_t len, bool fin,
		struct proto_buf *out);

/* Deflate a piece of a message to send, appending compressed bytes to out
 * (flushed, so the piece can go out as a frame now; an empty piece
 * without fin adds nothing). With `fin` the tail 00 00 ff ff is removed
 * and the context reset when our no_context_takeover applies. An empty
 * final piece gives the single byte 00 as RFC 7692 section 7.2.3.6
 * shows. Returns 0, PROTO_E_PMD or PROTO_E_NOMEM; on error this call's
 * output is taken back off out and the deflater starts afresh. */
int pmd_deflate(struct pmd_ctx *c, const uint8_t *in, size_t len, bool fin,
		struct proto_buf *out);

#endif
