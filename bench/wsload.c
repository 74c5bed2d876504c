/* wsload: the websocket load client of the benchmarks (bench/run.sh), in C
 * on one libuv loop, so that the client is not what a benchmark measures.
 *
 * Modes:
 *   echo       N connections, each keeping K messages of S bytes in flight
 *              (masked, text or binary); after a warm-up, counts messages
 *              per second and the round-trip latency (p50/p99/max) over a
 *              fixed duration, then closes every connection with a close
 *              handshake.
 *   handshake  P parallel loops of connect, upgrade, close handshake and
 *              TCP close; cycles per second after a warm-up.
 *   idle       opens N websocket connections, prints "ready N" and holds
 *              them until stdin closes (pipe or tty), SIGINT/SIGTERM, or
 *              the hold time runs out.
 *
 * Sockets come from net_stream (one shared read buffer per thread,
 * try-write first), frames and handshakes from the proto codecs. Each
 * outgoing frame gets its own mask from a xorshift generator and the
 * payload is masked while it is copied into the send buffer, as a browser
 * would do; echoed payloads are compared with what was sent.
 *
 * Output: one line of key=value pairs on stdout (msgs_per_s, p50_us,
 * p99_us, max_us, client_cpu_pct from getrusage over the measured
 * interval, server_cpu_pct from /proc/PID/stat with --server-pid,
 * other_cpu_pct: what the rest of the machine used meanwhile, errors);
 * diagnostics go to stderr. Exit status 0 when the run had no errors, 1
 * when it had some, 2 for usage errors. Only loopback targets are allowed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>

#include "http1.h"
#include "net_addr.h"
#include "net_stream.h"
#include "proto_buf.h"
#include "proto_err.h"
#include "ws_frame.h"
#include "ws_handshake.h"

enum mode { MODE_ECHO, MODE_HANDSHAKE, MODE_IDLE };

/* Phases of a run, in order. */
enum phase {
	PH_SETUP,   /* opening connections */
	PH_WARMUP,  /* traffic, not counted */
	PH_MEASURE, /* traffic, counted */
	PH_HOLD,    /* idle mode: connections open, waiting */
	PH_CLOSING, /* close handshakes under way */
	PH_DONE,    /* every connection closed */
};

/* States of one connection. */
enum cstate {
	CS_FREE,
	CS_CONNECTING,
	CS_HANDSHAKE, /* upgrade request sent, reading the answer */
	CS_OPEN,
	CS_CLOSE_SENT, /* our close frame is out */
	CS_CLOSED,
};

struct conn {
	struct net_stream s; /* first: net_stream callbacks cast back */
	struct ws_decoder dec;
	struct proto_buf head; /* the upgrade answer while it arrives */
	size_t head_scan;
	char key[WS_KEY_LEN + 1];
	uint8_t state;	    /* enum cstate */
	bool got_close;	    /* the server's close frame arrived */
	bool counted_open;  /* included in g.opened */
	uint64_t *ts;	    /* echo: send times of the messages in flight */
	unsigned ts_head;   /* oldest in flight */
	unsigned inflight;  /* messages sent, echo not complete */
	uint64_t rx_off;    /* bytes of the current echoed message */
	uint64_t t_start;   /* handshake mode: cycle start */
	struct conn *wnext; /* list of connections waiting to connect */
};

struct opts {
	enum mode mode;
	struct sockaddr_storage addr;
	char hostport[80];
	const char *path;
	unsigned conns;	   /* echo, idle */
	unsigned inflight; /* echo */
	size_t size;	   /* echo */
	bool binary;
	bool verify;
	unsigned parallel;	 /* handshake */
	unsigned connect_par;	 /* connections being opened at once */
	double warmup, duration; /* seconds; duration = hold time for idle */
	double timeout;		 /* seconds for setup and for closing */
	long server_pid;
};

/* Latency histogram, log-linear in nanoseconds: values below 64 exact,
 * then 64 buckets per power of two (1.6 % resolution). */
#define H_SUB 64
#define H_BUCKETS (64 * H_SUB)

static struct {
	struct opts o;
	uv_loop_t loop;
	uv_timer_t phase_timer; /* warm-up, measure, hold, close deadline */
	uv_timer_t setup_timer; /* connections must be open by then */
	uv_signal_t sigint, sigterm;
	union {
		uv_pipe_t pipe;
		uv_tty_t tty;
	} in;
	bool in_active;
	enum phase phase;
	struct conn *conns; /* echo, idle: o.conns; handshake: o.parallel */
	unsigned nconns;
	uint64_t *ts_slab;
	struct conn *wait_head, *wait_tail; /* waiting to connect */
	unsigned connecting;		    /* CONNECTING or HANDSHAKE */
	unsigned live;			    /* handles not yet closed */
	unsigned opened;		    /* reached CS_OPEN (echo, idle) */
	unsigned settled;		    /* opened or failed during setup */
	uint8_t *tmpl;			    /* the payload sent, unmasked */
	uint8_t *out;			    /* per-connection send batch */
	size_t out_len, out_cap;
	uint64_t rng;
	/* measurement */
	uint64_t t0, t1; /* hrtime of the measured interval */
	struct rusage ru0, ru1;
	long srv0, srv1; /* server CPU ticks, -1 if unknown */
	long sys0, sys1; /* busy ticks of the whole machine, -1 if unknown */
	uint64_t count;	 /* messages or cycles completed in the interval */
	uint64_t hist[H_BUCKETS];
	uint64_t lat_max;
	uint64_t errors;
	unsigned err_printed;
	bool reported;
	int exit_code;
} g;

/* ---- small helpers ---------------------------------------------------- */

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
	g.errors++;
	if (g.err_printed >= 10)
		return;
	if (++g.err_printed == 10)
		fprintf(stderr, "wsload: (further errors not shown)\n");
	va_list ap;
	va_start(ap, fmt);
	fputs("wsload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint32_t rng_next(void)
{
	/* xorshift64*: a fresh mask per frame costs a few cycles */
	uint64_t x = g.rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g.rng = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

/* dst[0..n) = src[0..n) XOR the repeated 4-byte mask, a word at a time. */
static void mask_copy(uint8_t *dst, const uint8_t *src, size_t n,
		      const uint8_t mask[4])
{
	uint64_t m;
	uint8_t m8[8] = {mask[0], mask[1], mask[2], mask[3],
			 mask[0], mask[1], mask[2], mask[3]};
	memcpy(&m, m8, 8);
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		uint64_t w[4];
		memcpy(w, src + i, 32);
		w[0] ^= m;
		w[1] ^= m;
		w[2] ^= m;
		w[3] ^= m;
		memcpy(dst + i, w, 32);
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, src + i, 8);
		w ^= m;
		memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++)
		dst[i] = src[i] ^ mask[i & 3];
}

static unsigned hist_index(uint64_t v)
{
	if (v < H_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= 6 */
	return ((e - 5) << 6) | (unsigned)((v >> (e - 6)) & 63);
}

/* The middle of bucket i, in nanoseconds. */
static double hist_value(unsigned i)
{
	if (i < H_SUB)
		return i;
	unsigned e = (i >> 6) + 5, m = i & 63;
	double lo = (double)((uint64_t)(64 | m) << (e - 6));
	return lo + (double)((uint64_t)1 << (e - 6)) / 2;
}

static void hist_add(uint64_t ns)
{
	g.hist[hist_index(ns)]++;
	if (ns > g.lat_max)
		g.lat_max = ns;
}

static double hist_pct(double p)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < H_BUCKETS; i++)
		total += g.hist[i];
	if (total == 0)
		return 0;
	uint64_t want = (uint64_t)(p * (double)total + 0.999999);
	if (want == 0)
		want = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < H_BUCKETS; i++) {
		seen += g.hist[i];
		if (seen >= want) {
			double v = hist_value(i);
			return v > (double)g.lat_max ? (double)g.lat_max : v;
		}
	}
	return (double)g.lat_max;
}

/* utime + stime of a process in clock ticks, or -1. */
static long proc_cpu_ticks(long pid)
{
	if (pid <= 0)
		return -1;
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command may hold spaces */
	if (!p)
		return -1;
	/* After ")": state is field 3; utime and stime are fields 14, 15. */
	unsigned long ut, st;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* Busy clock ticks of all CPUs together (/proc/stat: everything but idle
 * and iowait), or -1. */
static long sys_busy_ticks(void)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	unsigned long long v[8] = {0};
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		       &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 5)
		return -1;
	return (long)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

static double tv_sec(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- output batch ----------------------------------------------------- */

static uint8_t *out_reserve(size_t n)
{
	if (g.out_len + n > g.out_cap) {
		size_t cap = g.out_cap ? g.out_cap : 64 * 1024;
		while (cap < g.out_len + n)
			cap *= 2;
		uint8_t *p = realloc(g.out, cap);
		if (!p)
			return NULL;
		g.out = p;
		g.out_cap = cap;
	}
	return g.out + g.out_len;
}

static int out_flush(struct conn *c)
{
	if (g.out_len == 0)
		return 0;
	size_t n = g.out_len;
	g.out_len = 0;
	return net_stream_write(&c->s, g.out, n);
}

/* Append a masked frame with payload p[0..n) to the batch. */
static int out_frame(uint8_t opcode, const uint8_t *p, size_t n)
{
	uint8_t *d = out_reserve(WS_MAX_HEADER + n);
	if (!d)
		return PROTO_E_NOMEM;
	uint32_t r = rng_next();
	uint8_t mask[4];
	memcpy(mask, &r, 4);
	size_t hl = ws_frame_hdr_encode(d, true, 0, opcode, mask, n);
	mask_copy(d + hl, p, n, mask);
	g.out_len += hl + n;
	return 0;
}

/* ---- connections ------------------------------------------------------ */

static int conn_start(struct conn *c);
static void setup_done(void);
static void maybe_finish(void);
static void begin_closing(void);
static void setup_progress(void);

static bool counting(void)
{
	return g.phase == PH_MEASURE;
}

/* Queue one echo message (send time `now`) into the batch. */
static int echo_queue(struct conn *c, uint64_t now)
{
	int r =
	    out_frame(g.o.binary ? WS_OP_BINARY : WS_OP_TEXT, g.tmpl, g.o.size);
	if (r < 0)
		return r;
	c->ts[(c->ts_head + c->inflight) % g.o.inflight] = now;
	c->inflight++;
	return 0;
}

static void echo_fill(struct conn *c, uint64_t now)
{
	while (c->inflight < g.o.inflight)
		if (echo_queue(c, now) < 0) {
			errorf("out of memory");
			net_stream_close(&c->s, true);
			return;
		}
	out_flush(c);
}

/* Send our close frame (1000) unless sent. */
static void conn_send_close(struct conn *c)
{
	if (c->state == CS_CLOSE_SENT || c->state == CS_CLOSED ||
	    net_stream_closing(&c->s))
		return;
	uint8_t pl[WS_MAX_CONTROL];
	int n = ws_close_payload(pl, WS_CLOSE_NORMAL, NULL, 0);
	g.out_len = 0;
	if (n < 0 || out_frame(WS_OP_CLOSE, pl, (size_t)n) < 0) {
		net_stream_close(&c->s, true);
		return;
	}
	c->state = CS_CLOSE_SENT;
	out_flush(c);
}

/* A connection reached CS_OPEN or failed while the run was setting up. */
static void setup_settled(struct conn *c, bool ok)
{
	if (c->counted_open)
		return;
	c->counted_open = true;
	if (g.connecting > 0)
		g.connecting--;
	if (g.o.mode == MODE_HANDSHAKE)
		return;
	g.settled++;
	if (ok)
		g.opened++;
	setup_progress();
}

static void on_message(struct conn *c, uint64_t now)
{
	if (c->inflight == 0) {
		errorf("an echo nobody asked for");
		return;
	}
	uint64_t sent = c->ts[c->ts_head];
	c->ts_head = (c->ts_head + 1) % g.o.inflight;
	c->inflight--;
	if (c->rx_off != g.o.size)
		errorf("echo of %" PRIu64 " bytes, sent %zu", c->rx_off,
		       g.o.size);
	c->rx_off = 0;
	if (counting()) {
		g.count++;
		hist_add(now - sent);
	}
	if (c->state == CS_OPEN &&
	    (g.phase == PH_WARMUP || g.phase == PH_MEASURE))
		if (echo_queue(c, now) < 0) {
			errorf("out of memory");
			net_stream_close(&c->s, true);
		}
}

/* Frames from the server. Returns false if the connection is closing. */
static bool feed_frames(struct conn *c, uint8_t *p, size_t n, uint64_t now)
{
	struct ws_event ev;
	g.out_len = 0;
	do {
		int r = ws_decoder_feed(&c->dec, p, n, &ev);
		if (r < 0) {
			errorf("bad frame from the server: %s (%s)",
			       c->dec.error ? c->dec.error : "?",
			       proto_strerror(r));
			net_stream_close(&c->s, true);
			return false;
		}
		p += r;
		n -= (size_t)r;
		switch (ev.type) {
		case WS_EV_NONE:
		case WS_EV_FRAME_START:
			break;
		case WS_EV_DATA:
			if (g.o.mode == MODE_ECHO) {
				if (g.o.verify &&
				    (c->rx_off + ev.len > g.o.size ||
				     memcmp(ev.data, g.tmpl + c->rx_off,
					    ev.len) != 0))
					errorf("echoed payload differs from "
					       "what was sent");
				c->rx_off += ev.len;
			}
			break;
		case WS_EV_FRAME_END:
			if (ev.fin && g.o.mode == MODE_ECHO)
				on_message(c, now);
			break;
		case WS_EV_CONTROL:
			if (ev.hdr.opcode == WS_OP_PING) {
				if (out_frame(WS_OP_PONG, ev.data, ev.len) < 0)
					errorf("out of memory");
			} else if (ev.hdr.opcode == WS_OP_CLOSE) {
				c->got_close = true;
				if (c->state != CS_CLOSE_SENT &&
				    g.phase != PH_CLOSING)
					errorf("server closed a connection: "
					       "%u",
					       ev.close_code);
				if (c->state != CS_CLOSE_SENT) {
					/* answer the close, after anything
					 * already batched */
					out_flush(c);
					conn_send_close(c);
				}
				return !net_stream_closing(&c->s);
			}
			break;
		}
		if (net_stream_closing(&c->s))
			return false;
	} while (n > 0 || ev.type != WS_EV_NONE);
	if (out_flush(c) < 0)
		return false;
	return true;
}

static void on_open(struct net_stream *s)
{
	struct conn *c = (struct conn *)s;
	char host[80], req[512];
	net_addr_format((const struct sockaddr *)&g.o.addr, host, sizeof(host));
	if (ws_hs_key_new(c->key) < 0) {
		errorf("no random key (OpenSSL)");
		net_stream_close(s, true);
		return;
	}
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\n"
			 "Host: %s\r\n"
			 "Upgrade: websocket\r\n"
			 "Connection: Upgrade\r\n"
			 "Sec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n"
			 "\r\n",
			 g.o.path, host, c->key);
	c->state = CS_HANDSHAKE;
	net_stream_write(s, req, (size_t)n);
}

/* The upgrade answer, possibly followed by frames. */
static void read_head(struct conn *c, uint8_t *data, size_t len, uint64_t now)
{
	static _Thread_local struct http1_head h;
	if (proto_buf_append(&c->head, data, len) < 0) {
		errorf("out of memory");
		net_stream_close(&c->s, true);
		return;
	}
	const char *buf = (const char *)proto_buf_head(&c->head);
	size_t blen = proto_buf_size(&c->head);
	size_t end = http1_head_end(buf, blen, &c->head_scan);
	if (end == 0) {
		if (blen > 16384) {
			errorf("upgrade answer too long");
			net_stream_close(&c->s, true);
		}
		return;
	}
	size_t erroff = 0;
	int r = http1_parse_response(buf, end, &h, NULL, &erroff);
	const char *why = NULL;
	if (r < 0) {
		errorf("malformed upgrade answer at byte %zu: %s", erroff,
		       proto_strerror(r));
		net_stream_close(&c->s, true);
		return;
	}
	if (ws_hs_check_response(&h, c->key, false, NULL, &why) < 0) {
		errorf("upgrade refused: %s", why ? why : "?");
		net_stream_close(&c->s, true);
		return;
	}
	c->state = CS_OPEN;
	ws_decoder_init(&c->dec, WS_ROLE_CLIENT, false, 0);
	/* Frames that came with the head: move them out of the buffer. */
	size_t rest = blen - end;
	uint8_t *tail = NULL;
	if (rest > 0) {
		tail = malloc(rest);
		if (tail)
			memcpy(tail, buf + end, rest);
	}
	proto_buf_free(&c->head);
	c->head_scan = 0;
	if (g.o.mode == MODE_HANDSHAKE || g.phase == PH_CLOSING) {
		if (g.o.mode != MODE_HANDSHAKE)
			setup_settled(c, true);
		conn_send_close(c);
	} else {
		setup_settled(c, true);
		if (c->state == CS_OPEN && g.o.mode == MODE_ECHO &&
		    (g.phase == PH_WARMUP || g.phase == PH_MEASURE))
			echo_fill(c, now);
	}
	if (tail && !net_stream_closing(&c->s))
		feed_frames(c, tail, rest, now);
	free(tail);
}

static void on_data(struct net_stream *s, uint8_t *data, size_t len)
{
	struct conn *c = (struct conn *)s;
	uint64_t now = uv_hrtime();
	if (c->state == CS_HANDSHAKE) {
		read_head(c, data, len, now);
		return;
	}
	if (c->state == CS_OPEN || c->state == CS_CLOSE_SENT)
		feed_frames(c, data, len, now);
}

static void on_eof(struct net_stream *s)
{
	struct conn *c = (struct conn *)s;
	if (!c->got_close && g.phase != PH_CLOSING && g.phase != PH_DONE)
		errorf("server closed a connection without a close frame");
	/* After the close handshake the server closed first (as RFC 6455
	 * 7.1.1 wants): close() sends our FIN, no shutdown() needed. */
	if (c->got_close && c->state == CS_CLOSE_SENT)
		net_stream_close(s, false);
	else
		net_stream_end(s);
}

static void on_error(struct net_stream *s, int err, const char *msg)
{
	struct conn *c = (struct conn *)s;
	(void)err;
	/* A reset after the close handshake is no error. */
	if (c->got_close)
		return;
	if (g.phase == PH_CLOSING && c->state == CS_CLOSE_SENT)
		return;
	errorf("%s: %s", g.o.hostport, msg);
}

static void on_close(struct net_stream *s)
{
	struct conn *c = (struct conn *)s;
	bool ok = c->got_close && c->state == CS_CLOSE_SENT;
	bool was_connecting = !c->counted_open;
	c->state = CS_CLOSED;
	proto_buf_free(&c->head);
	g.live--;
	if (g.o.mode == MODE_HANDSHAKE) {
		if (ok && counting()) {
			g.count++;
			hist_add(uv_hrtime() - c->t_start);
		}
		if ((g.phase == PH_WARMUP || g.phase == PH_MEASURE) &&
		    conn_start(c) == 0)
			return;
	} else if (was_connecting) {
		setup_settled(c, false);
	}
	maybe_finish();
}

static const struct net_stream_cbs conn_cbs = {
    .on_open = on_open,
    .on_data = on_data,
    .on_eof = on_eof,
    .on_error = on_error,
    .on_close = on_close,
};

/* Connect c now (it is CS_FREE or CS_CLOSED). Returns 0, or a negative
 * code when it failed at once (counted, and settled during setup). */
static int conn_start(struct conn *c)
{
	uint64_t *ts = c->ts;
	memset(c, 0, sizeof(*c));
	c->ts = ts;
	proto_buf_init(&c->head);
	c->state = CS_CONNECTING;
	c->t_start = uv_hrtime();
	bool setup = g.o.mode != MODE_HANDSHAKE;
	if (setup)
		g.connecting++;
	else
		c->counted_open = true; /* no setup accounting */
	int r = net_stream_connect(&c->s, &g.loop,
				   (const struct sockaddr *)&g.o.addr, NULL,
				   NULL, &conn_cbs, c);
	if (r == 0) {
		g.live++;
		return 0;
	}
	errorf("connect to %s: %s", g.o.hostport,
	       r < -1000 ? proto_strerror(r) : uv_strerror(r));
	c->counted_open = true; /* settled here, not in on_close */
	if (net_stream_closing(&c->s)) {
		g.live++; /* on_close runs for the handle */
		c->state = CS_CLOSE_SENT;
	} else {
		c->state = CS_CLOSED;
	}
	if (setup) {
		g.connecting--;
		g.settled++;
	}
	return r;
}

/* Start waiting connections while fewer than connect_par are opening. */
static void pump_connects(void)
{
	while (g.wait_head && g.connecting < g.o.connect_par &&
	       g.phase == PH_SETUP) {
		struct conn *c = g.wait_head;
		g.wait_head = c->wnext;
		if (!g.wait_head)
			g.wait_tail = NULL;
		conn_start(c);
	}
	if (g.phase == PH_SETUP && g.settled == g.nconns)
		setup_done();
}

/* ---- phases ----------------------------------------------------------- */

static void close_aux(void)
{
	uv_close((uv_handle_t *)&g.phase_timer, NULL);
	uv_close((uv_handle_t *)&g.setup_timer, NULL);
	uv_close((uv_handle_t *)&g.sigint, NULL);
	uv_close((uv_handle_t *)&g.sigterm, NULL);
	if (g.in_active) {
		g.in_active = false;
		uv_close((uv_handle_t *)&g.in, NULL);
	}
}

static void maybe_finish(void)
{
	if (g.phase == PH_DONE || g.live > 0)
		return;
	/* handshake loops that all failed at once: the timers end the run */
	if (g.o.mode == MODE_HANDSHAKE &&
	    (g.phase == PH_WARMUP || g.phase == PH_MEASURE))
		return;
	if (g.phase == PH_SETUP && g.settled < g.nconns)
		return;
	g.phase = PH_DONE;
	close_aux();
}

static void report(void)
{
	if (g.reported)
		return;
	g.reported = true;
	double secs = (double)(g.t1 - g.t0) / 1e9;
	double cpu = tv_sec(g.ru1.ru_utime) - tv_sec(g.ru0.ru_utime) +
		     tv_sec(g.ru1.ru_stime) - tv_sec(g.ru0.ru_stime);
	double cpu_pct = secs > 0 ? 100.0 * cpu / secs : 0;
	double hz = (double)sysconf(_SC_CLK_TCK);
	char srv[32] = "na", other[32] = "na";
	double srv_pct = 0;
	if (g.srv0 >= 0 && g.srv1 >= 0 && secs > 0) {
		srv_pct = 100.0 * (double)(g.srv1 - g.srv0) / hz / secs;
		snprintf(srv, sizeof(srv), "%.1f", srv_pct);
	}
	if (g.sys0 >= 0 && g.sys1 >= 0 && secs > 0) {
		/* what everything else used: noise, if it is not ~0 */
		double o = 100.0 * (double)(g.sys1 - g.sys0) / hz / secs -
			   cpu_pct - srv_pct;
		snprintf(other, sizeof(other), "%.1f", o < 0 ? 0 : o);
	}
	double rate = secs > 0 ? (double)g.count / secs : 0;
	if (g.o.mode == MODE_ECHO)
		printf("mode=echo conns=%u open=%u inflight=%u size=%zu "
		       "opcode=%s seconds=%.3f msgs=%" PRIu64
		       " msgs_per_s=%.0f mib_per_s=%.1f",
		       g.o.conns, g.opened, g.o.inflight, g.o.size,
		       g.o.binary ? "binary" : "text", secs, g.count, rate,
		       rate * (double)g.o.size / 1048576.0);
	else
		printf("mode=handshake parallel=%u seconds=%.3f "
		       "cycles=%" PRIu64 " cycles_per_s=%.0f",
		       g.o.parallel, secs, g.count, rate);
	printf(" p50_us=%.1f p99_us=%.1f max_us=%.1f client_cpu_pct=%.1f "
	       "server_cpu_pct=%s other_cpu_pct=%s errors=%" PRIu64 "\n",
	       hist_pct(0.50) / 1e3, hist_pct(0.99) / 1e3,
	       (double)g.lat_max / 1e3, cpu_pct, srv, other, g.errors);
	fflush(stdout);
}

static void close_deadline(uv_timer_t *t)
{
	(void)t;
	/* Whoever has not finished the close handshake by now is reset. */
	for (unsigned i = 0; i < g.nconns; i++) {
		struct conn *c = &g.conns[i];
		if (c->state != CS_FREE && c->state != CS_CLOSED &&
		    !net_stream_closing(&c->s)) {
			if (!c->got_close)
				errorf("close handshake not finished in time; "
				       "resetting");
			net_stream_close(&c->s, true);
		}
	}
}

static void begin_closing(void)
{
	if (g.phase == PH_CLOSING || g.phase == PH_DONE)
		return;
	bool measuring = g.phase == PH_MEASURE;
	g.phase = PH_CLOSING;
	if (measuring) {
		if (g.count == 0)
			errorf("nothing completed in the measured interval");
		g.t1 = uv_hrtime();
		getrusage(RUSAGE_SELF, &g.ru1);
		g.srv1 = proc_cpu_ticks(g.o.server_pid);
		g.sys1 = sys_busy_ticks();
		report();
	}
	g.wait_head = g.wait_tail = NULL;
	uv_timer_stop(&g.setup_timer);
	uv_timer_start(&g.phase_timer, close_deadline,
		       (uint64_t)(g.o.timeout * 1000), 0);
	if (g.in_active) {
		g.in_active = false;
		uv_close((uv_handle_t *)&g.in, NULL);
	}
	for (unsigned i = 0; i < g.nconns; i++) {
		struct conn *c = &g.conns[i];
		/* Connections still opening close once open (read_head). */
		if (c->state == CS_OPEN)
			conn_send_close(c);
	}
	maybe_finish();
}

static void measure_end(uv_timer_t *t)
{
	(void)t;
	begin_closing();
}

static void warmup_end(uv_timer_t *t)
{
	(void)t;
	g.phase = PH_MEASURE;
	memset(g.hist, 0, sizeof(g.hist));
	g.lat_max = 0;
	g.count = 0;
	g.t0 = uv_hrtime();
	getrusage(RUSAGE_SELF, &g.ru0);
	g.srv0 = proc_cpu_ticks(g.o.server_pid);
	g.sys0 = sys_busy_ticks();
	uv_timer_start(&g.phase_timer, measure_end,
		       (uint64_t)(g.o.duration * 1000), 0);
}

static void hold_end(uv_timer_t *t)
{
	(void)t;
	begin_closing();
}

/* Every connection is open (or failed): start the traffic or the hold. */
static void setup_done(void)
{
	uv_timer_stop(&g.setup_timer);
	if (g.o.mode == MODE_IDLE) {
		printf("ready %u\n", g.opened);
		fflush(stdout);
		if (g.opened < g.o.conns)
			fprintf(stderr,
				"wsload: only %u of %u connections "
				"opened\n",
				g.opened, g.o.conns);
		g.phase = PH_HOLD;
		uv_timer_start(&g.phase_timer, hold_end,
			       (uint64_t)(g.o.duration * 1000), 0);
		return;
	}
	if (g.opened == 0) {
		fprintf(stderr, "wsload: no connection opened\n");
		begin_closing();
		return;
	}
	g.phase = PH_WARMUP;
	uint64_t now = uv_hrtime();
	for (unsigned i = 0; i < g.nconns; i++)
		if (g.conns[i].state == CS_OPEN)
			echo_fill(&g.conns[i], now);
	uv_timer_start(&g.phase_timer, warmup_end,
		       (uint64_t)(g.o.warmup * 1000), 0);
}

static void setup_progress(void)
{
	if (g.phase == PH_SETUP)
		pump_connects();
}

static void setup_timeout(uv_timer_t *t)
{
	(void)t;
	errorf("only %u of %u connections open after %.0f s", g.opened,
	       g.nconns, g.o.timeout);
	begin_closing();
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)s;
	(void)signum;
	if (g.phase == PH_CLOSING) {
		close_deadline(NULL);
		return;
	}
	begin_closing();
}

static void stdin_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	static char buf[256];
	(void)h;
	(void)sz;
	b->base = buf;
	b->len = sizeof(buf);
}

static void stdin_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	(void)st;
	(void)b;
	if (n < 0) /* EOF or error: stop holding */
		begin_closing();
}

/* Watch stdin for EOF when it is a pipe or a terminal. */
static void watch_stdin(void)
{
	uv_handle_type t = uv_guess_handle(0);
	int r = -1;
	if (t == UV_NAMED_PIPE) {
		r = uv_pipe_init(&g.loop, &g.in.pipe, 0);
		if (r == 0 && uv_pipe_open(&g.in.pipe, 0) != 0) {
			uv_close((uv_handle_t *)&g.in.pipe, NULL);
			return;
		}
	} else if (t == UV_TTY) {
		r = uv_tty_init(&g.loop, &g.in.tty, 0, 1);
	}
	if (r != 0)
		return;
	g.in_active = true;
	if (uv_read_start((uv_stream_t *)&g.in, stdin_alloc, stdin_read) != 0) {
		g.in_active = false;
		uv_close((uv_handle_t *)&g.in, NULL);
	}
}

/* ---- command line ----------------------------------------------------- */

static const char usage_text[] =
    "usage: wsload echo      [-c CONNS] [-k INFLIGHT] [-s SIZE] [--binary]\n"
    "                        [-w WARMUP] [-d DURATION] HOST:PORT\n"
    "       wsload handshake [-p PARALLEL] [-w WARMUP] [-d DURATION] "
    "HOST:PORT\n"
    "       wsload idle      [-c CONNS] [-d HOLD] HOST:PORT\n"
    "\n"
    "  -c, --conns N         connections (echo 100, idle 1000)\n"
    "  -k, --inflight K      messages in flight per connection (1)\n"
    "  -s, --size BYTES      message size (32); K or KiB suffix for 1024\n"
    "      --binary          binary messages (default text)\n"
    "      --no-verify       do not compare echoes with what was sent\n"
    "  -p, --parallel P      handshake loops (32)\n"
    "  -w, --warmup SECONDS  not measured (1)\n"
    "  -d, --duration SECS   measured (3); idle: longest hold (600)\n"
    "  -t, --timeout SECS    to open all connections, and to close (30)\n"
    "      --connect-parallel N  connections being opened at once (128)\n"
    "      --path PATH       (/examples/websocket/echoProgrammatic)\n"
    "      --server-pid PID  also report the server's CPU use\n"
    "\n"
    "HOST is a loopback address (127.0.0.0/8 or ::1). Prints one line of\n"
    "key=value results; idle prints 'ready N' once N are open and holds\n"
    "them until stdin closes, SIGINT/SIGTERM, or HOLD seconds.\n";

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		static const uint8_t lo[16] = {0, 0, 0, 0, 0, 0, 0, 0,
					       0, 0, 0, 0, 0, 0, 0, 1};
		return memcmp(&a->sin6_addr, lo, 16) == 0;
	}
	return false;
}

static int num_arg(const char *opt, const char *s, double lo, double hi,
		   double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	double mul = 1;
	if (end != s && (strcmp(end, "K") == 0 || strcmp(end, "k") == 0 ||
			 strcmp(end, "KiB") == 0)) {
		mul = 1024;
		end += strlen(end);
	}
	v *= mul;
	if (end == s || *end || errno || !(v >= lo && v <= hi)) {
		fprintf(stderr,
			"wsload: %s: '%s' is not a number from %g to %g\n", opt,
			s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	enum { OPT_BINARY = 256, OPT_NOVERIFY, OPT_PATH, OPT_PID, OPT_CPAR };
	static const struct option lopts[] = {
	    {"conns", required_argument, NULL, 'c'},
	    {"inflight", required_argument, NULL, 'k'},
	    {"size", required_argument, NULL, 's'},
	    {"binary", no_argument, NULL, OPT_BINARY},
	    {"no-verify", no_argument, NULL, OPT_NOVERIFY},
	    {"parallel", required_argument, NULL, 'p'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"duration", required_argument, NULL, 'd'},
	    {"timeout", required_argument, NULL, 't'},
	    {"connect-parallel", required_argument, NULL, OPT_CPAR},
	    {"path", required_argument, NULL, OPT_PATH},
	    {"server-pid", required_argument, NULL, OPT_PID},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts *o = &g.o;
	if (argc < 2) {
		fputs(usage_text, stderr);
		return -1;
	}
	if (strcmp(argv[1], "echo") == 0)
		o->mode = MODE_ECHO;
	else if (strcmp(argv[1], "handshake") == 0)
		o->mode = MODE_HANDSHAKE;
	else if (strcmp(argv[1], "idle") == 0)
		o->mode = MODE_IDLE;
	else if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		exit(0);
	} else {
		fprintf(stderr, "wsload: unknown mode '%s'\n", argv[1]);
		fputs(usage_text, stderr);
		return -1;
	}
	o->path = "/examples/websocket/echoProgrammatic";
	o->conns = o->mode == MODE_IDLE ? 1000 : 100;
	o->inflight = 1;
	o->size = 32;
	o->verify = true;
	o->parallel = 32;
	o->connect_par = 128;
	o->warmup = 1;
	o->duration = o->mode == MODE_IDLE ? 600 : 3;
	o->timeout = 30;
	int ch;
	double v;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "c:k:s:p:w:d:t:h", lopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'c':
			if (num_arg("--conns", optarg, 1, 1000000, &v) < 0)
				return -1;
			o->conns = (unsigned)v;
			break;
		case 'k':
			if (num_arg("--inflight", optarg, 1, 4096, &v) < 0)
				return -1;
			o->inflight = (unsigned)v;
			break;
		case 's':
			if (num_arg("--size", optarg, 0, 16 << 20, &v) < 0)
				return -1;
			o->size = (size_t)v;
			break;
		case OPT_BINARY:
			o->binary = true;
			break;
		case OPT_NOVERIFY:
			o->verify = false;
			break;
		case 'p':
			if (num_arg("--parallel", optarg, 1, 100000, &v) < 0)
				return -1;
			o->parallel = (unsigned)v;
			break;
		case 'w':
			if (num_arg("--warmup", optarg, 0, 3600, &v) < 0)
				return -1;
			o->warmup = v;
			break;
		case 'd':
			if (num_arg("--duration", optarg, 0.01, 86400, &v) < 0)
				return -1;
			o->duration = v;
			break;
		case 't':
			if (num_arg("--timeout", optarg, 0.1, 3600, &v) < 0)
				return -1;
			o->timeout = v;
			break;
		case OPT_CPAR:
			if (num_arg("--connect-parallel", optarg, 1, 100000,
				    &v) < 0)
				return -1;
			o->connect_par = (unsigned)v;
			break;
		case OPT_PATH:
			if (optarg[0] != '/' || strlen(optarg) > 300 ||
			    strpbrk(optarg, " \r\n")) {
				fprintf(stderr,
					"wsload: --path: '%s' is not "
					"a request path\n",
					optarg);
				return -1;
			}
			o->path = optarg;
			break;
		case OPT_PID:
			if (num_arg("--server-pid", optarg, 1, 4194304, &v) < 0)
				return -1;
			o->server_pid = (long)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "wsload: give one HOST:PORT\n");
		fputs(usage_text, stderr);
		return -1;
	}
	const char *target = argv[optind];
	if (net_addr_parse(target, &o->addr) != 0) {
		fprintf(stderr,
			"wsload: '%s' is not a numeric HOST:PORT "
			"(e.g. 127.0.0.1:8080)\n",
			target);
		return -1;
	}
	if (!is_loopback(&o->addr)) {
		fprintf(stderr,
			"wsload: '%s' is not a loopback address; wsload "
			"only loads servers on this machine\n",
			target);
		return -1;
	}
	if (net_addr_port((const struct sockaddr *)&o->addr) == 0) {
		fprintf(stderr, "wsload: '%s': port 0\n", target);
		return -1;
	}
	net_addr_format((const struct sockaddr *)&o->addr, o->hostport,
			sizeof(o->hostport));
	return 0;
}

int main(int argc, char **argv)
{
	if (parse_args(argc, argv) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	long nofile = net_raise_nofile();
	unsigned need = g.o.mode == MODE_HANDSHAKE ? g.o.parallel : g.o.conns;
	if (nofile > 0 && (long)need + 16 > nofile) {
		fprintf(stderr,
			"wsload: %u connections need more open files than "
			"the limit of %ld\n",
			need, nofile);
		return 2;
	}
	g.rng =
	    uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	g.srv0 = g.srv1 = g.sys0 = g.sys1 = -1;
	g.nconns = need;
	g.conns = calloc(need, sizeof(*g.conns));
	g.tmpl = malloc(g.o.size ? g.o.size : 1);
	if (g.o.mode == MODE_ECHO)
		g.ts_slab =
		    calloc((size_t)need * g.o.inflight, sizeof(uint64_t));
	if (!g.conns || !g.tmpl || (g.o.mode == MODE_ECHO && !g.ts_slab)) {
		fprintf(stderr, "wsload: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < g.o.size; i++) /* valid UTF-8 (ASCII) */
		g.tmpl[i] = (uint8_t)('a' + i % 26);

	uv_loop_init(&g.loop);
	uv_timer_init(&g.loop, &g.phase_timer);
	uv_timer_init(&g.loop, &g.setup_timer);
	uv_signal_init(&g.loop, &g.sigint);
	uv_signal_init(&g.loop, &g.sigterm);
	uv_signal_start(&g.sigint, on_signal, SIGINT);
	uv_signal_start(&g.sigterm, on_signal, SIGTERM);
	if (g.o.mode == MODE_IDLE)
		watch_stdin();

	for (unsigned i = 0; i < need; i++) {
		struct conn *c = &g.conns[i];
		c->state = CS_FREE;
		if (g.ts_slab)
			c->ts = g.ts_slab + (size_t)i * g.o.inflight;
	}
	if (g.o.mode == MODE_HANDSHAKE) {
		g.phase = PH_WARMUP;
		for (unsigned i = 0; i < need; i++)
			conn_start(&g.conns[i]);
		uv_timer_start(&g.phase_timer, warmup_end,
			       (uint64_t)(g.o.warmup * 1000), 0);
	} else {
		g.phase = PH_SETUP;
		for (unsigned i = 0; i < need; i++) {
			struct conn *c = &g.conns[i];
			if (g.wait_tail)
				g.wait_tail->wnext = c;
			else
				g.wait_head = c;
			g.wait_tail = c;
		}
		uv_timer_start(&g.setup_timer, setup_timeout,
			       (uint64_t)(g.o.timeout * 1000), 0);
		pump_connects();
	}
	uv_run(&g.loop, UV_RUN_DEFAULT);

	if (g.o.mode == MODE_IDLE) {
		printf("mode=idle conns=%u open=%u errors=%" PRIu64 "\n",
		       g.o.conns, g.opened, g.errors);
		fflush(stdout);
	} else if (!g.reported) {
		fprintf(stderr, "wsload: stopped before the measurement\n");
		g.errors++;
	}
	int lc = uv_loop_close(&g.loop);
	if (lc != 0) {
		fprintf(stderr, "wsload: handles left open: %s\n",
			uv_strerror(lc));
		g.errors++;
	}
	free(g.conns);
	free(g.ts_slab);
	free(g.tmpl);
	free(g.out);
	return g.errors ? 1 : 0;
}
