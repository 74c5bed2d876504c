/* One scenario run, start to finish (see run.h): the run dir, signals and
 * the deadline, the clients one after another, the report. */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_file.h"
#include "os_tree.h"
#include "run_int.h"

static volatile bool interrupted;

bool sim_interrupted(void)
{
	return interrupted;
}

static uint64_t obs_now(const struct run *run)
{
	return uv_hrtime() / 1000 - run->r->obs.t0_us;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The run dir: a fresh mkdtemp under TMP (absolute), recorded in this
 * user's private state dir so that a later run can clean up after this
 * one if it is SIGKILLed; first, the cleanup after earlier dead runs. */
static int make_dir(struct run *run, char *err, size_t errlen)
{
	const char *tmp = run->o->tmp ? run->o->tmp : getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	char shown[300], abs[PATH_MAX], state[PATH_MAX];
	if (!realpath(tmp, abs)) {
		snprintf(err, errlen, "cannot create a run dir under %s: %s",
			 os_path_show(tmp, shown, sizeof(shown)),
			 strerror(errno));
		return -1;
	}
	run->state_fd = os_state_dir(run->o->state_dir, abs, state,
				     sizeof(state), err, errlen);
	if (run->state_fd < 0)
		return -1;
	os_runreg_reap(run->state_fd, NULL);
	if (os_runreg_open(&run->reg, run->state_fd, err, errlen) != 0)
		return -1;
	char tmpl[PATH_MAX];
	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/wssim-run-%d-XXXXXX", abs,
			     (int)getpid()) >= sizeof(tmpl) ||
	    !mkdtemp(tmpl)) {
		snprintf(err, errlen, "cannot create a run dir under %s: %s",
			 os_path_show(abs, shown, sizeof(shown)),
			 strerror(errno));
		return -1;
	}
	run->dir = strdup(tmpl);
	if (!run->dir || os_runreg_dir(&run->reg, tmpl) != 0) {
		snprintf(err, errlen, "cannot record the run dir %s: %s",
			 os_path_show(tmpl, shown, sizeof(shown)),
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void closed_nothing(uv_handle_t *h)
{
	(void)h;
}

static void all_down(struct run *run)
{
	if (run->sched_on)
		sim_sched_close(&run->sched, NULL);
	run->sched_on = false;
	uv_close((uv_handle_t *)&run->sigint, closed_nothing);
	uv_close((uv_handle_t *)&run->sigterm, closed_nothing);
	uv_close((uv_handle_t *)&run->deadline, closed_nothing);
}

static void finish(struct run *run)
{
	struct sim_report *r = run->r;
	if (run->finished)
		return;
	run->finished = true;
	if (run->aborted) {
		r->outcome = SIM_ERR_ENV;
		free(r->message);
		r->message = strdup(run->abort_why);
	} else if (r->outcome == SIM_PASS) {
		for (size_t i = 0; i < r->nclients; i++)
			if (!r->clients[i].passed)
				r->outcome = SIM_FAIL;
	}
	/* A proxy that died took the run with it: an environment error
	 * (exit 3) that names it; its error log follows in the report. */
	run_scan_proxy_logs(run);
	struct run_comp *dead = run_dead_proxy(run);
	if (dead && (r->outcome == SIM_PASS || r->outcome == SIM_FAIL)) {
		char how[160], msg[400];
		proxy_describe_exit(dead->proxy.exit_status, how, sizeof(how));
		snprintf(msg, sizeof(msg),
			 "%s: the proxy died during the run: %s %s",
			 dead->def->name,
			 dead->def->kind == SCN_APACHE	? "apache2"
			 : dead->def->kind == SCN_NGINX ? "nginx"
							: "haproxy",
			 how);
		r->outcome = SIM_ERR_ENV;
		free(r->message);
		r->message = strdup(msg);
	}
	run_topo_down(run, all_down);
}

static char *expand_cb(void *ctx, const char *tmpl, char *err, size_t errlen)
{
	return scn_expand(tmpl, false, run_resolve, ctx, err, errlen);
}

/* "closed 1006 (x)" + "y" -> "closed 1006 (x; y)" */
static char *with_why(const char *summary, const char *why)
{
	size_t n = strlen(summary);
	char *s = malloc(n + strlen(why) + 8);
	if (!s)
		return NULL;
	if (!*why)
		strcpy(s, summary);
	else if (n && summary[n - 1] == ')')
		sprintf(s, "%.*s; %s)", (int)(n - 1), summary, why);
	else
		sprintf(s, "%s (%s)", summary, why);
	return s;
}

static void advance(struct run *run);

static void slot_done(struct run_slot *sl)
{
	sl->state = 2;
	sl->cl = NULL;
	sl->run->ndone++;
}

static void client_done(void *arg, const struct sim_client_result *res)
{
	struct run_slot *sl = arg;
	struct run *run = sl->run;
	struct sim_report *r = run->r;
	const struct scn_client *def = &run->f->clients[sl->i];
	struct sim_client_report *cr = &r->clients[sl->i];
	cr->name = strdup(def->name);
	cr->line = def->pos.line;
	cr->ms = (obs_now(run) - sl->t0) / 1000;
	cr->passed = res->passed;
	char failure[1200];
	snprintf(failure, sizeof(failure), "%s", res->failure);
	cr->fail_line = res->failed_step ? res->failed_step->pos.line : 0;
	unsigned bline = 0;
	if (!run_backend_expectations(run, def, res->failed_step, sl->t0,
				      failure, sizeof(failure), &bline) &&
	    cr->passed) {
		cr->passed = false;
		cr->fail_line = bline;
	}
	run_scan_proxy_logs(run);
	char why[300];
	const char *hint;
	run_diagnose(run, def->url, res, !strncmp(def->url, "ws", 2), sl->t0,
		     why, sizeof(why), &hint);
	cr->summary = with_why(res->summary, why);
	sim_obs_add(&r->obs, SIM_HOP_CLIENT, SIM_EV_EXPECT, def->name,
		    cr->passed ? 0 : 1, "%s: %s", cr->passed ? "PASS" : "FAIL",
		    cr->summary ? cr->summary : "");
	if (!cr->passed) {
		r->obs.ev[r->obs.n - 1].failed = true;
		cr->failure = strdup(failure);
		cr->hint = xstrdup(hint);
		cr->trace = run_trace(run, sl->t0);
	}
	slot_done(sl);
	advance(run);
}

/* When a client with `start` is due (uv_hrtime() ns). */
static uint64_t start_due(const struct run *run, const struct scn_client *def)
{
	return run->clients_t0 + (def->start_ms * 1000 + def->start_us) * 1000;
}

/* Start one client; a client that cannot start is done at once. */
static void launch(struct run_slot *sl)
{
	struct run *run = sl->run;
	struct sim_report *r = run->r;
	const struct scn_client *def = &run->f->clients[sl->i];
	char err[512] = "";
	char *url =
	    scn_expand(def->url, false, run_resolve, run, err, sizeof(err));
	struct sim_client_env env = {
	    .loop = &run->loop,
	    .tls_verify = run->tls_verify,
	    .tls_insecure = run->tls_insecure,
	    .obs = &r->obs,
	    .default_timeout_ms =
		run->f->timeout_ms ? run->f->timeout_ms : 5000,
	    .expand = expand_cb,
	    .backend = run_backend_action,
	    .ctx = run,
	    .sched = &run->sched,
	};
	/* `at` counts from when the client was due, not from when its
	 * timer fired */
	if (def->has_start)
		env.origin_ns = start_due(run, def);
	/* what the proxies logged, or their death, before this client */
	run_scan_proxy_logs(run);
	sl->state = 1;
	sl->t0 = obs_now(run);
	int rc =
	    url ? sim_client_start(def, url, &env, client_done, sl, &sl->cl)
		: -1;
	free(url);
	if (rc == 0)
		return; /* client_done follows */
	struct sim_client_report *cr = &r->clients[sl->i];
	cr->name = strdup(def->name);
	cr->line = def->pos.line;
	cr->fail_line = def->url_pos.line;
	cr->summary = strdup("not started");
	char msg[700];
	snprintf(msg, sizeof(msg), "cannot start the client: %s",
		 err[0] ? err
			: "unusable URL (ws, wss, http, https to a loopback "
			  "address)");
	cr->failure = strdup(msg);
	slot_done(sl);
}

static void on_start_timer(struct sim_sched_timer *t)
{
	struct run_slot *sl = t->data;
	if (sl->state == 0 && !sl->run->aborted)
		launch(sl);
	advance(sl->run);
}

/* Start every client whose turn has come; finish when all are done. A
 * client without `start` begins once every client before it is done. */
static void advance(struct run *run)
{
	const struct scn_file *f = run->f;
	bool progress = true;
	while (progress && !run->aborted) {
		progress = false;
		size_t i = 0;
		while (i < f->nclients && run->slots[i].state == 2)
			i++;
		for (size_t j = i; j < f->nclients; j++) {
			struct run_slot *sl = &run->slots[j];
			if (f->clients[j].has_start || sl->state != 0)
				continue;
			if (j == i) { /* everything before it is done */
				launch(sl);
				progress = true;
			}
			break;
		}
	}
	if (run->aborted) {
		/* Clients not begun will not begin; running ones end through
		 * sim_client_abort and come back here. */
		for (size_t j = 0; j < f->nclients; j++) {
			struct run_slot *sl = &run->slots[j];
			if (sl->state != 0)
				continue;
			sim_sched_stop(&run->sched, &sl->timer);
			struct sim_client_report *cr = &run->r->clients[j];
			cr->name = strdup(f->clients[j].name);
			cr->line = f->clients[j].pos.line;
			cr->summary = strdup("not run (the run was aborted)");
			cr->failure = strdup(run->abort_why);
			slot_done(sl);
		}
	}
	if (run->ndone == f->nclients)
		finish(run);
}

static void abort_run(struct run *run, const char *why);

/* ---- a hosted run (sim_host) ---------------------------------------- */

char *sim_host_expand(struct sim_host_run *hr, const char *tmpl, char *err,
		      size_t errlen)
{
	return scn_expand(tmpl, false, run_resolve, (struct run *)hr, err,
			  errlen);
}

struct ssl_ctx_st *sim_host_tls(struct sim_host_run *hr, bool insecure)
{
	struct run *run = (struct run *)hr;
	return insecure ? run->tls_insecure : run->tls_verify;
}

uv_loop_t *sim_host_loop(struct sim_host_run *hr)
{
	return &((struct run *)hr)->loop;
}

const char *sim_host_dir(const struct sim_host_run *hr)
{
	return ((const struct run *)hr)->dir;
}

void sim_host_done(struct sim_host_run *hr)
{
	struct run *run = (struct run *)hr;
	run->host_running = false;
	finish(run);
}

static void start_host(struct run *run)
{
	char err[512] = "";
	run->host_running = true;
	if (run->o->host->start(run->o->host->ctx, (struct sim_host_run *)run,
				err, sizeof(err)) != 0) {
		run->host_running = false;
		run->r->outcome = SIM_ERR_ENV;
		run->r->message =
		    strdup(err[0] ? err : "the load did not start");
		finish(run);
	}
}

static void start_clients(struct run *run)
{
	const struct scn_file *f = run->f;
	if (run->o->host) {
		start_host(run);
		return;
	}
	run->r->nclients = f->nclients;
	run->clients_t0 = uv_hrtime();
	for (size_t j = 0; j < f->nclients; j++) {
		struct run_slot *sl = &run->slots[j];
		sl->run = run;
		sl->i = j;
		sl->timer.data = sl;
	}
	for (size_t j = 0; j < f->nclients; j++) {
		struct run_slot *sl = &run->slots[j];
		if (!f->clients[j].has_start)
			continue;
		/* to the microsecond, on the precise timers */
		if (sim_sched_start(&run->sched, &sl->timer,
				    start_due(run, &f->clients[j]),
				    on_start_timer) < 0) {
			abort_run(run, "out of memory");
			return;
		}
	}
	advance(run);
}

static void abort_run(struct run *run, const char *why)
{
	if (run->aborted)
		return;
	run->aborted = true;
	run->abort_why = why;
	sim_obs_add(&run->r->obs, SIM_HOP_RUN, SIM_EV_ERROR, "run", 0, "%s",
		    why);
	if (run->o->host) {
		if (run->host_running)
			run->o->host->abort(run->o->host->ctx, why);
		else
			finish(run);
		return;
	}
	for (size_t j = 0; j < run->f->nclients; j++)
		if (run->slots[j].state == 1 && run->slots[j].cl)
			sim_client_abort(run->slots[j].cl);
	advance(run); /* finishes now if nothing was running */
}

static void on_signal(uv_signal_t *s, int signum)
{
	interrupted = true;
	abort_run(s->data, signum == SIGINT ? "interrupted (SIGINT)"
					    : "interrupted (SIGTERM)");
}

static void on_deadline(uv_timer_t *t)
{
	abort_run(t->data, "the run took longer than its time limit");
}

static void live_print(void *ctx, const struct sim_event *e)
{
	(void)ctx;
	static const char *const hops[] = {"client", "proxy", "backend", "run"};
	fprintf(stderr, "  %8.1f ms  %-7s %-14s %s%s\n",
		(double)e->t_us / 1000.0, hops[e->hop], e->who,
		e->failed ? "FAILED " : "", e->text ? e->text : "");
}

enum sim_outcome sim_run(const struct scn_file *f, const struct sim_run_opts *o,
			 struct sim_report *r)
{
	memset(r, 0, sizeof(*r));
	r->path = strdup(f->path ? f->path : "-");
	r->title = xstrdup(f->title);
	sim_obs_init(&r->obs);
	if (o->verbose) {
		r->obs.live = live_print;
		r->obs.live_ctx = NULL;
	}
	r->clients = calloc(f->nclients ? f->nclients : 1, sizeof(*r->clients));
	uint64_t t_start = uv_hrtime();
	struct run run;
	memset(&run, 0, sizeof(run));
	run.state_fd = -1;
	run.reg.fd = -1;
	run.slots = calloc(f->nclients ? f->nclients : 1, sizeof(*run.slots));
	run.f = f;
	run.o = o;
	run.r = r;
	uv_loop_init(&run.loop);
	uv_signal_init(&run.loop, &run.sigint);
	uv_signal_init(&run.loop, &run.sigterm);
	run.sigint.data = run.sigterm.data = &run;
	uv_signal_start(&run.sigint, on_signal, SIGINT);
	uv_signal_start(&run.sigterm, on_signal, SIGTERM);
	uv_timer_init(&run.loop, &run.deadline);
	run.deadline.data = &run;
	int sr = sim_sched_init(&run.sched, &run.loop);
	run.sched_on = sr == 0;
	uv_timer_start(&run.deadline, on_deadline,
		       o->run_timeout_ms ? o->run_timeout_ms : 120000, 0);
	char err[1024] = "";
	enum sim_outcome oc = r->clients && run.slots ? SIM_PASS : SIM_ERR_ENV;
	if (oc == SIM_PASS && !run.sched_on) {
		snprintf(err, sizeof(err), "cannot set up the run's timers: %s",
			 uv_strerror(sr));
		oc = SIM_ERR_ENV;
	}
	if (oc == SIM_PASS && make_dir(&run, err, sizeof(err)) < 0)
		oc = SIM_ERR_ENV;
	if (oc == SIM_PASS)
		oc = run_topo_up(&run, err, sizeof(err));
	if (oc != SIM_PASS) {
		r->outcome = oc;
		r->message = strdup(err);
		run_topo_down(&run, all_down);
	} else {
		start_clients(&run);
	}
	uv_run(&run.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&run.loop) != 0) {
		/* A handle is still open: a bug. Report it, don't hang. */
		sim_obs_add(&r->obs, SIM_HOP_RUN, SIM_EV_ERROR, "run", 0,
			    "internal: a handle was left open");
	}
	for (size_t i = 0; i < run.ncomps; i++) {
		free(run.comps[i].cert_file);
		free(run.comps[i].key_file);
	}
	free(run.comps);
	free(run.slots);
	if (run.tls_verify)
		SSL_CTX_free(run.tls_verify);
	if (run.tls_insecure)
		SSL_CTX_free(run.tls_insecure);
	if (run.have_ca)
		tls_ca_free(&run.ca);
	free(run.ca_path);
	if (run.dir) {
		if (o->keep && r->outcome != SIM_PASS) {
			/* kept where it is (its configs name their own paths);
			 * no longer recorded, so no later run removes it */
			r->kept_dir = run.dir;
		} else {
			os_tree_remove(run.dir, 0, 0, (uid_t)-1);
			free(run.dir);
		}
	}
	os_runreg_drop(&run.reg);
	if (run.state_fd >= 0)
		close(run.state_fd);
	r->ms = (uv_hrtime() - t_start) / 1000000;
	return r->outcome;
}

void sim_timing_free(struct sim_timing *t)
{
	if (!t)
		return;
	free(t->points);
	free(t->text);
	free(t);
}

void sim_report_free(struct sim_report *r)
{
	for (size_t i = 0; i < r->nclients; i++) {
		struct sim_client_report *c = &r->clients[i];
		sim_timing_free(c->timing);
		free(c->name);
		free(c->summary);
		free(c->failure);
		free(c->hint);
		free(c->trace);
	}
	free(r->clients);
	free(r->path);
	free(r->title);
	free(r->message);
	free(r->proxy_log);
	free(r->kept_dir);
	sim_obs_free(&r->obs);
	memset(r, 0, sizeof(*r));
}
