/* Unit tests for cap_reasm: segments built in memory, fed in every order
 * that matters, checked against the exact byte streams, gaps and ends a
 * recording sink saw. No pcap involved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_reasm.h"
#include "check_main.h"

#define MAXC 8

/* What a sink saw: per connection and direction, the stream as text with
 * gaps as "[gap N]" and ends as "[fin]", "[rst]", "[eoc]". */
struct rec {
	char s[MAXC][2][4096];
	int opened, closed, forgotten;
	uint64_t forgot[MAXC]; /* the first ids forgotten */
	struct cap_conn conn[MAXC];
	char log[4096];
};

static char *dirbuf(struct rec *r, struct cap_conn *c, enum cap_dir d)
{
	ck_assert_uint_ge(c->id, 1);
	ck_assert_uint_le(c->id, MAXC);
	return r->s[c->id - 1][d];
}

static void cat(char *dst, const char *src, size_t n)
{
	size_t l = strlen(dst);
	ck_assert_uint_lt(l + n, 4096);
	memcpy(dst + l, src, n);
	dst[l + n] = '\0';
}

static void on_open(void *ctx, struct cap_conn *c)
{
	struct rec *r = ctx;
	r->opened++;
	ck_assert_uint_eq(c->id, (uint64_t)r->opened);
	if (c->id > MAXC)
		return;
	char t[32];
	snprintf(t, sizeof(t), "open%llu ", (unsigned long long)c->id);
	cat(r->log, t, strlen(t));
}

static void on_data(void *ctx, struct cap_conn *c, enum cap_dir d,
		    const uint8_t *p, size_t n, uint64_t ts)
{
	(void)ts;
	ck_assert_uint_gt(n, 0);
	if (c->id > MAXC)
		return;
	cat(dirbuf(ctx, c, d), (const char *)p, n);
}

static void on_gap(void *ctx, struct cap_conn *c, enum cap_dir d, uint64_t n,
		   uint64_t ts)
{
	(void)ts;
	if (c->id > MAXC)
		return;
	char t[48];
	snprintf(t, sizeof(t), "[gap %llu]", (unsigned long long)n);
	cat(dirbuf(ctx, c, d), t, strlen(t));
}

static void on_end(void *ctx, struct cap_conn *c, enum cap_dir d,
		   enum cap_end how, uint64_t ts)
{
	(void)ts;
	if (c->id > MAXC)
		return;
	const char *t = how == CAP_END_FIN   ? "[fin]"
			: how == CAP_END_RST ? "[rst]"
					     : "[eoc]";
	cat(dirbuf(ctx, c, d), t, strlen(t));
}

static void on_close(void *ctx, struct cap_conn *c)
{
	struct rec *r = ctx;
	r->closed++;
	if (c->id > MAXC)
		return;
	r->conn[c->id - 1] = *c;
	char t[32];
	snprintf(t, sizeof(t), "close%llu ", (unsigned long long)c->id);
	cat(r->log, t, strlen(t));
}

static void on_forget(void *ctx, struct cap_conn *c)
{
	struct rec *r = ctx;
	/* only a connection that carried nothing is forgotten */
	ck_assert_uint_eq(c->bytes[0] + c->bytes[1], 0);
	ck_assert_uint_eq(c->gap_bytes[0] + c->gap_bytes[1], 0);
	if (r->forgotten < MAXC)
		r->forgot[r->forgotten] = c->id;
	r->forgotten++;
}

static struct rec R;
static struct cap_tcp_sink SINK = {&R,	   on_open,  on_data, on_gap,
				   on_end, on_close, NULL,    on_forget};

static struct cap_reasm *mk_opts(const struct cap_reasm_opts *o)
{
	memset(&R, 0, sizeof(R));
	struct cap_reasm *r = cap_reasm_new(&SINK, o);
	ck_assert_ptr_nonnull(r);
	return r;
}

static struct cap_reasm *mk(size_t limit)
{
	struct cap_reasm_opts o = {.ooo_limit = limit};
	return mk_opts(&o);
}

#define C2S_ 0
#define S2C_ 1

/* Feed a segment: dir C2S_ (10.0.0.1:40000 -> 10.0.0.2:80) or S2C_. */
static void feed(struct cap_reasm *r, int dir, uint32_t seq, uint32_t ack,
		 uint8_t flags, const char *data)
{
	struct cap_segment s;
	memset(&s, 0, sizeof(s));
	struct cap_endpoint a = {
	    .family = 4, .addr = {10, 0, 0, 1}, .port = 40000};
	struct cap_endpoint b = {
	    .family = 4, .addr = {10, 0, 0, 2}, .port = 80};
	s.src = dir == C2S_ ? a : b;
	s.dst = dir == C2S_ ? b : a;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.payload = (const uint8_t *)data;
	s.len = data ? strlen(data) : 0;
	s.ts_us = 1000;
	ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
}

#define A CAP_TCP_ACK
#define ISN_C 1000u
#define ISN_S 5000u

static void handshake(struct cap_reasm *r, uint32_t ic, uint32_t is)
{
	feed(r, C2S_, ic, 0, CAP_TCP_SYN, NULL);
	feed(r, S2C_, is, ic + 1, CAP_TCP_SYN | A, NULL);
	feed(r, C2S_, ic + 1, is + 1, A, NULL);
}

START_TEST(in_order)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "hello ");
	feed(r, C2S_, ISN_C + 7, ISN_S + 1, A, "world");
	feed(r, S2C_, ISN_S + 1, ISN_C + 12, A, "HELLO");
	feed(r, C2S_, ISN_C + 12, ISN_S + 6, A | CAP_TCP_FIN, NULL);
	feed(r, S2C_, ISN_S + 6, ISN_C + 13, A | CAP_TCP_FIN, NULL);
	feed(r, C2S_, ISN_C + 13, ISN_S + 7, A, NULL);
	ck_assert_str_eq(R.s[0][0], "hello world[fin]");
	ck_assert_str_eq(R.s[0][1], "HELLO[fin]");
	ck_assert_str_eq(R.log, "open1 close1 ");
	ck_assert(R.conn[0].saw_syn);
	ck_assert_uint_eq(R.conn[0].client.port, 40000);
	ck_assert_uint_eq(R.conn[0].bytes[0], 11);
	ck_assert_uint_eq(R.conn[0].bytes[1], 5);
	ck_assert_uint_eq(R.conn[0].gap_bytes[0], 0);
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.after_close, 1); /* the last ACK */
	ck_assert_uint_eq(st.gaps, 0);
	cap_reasm_free(r);
}
END_TEST

START_TEST(reversed)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 8, ISN_S + 1, A, "ghi");
	feed(r, C2S_, ISN_C + 5, ISN_S + 1, A, "def");
	ck_assert_str_eq(R.s[0][0], "");
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abc-");
	ck_assert_str_eq(R.s[0][0], "abc-defghi");
	cap_reasm_free(r);
	ck_assert_str_eq(R.s[0][0], "abc-defghi[eoc]");
	ck_assert_str_eq(R.s[0][1], "[eoc]");
	ck_assert_str_eq(R.log, "open1 close1 ");
}
END_TEST

static void permute(int *a, int k, int n, int *count)
{
	if (k == n) {
		static const char *parts[4] = {"abcd", "efgh", "ijkl", "mnop"};
		struct cap_reasm *r = mk(0);
		handshake(r, ISN_C, ISN_S);
		for (int i = 0; i < n; i++)
			feed(r, C2S_, ISN_C + 1 + 4 * (uint32_t)a[i], ISN_S + 1,
			     A, parts[a[i]]);
		cap_reasm_free(r);
		ck_assert_str_eq(R.s[0][0], "abcdefghijklmnop[eoc]");
		(*count)++;
		return;
	}
	for (int i = k; i < n; i++) {
		int t = a[k];
		a[k] = a[i];
		a[i] = t;
		permute(a, k + 1, n, count);
		a[i] = a[k];
		a[k] = t;
	}
}

START_TEST(permutations)
{
	int a[4] = {0, 1, 2, 3}, count = 0;
	permute(a, 0, 4, &count);
	ck_assert_int_eq(count, 24);
}
END_TEST

START_TEST(duplicates)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abc");
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abc");
	feed(r, C2S_, ISN_C + 7, ISN_S + 1, A, "ghi");
	feed(r, C2S_, ISN_C + 7, ISN_S + 1, A, "ghi");
	feed(r, C2S_, ISN_C + 4, ISN_S + 1, A, "def");
	feed(r, C2S_, ISN_C + 4, ISN_S + 1, A, "def");
	ck_assert_str_eq(R.s[0][0], "abcdefghi");
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.dup_bytes, 9);
	cap_reasm_free(r);
}
END_TEST

START_TEST(overlap_partial)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	/* in order, then a retransmission overlapping its tail */
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abcdef");
	feed(r, C2S_, ISN_C + 4, ISN_S + 1, A, "XXXghij");
	ck_assert_str_eq(R.s[0][0], "abcdefghij");
	/* buffered piece first; a later copy overlapping both sides loses */
	feed(r, C2S_, ISN_C + 15, ISN_S + 1, A, "opqr");
	feed(r, C2S_, ISN_C + 11, ISN_S + 1, A, "klmnYYYYst");
	ck_assert_str_eq(R.s[0][0], "abcdefghijklmnopqrst");
	/* both overlaps carried other bytes: counted, first copy kept */
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conflicts, 2);
	cap_reasm_free(r);
	ck_assert_uint_eq(R.conn[0].conflicts[0], 2);
	ck_assert_uint_eq(R.conn[0].conflict_off[0], 6);
	ck_assert_uint_eq(R.conn[0].conflicts[1], 0);
}
END_TEST

/* "Retransmission with different data" (same sequence number, other
 * bytes): counted per direction, the first copy kept; a faithful
 * retransmission is not counted. */
START_TEST(retransmission_conflicts)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abcdef");
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abcdef");  /* same */
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abcXef");  /* other */
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abcdefg"); /* more, same */
	feed(r, C2S_, ISN_C + 4, ISN_S + 1, A, "d");	   /* inside */
	feed(r, C2S_, ISN_C + 4, ISN_S + 1, A, "D");
	/* ahead of the stream, buffered, then a copy differing from it */
	feed(r, C2S_, ISN_C + 20, ISN_S + 1, A, "uvw");
	feed(r, C2S_, ISN_C + 20, ISN_S + 1, A, "uvw");
	feed(r, C2S_, ISN_C + 20, ISN_S + 1, A, "uVw");
	feed(r, S2C_, ISN_S + 1, ISN_C + 8, A, "HELLO");
	feed(r, S2C_, ISN_S + 1, ISN_C + 8, A, "HELLO");
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conflicts, 3);
	cap_reasm_free(r);
	ck_assert_str_eq(R.s[0][0], "abcdefg[gap 12]uvw[eoc]");
	ck_assert_str_eq(R.s[0][1], "HELLO[eoc]");
	ck_assert_uint_eq(R.conn[0].conflicts[0], 3);
	ck_assert_uint_eq(R.conn[0].conflicts[1], 0);
	ck_assert_uint_eq(R.conn[0].conflict_off[0], 6);
	ck_assert_uint_eq(R.conn[0].conflict_us[0], 1000);
}
END_TEST

/* A retransmission of a segment older than the last CAP_SEEN_BYTES bytes
 * is compared by its hash when it covers that segment whole. */
START_TEST(retransmission_conflict_old)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	char seg[10][301];
	for (int i = 0; i < 10; i++) {
		memset(seg[i], 'a' + i, 300);
		seg[i][300] = '\0';
		feed(r, C2S_, ISN_C + 1 + 300 * (uint32_t)i, ISN_S + 1, A,
		     seg[i]);
	}
	/* segment 2 (bytes 600..899, before the last 1024 of 3000) */
	feed(r, C2S_, ISN_C + 601, ISN_S + 1, A, seg[2]);
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conflicts, 0);
	seg[2][100] = 'X';
	feed(r, C2S_, ISN_C + 601, ISN_S + 1, A, seg[2]);
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conflicts, 1);
	/* with the segment after it, longer: compared as well */
	char two[601];
	memcpy(two, seg[2], 300);
	memcpy(two + 300, seg[3], 301);
	two[100] = 'c';
	feed(r, C2S_, ISN_C + 601, ISN_S + 1, A, two);
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conflicts, 1);
	two[400] = 'Y';
	feed(r, C2S_, ISN_C + 601, ISN_S + 1, A, two);
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conflicts, 2);
	cap_reasm_free(r);
	ck_assert_uint_eq(R.conn[0].bytes[0], 3000);
}
END_TEST

START_TEST(overlap_full)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 3, ISN_S + 1, A, "cd");
	feed(r, C2S_, ISN_C + 7, ISN_S + 1, A, "gh");
	feed(r, C2S_, ISN_C + 4, ISN_S + 1, A, "d"); /* inside "cd" */
	/* one segment covering both buffered pieces and the holes */
	feed(r, C2S_, ISN_C + 2, ISN_S + 1, A, "bXdefXhi");
	ck_assert_str_eq(R.s[0][0], "");
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "a");
	ck_assert_str_eq(R.s[0][0], "abcdefghi");
	cap_reasm_free(r);
}
END_TEST

START_TEST(seq_wrap)
{
	struct cap_reasm *r = mk(0);
	uint32_t ic = 0xfffffff0u;
	handshake(r, ic, 0xfffffffeu);
	/* 40 bytes across 2^32, in the order 3 1 4 2 */
	const char *p[4] = {"0123456789", "abcdefghij", "ABCDEFGHIJ",
			    "klmnopqrst"};
	int order[4] = {2, 0, 3, 1};
	for (int i = 0; i < 4; i++)
		feed(r, C2S_, ic + 1 + 10 * (uint32_t)order[i], 0xffffffffu, A,
		     p[order[i]]);
	feed(r, S2C_, 0xffffffffu, ic + 41, A, "xyz");
	ck_assert_str_eq(R.s[0][0], "0123456789abcdefghijABCDEFGHIJklmnopqrst");
	ck_assert_str_eq(R.s[0][1], "xyz");
	cap_reasm_free(r);
}
END_TEST

START_TEST(mid_stream)
{
	struct cap_reasm *r = mk(0);
	/* server speaks first in the capture: it is the first data sender */
	feed(r, S2C_, 777, 333, A, "late");
	feed(r, C2S_, 333, 781, A, "reply");
	cap_reasm_free(r);
	ck_assert(!R.conn[0].saw_syn);
	ck_assert_uint_eq(R.conn[0].client.port, 80);
	ck_assert_str_eq(R.s[0][0], "late[eoc]");
	ck_assert_str_eq(R.s[0][1], "reply[eoc]");

	/* first packet a bare ACK: the higher port is the client */
	r = mk(0);
	feed(r, S2C_, 777, 333, A, NULL);
	feed(r, S2C_, 777, 333, A, "x");
	cap_reasm_free(r);
	ck_assert_uint_eq(R.conn[0].client.port, 40000);
	ck_assert_str_eq(R.s[0][1], "x[eoc]");
}
END_TEST

START_TEST(gap_at_end)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abcde");
	feed(r, C2S_, ISN_C + 11, ISN_S + 1, A, "klmno");
	feed(r, C2S_, ISN_C + 19, ISN_S + 1, A, "tu");
	ck_assert_str_eq(R.s[0][0], "abcde");
	cap_reasm_free(r);
	ck_assert_str_eq(R.s[0][0], "abcde[gap 5]klmno[gap 3]tu[eoc]");
	ck_assert_uint_eq(R.conn[0].gap_bytes[0], 8);
	ck_assert_uint_eq(R.conn[0].bytes[0], 12);
}
END_TEST

START_TEST(gap_by_ack)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "abcde");
	/* the server acknowledges 10 bytes: 5 were never captured */
	feed(r, S2C_, ISN_S + 1, ISN_C + 11, A, NULL);
	ck_assert_str_eq(R.s[0][0], "abcde[gap 5]");
	feed(r, C2S_, ISN_C + 11, ISN_S + 1, A, "klm");
	ck_assert_str_eq(R.s[0][0], "abcde[gap 5]klm");
	/* a late copy of the lost bytes is a duplicate now */
	feed(r, C2S_, ISN_C + 6, ISN_S + 1, A, "fghij");
	ck_assert_str_eq(R.s[0][0], "abcde[gap 5]klm");
	cap_reasm_free(r);
}
END_TEST

START_TEST(gap_at_fin)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "ab");
	feed(r, C2S_, ISN_C + 5, ISN_S + 1, A | CAP_TCP_FIN, "ef");
	ck_assert_str_eq(R.s[0][0], "ab");
	/* the FIN is acknowledged: the hole before it can never fill */
	feed(r, S2C_, ISN_S + 1, ISN_C + 8, A | CAP_TCP_FIN, NULL);
	ck_assert_str_eq(R.s[0][0], "ab[gap 2]ef[fin]");
	ck_assert_str_eq(R.s[0][1], "[fin]");
	ck_assert_str_eq(R.log, "open1 close1 ");
	cap_reasm_free(r);
}
END_TEST

START_TEST(snaplen_cut)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	struct cap_segment s;
	memset(&s, 0, sizeof(s));
	s.src = (struct cap_endpoint){
	    .family = 4, .addr = {10, 0, 0, 1}, .port = 40000};
	s.dst = (struct cap_endpoint){
	    .family = 4, .addr = {10, 0, 0, 2}, .port = 80};
	s.flags = A;
	s.seq = ISN_C + 1;
	s.payload = (const uint8_t *)"abc";
	s.len = 3;
	s.missing = 7;
	ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
	s.seq = ISN_C + 11;
	s.payload = (const uint8_t *)"klm";
	s.missing = 0;
	ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
	ck_assert_str_eq(R.s[0][0], "abc[gap 7]klm");
	/* out of order with a cut tail */
	s.seq = ISN_C + 20;
	s.payload = (const uint8_t *)"uv";
	s.len = 2;
	s.missing = 3;
	ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
	s.seq = ISN_C + 14;
	s.payload = (const uint8_t *)"nopqrs";
	s.len = 6;
	s.missing = 0;
	ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
	ck_assert_str_eq(R.s[0][0], "abc[gap 7]klmnopqrsuv[gap 3]");
	cap_reasm_free(r);
}
END_TEST

START_TEST(fin_and_rst)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A | CAP_TCP_FIN, "bye");
	ck_assert_str_eq(R.s[0][0], "bye[fin]");
	feed(r, S2C_, ISN_S + 1, ISN_C + 5, A, "late");
	feed(r, S2C_, ISN_S + 9, ISN_C + 5, A, "er"); /* hole of 4 */
	feed(r, S2C_, ISN_S + 11, ISN_C + 5, CAP_TCP_RST, NULL);
	ck_assert_str_eq(R.s[0][1], "late[gap 4]er[rst]");
	ck_assert_str_eq(R.log, "open1 close1 ");
	feed(r, C2S_, ISN_C + 5, ISN_S + 11, A, NULL); /* after close */
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.after_close, 1);
	cap_reasm_free(r);
	ck_assert_str_eq(R.log, "open1 close1 ");

	/* a reset with both directions open ends both */
	r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "x");
	feed(r, C2S_, ISN_C + 2, ISN_S + 1, CAP_TCP_RST | A, NULL);
	ck_assert_str_eq(R.s[0][0], "x[rst]");
	ck_assert_str_eq(R.s[0][1], "[rst]");
	ck_assert_int_eq(R.closed, 1);
	cap_reasm_free(r);
}
END_TEST

START_TEST(syn_reuse)
{
	struct cap_reasm *r = mk(0);
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A | CAP_TCP_FIN, "one");
	feed(r, S2C_, ISN_S + 1, ISN_C + 5, A | CAP_TCP_FIN, "1");
	feed(r, C2S_, ISN_C + 5, ISN_S + 3, A, NULL);
	handshake(r, 90000, 70000);
	feed(r, C2S_, 90001, 70001, A, "two");
	cap_reasm_free(r);
	ck_assert_str_eq(R.log, "open1 close1 open2 close2 ");
	ck_assert_str_eq(R.s[0][0], "one[fin]");
	ck_assert_str_eq(R.s[0][1], "1[fin]");
	ck_assert_str_eq(R.s[1][0], "two[eoc]");
	ck_assert_str_eq(R.s[1][1], "[eoc]");
	ck_assert(R.conn[1].saw_syn);
}
END_TEST

START_TEST(ooo_bound)
{
	struct cap_reasm *r = mk(8); /* 8 bytes of out-of-order data */
	handshake(r, ISN_C, ISN_S);
	feed(r, C2S_, ISN_C + 1, ISN_S + 1, A, "ab");
	feed(r, C2S_, ISN_C + 5, ISN_S + 1, A, "efgh"); /* hole "cd" */
	feed(r, C2S_, ISN_C + 11, ISN_S + 1, A, "kl");	/* hole "ij" */
	ck_assert_str_eq(R.s[0][0], "ab");
	/* 6 buffered; 4 more exceed the bound: the first hole goes */
	feed(r, C2S_, ISN_C + 15, ISN_S + 1, A, "opqr");
	ck_assert_str_eq(R.s[0][0], "ab[gap 2]efgh");
	/* a piece alone larger than the bound */
	feed(r, C2S_, ISN_C + 31, ISN_S + 1, A, "0123456789");
	ck_assert_str_eq(R.s[0][0],
			 "ab[gap 2]efgh[gap 2]kl[gap 2]opqr[gap 12]0123456789");
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.gaps, 4);
	ck_assert_uint_eq(st.gap_bytes, 18);
	cap_reasm_free(r);
}
END_TEST

START_TEST(many_connections)
{
	/* enough connections to grow the table several times */
	struct cap_reasm *r = mk(0);
	struct cap_segment s;
	memset(&s, 0, sizeof(s));
	uint64_t n = 5000;
	for (uint64_t i = 0; i < n; i++) {
		s.src = (struct cap_endpoint){.family = 6, .port = 1024};
		s.src.addr[15] = 1;
		s.src.addr[0] = (uint8_t)(i >> 8);
		s.src.addr[1] = (uint8_t)i;
		s.dst = (struct cap_endpoint){.family = 6, .port = 443};
		s.dst.addr[15] = 2;
		s.flags = CAP_TCP_SYN;
		s.seq = (uint32_t)i;
		ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
	}
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conns, n);
	/* the same tuples again in reverse are the same connections */
	struct cap_endpoint cl = {.family = 6, .port = 1024};
	struct cap_endpoint sv = {.family = 6, .port = 443};
	cl.addr[15] = 1;
	sv.addr[15] = 2;
	for (uint64_t i = 0; i < n; i++) {
		cl.addr[0] = (uint8_t)(i >> 8);
		cl.addr[1] = (uint8_t)i;
		s.src = sv;
		s.dst = cl;
		s.flags = CAP_TCP_SYN | A;
		ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
	}
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conns, n);
	cap_reasm_free(r);
}
END_TEST

/* --- bounded state: SYN floods, port scans ----------------------------- */

/* A segment from 10.1.x.y:(1024 + i % 50000) (i-th flood client) to
 * 10.0.0.2:80 or back, at time ts. */
static void flood_seg(struct cap_reasm *r, uint32_t i, int back, uint8_t flags,
		      uint64_t ts)
{
	struct cap_segment s;
	memset(&s, 0, sizeof(s));
	struct cap_endpoint cl = {
	    .family = 4,
	    .addr = {10, 1, (uint8_t)(i >> 8), (uint8_t)i},
	    .port = (uint16_t)(1024 + i % 50000)};
	struct cap_endpoint sv = {
	    .family = 4, .addr = {10, 0, 0, 2}, .port = 80};
	s.src = back ? sv : cl;
	s.dst = back ? cl : sv;
	s.seq = i * 7919u;
	s.ack = back ? i * 7919u + 1 : 0;
	s.flags = flags;
	s.ts_us = ts;
	ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
}

/* Feed a segment of the real connection (C2S_/S2C_ as `feed`) at ts. */
static void feed_at(struct cap_reasm *r, int dir, uint32_t seq, uint32_t ack,
		    uint8_t flags, const char *data, uint64_t ts)
{
	struct cap_segment s;
	memset(&s, 0, sizeof(s));
	struct cap_endpoint a = {
	    .family = 4, .addr = {10, 0, 0, 1}, .port = 40000};
	struct cap_endpoint b = {
	    .family = 4, .addr = {10, 0, 0, 2}, .port = 80};
	s.src = dir == C2S_ ? a : b;
	s.dst = dir == C2S_ ? b : a;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.payload = (const uint8_t *)data;
	s.len = data ? strlen(data) : 0;
	s.ts_us = ts;
	ck_assert_int_eq(cap_reasm_segment(r, &s), 0);
}

START_TEST(syn_flood_bounded)
{
	/* 50000 SYNs never answered, 5 us apart (a quarter of a second:
	 * the idle limit never comes into it), around a real connection
	 * that talks now and then: at most max_quiet quiet connections are
	 * held, the oldest evicted first, the real one never. */
	struct cap_reasm_opts o = {.max_quiet = 1000};
	struct cap_reasm *r = mk_opts(&o);
	uint64_t t = 1000;
	feed_at(r, C2S_, ISN_C, 0, CAP_TCP_SYN, NULL, t);
	feed_at(r, S2C_, ISN_S, ISN_C + 1, CAP_TCP_SYN | A, NULL, t);
	feed_at(r, C2S_, ISN_C + 1, ISN_S + 1, A, "ab", t);
	uint32_t sent = 2;
	size_t most = 0;
	const uint32_t n = 50000;
	for (uint32_t i = 0; i < n; i++) {
		flood_seg(r, i, 0, CAP_TCP_SYN, t += 5);
		if (i % 5000 == 4999) { /* the real one: 2 bytes */
			feed_at(r, C2S_, ISN_C + 1 + sent, ISN_S + 1, A, "ab",
				t);
			sent += 2;
		}
		size_t held = cap_reasm_held(r);
		most = held > most ? held : most;
		ck_assert_uint_le(cap_reasm_quiet(r), 1000);
	}
	ck_assert_uint_le(most, 1001); /* the quiet ones and the real one */
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conns, n + 1);
	ck_assert_uint_eq(st.evicted, n - 1000);
	ck_assert_int_eq(R.forgotten, (int)(n - 1000));
	/* the flood, oldest first */
	ck_assert_uint_eq(R.forgot[0], 2);
	ck_assert_uint_eq(R.forgot[1], 3);
	cap_reasm_free(r);
	ck_assert_uint_eq(R.conn[0].bytes[0], 22);
	ck_assert_str_eq(R.s[0][0], "ababababababababababab[eoc]");
	/* the 1000 still held at the end are reported as usual */
	ck_assert_int_eq(R.closed, 1 + 1000);
	ck_assert_int_eq(R.opened, (int)n + 1);
}
END_TEST

START_TEST(handshake_survives_flood)
{
	/* a connection whose handshake completed, quiet yet, outlives a SYN
	 * flood of half-open ones: they are evicted first */
	struct cap_reasm_opts o = {.max_quiet = 100};
	struct cap_reasm *r = mk_opts(&o);
	uint64_t t = 1;
	feed_at(r, C2S_, ISN_C, 0, CAP_TCP_SYN, NULL, t);
	feed_at(r, S2C_, ISN_S, ISN_C + 1, CAP_TCP_SYN | A, NULL, t);
	for (uint32_t i = 0; i < 1000; i++) { /* answered, never ACKed */
		flood_seg(r, i, 0, CAP_TCP_SYN, ++t);
		flood_seg(r, i, 1, CAP_TCP_SYN | A, ++t);
		if (i == 10) /* the real one's ACK */
			feed_at(r, C2S_, ISN_C + 1, ISN_S + 1, A, NULL, t);
		ck_assert_uint_le(cap_reasm_quiet(r), 100);
	}
	feed_at(r, C2S_, ISN_C + 1, ISN_S + 1, A, "late", ++t);
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.conns, 1001);
	ck_assert_uint_eq(st.evicted, 1000 - 99);
	for (int k = 0; k < MAXC; k++)
		ck_assert_uint_ne(R.forgot[k], 1);
	cap_reasm_free(r);
	ck_assert(R.conn[0].saw_syn);
	ck_assert_str_eq(R.s[0][0], "late[eoc]");
}
END_TEST

START_TEST(quiet_idle_evicted)
{
	/* capture time, not wall-clock time: a quiet connection silent for
	 * more than quiet_idle_us goes at the next segment; a quiet one that
	 * keeps sending ACKs stays, and so does an established one with
	 * payload however long it is silent */
	struct cap_reasm_opts o = {.quiet_idle_us = 60 * 1000000};
	struct cap_reasm *r = mk_opts(&o);
	uint64_t s1 = 1000000;
	feed_at(r, C2S_, ISN_C, 0, CAP_TCP_SYN, NULL, s1);
	feed_at(r, S2C_, ISN_S, ISN_C + 1, CAP_TCP_SYN | A, NULL, s1);
	feed_at(r, C2S_, ISN_C + 1, ISN_S + 1, A, "hello", s1);
	flood_seg(r, 1, 0, CAP_TCP_SYN, s1);	 /* #2: silent */
	flood_seg(r, 2, 0, CAP_TCP_SYN, s1);	 /* #3: keeps talking */
	flood_seg(r, 2, 1, CAP_TCP_SYN | A, s1); /* (answered) */
	for (int k = 1; k <= 5; k++) {
		uint64_t now = s1 + (uint64_t)k * 50 * 1000000;
		flood_seg(r, 2, 0, A, now);
		/* #2 silent for more than 60 s at 100 s */
		ck_assert_int_eq(R.forgotten, k >= 2);
	}
	ck_assert_uint_eq(R.forgot[0], 2);
	ck_assert_uint_eq(cap_reasm_quiet(r), 1);
	/* #1 silent for 300 s, still there: its bytes go on */
	feed_at(r, S2C_, ISN_S + 1, ISN_C + 6, A, "world", s1 + 300000000);
	cap_reasm_free(r);
	ck_assert_str_eq(R.s[0][0], "hello[eoc]");
	ck_assert_str_eq(R.s[0][1], "world[eoc]");
	ck_assert_int_eq(R.forgotten, 1);
	ck_assert_int_eq(R.closed, 2);
}
END_TEST

START_TEST(gap_is_not_quiet)
{
	/* no payload seen, but the server ACKs bytes never captured: they
	 * were sent, the connection is not evicted */
	struct cap_reasm_opts o = {.quiet_idle_us = 1000};
	struct cap_reasm *r = mk_opts(&o);
	feed_at(r, C2S_, ISN_C, 0, CAP_TCP_SYN, NULL, 1);
	feed_at(r, S2C_, ISN_S, ISN_C + 1, CAP_TCP_SYN | A, NULL, 1);
	feed_at(r, S2C_, ISN_S + 1, ISN_C + 11, A, NULL, 2);
	flood_seg(r, 1, 0, CAP_TCP_SYN, 1000000);
	ck_assert_int_eq(R.forgotten, 0);
	cap_reasm_free(r);
	ck_assert_str_eq(R.s[0][0], "[gap 10][eoc]");
}
END_TEST

START_TEST(port_scan_bounded)
{
	/* SYN, RST+ACK on 5000 ports: the first max_quiet are reported (a
	 * refused connection is worth seeing), later ones only counted;
	 * closed ones are remembered at most max_closed at a time */
	struct cap_reasm_opts o = {.max_quiet = 100, .max_closed = 300};
	struct cap_reasm *r = mk_opts(&o);
	uint64_t t = 1;
	for (uint32_t i = 0; i < 5000; i++) {
		flood_seg(r, i, 0, CAP_TCP_SYN, t++);
		flood_seg(r, i, 1, CAP_TCP_RST | A, t++);
		ck_assert_uint_le(cap_reasm_held(r), 300);
	}
	struct cap_reasm_stats st;
	cap_reasm_get_stats(r, &st);
	ck_assert_uint_eq(st.evicted, 4900);
	ck_assert_int_eq(R.closed, 100);
	ck_assert_uint_eq(cap_reasm_held(r), 100);
	/* a connection with payload closing is not held to the cap */
	feed_at(r, C2S_, ISN_C, 0, CAP_TCP_SYN, NULL, t);
	feed_at(r, C2S_, ISN_C + 1, 0, A, "x", t);
	feed_at(r, C2S_, ISN_C + 2, 0, CAP_TCP_RST, NULL, t);
	ck_assert_int_eq(R.closed, 101);
	cap_reasm_free(r);
}
END_TEST

static Suite *cap_reasm_suite(void)
{
	Suite *s = suite_create("cap_reasm");
	TCase *tc;
	tc = tcase_create("in_order");
	tcase_add_test(tc, in_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("out_of_order");
	tcase_add_test(tc, reversed);
	tcase_add_test(tc, permutations);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, overlap_partial);
	tcase_add_test(tc, overlap_full);
	tcase_add_test(tc, retransmission_conflicts);
	tcase_add_test(tc, retransmission_conflict_old);
	tcase_add_test(tc, seq_wrap);
	suite_add_tcase(s, tc);
	tc = tcase_create("gaps");
	tcase_add_test(tc, gap_at_end);
	tcase_add_test(tc, gap_by_ack);
	tcase_add_test(tc, gap_at_fin);
	tcase_add_test(tc, snaplen_cut);
	tcase_add_test(tc, ooo_bound);
	suite_add_tcase(s, tc);
	tc = tcase_create("lifecycle");
	tcase_add_test(tc, mid_stream);
	tcase_add_test(tc, fin_and_rst);
	tcase_add_test(tc, syn_reuse);
	tcase_add_test(tc, many_connections);
	tcase_add_test(tc, syn_flood_bounded);
	tcase_add_test(tc, handshake_survives_flood);
	tcase_add_test(tc, quiet_idle_evicted);
	tcase_add_test(tc, gap_is_not_quiet);
	tcase_add_test(tc, port_scan_bounded);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(cap_reasm_suite)
