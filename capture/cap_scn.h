/* Recordings as scenarios: `wssim capture -o FILE.scn`. Turns the
 * collected sessions (cap_session.h) into a scenario tree (scn.h) that
 * `wssim run` and `wssim replay` execute: one `client` per client-side
 * HTTP exchange or websocket connection (backend legs of proxied requests
 * are left out), each with `start` at its recorded start (when its request
 * was sent, relative to the earliest client's, in ms: sessions that
 * overlapped in the capture overlap in the replay), the client's messages
 * as steps with the recorded timing as `wait`s, the server's answers as
 * expectations. Printing is left to
 * scn_print; reading packets and decoding to cap_session.
 *
 * The collector must have kept messages (cap_session_opts.keep_messages)
 * for headers and payloads to be there; without, only URLs and statuses
 * are written.
 */
#ifndef WSSIM_CAP_SCN_H
#define WSSIM_CAP_SCN_H

#include <stdio.h>

#include "cap_session.h"
#include "scn.h"

enum {
	CAP_SCN_ENOMEM = -1, /* out of memory */
	CAP_SCN_EMPTY = -2,  /* no HTTP or websocket client connection */
	CAP_SCN_EWRITE = -3, /* writing failed (errno from stdio) */
};

/* Build the scenario for the (matching) connections of `s` (finished
 * first). `source` (borrowed) names the capture in the title `recorded by
 * wssim capture from SOURCE`. On success returns 0, *out (free with
 * scn_free) and *notes: a malloc'd string of `# ...` comment lines about
 * what the tree cannot say (cut payloads, codes a client may not send),
 * or NULL when there are none (free it). Returns CAP_SCN_ENOMEM or
 * CAP_SCN_EMPTY, with *out and *notes NULL. */
int cap_scn_build(struct cap_sessions *s, const char *source,
		  struct scn_file **out, char **notes);

/* cap_scn_build, then write a comment header, the notes and the scenario
 * text (scn_print) to f. Returns 0, CAP_SCN_ENOMEM, CAP_SCN_EMPTY (nothing
 * written) or CAP_SCN_EWRITE. */
int cap_scn_write(struct cap_sessions *s, const char *source, FILE *f);

#endif
