/* Unit tests for cap_pcap: small captures of each link type written with
 * pcap_open_dead + pcap_dump (and one pcapng written by hand) are read
 * back and reassembled; the real captures in ../shared/captures give the
 * exact bytes; truncated, wrong-magic and snap-length-cut files give clear
 * errors and whatever could be decoded. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "cap_pcap.h"
#include "check_main.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* --- a sink recording each connection's streams ----------------------- */

#define MAXC 4
#define SBUF 8192

struct rec {
	uint8_t s[MAXC][2][SBUF];
	size_t n[MAXC][2];
	struct cap_conn conn[MAXC];
	int opened, closed;
};

static struct rec R;

static void put(struct cap_conn *c, enum cap_dir d, const void *p, size_t n)
{
	ck_assert_uint_le(c->id, MAXC);
	size_t *len = &R.n[c->id - 1][d];
	ck_assert_uint_le(*len + n, SBUF);
	memcpy(R.s[c->id - 1][d] + *len, p, n);
	*len += n;
}

static void on_open(void *ctx, struct cap_conn *c)
{
	(void)ctx;
	R.opened++;
	ck_assert_uint_le(c->id, MAXC);
}

static void on_data(void *ctx, struct cap_conn *c, enum cap_dir d,
		    const uint8_t *p, size_t n, uint64_t ts)
{
	(void)ctx;
	(void)ts;
	put(c, d, p, n);
}

static void on_gap(void *ctx, struct cap_conn *c, enum cap_dir d, uint64_t n,
		   uint64_t ts)
{
	(void)ctx;
	(void)ts;
	char t[48];
	snprintf(t, sizeof(t), "[gap %llu]", (unsigned long long)n);
	put(c, d, t, strlen(t));
}

static void on_end(void *ctx, struct cap_conn *c, enum cap_dir d,
		   enum cap_end how, uint64_t ts)
{
	(void)ctx;
	(void)ts;
	const char *t = how == CAP_END_FIN   ? "[fin]"
			: how == CAP_END_RST ? "[rst]"
					     : "[eoc]";
	put(c, d, t, strlen(t));
}

static void on_close(void *ctx, struct cap_conn *c)
{
	(void)ctx;
	R.closed++;
	R.conn[c->id - 1] = *c;
}

static const struct cap_tcp_sink SINK = {NULL,	 on_open,  on_data, on_gap,
					 on_end, on_close, NULL,    NULL};

/* Read a whole file through cap_pcap into the recorder; returns the last
 * cap_pcap_next result (CAP_PCAP_END or an error) and the stats. */
static int read_all(const char *path, struct cap_pcap_stats *st,
		    struct cap_segment *first, char *msg, size_t msglen)
{
	memset(&R, 0, sizeof(R));
	struct cap_pcap *p;
	char err[512];
	int rc = cap_pcap_open_file(&p, path, err, sizeof(err));
	if (rc < 0) {
		snprintf(msg, msglen, "%s", err);
		return rc;
	}
	struct cap_reasm *r = cap_reasm_new(&SINK, NULL);
	ck_assert_ptr_nonnull(r);
	struct cap_segment seg;
	int n = 0;
	while ((rc = cap_pcap_next(p, &seg)) == CAP_PCAP_SEGMENT) {
		if (n++ == 0 && first)
			*first = seg;
		ck_assert_int_eq(cap_reasm_segment(r, &seg), 0);
	}
	snprintf(msg, msglen, "%s", cap_pcap_errmsg(p));
	cap_reasm_free(r);
	if (st)
		cap_pcap_get_stats(p, st);
	cap_pcap_close(p);
	return rc;
}

static const char *str(int c, int d)
{
	static char out[SBUF + 1];
	memcpy(out, R.s[c][d], R.n[c][d]);
	out[R.n[c][d]] = '\0';
	return out;
}

/* --- building packets --------------------------------------------------- */

static char tmpdir[256];
static char path[512];

static void setup(void)
{
	test_scratch_mkdtemp(tmpdir, sizeof(tmpdir), "cap_pcap");
}

static void teardown(void)
{
	test_rm_rf(tmpdir);
}

static size_t w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)(v >> 16));
	w16(p + 2, (uint16_t)v);
	return 4;
}

/* IP + TCP (with 12 bytes of options) carrying `data`; c2s chooses the
 * direction between 192.0.2.1:41000 (2001:db8::1) and 192.0.2.2:8080. */
static size_t ip_tcp(uint8_t *p, int v6, int c2s, uint32_t seq, uint32_t ack,
		     uint8_t flags, const char *data)
{
	size_t dl = data ? strlen(data) : 0, tl = 32 + dl, o = 0;
	uint8_t a[16] = {0}, b[16] = {0};
	if (v6) {
		a[0] = b[0] = 0x20;
		a[1] = b[1] = 0x01;
		a[2] = b[2] = 0x0d;
		a[3] = b[3] = 0xb8;
		a[15] = 1;
		b[15] = 2;
	} else {
		a[0] = b[0] = 192;
		a[2] = b[2] = 2;
		a[3] = 1;
		b[3] = 2;
	}
	const uint8_t *src = c2s ? a : b, *dst = c2s ? b : a;
	if (v6) {
		p[o++] = 0x60;
		p[o++] = 0;
		o += w16(p + o, 0);
		o += w16(p + o, (uint16_t)tl);
		p[o++] = 6;
		p[o++] = 64;
		memcpy(p + o, src, 16);
		memcpy(p + o + 16, dst, 16);
		o += 32;
	} else {
		p[o++] = 0x46; /* with 4 bytes of options */
		p[o++] = 0;
		o += w16(p + o, (uint16_t)(24 + tl));
		o += w16(p + o, 1);
		o += w16(p + o, 0x4000); /* DF */
		p[o++] = 64;
		p[o++] = 6;
		o += w16(p + o, 0);
		memcpy(p + o, src, 4);
		memcpy(p + o + 4, dst, 4);
		o += 8;
		o += w32(p + o, 0x01010100); /* NOP NOP NOP EOL */
	}
	o += w16(p + o, c2s ? 41000 : 8080);
	o += w16(p + o, c2s ? 8080 : 41000);
	o += w32(p + o, seq);
	o += w32(p + o, ack);
	p[o++] = 8 << 4;
	p[o++] = flags;
	o += w16(p + o, 65535);
	o += w32(p + o, 0);
	memset(p + o, 1, 12); /* NOPs */
	o += 12;
	if (dl)
		memcpy(p + o, data, dl);
	return o + dl;
}

static size_t link_hdr(uint8_t *p, int dlt, int v6, int vlan)
{
	size_t o = 0;
	uint16_t et = v6 ? 0x86dd : 0x0800;
	switch (dlt) {
	case DLT_EN10MB:
		memset(p, 0xaa, 12);
		o = 12;
		if (vlan) {
			o += w16(p + o, 0x8100);
			o += w16(p + o, 42);
		}
		o += w16(p + o, et);
		return o;
	case DLT_LINUX_SLL:
		memset(p, 0, 16);
		w16(p + 2, 772);
		w16(p + 4, 6);
		w16(p + 14, et);
		return 16;
	case DLT_LINUX_SLL2:
		memset(p, 0, 20);
		w16(p, et);
		w32(p + 4, 1);
		w16(p + 8, 772);
		p[11] = 6;
		return 20;
	case DLT_NULL: { /* host byte order */
		uint32_t f = v6 ? 10 : 2;
		memcpy(p, &f, 4);
		return 4;
	}
	case DLT_LOOP: /* network byte order; macOS's AF_INET6 */
		return w32(p, v6 ? 30 : 2);
	default:
		return 0;
	}
}

/* One small exchange: handshake, "ping" / "pong", FINs. */
static void write_exchange(const char *file, int dlt, int v6, int vlan,
			   int snaplen, const char *cdata, const char *sdata)
{
	pcap_t *pd = pcap_open_dead(dlt, snaplen);
	ck_assert_ptr_nonnull(pd);
	pcap_dumper_t *dp = pcap_dump_open(pd, file);
	ck_assert_ptr_nonnull(dp);
	struct {
		int c2s;
		uint32_t seq, ack;
		uint8_t fl;
		const char *d;
	} pk[] = {
	    {1, 100, 0, 0x02, NULL},
	    {0, 900, 101, 0x12, NULL},
	    {1, 101, 901, 0x10, NULL},
	    {1, 101, 901, 0x18, cdata},
	    {0, 901, 101 + (uint32_t)strlen(cdata), 0x18, sdata},
	    {1, 101 + (uint32_t)strlen(cdata), 901 + (uint32_t)strlen(sdata),
	     0x11, NULL},
	    {0, 901 + (uint32_t)strlen(sdata), 102 + (uint32_t)strlen(cdata),
	     0x11, NULL},
	    {1, 102 + (uint32_t)strlen(cdata), 902 + (uint32_t)strlen(sdata),
	     0x10, NULL},
	};
	static uint8_t buf[70000];
	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		size_t o = link_hdr(buf, dlt, v6, vlan);
		o += ip_tcp(buf + o, v6, pk[i].c2s, pk[i].seq, pk[i].ack,
			    pk[i].fl, pk[i].d);
		struct pcap_pkthdr h = {.caplen = (bpf_u_int32)o,
					.len = (bpf_u_int32)o};
		h.ts.tv_sec = 1700000000;
		h.ts.tv_usec = (suseconds_t)i * 1000;
		if (h.caplen > (bpf_u_int32)snaplen)
			h.caplen = (bpf_u_int32)snaplen;
		pcap_dump((u_char *)dp, &h, buf);
	}
	pcap_dump_close(dp);
	pcap_close(pd);
}

static void check_exchange(int dlt, int v6, int vlan, const char *name)
{
	snprintf(path, sizeof(path), "%s/%s.pcap", tmpdir, name);
	write_exchange(path, dlt, v6, vlan, 65535, "ping", "pong!");
	struct cap_pcap_stats st;
	struct cap_segment first;
	char msg[512];
	ck_assert_int_eq(read_all(path, &st, &first, msg, sizeof(msg)),
			 CAP_PCAP_END);
	ck_assert_uint_eq(st.packets, 8);
	ck_assert_uint_eq(st.tcp, 8);
	ck_assert_uint_eq(first.src.family, v6 ? 6 : 4);
	ck_assert_uint_eq(first.src.port, 41000);
	ck_assert_uint_eq(first.dst.port, 8080);
	ck_assert_uint_eq(first.seq, 100);
	ck_assert_uint_eq(first.flags, CAP_TCP_SYN);
	ck_assert_uint_eq(first.ts_us, 1700000000ull * 1000000);
	ck_assert_str_eq(str(0, 0), "ping[fin]");
	ck_assert_str_eq(str(0, 1), "pong![fin]");
	ck_assert_int_eq(R.opened, 1);
	ck_assert_int_eq(R.closed, 1);
	char ep[48];
	cap_endpoint_format(&R.conn[0].client, ep, sizeof(ep));
	ck_assert_str_eq(ep, v6 ? "[2001:db8::1]:41000" : "192.0.2.1:41000");
	/* closed at the second FIN; the last ACK comes after the close */
	ck_assert_uint_eq(R.conn[0].last_us - R.conn[0].first_us, 6000);
}

START_TEST(ethernet)
{
	check_exchange(DLT_EN10MB, 0, 0, "en");
	check_exchange(DLT_EN10MB, 1, 0, "en6");
	check_exchange(DLT_EN10MB, 0, 1, "vlan");
}
END_TEST

START_TEST(linux_sll)
{
	check_exchange(DLT_LINUX_SLL, 0, 0, "sll");
	check_exchange(DLT_LINUX_SLL, 1, 0, "sll6");
}
END_TEST

START_TEST(linux_sll2)
{
	check_exchange(DLT_LINUX_SLL2, 0, 0, "sll2");
	check_exchange(DLT_LINUX_SLL2, 1, 0, "sll26");
}
END_TEST

START_TEST(null_loop)
{
	check_exchange(DLT_NULL, 0, 0, "null");
	check_exchange(DLT_NULL, 1, 0, "null6");
	check_exchange(DLT_LOOP, 0, 0, "loop");
	check_exchange(DLT_LOOP, 1, 0, "loop6");
}
END_TEST

START_TEST(raw_ip)
{
	check_exchange(DLT_RAW, 0, 0, "raw");
	check_exchange(DLT_RAW, 1, 0, "raw6");
}
END_TEST

/* A minimal pcapng: SHB, IDB (Ethernet), one EPB per packet. */
static void put32(FILE *f, uint32_t v)
{
	ck_assert_uint_eq(fwrite(&v, 4, 1, f), 1);
}

START_TEST(pcapng)
{
	snprintf(path, sizeof(path), "%s/x.pcapng", tmpdir);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	put32(f, 0x0a0d0d0a); /* SHB */
	put32(f, 28);
	put32(f, 0x1a2b3c4d);
	put32(f, 1); /* major 1, minor 0 (little-endian host) */
	put32(f, 0xffffffff);
	put32(f, 0xffffffff); /* section length unknown */
	put32(f, 28);
	put32(f, 1); /* IDB */
	put32(f, 20);
	put32(f, DLT_EN10MB); /* link type, reserved */
	put32(f, 65535);
	put32(f, 20);
	uint8_t pkt[200];
	const char *cd[] = {"hello", NULL};
	for (int i = 0; i < 2; i++) {
		size_t o = link_hdr(pkt, DLT_EN10MB, 0, 0);
		o += ip_tcp(pkt + o, 0, i == 0, i ? 7000 : 100, i ? 105 : 7000,
			    0x18, i ? "world" : cd[0]);
		size_t pad = (4 - o % 4) % 4;
		put32(f, 6); /* EPB */
		put32(f, (uint32_t)(32 + o + pad));
		put32(f, 0);
		uint64_t ts = 1700000000ull * 1000000 + (uint64_t)i;
		put32(f, (uint32_t)(ts >> 32));
		put32(f, (uint32_t)ts);
		put32(f, (uint32_t)o);
		put32(f, (uint32_t)o);
		ck_assert_uint_eq(fwrite(pkt, 1, o, f), o);
		static const uint8_t zero[4];
		if (pad)
			ck_assert_uint_eq(fwrite(zero, 1, pad, f), pad);
		put32(f, (uint32_t)(32 + o + pad));
	}
	fclose(f);
	struct cap_pcap_stats st;
	struct cap_segment first;
	char msg[512];
	ck_assert_int_eq(read_all(path, &st, &first, msg, sizeof(msg)),
			 CAP_PCAP_END);
	ck_assert_uint_eq(st.tcp, 2);
	ck_assert_uint_eq(first.ts_us, 1700000000ull * 1000000);
	ck_assert_str_eq(str(0, 0), "hello[eoc]");
	ck_assert_str_eq(str(0, 1), "world[eoc]");
	ck_assert(!R.conn[0].saw_syn);
}
END_TEST

START_TEST(snaplen_cut)
{
	snprintf(path, sizeof(path), "%s/snap.pcap", tmpdir);
	char big[201];
	memset(big, 'x', 200);
	big[200] = '\0';
	memcpy(big, "ABCDEFGHIJ", 10);
	/* 14 + 24 + 32 = 70 header bytes: 64 cuts inside the TCP options */
	write_exchange(path, DLT_EN10MB, 0, 0, 80, big, "ok");
	struct cap_pcap_stats st;
	char msg[512];
	ck_assert_int_eq(read_all(path, &st, NULL, msg, sizeof(msg)),
			 CAP_PCAP_END);
	ck_assert_uint_eq(st.cut, 1);
	ck_assert_uint_eq(st.cut_bytes, 190);
	ck_assert_str_eq(str(0, 0), "ABCDEFGHIJ[gap 190][fin]");
	ck_assert_str_eq(str(0, 1), "ok[fin]");
	write_exchange(path, DLT_EN10MB, 0, 0, 64, big, "ok");
	ck_assert_int_eq(read_all(path, &st, NULL, msg, sizeof(msg)),
			 CAP_PCAP_END);
	ck_assert_str_eq(str(0, 0), "[gap 200][fin]");
	ck_assert_str_eq(str(0, 1), "[gap 2][fin]");
}
END_TEST

static void write_bytes(const char *file, const void *p, size_t n)
{
	FILE *f = fopen(file, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

START_TEST(bad_files)
{
	char msg[512];
	snprintf(path, sizeof(path), "%s/missing.pcap", tmpdir);
	ck_assert_int_eq(read_all(path, NULL, NULL, msg, sizeof(msg)),
			 CAP_PCAP_E_OPEN);
	ck_assert_ptr_nonnull(strstr(msg, "No such file"));

	snprintf(path, sizeof(path), "%s/magic.pcap", tmpdir);
	write_bytes(path, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	ck_assert_int_eq(read_all(path, NULL, NULL, msg, sizeof(msg)),
			 CAP_PCAP_E_FORMAT);
	ck_assert_ptr_nonnull(strstr(msg, "wrong magic 47 45 54 20"));

	snprintf(path, sizeof(path), "%s/short.pcap", tmpdir);
	write_bytes(path, "\xd4\xc3\xb2\xa1\x02\x00", 6);
	ck_assert_int_eq(read_all(path, NULL, NULL, msg, sizeof(msg)),
			 CAP_PCAP_E_TRUNCATED);

	/* a good capture cut in the middle of its last packet */
	snprintf(path, sizeof(path), "%s/cut.pcap", tmpdir);
	write_exchange(path, DLT_EN10MB, 0, 0, 65535, "ping", "pong");
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(truncate(path, sb.st_size - 10), 0);
	struct cap_pcap_stats st;
	ck_assert_int_eq(read_all(path, &st, NULL, msg, sizeof(msg)),
			 CAP_PCAP_E_TRUNCATED);
	ck_assert_uint_eq(st.packets, 7);
	ck_assert_ptr_nonnull(strstr(msg, "packet 8"));
	ck_assert_ptr_nonnull(strstr(msg, "truncated"));
	ck_assert_str_eq(str(0, 0), "ping[fin]");
	ck_assert_str_eq(str(0, 1), "pong[fin]");
}
END_TEST

START_TEST(garbage_packets)
{
	/* every prefix of a packet, for every link type: never a crash */
	static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				   DLT_NULL,   DLT_LOOP,      DLT_RAW};
	uint8_t pkt[200];
	for (size_t k = 0; k < sizeof(dlts) / sizeof(dlts[0]); k++) {
		for (int v6 = 0; v6 < 2; v6++) {
			size_t o = link_hdr(pkt, dlts[k], v6, 1);
			o += ip_tcp(pkt + o, v6, 1, 1, 2, 0x18, "data");
			for (size_t cut = 0; cut <= o; cut++) {
				uint8_t *copy = malloc(cut ? cut : 1);
				memcpy(copy, pkt, cut);
				struct cap_segment seg;
				struct cap_pcap_stats st = {0};
				int rc = cap_pcap_decode(dlts[k], copy, cut, o,
							 0, &seg, &st);
				ck_assert_int_ge(rc, 0);
				if (rc == 1)
					ck_assert_uint_eq(seg.len + seg.missing,
							  4);
				free(copy);
			}
		}
	}
}
END_TEST

/* --- the real captures -------------------------------------------------- */

static int conn_by_port(uint16_t port)
{
	for (int i = 0; i < MAXC; i++)
		if (R.conn[i].id && R.conn[i].server.port == port)
			return i;
	return -1;
}

START_TEST(tomcat_echo)
{
	char msg[512];
	struct cap_pcap_stats st;
	ck_assert_int_eq(read_all(WSSIM_SHARED_DIR
				  "/captures/tomcat10-direct-echo.pcap",
				  &st, NULL, msg, sizeof(msg)),
			 CAP_PCAP_END);
	ck_assert_uint_eq(st.packets, 17);
	ck_assert_int_eq(R.opened, 1);
	int c = conn_by_port(18080);
	ck_assert_int_eq(c, 0);
	ck_assert(R.conn[c].saw_syn);
	const char *req = "GET /examples/websocket/echoProgrammatic HTTP/1.1";
	ck_assert_mem_eq(R.s[c][0], req, strlen(req));
	ck_assert(memmem(R.s[c][0], R.n[c][0], "dGhlIHNhbXBsZSBub25jZQ==", 24));
	ck_assert_mem_eq(R.s[c][1], "HTTP/1.1 101 \r\n", 15);
	ck_assert(!memmem(R.s[c][0], R.n[c][0], "[gap", 4));
	ck_assert(!memmem(R.s[c][1], R.n[c][1], "[gap", 4));
	/* the server's last frame is close 1000 "bye", then its FIN */
	const uint8_t close_frame[] = {0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'};
	ck_assert_uint_ge(R.n[c][1], 12);
	ck_assert_mem_eq(R.s[c][1] + R.n[c][1] - 12, close_frame, 7);
	ck_assert_mem_eq(R.s[c][1] + R.n[c][1] - 5, "[fin]", 5);
	ck_assert_uint_eq(R.conn[c].gap_bytes[0] + R.conn[c].gap_bytes[1], 0);

	/* cut in the middle of a packet: an error with the packet number,
	 * and every packet before it */
	snprintf(path, sizeof(path), "%s/tomcat-cut.pcap", tmpdir);
	FILE *f =
	    fopen(WSSIM_SHARED_DIR "/captures/tomcat10-direct-echo.pcap", "rb");
	ck_assert_ptr_nonnull(f);
	static uint8_t all[1 << 16];
	size_t n = fread(all, 1, sizeof(all), f);
	fclose(f);
	ck_assert_uint_lt(n, sizeof(all));
	/* the 6th record: walk the record headers */
	size_t off = 24;
	for (int i = 0; i < 5; i++) {
		uint32_t caplen;
		memcpy(&caplen, all + off + 8, 4);
		off += 16 + caplen;
	}
	write_bytes(path, all, off + 16 + 20);
	ck_assert_int_eq(read_all(path, &st, NULL, msg, sizeof(msg)),
			 CAP_PCAP_E_TRUNCATED);
	ck_assert_uint_eq(st.packets, 5);
	ck_assert_ptr_nonnull(strstr(msg, "packet 6"));
	char want[64];
	snprintf(want, sizeof(want), "byte offset %zu", off);
	ck_assert_msg(strstr(msg, want), "%s", msg);
	ck_assert_mem_eq(R.s[0][0], req, strlen(req));
}
END_TEST

START_TEST(apache_ajp)
{
	char msg[512];
	ck_assert_int_eq(read_all(WSSIM_SHARED_DIR
				  "/captures/apache-ajp-only-both-legs.pcap",
				  NULL, NULL, msg, sizeof(msg)),
			 CAP_PCAP_END);
	ck_assert_int_eq(R.opened, 2);
	int fe = conn_by_port(18081), be = conn_by_port(18009);
	ck_assert_int_ge(fe, 0);
	ck_assert_int_ge(be, 0);
	const char *req = "GET /examples/websocket/echoProgrammatic HTTP/1.1";
	ck_assert_mem_eq(R.s[fe][0], req, strlen(req));
	ck_assert_mem_eq(R.s[fe][1], "HTTP/1.1 500 500\r\n", 18);
	ck_assert_uint_eq(R.s[be][0][0], 0x12);
	ck_assert_uint_eq(R.s[be][0][1], 0x34);
	ck_assert_uint_eq(R.s[be][0][4], 2); /* FORWARD_REQUEST */
	ck_assert_mem_eq(R.s[be][1], "AB", 2);
	ck_assert_uint_eq(R.s[be][1][4], 4); /* SEND_HEADERS */
	ck_assert(memmem(R.s[be][1], R.n[be][1],
			 "HTTP upgrade is not supported by this protocol", 46));
	ck_assert(!memmem(R.s[fe][1], R.n[fe][1], "[gap", 4));
}
END_TEST

static Suite *cap_pcap_suite(void)
{
	Suite *s = suite_create("cap_pcap");
	TCase *tc = tcase_create("link_types");
	test_scratch_fixture(tc);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ethernet);
	tcase_add_test(tc, linux_sll);
	tcase_add_test(tc, linux_sll2);
	tcase_add_test(tc, null_loop);
	tcase_add_test(tc, raw_ip);
	tcase_add_test(tc, pcapng);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	test_scratch_fixture(tc);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, snaplen_cut);
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, garbage_packets);
	suite_add_tcase(s, tc);

	struct stat sb;
	const char *only = getenv("CK_RUN_CASE");
	const char *ci = getenv("CI");
	if (stat(WSSIM_SHARED_DIR "/captures", &sb) != 0 &&
	    !(ci && strcmp(ci, "true") == 0)) {
		fprintf(stderr, "skip real_captures: %s/captures is missing\n",
			WSSIM_SHARED_DIR);
		if (only && strcmp(only, "real_captures") == 0)
			exit(77);
		return s;
	}
	tc = tcase_create("real_captures");
	test_scratch_fixture(tc);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tomcat_echo);
	tcase_add_test(tc, apache_ajp);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(cap_pcap_suite)
