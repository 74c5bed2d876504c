/* `wssim replay`: run a recording (a scenario written by `wssim capture
 * -o`) against a running setup on loopback (--target) or against the
 * topology of a setup scenario brought up for it (--setup, --via). Each
 * client's URL gets the target's scheme, host and port (the recorded path
 * and query stay); the recorded waits are scaled (--speed) or dropped
 * (--asap); the clients may be repeated; binary messages may be compared
 * by length; then sim_run does the rest, and the report is the diff:
 * every failed expectation says what was recorded (expected) and what came
 * back (observed), and each client's timing drift against the recording's
 * `at` notes (a difference only beyond --max-drift). Exit 0/1/2/3 as
 * `wssim run`. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_report_opts.h"
#include "replay.h"
#include "replay_timing.h"
#include "report.h"
#include "run.h"
#include "scn.h"

static const char usage_text[] =
    "usage: wssim replay RECORDING.scn --target URL [options]\n"
    "       wssim replay RECORDING.scn --setup SETUP.scn [--via COMP.LISTENER] "
    "[options]\n"
    "\n"
    "Replays the client side of a recording (`wssim capture -o "
    "RECORDING.scn`):\n"
    "fresh connections and handshakes, new masks, the recorded messages "
    "with the\n"
    "recorded pauses, sessions that overlapped in the recording "
    "overlapping again.\n"
    "What comes back is checked against what was recorded; each "
    "difference is\n"
    "reported as expected (recorded) vs observed (replayed), with each "
    "session's\n"
    "timing drift against the recording.\n"
    "\n"
    "where to (exactly one):\n"
    "  --target URL      a running setup: ws://, wss://, http:// or "
    "https://\n"
    "                    HOST:PORT on loopback (127.0.0.1, [::1], "
    "localhost);\n"
    "                    its scheme, host and port replace the recorded "
    "ones, the\n"
    "                    recorded path and query stay (a ws recording "
    "against an\n"
    "                    https target becomes wss)\n"
    "  --setup FILE      bring up the topology of a scenario file (its "
    "tomcat,\n"
    "                    apache, nginx, haproxy blocks, as `wssim run` "
    "does; its\n"
    "                    clients are ignored) and replay to one of its "
    "listeners\n"
    "  --via COMP.L      with --setup: that listener, e.g. front.http, "
    "front.https\n"
    "                    or t1.http (default: the first proxy's listener "
    "of the\n"
    "                    recording's scheme)\n"
    "\n"
    "how:\n"
    "  --host HOST       send this Host header instead of the target's\n"
    "  --speed X         scale the recorded pauses and start offsets: 2 is "
    "twice\n"
    "                    as fast (sessions that overlapped in the recording "
    "overlap)\n"
    "  --asap            no pauses at all; every client with a start "
    "begins at once\n"
    "                    (no timing drift then)\n"
    "  --repeat N        replay the recorded clients N times; each copy "
    "starts with\n"
    "                    its original (they run alongside each other)\n"
    "  --insecure        wss/https: do not verify the certificate\n"
    "  --ca FILE         wss/https: trust this CA (PEM; with --setup the "
    "run's\n"
    "                    test CA is trusted already)\n"
    "\n"
    "what counts as a difference:\n"
    "  --binary-by-length  compare binary messages by their length only "
    "(text\n"
    "                    stays exact)\n"
    "  --max-drift MS    a step that happened more than MS milliseconds "
    "earlier or\n"
    "                    later than recorded (since the client's start) is "
    "a\n"
    "                    difference; by default drift is shown, never "
    "fails\n"
    "\n"
    "reports:\n"
    "  --junit FILE      JUnit XML report\n"
    "  --json FILE       JSON report (docs/report.md; - for stdout)\n"
    "  --force           let them write through a symlink or to a device\n"
    "  --timeout SECONDS limit for the whole replay (default 120)\n"
    "  -v, --verbose     show every event as it happens\n"
    "  --color, --no-color colour on the console (default: on a TTY)\n"
    "\n"
    "exit: 0 everything came back as recorded, 1 a difference (a status, "
    "a\n"
    "message, a close code, drift over --max-drift), 2 usage, recording or "
    "setup\n"
    "error, 3 environment error\n";

/* A positive number up to 1e6. */
static int parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !(v > 0) || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	enum {
		O_TARGET = 256,
		O_HOST,
		O_SPEED,
		O_ASAP,
		O_REPEAT,
		O_INSECURE,
		O_CA,
		O_SETUP,
		O_VIA,
		O_BINLEN,
		O_MAXDRIFT
	};
	static const struct option opts[] = {
	    {"target", required_argument, NULL, O_TARGET},
	    {"host", required_argument, NULL, O_HOST},
	    {"speed", required_argument, NULL, O_SPEED},
	    {"asap", no_argument, NULL, O_ASAP},
	    {"repeat", required_argument, NULL, O_REPEAT},
	    {"insecure", no_argument, NULL, O_INSECURE},
	    {"ca", required_argument, NULL, O_CA},
	    REPORT_LONG_OPTIONS,
	    {"setup", required_argument, NULL, O_SETUP},
	    {"via", required_argument, NULL, O_VIA},
	    {"binary-by-length", no_argument, NULL, O_BINLEN},
	    {"max-drift", required_argument, NULL, O_MAXDRIFT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sim_run_opts o = {0};
	const char *target = NULL, *host = NULL;
	struct report_opts rop = REPORT_OPTS_INIT;
	const char *setup_path = NULL, *via = NULL;
	double speed = 1, max_drift_ms = -1;
	bool asap = false, have_speed = false, insecure = false;
	bool by_length = false;
	long repeat = 1;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		char *end;
		int taken = report_opt("wssim replay", ch, optarg, &rop, &o);
		if (taken < 0)
			return EXIT_USAGE;
		if (taken)
			continue;
		switch (ch) {
		case O_TARGET:
			target = optarg;
			break;
		case O_HOST:
			if (!*optarg || strpbrk(optarg, "\r\n")) {
				fprintf(stderr,
					"wssim replay: --host: '%s' is "
					"not a host\n",
					optarg);
				return EXIT_USAGE;
			}
			host = optarg;
			break;
		case O_SPEED:
			/* bounded: a recording's times scaled stay within
			 * what a scenario can say */
			if (parse_double(optarg, &speed) < 0 || speed < 0.001 ||
			    speed > 1000) {
				fprintf(stderr,
					"wssim replay: --speed: '%s' is not a "
					"number from 0.001 to 1000\n",
					optarg);
				return EXIT_USAGE;
			}
			have_speed = true;
			break;
		case O_ASAP:
			asap = true;
			break;
		case O_SETUP:
			setup_path = optarg;
			break;
		case O_VIA:
			via = optarg;
			break;
		case O_BINLEN:
			by_length = true;
			break;
		case O_MAXDRIFT:
			if (parse_double(optarg, &max_drift_ms) < 0) {
				fprintf(stderr,
					"wssim replay: --max-drift: '%s' is "
					"not a positive number of "
					"milliseconds\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case O_REPEAT:
			repeat = strtol(optarg, &end, 10);
			if (!*optarg || *end || repeat < 1 || repeat > 10000) {
				fprintf(stderr,
					"wssim replay: --repeat: '%s' is not "
					"a number from 1 to 10000\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case O_INSECURE:
			insecure = true;
			break;
		case O_CA:
			if (access(optarg, R_OK) < 0) {
				fprintf(stderr, "wssim replay: --ca: %s: %s\n",
					optarg, strerror(errno));
				return EXIT_USAGE;
			}
			o.ca_file = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			report_opt_unknown("wssim replay", argv[optind - 1],
					   usage_text);
			return EXIT_USAGE;
		}
	}
	const char *why = NULL;
	if (optind >= argc)
		why = "name the recording to replay";
	else if (optind + 1 < argc)
		why = "one recording at a time";
	else if (!target && !setup_path)
		why = "--target URL or --setup FILE is required (where to "
		      "replay it)";
	else if (target && setup_path)
		why = "--target and --setup exclude each other (one place to "
		      "replay to)";
	else if (via && !setup_path)
		why = "--via names a listener of --setup FILE";
	else if (asap && have_speed)
		why = "--speed and --asap exclude each other";
	else if (asap && max_drift_ms >= 0)
		why = "--max-drift compares with the recorded timing, which "
		      "--asap drops";
	if (why) {
		fprintf(stderr, "wssim replay: %s\n", why);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	struct replay_target t;
	memset(&t, 0, sizeof(t));
	char msg[512];
	bool ecolor = isatty(2) && !getenv("NO_COLOR");
	struct scn_error perr;
	memset(&perr, 0, sizeof(perr));
	struct scn_file *setup = NULL;
	if (target && replay_parse_target(target, &t, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "wssim replay: %s\n", msg);
		return EXIT_USAGE;
	}
	if (setup_path &&
	    scn_parse_topology_file(setup_path, &setup, &perr) < 0) {
		fprintf(stderr, "wssim replay: --setup: the setup does not "
				"parse:\n");
		scn_error_print(stderr, &perr, ecolor);
		return EXIT_USAGE;
	}
	struct replay_opts ro = {
	    .target = &t,
	    .setup = setup,
	    .via = via,
	    .binary_by_length = by_length,
	    .host = host,
	    .speed = asap ? 0 : speed,
	    .repeat = (unsigned)repeat,
	    .insecure = insecure,
	};
	struct scn_file *f =
	    replay_load(argv[optind], &ro, &perr, msg, sizeof(msg));
	if (!f) {
		if (msg[0])
			fprintf(stderr, "wssim replay: %s\n", msg);
		else
			scn_error_print(stderr, &perr, ecolor);
		return EXIT_USAGE;
	}
	/* the title says what ran against what */
	const char *title = f->title ? f->title : argv[optind];
	char against[700];
	if (setup_path)
		snprintf(against, sizeof(against), "%s via %s", setup_path,
			 t.via);
	else
		snprintf(against, sizeof(against), "%s", target);
	size_t tl = strlen(title) + strlen(against) + 32;
	char *nt = malloc(tl);
	if (nt) {
		snprintf(nt, tl, "%s, replayed against %s", title, against);
		free(f->title);
		f->title = nt;
	}
	bool use_color = report_opts_color(&rop, stdout);
	struct sim_report r;
	sim_run(f, &o, &r);
	if (!asap)
		replay_timing_report(f, &r,
				     max_drift_ms >= 0
					 ? (int64_t)(max_drift_ms * 1000 + 0.5)
					 : -1);
	if (setup_path && r.outcome == SIM_ERR_SCENARIO && r.message) {
		/* the proxy refused the setup's config: say whose */
		size_t ml = strlen(setup_path) + strlen(r.message) + 8;
		char *m = malloc(ml);
		if (m) {
			snprintf(m, ml, "%s: %s", setup_path, r.message);
			free(r.message);
			r.message = m;
		}
	}
	report_console(stdout, &r, use_color);
	char overall[512];
	if (r.nclients > 1 &&
	    replay_timing_overall(&r, overall, sizeof(overall)))
		printf("  %s\n", overall);
	int code = report_finish("wssim replay", &r, 1, rop.junit, rop.json,
				 rop.force);
	sim_report_free(&r);
	scn_free(f);
	return code;
}
