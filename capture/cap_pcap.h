/* A packet source over libpcap: a pcap or pcapng file, or a live
 * interface, decoded down to TCP segments.
 *
 * Link types: Ethernet (with 802.1Q / 802.1ad VLAN tags), Linux cooked v1
 * and v2, BSD null and loopback (the 4-byte family in either byte order),
 * raw IP (DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6). Network: IPv4 (options
 * skipped; fragments counted and skipped, not reassembled) and IPv6
 * (extension headers skipped). Everything that is not a TCP segment is
 * counted in struct cap_pcap_stats and skipped. A payload cut by the snap
 * length is given as its captured part plus a count of missing bytes
 * (struct cap_segment.missing), which the reassembler reports as a gap.
 *
 * Count and duration limits are the caller's (it decides when to stop
 * calling cap_pcap_next); this module only reads and decodes. */
#ifndef WSSIM_CAP_PCAP_H
#define WSSIM_CAP_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "cap_reasm.h"

/* Error codes (negative), one X-macro list as in proto_err.h. */
#define CAP_PCAP_ERR_MAP(X)                                                    \
	X(OPEN, "cannot open the capture file or interface")                   \
	X(FORMAT, "not a pcap or pcapng file")                                 \
	X(TRUNCATED, "capture file truncated or corrupt")                      \
	X(PERM, "no permission to capture")                                    \
	X(FILTER, "invalid capture filter")                                    \
	X(LINKTYPE, "unsupported link type")                                   \
	X(NOMEM, "out of memory")

enum cap_pcap_err {
	CAP_PCAP_FIRST_ = -2000,
#define CAP_PCAP_ENUM_(name, msg) CAP_PCAP_E_##name,
	CAP_PCAP_ERR_MAP(CAP_PCAP_ENUM_)
#undef CAP_PCAP_ENUM_
	    CAP_PCAP_LAST_
};

/* The message for a CAP_PCAP_E_* code; never NULL. */
const char *cap_pcap_strerror(int err);

/* Results of cap_pcap_next besides errors. */
enum cap_pcap_result {
	CAP_PCAP_END = 0,     /* end of the file (or cap_pcap_breakloop) */
	CAP_PCAP_SEGMENT = 1, /* *seg holds a TCP segment */
	CAP_PCAP_IDLE = 2,    /* live: no packet within the read timeout */
};

struct cap_pcap_stats {
	uint64_t packets;   /* packets read */
	uint64_t bytes;	    /* captured bytes read (link headers included) */
	uint64_t tcp;	    /* TCP segments given out */
	uint64_t not_ip;    /* link payload not IPv4/IPv6 (ARP, ...) */
	uint64_t not_tcp;   /* IP but not TCP (UDP, ICMP, ...) */
	uint64_t fragments; /* IP fragments (skipped) */
	uint64_t malformed; /* headers cut short or inconsistent */
	uint64_t cut;	    /* TCP segments whose payload the snaplen cut */
	uint64_t cut_bytes; /* payload bytes missing from those */
};

struct cap_pcap;

/* Open a pcap or pcapng file. On failure returns a CAP_PCAP_E_* code and
 * writes a message naming the file and what is wrong (missing file, wrong
 * magic with the bytes found, truncated header) into err (errlen bytes,
 * may be 0). On success *out is the source (free with cap_pcap_close). */
int cap_pcap_open_file(struct cap_pcap **out, const char *path, char *err,
		       size_t errlen);

/* Open a live interface (snap length 262144, immediate mode, 100 ms read
 * timeout) with an optional BPF `filter` (NULL or "" for none). A missing
 * privilege gives CAP_PCAP_E_PERM and a message naming the capabilities
 * needed (CAP_NET_RAW and CAP_NET_ADMIN, or root). */
int cap_pcap_open_live(struct cap_pcap **out, const char *iface,
		       const char *filter, char *err, size_t errlen);

/* The next TCP segment. *seg points into libpcap's buffer and is valid
 * until the next call. Returns CAP_PCAP_SEGMENT, CAP_PCAP_END,
 * CAP_PCAP_IDLE, or a CAP_PCAP_E_* code (CAP_PCAP_E_TRUNCATED for a file
 * that ends inside a packet record: every packet before it was given out;
 * cap_pcap_errmsg() tells the packet number and byte offset). */
int cap_pcap_next(struct cap_pcap *p, struct cap_segment *seg);

/* The message of the last error ("" if none). Borrowed from p. */
const char *cap_pcap_errmsg(const struct cap_pcap *p);

/* Make a pending or the next cap_pcap_next return CAP_PCAP_END; safe to
 * call from a signal handler. */
void cap_pcap_breakloop(struct cap_pcap *p);

/* The source's DLT_* link type. */
int cap_pcap_linktype(const struct cap_pcap *p);

void cap_pcap_get_stats(const struct cap_pcap *p, struct cap_pcap_stats *out);

/* Close the source; NULL is allowed. */
void cap_pcap_close(struct cap_pcap *p);

/* Decode one packet of link type `linktype` (caplen bytes captured of
 * origlen on the wire). Returns 1 with *seg filled (pointing into pkt),
 * 0 when the packet is skipped (counted in *st), or CAP_PCAP_E_LINKTYPE
 * for a link type this module does not decode. Never reads beyond
 * caplen. */
int cap_pcap_decode(int linktype, const uint8_t *pkt, size_t caplen,
		    size_t origlen, uint64_t ts_us, struct cap_segment *seg,
		    struct cap_pcap_stats *st);

#endif
