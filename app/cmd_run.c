/* `wssim run`: parse scenario files (all of them, before anything
 * starts), run them (in process, or -j N worker processes), report on the
 * console and in TAP / JUnit / JSON, exit 0/1/2/3. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_report_opts.h"
#include "report.h"
#include "run.h"
#include "scn.h"

static const char usage_text[] =
    "usage: wssim run [options] SCENARIO... (files or globs; options may "
    "come\n"
    "                 before or after them)\n"
    "\n"
    "Brings up each scenario's topology (mock Tomcat + the real proxy "
    "under\n"
    "test), drives its clients, checks its expectations, tears it all "
    "down.\n"
    "\n"
    "  -j, --jobs N        run N scenarios at once (each in its own "
    "process)\n"
    "  -v, --verbose       show every event of every hop as it happens\n"
    "  --tap               TAP on stdout (the console report goes to "
    "stderr)\n"
    "  --junit FILE        JUnit XML report\n"
    "  --json FILE         JSON report (docs/report.md; - for stdout)\n"
    "  --force             let --junit/--json write through a symlink or "
    "to a\n"
    "                      device (refused by default)\n"
    "  --keep              keep the config, logs and certificates of a "
    "failed run\n"
    "  --apache-bin PATH   the apache2 to test (default: apache2 on "
    "PATH)\n"
    "  --nginx-bin PATH, --haproxy-bin PATH   likewise\n"
    "  --timeout SECONDS   limit for each scenario (default 120)\n"
    "  --color, --no-color colour on the console (default: on a TTY)\n"
    "\n"
    "exit: 0 all expectations hold, 1 an expectation failed, 2 usage or "
    "scenario\n"
    "error, 3 environment error (a binary missing, a port or process "
    "failure)\n";

struct files {
	char **v;
	size_t n, cap;
};

static int add_file(struct files *fs, const char *p)
{
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 16;
		char **v = realloc(fs->v, cap * sizeof(*v));
		if (!v)
			return -1;
		fs->v = v;
		fs->cap = cap;
	}
	fs->v[fs->n] = strdup(p);
	return fs->v[fs->n++] ? 0 : -1;
}

/* A pattern the shell left alone (a quoted scenarios/STAR.scn) is expanded
 * here; a plain name is taken as is (a missing file is reported by the
 * parser with its name). */
static int expand_arg(struct files *fs, const char *arg)
{
	if (!strpbrk(arg, "*?["))
		return add_file(fs, arg);
	glob_t g;
	int r = glob(arg, 0, NULL, &g);
	if (r == GLOB_NOMATCH) {
		fprintf(stderr, "wssim run: no file matches '%s'\n", arg);
		return -2;
	}
	for (size_t i = 0; r == 0 && i < g.gl_pathc; i++)
		if (add_file(fs, g.gl_pathv[i]) < 0)
			r = -1;
	globfree(&g);
	return r ? -1 : 0;
}

static pid_t *workers;
static size_t nworkers;

static void forward_signal(int sig)
{
	for (size_t i = 0; i < nworkers; i++)
		if (workers[i] > 0)
			kill(workers[i], sig);
}

/* Run scenarios in worker processes, at most `jobs` at once; reports come
 * back over pipes. */
static void run_parallel(struct scn_file **sc, size_t n, unsigned jobs,
			 const struct sim_run_opts *o, struct sim_report *rs,
			 bool color, FILE *con)
{
	workers = calloc(n, sizeof(*workers));
	int *fds = calloc(n, sizeof(*fds));
	nworkers = n;
	struct sigaction sa = {.sa_handler = forward_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	size_t next = 0, running = 0, done = 0;
	while (done < n) {
		while (running < jobs && next < n) {
			int p[2];
			if (pipe(p) < 0)
				break;
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				close(p[0]);
				signal(SIGINT, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				struct sim_report r;
				sim_run(sc[next], o, &r);
				int e = report_send(p[1], &r);
				sim_report_free(&r);
				_exit(e ? 3 : 0);
			}
			close(p[1]);
			if (pid < 0) {
				close(p[0]);
				break;
			}
			workers[next] = pid;
			fds[next] = p[0];
			next++;
			running++;
		}
		int status;
		pid_t pid = wait(&status);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (size_t i = 0; i < next; i++) {
			if (workers[i] != pid)
				continue;
			workers[i] = 0;
			if (report_recv(fds[i], &rs[i]) < 0) {
				sim_report_free(&rs[i]);
				rs[i].path = strdup(sc[i]->path);
				rs[i].outcome = SIM_ERR_ENV;
				rs[i].message = strdup("the worker process "
						       "died");
			}
			close(fds[i]);
			report_console(con, &rs[i], color);
			running--;
			done++;
		}
	}
	free(workers);
	workers = NULL;
	nworkers = 0;
	free(fds);
}

int cmd_run(int argc, char **argv)
{
	enum {
		O_TAP = 256,
		O_KEEP,
		O_APACHE,
		O_NGINX,
		O_HAPROXY,
	};
	static const struct option opts[] = {
	    {"jobs", required_argument, NULL, 'j'},
	    {"tap", no_argument, NULL, O_TAP},
	    {"keep", no_argument, NULL, O_KEEP},
	    {"apache-bin", required_argument, NULL, O_APACHE},
	    {"nginx-bin", required_argument, NULL, O_NGINX},
	    {"haproxy-bin", required_argument, NULL, O_HAPROXY},
	    REPORT_LONG_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sim_run_opts o = {0};
	unsigned jobs = 1;
	bool tap = false;
	struct report_opts ro = REPORT_OPTS_INIT;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "j:vh", opts, NULL)) != -1) {
		char *end;
		long v;
		int taken = report_opt("wssim run", ch, optarg, &ro, &o);
		if (taken < 0)
			return EXIT_USAGE;
		if (taken)
			continue;
		switch (ch) {
		case 'j':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 64) {
				fprintf(stderr,
					"wssim run: -j: '%s' is not a "
					"number from 1 to 64\n",
					optarg);
				return EXIT_USAGE;
			}
			jobs = (unsigned)v;
			break;
		case O_TAP:
			tap = true;
			break;
		case O_KEEP:
			o.keep = true;
			break;
		case O_APACHE:
			o.apache_bin = optarg;
			break;
		case O_NGINX:
			o.nginx_bin = optarg;
			break;
		case O_HAPROXY:
			o.haproxy_bin = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			report_opt_unknown("wssim run", argv[optind - 1],
					   usage_text);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "wssim run: name at least one scenario file\n");
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	FILE *con = tap ? stderr : stdout;
	bool use_color = report_opts_color(&ro, con);
	struct files fs = {0};
	for (int i = optind; i < argc; i++) {
		int r = expand_arg(&fs, argv[i]);
		if (r < 0)
			return r == -2 ? EXIT_USAGE : EXIT_ENV;
	}
	/* Parse everything first: a bad file stops the run before anything
	 * starts. */
	struct scn_file **sc = calloc(fs.n, sizeof(*sc));
	int bad = 0;
	for (size_t i = 0; i < fs.n; i++) {
		struct scn_error err;
		if (scn_parse_file(fs.v[i], &sc[i], &err) < 0) {
			scn_error_print(stderr, &err,
					isatty(2) && !getenv("NO_COLOR"));
			bad++;
		}
	}
	int code = EXIT_USAGE;
	if (!bad) {
		struct sim_report *rs = calloc(fs.n, sizeof(*rs));
		size_t ran = 0;
		if (jobs > 1 && fs.n > 1) {
			run_parallel(sc, fs.n, jobs, &o, rs, use_color, con);
			ran = fs.n;
		} else {
			for (; ran < fs.n && !sim_interrupted(); ran++) {
				sim_run(sc[ran], &o, &rs[ran]);
				report_console(con, &rs[ran], use_color);
			}
		}
		if (ran > 1)
			report_console_total(con, rs, ran, use_color);
		if (tap)
			report_tap(stdout, rs, ran);
		code = report_finish("wssim run", rs, ran, ro.junit, ro.json,
				     ro.force);
		for (size_t i = 0; i < fs.n; i++)
			sim_report_free(&rs[i]);
		free(rs);
	}
	for (size_t i = 0; i < fs.n; i++) {
		scn_free(sc[i]);
		free(fs.v[i]);
	}
	free(sc);
	free(fs.v);
	return code;
}
