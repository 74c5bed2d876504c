/* Unit tests for capture under a SYN flood and a port scan, end to end
 * below the CLI: a pcap written here (pcap_open_dead + pcap_dump) is read
 * with cap_pcap, reassembled by cap_reasm and collected by cap_sessions,
 * as `wssim capture -r` does. The state held stays under the reassembler's
 * cap at every packet (its counter, not RSS or time), the evicted
 * connections are counted in the JSON, and a real HTTP exchange in the
 * middle of the flood comes out whole. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_pcap.h"
#include "cap_reasm.h"
#include "cap_script.h"
#include "cap_session.h"
#include "check_main.h"
#include "test_util.h"

#define REQ "GET /flood HTTP/1.1\r\nHost: x\r\n\r\n"
#define RESP "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)(v >> 16));
	w16(p + 2, (uint16_t)v);
}

struct writer {
	pcap_t *pd;
	pcap_dumper_t *dp;
	uint64_t ts_us;
};

/* One raw IPv4 packet from a:ap to b:bp, 5 us after the previous one. */
static void pkt(struct writer *w, const uint8_t a[4], uint16_t ap,
		const uint8_t b[4], uint16_t bp, uint32_t seq, uint32_t ack,
		uint8_t flags, const char *data)
{
	uint8_t p[256];
	size_t dl = data ? strlen(data) : 0;
	ck_assert_uint_le(dl, sizeof(p) - 40);
	memset(p, 0, 40);
	p[0] = 0x45;
	w16(p + 2, (uint16_t)(40 + dl));
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, a, 4);
	memcpy(p + 16, b, 4);
	w16(p + 20, ap);
	w16(p + 22, bp);
	w32(p + 24, seq);
	w32(p + 28, ack);
	p[32] = 5 << 4;
	p[33] = flags;
	w16(p + 34, 65535);
	memcpy(p + 40, data ? data : "", dl);
	struct pcap_pkthdr h = {.caplen = (bpf_u_int32)(40 + dl),
				.len = (bpf_u_int32)(40 + dl)};
	w->ts_us += 5;
	h.ts.tv_sec = (time_t)(1700000000 + w->ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(w->ts_us % 1000000);
	pcap_dump((u_char *)w->dp, &h, p);
}

static const uint8_t CLIENT[4] = {192, 0, 2, 1}, SERVER[4] = {192, 0, 2, 2};

/* `n` flood packets: a SYN from 10.x.y.z:port each (and with `rst` the
 * server's RST+ACK, a port scan's answer), the real connection's request
 * before them and its response and FINs after. */
static void write_flood(const char *file, uint32_t n, bool rst)
{
	struct writer w = {0};
	w.pd = pcap_open_dead(DLT_RAW, 65535);
	ck_assert_ptr_nonnull(w.pd);
	w.dp = pcap_dump_open(w.pd, file);
	ck_assert_ptr_nonnull(w.dp);
	uint32_t c = 1000, s = 5000, ql = sizeof(REQ) - 1,
		 sl = sizeof(RESP) - 1;
	pkt(&w, CLIENT, 41000, SERVER, 8080, c, 0, CAP_TCP_SYN, NULL);
	pkt(&w, SERVER, 8080, CLIENT, 41000, s, c + 1,
	    CAP_TCP_SYN | CAP_TCP_ACK, NULL);
	pkt(&w, CLIENT, 41000, SERVER, 8080, c + 1, s + 1, CAP_TCP_ACK, REQ);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t a[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
				(uint8_t)i};
		uint16_t port = (uint16_t)(1024 + i % 60000);
		pkt(&w, a, port, SERVER, 80, i * 7919u, 0, CAP_TCP_SYN, NULL);
		if (rst)
			pkt(&w, SERVER, 80, a, port, 0, i * 7919u + 1,
			    CAP_TCP_RST | CAP_TCP_ACK, NULL);
	}
	pkt(&w, SERVER, 8080, CLIENT, 41000, s + 1, c + 1 + ql,
	    CAP_TCP_ACK | CAP_TCP_PSH, RESP);
	pkt(&w, CLIENT, 41000, SERVER, 8080, c + 1 + ql, s + 1 + sl,
	    CAP_TCP_ACK | CAP_TCP_FIN, NULL);
	pkt(&w, SERVER, 8080, CLIENT, 41000, s + 1 + sl, c + 2 + ql,
	    CAP_TCP_ACK | CAP_TCP_FIN, NULL);
	pcap_dump_close(w.dp);
	pcap_close(w.pd);
}

/* Read `file` as `wssim capture -r` does, with at most `max_quiet` quiet
 * connections; the most connections held at any packet in *most. */
static struct cap_sessions *read_flood(const char *file, size_t max_quiet,
				       size_t *most, struct cap_reasm_stats *st)
{
	struct cap_session_opts so = {.keep_messages = true};
	struct cap_sessions *ss = cap_sessions_new(&so);
	ck_assert_ptr_nonnull(ss);
	struct cap_reasm_opts ro = {.max_quiet = max_quiet};
	struct cap_reasm *r = cap_reasm_new(cap_sessions_sink(ss), &ro);
	ck_assert_ptr_nonnull(r);
	struct cap_pcap *p;
	char err[512];
	ck_assert_int_eq(cap_pcap_open_file(&p, file, err, sizeof(err)), 0);
	struct cap_segment seg;
	int rc;
	*most = 0;
	while ((rc = cap_pcap_next(p, &seg)) == CAP_PCAP_SEGMENT) {
		ck_assert_int_eq(cap_reasm_segment(r, &seg), 0);
		size_t held = cap_reasm_held(r);
		*most = held > *most ? held : *most;
	}
	ck_assert_int_eq(rc, CAP_PCAP_END);
	cap_pcap_close(p);
	cap_reasm_finish(r);
	cap_reasm_get_stats(r, st);
	cap_reasm_free(r);
	return ss;
}

START_TEST(syn_flood)
{
	char path[512];
	test_scratch_path(path, sizeof(path), "flood.pcap");
	write_flood(path, 30000, false);
	size_t most;
	struct cap_reasm_stats st;
	struct cap_sessions *ss = read_flood(path, 500, &most, &st);
	/* the quiet ones and the real one (quiet no longer: it spoke) */
	ck_assert_uint_le(most, 501);
	ck_assert_uint_eq(st.conns, 30001);
	ck_assert_uint_eq(st.evicted, 30000 - 500);
	ck_assert_uint_eq(cap_sessions_evicted(ss), 30000 - 500);
	ck_assert_uint_eq(cap_sessions_count(ss), 501);
	char *j = sessions_written(ss, cap_sessions_write_json);
	ck_assert_ptr_nonnull(strstr(j, "\"version\":3,"));
	ck_assert_ptr_nonnull(strstr(j, "\"evicted_connections\":29500,"));
	free(j);
	char *sum = sessions_written(ss, cap_sessions_write_summary);
	ck_assert_msg(strstr(sum, "#1 192.0.2.1:41000 -> 192.0.2.2:8080 http "
				  "\"GET /flood\" 200: 1 request, 1 response"),
		      "%.300s", sum);
	/* the last 500 SYNs, still open at the end, are listed */
	ck_assert_ptr_nonnull(strstr(sum, "\n#29502 "));
	ck_assert_ptr_null(strstr(sum, "\n#29501 "));
	free(sum);
	cap_sessions_free(ss);
}
END_TEST

START_TEST(port_scan)
{
	char path[512];
	test_scratch_path(path, sizeof(path), "scan.pcap");
	write_flood(path, 20000, true);
	size_t most;
	struct cap_reasm_stats st;
	struct cap_sessions *ss = read_flood(path, 300, &most, &st);
	/* tombstones of the first 300 refused ones, and the real one */
	ck_assert_uint_le(most, 302);
	ck_assert_uint_eq(st.evicted, 20000 - 300);
	ck_assert_uint_eq(cap_sessions_count(ss), 301);
	char *sum = sessions_written(ss, cap_sessions_write_summary);
	ck_assert_msg(strstr(sum, "#2 10.0.0.0:1024 -> 192.0.2.2:80 "
				  "tcp: reset by the "),
		      "%.400s", sum);
	ck_assert_ptr_nonnull(strstr(sum, "\"GET /flood\" 200"));
	free(sum);
	cap_sessions_free(ss);
}
END_TEST

static Suite *cap_flood_suite(void)
{
	Suite *s = suite_create("cap_flood");
	TCase *tc = tcase_create("flood");
	test_scratch_fixture(tc);
	tcase_add_test(tc, syn_flood);
	tcase_add_test(tc, port_scan);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(cap_flood_suite)
