/* Timing drift of a replay: for each client of a replayed recording, the
 * steps the recording timed (`at`: when a send went out or an answer came
 * in, since the client's start) matched with when the same thing happened
 * in the replay (the observer's events of that client, since its START
 * event: when it was due), the
 * drift (replayed - recorded) of each, its p50 and largest; with a
 * limit (`--max-drift`), a drift beyond it becomes a difference that fails
 * the client. Matching follows the client's own rules: the n-th send step
 * is the n-th message the client sent (automatic pongs aside), the n-th
 * `expect text|binary|echo` the n-th data message received, the n-th
 * `expect pong` the n-th pong; `expect status|open|closed` the response,
 * the open, the server's close frame. Running the replay is sim_run's;
 * printing the result is the report's. */
#ifndef WSSIM_REPLAY_TIMING_H
#define WSSIM_REPLAY_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observer.h"
#include "run.h"
#include "scn.h"

/* The timing of client `def` from the observer's log `obs` (events of the
 * client hop whose `who` is def->name). Returns a new timing (free with
 * sim_timing_free) with its points and drift statistics against
 * limit_us (-1: none; see replay_timing_stats), or NULL when the client
 * has no step with `at` or memory ran out. */
struct sim_timing *replay_timing_of(const struct scn_client *def,
				    const struct sim_observer *obs,
				    int64_t limit_us);

/* (Re)compute t's statistics from its points, and its text, against the
 * limit `limit_us` (-1: none): counts, the p50 (nearest rank) and the
 * largest drift, how many points are over the limit. Returns 0, or -1
 * when the text could not be allocated. */
int replay_timing_stats(struct sim_timing *t, int64_t limit_us);

/* Attach every client's timing to the report of a replay of `f` (clients
 * in f's order, as sim_run reports them). With limit_us >= 0, a client
 * whose drift somewhere exceeds it fails, if it has not already, with the
 * worst step as the difference (and the report's outcome becomes
 * SIM_FAIL when it was SIM_PASS). Returns the number of clients that
 * failed on timing. */
size_t replay_timing_report(const struct scn_file *f, struct sim_report *r,
			    int64_t limit_us);

/* One line over every session of a report that has a timing: "timing
 * over 3 sessions: 21 steps (2 did not happen); drift p50 +1.20 ms, p99
 * +4.10 ms, max +4.50 ms at c2 line 12 (received text)". Returns false
 * (out empty) when no session has a timed step that happened. */
bool replay_timing_overall(const struct sim_report *r, char *out, size_t n);

#endif
