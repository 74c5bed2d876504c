/* Process identity from /proc (see os_proc.h). */
#include "os_proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_file.h"

int os_proc_parse_stat(const char *text, char *state, pid_t *pgrp,
		       unsigned long long *start)
{
	/* "PID (COMM) S PPID PGRP ..." where COMM may hold spaces and ')':
	 * the fields start after the last ')' */
	const char *p = text ? strrchr(text, ')') : NULL;
	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	char st = *p;
	if (!st || p[1] != ' ')
		return -1;
	p += 2;
	/* fields 4 (ppid) .. 22 (starttime): 19 numbers */
	unsigned long long v[19];
	for (int i = 0; i < 19; i++) {
		char *end;
		errno = 0;
		long long x = strtoll(p, &end, 10);
		if (end == p || errno || (*end != ' ' && i < 18) ||
		    (i == 18 && *end != ' ' && *end != '\n' && *end))
			return -1;
		v[i] = (unsigned long long)x;
		p = end;
		while (*p == ' ')
			p++;
	}
	if (state)
		*state = st;
	if (pgrp)
		*pgrp = (pid_t)v[1];
	if (start)
		*start = v[18];
	return 0;
}

int os_proc_start(pid_t pid, unsigned long long *start, pid_t *pgrp)
{
	if (pid <= 0)
		return -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *text = NULL;
	char err[128];
	if (os_read_file(path, 4096, &text, NULL, err, sizeof(err)) != 0)
		return -1;
	char state;
	int rc = os_proc_parse_stat(text, &state, pgrp, start);
	free(text);
	if (rc != 0 || state == 'Z' || state == 'X')
		return -1;
	return 0;
}

bool os_proc_same(pid_t pid, unsigned long long start)
{
	unsigned long long now;
	return os_proc_start(pid, &now, NULL) == 0 && now == start;
}
