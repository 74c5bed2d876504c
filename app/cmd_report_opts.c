/* The options `wssim run` and `wssim replay` share (see cmd_report_opts.h). */
#include "cmd_report_opts.h"

#include <stdlib.h>
#include <unistd.h>

int report_opt(const char *who, int ch, const char *arg, struct report_opts *ro,
	       struct sim_run_opts *o)
{
	char *end;
	long v;
	switch (ch) {
	case 'v':
		o->verbose = 1;
		return 1;
	case RO_JUNIT:
		ro->junit = arg;
		return 1;
	case RO_JSON:
		ro->json = arg;
		return 1;
	case RO_COLOR:
		ro->color = 1;
		return 1;
	case RO_NOCOLOR:
		ro->color = 0;
		return 1;
	case RO_FORCE:
		ro->force = true;
		return 1;
	case RO_TIMEOUT:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 86400) {
			fprintf(stderr,
				"%s: --timeout: '%s' is not a number of "
				"seconds (1 to 86400)\n",
				who, arg);
			return -1;
		}
		o->run_timeout_ms = (uint64_t)v * 1000;
		return 1;
	default:
		return 0;
	}
}

bool report_opts_color(const struct report_opts *ro, FILE *con)
{
	if (ro->color >= 0)
		return ro->color;
	return isatty(fileno(con)) && !getenv("NO_COLOR");
}

void report_opt_unknown(const char *who, const char *arg, const char *usage)
{
	fprintf(stderr, "%s: unknown option or missing value: '%s'\n", who,
		arg);
	fputs(usage, stderr);
}
