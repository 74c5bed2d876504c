/* libpcap packet source and link/IP/TCP decoding (see cap_pcap.h).
 *
 * Decoding works on (pointer, captured length, original length) and checks
 * every length against the captured bytes before reading: a packet that
 * runs out early is counted as malformed, or, where only TCP payload is
 * missing, given out with the number of missing bytes. No allocation per
 * packet: the segment points into libpcap's buffer. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cap_pcap.h"
#include "os_file.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_LOOP
#define DLT_LOOP 108
#endif

#define LIVE_SNAPLEN 262144
#define LIVE_TIMEOUT_MS 100
/* The stdio buffer of a file being read. libpcap freads each record
 * header and record; with glibc's default buffer (the file system's block
 * size, 4 KiB) that is a read(2) per 4 KiB of small packets and two per
 * big one, and the system calls cost more than the copying. 256 KiB
 * stays in a core's L2 cache with the packet it is copied to (1 MiB was
 * slower). Page-aligned: the kernel copies page cache pages into it, and
 * into a buffer 16 bytes off a page boundary (malloc's) that copy took
 * three times as long (AMD EPYC). */
#define FILE_BUFFER (256u << 10)

struct cap_pcap {
	pcap_t *pc;
	int linktype;
	bool file;
	char *name;
	long good_off; /* file offset after the last complete record */
	/* A classic pcap file (16-byte record headers): good_off is kept by
	 * counting, not by an ftell (an lseek) per packet. */
	bool classic;
	int snapshot;
	char *iobuf; /* the file's stdio buffer (freed after pcap_close) */
	struct cap_pcap_stats st;
	char err[512];
};

const char *cap_pcap_strerror(int err)
{
	switch (err) {
#define CAP_PCAP_STR_(name, msg)                                               \
	case CAP_PCAP_E_##name:                                                \
		return msg;
		CAP_PCAP_ERR_MAP(CAP_PCAP_STR_)
#undef CAP_PCAP_STR_
	case 0:
		return "success";
	default:
		return "unknown error";
	}
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- decoding -------------------------------------------------------------
 */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The TCP segment at p: cap bytes captured of len on the wire (the IP
 * payload length). */
static int decode_tcp(const uint8_t *p, size_t cap, size_t len,
		      struct cap_segment *seg, struct cap_pcap_stats *st)
{
	if (cap < 20 || len < 20) {
		st->malformed++;
		return 0;
	}
	size_t doff = (size_t)(p[12] >> 4) * 4;
	if (doff < 20 || doff > len) {
		st->malformed++;
		return 0;
	}
	seg->src.port = rd16(p);
	seg->dst.port = rd16(p + 2);
	seg->seq = rd32(p + 4);
	seg->ack = rd32(p + 8);
	seg->flags = p[13];
	seg->window = rd16(p + 14);
	size_t plen = len - doff;
	size_t have = cap > doff ? cap - doff : 0;
	if (have > plen)
		have = plen;
	seg->payload = p + (cap > doff ? doff : cap);
	seg->len = have;
	seg->missing = (uint32_t)(plen - have);
	if (seg->missing) {
		st->cut++;
		st->cut_bytes += seg->missing;
	}
	st->tcp++;
	return 1;
}

static int decode_ipv4(const uint8_t *p, size_t cap, size_t orig,
		       struct cap_segment *seg, struct cap_pcap_stats *st)
{
	if (cap < 20 || (p[0] >> 4) != 4) {
		st->malformed++;
		return 0;
	}
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	size_t total = rd16(p + 2);
	if (total == 0) /* segmentation offload: the length is not filled */
		total = orig;
	if (ihl < 20 || ihl > cap || total < ihl) {
		st->malformed++;
		return 0;
	}
	if (rd16(p + 6) & 0x3fff) { /* more fragments, or an offset */
		st->fragments++;
		return 0;
	}
	if (p[9] != 6) {
		st->not_tcp++;
		return 0;
	}
	seg->src.family = seg->dst.family = 4;
	memset(seg->src.addr, 0, 16);
	memset(seg->dst.addr, 0, 16);
	memcpy(seg->src.addr, p + 12, 4);
	memcpy(seg->dst.addr, p + 16, 4);
	if (cap > total) /* link-layer padding */
		cap = total;
	return decode_tcp(p + ihl, cap - ihl, total - ihl, seg, st);
}

static int decode_ipv6(const uint8_t *p, size_t cap, size_t orig,
		       struct cap_segment *seg, struct cap_pcap_stats *st)
{
	if (cap < 40 || (p[0] >> 4) != 6) {
		st->malformed++;
		return 0;
	}
	size_t plen = rd16(p + 4);
	if (plen == 0) /* jumbogram or offload: take what the wire had */
		plen = orig > 40 ? orig - 40 : 0;
	uint8_t nh = p[6];
	size_t off = 40;
	if (cap > 40 + plen)
		cap = 40 + plen;
	for (int i = 0; i < 16 && nh != 6; i++) {
		switch (nh) {
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 51:  /* authentication header */
		case 44:  /* fragment */
			if (off + 8 > cap) {
				st->malformed++;
				return 0;
			}
			if (nh == 44 && (rd16(p + off + 2) & 0xfff9)) {
				st->fragments++;
				return 0;
			}
			size_t elen = nh == 44	 ? 8
				      : nh == 51 ? ((size_t)p[off + 1] + 2) * 4
						 : ((size_t)p[off + 1] + 1) * 8;
			nh = p[off];
			off += elen;
			break;
		default:
			st->not_tcp++;
			return 0;
		}
	}
	if (nh != 6) {
		st->not_tcp++;
		return 0;
	}
	if (off > cap || off > 40 + plen) {
		st->malformed++;
		return 0;
	}
	seg->src.family = seg->dst.family = 6;
	memcpy(seg->src.addr, p + 8, 16);
	memcpy(seg->dst.addr, p + 24, 16);
	return decode_tcp(p + off, cap - off, 40 + plen - off, seg, st);
}

/* By IP version nibble (raw IP link types). */
static int decode_ip(const uint8_t *p, size_t cap, size_t orig,
		     struct cap_segment *seg, struct cap_pcap_stats *st)
{
	if (cap < 1) {
		st->malformed++;
		return 0;
	}
	if ((p[0] >> 4) == 4)
		return decode_ipv4(p, cap, orig, seg, st);
	if ((p[0] >> 4) == 6)
		return decode_ipv6(p, cap, orig, seg, st);
	st->not_ip++;
	return 0;
}

static int decode_ethertype(uint16_t type, const uint8_t *p, size_t cap,
			    size_t orig, struct cap_segment *seg,
			    struct cap_pcap_stats *st)
{
	if (type == 0x0800)
		return decode_ipv4(p, cap, orig, seg, st);
	if (type == 0x86dd)
		return decode_ipv6(p, cap, orig, seg, st);
	st->not_ip++;
	return 0;
}

/* BSD AF_INET6 values: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30. */
static int family_kind(uint32_t f)
{
	if (f == 2)
		return 4;
	if (f == 10 || f == 24 || f == 28 || f == 30)
		return 6;
	return 0;
}

int cap_pcap_decode(int linktype, const uint8_t *pkt, size_t caplen,
		    size_t origlen, uint64_t ts_us, struct cap_segment *seg,
		    struct cap_pcap_stats *st)
{
	size_t hl;
	uint16_t type;
	if (origlen < caplen)
		origlen = caplen;
	seg->ts_us = ts_us;
	switch (linktype) {
	case DLT_EN10MB:
		if (caplen < 14)
			goto short_;
		type = rd16(pkt + 12);
		hl = 14;
		while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
			if (caplen < hl + 4)
				goto short_;
			type = rd16(pkt + hl + 2);
			hl += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			goto short_;
		type = rd16(pkt + 14);
		hl = 16;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			goto short_;
		type = rd16(pkt);
		hl = 20;
		break;
	case DLT_NULL:
	case DLT_LOOP: {
		if (caplen < 4)
			goto short_;
		uint32_t be = rd32(pkt);
		uint32_t le = (uint32_t)pkt[3] << 24 | (uint32_t)pkt[2] << 16 |
			      (uint32_t)pkt[1] << 8 | pkt[0];
		int k = family_kind(be);
		if (!k)
			k = family_kind(le);
		if (!k) {
			st->not_ip++;
			return 0;
		}
		return k == 4 ? decode_ipv4(pkt + 4, caplen - 4, origlen - 4,
					    seg, st)
			      : decode_ipv6(pkt + 4, caplen - 4, origlen - 4,
					    seg, st);
	}
	case DLT_RAW:
#if defined(DLT_RAW) && DLT_RAW != 12
	case 12:
#endif
	case 101: /* LINKTYPE_RAW, where pcap_datalink did not map it */
		return decode_ip(pkt, caplen, origlen, seg, st);
	case DLT_IPV4:
		return decode_ipv4(pkt, caplen, origlen, seg, st);
	case DLT_IPV6:
		return decode_ipv6(pkt, caplen, origlen, seg, st);
	default:
		return CAP_PCAP_E_LINKTYPE;
	}
	return decode_ethertype(type, pkt + hl, caplen - hl, origlen - hl, seg,
				st);
short_:
	st->malformed++;
	return 0;
}

/* --- sources ------------------------------------------------------------ */

static bool linktype_known(int lt)
{
	struct cap_segment seg;
	struct cap_pcap_stats st = {0};
	return cap_pcap_decode(lt, NULL, 0, 0, 0, &seg, &st) !=
	       CAP_PCAP_E_LINKTYPE;
}

/* Whether the file open at `fd` starts with the magic of a classic pcap
 * file with 16-byte record headers (either byte order, micro- or
 * nanoseconds). Read in place (pread): the path is not opened again, so
 * it cannot have been swapped for something else meanwhile. */
static bool classic_pcap(int fd)
{
	uint8_t m[4];
	if (fd < 0 || pread(fd, m, sizeof(m), 0) != (ssize_t)sizeof(m))
		return false;
	uint32_t magic = rd32(m);
	return magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 ||
	       magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
}

static struct cap_pcap *source_new(pcap_t *pc, const char *name, bool file)
{
	struct cap_pcap *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->name = strdup(name);
	if (!p->name) {
		free(p);
		return NULL;
	}
	p->pc = pc;
	p->file = file;
	p->linktype = pcap_datalink(pc);
	if (file && pcap_file(pc)) {
		p->good_off = ftell(pcap_file(pc));
		p->classic = classic_pcap(fileno(pcap_file(pc)));
		p->snapshot = pcap_snapshot(pc);
	}
	return p;
}

/* Why the file open at `fd` (named `path`) could not be read as a
 * capture, in words a user can act on. */
static int explain_open_failure(int fd, const char *path, const char *pcap_msg,
				char *err, size_t errlen)
{
	uint8_t m[24];
	ssize_t got = pread(fd, m, sizeof(m), 0);
	if (got < 0) {
		set_err(err, errlen, "%s: cannot read: %s", path,
			strerror(errno));
		return CAP_PCAP_E_OPEN;
	}
	size_t n = (size_t)got;
	uint32_t magic = n >= 4 ? rd32(m) : 0;
	bool known = magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 ||
		     magic == 0xa1b23c4d || magic == 0x4d3cb2a1 ||
		     magic == 0x0a0d0d0a;
	if (n < 4) {
		set_err(err, errlen,
			"%s: truncated at byte offset %zu: a capture file "
			"starts with a 4-byte magic number (%s)",
			path, n, pcap_msg);
		return CAP_PCAP_E_TRUNCATED;
	}
	if (!known) {
		set_err(err, errlen,
			"%s: wrong magic %02x %02x %02x %02x at byte offset 0: "
			"not a pcap (a1 b2 c3 d4 / a1 b2 3c 4d, either byte "
			"order) or pcapng (0a 0d 0d 0a) file",
			path, m[0], m[1], m[2], m[3]);
		return CAP_PCAP_E_FORMAT;
	}
	set_err(err, errlen, "%s: bad or truncated file header (%zu bytes): %s",
		path, n, pcap_msg);
	return n < 24 ? CAP_PCAP_E_TRUNCATED : CAP_PCAP_E_FORMAT;
}

int cap_pcap_open_file(struct cap_pcap **out, const char *path, char *err,
		       size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	/* pcap_open_offline, with a big stdio buffer ("-" is stdin) */
	bool is_stdin = strcmp(path, "-") == 0;
	/* a regular file only: a FIFO, a directory or /dev/zero is refused
	 * before anything blocks or grows (stdin may be a pipe) */
	FILE *f = is_stdin ? stdin : os_fopen_regular(path, 0, err, errlen);
	if (!f)
		return CAP_PCAP_E_OPEN;
	/* not for stdin: libpcap leaves stdin open at pcap_close, and it
	 * would keep a buffer we free */
	char *iobuf = is_stdin ? NULL : aligned_alloc(4096, FILE_BUFFER);
	if (iobuf && setvbuf(f, iobuf, _IOFBF, FILE_BUFFER) != 0) {
		free(iobuf);
		iobuf = NULL;
	}
	pcap_t *pc = pcap_fopen_offline(f, ebuf);
	if (!pc) {
		int rc = is_stdin ? (set_err(err, errlen, "%s: %s", path, ebuf),
				     CAP_PCAP_E_FORMAT)
				  : explain_open_failure(fileno(f), path, ebuf,
							 err, errlen);
		if (!is_stdin)
			fclose(f);
		free(iobuf);
		return rc;
	}
	int lt = pcap_datalink(pc);
	if (!linktype_known(lt)) {
		set_err(err, errlen,
			"%s: link type %d (%s) is not supported (Ethernet, "
			"Linux cooked v1/v2, null/loopback and raw IP are)",
			path, lt,
			pcap_datalink_val_to_name(lt)
			    ? pcap_datalink_val_to_name(lt)
			    : "unknown");
		pcap_close(pc);
		free(iobuf);
		return CAP_PCAP_E_LINKTYPE;
	}
	struct cap_pcap *p = source_new(pc, path, true);
	if (!p) {
		pcap_close(pc);
		free(iobuf);
		set_err(err, errlen, "%s: out of memory", path);
		return CAP_PCAP_E_NOMEM;
	}
	p->iobuf = iobuf;
	*out = p;
	return 0;
}

int cap_pcap_open_live(struct cap_pcap **out, const char *iface,
		       const char *filter, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	pcap_t *pc = pcap_create(iface, ebuf);
	if (!pc) {
		set_err(err, errlen, "%s: %s", iface, ebuf);
		return CAP_PCAP_E_OPEN;
	}
	pcap_set_snaplen(pc, LIVE_SNAPLEN);
	pcap_set_immediate_mode(pc, 1);
	pcap_set_timeout(pc, LIVE_TIMEOUT_MS);
	int rc = pcap_activate(pc);
	if (rc < 0) {
		int code = CAP_PCAP_E_OPEN;
		if (rc == PCAP_ERROR_PERM_DENIED ||
		    strstr(pcap_geterr(pc), "ermission") ||
		    strstr(pcap_geterr(pc), "not permitted")) {
			set_err(
			    err, errlen,
			    "%s: live capture needs the CAP_NET_RAW and "
			    "CAP_NET_ADMIN capabilities (e.g. `sudo setcap "
			    "cap_net_raw,cap_net_admin+eip wssim`) or root: "
			    "%s",
			    iface, pcap_geterr(pc));
			code = CAP_PCAP_E_PERM;
		} else {
			set_err(err, errlen, "%s: %s: %s", iface,
				pcap_statustostr(rc), pcap_geterr(pc));
		}
		pcap_close(pc);
		return code;
	}
	if (filter && *filter) {
		struct bpf_program prog;
		if (pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) <
			0 ||
		    pcap_setfilter(pc, &prog) < 0) {
			set_err(err, errlen, "filter '%s': %s", filter,
				pcap_geterr(pc));
			pcap_close(pc);
			return CAP_PCAP_E_FILTER;
		}
		pcap_freecode(&prog);
	}
	int lt = pcap_datalink(pc);
	if (!linktype_known(lt)) {
		set_err(err, errlen, "%s: link type %d is not supported", iface,
			lt);
		pcap_close(pc);
		return CAP_PCAP_E_LINKTYPE;
	}
	struct cap_pcap *p = source_new(pc, iface, false);
	if (!p) {
		pcap_close(pc);
		set_err(err, errlen, "%s: out of memory", iface);
		return CAP_PCAP_E_NOMEM;
	}
	*out = p;
	return 0;
}

int cap_pcap_next(struct cap_pcap *p, struct cap_segment *seg)
{
	for (;;) {
		struct pcap_pkthdr *hdr;
		const u_char *data;
		int rc = pcap_next_ex(p->pc, &hdr, &data);
		if (rc == 0)
			return CAP_PCAP_IDLE;
		if (rc == PCAP_ERROR_BREAK)
			return CAP_PCAP_END;
		if (rc < 0) {
			/* the offset is unknown where the file cannot tell
			 * (a pipe) */
			char off[48] = "";
			if (p->good_off >= 0)
				snprintf(off, sizeof(off), ", byte offset %ld",
					 p->good_off);
			snprintf(p->err, sizeof(p->err),
				 "%s: unreadable from packet %llu on (after "
				 "%llu complete packets%s): %s",
				 p->name, (unsigned long long)p->st.packets + 1,
				 (unsigned long long)p->st.packets, off,
				 pcap_geterr(p->pc));
			return p->file ? CAP_PCAP_E_TRUNCATED : CAP_PCAP_E_OPEN;
		}
		p->st.packets++;
		p->st.bytes += hdr->caplen;
		if (p->classic && (int)hdr->caplen < p->snapshot)
			p->good_off += 16 + (long)hdr->caplen;
		else if (p->file) /* pcapng, or a record libpcap may have cut
				     to the snap length: ask the file */
			p->good_off = ftell(pcap_file(p->pc));
		uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000u +
			      (uint64_t)hdr->ts.tv_usec;
		if (cap_pcap_decode(p->linktype, data, hdr->caplen, hdr->len,
				    ts, seg, &p->st) == 1)
			return CAP_PCAP_SEGMENT;
	}
}

const char *cap_pcap_errmsg(const struct cap_pcap *p)
{
	return p->err;
}

void cap_pcap_breakloop(struct cap_pcap *p)
{
	pcap_breakloop(p->pc);
}

int cap_pcap_linktype(const struct cap_pcap *p)
{
	return p->linktype;
}

void cap_pcap_get_stats(const struct cap_pcap *p, struct cap_pcap_stats *out)
{
	*out = p->st;
}

void cap_pcap_close(struct cap_pcap *p)
{
	if (!p)
		return;
	pcap_close(p->pc);
	free(p->iobuf);
	free(p->name);
	free(p);
}
