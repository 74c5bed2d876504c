/* Replay of recordings: a recording (a scenario of clients only, written
 * by `wssim capture -o`) turned into the scenario to run against a target
 * on loopback, or against the topology of a setup scenario
 * (replay_setup.h): each client's URL gets the target's scheme, host and
 * port (the recorded path and query stay), the recorded waits, client
 * `start` offsets and `at` notes are scaled or dropped (so recorded
 * concurrency is kept; --asap starts every client with a `start` at
 * once), the clients may be repeated (each copy with its original's start:
 * they run together), recorded binary messages may be expected by their
 * length only. sim_run then runs it, and its report is the diff against
 * the recording; replay_timing.h adds the timing drift. */
#ifndef WSSIM_REPLAY_H
#define WSSIM_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "scn.h"

struct replay_target {
	bool tls;
	/* host:port as given (--target), or the macro of a setup's
	 * listener: "${front.http}" */
	char authority[300];
	char via[80]; /* a setup's listener: "front.http"; else "" */
};

/* Parse a target URL (ws, wss, http, https://HOST:PORT on loopback, no
 * path). Returns 0, or -1 with a message in err. */
int replay_parse_target(const char *url, struct replay_target *t, char *err,
			size_t errlen);

struct replay_opts {
	/* --target: where the clients go. With `setup`, filled by
	 * replay_load with the listener chosen (replay_setup_via). */
	struct replay_target *target;
	/* --setup: the parsed setup scenario whose topology runs the replay
	 * (taken by replay_load, freed on every path), and --via: its
	 * listener (NULL: the default choice). NULL: --target. */
	struct scn_file *setup;
	const char *via;
	bool binary_by_length; /* expect binary messages by length only */
	const char *host;      /* Host header to send, or NULL */
	double speed;	       /* waits and starts divided by it; 0 drops them
				  (--asap) */
	unsigned repeat;       /* 0 or 1: once */
	bool insecure;
};

/* Load the recording at `path`, repeated and rewritten (and merged into
 * o->setup when given). Returns the scenario (free with scn_free), or
 * NULL: with *perr filled (line > 0 or a file that cannot be read) when
 * the file does not parse, else with a message in err (a recording that
 * declares components, a URL without a scheme, an unknown --via). */
struct scn_file *replay_load(const char *path, const struct replay_opts *o,
			     struct scn_error *perr, char *err, size_t errlen);

#endif
