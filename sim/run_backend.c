/* What the mock Tomcats saw during a run: their events into the observer,
 * the `expect backend` checks, and the diagnosis that explains a client's
 * outcome by the hop where it went wrong ("the mock received the upgrade
 * on its AJP connector", or a proxy that died or lost a worker); and what
 * the proxies logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http1.h"
#include "proto_buf.h"
#include "run_int.h"
#include "webapp.h"

static bool headers_have_token(const struct mock_header *h, size_t n,
			       const char *name, const char *token)
{
	for (size_t i = 0; i < n; i++)
		if (http1_eq(h[i].name, h[i].name_len, name) &&
		    http1_value_has_token(h[i].value, h[i].value_len, token))
			return true;
	return false;
}

void run_backend_event(void *ctx, const struct mock_event *ev)
{
	struct run_comp *c = ctx;
	struct sim_observer *obs = &c->run->r->obs;
	const struct sim_host *host = c->run->o->host;
	if (host && host->mock_event) {
		host->mock_event(host->ctx, c->def->name, ev);
		return;
	}
	char who[128];
	snprintf(who, sizeof(who), "%s.%s", c->def->name,
		 mock_connector_name(ev->connector));
	switch (ev->type) {
	case MOCK_EV_REQUEST: {
		struct proto_buf hb = PROTO_BUF_INIT;
		for (size_t i = 0; i < ev->nheaders; i++)
			proto_buf_appendf(
			    &hb, "%.*s: %.*s\n", (int)ev->headers[i].name_len,
			    ev->headers[i].name, (int)ev->headers[i].value_len,
			    ev->headers[i].value);
		char *headers = proto_buf_steal(&hb, NULL);
		proto_buf_free(&hb);
		bool up = headers_have_token(ev->headers, ev->nheaders,
					     "Upgrade", "websocket");
		struct sim_event *e = sim_obs_add(
		    obs, SIM_HOP_BACKEND, SIM_EV_REQUEST, who, 0, "%s %s%s",
		    ev->method, ev->target, up ? " (websocket upgrade)" : "");
		if (e)
			sim_obs_set_request(
			    e, mock_connector_name(ev->connector), ev->method,
			    ev->target, headers ? headers : "", up);
		free(headers);
		break;
	}
	case MOCK_EV_RESPONSE:
		sim_obs_add(obs, SIM_HOP_BACKEND, SIM_EV_RESPONSE, who,
			    ev->status, "answered %d%s%s", ev->status,
			    ev->detail ? ": " : "",
			    ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_WS_OPEN:
		sim_obs_add(obs, SIM_HOP_BACKEND, SIM_EV_OPEN, who, 101,
			    "websocket session open (%s)%s%s", ev->target,
			    ev->detail ? ", " : "",
			    ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_WS_CLOSE:
		sim_obs_add(obs, SIM_HOP_BACKEND, SIM_EV_CLOSE, who, ev->status,
			    "sent close %d \"%s\"", ev->status,
			    ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_PROTOCOL_ERROR:
		sim_obs_add(obs, SIM_HOP_BACKEND, SIM_EV_ERROR, who, ev->status,
			    "protocol error: %s", ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_ACCEPT:
		sim_obs_add(obs, SIM_HOP_BACKEND, SIM_EV_CONNECT, who, 0,
			    "connection from %s", ev->peer ? ev->peer : "?");
		break;
	case MOCK_EV_NOTE:
		sim_obs_add(obs, SIM_HOP_BACKEND, SIM_EV_NOTE, who, ev->status,
			    "%s", ev->detail ? ev->detail : "");
		break;
	case MOCK_EV_LISTENING:
	case MOCK_EV_WS_FRAME:
	case MOCK_EV_CLOSE:
		break;
	}
}

/* The path of a request target (no query, no scheme/authority). */
static size_t target_path(const char *t, const char **p)
{
	const char *s = t;
	if (!strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8)) {
		s = strchr(s + 8, '/');
		if (!s)
			s = "/";
	}
	*p = s;
	return strcspn(s, "?");
}

static bool header_matches(const char *headers, const char *name,
			   const char *value)
{
	size_t nl = strlen(name);
	for (const char *l = headers; l && *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (len > nl + 1 && !strncasecmp(l, name, nl) && l[nl] == ':') {
			const char *v = l + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = len - (size_t)(v - l);
			if (!value || http1_eq(v, vl, value) ||
			    http1_value_has_token(v, vl, value))
				return true;
		}
		l = end ? end + 1 : NULL;
	}
	return false;
}

static bool backend_step_holds(struct run *run, const struct scn_step *st,
			       uint64_t t0, char *seen, size_t seenlen)
{
	const struct sim_observer *o = &run->r->obs;
	size_t plen = strlen(st->comp);
	int nseen = 0;
	seen[0] = '\0';
	for (size_t i = 0; i < o->n; i++) {
		const struct sim_event *e = &o->ev[i];
		if (e->t_us < t0 || e->hop != SIM_HOP_BACKEND ||
		    e->ev != SIM_EV_REQUEST ||
		    strncmp(e->who, st->comp, plen) || e->who[plen] != '.')
			continue;
		size_t used = strlen(seen);
		if (used + 2 < seenlen)
			snprintf(seen + used, seenlen - used, "%s%s %s on %s%s",
				 nseen++ ? "; " : "", e->method, e->target,
				 e->connector, e->upgrade ? " (upgrade)" : "");
		if (st->field && strcmp(e->connector, st->field))
			continue;
		if (st->upgrade >= 0 && (int)e->upgrade != st->upgrade)
			continue;
		if (st->data.s) {
			const char *p;
			size_t n = target_path(e->target, &p);
			if (n != st->data.len || memcmp(p, st->data.s, n))
				continue;
		}
		if (st->name &&
		    !header_matches(e->headers, st->name, st->value))
			continue;
		return true;
	}
	return false;
}

bool run_backend_expectations(struct run *run, const struct scn_client *def,
			      const struct scn_step *failed_step, uint64_t t0,
			      char *failure, size_t flen, unsigned *line)
{
	for (size_t i = 0; i < def->nsteps; i++) {
		const struct scn_step *st = &def->steps[i];
		if (st == failed_step)
			break;
		if (st->kind != SCN_EXPECT_BACKEND)
			continue;
		char seen[600];
		if (backend_step_holds(run, st, t0, seen, sizeof(seen)))
			continue;
		snprintf(
		    failure, flen,
		    "expected the backend %s to receive %s%s%s%s%s%s, "
		    "it received %s",
		    st->comp,
		    st->upgrade == 1   ? "a websocket upgrade"
		    : st->upgrade == 0 ? "a request without "
					 "upgrade"
				       : "a request",
		    st->field ? " on its " : "", st->field ? st->field : "",
		    st->field ? " connector" : "", st->data.s ? " for " : "",
		    st->data.s ? st->data.s : "", seen[0] ? seen : "nothing");
		*line = st->pos.line;
		return false;
	}
	return true;
}

static const char *prog_of(enum scn_comp_kind k)
{
	return k == SCN_APACHE	? "apache2"
	       : k == SCN_NGINX ? "nginx"
				: "haproxy";
}

static bool is_proxy(const struct run_comp *c)
{
	return c->def->kind == SCN_APACHE || c->def->kind == SCN_NGINX ||
	       c->def->kind == SCN_HAPROXY;
}

/* The proxy of the run that a client's URL goes to: the component its
 * macro names ("ws://${front.http}/..."), or the one listening on its
 * literal port; NULL for none (straight to a mock, or elsewhere). */
static struct run_comp *proxy_of(struct run *run, const char *url)
{
	const char *m = url ? strstr(url, "${") : NULL;
	size_t n = m ? strcspn(m + 2, ".}") : 0;
	/* the port of the authority: "ws://127.0.0.1:8080/..." */
	const char *host = url ? strstr(url, "://") : NULL;
	int port = -1;
	if (host) {
		host += 3;
		size_t alen = strcspn(host, "/?#");
		const char *colon = memrchr(host, ':', alen);
		if (colon && colon + 1 < host + alen && colon[1] >= '0' &&
		    colon[1] <= '9')
			port = atoi(colon + 1);
	}
	for (size_t i = 0; i < run->ncomps; i++) {
		struct run_comp *c = &run->comps[i];
		if (!is_proxy(c))
			continue;
		if (m && strlen(c->def->name) == n &&
		    !strncmp(c->def->name, m + 2, n))
			return c;
		for (int k = 0; !m && k < SCN_NCONN; k++)
			if (port > 0 && c->port[k] == port)
				return c;
	}
	return NULL;
}

struct run_comp *run_dead_proxy(struct run *run)
{
	for (size_t i = 0; i < run->ncomps; i++)
		if (run->comps[i].died)
			return &run->comps[i];
	return NULL;
}

void run_diagnose(struct run *run, const char *url,
		  const struct sim_client_result *res, bool websocket,
		  uint64_t t0, char *why, size_t whylen, const char **hint)
{
	const struct sim_observer *o = &run->r->obs;
	why[0] = '\0';
	*hint = NULL;
	/* A dead or crashing proxy explains the rest: whatever did not reach
	 * the backend did not for that reason. */
	struct run_comp *pc = proxy_of(run, url);
	if (pc && pc->died) {
		char how[160];
		proxy_describe_exit(pc->proxy.exit_status, how, sizeof(how));
		snprintf(why, whylen,
			 "the proxy %s is not running: %s %s during the run "
			 "(its error log is below)",
			 pc->def->name, prog_of(pc->def->kind), how);
		return;
	}
	if (pc && !res->passed && pc->crash[0] && pc->crash_us >= t0) {
		snprintf(why, whylen, "a worker of the proxy %s crashed: %s",
			 pc->def->name, pc->crash);
		return;
	}
	/* Only a mock of ours sees the backend side: without one (a replay
	 * against a running setup) there is nothing to say about it. */
	bool watched = false;
	for (size_t i = 0; i < run->f->ncomps; i++)
		if (run->f->comps[i].kind == SCN_TOMCAT)
			watched = true;
	if (!websocket || !watched)
		return;
	bool ajp_upgrade = false, stripped = false, any = false;
	for (size_t i = 0; i < o->n; i++) {
		const struct sim_event *e = &o->ev[i];
		if (e->t_us < t0 || e->hop != SIM_HOP_BACKEND ||
		    e->ev != SIM_EV_REQUEST)
			continue;
		any = true;
		if (e->upgrade && !strcmp(e->connector, "ajp"))
			ajp_upgrade = true;
		struct webapp_route rt;
		webapp_route(e->target, strlen(e->target), &rt);
		if (!e->upgrade && rt.kind == WEBAPP_WEBSOCKET)
			stripped = true;
	}
	if (res->status == 101 || res->status == 0) {
		if (res->status == 0 && !any && res->close_code == 1006)
			snprintf(why, whylen, "nothing reached the backend");
		return;
	}
	if (ajp_upgrade) {
		snprintf(why, whylen,
			 "the mock received the upgrade on its AJP connector "
			 "(AJP cannot upgrade)");
		*hint = "Apache sent the websocket upgrade over AJP, which "
			"cannot carry it. Load mod_proxy_wstunnel and put, "
			"before the AJP ProxyPass:\n"
			"    RewriteEngine on\n"
			"    RewriteCond %{HTTP:Upgrade} \"(?i)websocket\"\n"
			"    RewriteCond %{HTTP:Connection} \"(?i)upgrade\"\n"
			"    RewriteRule ^(.*)$ ws://BACKEND:8080$1 [P]\n"
			"or, with Apache >= 2.4.47, proxy the websocket path "
			"with `ProxyPass /path http://BACKEND:8080/path "
			"upgrade=websocket`.";
	} else if (stripped) {
		snprintf(why, whylen,
			 "the proxy forwarded the request without its Upgrade "
			 "header, so the mock answered it as a plain GET");
		*hint =
		    "The proxy drops the upgrade: for Apache's ProxyPass "
		    "http:// add `upgrade=websocket` (>= 2.4.47); for "
		    "nginx add `proxy_http_version 1.1;`, `proxy_set_header "
		    "Upgrade $http_upgrade;` and `proxy_set_header "
		    "Connection \"upgrade\";`.";
	} else if (!any && res->status == 503) {
		snprintf(why, whylen,
			 "nothing reached the backend: the proxy could not "
			 "connect to it");
	} else if (!any && res->status >= 500) {
		snprintf(why, whylen, "nothing reached the backend");
	}
}

void run_scan_proxy_logs(struct run *run)
{
	for (size_t i = 0; i < run->ncomps; i++) {
		struct run_comp *c = &run->comps[i];
		if (!c->proxy_up)
			continue;
		char *log = proxy_error_log(&c->proxy);
		size_t n = log ? strlen(log) : 0;
		for (char *l = log + (c->log_seen < n ? c->log_seen : n);
		     l && *l;) {
			char *e = strchr(l, '\n');
			if (!e)
				break; /* a line still being written */
			*e = '\0';
			bool crash = proxy_log_crash(c->def->kind, l);
			if (crash) {
				const char *msg = strrchr(l, ']');
				snprintf(c->crash, sizeof(c->crash), "%s",
					 msg && msg[1] == ' ' ? msg + 2 : l);
				c->crash_us =
				    uv_hrtime() / 1000 - run->r->obs.t0_us;
			}
			if (crash || strstr(l, "[error]") ||
			    strstr(l, "[crit]") || strstr(l, "[alert]") ||
			    strstr(l, "[emerg]") || strstr(l, "[warn") ||
			    strstr(l, ":error]") || strstr(l, ":warn]") ||
			    strstr(l, "[ALERT]") || strstr(l, "[WARNING]"))
				sim_obs_add(&run->r->obs, SIM_HOP_PROXY,
					    SIM_EV_NOTE, c->def->name, 0,
					    "log: %s", l);
			c->log_seen = (size_t)(e + 1 - log);
			l = e + 1;
		}
		free(log);
		if (!c->died && proxy_exited(&c->proxy)) {
			c->died = true;
			char how[160];
			proxy_describe_exit(c->proxy.exit_status, how,
					    sizeof(how));
			sim_obs_add(&run->r->obs, SIM_HOP_PROXY, SIM_EV_ERROR,
				    c->def->name, 0, "%s %s",
				    prog_of(c->def->kind), how);
		}
	}
}

static const char *hop_name(enum sim_hop h)
{
	switch (h) {
	case SIM_HOP_CLIENT:
		return "client";
	case SIM_HOP_PROXY:
		return "proxy";
	case SIM_HOP_BACKEND:
		return "backend";
	default:
		return "run";
	}
}

char *run_trace(struct run *run, uint64_t t0)
{
	const struct sim_observer *o = &run->r->obs;
	struct proto_buf b = PROTO_BUF_INIT;
	for (size_t i = 0; i < o->n; i++) {
		const struct sim_event *e = &o->ev[i];
		if (e->t_us < t0)
			continue;
		proto_buf_appendf(&b, "    %8.1f ms  %-7s %-14s %s%s\n",
				  (double)e->t_us / 1000.0, hop_name(e->hop),
				  e->who, e->failed ? "FAILED " : "",
				  e->text ? e->text : "");
	}
	char *s = proto_buf_steal(&b, NULL);
	proto_buf_free(&b);
	return s;
}
