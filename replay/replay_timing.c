/* Timing drift of a replay (see replay_timing.h): the recording's `at`
 * notes matched with the replay's observer events, and the statistics. */
#include "replay_timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"

/* ---- the client's events, by kind -------------------------------------- */

/* Times (µs since the run began) of one kind of event, in order. */
struct times {
	uint64_t *t;
	size_t n, cap;
	bool oom;
};

static void times_add(struct times *q, uint64_t t)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16;
		uint64_t *v = realloc(q->t, cap * sizeof(*v));
		if (!v) {
			q->oom = true;
			return;
		}
		q->t = v;
		q->cap = cap;
	}
	q->t[q->n++] = t;
}

/* The kinds of events steps are matched with (Q_SENT, Q_DATA, Q_PONG:
 * the n-th step takes the n-th event; the others: the first one). */
enum queue {
	Q_SENT,	 /* messages, pings, pongs, close: the n-th send */
	Q_DATA,	 /* text and binary messages received */
	Q_PONG,	 /* pongs received */
	Q_RESP,	 /* the response head */
	Q_OPEN,	 /* the open */
	Q_CLOSE, /* the server's close frame */
	Q_N,
	Q_NONE = Q_N,
};

struct events {
	bool have_t0;
	uint64_t t0; /* the client was due to begin: `at`'s origin */
	struct times q[Q_N];
};

static void events_free(struct events *e)
{
	for (int k = 0; k < Q_N; k++)
		free(e->q[k].t);
}

static bool events_collect(const struct sim_observer *obs, const char *who,
			   struct events *e)
{
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < obs->n; i++) {
		const struct sim_event *v = &obs->ev[i];
		if (v->hop != SIM_HOP_CLIENT || !v->who || strcmp(v->who, who))
			continue;
		enum queue q = Q_NONE;
		switch (v->ev) {
		case SIM_EV_START:
			if (!e->have_t0) {
				e->have_t0 = true;
				e->t0 = v->t_us;
			}
			break;
		case SIM_EV_RESPONSE:
			q = Q_RESP;
			break;
		case SIM_EV_OPEN:
			q = Q_OPEN;
			break;
		case SIM_EV_SEND:
			/* a message's first frame; not a continuation, not
			 * an automatic pong */
			if (v->code != WS_OP_CONT &&
			    !(v->code == WS_OP_PONG && v->automatic))
				q = Q_SENT;
			break;
		case SIM_EV_RECV:
			q = v->code == WS_OP_TEXT || v->code == WS_OP_BINARY
				? Q_DATA
			    : v->code == WS_OP_PONG  ? Q_PONG
			    : v->code == WS_OP_CLOSE ? Q_CLOSE
						     : Q_NONE;
			break;
		default:
			break;
		}
		if (q != Q_NONE)
			times_add(&e->q[q], v->t_us);
	}
	for (int k = 0; k < Q_N; k++)
		if (e->q[k].oom)
			return false;
	return true;
}

/* ---- steps ------------------------------------------------------------- */

/* Which events a step is matched with; whether it takes one of them (the
 * n-th send, the n-th message) or looks at the first (a state: the
 * response, the open, the close frame). */
static enum queue step_queue(const struct scn_step *s, bool *consumes,
			     const char **what)
{
	*consumes = true;
	switch (s->kind) {
	case SCN_SEND_TEXT:
		*what = "text";
		return Q_SENT;
	case SCN_SEND_BINARY:
		*what = "binary";
		return Q_SENT;
	case SCN_SEND_PING:
		*what = "ping";
		return Q_SENT;
	case SCN_SEND_PONG:
		*what = "pong";
		return Q_SENT;
	case SCN_SEND_FRAGMENTS:
		*what = "fragments";
		return Q_SENT;
	case SCN_CLOSE:
		*what = "close";
		return Q_SENT;
	case SCN_EXPECT_TEXT:
		*what = "text";
		return Q_DATA;
	case SCN_EXPECT_BINARY:
		*what = "binary";
		return Q_DATA;
	case SCN_EXPECT_ECHO:
		*what = "echo";
		return Q_DATA;
	case SCN_EXPECT_PONG:
		*what = "pong";
		return Q_PONG;
	default:
		break;
	}
	*consumes = false;
	switch (s->kind) {
	case SCN_EXPECT_STATUS:
		*what = "response";
		return Q_RESP;
	case SCN_EXPECT_OPEN:
		*what = "open";
		return Q_OPEN;
	case SCN_EXPECT_CLOSED:
		*what = "close";
		return Q_CLOSE;
	default:
		*what = "";
		return Q_NONE;
	}
}

static size_t sat_add(size_t a, size_t b)
{
	return a + b < a ? SIZE_MAX : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
	return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/* How many events of each queue a list of steps takes (repeats
 * multiplied out). */
static void steps_take(const struct scn_step *s, size_t n, size_t take[Q_N])
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].kind == SCN_REPEAT) {
			size_t body[Q_N] = {0};
			steps_take(s[i].body, s[i].nbody, body);
			for (int k = 0; k < Q_N; k++)
				take[k] = sat_add(take[k],
						  sat_mul(body[k], s[i].count));
			continue;
		}
		bool consumes;
		const char *what;
		enum queue q = step_queue(&s[i], &consumes, &what);
		if (consumes)
			take[q] = sat_add(take[q], 1);
	}
}

static bool has_at(const struct scn_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].has_at)
			return true;
	return false;
}

struct sim_timing *replay_timing_of(const struct scn_client *def,
				    const struct sim_observer *obs,
				    int64_t limit_us)
{
	if (!has_at(def->steps, def->nsteps))
		return NULL;
	struct events e;
	struct sim_timing *t = calloc(1, sizeof(*t));
	bool ok = events_collect(obs, def->name, &e) && t;
	if (ok && !(t->points = calloc(def->nsteps, sizeof(*t->points))))
		ok = false;
	size_t take[Q_N] = {0}; /* events of each queue taken so far */
	for (size_t i = 0; ok && i < def->nsteps; i++) {
		const struct scn_step *s = &def->steps[i];
		if (s->kind == SCN_REPEAT) {
			steps_take(s, 1, take);
			continue;
		}
		bool consumes;
		const char *what;
		enum queue q = step_queue(s, &consumes, &what);
		size_t k = consumes ? take[q]++ : 0;
		if (!s->has_at || q == Q_NONE)
			continue;
		const struct times *src = &e.q[q];
		struct sim_timing_point *p = &t->points[t->npoints++];
		p->line = s->pos.line;
		p->sent = q == Q_SENT;
		snprintf(p->what, sizeof(p->what), "%s", what);
		p->recorded_us = (int64_t)s->at_us;
		p->replayed_us = e.have_t0 && k < src->n && src->t[k] >= e.t0
				     ? (int64_t)(src->t[k] - e.t0)
				     : -1;
	}
	if (ok)
		ok = replay_timing_stats(t, limit_us) == 0;
	events_free(&e);
	if (!ok) {
		sim_timing_free(t);
		return NULL;
	}
	return t;
}

/* ---- statistics -------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t mag(int64_t v)
{
	return v < 0 ? -v : v;
}

/* The q-th percentile of sorted d[0..n), n > 0, by nearest rank. */
static int64_t percentile(const int64_t *d, size_t n, unsigned q)
{
	return d[(n * q + 99) / 100 - 1];
}

/* "+2.10 ms" */
static void fmt_ms(char *out, size_t n, int64_t us)
{
	snprintf(out, n, "%+.2f ms", (double)us / 1000.0);
}

/* "line 23 (received text)" */
static void fmt_point(char *out, size_t n, const struct sim_timing_point *p)
{
	if (!strcmp(p->what, "response") || !strcmp(p->what, "open"))
		snprintf(out, n, "line %u (the %s)", p->line, p->what);
	else
		snprintf(out, n, "line %u (%s %s)", p->line,
			 p->sent ? "sent" : "received", p->what);
}

int replay_timing_stats(struct sim_timing *t, int64_t limit_us)
{
	t->nsent = t->nrecv = t->nmissing = t->nover = 0;
	t->p50_us = t->max_us = 0;
	t->max_at = 0;
	t->limit_us = limit_us;
	int64_t *d = malloc((t->npoints ? t->npoints : 1) * sizeof(*d));
	if (!d)
		return -1;
	size_t nd = 0;
	for (size_t i = 0; i < t->npoints; i++) {
		const struct sim_timing_point *p = &t->points[i];
		if (p->replayed_us < 0) {
			t->nmissing++;
			continue;
		}
		if (p->sent)
			t->nsent++;
		else
			t->nrecv++;
		int64_t v = p->replayed_us - p->recorded_us;
		d[nd++] = v;
		if (nd == 1 || mag(v) > mag(t->max_us)) {
			t->max_us = v;
			t->max_at = i;
		}
		if (limit_us >= 0 && mag(v) > limit_us)
			t->nover++;
	}
	if (nd) {
		qsort(d, nd, sizeof(*d), cmp_i64);
		t->p50_us = percentile(d, nd, 50);
	}
	free(d);
	char buf[512], p50[32], mx[32], where[64];
	size_t o = 0;
	if (!nd) {
		o = (size_t)snprintf(buf, sizeof(buf),
				     "none of the %zu timed steps happened",
				     t->npoints);
	} else {
		fmt_ms(p50, sizeof(p50), t->p50_us);
		fmt_ms(mx, sizeof(mx), t->max_us);
		fmt_point(where, sizeof(where), &t->points[t->max_at]);
		o = (size_t)snprintf(
		    buf, sizeof(buf),
		    "%zu sent, %zu received; drift p50 %s, max %s at %s",
		    t->nsent, t->nrecv, p50, mx, where);
		if (t->nmissing && o < sizeof(buf))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
					      "; %zu timed step%s did not "
					      "happen",
					      t->nmissing,
					      t->nmissing == 1 ? "" : "s");
	}
	if (limit_us >= 0 && t->nover && o < sizeof(buf))
		snprintf(buf + o, sizeof(buf) - o,
			 "; %zu over --max-drift %g ms", t->nover,
			 (double)limit_us / 1000.0);
	free(t->text);
	t->text = strdup(buf);
	return t->text ? 0 : -1;
}

/* The difference a drift over the limit makes: the worst step. */
static char *drift_failure(const struct sim_timing *t)
{
	const struct sim_timing_point *p = &t->points[t->max_at];
	char where[64], buf[512];
	fmt_point(where, sizeof(where), p);
	int64_t d = p->replayed_us - p->recorded_us;
	snprintf(buf, sizeof(buf),
		 "timing: %s happened %.3f ms %s than recorded (recorded at "
		 "%.3f ms, replayed at %.3f ms after the client's start), "
		 "over "
		 "--max-drift %g ms (%zu step%s over)",
		 where, (double)mag(d) / 1000.0, d < 0 ? "earlier" : "later",
		 (double)p->recorded_us / 1000.0,
		 (double)p->replayed_us / 1000.0, (double)t->limit_us / 1000.0,
		 t->nover, t->nover == 1 ? "" : "s");
	return strdup(buf);
}

size_t replay_timing_report(const struct scn_file *f, struct sim_report *r,
			    int64_t limit_us)
{
	size_t failed = 0;
	for (size_t i = 0; i < r->nclients && i < f->nclients; i++) {
		struct sim_client_report *c = &r->clients[i];
		if (!c->name || strcmp(c->name, f->clients[i].name))
			continue; /* not run (an aborted or failed bring-up) */
		sim_timing_free(c->timing);
		c->timing = replay_timing_of(&f->clients[i], &r->obs, limit_us);
		if (!c->timing || !c->timing->nover)
			continue;
		failed++;
		if (!c->passed)
			continue; /* the first difference stays the one shown */
		char *why = drift_failure(c->timing);
		if (!why)
			continue;
		c->passed = false;
		free(c->failure);
		c->failure = why;
		c->fail_line = c->timing->points[c->timing->max_at].line;
	}
	if (failed && r->outcome == SIM_PASS)
		r->outcome = SIM_FAIL;
	return failed;
}

bool replay_timing_overall(const struct sim_report *r, char *out, size_t n)
{
	size_t total = 0, missing = 0, sessions = 0;
	out[0] = '\0';
	for (size_t i = 0; i < r->nclients; i++) {
		const struct sim_timing *t = r->clients[i].timing;
		if (!t)
			continue;
		sessions++;
		total += t->npoints;
		missing += t->nmissing;
	}
	if (total == missing)
		return false;
	int64_t *d = malloc((total - missing) * sizeof(*d));
	if (!d)
		return false;
	size_t nd = 0, worst_c = 0, worst_p = 0;
	int64_t worst = 0;
	for (size_t i = 0; i < r->nclients; i++) {
		const struct sim_timing *t = r->clients[i].timing;
		for (size_t k = 0; t && k < t->npoints; k++) {
			const struct sim_timing_point *p = &t->points[k];
			if (p->replayed_us < 0)
				continue;
			int64_t v = p->replayed_us - p->recorded_us;
			if (!nd || mag(v) > mag(worst)) {
				worst = v;
				worst_c = i;
				worst_p = k;
			}
			d[nd++] = v;
		}
	}
	qsort(d, nd, sizeof(*d), cmp_i64);
	int64_t p50 = percentile(d, nd, 50), p99 = percentile(d, nd, 99);
	free(d);
	char a[32], b[32], c[32], where[64];
	fmt_ms(a, sizeof(a), p50);
	fmt_ms(b, sizeof(b), p99);
	fmt_ms(c, sizeof(c), worst);
	fmt_point(where, sizeof(where),
		  &r->clients[worst_c].timing->points[worst_p]);
	char gone[48] = "";
	if (missing)
		snprintf(gone, sizeof(gone), " (%zu did not happen)", missing);
	snprintf(out, n,
		 "timing over %zu session%s: %zu timed steps%s; drift p50 %s, "
		 "p99 %s, max %s at %s %s",
		 sessions, sessions == 1 ? "" : "s", total, gone, a, b, c,
		 r->clients[worst_c].name, where);
	return true;
}
