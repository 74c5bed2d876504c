/* The observer's log: a growable array of events whose strings are copied
 * in. Times are microseconds since t0_us (uv_hrtime at sim_obs_init). The
 * `live` callback, if set, sees each event as it is added (-v output). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "observer.h"

void sim_obs_init(struct sim_observer *o)
{
	memset(o, 0, sizeof(*o));
	o->t0_us = uv_hrtime() / 1000;
}

static void event_free(struct sim_event *e)
{
	free(e->who);
	free(e->text);
	free(e->method);
	free(e->target);
	free(e->headers);
	free(e->connector);
}

void sim_obs_free(struct sim_observer *o)
{
	for (size_t i = 0; i < o->n; i++)
		event_free(&o->ev[i]);
	free(o->ev);
	o->ev = NULL;
	o->n = o->cap = 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct sim_event *sim_obs_add(struct sim_observer *o, enum sim_hop hop,
			      enum sim_ev ev, const char *who, int code,
			      const char *fmt, ...)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct sim_event *p = realloc(o->ev, cap * sizeof(*p));
		if (!p)
			return NULL;
		o->ev = p;
		o->cap = cap;
	}
	struct sim_event *e = &o->ev[o->n];
	memset(e, 0, sizeof(*e));
	uint64_t now = uv_hrtime() / 1000;
	e->t_us = now > o->t0_us ? now - o->t0_us : 0;
	e->hop = hop;
	e->ev = ev;
	e->code = code;
	e->failed = false;
	e->who = dup_or_null(who);
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&e->text, fmt, ap) < 0)
			e->text = NULL;
		va_end(ap);
	}
	o->n++;
	if (o->live)
		o->live(o->live_ctx, e);
	return e;
}

void sim_obs_set_request(struct sim_event *e, const char *connector,
			 const char *method, const char *target,
			 const char *headers, bool upgrade)
{
	if (!e)
		return;
	free(e->connector);
	free(e->method);
	free(e->target);
	free(e->headers);
	e->connector = dup_or_null(connector);
	e->method = dup_or_null(method);
	e->target = dup_or_null(target);
	e->headers = dup_or_null(headers);
	e->upgrade = upgrade;
}
