/* Precise timers for one loop: deadlines in nanoseconds on uv_hrtime()'s
 * clock, fired within microseconds of their time.
 *
 * libuv's own timers count whole milliseconds against a clock that is
 * updated once per loop iteration, so they fire up to a millisecond late.
 * Replaying a recording needs better (a send at its recorded instant), so
 * the waits and `start` offsets of a run go through one sim_sched: a
 * min-heap of deadlines, the earliest armed on a Linux timerfd
 * (CLOCK_MONOTONIC, absolute, the clock uv_hrtime() reads) that the loop
 * watches with a uv_poll_t. The loop sleeps until the timerfd is due: no
 * spinning, however many timers are pending.
 *
 * The heap logic is reachable without the clock: sim_sched_run() fires
 * what is due at a given instant, which is how the loop drives it (with
 * uv_hrtime()) and how tests drive it (with made-up instants).
 */
#ifndef WSSIM_SIM_HRSCHED_H
#define WSSIM_SIM_HRSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct sim_sched_timer;
typedef void (*sim_sched_cb)(struct sim_sched_timer *t);

/* One deadline. Owned by the caller (embed it); zero it before first use.
 * It must stay valid while pending. */
struct sim_sched_timer {
	void *data; /* the caller's */
	/* private */
	sim_sched_cb cb;
	uint64_t due_ns;
	uint64_t seq; /* ties: in the order they were started */
	size_t slot;  /* its index in the heap + 1; 0 when not pending */
};

struct sim_sched {
	/* private */
	uv_poll_t poll;
	int fd; /* the timerfd; -1 before init */
	bool polling;
	bool armed;	   /* the timerfd is set ... */
	uint64_t armed_ns; /* ... for this deadline */
	struct sim_sched_timer **heap;
	size_t n, cap;
	uint64_t seq;
	void (*closed)(struct sim_sched *s);
};

/* Set up s on loop (a timerfd and its poll handle). Returns 0, or a
 * negative libuv error code (then s needs no close). */
int sim_sched_init(struct sim_sched *s, uv_loop_t *loop);

/* Fire t's cb at due_ns (uv_hrtime() nanoseconds; in the past: at the
 * loop's next turn). A pending t is moved to the new deadline. Timers due
 * at the same instant fire in the order they were started. Returns 0, or
 * UV_ENOMEM (t is then not pending). */
int sim_sched_start(struct sim_sched *s, struct sim_sched_timer *t,
		    uint64_t due_ns, sim_sched_cb cb);

/* Cancel t if pending (else nothing). */
void sim_sched_stop(struct sim_sched *s, struct sim_sched_timer *t);

bool sim_sched_pending(const struct sim_sched_timer *t);

/* Fire every timer due at or before now_ns, earliest first (a callback
 * may start or stop timers, these included), then arm the timerfd for
 * the next one. The poll handle calls it with uv_hrtime(). */
void sim_sched_run(struct sim_sched *s, uint64_t now_ns);

/* Close s: pending timers are dropped without firing; `closed` (may be
 * NULL) runs from the loop once the handle is closed. s must stay valid
 * until then. */
void sim_sched_close(struct sim_sched *s, void (*closed)(struct sim_sched *s));

#endif
