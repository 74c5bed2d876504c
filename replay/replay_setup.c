/* Replay against a scenario's topology (see replay_setup.h). */
#include "replay_setup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_proxy(const struct scn_component *c)
{
	return c->kind != SCN_TOMCAT;
}

/* The listener of c for tls (https) or not, if it has one. */
static bool has_listener(const struct scn_component *c, bool tls)
{
	return c->listen[tls ? SCN_CONN_HTTPS : SCN_CONN_HTTP].on;
}

static void pick(const struct scn_component *c, bool tls,
		 struct replay_target *t)
{
	t->tls = tls;
	snprintf(t->via, sizeof(t->via), "%s.%s", c->name,
		 tls ? "https" : "http");
	snprintf(t->authority, sizeof(t->authority), "${%s}", t->via);
}

/* "front.http, front.https, t1.http" */
static void list_valid(const struct scn_file *s, char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (int proxies = 1; proxies >= 0; proxies--)
		for (size_t i = 0; i < s->ncomps; i++) {
			const struct scn_component *c = &s->comps[i];
			if (is_proxy(c) != proxies)
				continue;
			for (int tls = 0; tls <= 1; tls++)
				if (has_listener(c, tls) && o < n)
					o += (size_t)snprintf(
					    out + o, n - o, "%s%s.%s",
					    o ? ", " : "", c->name,
					    tls ? "https" : "http");
		}
}

int replay_setup_via(const struct scn_file *setup, const char *via, bool tls,
		     struct replay_target *t, char *err, size_t errlen)
{
	char valid[512];
	list_valid(setup, valid, sizeof(valid));
	memset(t, 0, sizeof(*t));
	if (!valid[0]) {
		snprintf(err, errlen,
			 "%s: no listener to replay to (no proxy listener, no "
			 "tomcat http or https connector)",
			 setup->path);
		return -1;
	}
	if (via) {
		const char *dot = strchr(via, '.');
		char name[128];
		const struct scn_component *c = NULL;
		if (dot && (size_t)(dot - via) < sizeof(name)) {
			memcpy(name, via, (size_t)(dot - via));
			name[dot - via] = '\0';
			c = scn_find_comp(setup, name);
		}
		bool https = dot && !strcmp(dot + 1, "https");
		if (!c || !dot || (!https && strcmp(dot + 1, "http")) ||
		    !has_listener(c, https)) {
			snprintf(err, errlen,
				 "--via: '%s' is not a listener of %s (valid: "
				 "%s)",
				 via, setup->path, valid);
			return -1;
		}
		pick(c, https, t);
		return 0;
	}
	/* the first proxy with the recording's scheme, else the first
	 * proxy's other listener; then tomcats likewise */
	for (int proxies = 1; proxies >= 0; proxies--) {
		for (size_t i = 0; i < setup->ncomps; i++) {
			const struct scn_component *c = &setup->comps[i];
			if (is_proxy(c) == proxies && has_listener(c, tls)) {
				pick(c, tls, t);
				return 0;
			}
		}
		for (size_t i = 0; i < setup->ncomps; i++) {
			const struct scn_component *c = &setup->comps[i];
			if (is_proxy(c) == proxies && has_listener(c, !tls)) {
				pick(c, !tls, t);
				return 0;
			}
		}
	}
	snprintf(err, errlen, "%s: no listener to replay to", setup->path);
	return -1;
}

/* An include path relative to the setup file, made absolute: the merged
 * scenario carries the recording's path, which the run resolves relative
 * includes against. Returns 0, or -1 (the setup's folder cannot be
 * resolved, or out of memory). */
static int rebase_include(struct scn_component *c, const char *setup_path)
{
	if (!c->include || c->include[0] == '/')
		return 0;
	const char *slash = strrchr(setup_path, '/');
	char *dir = slash ? strndup(setup_path, (size_t)(slash - setup_path) +
						    (slash == setup_path))
			  : strdup(".");
	char *abs = dir ? realpath(dir, NULL) : NULL;
	free(dir);
	if (!abs)
		return -1;
	size_t n = strlen(abs) + 1 + strlen(c->include) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", abs, c->include);
	free(abs);
	if (!p)
		return -1;
	free(c->include);
	c->include = p;
	return 0;
}

struct scn_file *replay_setup_merge(struct scn_file *setup,
				    struct scn_file *rec, char *err,
				    size_t errlen)
{
	for (size_t i = 0; i < setup->ncomps; i++)
		if (rebase_include(&setup->comps[i], setup->path) < 0) {
			snprintf(err, errlen,
				 "%s: cannot resolve the folder of %s for its "
				 "include: %s",
				 setup->path, setup->comps[i].name,
				 strerror(errno));
			goto fail;
		}
	/* the setup's clients go (freed as a file of their own); the
	 * recording's come in */
	struct scn_file *old = calloc(1, sizeof(*old));
	if (!old)
		goto oom;
	old->clients = setup->clients;
	old->nclients = setup->nclients;
	scn_free(old);
	setup->clients = rec->clients;
	setup->nclients = rec->nclients;
	rec->clients = NULL;
	rec->nclients = 0;
	free(setup->path);
	setup->path = rec->path;
	rec->path = NULL;
	free(setup->title);
	setup->title = rec->title;
	rec->title = NULL;
	setup->timeout_ms = rec->timeout_ms;
	scn_free(rec);
	return setup;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	scn_free(setup);
	scn_free(rec);
	return NULL;
}
