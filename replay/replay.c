/* Recordings turned into the scenario to replay (see replay.h). */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replay_setup.h"

static bool host_is_loopback(const char *h, size_t n)
{
	if (n == 9 && !strncasecmp(h, "localhost", 9))
		return true;
	if (n == 5 && !strncmp(h, "[::1]", 5))
		return true;
	if (n < 7 || n > 15 || strncmp(h, "127.", 4))
		return false;
	unsigned dots = 0;
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (h[i] < '0' || h[i] > '9')
			return false;
	}
	return dots == 3;
}

int replay_parse_target(const char *url, struct replay_target *t, char *err,
			size_t errlen)
{
	const char *rest;
	if (!strncmp(url, "ws://", 5) || !strncmp(url, "http://", 7)) {
		t->tls = false;
	} else if (!strncmp(url, "wss://", 6) || !strncmp(url, "https://", 8)) {
		t->tls = true;
	} else {
		snprintf(err, errlen,
			 "--target: '%s' is not a ws://, wss://, http:// or "
			 "https:// URL",
			 url);
		return -1;
	}
	rest = strstr(url, "://") + 3;
	size_t n = strcspn(rest, "/?#");
	if ((rest[n] && strcmp(rest + n, "/")) || n == 0 ||
	    n >= sizeof(t->authority)) {
		snprintf(err, errlen,
			 "--target: '%s' must be SCHEME://HOST:PORT (the "
			 "recorded path and query are kept)",
			 url);
		return -1;
	}
	memcpy(t->authority, rest, n);
	t->authority[n] = '\0';
	/* the host: up to the port */
	const char *h = t->authority;
	size_t hl = n;
	if (h[0] == '[') {
		const char *e = strchr(h, ']');
		hl = e ? (size_t)(e - h) + 1 : n;
	} else {
		const char *c = strchr(h, ':');
		if (c)
			hl = (size_t)(c - h);
	}
	if (h[hl] == ':') {
		char *end;
		long port = strtol(h + hl + 1, &end, 10);
		if (*end || port < 1 || port > 65535) {
			snprintf(err, errlen, "--target: bad port in '%s'",
				 url);
			return -1;
		}
	} else if (h[hl]) {
		snprintf(err, errlen, "--target: bad address in '%s'", url);
		return -1;
	}
	if (!host_is_loopback(h, hl)) {
		snprintf(err, errlen,
			 "--target: '%.*s' is not on loopback: replay only "
			 "talks to 127.0.0.0/8, [::1] or localhost",
			 (int)hl, h);
		return -1;
	}
	return 0;
}

/* The recorded URL with the target's scheme, host and port. Returns a
 * malloc'd string, or NULL with a message. */
static char *rewrite_url(const char *rec, const struct replay_target *t,
			 char *err, size_t errlen)
{
	bool ws;
	if (!strncmp(rec, "ws://", 5) || !strncmp(rec, "wss://", 6))
		ws = true;
	else if (!strncmp(rec, "http://", 7) || !strncmp(rec, "https://", 8))
		ws = false;
	else {
		snprintf(err, errlen, "a client URL '%s' without a scheme",
			 rec);
		return NULL;
	}
	const char *auth = strstr(rec, "://") + 3;
	const char *rest = auth + strcspn(auth, "/?#");
	const char *scheme =
	    ws ? (t->tls ? "wss" : "ws") : (t->tls ? "https" : "http");
	size_t len = strlen(scheme) + 3 + strlen(t->authority) + strlen(rest);
	char *u = malloc(len + 1);
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(u, len + 1, "%s://%s%s", scheme, t->authority, rest);
	return u;
}

/* A literal value as a template: every `${` becomes `$${`. */
static char *literal(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += (p[0] == '$' && p[1] == '{') ? 2 : 1;
	char *d = malloc(n + 1), *o = d;
	if (!d)
		return NULL;
	for (const char *p = s; *p; p++) {
		if (p[0] == '$' && p[1] == '{')
			*o++ = '$';
		*o++ = *p;
	}
	*o = '\0';
	return d;
}

static int set_host(struct scn_client *c, const char *host)
{
	char *v = literal(host);
	if (!v)
		return -1;
	for (size_t i = 0; i < c->nheaders; i++)
		if (!strcasecmp(c->headers[i].name, "Host")) {
			free(c->headers[i].value);
			c->headers[i].value = v;
			return 0;
		}
	struct scn_header *h =
	    realloc(c->headers, (c->nheaders + 1) * sizeof(*h));
	char *name = strdup("Host");
	if (!h || !name) {
		if (h)
			c->headers = h;
		free(name);
		free(v);
		return -1;
	}
	c->headers = h;
	c->headers[c->nheaders].name = name;
	c->headers[c->nheaders].value = v;
	c->nheaders++;
	return 0;
}

/* A duration (ms + µs) divided by speed, to the microsecond (speed 0:
 * none, --asap). */
static void scale(uint64_t *ms, uint64_t *us, double speed)
{
	uint64_t t = *ms * 1000 + *us;
	t = speed > 0 ? (uint64_t)((double)t / speed + 0.5) : 0;
	*ms = t / 1000;
	*us = t % 1000;
}

/* Scale every wait and `at` by 1/speed (speed 0: drop them, --asap). */
static void scale_waits(struct scn_step *s, size_t n, double speed)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].kind == SCN_WAIT)
			scale(&s[i].ms, &s[i].us, speed);
		else if (s[i].kind == SCN_REPEAT)
			scale_waits(s[i].body, s[i].nbody, speed);
		if (s[i].has_at) {
			uint64_t ms = s[i].at_us / 1000, us = s[i].at_us % 1000;
			scale(&ms, &us, speed);
			s[i].at_us = ms * 1000 + us;
		}
	}
}

/* Every `expect binary` with a payload becomes `expect binary length N`. */
static void binary_by_length(struct scn_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].kind == SCN_REPEAT)
			binary_by_length(s[i].body, s[i].nbody);
		if (s[i].kind != SCN_EXPECT_BINARY ||
		    s[i].match == SCN_MATCH_LENGTH)
			continue;
		s[i].match = SCN_MATCH_LENGTH;
		s[i].length = s[i].data.len;
		free(s[i].data.s);
		s[i].data.s = NULL;
		s[i].data.len = 0;
	}
}

/* Whether the recording's first client speaks TLS (wss, https). */
static bool first_tls(const struct scn_file *f)
{
	const char *u = f->nclients ? f->clients[0].url : "";
	return !strncmp(u, "wss://", 6) || !strncmp(u, "https://", 8);
}

/* Append the clients of `more` to `f`, renamed NAME_rK (more keeps none). */
static int merge_clients(struct scn_file *f, struct scn_file *more, unsigned k)
{
	for (size_t i = 0; i < more->nclients; i++) {
		struct scn_client *c = &more->clients[i];
		size_t len = strlen(c->name) + 16;
		char *name = malloc(len);
		if (!name)
			return -1;
		snprintf(name, len, "%s_r%u", c->name, k);
		free(c->name);
		c->name = name;
	}
	struct scn_client *v =
	    realloc(f->clients, (f->nclients + more->nclients) * sizeof(*v));
	if (!v)
		return -1;
	f->clients = v;
	memcpy(v + f->nclients, more->clients, more->nclients * sizeof(*v));
	f->nclients += more->nclients;
	more->nclients = 0;
	return 0;
}

struct scn_file *replay_load(const char *path, const struct replay_opts *o,
			     struct scn_error *perr, char *err, size_t errlen)
{
	unsigned repeat = o->repeat ? o->repeat : 1;
	struct replay_target *t = o->target;
	struct scn_file *setup = o->setup;
	const char *host = o->host;
	double speed = o->speed;
	bool insecure = o->insecure;
	err[0] = '\0';
	struct scn_file *f = NULL;
	if (scn_parse_file(path, &f, perr) < 0) {
		scn_free(setup);
		return NULL;
	}
	if (f->ncomps) {
		snprintf(err, errlen,
			 "%s declares components: replay takes a recording "
			 "(clients only); give the topology with --setup, or "
			 "run a scenario with `wssim run`",
			 path);
		goto fail;
	}
	if (setup &&
	    replay_setup_via(setup, o->via, first_tls(f), t, err, errlen) < 0)
		goto fail;
	size_t n0 = f->nclients;
	for (unsigned k = 2; k <= repeat; k++) {
		struct scn_file *more;
		if (scn_parse_file(path, &more, perr) < 0)
			goto fail;
		int r = merge_clients(f, more, k);
		scn_free(more);
		if (r < 0)
			goto oom;
	}
	if (repeat > 1)
		for (size_t i = 0; i < n0; i++) {
			struct scn_client *c = &f->clients[i];
			size_t len = strlen(c->name) + 4;
			char *name = malloc(len);
			if (!name)
				goto oom;
			snprintf(name, len, "%s_r1", c->name);
			free(c->name);
			c->name = name;
		}
	for (size_t i = 0; i < f->nclients; i++) {
		struct scn_client *c = &f->clients[i];
		char msg[512];
		char *u = rewrite_url(c->url, t, msg, sizeof(msg));
		if (!u) {
			snprintf(err, errlen, "%s:%u: %s", path,
				 c->url_pos.line, msg);
			goto fail;
		}
		free(c->url);
		c->url = u;
		if (host && set_host(c, host) < 0)
			goto oom;
		if (insecure)
			c->insecure = true;
		/* The recorded start offsets scale as the waits do (all 0
		 * with --asap: every client with a start begins at once);
		 * a repetition keeps its original's, so the copies run
		 * alongside each other. */
		if (speed != 1) {
			scale_waits(c->steps, c->nsteps, speed);
			if (c->has_start)
				scale(&c->start_ms, &c->start_us, speed);
		}
		if (o->binary_by_length)
			binary_by_length(c->steps, c->nsteps);
	}
	if (setup) {
		f = replay_setup_merge(setup, f, err, errlen);
		if (!f)
			return NULL;
	}
	return f;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	scn_free(f);
	scn_free(setup);
	return NULL;
}
