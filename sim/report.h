/* Reports of scenario runs: the console (one line per client, with
 * expected vs observed, the hop trace and the fix for a failure; colour
 * on a TTY only), TAP, JUnit XML and JSON (schema in docs/report.md), and a
 * compact serialisation that carries a report from a `-j` worker process
 * to the parent. */
#ifndef WSSIM_SIM_REPORT_H
#define WSSIM_SIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "run.h"

void report_console(FILE *f, const struct sim_report *r, bool color);
/* The closing line: "3 scenarios: 2 passed, 1 failed, 0 skipped, 0
 * errors". */
void report_console_total(FILE *f, const struct sim_report *rs, size_t n,
			  bool color);
void report_tap(FILE *f, const struct sim_report *rs, size_t n);
/* JUnit XML and JSON to a stream. Return 0, or -1 if the stream had a
 * write error. */
int report_junit(FILE *f, const struct sim_report *rs, size_t n);
int report_json(FILE *f, const struct sim_report *rs, size_t n);

/* The exit code for a set of reports: 2 if any scenario was wrong, else
 * 3 if any environment error, else 1 if any expectation failed, else 0. */
int report_exit_code(const struct sim_report *rs, size_t n);

/* The end of a command that ran scenarios: write the JUnit and JSON files
 * asked for (NULL: not asked; "-" is stdout) as os_out does (to a temp
 * file beside the target, renamed into place; an existing symlink, FIFO
 * or device refused unless `force`) and return the exit code:
 * report_exit_code, or 3 when a file could not be written (said on stderr
 * after `who`, e.g. "wssim run") or the run was interrupted. */
int report_finish(const char *who, const struct sim_report *rs, size_t n,
		  const char *junit, const char *json, bool force);

/* Serialise a report (without its observer log and replay timing: `wssim
 * run -j`'s workers) to a file descriptor, and read it back. Return 0 or
 * -1. */
int report_send(int fd, const struct sim_report *r);
int report_recv(int fd, struct sim_report *r);

#endif
