/* Bringing a scenario's topology up and down: the run's test CA and
 * certificates, the mock Tomcats (in process, on the run's loop), the
 * proxies under test (children, via proxy.h), macro values, and the
 * backend stop/start steps. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_addr.h"
#include "os_file.h"
#include "proto_err.h"
#include "run_int.h"
#include "tls_mem.h"

static const char *const conn_field[SCN_NCONN] = {"http", "https", "ajp"};

static struct run_comp *find(struct run *run, const char *name)
{
	for (size_t i = 0; i < run->ncomps; i++)
		if (!strcmp(run->comps[i].def->name, name))
			return &run->comps[i];
	return NULL;
}

int run_resolve(void *ctx, const char *comp, const char *field, char *out,
		size_t outlen)
{
	struct run *run = ctx;
	struct run_comp *c = find(run, comp);
	if (!c)
		return -1;
	if (!strcmp(field, "host")) {
		snprintf(out, outlen, "127.0.0.1");
		return 0;
	}
	if (c->def->kind == SCN_EXTERNAL) {
		if (strcmp(field, "http") && strcmp(field, "https"))
			return -1;
		snprintf(out, outlen, "%s", c->def->address);
		return 0;
	}
	for (int k = 0; k < SCN_NCONN; k++) {
		size_t n = strlen(conn_field[k]);
		if (strncmp(field, conn_field[k], n) || c->port[k] < 0)
			continue;
		if (!field[n]) {
			snprintf(out, outlen, "127.0.0.1:%d", c->port[k]);
			return 0;
		}
		if (!strcmp(field + n, "_port")) {
			snprintf(out, outlen, "%d", c->port[k]);
			return 0;
		}
	}
	return -1;
}

static char *path_in(const struct run *run, const char *name)
{
	size_t n = strlen(run->dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", run->dir, name);
	return p;
}

/* A certificate of `kind` for a listener, written into the run dir. */
static int issue(struct run *run, struct run_comp *c, const char *what,
		 enum scn_cert_kind kind, char *err, size_t errlen)
{
	static const char *const good[] = {"localhost", "127.0.0.1", "::1",
					   NULL};
	static const char *const wrong[] = {"wrong-host.invalid", NULL};
	enum tls_cert_kind tk = kind == SCN_CERT_SELF_SIGNED
				    ? TLS_CERT_SELF_SIGNED
				: kind == SCN_CERT_EXPIRED ? TLS_CERT_EXPIRED
							   : TLS_CERT_VALID;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r =
	    tls_cert_issue(&run->ca, kind == SCN_CERT_WRONG_HOST ? wrong : good,
			   tk, &key, &cert);
	char name[256];
	snprintf(name, sizeof(name), "%s-%s.pem", c->def->name, what);
	c->cert_file = path_in(run, name);
	snprintf(name, sizeof(name), "%s-%s.key", c->def->name, what);
	c->key_file = path_in(run, name);
	if (r == 0 && (!c->cert_file || !c->key_file ||
		       tls_write_cert_pem(c->cert_file, cert) < 0 ||
		       tls_write_key_pem(c->key_file, key) < 0))
		r = PROTO_E_CRYPTO;
	EVP_PKEY_free(key);
	X509_free(cert);
	if (r < 0)
		snprintf(err, errlen, "%s: cannot make its %s certificate",
			 c->def->name, what);
	return r;
}

static bool needs_tls(const struct scn_file *f)
{
	for (size_t i = 0; i < f->ncomps; i++)
		if (f->comps[i].listen[SCN_CONN_HTTPS].on)
			return true;
	for (size_t i = 0; i < f->nclients; i++)
		if (!strncmp(f->clients[i].url, "wss:", 4) ||
		    !strncmp(f->clients[i].url, "https:", 6))
			return true;
	return false;
}

static int setup_tls(struct run *run, char *err, size_t errlen)
{
	if (tls_ca_new(&run->ca, "run") < 0) {
		snprintf(err, errlen, "cannot create the run's test CA");
		return -1;
	}
	run->have_ca = true;
	run->ca_path = path_in(run, "ca.pem");
	if (!run->ca_path ||
	    tls_write_cert_pem(run->ca_path, run->ca.cert) < 0) {
		snprintf(err, errlen, "cannot write the run's test CA");
		return -1;
	}
	run->tls_verify =
	    tls_ctx_client(run->o->ca_file ? run->o->ca_file : run->ca_path,
			   false, err, errlen);
	run->tls_insecure = tls_ctx_client(NULL, true, err, errlen);
	return run->tls_verify && run->tls_insecure ? 0 : -1;
}

static enum sim_outcome start_mock(struct run *run, struct run_comp *c,
				   char *err, size_t errlen)
{
	const struct scn_component *d = c->def;
	struct mock_config cfg;
	mock_config_init(&cfg);
	for (int k = 0; k < SCN_NCONN; k++)
		cfg.port[k] = d->listen[k].on ? 0 : -1;
	cfg.ajp_secret = d->listen[SCN_CONN_AJP].secret;
	cfg.ajp_packet_size = d->listen[SCN_CONN_AJP].packet_size;
	if (d->listen[SCN_CONN_HTTPS].on) {
		if (issue(run, c, "https", d->listen[SCN_CONN_HTTPS].cert, err,
			  errlen) < 0)
			return SIM_ERR_ENV;
		cfg.cert_file = c->cert_file;
		cfg.key_file = c->key_file;
	}
	cfg.on_event = run_backend_event;
	cfg.event_ctx = c;
	char e[256];
	if (mock_tomcat_start(&run->loop, &cfg, &c->mock, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", d->name, e);
		return SIM_ERR_ENV;
	}
	for (int k = 0; k < SCN_NCONN; k++)
		c->port[k] = mock_tomcat_port(c->mock, (enum mock_connector)k);
	return SIM_PASS;
}

static const char *bin_for(const struct run *run, enum scn_comp_kind k)
{
	return k == SCN_APACHE	? run->o->apache_bin
	       : k == SCN_NGINX ? run->o->nginx_bin
				: run->o->haproxy_bin;
}

static enum sim_outcome start_proxy(struct run *run, struct run_comp *c,
				    char *err, size_t errlen)
{
	const struct scn_component *d = c->def;
	char e[512] = "";
	struct proxy_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.kind = d->kind;
	spec.name = d->name;
	char sub[PATH_MAX];
	snprintf(sub, sizeof(sub), "%s/%s", run->dir, d->name);
	spec.dir = sub;
	spec.reg = &run->reg;
	spec.bin = bin_for(run, d->kind);
	char *config = NULL, *include = NULL;
	char include_at[PATH_MAX + 96];
	if (d->config) {
		config =
		    scn_expand(d->config, true, run_resolve, run, e, sizeof(e));
		if (!config) {
			snprintf(err, errlen, "%s: %s", d->name, e);
			return SIM_ERR_SCENARIO;
		}
		spec.config = config;
		spec.config_line = d->config_pos.line;
	}
	const char **from = calloc(d->nmaps + 1, sizeof(*from));
	const char **to = calloc(d->nmaps + 1, sizeof(*to));
	char(*vals)[80] = calloc(d->nmaps + 1, sizeof(*vals));
	/* the spec wants them NULL-ended; the tree counts them (nmodules) */
	const char **mods = calloc(d->nmodules + 1, sizeof(*mods));
	enum sim_outcome out = SIM_PASS;
	if (!from || !to || !vals || !mods) {
		snprintf(err, errlen, "out of memory");
		out = SIM_ERR_ENV;
		goto done;
	}
	for (size_t i = 0; i < d->nmaps; i++) {
		from[i] = d->maps[i].from;
		if (run_resolve(run, d->maps[i].to_comp, d->maps[i].to_field,
				vals[i], sizeof(vals[i])) < 0) {
			snprintf(err, errlen, "%s: map to unknown %s.%s",
				 d->name, d->maps[i].to_comp,
				 d->maps[i].to_field);
			out = SIM_ERR_SCENARIO;
			goto done;
		}
		to[i] = vals[i];
	}
	if (d->include) {
		/* relative to the scenario file */
		const char *slash = strrchr(run->f->path, '/');
		if (d->include[0] == '/' || !slash)
			include = strdup(d->include);
		else if ((include = malloc(strlen(run->f->path) +
					   strlen(d->include) + 2)))
			sprintf(include, "%.*s/%s", (int)(slash - run->f->path),
				run->f->path, d->include);
		spec.include = include;
		char shown[PATH_MAX + 64];
		os_path_show(run->f->path, shown, sizeof(shown));
		snprintf(include_at, sizeof(include_at), "%s:%u:%u", shown,
			 d->include_pos.line, d->include_pos.col);
		spec.include_at = include_at;
	}
	spec.map_from = from;
	spec.map_to = to;
	spec.nmaps = d->nmaps;
	for (size_t i = 0; i < d->nmodules; i++)
		mods[i] = d->modules[i];
	spec.modules = mods;
	spec.min_version = d->min_version;
	spec.http_port = c->port[SCN_CONN_HTTP];
	spec.https_port = c->port[SCN_CONN_HTTPS];
	if (d->listen[SCN_CONN_HTTPS].on) {
		if (issue(run, c, "https", d->listen[SCN_CONN_HTTPS].cert, err,
			  errlen) < 0) {
			out = SIM_ERR_ENV;
			goto done;
		}
		spec.cert_file = c->cert_file;
		spec.key_file = c->key_file;
	}
	spec.ca_file = run->ca_path;
	int r = proxy_start(&spec, &c->proxy, e, sizeof(e));
	if (r == PROXY_OK) {
		c->proxy_up = true;
		/* What it logged while starting is not news to a client. */
		char *log = proxy_error_log(&c->proxy);
		c->log_seen = log ? strlen(log) : 0;
		free(log);
		sim_obs_add(&run->r->obs, SIM_HOP_PROXY, SIM_EV_NOTE, d->name,
			    0, "%s %s started (pid %d)",
			    d->kind == SCN_APACHE  ? "apache2"
			    : d->kind == SCN_NGINX ? "nginx"
						   : "haproxy",
			    c->proxy.version, (int)c->proxy.pid);
	} else {
		snprintf(err, errlen, "%s", e);
		out = r == PROXY_E_CONFIG    ? SIM_ERR_SCENARIO
		      : r == PROXY_E_VERSION ? SIM_SKIP
					     : SIM_ERR_ENV;
	}
done:
	free(config);
	free(include);
	free(from);
	free(to);
	free(vals);
	free(mods);
	return out;
}

int run_topo_up(struct run *run, char *err, size_t errlen)
{
	const struct scn_file *f = run->f;
	run->ncomps = f->ncomps;
	run->comps = calloc(f->ncomps ? f->ncomps : 1, sizeof(*run->comps));
	if (!run->comps) {
		snprintf(err, errlen, "out of memory");
		return SIM_ERR_ENV;
	}
	if (needs_tls(f) && setup_tls(run, err, errlen) < 0)
		return SIM_ERR_ENV;
	for (size_t i = 0; i < f->ncomps; i++) {
		struct run_comp *c = &run->comps[i];
		c->def = &f->comps[i];
		c->run = run;
		for (int k = 0; k < SCN_NCONN; k++)
			c->port[k] = -1;
		/* proxies' ports first: any config may name any component */
		if (c->def->kind == SCN_APACHE || c->def->kind == SCN_NGINX ||
		    c->def->kind == SCN_HAPROXY)
			for (int k = 0; k < SCN_NCONN; k++)
				if (c->def->listen[k].on)
					c->port[k] = proxy_free_port();
	}
	for (size_t i = 0; i < f->ncomps; i++) {
		struct run_comp *c = &run->comps[i];
		if (c->def->kind != SCN_TOMCAT)
			continue;
		enum sim_outcome o = start_mock(run, c, err, errlen);
		if (o != SIM_PASS)
			return o;
	}
	for (size_t i = 0; i < f->ncomps; i++) {
		struct run_comp *c = &run->comps[i];
		if (c->def->kind == SCN_TOMCAT || c->def->kind == SCN_EXTERNAL)
			continue;
		enum sim_outcome o = start_proxy(run, c, err, errlen);
		if (o != SIM_PASS)
			return o;
	}
	return SIM_PASS;
}

static void mock_stopped(void *arg)
{
	struct run_comp *c = arg;
	struct run *run = c->run;
	mock_tomcat_free(c->mock);
	c->mock = NULL;
	if (--run->mocks_stopping == 0 && run->topo_done)
		run->topo_done(run);
}

void run_topo_down(struct run *run, void (*done)(struct run *run))
{
	for (size_t i = 0; i < run->ncomps; i++) {
		struct run_comp *c = &run->comps[i];
		if (c->proxy_up) {
			if (run->r->outcome != SIM_PASS) {
				char *log = proxy_error_log(&c->proxy);
				if (log && *log) {
					size_t n =
					    run->r->proxy_log
						? strlen(run->r->proxy_log)
						: 0;
					char *p = realloc(run->r->proxy_log,
							  n + strlen(log) + 64);
					if (p) {
						sprintf(p + n,
							"---- %s error log "
							"----\n%s",
							c->def->name, log);
						run->r->proxy_log = p;
					}
				}
				free(log);
			}
			proxy_stop(&c->proxy);
			c->proxy_up = false;
		}
	}
	run->topo_done = done;
	run->mocks_stopping = 1; /* held until every stop is started */
	for (size_t i = 0; i < run->ncomps; i++) {
		struct run_comp *c = &run->comps[i];
		if (c->mock) {
			run->mocks_stopping++;
			mock_tomcat_stop(c->mock, 300, mock_stopped, c);
		}
	}
	if (--run->mocks_stopping == 0)
		done(run);
}

struct action {
	uv_timer_t t;
	void (*done)(void *arg);
	void *arg;
};

static void action_closed(uv_handle_t *h)
{
	free(h->data);
}

static void action_fire(uv_timer_t *t)
{
	struct action *a = t->data;
	a->done(a->arg);
	uv_close((uv_handle_t *)&a->t, action_closed);
}

int run_backend_action(void *ctx, bool start, const char *comp,
		       const char *field, void (*done)(void *arg), void *arg,
		       char *err, size_t errlen)
{
	struct run *run = ctx;
	struct run_comp *c = find(run, comp);
	if (!c || !c->mock) {
		snprintf(err, errlen, "%s is not a running tomcat", comp);
		return -1;
	}
	for (int k = 0; k < SCN_NCONN; k++) {
		if (!c->def->listen[k].on ||
		    (field && strcmp(field, conn_field[k])))
			continue;
		if (!start) {
			mock_tomcat_stop_connector(c->mock,
						   (enum mock_connector)k);
			continue;
		}
		char e[256];
		if (mock_tomcat_start_connector(c->mock, (enum mock_connector)k,
						e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s", e);
			return -1;
		}
	}
	sim_obs_add(&run->r->obs, SIM_HOP_BACKEND, SIM_EV_NOTE, comp, 0,
		    "%s %s%s%s", start ? "started" : "stopped", comp,
		    field ? "." : "", field ? field : "");
	/* Let the closes it caused go out before the next step. */
	struct action *a = malloc(sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->done = done;
	a->arg = arg;
	a->t.data = a;
	uv_timer_init(&run->loop, &a->t);
	uv_timer_start(&a->t, action_fire, 5, 0);
	return 0;
}
