/* The options `wssim run` and `wssim replay` share: where the reports go
 * (--junit, --json, --force), console colour (--color, --no-color), the run's
 * time limit (--timeout SECONDS) and -v; and how both say an unknown option. */
#ifndef WSSIM_CMD_REPORT_OPTS_H
#define WSSIM_CMD_REPORT_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "run.h"

/* getopt_long values of the shared options: above every command's own. */
enum {
	RO_JUNIT = 1000,
	RO_JSON,
	RO_TIMEOUT,
	RO_COLOR,
	RO_NOCOLOR,
	RO_FORCE,
};

/* Their struct option entries, for a command's table. */
#define REPORT_LONG_OPTIONS                                                    \
	{"junit", required_argument, NULL, RO_JUNIT},                          \
	    {"json", required_argument, NULL, RO_JSON},                        \
	    {"timeout", required_argument, NULL, RO_TIMEOUT},                  \
	    {"verbose", no_argument, NULL, 'v'},                               \
	    {"color", no_argument, NULL, RO_COLOR},                            \
	    {"no-color", no_argument, NULL, RO_NOCOLOR},                       \
	{                                                                      \
		"force", no_argument, NULL, RO_FORCE                           \
	}

struct report_opts {
	const char *junit, *json; /* report files, or NULL */
	int color;  /* 1 on, 0 off, -1 when the console is a tty */
	bool force; /* write them through a symlink or to a device */
};

#define REPORT_OPTS_INIT                                                       \
	{                                                                      \
		NULL, NULL, -1, false                                          \
	}

/* Take getopt's `ch` (with `arg`) if it is a shared option, into ro and
 * o: 1 taken, 0 not a shared option, -1 a bad value (said on stderr,
 * "WHO: --timeout: ..."). */
int report_opt(const char *who, int ch, const char *arg, struct report_opts *ro,
	       struct sim_run_opts *o);

/* Whether the console report to `con` is in colour. */
bool report_opts_color(const struct report_opts *ro, FILE *con);

/* "WHO: unknown option or missing value: 'ARG'" and the usage, on stderr. */
void report_opt_unknown(const char *who, const char *arg, const char *usage);

#endif
