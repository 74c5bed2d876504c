/* The precise timers' heap (sim/hrsched.c), driven with made-up instants
 * through sim_sched_run(): which timers fire, in which order, after
 * starts, moves and stops, also from inside callbacks; and once through
 * the loop (nothing fires before its deadline). No assertion bounds how
 * late a timer fires. Every test ends with uv_loop_close() == 0. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "check_main.h"
#include "hrsched.h"

#define NT 64

static uv_loop_t loop;
static struct sim_sched s;
static struct sim_sched_timer t[NT];
static int fired[4 * NT];	  /* indexes into t, in firing order */
static uint64_t fired_ns[4 * NT]; /* uv_hrtime() when each fired */
static size_t nfired;

static void record(struct sim_sched_timer *x)
{
	ck_assert_uint_lt(nfired, sizeof(fired) / sizeof(fired[0]));
	fired_ns[nfired] = uv_hrtime();
	fired[nfired++] = (int)(x - t);
}

static void setup(void)
{
	memset(t, 0, sizeof(t));
	nfired = 0;
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(sim_sched_init(&s, &loop), 0);
	for (int i = 0; i < NT; i++)
		t[i].data = &s;
}

static bool closed_called;

static void on_closed(struct sim_sched *x)
{
	ck_assert_ptr_eq(x, &s);
	closed_called = true;
}

static void teardown(void)
{
	closed_called = false;
	sim_sched_close(&s, on_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert(closed_called);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

static void start(int i, uint64_t due)
{
	ck_assert_int_eq(sim_sched_start(&s, &t[i], due, record), 0);
}

static void fired_is(const int *want, size_t n)
{
	ck_assert_uint_eq(nfired, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(fired[i] == want[i], "fired[%zu] = %d, want %d",
			      i, fired[i], want[i]);
	nfired = 0;
}

/* Instants far in the past of the real clock: the timerfd, armed for
 * them, would fire at once, but the loop never runs while they are
 * pending, so only sim_sched_run() fires anything. */
START_TEST(fire_order)
{
	start(0, 1000);
	start(1, 500);
	start(2, 500); /* same instant: after 1, started later */
	start(3, 2000);
	start(4, 10);
	ck_assert(sim_sched_pending(&t[3]));
	sim_sched_run(&s, 9);
	fired_is(NULL, 0);
	sim_sched_run(&s, 600);
	fired_is((int[]){4, 1, 2}, 3);
	ck_assert(!sim_sched_pending(&t[1]));
	ck_assert(sim_sched_pending(&t[0]));
	sim_sched_run(&s, 1000); /* due exactly now */
	fired_is((int[]){0}, 1);
	sim_sched_run(&s, UINT64_MAX);
	fired_is((int[]){3}, 1);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(stop_and_move)
{
	for (int i = 0; i < 8; i++)
		start(i, 100 + 10 * (uint64_t)i);
	sim_sched_stop(&s, &t[0]); /* the top */
	sim_sched_stop(&s, &t[5]); /* the middle */
	sim_sched_stop(&s, &t[7]); /* the last slot */
	sim_sched_stop(&s, &t[7]); /* not pending: nothing */
	ck_assert(!sim_sched_pending(&t[5]));
	start(6, 50);  /* moved earlier */
	start(1, 500); /* moved later */
	sim_sched_run(&s, 1000);
	fired_is((int[]){6, 2, 3, 4, 1}, 5);
	/* stopped timers can be started again */
	start(5, 1);
	start(0, 1);
	sim_sched_run(&s, 1);
	fired_is((int[]){5, 0}, 2);
}
END_TEST

/* Callbacks that start and stop timers while the heap is being run. */
static void chain(struct sim_sched_timer *x)
{
	record(x);
	int i = (int)(x - t);
	if (i == 0) {
		/* due now: fires in this same run, after the ones due before */
		ck_assert_int_eq(sim_sched_start(&s, &t[10], 300, record), 0);
		/* not yet due: stays */
		ck_assert_int_eq(sim_sched_start(&s, &t[11], 5000, record), 0);
		sim_sched_stop(&s, &t[2]); /* due, but cancelled first */
		/* itself again, later */
		ck_assert_int_eq(sim_sched_start(&s, &t[0], 4000, record), 0);
	}
}

START_TEST(from_callbacks)
{
	ck_assert_int_eq(sim_sched_start(&s, &t[0], 100, chain), 0);
	start(1, 200);
	start(2, 250);
	start(3, 400);
	sim_sched_run(&s, 1000);
	fired_is((int[]){0, 1, 10, 3}, 4);
	ck_assert(sim_sched_pending(&t[0]));
	ck_assert(sim_sched_pending(&t[11]));
	sim_sched_run(&s, 10000);
	fired_is((int[]){0, 11}, 2);
}
END_TEST

/* Many timers with random instants, some stopped, some moved: they fire
 * in order of (instant, start order), each exactly once. */
START_TEST(random_heap)
{
	uint64_t due[NT];
	uint64_t order[NT]; /* the order each was last started in */
	bool live[NT];
	uint64_t seq = 0;
	srand(12345);
	for (int round = 0; round < 20; round++) {
		memset(live, 0, sizeof(live));
		for (int k = 0; k < 4 * NT; k++) {
			int i = rand() % NT;
			if (rand() % 4 == 0) {
				sim_sched_stop(&s, &t[i]);
				live[i] = false;
				continue;
			}
			due[i] = (uint64_t)(rand() % 50); /* many ties */
			order[i] = seq++;
			live[i] = true;
			start(i, due[i]);
		}
		size_t nlive = 0;
		for (int i = 0; i < NT; i++) {
			nlive += live[i];
			ck_assert(live[i] == sim_sched_pending(&t[i]));
		}
		sim_sched_run(&s, 100);
		ck_assert_uint_eq(nfired, nlive);
		for (size_t k = 1; k < nfired; k++) {
			int a = fired[k - 1], b = fired[k];
			ck_assert(due[a] < due[b] ||
				  (due[a] == due[b] && order[a] < order[b]));
		}
		for (size_t k = 0; k < nfired; k++)
			ck_assert(live[fired[k]]);
		nfired = 0;
		ck_assert_uint_eq(s.n, 0);
	}
}
END_TEST

/* Closing drops what is pending, without firing it. */
START_TEST(close_pending)
{
	start(0, 1);
	start(1, UINT64_MAX);
	closed_called = false;
	sim_sched_close(&s, on_closed);
	ck_assert(!sim_sched_pending(&t[0]));
	ck_assert(!sim_sched_pending(&t[1]));
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert(closed_called);
	ck_assert_uint_eq(nfired, 0);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	/* set up again for the teardown */
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(sim_sched_init(&s, &loop), 0);
}
END_TEST

/* Driven by the loop itself: timers in the past fire at its next turn,
 * in order, and the loop ends once nothing is pending (an idle scheduler
 * keeps no loop alive). Only the order is checked, not the time. */
/* Through the loop and the timerfd: every timer fires, in order, none
 * before its deadline (a lower bound only: how late is the benchmark's),
 * one due at 0 too (0 is no "disarmed" mark), and the loop ends once
 * nothing is pending. */
START_TEST(from_the_loop)
{
	uint64_t now = uv_hrtime();
	uint64_t due[] = {now + 2000000, now - 1000, now + 1000000, 0};
	for (int i = 0; i < 4; i++)
		start(i, due[i]);
	uv_run(&loop, UV_RUN_DEFAULT);
	fired_is((int[]){3, 1, 2, 0}, 4);
	for (size_t k = 0; k < nfired; k++)
		ck_assert_uint_ge(fired_ns[k], due[fired[k]]);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

static void add(Suite *su, TCase *tc, const TTest *x)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, x);
	suite_add_tcase(su, tc);
}

static Suite *hrsched_suite(void)
{
	Suite *su = suite_create("hrsched");
	add(su, tcase_create("order"), fire_order);
	add(su, tcase_create("stop_and_move"), stop_and_move);
	add(su, tcase_create("from_callbacks"), from_callbacks);
	add(su, tcase_create("random_heap"), random_heap);
	add(su, tcase_create("close_pending"), close_pending);
	add(su, tcase_create("from_the_loop"), from_the_loop);
	return su;
}

WSSIM_CHECK_MAIN(hrsched_suite)
