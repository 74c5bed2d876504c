/* `wssim mock-tomcat`: the mock Tomcat as a standalone server. Prints one
 * line per open connector on stdout ("listening ajp 127.0.0.1:40123"),
 * logs to stderr, stops on SIGINT/SIGTERM (open websocket sessions get
 * close 1001 "The web application is stopping"; exit 0 within a second). */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "mock_tomcat.h"
#include "net_addr.h"
#include "os_file.h"

static const char usage_text[] =
    "usage: wssim mock-tomcat [--http PORT] [--https PORT] [--ajp PORT]\n"
    "                         [--bind ADDR] [--cert FILE --key FILE | "
    "--ca-out FILE]\n"
    "                         [--ajp-secret-file FILE] [--ajp-packet-size "
    "N] [-v|-q]\n"
    "\n"
    "Runs a mock of Tomcat 10.1 with its examples webapp: websocket echo\n"
    "endpoints under /examples/websocket/ and the page echo.xhtml.\n"
    "Only the connectors named are opened; PORT 0 picks a free port.\n"
    "\n"
    "  --http PORT         HTTP/1.1 connector (websocket upgrades work)\n"
    "  --https PORT        HTTPS connector (TLS 1.2/1.3)\n"
    "  --ajp PORT          AJP13 connector (upgrades fail with 500, as "
    "Tomcat's)\n"
    "  --bind ADDR         listen address (default 127.0.0.1; ::1 for "
    "IPv6)\n"
    "  --cert F --key F    HTTPS certificate chain and key (PEM)\n"
    "  --ca-out FILE       without --cert: write the generated test CA "
    "here\n"
    "                      (--force: even through a symlink or to a "
    "device)\n"
    "  --ajp-secret-file F require the AJP secret in F, its first line "
    "(403\n"
    "                      otherwise); or set WSSIM_AJP_SECRET; "
    "--ajp-secret S\n"
    "                      also works, but shows S to every user in ps\n"
    "  --ajp-packet-size N AJP packet size, 8192 (default) to 65536\n"
    "  -v, --verbose       log every websocket frame too\n"
    "  -q, --quiet         log nothing\n"
    "\n"
    "stdout: one line per connector, 'listening <http|https|ajp> "
    "ADDR:PORT'.\n";

/* The AJP secret from a file: its first line (without CR LF), from a
 * regular file of at most 4 KiB. NULL with a message on stderr. */
static char *read_secret(const char *path)
{
	char *s = NULL, err[PATH_MAX + 300];
	size_t n = 0;
	if (os_read_file(path, 4096, &s, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "wssim mock-tomcat: --ajp-secret-file %s\n",
			err);
		return NULL;
	}
	s[strcspn(s, "\r\n")] = '\0';
	if (!*s) {
		char shown[300];
		fprintf(stderr,
			"wssim mock-tomcat: --ajp-secret-file %s: its first "
			"line is empty\n",
			os_path_show(path, shown, sizeof(shown)));
		free(s);
		return NULL;
	}
	return s;
}

struct cli {
	int verbose; /* 0 quiet, 1 normal, 2 frames */
	struct mock_tomcat *m;
	uv_loop_t *loop;
	uv_signal_t sigint, sigterm;
	int stopping;
};

static void log_event(void *ctx, const struct mock_event *ev)
{
	struct cli *cli = ctx;
	const char *conn = mock_connector_name(ev->connector);
	if (ev->type == MOCK_EV_LISTENING) { /* always: scripts read it */
		char addr[80];
		struct sockaddr_storage ss;
		net_addr_make(ev->peer, ev->port, &ss);
		net_addr_format((struct sockaddr *)&ss, addr, sizeof(addr));
		printf("listening %s %s\n", conn, addr);
		fflush(stdout);
		return;
	}
	if (cli->verbose == 0)
		return;
	switch (ev->type) {
	case MOCK_EV_LISTENING:
		break;
	case MOCK_EV_ACCEPT:
		fprintf(stderr, "mock-tomcat: %s#%llu accepted %s\n", conn,
			(unsigned long long)ev->conn_id, ev->peer);
		break;
	case MOCK_EV_REQUEST:
		fprintf(stderr, "mock-tomcat: %s#%llu %s %s\n", conn,
			(unsigned long long)ev->conn_id, ev->method,
			ev->target);
		break;
	case MOCK_EV_RESPONSE:
		fprintf(stderr, "mock-tomcat: %s#%llu -> %d%s%s\n", conn,
			(unsigned long long)ev->conn_id, ev->status,
			ev->detail ? ": " : "", ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_WS_OPEN:
		fprintf(stderr,
			"mock-tomcat: %s#%llu websocket open (%s)%s%s\n", conn,
			(unsigned long long)ev->conn_id, ev->target,
			ev->detail ? " extensions: " : "",
			ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_WS_FRAME:
		if (cli->verbose > 1)
			fprintf(stderr,
				"mock-tomcat: %s#%llu frame opcode %u, %llu "
				"bytes\n",
				conn, (unsigned long long)ev->conn_id,
				ev->opcode, (unsigned long long)ev->len);
		break;
	case MOCK_EV_WS_CLOSE:
		fprintf(stderr, "mock-tomcat: %s#%llu close %d \"%s\" sent\n",
			conn, (unsigned long long)ev->conn_id, ev->status,
			ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_PROTOCOL_ERROR:
		fprintf(stderr, "mock-tomcat: %s#%llu protocol error: %s\n",
			conn, (unsigned long long)ev->conn_id,
			ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_CLOSE:
		if (cli->verbose > 1)
			fprintf(stderr, "mock-tomcat: %s#%llu closed\n", conn,
				(unsigned long long)ev->conn_id);
		break;
	case MOCK_EV_NOTE:
		fprintf(stderr, "mock-tomcat: %s#%llu %s\n", conn,
			(unsigned long long)ev->conn_id,
			ev->detail ? ev->detail : "");
		break;
	}
}

static void stopped(void *arg)
{
	struct cli *cli = arg;
	uv_close((uv_handle_t *)&cli->sigint, NULL);
	uv_close((uv_handle_t *)&cli->sigterm, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct cli *cli = s->data;
	if (cli->stopping++)
		_exit(EXIT_OK); /* a second signal: stop waiting for peers */
	if (cli->verbose)
		fprintf(stderr, "mock-tomcat: %s: stopping\n",
			signum == SIGINT ? "SIGINT" : "SIGTERM");
	mock_tomcat_stop(cli->m, 800, stopped, cli);
}

static int parse_port(const char *opt, const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 65535) {
		fprintf(stderr,
			"wssim mock-tomcat: %s: '%s' is not a port (0-65535)\n",
			opt, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int cmd_mock_tomcat(int argc, char **argv)
{
	enum {
		O_HTTP = 256,
		O_HTTPS,
		O_AJP,
		O_BIND,
		O_CERT,
		O_KEY,
		O_CA_OUT,
		O_SECRET,
		O_SECRET_FILE,
		O_PACKET,
		O_FORCE
	};
	static const struct option opts[] = {
	    {"http", required_argument, NULL, O_HTTP},
	    {"https", required_argument, NULL, O_HTTPS},
	    {"ajp", required_argument, NULL, O_AJP},
	    {"bind", required_argument, NULL, O_BIND},
	    {"cert", required_argument, NULL, O_CERT},
	    {"key", required_argument, NULL, O_KEY},
	    {"ca-out", required_argument, NULL, O_CA_OUT},
	    {"ajp-secret", required_argument, NULL, O_SECRET},
	    {"ajp-secret-file", required_argument, NULL, O_SECRET_FILE},
	    {"ajp-packet-size", required_argument, NULL, O_PACKET},
	    {"force", no_argument, NULL, O_FORCE},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct mock_config cfg;
	mock_config_init(&cfg);
	struct cli cli = {.verbose = 1};
	char *secret = NULL;
	const char *secret_from = NULL;
	int ch, any = 0;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (ch) {
		case O_HTTP:
		case O_HTTPS:
		case O_AJP: {
			enum mock_connector c = ch == O_HTTP	? MOCK_HTTP
						: ch == O_HTTPS ? MOCK_HTTPS
								: MOCK_AJP;
			static const char *const names[] = {"--http", "--https",
							    "--ajp"};
			if (parse_port(names[c], optarg, &cfg.port[c]) < 0)
				return EXIT_USAGE;
			any = 1;
			break;
		}
		case O_BIND:
			cfg.bind = optarg;
			break;
		case O_CERT:
			cfg.cert_file = optarg;
			break;
		case O_KEY:
			cfg.key_file = optarg;
			break;
		case O_CA_OUT:
			cfg.ca_out = optarg;
			break;
		case O_FORCE:
			cfg.ca_out_force = true;
			break;
		case O_SECRET:
			/* kept, then wiped from the command line that ps
			 * shows (there is a moment before: hence the file and
			 * the environment) */
			free(secret);
			secret = strdup(optarg);
			memset(optarg, 'x', strlen(optarg));
			secret_from = "--ajp-secret";
			break;
		case O_SECRET_FILE:
			free(secret);
			secret = read_secret(optarg);
			if (!secret)
				return EXIT_USAGE;
			secret_from = "--ajp-secret-file";
			break;
		case O_PACKET: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 8192 || v > 65536) {
				fprintf(stderr,
					"wssim mock-tomcat: --ajp-packet-size: "
					"'%s' is not between 8192 and 65536\n",
					optarg);
				return EXIT_USAGE;
			}
			cfg.ajp_packet_size = (size_t)v;
			break;
		}
		case 'v':
			cli.verbose = 2;
			break;
		case 'q':
			cli.verbose = 0;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			if (optopt && optopt < 256)
				fprintf(stderr,
					"wssim mock-tomcat: unknown option "
					"'-%c'\n",
					optopt);
			else
				fprintf(stderr,
					"wssim mock-tomcat: unknown option or "
					"missing value: '%s'\n",
					argv[optind - 1]);
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wssim mock-tomcat: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (!any) {
		fprintf(stderr, "wssim mock-tomcat: name at least one "
				"connector (--http, --https, --ajp)\n");
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	const char *env_secret = getenv("WSSIM_AJP_SECRET");
	if (!secret && env_secret && *env_secret) {
		secret = strdup(env_secret);
		secret_from = "WSSIM_AJP_SECRET";
	}
	if (secret_from && (!secret || !*secret)) {
		fprintf(stderr, "wssim mock-tomcat: %s: %s\n", secret_from,
			secret ? "an empty secret" : "out of memory");
		free(secret);
		return EXIT_USAGE;
	}
	cfg.ajp_secret = secret;
	if (!cfg.cert_file != !cfg.key_file) {
		fprintf(stderr,
			"wssim mock-tomcat: --cert and --key go together\n");
		return EXIT_USAGE;
	}
	if (cfg.cert_file && cfg.ca_out) {
		fprintf(stderr, "wssim mock-tomcat: --ca-out is for the "
				"generated certificate; not with --cert\n");
		return EXIT_USAGE;
	}
	struct sockaddr_storage ss;
	if (net_addr_make(cfg.bind, 0, &ss) != 0) {
		fprintf(stderr,
			"wssim mock-tomcat: --bind: '%s' is not a numeric IP "
			"address\n",
			cfg.bind);
		return EXIT_USAGE;
	}
	net_raise_nofile();
	signal(SIGPIPE, SIG_IGN);

	uv_loop_t loop;
	uv_loop_init(&loop);
	cli.loop = &loop;
	cfg.on_event = log_event;
	cfg.event_ctx = &cli;
	cfg.frame_events = cli.verbose > 1;
	char err[300] = "";
	int r = mock_tomcat_start(&loop, &cfg, &cli.m, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "wssim mock-tomcat: %s\n", err);
		free(secret);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return EXIT_ENV;
	}
	uv_signal_init(&loop, &cli.sigint);
	uv_signal_init(&loop, &cli.sigterm);
	cli.sigint.data = cli.sigterm.data = &cli;
	uv_signal_start(&cli.sigint, on_signal, SIGINT);
	uv_signal_start(&cli.sigterm, on_signal, SIGTERM);
	uv_run(&loop, UV_RUN_DEFAULT);
	mock_tomcat_free(cli.m);
	free(secret);
	return uv_loop_close(&loop) == 0 ? EXIT_OK : EXIT_ENV;
}
