/* Precise timers for one loop (see hrsched.h): a binary min-heap of
 * deadlines ordered by (due_ns, seq), each timer knowing its slot so that
 * stopping or moving one is O(log n), and a timerfd armed for the top.
 * (The timerfd's wakeups get no timer slack: the kernel arms its hrtimer
 * without any, so PR_SET_TIMERSLACK would change nothing; measured.) */
#include "hrsched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

static bool before(const struct sim_sched_timer *a,
		   const struct sim_sched_timer *b)
{
	return a->due_ns != b->due_ns ? a->due_ns < b->due_ns : a->seq < b->seq;
}

static void put(struct sim_sched *s, size_t i, struct sim_sched_timer *t)
{
	s->heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct sim_sched *s, size_t i)
{
	struct sim_sched_timer *t = s->heap[i];
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!before(t, s->heap[up]))
			break;
		put(s, i, s->heap[up]);
		i = up;
	}
	put(s, i, t);
}

static void sift_down(struct sim_sched *s, size_t i)
{
	struct sim_sched_timer *t = s->heap[i];
	for (;;) {
		size_t kid = 2 * i + 1;
		if (kid >= s->n)
			break;
		if (kid + 1 < s->n && before(s->heap[kid + 1], s->heap[kid]))
			kid++;
		if (!before(s->heap[kid], t))
			break;
		put(s, i, s->heap[kid]);
		i = kid;
	}
	put(s, i, t);
}

/* Take the timer in slot i out of the heap. */
static void remove_at(struct sim_sched *s, size_t i)
{
	s->heap[i]->slot = 0;
	struct sim_sched_timer *last = s->heap[--s->n];
	if (i == s->n)
		return;
	put(s, i, last);
	if (i > 0 && before(last, s->heap[(i - 1) / 2]))
		sift_up(s, i);
	else
		sift_down(s, i);
}

static void on_poll(uv_poll_t *h, int status, int events);

/* The timerfd and the poll handle follow the heap's top. */
static void arm(struct sim_sched *s)
{
	if (s->fd < 0)
		return;
	bool want = s->n > 0;
	uint64_t due = want ? s->heap[0]->due_ns : 0;
	if (want != s->armed || due != s->armed_ns) {
		struct itimerspec its;
		memset(&its, 0, sizeof(its));
		/* all zero disarms, so a deadline at 0 (long past) is
		 * armed at 1 ns */
		its.it_value.tv_sec = (time_t)(due / 1000000000u);
		its.it_value.tv_nsec = (long)(due % 1000000000u);
		if (want && !due)
			its.it_value.tv_nsec = 1;
		timerfd_settime(s->fd, TFD_TIMER_ABSTIME, &its, NULL);
		s->armed = want;
		s->armed_ns = due;
	}
	if (want && !s->polling)
		s->polling = uv_poll_start(&s->poll, UV_READABLE, on_poll) == 0;
	else if (!want && s->polling) {
		uv_poll_stop(&s->poll);
		s->polling = false;
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct sim_sched *s = h->data;
	(void)status;
	(void)events;
	uint64_t expirations;
	/* Clears the readiness. The timerfd expired, so it is disarmed;
	 * EAGAIN: it was set again since, and still is. */
	if (read(s->fd, &expirations, sizeof(expirations)) ==
	    (ssize_t)sizeof(expirations))
		s->armed = false;
	sim_sched_run(s, uv_hrtime()); /* and arms it for the next */
}

int sim_sched_init(struct sim_sched *s, uv_loop_t *loop)
{
	memset(s, 0, sizeof(*s));
	s->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	int r = uv_poll_init(loop, &s->poll, s->fd);
	if (r < 0) {
		close(s->fd);
		s->fd = -1;
		return r;
	}
	s->poll.data = s;
	return 0;
}

int sim_sched_start(struct sim_sched *s, struct sim_sched_timer *t,
		    uint64_t due_ns, sim_sched_cb cb)
{
	sim_sched_stop(s, t);
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct sim_sched_timer **h = realloc(s->heap, cap * sizeof(*h));
		if (!h)
			return UV_ENOMEM;
		s->heap = h;
		s->cap = cap;
	}
	t->cb = cb;
	t->due_ns = due_ns;
	t->seq = s->seq++;
	s->heap[s->n++] = t;
	sift_up(s, s->n - 1);
	arm(s);
	return 0;
}

void sim_sched_stop(struct sim_sched *s, struct sim_sched_timer *t)
{
	if (!t->slot)
		return;
	remove_at(s, t->slot - 1);
	arm(s);
}

bool sim_sched_pending(const struct sim_sched_timer *t)
{
	return t->slot != 0;
}

void sim_sched_run(struct sim_sched *s, uint64_t now_ns)
{
	while (s->n && s->heap[0]->due_ns <= now_ns) {
		struct sim_sched_timer *t = s->heap[0];
		remove_at(s, 0);
		t->cb(t);
	}
	arm(s);
}

static void poll_closed(uv_handle_t *h)
{
	struct sim_sched *s = h->data;
	close(s->fd);
	s->fd = -1;
	if (s->closed)
		s->closed(s);
}

void sim_sched_close(struct sim_sched *s, void (*closed)(struct sim_sched *s))
{
	for (size_t i = 0; i < s->n; i++)
		s->heap[i]->slot = 0;
	s->n = 0;
	free(s->heap);
	s->heap = NULL;
	s->cap = 0;
	s->closed = closed;
	s->polling = false;
	uv_close((uv_handle_t *)&s->poll, poll_closed);
}
