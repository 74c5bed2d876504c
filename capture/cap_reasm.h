/* TCP reassembly: segments in, per-connection byte streams out.
 *
 * Segments (from cap_pcap or built in memory) are grouped into connections
 * by their 4-tuple (both directions) and each direction's payload is handed
 * to a struct cap_tcp_sink in stream order: in-order payload goes straight
 * from the caller's buffer to the sink (no copy); only out-of-order data is
 * buffered, up to a bound per connection, beyond which the hole in front
 * of it is declared a gap. Retransmissions and overlaps are trimmed (the
 * first copy seen wins); one whose bytes differ from that first copy is
 * counted per connection and direction (cap_conn.conflicts: compared with
 * buffered data, and with recently delivered data as far as cap_seen.h
 * remembers it); sequence numbers wrap (32-bit modular arithmetic).
 *
 * Which side is the client: the sender of a SYN (without ACK), or the
 * receiver of a SYN+ACK; for a connection already open when the capture
 * began, the sender of the first packet carrying payload (clients speak
 * first in HTTP and AJP); if the first packet carries none (a bare ACK or
 * FIN), the side with the higher port (the ephemeral one).
 *
 * Missing bytes are always reported through sink->gap, never spliced: a
 * hole is declared when the memory bound is hit, when the other side ACKs
 * bytes that were never seen, when a snap length cut a payload, and on RST
 * or at the end of the input while holes remain. FIN (once every byte
 * before it is accounted for) and RST are reported through sink->end, then
 * sink->close once both directions have ended. A SYN on a 4-tuple whose
 * connection has closed starts a new connection. cap_reasm_finish() ends
 * every open connection (gaps, then end CAP_END_CAPTURE, then close).
 *
 * Memory stays bounded on SYN floods and port scans: a connection that
 * has carried no payload yet is "quiet", and quiet connections are
 * evicted (sink->forget instead of close; counted in stats.evicted) when
 * a new one would make more than max_quiet (the least recently active
 * half-open one goes, one whose handshake completed only when no
 * half-open one is left), when one
 * saw no packet for quiet_idle_us of capture time, and when one ends
 * (FIN, RST) after max_quiet others already ended quiet (so a port scan
 * reports its first max_quiet connections one by one, then counts).
 * A connection that carried payload is never evicted, however long it
 * idles. Closed connections are remembered (linger_us) at most
 * max_closed at a time, the oldest forgotten first.
 *
 * This module does not read packets (cap_pcap does) and does not look at
 * the bytes (session extraction does, behind the sink). */
#ifndef WSSIM_CAP_REASM_H
#define WSSIM_CAP_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "cap_stream.h"

/* TCP flag bits as in the TCP header. */
#define CAP_TCP_FIN 0x01
#define CAP_TCP_SYN 0x02
#define CAP_TCP_RST 0x04
#define CAP_TCP_PSH 0x08
#define CAP_TCP_ACK 0x10
#define CAP_TCP_URG 0x20

/* One TCP segment. `payload` is borrowed for the duration of the call that
 * takes the segment. `missing` counts payload bytes the capture did not
 * keep (cut by the snap length): the segment's payload on the wire was
 * len + missing bytes, of which the last `missing` are unknown. */
struct cap_segment {
	struct cap_endpoint src, dst;
	uint32_t seq, ack;
	uint8_t flags; /* CAP_TCP_* */
	uint16_t window;
	const uint8_t *payload;
	size_t len;
	uint32_t missing;
	uint64_t ts_us; /* capture time, microseconds since the epoch */
};

struct cap_reasm_opts {
	/* Out-of-order bytes buffered per connection before the first hole
	 * is declared a gap; 0 means the default, 4 MiB. */
	size_t ooo_limit;
	/* A closed connection's 4-tuple is remembered this long (capture
	 * time) so that its trailing ACKs do not open a new connection;
	 * 0 means the default, 120 s. */
	uint64_t linger_us;
	/* Quiet connections (no payload yet) held at most; 0 means the
	 * default, 10000. */
	size_t max_quiet;
	/* A quiet connection silent this long (capture time) is evicted;
	 * 0 means the default, 120 s. */
	uint64_t quiet_idle_us;
	/* Closed connections remembered at most; 0 means the default,
	 * 65536. */
	size_t max_closed;
};

struct cap_reasm_stats {
	uint64_t segments;     /* segments given */
	uint64_t conns;	       /* connections opened */
	uint64_t dup_bytes;    /* retransmitted / overlapping bytes dropped */
	uint64_t ooo_segments; /* segments buffered out of order */
	uint64_t gaps;	       /* gaps declared */
	uint64_t gap_bytes;    /* bytes declared missing */
	uint64_t after_close;  /* segments of a closed connection ignored */
	uint64_t implausible;  /* segments too far from the stream, dropped */
	uint64_t nomem;	       /* segments dropped for lack of memory */
	uint64_t evicted;      /* quiet connections evicted (see above) */
	uint64_t conflicts;    /* segments with other bytes than the first
				  copy of them (cap_conn.conflicts) */
};

struct cap_reasm;

/* A reassembler delivering to `sink` (borrowed: it and its ctx must
 * outlive the reassembler; any callback may be NULL). `opts` may be NULL
 * (defaults). Returns NULL when out of memory. */
struct cap_reasm *cap_reasm_new(const struct cap_tcp_sink *sink,
				const struct cap_reasm_opts *opts);

/* Feed one segment (borrowed). Sink callbacks run from inside this call.
 * Returns 0, or PROTO_E_NOMEM when a connection could not be created or
 * an out-of-order segment could not be buffered (the segment is dropped;
 * its bytes are later declared a gap, never spliced). */
int cap_reasm_segment(struct cap_reasm *r, const struct cap_segment *s);

/* End of input: every open connection gets its remaining gaps, end
 * (CAP_END_CAPTURE, or CAP_END_FIN where a FIN became in order) for each
 * direction not yet ended, and close, in order of connection id. The
 * reassembler is empty afterwards and may be fed again. */
void cap_reasm_finish(struct cap_reasm *r);

/* Counters since cap_reasm_new. */
void cap_reasm_get_stats(const struct cap_reasm *r,
			 struct cap_reasm_stats *out);

/* Connections held now: open ones and remembered closed ones. */
size_t cap_reasm_held(const struct cap_reasm *r);

/* Quiet connections (open, no payload yet) held now. */
size_t cap_reasm_quiet(const struct cap_reasm *r);

/* Free the reassembler; calls cap_reasm_finish first if connections are
 * still open. NULL is allowed. */
void cap_reasm_free(struct cap_reasm *r);

#endif
