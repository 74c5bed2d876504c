/* Replay of recordings: a recording (a scenario of clients only, written
 * by `wssim capture -o`) turned into the scenario to run against a target
 * on loopback: each client's URL gets the target's scheme, host and port
 * (the recorded path and query stay), the recorded `at`s, waits and
 * client `start` offsets are scaled or dropped (so recorded concurrency
 * is kept; --asap starts every client with a `start` at once), the
 * clients may be repeated (each copy with its original's start: they run
 * together). sim_run then runs it, and its report is the diff against
 * the recording. */
#ifndef WSSIM_REPLAY_H
#define WSSIM_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "scn.h"

struct replay_target {
	bool tls;
	char authority[300]; /* host:port as given */
};

/* Parse a target URL (ws, wss, http, https://HOST:PORT on loopback, no
 * path). Returns 0, or -1 with a message in err. */
int replay_parse_target(const char *url, struct replay_target *t, char *err,
			size_t errlen);

struct replay_opts {
	const struct replay_target *target;
	const char *host; /* Host header to send, or NULL */
	double speed;	  /* waits and starts divided by it; 0 drops them
			     (--asap) */
	unsigned repeat;  /* 0 or 1: once */
	bool insecure;
};

/* Load the recording at `path`, repeated and rewritten. Returns the
 * scenario (free with scn_free), or NULL: with *perr filled (line > 0 or
 * a file that cannot be read) when the file does not parse, else with a
 * message in err. */
struct scn_file *replay_load(const char *path, const struct replay_opts *o,
			     struct scn_error *perr, char *err, size_t errlen);

#endif
