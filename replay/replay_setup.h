/* Replay against a scenario's topology (`wssim replay --setup SETUP.scn`):
 * which of the setup's listeners the recording goes to (`--via
 * front.http`, or the first proxy's listener of the recording's scheme),
 * and the scenario that runs: the setup's components (its clients
 * dropped) with the recording's clients, their URLs pointing at the
 * listener through a macro (`ws://${front.http}/path`) that sim_run
 * resolves once the topology is up. */
#ifndef WSSIM_REPLAY_SETUP_H
#define WSSIM_REPLAY_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "replay.h"
#include "scn.h"

/* Choose the listener of `setup` (borrowed) to replay to: `via`
 * ("COMP.http" or "COMP.https": a proxy's listener or a tomcat's HTTP or
 * HTTPS connector), or with via NULL the first proxy (apache, nginx,
 * haproxy, proxy ... at) in the file's order with a listener of the
 * recording's scheme (`tls`: wss/https), else that proxy's other
 * listener (the recording's scheme follows it, as with --target), else a
 * tomcat's connector likewise. Fills *t (tls, the authority as the macro
 * `${COMP.FIELD}`, via). Returns 0, or -1 with a message in err: an
 * unknown or unusable via (the message lists the valid ones), or a setup
 * without any listener a client can reach. */
int replay_setup_via(const struct scn_file *setup, const char *via, bool tls,
		     struct replay_target *t, char *err, size_t errlen);

/* Make `setup` (taken) the scenario that replays `rec` (taken): its own
 * clients are dropped, rec's moved in; the title, timeout and path become
 * rec's (failures name the recording's lines), and relative `include`
 * paths are made absolute, from the setup file's folder. Returns the
 * merged scenario (free with scn_free), or NULL with a message in err
 * (both are freed). */
struct scn_file *replay_setup_merge(struct scn_file *setup,
				    struct scn_file *rec, char *err,
				    size_t errlen);

#endif
