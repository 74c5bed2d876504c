/* mkpcap: write a synthetic but realistic pcap of websocket echo traffic
 * for the capture benchmark (bench/capture_bench.sh).
 *
 * N concurrent connections on loopback (client 127.0.x.y:port, server
 * 127.0.0.1:8080), Ethernet link type (as tcpdump -i lo writes it), each
 * one: SYN, SYN+ACK, ACK; an HTTP upgrade request and a `101 Switching
 * Protocols` answer with the right Sec-WebSocket-Accept; then M rounds of
 * a masked client text frame of S bytes and the server's unmasked echo,
 * with pure ACKs now and then (a delayed-ACK pattern); then a close
 * handshake (1000) and FIN from the server side, then the client's.
 * Rounds are interleaved across the connections (round robin); a
 * connection that has sent its M messages closes and a fresh one takes
 * its slot, until the file reaches the target size; then every open
 * connection is closed. Sequence and acknowledgement numbers are right,
 * IPv4 and TCP checksums computed, payloads larger than the MSS split
 * into several segments. Deterministic: the same options give the same
 * bytes (masks, keys and initial sequence numbers from a fixed xorshift,
 * timestamps from a fixed start, 5 us apart).
 *
 *   mkpcap -o FILE [-s MB] [-m BYTES] [-c CONNS] [-n MSGS] [--mss N]
 *
 * Prints one line on stdout: file=... bytes=... packets=...
 * connections=... messages=... */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"
#include "ws_handshake.h"

#define SERVER_PORT 8080
#define ETH_HDR 14
#define IP_HDR 20
#define TCP_HDR 20
#define HDRS (ETH_HDR + IP_HDR + TCP_HDR)

static const char usage_text[] =
    "usage: mkpcap -o FILE [-s MB] [-m BYTES] [-c CONNS] [-n MSGS] "
    "[--mss N]\n"
    "  -o FILE   the pcap to write\n"
    "  -s MB     stop opening rounds at this size (MiB; default 300)\n"
    "  -m BYTES  message size (default 32)\n"
    "  -c CONNS  concurrent connections (default 100)\n"
    "  -n MSGS   messages per connection before it closes (default 2000)\n"
    "  --mss N   TCP maximum segment size (default 65483, loopback)\n";

struct conn {
	bool open;
	uint8_t cip[4];
	uint16_t cport;
	uint32_t seq[2]; /* next sequence number: [0] client, [1] server */
	uint64_t left;	 /* messages still to send */
	uint64_t rounds;
};

struct gen {
	pcap_dumper_t *d;
	uint64_t ts_us;
	uint64_t bytes; /* file size so far */
	uint64_t packets, conns, messages;
	uint64_t rng;
	uint32_t next_client; /* for addresses and ports */
	uint16_t ip_id;
	size_t mss;
	uint8_t *pkt; /* HDRS + mss */
};

static uint64_t xrand(struct gen *g)
{
	uint64_t x = g->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return g->rng = x;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One segment from side `from` (0 client, 1 server) of c with `flags` and
 * payload p[0..n) (n <= mss); advances the sender's sequence number. */
static void segment(struct gen *g, struct conn *c, int from, uint8_t flags,
		    const uint8_t *p, size_t n)
{
	static const uint8_t srv_ip[4] = {127, 0, 0, 1};
	uint8_t *e = g->pkt, *ip = e + ETH_HDR, *tcp = ip + IP_HDR;
	memset(e, 0, HDRS);
	wr16(e + 12, 0x0800);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(IP_HDR + TCP_HDR + n));
	wr16(ip + 4, g->ip_id++);
	wr16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, from ? srv_ip : c->cip, 4);
	memcpy(ip + 16, from ? c->cip : srv_ip, 4);
	wr16(ip + 10, csum_fold(csum_add(0, ip, IP_HDR)));
	wr16(tcp, from ? SERVER_PORT : c->cport);
	wr16(tcp + 2, from ? c->cport : SERVER_PORT);
	wr32(tcp + 4, c->seq[from]);
	if (flags & 0x10)
		wr32(tcp + 8, c->seq[!from]);
	tcp[12] = (TCP_HDR / 4) << 4;
	tcp[13] = flags;
	wr16(tcp + 14, 65483);
	if (n)
		memcpy(tcp + TCP_HDR, p, n);
	uint32_t sum = csum_add(0, ip + 12, 8);
	sum += 6 + TCP_HDR + (uint32_t)n;
	sum = csum_add(sum, tcp, TCP_HDR + n);
	wr16(tcp + 16, csum_fold(sum));

	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(g->ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(g->ts_us % 1000000);
	h.caplen = h.len = (bpf_u_int32)(HDRS + n);
	pcap_dump((u_char *)g->d, &h, g->pkt);
	g->ts_us += 5;
	g->bytes += 16 + h.caplen;
	g->packets++;
	c->seq[from] += (uint32_t)n + ((flags & 0x03) ? 1 : 0); /* SYN, FIN */
}

/* Send p[0..n) from `from`, split at the MSS, PSH on the last segment. */
static void send_data(struct gen *g, struct conn *c, int from, const uint8_t *p,
		      size_t n)
{
	while (n) {
		size_t k = n < g->mss ? n : g->mss;
		segment(g, c, from, (uint8_t)(0x10 | (k == n ? 0x08 : 0)), p,
			k);
		p += k;
		n -= k;
	}
}

static void ack(struct gen *g, struct conn *c, int from)
{
	segment(g, c, from, 0x10, NULL, 0);
}

static void b64(const uint8_t *in, size_t n, char *out)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = 0;
}

static int conn_open(struct gen *g, struct conn *c, uint64_t msgs)
{
	uint32_t k = g->next_client++;
	memset(c, 0, sizeof(*c));
	c->open = true;
	c->cip[0] = 127;
	c->cip[1] = 0;
	c->cip[2] = (uint8_t)(k / 30000 / 254 % 256);
	c->cip[3] = (uint8_t)(2 + k / 30000 % 254);
	c->cport = (uint16_t)(32768 + k % 30000);
	c->seq[0] = (uint32_t)xrand(g);
	c->seq[1] = (uint32_t)xrand(g);
	c->left = msgs;
	g->conns++;
	segment(g, c, 0, 0x02, NULL, 0); /* SYN */
	segment(g, c, 1, 0x12, NULL, 0); /* SYN+ACK */
	ack(g, c, 0);

	uint8_t raw[16];
	for (int i = 0; i < 16; i++)
		raw[i] = (uint8_t)xrand(g);
	char key[WS_KEY_LEN + 1], accept[WS_ACCEPT_LEN + 1];
	b64(raw, 16, key);
	if (ws_hs_accept(key, strlen(key), accept) != 0)
		return -1;
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			 "GET /echo HTTP/1.1\r\n"
			 "Host: 127.0.0.1:%d\r\n"
			 "User-Agent: wssim-mkpcap\r\n"
			 "Upgrade: websocket\r\n"
			 "Connection: Upgrade\r\n"
			 "Sec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n"
			 "\r\n",
			 SERVER_PORT, key);
	send_data(g, c, 0, (const uint8_t *)buf, (size_t)n);
	ack(g, c, 1);
	n = snprintf(buf, sizeof(buf),
		     "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n"
		     "\r\n",
		     accept);
	send_data(g, c, 1, (const uint8_t *)buf, (size_t)n);
	ack(g, c, 0);
	return 0;
}

/* A frame of `opcode` with payload p[0..n) from `from` (the client
 * masks) into out; returns its length. */
static size_t frame(struct gen *g, int from, uint8_t opcode, const uint8_t *p,
		    size_t n, uint8_t *out)
{
	uint8_t mask[4];
	uint64_t r = xrand(g);
	memcpy(mask, &r, 4);
	size_t h = ws_frame_hdr_encode(out, true, 0, opcode,
				       from == 0 ? mask : NULL, n);
	memcpy(out + h, p, n);
	if (from == 0)
		ws_mask(out + h, n, mask, 0);
	return h + n;
}

static void round_trip(struct gen *g, struct conn *c, const uint8_t *msg,
		       size_t m, uint8_t *buf)
{
	size_t n = frame(g, 0, WS_OP_TEXT, msg, m, buf);
	send_data(g, c, 0, buf, n);
	n = frame(g, 1, WS_OP_TEXT, msg, m, buf);
	send_data(g, c, 1, buf, n);
	if (c->rounds++ % 2 == 1)
		ack(g, c, 0); /* delayed ACK of two echoes */
	c->left--;
	g->messages += 2;
}

static void conn_close(struct gen *g, struct conn *c, uint8_t *buf)
{
	uint8_t cp[WS_MAX_CONTROL];
	int pl = ws_close_payload(cp, 1000, "bye", 3);
	size_t n = frame(g, 0, WS_OP_CLOSE, cp, (size_t)pl, buf);
	send_data(g, c, 0, buf, n);
	n = frame(g, 1, WS_OP_CLOSE, cp, 2, buf);
	send_data(g, c, 1, buf, n);
	segment(g, c, 1, 0x11, NULL, 0); /* server FIN+ACK */
	segment(g, c, 0, 0x11, NULL, 0); /* client FIN+ACK */
	ack(g, c, 1);
	c->open = false;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"mss", required_argument, NULL, 'M'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	uint64_t mb = 300, msize = 32, nconn = 100, msgs = 2000, mss = 65483;
	int ch;
	while ((ch = getopt_long(argc, argv, "o:s:m:c:n:h", opts, NULL)) !=
	       -1) {
		int bad = 0;
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 's':
			bad = parse_u64(optarg, 1, 1 << 20, &mb);
			break;
		case 'm':
			bad = parse_u64(optarg, 0, 1 << 24, &msize);
			break;
		case 'c':
			bad = parse_u64(optarg, 1, 100000, &nconn);
			break;
		case 'n':
			bad = parse_u64(optarg, 1, UINT32_MAX, &msgs);
			break;
		case 'M':
			bad = parse_u64(optarg, 64, 65483, &mss);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			bad = 1;
		}
		if (bad) {
			fprintf(stderr, "mkpcap: bad option or value\n%s",
				usage_text);
			return 2;
		}
	}
	if (!out || optind < argc) {
		fputs(usage_text, stderr);
		return 2;
	}

	struct gen g;
	memset(&g, 0, sizeof(g));
	g.rng = 0x9e3779b97f4a7c15ull;
	g.ts_us = 1767225600ull * 1000000; /* 2026-01-01 */
	g.mss = mss;
	g.bytes = 24;
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 262144);
	g.d = pd ? pcap_dump_open(pd, out) : NULL;
	g.pkt = malloc(HDRS + mss);
	uint8_t *msg = malloc(msize + 1);
	uint8_t *buf = malloc(msize + WS_MAX_HEADER + WS_MAX_CONTROL);
	struct conn *cs = calloc(nconn, sizeof(*cs));
	if (!g.d || !g.pkt || !msg || !buf || !cs) {
		fprintf(stderr, "mkpcap: %s: %s\n", out,
			pd && !g.d ? pcap_geterr(pd) : "out of memory");
		return 1;
	}
	static const char text[] = "The quick brown fox jumps over the lazy "
				   "dog; 0123456789. ";
	for (uint64_t i = 0; i < msize; i++)
		msg[i] = (uint8_t)text[i % (sizeof(text) - 1)];

	uint64_t target = mb << 20;
	/* what one more round adds, roughly, so the file ends near target */
	uint64_t per_round = 2 * (16 + HDRS + msize + WS_MAX_HEADER) + 40;
	int rc = 0;
	for (uint64_t i = 0; i < nconn && rc == 0; i++)
		rc = conn_open(&g, &cs[i], msgs);
	while (rc == 0 && g.bytes + per_round < target) {
		for (uint64_t i = 0; i < nconn && g.bytes + per_round < target;
		     i++) {
			struct conn *c = &cs[i];
			round_trip(&g, c, msg, msize, buf);
			if (c->left == 0) {
				conn_close(&g, c, buf);
				if (conn_open(&g, c, msgs) != 0)
					rc = -1;
			}
		}
	}
	for (uint64_t i = 0; i < nconn; i++)
		if (cs[i].open)
			conn_close(&g, &cs[i], buf);
	if (rc != 0)
		fprintf(stderr, "mkpcap: ws_hs_accept failed\n");
	if (pcap_dump_flush(g.d) != 0) {
		fprintf(stderr, "mkpcap: %s: write failed\n", out);
		rc = -1;
	}
	pcap_dump_close(g.d);
	pcap_close(pd);
	printf("file=%s bytes=%" PRIu64 " packets=%" PRIu64
	       " connections=%" PRIu64 " messages=%" PRIu64 "\n",
	       out, g.bytes, g.packets, g.conns, g.messages);
	free(cs);
	free(buf);
	free(msg);
	free(g.pkt);
	return rc == 0 ? 0 : 1;
}
