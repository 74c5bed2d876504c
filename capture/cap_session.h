/* Session extraction for `wssim capture`: a cap_tcp_sink (cap_stream.h)
 * that turns each TCP connection's byte streams into sessions (HTTP/1.x
 * exchanges, websocket messages, AJP13 exchanges, TLS hello facts, or
 * plain TCP), correlates the legs of proxied requests, and writes them as
 * a one-line-per-connection summary or as one JSON document
 * (docs/capture-json.md). Reading packets and TCP reassembly are left to
 * cap_pcap and cap_reasm; .scn output is left to others.
 *
 * Usage: cap_sessions_new, hand cap_sessions_sink() to the reassembler,
 * feed the whole input, then cap_sessions_write_summary or
 * cap_sessions_write_json, and cap_sessions_free.
 */
#ifndef WSSIM_CAP_SESSION_H
#define WSSIM_CAP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cap_stream.h"

#define CAP_SESSION_DEFAULT_PAYLOAD_CAP 4096

struct cap_session_opts {
	/* Keep request/response headers, AJP body chunks and websocket
	 * messages with their payloads (JSON output needs them). Without
	 * it only what the summary shows is kept: counts, first lines,
	 * status, close codes; no payload is ever copied. */
	bool keep_messages;
	/* Show Cookie, Set-Cookie, Authorization and Proxy-Authorization
	 * values as they are instead of "[redacted]". */
	bool no_redact;
	/* Payload bytes kept per message (and per AJP response body);
	 * longer ones are cut and marked truncated. 0 means
	 * CAP_SESSION_DEFAULT_PAYLOAD_CAP. */
	size_t payload_cap;
	/* Keep only connections matching it (borrowed; NULL keeps all): a
	 * port ("18080" or ":18080"), an address ("127.0.0.1", "::1",
	 * "[::1]"), or else a substring of a request target. */
	const char *filter;
};

struct cap_sessions;

/* A new collector with `opts` (copied; the filter string is borrowed
 * and must outlive the collector; NULL opts for the defaults). Returns
 * NULL when out of memory. */
struct cap_sessions *cap_sessions_new(const struct cap_session_opts *opts);

/* The sink to give the reassembler; it lives as long as `s`. Every event
 * of every connection must come through it, `close` last. */
struct cap_tcp_sink *cap_sessions_sink(struct cap_sessions *s);

/* Finish connections that never got `close` (as if the capture ended),
 * link the legs of proxied requests. Idempotent; the writers call it. */
void cap_sessions_finish(struct cap_sessions *s);

/* Number of connections kept (before filtering): seen, but for those
 * the reassembler evicted (the sink's `forget`, cap_stream.h). */
size_t cap_sessions_count(const struct cap_sessions *s);

/* Number of connections evicted (forgotten): they carried no payload. */
uint64_t cap_sessions_evicted(const struct cap_sessions *s);

/* One line per (matching) connection to `f`. Returns 0, or -1 when
 * writing failed (errno from stdio). */
int cap_sessions_write_summary(struct cap_sessions *s, FILE *f);

/* One JSON document (schema "wssim-capture" version 3) to `f`. Returns
 * 0, or -1 when writing failed or memory ran out. */
int cap_sessions_write_json(struct cap_sessions *s, FILE *f);

/* Free everything (NULL is fine). */
void cap_sessions_free(struct cap_sessions *s);

#endif
