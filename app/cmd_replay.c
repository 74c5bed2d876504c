/* `wssim replay`: run a recording (a scenario written by `wssim capture
 * -o`) against a running setup on loopback. Each client's URL gets the
 * target's scheme, host and port (the recorded path and query stay); the
 * recorded waits are scaled (--speed) or dropped (--asap); the clients
 * may be repeated; then sim_run does the rest, and the report is the
 * diff: every failed expectation says what was recorded (expected) and
 * what came back (observed). Exit 0/1/2/3 as `wssim run`. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "report.h"
#include "run.h"
#include "scn.h"

static const char usage_text[] =
    "usage: wssim replay RECORDING.scn --target URL [options]\n"
    "\n"
    "Replays the client side of a recording (`wssim capture -o "
    "RECORDING.scn`)\n"
    "against a running setup on loopback: fresh connections and "
    "handshakes,\n"
    "new masks, the recorded messages with the recorded pauses; what "
    "comes back\n"
    "is checked against what was recorded, and each difference is "
    "reported as\n"
    "expected (recorded) vs observed (replayed).\n"
    "\n"
    "  --target URL      where to send it: ws://, wss://, http:// or "
    "https://\n"
    "                    HOST:PORT on loopback (127.0.0.1, [::1], "
    "localhost);\n"
    "                    its scheme, host and port replace the recorded "
    "ones, the\n"
    "                    recorded path and query stay (a ws recording "
    "against an\n"
    "                    https target becomes wss)\n"
    "  --host HOST       send this Host header instead of the target's\n"
    "  --speed X         scale the recorded pauses: 2 is twice as fast\n"
    "  --asap            no pauses at all\n"
    "  --repeat N        replay the recorded clients N times\n"
    "  --insecure        wss/https: do not verify the certificate\n"
    "  --ca FILE         wss/https: trust this CA (PEM)\n"
    "  --junit FILE      JUnit XML report\n"
    "  --json FILE       JSON report (docs/report.md; - for stdout)\n"
    "  --timeout SECONDS limit for the whole replay (default 120)\n"
    "  -v, --verbose     show every event as it happens\n"
    "  --color, --no-color colour on the console (default: on a TTY)\n"
    "\n"
    "This first version replays the recorded connections one after "
    "another:\n"
    "sessions that overlapped in the recording do not overlap in the "
    "replay.\n"
    "\n"
    "exit: 0 everything came back as recorded, 1 a difference (a status, "
    "a\n"
    "message, a close code), 2 usage or recording error, 3 environment "
    "error\n";

struct target {
	bool tls;
	char authority[300]; /* host:port as given */
};

static bool host_is_loopback(const char *h, size_t n)
{
	if (n == 9 && !strncasecmp(h, "localhost", 9))
		return true;
	if (n == 5 && !strncmp(h, "[::1]", 5))
		return true;
	if (n < 7 || n > 15 || strncmp(h, "127.", 4))
		return false;
	unsigned dots = 0;
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (h[i] < '0' || h[i] > '9')
			return false;
	}
	return dots == 3;
}

static int parse_target(const char *url, struct target *t, char *err,
			size_t errlen)
{
	const char *rest;
	if (!strncmp(url, "ws://", 5) || !strncmp(url, "http://", 7)) {
		t->tls = false;
	} else if (!strncmp(url, "wss://", 6) || !strncmp(url, "https://", 8)) {
		t->tls = true;
	} else {
		snprintf(err, errlen,
			 "--target: '%s' is not a ws://, wss://, http:// or "
			 "https:// URL",
			 url);
		return -1;
	}
	rest = strstr(url, "://") + 3;
	size_t n = strcspn(rest, "/?#");
	if ((rest[n] && strcmp(rest + n, "/")) || n == 0 ||
	    n >= sizeof(t->authority)) {
		snprintf(err, errlen,
			 "--target: '%s' must be SCHEME://HOST:PORT (the "
			 "recorded path and query are kept)",
			 url);
		return -1;
	}
	memcpy(t->authority, rest, n);
	t->authority[n] = '\0';
	/* the host: up to the port */
	const char *h = t->authority;
	size_t hl = n;
	if (h[0] == '[') {
		const char *e = strchr(h, ']');
		hl = e ? (size_t)(e - h) + 1 : n;
	} else {
		const char *c = strchr(h, ':');
		if (c)
			hl = (size_t)(c - h);
	}
	if (h[hl] == ':') {
		char *end;
		long port = strtol(h + hl + 1, &end, 10);
		if (*end || port < 1 || port > 65535) {
			snprintf(err, errlen, "--target: bad port in '%s'",
				 url);
			return -1;
		}
	} else if (h[hl]) {
		snprintf(err, errlen, "--target: bad address in '%s'", url);
		return -1;
	}
	if (!host_is_loopback(h, hl)) {
		snprintf(err, errlen,
			 "--target: '%.*s' is not on loopback: replay only "
			 "talks to 127.0.0.0/8, [::1] or localhost",
			 (int)hl, h);
		return -1;
	}
	return 0;
}

/* The recorded URL with the target's scheme, host and port. Returns a
 * malloc'd string, or NULL with a message. */
static char *rewrite_url(const char *rec, const struct target *t, char *err,
			 size_t errlen)
{
	bool ws;
	if (!strncmp(rec, "ws://", 5) || !strncmp(rec, "wss://", 6))
		ws = true;
	else if (!strncmp(rec, "http://", 7) || !strncmp(rec, "https://", 8))
		ws = false;
	else {
		snprintf(err, errlen, "a client URL '%s' without a scheme",
			 rec);
		return NULL;
	}
	const char *auth = strstr(rec, "://") + 3;
	const char *rest = auth + strcspn(auth, "/?#");
	const char *scheme =
	    ws ? (t->tls ? "wss" : "ws") : (t->tls ? "https" : "http");
	size_t len = strlen(scheme) + 3 + strlen(t->authority) + strlen(rest);
	char *u = malloc(len + 1);
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(u, len + 1, "%s://%s%s", scheme, t->authority, rest);
	return u;
}

/* A literal value as a template: every `${` becomes `$${`. */
static char *literal(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += (p[0] == '$' && p[1] == '{') ? 2 : 1;
	char *d = malloc(n + 1), *o = d;
	if (!d)
		return NULL;
	for (const char *p = s; *p; p++) {
		if (p[0] == '$' && p[1] == '{')
			*o++ = '$';
		*o++ = *p;
	}
	*o = '\0';
	return d;
}

static int set_host(struct scn_client *c, const char *host)
{
	char *v = literal(host);
	if (!v)
		return -1;
	for (size_t i = 0; i < c->nheaders; i++)
		if (!strcasecmp(c->headers[i].name, "Host")) {
			free(c->headers[i].value);
			c->headers[i].value = v;
			return 0;
		}
	struct scn_header *h =
	    realloc(c->headers, (c->nheaders + 1) * sizeof(*h));
	char *name = strdup("Host");
	if (!h || !name) {
		if (h)
			c->headers = h;
		free(name);
		free(v);
		return -1;
	}
	c->headers = h;
	c->headers[c->nheaders].name = name;
	c->headers[c->nheaders].value = v;
	c->nheaders++;
	return 0;
}

/* Scale every wait by 1/speed (speed 0: drop them, --asap). */
static void scale_waits(struct scn_step *s, size_t n, double speed)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].kind == SCN_WAIT)
			s[i].ms =
			    speed > 0
				? (uint64_t)((double)s[i].ms / speed + 0.5)
				: 0;
		else if (s[i].kind == SCN_REPEAT)
			scale_waits(s[i].body, s[i].nbody, speed);
	}
}

/* Append the clients of `more` to `f`, renamed NAME_rK (more keeps none). */
static int merge_clients(struct scn_file *f, struct scn_file *more, unsigned k)
{
	for (size_t i = 0; i < more->nclients; i++) {
		struct scn_client *c = &more->clients[i];
		size_t len = strlen(c->name) + 16;
		char *name = malloc(len);
		if (!name)
			return -1;
		snprintf(name, len, "%s_r%u", c->name, k);
		free(c->name);
		c->name = name;
	}
	struct scn_client *v =
	    realloc(f->clients, (f->nclients + more->nclients) * sizeof(*v));
	if (!v)
		return -1;
	f->clients = v;
	memcpy(v + f->nclients, more->clients, more->nclients * sizeof(*v));
	f->nclients += more->nclients;
	more->nclients = 0;
	return 0;
}

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

/* Load the recording, repeated and rewritten. Returns the file, or NULL
 * after printing why. */
static struct scn_file *load(const char *path, unsigned repeat,
			     const struct target *t, const char *host,
			     double speed, bool insecure, bool color)
{
	struct scn_error err;
	struct scn_file *f = NULL;
	if (scn_parse_file(path, &f, &err) < 0) {
		scn_error_print(stderr, &err, color);
		return NULL;
	}
	if (f->ncomps) {
		fprintf(stderr,
			"wssim replay: %s declares components: replay takes "
			"a recording (clients only) and a --target; run a "
			"scenario with `wssim run`\n",
			path);
		scn_free(f);
		return NULL;
	}
	size_t n0 = f->nclients;
	for (unsigned k = 2; k <= repeat; k++) {
		struct scn_file *more;
		if (scn_parse_file(path, &more, &err) < 0) {
			scn_error_print(stderr, &err, color);
			scn_free(f);
			return NULL;
		}
		int r = merge_clients(f, more, k);
		scn_free(more);
		if (r < 0)
			goto oom;
	}
	if (repeat > 1)
		for (size_t i = 0; i < n0; i++) {
			struct scn_client *c = &f->clients[i];
			size_t len = strlen(c->name) + 4;
			char *name = malloc(len);
			if (!name)
				goto oom;
			snprintf(name, len, "%s_r1", c->name);
			free(c->name);
			c->name = name;
		}
	for (size_t i = 0; i < f->nclients; i++) {
		struct scn_client *c = &f->clients[i];
		char msg[512];
		char *u = rewrite_url(c->url, t, msg, sizeof(msg));
		if (!u) {
			fprintf(stderr, "wssim replay: %s:%u: %s\n", path,
				c->url_pos.line, msg);
			scn_free(f);
			return NULL;
		}
		free(c->url);
		c->url = u;
		if (host && set_host(c, host) < 0)
			goto oom;
		if (insecure)
			c->insecure = true;
		if (speed != 1)
			scale_waits(c->steps, c->nsteps, speed);
	}
	return f;
oom:
	fprintf(stderr, "wssim replay: out of memory\n");
	scn_free(f);
	return NULL;
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
		O_JUNIT,
		O_JSON,
		O_TIMEOUT,
		O_COLOR,
		O_NOCOLOR
	};
	static const struct option opts[] = {
	    {"target", required_argument, NULL, O_TARGET},
	    {"host", required_argument, NULL, O_HOST},
	    {"speed", required_argument, NULL, O_SPEED},
	    {"asap", no_argument, NULL, O_ASAP},
	    {"repeat", required_argument, NULL, O_REPEAT},
	    {"insecure", no_argument, NULL, O_INSECURE},
	    {"ca", required_argument, NULL, O_CA},
	    {"junit", required_argument, NULL, O_JUNIT},
	    {"json", required_argument, NULL, O_JSON},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"verbose", no_argument, NULL, 'v'},
	    {"color", no_argument, NULL, O_COLOR},
	    {"no-color", no_argument, NULL, O_NOCOLOR},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sim_run_opts o = {0};
	const char *target = NULL, *host = NULL, *junit = NULL, *json = NULL;
	double speed = 1;
	bool asap = false, have_speed = false, insecure = false;
	long repeat = 1;
	int color = -1;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		char *end;
		long v;
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
			if (parse_double(optarg, &speed) < 0) {
				fprintf(stderr,
					"wssim replay: --speed: '%s' is not a "
					"positive number\n",
					optarg);
				return EXIT_USAGE;
			}
			have_speed = true;
			break;
		case O_ASAP:
			asap = true;
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
		case O_JUNIT:
			junit = optarg;
			break;
		case O_JSON:
			json = optarg;
			break;
		case O_TIMEOUT:
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 86400) {
				fprintf(stderr,
					"wssim replay: --timeout: '%s' is "
					"not a number of seconds\n",
					optarg);
				return EXIT_USAGE;
			}
			o.run_timeout_ms = (uint64_t)v * 1000;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case O_COLOR:
			color = 1;
			break;
		case O_NOCOLOR:
			color = 0;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			fprintf(stderr,
				"wssim replay: unknown option or missing "
				"value: '%s'\n",
				argv[optind - 1]);
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	const char *why = NULL;
	if (optind >= argc)
		why = "name the recording to replay";
	else if (optind + 1 < argc)
		why = "one recording at a time";
	else if (!target)
		why = "--target URL is required (where to replay it)";
	else if (asap && have_speed)
		why = "--speed and --asap exclude each other";
	if (why) {
		fprintf(stderr, "wssim replay: %s\n", why);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	struct target t;
	char msg[512];
	if (parse_target(target, &t, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "wssim replay: %s\n", msg);
		return EXIT_USAGE;
	}
	bool ecolor = isatty(2) && !getenv("NO_COLOR");
	struct scn_file *f = load(argv[optind], (unsigned)repeat, &t, host,
				  asap ? 0 : speed, insecure, ecolor);
	if (!f)
		return EXIT_USAGE;
	/* the title says what ran against what */
	const char *title = f->title ? f->title : argv[optind];
	size_t tl = strlen(title) + strlen(target) + 32;
	char *nt = malloc(tl);
	if (nt) {
		snprintf(nt, tl, "%s, replayed against %s", title, target);
		free(f->title);
		f->title = nt;
	}
	bool use_color =
	    color >= 0 ? color : isatty(fileno(stdout)) && !getenv("NO_COLOR");
	struct sim_report r;
	sim_run(f, &o, &r);
	report_console(stdout, &r, use_color);
	int code = report_exit_code(&r, 1);
	if (junit && report_junit(junit, &r, 1) < 0) {
		fprintf(stderr, "wssim replay: %s: %s\n", junit,
			strerror(errno));
		code = EXIT_ENV;
	}
	if (json && report_json(json, &r, 1) < 0) {
		fprintf(stderr, "wssim replay: %s: %s\n", json,
			strerror(errno));
		code = EXIT_ENV;
	}
	if (sim_interrupted() && code == EXIT_OK)
		code = EXIT_ENV;
	sim_report_free(&r);
	scn_free(f);
	return code;
}
