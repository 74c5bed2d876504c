/* The seam inside capture/: packets become TCP byte streams here, and
 * everything above (HTTP, websocket, AJP, TLS session extraction) sees
 * only these events. One cap_tcp_sink receives, for every TCP connection
 * found in a capture, its open, the bytes of each direction in order (with
 * gaps marked, never silently spliced), and its end. */
#ifndef WSSIM_CAP_STREAM_H
#define WSSIM_CAP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cap_tls_info; /* cap_tls.h */

/* An endpoint: IPv4 or IPv6 address and port. */
struct cap_endpoint {
	uint8_t family;	  /* 4 or 6 */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;
};

/* "127.0.0.1:18080" or "[::1]:18080" into out (at least 48 bytes). */
void cap_endpoint_format(const struct cap_endpoint *e, char *out,
			 size_t outlen);

enum cap_dir {
	CAP_C2S, /* from the side that opened the connection (SYN), or the
		    first sender when the capture began mid-connection */
	CAP_S2C,
};

/* A TCP connection as the reassembler knows it. */
struct cap_conn {
	uint64_t id; /* 1, 2, ... in order of first packet */
	struct cap_endpoint
	    client; /* the side that sent the SYN (or the
		       first to send data when mid-stream; see cap_reasm.h) */
	struct cap_endpoint server;
	bool saw_syn;		    /* false: it was open before the capture */
	uint64_t first_us, last_us; /* capture timestamps, microseconds */
	uint64_t bytes[2];	    /* payload bytes delivered per direction */
	uint64_t gap_bytes[2];	    /* bytes missing per direction */
	/* segments per direction that overlapped bytes already seen with
	 * other bytes ("retransmission with different data"; the first copy
	 * is kept), and the first one's capture time and stream offset (the
	 * next byte expected when it came) */
	uint64_t conflicts[2];
	uint64_t conflict_us[2], conflict_off[2];
	void *user; /* the sink's per-connection state */
};

enum cap_end {
	CAP_END_FIN,	 /* this direction sent FIN */
	CAP_END_RST,	 /* reset */
	CAP_END_CAPTURE, /* the capture ended with the connection open */
};

struct cap_tcp_sink {
	void *ctx;
	/* A new connection (its first packet). */
	void (*open)(void *ctx, struct cap_conn *c);
	/* In-order bytes of one direction; ts_us is the capture time of the
	 * packet that completed them. */
	void (*data)(void *ctx, struct cap_conn *c, enum cap_dir dir,
		     const uint8_t *p, size_t n, uint64_t ts_us);
	/* `n` bytes of this direction were never captured (lost, cut by the
	 * snap length, or before the capture began): the next data does
	 * not follow the previous. */
	void (*gap)(void *ctx, struct cap_conn *c, enum cap_dir dir, uint64_t n,
		    uint64_t ts_us);
	/* A direction ended (FIN), or the connection was reset / the capture
	 * ended; `close` is called once per connection after both ends. */
	void (*end)(void *ctx, struct cap_conn *c, enum cap_dir dir,
		    enum cap_end how, uint64_t ts_us);
	void (*close)(void *ctx, struct cap_conn *c);
	/* Optional (NULL: not wanted): what a TLS filter in front of this
	 * sink (cap_tls.h) made of a TLS connection: its hellos and whether
	 * and why not it was decrypted (borrowed for the call). At most once
	 * per connection, before `close`. */
	void (*tls)(void *ctx, struct cap_conn *c,
		    const struct cap_tls_info *info);
	/* Instead of `close`, for a connection that carried no payload
	 * either way (ends may have come before): drop it without a trace
	 * but a count; the reassembler evicted it (a SYN flood, a port scan,
	 * see cap_reasm.h). NULL only for a sink that keeps nothing per
	 * connection. */
	void (*forget)(void *ctx, struct cap_conn *c);
};

#endif
