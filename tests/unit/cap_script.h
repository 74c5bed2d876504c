/* A scripted TCP connection for the capture suites: segments of data (or
 * gaps) per direction with capture times, fed to any cap_tcp_sink as the
 * reassembler would (open, data and gap in order, both ends, close), whole
 * or cut up; and what the session writers make of it, as a string. Used
 * by the cap_session, cap_scn and cap_tls suites; linked only into suites
 * that link wssim_capture (test_util.c must not need it). */
#ifndef WSSIM_CAP_SCRIPT_H
#define WSSIM_CAP_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cap_session.h"
#include "cap_stream.h"
#include "cap_tls.h"
#include "proto_buf.h"

#define SCRIPT_MAX_SEGS 64

struct seg {
	enum cap_dir dir;
	uint64_t ts;
	bool gap; /* a gap of gap_len bytes instead of data */
	uint64_t gap_len;
	struct proto_buf b;
};

struct script {
	size_t n;
	struct seg s[SCRIPT_MAX_SEGS];
	struct cap_endpoint client, server;
	uint64_t id;
	bool server_fin; /* end with the server's FIN too (the default) */
	bool no_syn;	 /* open without a SYN (the capture began
			    mid-connection) */
	uint64_t syn_us; /* when the connection began (its SYN); 0: at the
			    first segment */
	/* given to the sink's `tls` event before the close, as a TLS filter
	 * in front would (borrowed; NULL: none) */
	const struct cap_tls_info *tls;
};

/* An empty script for connection `id` from 127.0.0.1:cport to
 * 127.0.0.1:sport. */
void script_init(struct script *sc, uint64_t id, uint16_t cport,
		 uint16_t sport);

/* A new data segment; returns its buffer to fill (owned by the script).
 * Fails the running test beyond SCRIPT_MAX_SEGS. */
struct proto_buf *seg_add(struct script *sc, enum cap_dir dir, uint64_t ts);

/* A data segment holding the string `s`. */
void seg_str(struct script *sc, enum cap_dir dir, uint64_t ts, const char *s);

/* A client segment holding a TLS 1.3 ClientHello record: SNI "localhost",
 * supported_versions TLS1.3 and TLS1.2, the one suite 0x1301. */
void seg_client_hello(struct script *sc, uint64_t ts);

/* `n` bytes of `dir` missing from the capture. */
void seg_gap(struct script *sc, enum cap_dir dir, uint64_t ts, uint64_t n);

void script_free(struct script *sc);

/* Append one websocket frame to b; a masked one with a fixed key. */
void script_frame(struct proto_buf *b, bool fin, uint8_t rsv, uint8_t op,
		  bool masked, const void *p, size_t n);

enum script_how {
	SCRIPT_WHOLE,  /* each segment in one data call */
	SCRIPT_SPLIT,  /* each segment in two, cut at `split` (clamped) */
	SCRIPT_BYTES,  /* one byte a call */
	SCRIPT_JOINED, /* each direction's bytes in one call, client first
			  (gaps left out) */
};

/* Feed the script to k as connection sc->id (that began with a SYN unless
 * sc->no_syn). `how` is an enum script_how. */
void script_feed(struct cap_tcp_sink *k, const struct script *sc, int how,
		 size_t split);

/* What `write` (cap_sessions_write_json or cap_sessions_write_summary)
 * writes for s, as a malloc'd string; fails the test where it fails. */
char *sessions_written(struct cap_sessions *s,
		       int (*write)(struct cap_sessions *, FILE *));

#endif
