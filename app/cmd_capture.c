/* `wssim capture`: read packets (a pcap/pcapng file, or a live interface),
 * reassemble TCP, extract HTTP, websocket and AJP sessions, and print a
 * summary (default) or one JSON document (--json), and with -o FILE.scn
 * the sessions as a scenario (cap_scn.h). Exit 0 once the input
 * has been read (parts that could not be decoded are reported), 2 for
 * usage errors, 3 for an unreadable file or interface. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cap_pcap.h"
#include "cap_reasm.h"
#include "cap_scn.h"
#include "cap_session.h"
#include "cap_tls.h"
#include "cmd.h"
#include "os_file.h"
#include "os_out.h"

static const char usage_text[] =
    "usage: wssim capture -r FILE [options]\n"
    "       wssim capture -i IFACE [-f FILTER] [--count N] [--duration S] "
    "[options]\n"
    "\n"
    "Reads packets through libpcap (pcap or pcapng; Ethernet, Linux "
    "cooked v1/v2,\n"
    "BSD loopback, raw IPv4/IPv6), reassembles TCP and shows the HTTP,\n"
    "websocket and AJP13 sessions in it, both legs of proxied requests "
    "linked.\n"
    "\n"
    "  -r FILE          read a capture file\n"
    "  -i IFACE         capture live (needs CAP_NET_RAW and "
    "CAP_NET_ADMIN, or root);\n"
    "                   Ctrl-C stops and reports what was captured\n"
    "  -f FILTER        BPF filter for -i, e.g. 'tcp port 8080'\n"
    "  --count N        stop after N TCP segments\n"
    "  --duration S     stop after S seconds (-i)\n"
    "  -o FILE.scn      also write the sessions as a scenario that "
    "`wssim run` and\n"
    "                   `wssim replay` execute (client sends with the "
    "recorded\n"
    "                   timing, the server's answers as expectations)\n"
    "  --force          let -o write through a symlink or to a device\n"
    "  --json           one JSON document on stdout "
    "(docs/capture-json.md);\n"
    "                   the summary then goes to stderr\n"
    "  --session F      keep only connections matching F: a port, an "
    "address,\n"
    "                   or a substring of a request path\n"
    "  --no-redact      show Cookie, Set-Cookie and Authorization "
    "values\n"
    "  --payload-cap N  keep at most N bytes of each message payload "
    "(JSON;\n"
    "                   with -o the default is 1 MiB, longer ones are "
    "noted)\n"
    "  --keylog FILE    decrypt TLS 1.2/1.3 with the secrets in FILE "
    "(SSLKEYLOGFILE\n"
    "                   format); without it TLS connections show as tls "
    "with\n"
    "                   their SNI and versions, and why they were not "
    "decrypted;\n"
    "                   with -o, decrypted sessions are written as "
    "wss:// or https://\n";

static struct cap_pcap *live_src;

static void on_signal(int sig)
{
	(void)sig;
	if (live_src)
		cap_pcap_breakloop(live_src);
}

/* A TLS connection that could not be (fully) decrypted. */
static void on_tls_report(void *ctx, const struct cap_conn *c, enum cap_dir dir,
			  int err, const char *msg)
{
	(void)ctx;
	(void)dir;
	(void)err;
	char a[48], b[48];
	cap_endpoint_format(&c->client, a, sizeof(a));
	cap_endpoint_format(&c->server, b, sizeof(b));
	fprintf(stderr, "wssim capture: TLS connection %llu %s -> %s: %s\n",
		(unsigned long long)c->id, a, b, msg);
}

/* A malformed key log line, skipped. */
static void on_keylog_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "wssim capture: warning: --keylog %s\n", msg);
}

static int parse_num(const char *opt, const char *s, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 1 || v > max) {
		fprintf(stderr,
			"wssim capture: %s: '%s' is not a number from 1 "
			"to %ld\n",
			opt, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* -o FILE.scn, opened before the capture is read (out) and finished
 * here: written beside the target and renamed into place. Returns 0 or -1
 * (reported). No client connection is not an error: there is nothing to
 * replay, and the file is not written. */
static int write_scn(struct cap_sessions *ss, struct os_out *out,
		     const char *path, const char *source)
{
	char shown[300], err[PATH_MAX + 300];
	os_path_show(path, shown, sizeof(shown));
	int r = cap_scn_write(ss, source, out->f);
	if (r == CAP_SCN_EMPTY) {
		os_out_discard(out);
		fprintf(stderr,
			"wssim capture: %s: not written: no HTTP or websocket "
			"client connection in the capture\n",
			shown);
		return 0;
	}
	if (r < 0) {
		int e = errno;
		os_out_discard(out);
		fprintf(stderr, "wssim capture: %s: %s\n", shown,
			r == CAP_SCN_ENOMEM ? "out of memory" : strerror(e));
		return -1;
	}
	if (os_out_commit(out, err, sizeof(err)) != 0) {
		fprintf(stderr, "wssim capture: %s\n", err);
		return -1;
	}
	return 0;
}

int cmd_capture(int argc, char **argv)
{
	enum {
		O_COUNT = 256,
		O_DURATION,
		O_JSON,
		O_SESSION,
		O_NOREDACT,
		O_CAP,
		O_KEYLOG,
		O_FORCE
	};
	static const struct option opts[] = {
	    {"count", required_argument, NULL, O_COUNT},
	    {"duration", required_argument, NULL, O_DURATION},
	    {"json", no_argument, NULL, O_JSON},
	    {"session", required_argument, NULL, O_SESSION},
	    {"no-redact", no_argument, NULL, O_NOREDACT},
	    {"payload-cap", required_argument, NULL, O_CAP},
	    {"keylog", required_argument, NULL, O_KEYLOG},
	    {"force", no_argument, NULL, O_FORCE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *file = NULL, *iface = NULL, *filter = NULL, *scn = NULL;
	const char *keylog = NULL;
	long count = 0, duration = 0, cap = 0;
	bool json = false, force = false;
	struct cap_session_opts so;
	memset(&so, 0, sizeof(so));
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "r:i:f:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			file = optarg;
			break;
		case 'i':
			iface = optarg;
			break;
		case 'f':
			filter = optarg;
			break;
		case 'o':
			scn = optarg;
			break;
		case O_COUNT:
			if (parse_num("--count", optarg, 2000000000L, &count))
				return EXIT_USAGE;
			break;
		case O_DURATION:
			if (parse_num("--duration", optarg, 86400, &duration))
				return EXIT_USAGE;
			break;
		case O_JSON:
			json = true;
			break;
		case O_SESSION:
			so.filter = optarg;
			break;
		case O_NOREDACT:
			so.no_redact = true;
			break;
		case O_CAP:
			if (parse_num("--payload-cap", optarg, 1L << 30, &cap))
				return EXIT_USAGE;
			so.payload_cap = (size_t)cap;
			break;
		case O_KEYLOG:
			keylog = optarg;
			break;
		case O_FORCE:
			force = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			fprintf(
			    stderr,
			    "wssim capture: unknown option or missing value: "
			    "'%s'\n",
			    argv[optind - 1]);
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || !file == !iface) {
		fprintf(stderr, "wssim capture: %s\n",
			optind < argc
			    ? "unexpected argument"
			    : "give exactly one of -r FILE and -i IFACE");
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (filter && !iface) {
		fprintf(stderr, "wssim capture: -f goes with -i (filter a file "
				"with --session)\n");
		return EXIT_USAGE;
	}
	so.keep_messages = json || scn;
	if (json) {
		/* the document is written in many small pieces: fewer,
		 * bigger writes (stdout is not written before this) */
		static _Alignas(4096) char obuf[256u << 10];
		setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	}
	if (scn && !so.payload_cap)
		so.payload_cap = (size_t)1 << 20;
	char err[PATH_MAX + 300] = "";
	/* -o is checked (and its temp file made) before anything is read:
	 * a long capture must not end in "cannot write" */
	struct os_out out = {0};
	if (scn && os_out_open(&out, scn, force, err, sizeof(err)) != 0) {
		fprintf(stderr, "wssim capture: -o %s\n", err);
		return EXIT_ENV;
	}
	struct cap_keylog *kl = keylog ? cap_keylog_new() : NULL;
	if (kl)
		cap_keylog_set_warn(kl, on_keylog_warn, NULL);
	if (keylog && (!kl || cap_keylog_load(kl, keylog, err, sizeof(err)))) {
		fprintf(stderr, "wssim capture: --keylog %s\n",
			kl ? err : "out of memory");
		cap_keylog_free(kl);
		if (scn)
			os_out_discard(&out);
		return EXIT_ENV;
	}
	struct cap_sessions *ss = cap_sessions_new(&so);
	/* with a key log, the TLS filter sits between the reassembler and
	 * the sessions and hands them plaintext */
	struct cap_tls_filter *tf =
	    ss && kl ? cap_tls_filter_new(kl, cap_sessions_sink(ss),
					  on_tls_report, NULL)
		     : NULL;
	struct cap_reasm *ra = ss && (tf || !kl)
				   ? cap_reasm_new(tf ? cap_tls_filter_sink(tf)
						      : cap_sessions_sink(ss),
						   NULL)
				   : NULL;
	if (!ra) {
		fprintf(stderr, "wssim capture: out of memory\n");
		if (scn)
			os_out_discard(&out);
		cap_tls_filter_free(tf);
		cap_sessions_free(ss);
		cap_keylog_free(kl);
		return EXIT_ENV;
	}
	struct cap_pcap *src = NULL;
	int r = file
		    ? cap_pcap_open_file(&src, file, err, sizeof(err))
		    : cap_pcap_open_live(&src, iface, filter, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "wssim capture: %s\n",
			err[0] ? err : cap_pcap_strerror(r));
		if (scn)
			os_out_discard(&out);
		cap_reasm_free(ra);
		cap_tls_filter_free(tf);
		cap_sessions_free(ss);
		cap_keylog_free(kl);
		return EXIT_ENV;
	}
	if (iface) {
		live_src = src;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	int code = EXIT_OK;
	time_t t_end = duration ? time(NULL) + duration : 0;
	long n = 0;
	for (;;) {
		struct cap_segment seg;
		r = cap_pcap_next(src, &seg);
		if (r == CAP_PCAP_SEGMENT) {
			cap_reasm_segment(ra, &seg);
			if (count && ++n >= count)
				break;
		} else if (r == CAP_PCAP_IDLE) {
			/* live: only the clock to look at */
		} else if (r == CAP_PCAP_END) {
			break;
		} else {
			/* A file cut short: everything before it was read and
			 * is reported; other errors end the input too. */
			fprintf(stderr, "wssim capture: %s\n",
				cap_pcap_errmsg(src)[0] ? cap_pcap_errmsg(src)
							: cap_pcap_strerror(r));
			if (r != CAP_PCAP_E_TRUNCATED)
				code = EXIT_ENV;
			break;
		}
		if (t_end && time(NULL) >= t_end)
			break;
	}
	live_src = NULL;
	cap_reasm_finish(ra);
	struct cap_pcap_stats ps;
	cap_pcap_get_stats(src, &ps);
	struct cap_reasm_stats rs;
	cap_reasm_get_stats(ra, &rs);
	if (json) {
		if (cap_sessions_write_json(ss, stdout) < 0)
			code = EXIT_ENV;
		cap_sessions_write_summary(ss, stderr);
	} else {
		cap_sessions_write_summary(ss, stdout);
	}
	if (scn && write_scn(ss, &out, scn, file ? file : iface) < 0)
		code = EXIT_ENV;
	fprintf(
	    json ? stderr : stdout,
	    "%llu packets, %llu TCP segments, %llu connections; skipped: "
	    "%llu not IP, %llu not TCP, %llu fragments, %llu malformed; "
	    "%llu segments cut by the snap length; %llu gaps (%llu "
	    "bytes); %llu retransmissions with different data; %llu "
	    "connections without payload evicted\n",
	    (unsigned long long)ps.packets, (unsigned long long)ps.tcp,
	    (unsigned long long)rs.conns, (unsigned long long)ps.not_ip,
	    (unsigned long long)ps.not_tcp, (unsigned long long)ps.fragments,
	    (unsigned long long)ps.malformed, (unsigned long long)ps.cut,
	    (unsigned long long)rs.gaps, (unsigned long long)rs.gap_bytes,
	    (unsigned long long)rs.conflicts, (unsigned long long)rs.evicted);
	if (tf) {
		struct cap_tls_filter_stats ts;
		cap_tls_filter_get_stats(tf, &ts);
		fprintf(json ? stderr : stdout,
			"TLS: %llu connections, %llu decrypted, %llu without "
			"a key log entry, %llu not decrypted\n",
			(unsigned long long)ts.tls,
			(unsigned long long)ts.decrypted,
			(unsigned long long)ts.no_key,
			(unsigned long long)ts.failed);
	}
	cap_pcap_close(src);
	cap_reasm_free(ra);
	cap_tls_filter_free(tf);
	cap_sessions_free(ss);
	cap_keylog_free(kl);
	return code;
}
