/* A browser-like simulated client: runs one `client` of a scenario on the
 * loop (ws, wss, http, https), step by step, and reports what a browser's
 * WebSocket object (or fetch) would, plus the wire detail behind it
 * (DESIGN.md section 5):
 *
 * - the handshake a current Chrome sends (its header order, Origin,
 *   User-Agent, `Sec-WebSocket-Extensions: permessage-deflate;
 *   client_max_window_bits`), plus the client's headers, cookies,
 *   subprotocols;
 * - `open` after a 101 that passes RFC 6455 section 4.1's checks; any
 *   failed handshake (non-101, bad accept, TLS failure, refused, reset) is
 *   `closed 1006`, not clean, as soon as it is known (at the status line:
 *   a proxy may keep the connection open), with the reason kept ("HTTP 500
 *   from the proxy", "connection refused", "certificate verify failed:
 *   ...");
 * - a TCP close without a close frame after open is `closed 1006`; a close
 *   handshake reports the code and reason received.
 *
 * Expectations consume what arrived, in order (`expect text` takes the
 * next message); each waits at most its `within` or the client's timeout,
 * so no scenario can hang. Everything seen goes to the observer.
 */
#ifndef WSSIM_SIM_CLIENT_H
#define WSSIM_SIM_CLIENT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <uv.h>

#include "observer.h"
#include "scn.h"
#include "hrsched.h"

/* What the client needs from the run. */
struct sim_client_env {
	uv_loop_t *loop;
	SSL_CTX *tls_verify;   /* trusts the run's test CA */
	SSL_CTX *tls_insecure; /* verifies nothing (`insecure`) */
	struct sim_observer *obs;
	uint64_t default_timeout_ms;
	/* Expand macros in a step's or header's template (malloc'd result,
	 * or NULL with a message). */
	char *(*expand)(void *ctx, const char *tmpl, char *err, size_t errlen);
	/* `stop comp[.field]` / `start ...`: returns 0, or -1 with a message.
	 * May complete asynchronously: the client waits for `done`. */
	int (*backend)(void *ctx, bool start, const char *comp,
		       const char *field, void (*done)(void *arg), void *arg,
		       char *err, size_t errlen);
	void *ctx;
	/* The loop's precise timers: `wait` and `at` run on them
	 * (required). */
	struct sim_sched *sched;
	/* The client's time origin for `at` (uv_hrtime() ns): when its
	 * `start` was due, which a late launch does not move; 0 for when
	 * sim_client_start is called. */
	uint64_t origin_ns;
};

struct sim_client_result {
	bool passed;
	/* what was observed, one line: "closed 1006 (HTTP 500 from the
	 * proxy)", "open, 3 messages echoed, closed 1000" */
	char summary[512];
	/* for a failure: "expected open, got closed 1006: the proxy answered
	 * HTTP/1.1 500" */
	char failure[1024];
	const struct scn_step *failed_step; /* NULL if passed */
	int status;	/* handshake/HTTP status, 0 if none */
	int close_code; /* 0 while open or never opened */
	bool clean;
	char reason[256]; /* close reason or failure reason */
};

struct sim_client;

/* Start running `def` against the expanded `url`. `done` runs exactly
 * once, when the client has finished (all steps, or the first failed
 * expectation) and every handle it opened is closed; the result is valid
 * during the call. Returns 0, or a negative code (then `done` never
 * runs): a URL it cannot use ("ftp://", a host that is not an IP
 * literal or localhost). *out (may be NULL) gets a handle valid until
 * `done` runs. */
int sim_client_start(const struct scn_client *def, const char *url,
		     const struct sim_client_env *env,
		     void (*done)(void *arg, const struct sim_client_result *r),
		     void *arg, struct sim_client **out);

/* Abort a running client (Ctrl-C, run timeout): closes its connection;
 * `done` still runs, with a failed result. */
void sim_client_abort(struct sim_client *c);

#endif
