/* One scenario run: bring up its topology (mock Tomcats in process on one
 * libuv loop, the real proxies as children), run its clients one after
 * another, check backend-side expectations against what the mocks saw,
 * tear everything down on every path, and fill a report. Everything of
 * the run lives under one temp dir, removed at the end (kept with
 * --keep when the run failed). */
#ifndef WSSIM_SIM_RUN_H
#define WSSIM_SIM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "observer.h"
#include "scn.h"

/* A run hosted by another part of wssim (`wssim load`): the topology
 * comes up as for `wssim run`, then instead of the scenario's clients
 * the host runs on the topology until it calls sim_host_done; then
 * everything is torn down as usual. */
struct sim_host_run; /* the run, as the host sees it */
struct mock_event;
struct sim_host {
	/* On the run's loop, once the topology is up. Returns 0, or -1
	 * with a message in err (the run then ends as an environment
	 * error). */
	int (*start)(void *ctx, struct sim_host_run *hr, char *err,
		     size_t errlen);
	/* Ctrl-C, SIGTERM or the run's time limit: the host stops what it
	 * runs and calls sim_host_done soon. */
	void (*abort)(void *ctx, const char *why);
	/* What a mock saw (instead of the run's trace, which would grow
	 * with every session); may be NULL. On the run's loop. */
	void (*mock_event)(void *ctx, const char *comp,
			   const struct mock_event *ev);
	void *ctx;
};

/* For a host, on the run's loop: expand a template's macros
 * (`ws://${front.http}/x`; malloc'd, or NULL with a message); the run's
 * TLS client contexts (verifying against the run's test CA, or not
 * verifying); its loop; the end of the hosted part (the topology then
 * comes down and sim_run returns). */
char *sim_host_expand(struct sim_host_run *hr, const char *tmpl, char *err,
		      size_t errlen);
struct ssl_ctx_st *sim_host_tls(struct sim_host_run *hr, bool insecure);
uv_loop_t *sim_host_loop(struct sim_host_run *hr);
/* The run dir (private, removed at the end) where a host may keep files. */
const char *sim_host_dir(const struct sim_host_run *hr);
void sim_host_done(struct sim_host_run *hr);

struct sim_run_opts {
	int verbose;		/* 1: every event live on stderr */
	bool keep;		/* keep the run dir of a failed run */
	const char *apache_bin; /* NULL: apache2 from PATH or /usr/sbin */
	const char *nginx_bin;
	const char *haproxy_bin;
	const char *tmp; /* NULL: $TMPDIR or /tmp */
	/* the private state dir where runs are recorded for the stale-run
	 * reaper (os_runreg.h); NULL: os_state_dir's default */
	const char *state_dir;
	uint64_t run_timeout_ms; /* whole run; 0: 120 s */
	/* wss/https clients trust this CA file (PEM) instead of the run's
	 * test CA (replay against a running setup); NULL: the test CA */
	const char *ca_file;
	/* NULL: run the scenario's clients; else the host runs instead */
	const struct sim_host *host;
};

enum sim_outcome {
	SIM_PASS,
	SIM_FAIL,	  /* an expectation failed: exit 1 */
	SIM_SKIP,	  /* e.g. the proxy is older than the scenario needs */
	SIM_ERR_SCENARIO, /* the scenario is wrong (a config the proxy
			     refuses): exit 2 */
	SIM_ERR_ENV,	  /* a binary missing, a port or process failure:
			     exit 3 */
};

/* The timing of a replayed recording (`wssim replay`): each step the
 * recording timed (`at`), when it happened then and in the replay, in µs
 * since the client's start (when it was due). Filled by replay/, shown by the
 * reports. */
struct sim_timing_point {
	unsigned line;	     /* the step's line in the recording */
	bool sent;	     /* a send or close; else something received */
	char what[12];	     /* "text", "binary", "ping", "pong", "close",
				"fragments", "response", "open", "echo" */
	int64_t recorded_us; /* as recorded (divided by --speed) */
	int64_t replayed_us; /* -1: it did not happen in the replay */
};

struct sim_timing {
	struct sim_timing_point *points; /* in step order */
	size_t npoints;
	size_t nsent, nrecv, nmissing; /* nsent + nrecv + nmissing = npoints */
	/* drift = replayed - recorded, over the points that happened */
	int64_t p50_us;	  /* the 50th percentile (nearest rank) */
	int64_t max_us;	  /* the largest in magnitude, with its sign */
	size_t max_at;	  /* its index in points */
	int64_t limit_us; /* --max-drift, or -1 */
	size_t nover;	  /* points whose drift is over the limit */
	char *text;	  /* the readable line, without "timing: " */
};

struct sim_client_report {
	char *name;
	unsigned line; /* of the client in the .scn */
	bool passed;
	char *summary;	    /* what was observed */
	char *failure;	    /* expected vs observed, NULL if passed */
	unsigned fail_line; /* the failed step's line */
	char *hint;	    /* a known misconfiguration and its fix, or NULL */
	char *trace;	    /* the hop trace around the failure, or NULL */
	uint64_t ms;
	struct sim_timing *timing; /* wssim replay: timing drift, or NULL */
};

struct sim_report {
	char *path;
	char *title;
	enum sim_outcome outcome;
	char *message; /* skip reason, or the error */
	struct sim_client_report *clients;
	size_t nclients;
	uint64_t ms;
	char *proxy_log; /* the proxies' error logs, on failure */
	char *kept_dir;	 /* --keep: where the run's files are */
	struct sim_observer obs;
};

/* Run a parsed scenario. Always fills *r (free with sim_report_free);
 * returns r->outcome. Ctrl-C / SIGTERM during the run abort it and tear
 * everything down (outcome SIM_ERR_ENV, message "interrupted"). */
enum sim_outcome sim_run(const struct scn_file *f, const struct sim_run_opts *o,
			 struct sim_report *r);
void sim_report_free(struct sim_report *r);
void sim_timing_free(struct sim_timing *t);

/* Set by the signal handling of sim_run when SIGINT/SIGTERM arrived, so a
 * caller running several scenarios stops starting new ones. */
bool sim_interrupted(void);

#endif
