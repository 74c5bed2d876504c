/* Private to sim/: the state of one scenario run, shared by run.c
 * (lifecycle), run_topo.c (bring-up and teardown of the topology) and
 * run_backend.c (what the mocks saw: events, backend expectations and the
 * diagnosis of a failure). */
#ifndef WSSIM_SIM_RUN_INT_H
#define WSSIM_SIM_RUN_INT_H

#include <openssl/ssl.h>
#include <uv.h>

#include "client.h"
#include "mock_tomcat.h"
#include "os_runreg.h"
#include "proxy.h"
#include "run.h"
#include "hrsched.h"
#include "tls_cert.h"

struct run_comp {
	const struct scn_component *def;
	struct mock_tomcat *mock; /* tomcat */
	struct proxy proxy;	  /* apache, nginx, haproxy */
	bool proxy_up;
	int port[SCN_NCONN];	    /* -1 when absent */
	char *cert_file, *key_file; /* HTTPS listener / connector */
	size_t log_seen;	    /* error log bytes already scanned */
	bool died;		    /* its main process ended during the run */
	char crash[400];	    /* the last worker crash its log told */
	uint64_t crash_us;	    /* when wssim read that line */
	struct run *run;
};

/* One client of the run and its schedule (run.c). */
struct run_slot {
	struct run *run;
	size_t i;
	struct sim_sched_timer timer; /* a `start` offset */
	uint8_t state;		      /* 0 waiting, 1 running, 2 done */
	struct sim_client *cl;
	uint64_t t0; /* observer time when it began */
};

struct run {
	uv_loop_t loop;
	const struct scn_file *f;
	const struct sim_run_opts *o;
	struct sim_report *r;
	char *dir;	      /* the run dir (absolute) */
	int state_fd;	      /* the private state dir, or -1 */
	struct os_runreg reg; /* this run's record in it */
	struct tls_ca ca;
	bool have_ca;
	char *ca_path;
	SSL_CTX *tls_verify, *tls_insecure;
	struct run_comp *comps;
	size_t ncomps;
	/* clients: in order, or at their `start` offsets alongside */
	struct run_slot *slots;
	size_t ndone;
	uint64_t clients_t0;	/* uv_hrtime when the clients began */
	struct sim_sched sched; /* `start` offsets and the clients' waits */
	bool sched_on;
	bool finished;
	bool host_running; /* a sim_host runs (sim_host_done not yet called) */
	/* lifecycle */
	uv_signal_t sigint, sigterm;
	uv_timer_t deadline;
	bool aborted;
	const char *abort_why;
	int mocks_stopping;
	void (*topo_done)(struct run *run);
};

/* run_topo.c */
int run_topo_up(struct run *run, char *err, size_t errlen);
void run_topo_down(struct run *run, void (*done)(struct run *run));
int run_resolve(void *ctx, const char *comp, const char *field, char *out,
		size_t outlen);
int run_backend_action(void *ctx, bool start, const char *comp,
		       const char *field, void (*done)(void *arg), void *arg,
		       char *err, size_t errlen);

/* run_backend.c */
void run_backend_event(void *ctx, const struct mock_event *ev);
/* Check the client's `expect backend` steps against what the mocks saw
 * between t0 and now; returns false (with the failure text) at the first
 * that does not hold. */
bool run_backend_expectations(struct run *run, const struct scn_client *def,
			      const struct scn_step *failed_step, uint64_t t0,
			      char *failure, size_t flen, unsigned *line);
/* What explains a client's outcome (appended to its summary): the proxy
 * it went through (`url` as the scenario writes it) died, or lost a worker
 * to a crash while the client failed, or else what the mocks saw; and a
 * fix for a known misconfiguration (or NULL). */
void run_diagnose(struct run *run, const char *url,
		  const struct sim_client_result *res, bool websocket,
		  uint64_t t0, char *why, size_t whylen, const char **hint);
/* Record what the proxies logged since the last look ([error], [warn],
 * ... lines, and a worker's crash) as proxy-hop events, so traces show
 * Apache's own words; and whether a proxy died (an error event, once). */
void run_scan_proxy_logs(struct run *run);
/* The first proxy of the run whose main process died, or NULL. */
struct run_comp *run_dead_proxy(struct run *run);
/* The hop trace of the events since t0, as text (malloc'd). */
char *run_trace(struct run *run, uint64_t t0);

#endif
