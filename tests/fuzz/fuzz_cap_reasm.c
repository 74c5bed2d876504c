/* libFuzzer target for the TCP reassembler: the input is a sequence of
 * 5-byte segment records on two 4-tuples:
 *   byte 0: bit 0 direction (server to client), bits 1-4 FIN SYN RST ACK,
 *           bit 5 cut (half the payload missing, as a snap length does),
 *           bit 6 the second 4-tuple, bit 7 capture time jumps 200 s
 *   bytes 1-2: signed sequence delta from the direction's cursor
 *   byte 3: signed ACK delta from the other direction's cursor
 *   byte 4: payload length
 * Payload bytes are not taken from the input: the byte at sequence number
 * s is (s & 0xff), so the sink can check that what it is given is
 * contiguous in stream order except across declared gaps (the next byte
 * after a gap of n is n + 1 past the previous), that nothing arrives after
 * a direction ended or the connection closed, and that every opened
 * connection is closed (or, having carried nothing, forgotten) once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cap_reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

struct fstate {
	int have[2];	 /* a previous byte is known */
	uint8_t next[2]; /* the byte expected next */
	int ended[2];
	uint64_t seen[2]; /* bytes + gaps: must equal bytes + gap_bytes */
};

static long live;

static void f_open(void *ctx, struct cap_conn *c)
{
	(void)ctx;
	check(c->user == NULL);
	c->user = calloc(1, sizeof(struct fstate));
	check(c->user != NULL);
	live++;
}

static void f_data(void *ctx, struct cap_conn *c, enum cap_dir d,
		   const uint8_t *p, size_t n, uint64_t ts)
{
	(void)ctx;
	(void)ts;
	struct fstate *f = c->user;
	check(f != NULL && n > 0 && !f->ended[d]);
	for (size_t i = 0; i < n; i++) {
		if (f->have[d])
			check(p[i] == f->next[d]);
		f->have[d] = 1;
		f->next[d] = (uint8_t)(p[i] + 1);
	}
	f->seen[d] += n;
	check(f->seen[d] == c->bytes[d] + c->gap_bytes[d]);
}

static void f_gap(void *ctx, struct cap_conn *c, enum cap_dir d, uint64_t n,
		  uint64_t ts)
{
	(void)ctx;
	(void)ts;
	struct fstate *f = c->user;
	check(f != NULL && n > 0 && !f->ended[d]);
	f->next[d] = (uint8_t)(f->next[d] + n);
	f->seen[d] += n;
	check(f->seen[d] == c->bytes[d] + c->gap_bytes[d]);
}

static void f_end(void *ctx, struct cap_conn *c, enum cap_dir d,
		  enum cap_end how, uint64_t ts)
{
	(void)ctx;
	(void)ts;
	(void)how;
	struct fstate *f = c->user;
	check(f != NULL && !f->ended[d]);
	f->ended[d] = 1;
}

static void f_close(void *ctx, struct cap_conn *c)
{
	(void)ctx;
	struct fstate *f = c->user;
	check(f != NULL && f->ended[0] && f->ended[1]);
	free(f);
	c->user = NULL;
	live--;
}

/* Instead of close, for a connection that carried nothing. */
static void f_forget(void *ctx, struct cap_conn *c)
{
	(void)ctx;
	struct fstate *f = c->user;
	check(f != NULL && f->seen[0] == 0 && f->seen[1] == 0);
	free(f);
	c->user = NULL;
	live--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cap_tcp_sink sink = {
	    NULL, f_open, f_data, f_gap, f_end, f_close, NULL, f_forget};
	struct cap_reasm_opts o = {.ooo_limit = 2048};
	struct cap_reasm *r = cap_reasm_new(&sink, &o);
	if (!r)
		return 0;
	live = 0;
	uint32_t cur[2][2] = {{0xffffff00u, 0x7fffff00u},
			      {0xffffff00u, 0x7fffff00u}};
	uint8_t payload[256];
	uint64_t ts = 1;
	for (size_t i = 0; i + 5 <= size; i += 5) {
		const uint8_t *p = data + i;
		int d = p[0] & 1, t = (p[0] >> 6) & 1;
		struct cap_segment s;
		memset(&s, 0, sizeof(s));
		struct cap_endpoint a = {.family = 4,
					 .addr = {127, 0, 0, 1},
					 .port = (uint16_t)(40000 + t)};
		struct cap_endpoint b = {
		    .family = 4, .addr = {127, 0, 0, 1}, .port = 80};
		s.src = d ? b : a;
		s.dst = d ? a : b;
		s.flags = (uint8_t)(((p[0] >> 1) & 1 ? CAP_TCP_FIN : 0) |
				    ((p[0] >> 2) & 1 ? CAP_TCP_SYN : 0) |
				    ((p[0] >> 3) & 1 ? CAP_TCP_RST : 0) |
				    ((p[0] >> 4) & 1 ? CAP_TCP_ACK : 0));
		int16_t sd = (int16_t)(uint16_t)(p[1] << 8 | p[2]);
		s.seq = cur[t][d] + (uint32_t)(int32_t)sd;
		s.ack = cur[t][!d] + (uint32_t)(int32_t)(int8_t)p[3];
		size_t len = p[4];
		uint32_t dseq = s.seq + ((s.flags & CAP_TCP_SYN) ? 1u : 0u);
		for (size_t k = 0; k < len; k++)
			payload[k] = (uint8_t)(dseq + k);
		s.payload = payload;
		s.len = len;
		if (p[0] & 0x20) {
			s.missing = (uint32_t)(len / 2);
			s.len = len - s.missing;
		}
		if (p[0] & 0x80)
			ts += 200000000;
		s.ts_us = ts++;
		cur[t][d] = dseq + (uint32_t)len;
		cap_reasm_segment(r, &s);
	}
	cap_reasm_finish(r);
	check(live == 0);
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	check(st.segments == size / 5);
	cap_reasm_free(r);
	return 0;
}
