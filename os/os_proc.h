/* Telling one process from another that later got the same pid: a pid with
 * the time it started (field 22 of /proc/PID/stat, in clock ticks since
 * boot), which no other process can share while the boot lasts. What the
 * stale-run reaper records for every process it may have to kill.
 *
 * libc and /proc only.
 */
#ifndef WSSIM_OS_PROC_H
#define WSSIM_OS_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* The start time of `pid` (and its process group in *pgrp if not NULL).
 * Returns 0, or -1 if there is no such process (or it is a zombie, which
 * nothing can be done to). */
int os_proc_start(pid_t pid, unsigned long long *start, pid_t *pgrp);

/* Is `pid` still the process that started at `start`? */
bool os_proc_same(pid_t pid, unsigned long long start);

/* Parse the text of a /proc/PID/stat (pure, for tests): its state, process
 * group and start time. Returns 0, or -1 if it is not such a line. */
int os_proc_parse_stat(const char *text, char *state, pid_t *pgrp,
		       unsigned long long *start);

#endif
