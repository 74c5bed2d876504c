/* Unit tests for replay/: the timing drift (statistics on given points;
 * matching a recording's `at` notes with an observer log built here, event
 * by event, as the client writes it; the report's verdict with and
 * without --max-drift), the choice of a setup's listener and the merge of
 * a recording into a setup, replay_load's rewriting (--binary-by-length,
 * --speed on `at`), and how the reports show a timing (console, JSON,
 * JUnit, the worker serialisation). No network, no clock: every time is
 * given. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "replay.h"
#include "replay_setup.h"
#include "replay_timing.h"
#include "report.h"
#include "test_util.h"
#include "ws_frame.h"

static struct scn_file *parse(const char *text)
{
	struct scn_file *f;
	struct scn_error err;
	int r = scn_parse_string("rec.scn", text, strlen(text), &f, &err);
	ck_assert_msg(r == 0, "%u:%u: %s", err.line, err.col, err.message);
	return f;
}

/* ---- statistics -------------------------------------------------------- */

static struct sim_timing *timing_of(const int64_t (*pts)[2], size_t n)
{
	struct sim_timing *t = calloc(1, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	t->points = calloc(n, sizeof(*t->points));
	ck_assert_ptr_nonnull(t->points);
	t->npoints = n;
	for (size_t i = 0; i < n; i++) {
		t->points[i].line = (unsigned)(10 + i);
		t->points[i].sent = i % 2 == 0;
		snprintf(t->points[i].what, sizeof(t->points[i].what), "text");
		t->points[i].recorded_us = pts[i][0];
		t->points[i].replayed_us = pts[i][1];
	}
	return t;
}

START_TEST(stats_median_and_max)
{
	/* drifts +300, -100, +2100, +50, +400 µs: median +300, max +2100 at
	 * the third point (line 12, sent) */
	static const int64_t pts[][2] = {{1000, 1300},
					 {2000, 1900},
					 {12000, 14100},
					 {13000, 13050},
					 {20000, 20400}};
	struct sim_timing *t = timing_of(pts, 5);
	ck_assert_int_eq(replay_timing_stats(t, -1), 0);
	ck_assert_int_eq(t->p50_us, 300);
	ck_assert_int_eq(t->max_us, 2100);
	ck_assert_uint_eq(t->max_at, 2);
	ck_assert_uint_eq(t->nsent, 3);
	ck_assert_uint_eq(t->nrecv, 2);
	ck_assert_uint_eq(t->nmissing, 0);
	ck_assert_uint_eq(t->nover, 0);
	ck_assert_int_eq(t->limit_us, -1);
	ck_assert_str_eq(t->text, "3 sent, 2 received; drift p50 +0.30 ms, "
				  "max +2.10 ms at line 12 (sent text)");
	/* a limit of 0.35 ms: two points over it (2100 and 400) */
	ck_assert_int_eq(replay_timing_stats(t, 350), 0);
	ck_assert_uint_eq(t->nover, 2);
	ck_assert_int_eq(t->limit_us, 350);
	ck_assert_msg(strstr(t->text, "; 2 over --max-drift 0.35 ms"), "%s",
		      t->text);
	/* the limit is on the magnitude: exactly at it is not over */
	ck_assert_int_eq(replay_timing_stats(t, 2100), 0);
	ck_assert_uint_eq(t->nover, 0);
	sim_timing_free(t);
}
END_TEST

START_TEST(stats_sign_even_missing)
{
	/* the largest drift is an early one; p50 is by nearest rank (of an
	 * even count, the lower middle); a point that did not happen counts
	 * as missing, not as a drift */
	static const int64_t pts[][2] = {
	    {5000, 5100}, {6000, 2500}, {7000, -1}, {8000, 8300}, {9000, 9000}};
	struct sim_timing *t = timing_of(pts, 5);
	ck_assert_int_eq(replay_timing_stats(t, 1000), 0);
	ck_assert_int_eq(t->max_us, -3500);
	ck_assert_uint_eq(t->max_at, 1);
	ck_assert_int_eq(t->p50_us, 0); /* sorted -3500 0 100 300 */
	ck_assert_uint_eq(t->nmissing, 1);
	ck_assert_uint_eq(t->nsent + t->nrecv, 4);
	ck_assert_uint_eq(t->nover, 1);
	ck_assert_msg(strstr(t->text, "max -3.50 ms at line 11 (received "
				      "text); 1 timed step did not happen"),
		      "%s", t->text);
	sim_timing_free(t);

	static const int64_t none[][2] = {{1000, -1}, {2000, -1}};
	t = timing_of(none, 2);
	ck_assert_int_eq(replay_timing_stats(t, -1), 0);
	ck_assert_uint_eq(t->nmissing, 2);
	ck_assert_str_eq(t->text, "none of the 2 timed steps happened");
	sim_timing_free(t);
}
END_TEST

/* ---- matching with the observer's events ------------------------------- */

static struct sim_event *ev(struct sim_observer *o, uint64_t t_us,
			    const char *who, enum sim_ev e, int code,
			    const char *text)
{
	struct sim_event *v =
	    sim_obs_add(o, SIM_HOP_CLIENT, e, who, code, "%s", text);
	ck_assert_ptr_nonnull(v);
	v->t_us = t_us; /* given, not the clock's */
	return v;
}

static const char REC[] =
    "client c1 ws://127.0.0.1:9/echo {\n"		  /* 1 */
    "\tstart 0ms\n"					  /* 2 */
    "\texpect status 101 at 1ms\n"			  /* 3 */
    "\texpect open at 1ms\n"				  /* 4 */
    "\tsend text \"a\" at 10ms\n"			  /* 5 */
    "\texpect text \"a\" at 11ms\n"			  /* 6 */
    "\trepeat 2 { send text \"r\"; expect echo }\n"	  /* 7 */
    "\tsend fragments binary hex \"00\" \"01\" at 20ms\n" /* 8 */
    "\texpect binary length 2 at 21ms\n"		  /* 9 */
    "\tsend ping \"p\" at 30ms\n"			  /* 10 */
    "\texpect pong \"p\" at 30.5ms\n"			  /* 11 */
    "\texpect text \"never\" at 40ms\n"			  /* 12 */
    "\tclose 1000 at 50ms\n"				  /* 13 */
    "\texpect closed 1000 at 51ms\n"			  /* 14 */
    "}\n"
    "client other ws://127.0.0.1:9/x { expect open }\n";

/* The client's events as client.c and client_ws.c write them, its start
 * (the origin of `at`) at 100 ms of the run. */
static void replay_log(struct sim_observer *o)
{
	sim_obs_init(o);
	ev(o, 100000, "c1", SIM_EV_START, 0, "start");
	ev(o, 100300, "c1", SIM_EV_CONNECT, 0, "connected");
	ev(o, 100400, "c1", SIM_EV_REQUEST, 0, "GET /echo HTTP/1.1");
	ev(o, 100500, "other", SIM_EV_REQUEST, 0, "GET /x HTTP/1.1");
	ev(o, 101200, "c1", SIM_EV_RESPONSE, 101, "HTTP/1.1 101");
	ev(o, 101250, "c1", SIM_EV_OPEN, 101, "open");
	ev(o, 101300, "other", SIM_EV_RECV, WS_OP_TEXT, "text \"x\"");
	ev(o, 110400, "c1", SIM_EV_SEND, WS_OP_TEXT, "text \"a\"");
	/* a server ping and the client's automatic pong: not a send */
	ev(o, 110500, "c1", SIM_EV_RECV, WS_OP_PING, "ping \"hb\"");
	ev(o, 110510, "c1", SIM_EV_SEND, WS_OP_PONG, "pong \"hb\" (automatic)")
	    ->automatic = true;
	ev(o, 111900, "c1", SIM_EV_RECV, WS_OP_TEXT, "text \"a\"");
	/* the repeat: two sends, two echoes */
	for (int k = 0; k < 2; k++) {
		ev(o, 112000 + 100 * (uint64_t)k, "c1", SIM_EV_SEND, WS_OP_TEXT,
		   "text \"r\"");
		ev(o, 112050 + 100 * (uint64_t)k, "c1", SIM_EV_RECV, WS_OP_TEXT,
		   "text \"r\"");
	}
	/* fragments: one message in two frames */
	ev(o, 119000, "c1", SIM_EV_SEND, WS_OP_BINARY, "fragment 1/2");
	ev(o, 119001, "c1", SIM_EV_SEND, WS_OP_CONT, "fragment 2/2");
	ev(o, 121000, "c1", SIM_EV_RECV, WS_OP_BINARY, "binary 2 bytes");
	ev(o, 130200, "c1", SIM_EV_SEND, WS_OP_PING, "ping \"p\"");
	ev(o, 130900, "c1", SIM_EV_RECV, WS_OP_PONG, "pong \"p\"");
	/* no "never": its message did not come; the close */
	ev(o, 150000, "c1", SIM_EV_SEND, WS_OP_CLOSE, "close 1000");
	ev(o, 150800, "c1", SIM_EV_RECV, WS_OP_CLOSE, "close 1000");
	ev(o, 150900, "c1", SIM_EV_CLOSE, 1000, "closed 1000 clean");
}

START_TEST(match_events)
{
	struct scn_file *f = parse(REC);
	struct sim_observer o;
	replay_log(&o);
	struct sim_timing *t = replay_timing_of(&f->clients[0], &o, -1);
	ck_assert_ptr_nonnull(t);
	static const struct {
		unsigned line;
		bool sent;
		const char *what;
		int64_t rec, rep;
	} want[] = {
	    {3, false, "response", 1000, 1200},
	    {4, false, "open", 1000, 1250},
	    {5, true, "text", 10000, 10400},
	    {6, false, "text", 11000, 11900},
	    /* after the repeat's 2 sends and 2 echoes */
	    {8, true, "fragments", 20000, 19000},
	    {9, false, "binary", 21000, 21000},
	    {10, true, "ping", 30000, 30200},
	    {11, false, "pong", 30500, 30900},
	    {12, false, "text", 40000, -1},
	    {13, true, "close", 50000, 50000},
	    {14, false, "close", 51000, 50800},
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	ck_assert_uint_eq(t->npoints, n);
	for (size_t i = 0; i < n; i++) {
		const struct sim_timing_point *p = &t->points[i];
		ck_assert_uint_eq(p->line, want[i].line);
		ck_assert_int_eq(p->sent, want[i].sent);
		ck_assert_str_eq(p->what, want[i].what);
		ck_assert_int_eq(p->recorded_us, want[i].rec);
		ck_assert_int_eq(p->replayed_us, want[i].rep);
	}
	ck_assert_uint_eq(t->nmissing, 1);
	ck_assert_uint_eq(t->nsent, 4);
	ck_assert_uint_eq(t->nrecv, 6);
	/* the largest: the fragments, 1 ms early */
	ck_assert_int_eq(t->max_us, -1000);
	ck_assert_uint_eq(t->points[t->max_at].line, 8);
	sim_timing_free(t);
	/* a client without `at` has no timing */
	ck_assert_ptr_null(replay_timing_of(&f->clients[1], &o, -1));
	sim_obs_free(&o);

	/* a client that never sent its request: every point missing */
	sim_obs_init(&o);
	ev(&o, 5000, "c1", SIM_EV_ERROR, 0, "connection refused");
	t = replay_timing_of(&f->clients[0], &o, -1);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->nmissing, n);
	ck_assert_str_eq(t->text, "none of the 11 timed steps happened");
	sim_timing_free(t);
	sim_obs_free(&o);
	scn_free(f);
}
END_TEST

/* A report of the run of REC's clients (as sim_run fills it). */
static void report_of(struct sim_report *r, bool c1_passed)
{
	memset(r, 0, sizeof(*r));
	r->path = strdup("rec.scn");
	r->outcome = c1_passed ? SIM_PASS : SIM_FAIL;
	r->nclients = 2;
	r->clients = calloc(2, sizeof(*r->clients));
	ck_assert_ptr_nonnull(r->clients);
	r->clients[0].name = strdup("c1");
	r->clients[0].passed = c1_passed;
	r->clients[0].summary = strdup("open");
	if (!c1_passed) {
		r->clients[0].failure = strdup("expected text \"never\"");
		r->clients[0].fail_line = 12;
	}
	r->clients[1].name = strdup("other");
	r->clients[1].passed = true;
	replay_log(&r->obs);
}

START_TEST(report_verdict)
{
	struct scn_file *f = parse(REC);
	struct sim_report r;

	/* no limit: drift is shown, never fails */
	report_of(&r, true);
	ck_assert_uint_eq(replay_timing_report(f, &r, -1), 0);
	ck_assert_int_eq(r.outcome, SIM_PASS);
	ck_assert(r.clients[0].passed);
	ck_assert_ptr_nonnull(r.clients[0].timing);
	ck_assert_ptr_null(r.clients[1].timing);
	ck_assert_int_eq(report_exit_code(&r, 1), 0);
	sim_report_free(&r);

	/* a limit above every drift (the largest is 1 ms): still a pass */
	report_of(&r, true);
	ck_assert_uint_eq(replay_timing_report(f, &r, 1000), 0);
	ck_assert_int_eq(r.outcome, SIM_PASS);
	sim_report_free(&r);

	/* a tiny limit: the client fails on its worst step, exit 1 */
	report_of(&r, true);
	ck_assert_uint_eq(replay_timing_report(f, &r, 1), 1);
	ck_assert_int_eq(r.outcome, SIM_FAIL);
	ck_assert(!r.clients[0].passed);
	ck_assert_uint_eq(r.clients[0].fail_line, 8);
	ck_assert_msg(
	    strstr(r.clients[0].failure,
		   "timing: line 8 (sent fragments) happened 1.000 "
		   "ms earlier than recorded (recorded at 20.000 "
		   "ms, replayed at 19.000 ms after the client's start), "
		   "over --max-drift 0.001 ms"),
	    "%s", r.clients[0].failure);
	ck_assert(r.clients[1].passed);
	ck_assert_int_eq(report_exit_code(&r, 1), 1);
	sim_report_free(&r);

	/* a client that failed already keeps its first difference */
	report_of(&r, false);
	ck_assert_uint_eq(replay_timing_report(f, &r, 1), 1);
	ck_assert_str_eq(r.clients[0].failure, "expected text \"never\"");
	ck_assert_uint_eq(r.clients[0].fail_line, 12);
	ck_assert_uint_gt(r.clients[0].timing->nover, 0);
	sim_report_free(&r);
	scn_free(f);
}
END_TEST

/* Over several sessions: every step's drift pooled, p50 and p99 by
 * nearest rank, the worst with its session. */
START_TEST(overall)
{
	struct scn_file *f = parse(REC);
	struct sim_report r;
	report_of(&r, true);
	char line[512];
	/* no timing yet: nothing to say */
	ck_assert(!replay_timing_overall(&r, line, sizeof(line)));
	ck_assert_str_eq(line, "");
	replay_timing_report(f, &r, -1);
	ck_assert(replay_timing_overall(&r, line, sizeof(line)));
	/* REC's ten drifts sorted: -1000 -200 0 0 200 200 250 400 400 900 */
	ck_assert_str_eq(line, "timing over 1 session: 11 timed steps (1 did "
			       "not happen); drift p50 +0.20 ms, p99 +0.90 "
			       "ms, max -1.00 ms at c1 line 8 (sent "
			       "fragments)");
	/* a second session, 3 ms late at its close */
	struct sim_timing *t = calloc(1, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	t->points = calloc(1, sizeof(*t->points));
	ck_assert_ptr_nonnull(t->points);
	t->npoints = 1;
	t->points[0] = (struct sim_timing_point){7, true, "close", 1000, 4000};
	ck_assert_int_eq(replay_timing_stats(t, -1), 0);
	r.clients[1].timing = t;
	ck_assert(replay_timing_overall(&r, line, sizeof(line)));
	ck_assert_str_eq(line, "timing over 2 sessions: 12 timed steps (1 did "
			       "not happen); drift p50 +0.20 ms, p99 +3.00 "
			       "ms, max +3.00 ms at other line 7 (sent close)");
	sim_report_free(&r);
	scn_free(f);
}
END_TEST

/* ---- the reports ------------------------------------------------------- */

static char *slurp(const char *path)
{
	size_t n;
	return test_read_file(path, &n);
}

START_TEST(reports_show_timing)
{
	struct scn_file *f = parse(REC);
	struct sim_report r;
	report_of(&r, true);
	replay_timing_report(f, &r, 1);
	char json[128], junit[128], con[128];
	test_scratch_path(json, sizeof(json), "r.json");
	test_scratch_path(junit, sizeof(junit), "r.xml");
	test_scratch_path(con, sizeof(con), "r.txt");

	FILE *cf = fopen(con, "w");
	ck_assert_ptr_nonnull(cf);
	report_console(cf, &r, false);
	fclose(cf);
	char *text = slurp(con);
	ck_assert_msg(strstr(text, "  FAIL c1: open\n    timing: 4 sent, 6 "
				   "received; drift p50 "),
		      "%s", text);
	ck_assert_msg(strstr(text, "rec.scn:8: timing: line 8"), "%s", text);
	free(text);

	FILE *jsonf = fopen(json, "w");
	ck_assert_ptr_nonnull(jsonf);
	ck_assert_int_eq(report_json(jsonf, &r, 1), 0);
	ck_assert_int_eq(fclose(jsonf), 0);
	text = slurp(json);
	ck_assert_msg(strstr(text, "\"timing\":{\"text\":\"4 sent, 6 received; "
				   "drift p50 "),
		      "%s", text);
	ck_assert_msg(strstr(text, "\"sent\":4,\"received\":6,\"missing\":1,"
				   "\"drift_p50_ms\":0.200,\"drift_max_ms\":"
				   "-1.000,\"drift_max_line\":8,"
				   "\"max_drift_ms\":0.001,"),
		      "%s", text);
	ck_assert_msg(strstr(text, "{\"line\":8,\"direction\":\"sent\","
				   "\"what\":\"fragments\",\"recorded_ms\":"
				   "20.000,\"replayed_ms\":19.000,"
				   "\"drift_ms\":-1.000}"),
		      "%s", text);
	ck_assert_msg(strstr(text, "{\"line\":12,\"direction\":\"received\","
				   "\"what\":\"text\",\"recorded_ms\":40.000,"
				   "\"replayed_ms\":null,\"drift_ms\":null}"),
		      "%s", text);
	/* the client without `at`: null */
	ck_assert_msg(strstr(text, "\"timing\":null"), "%s", text);
	free(text);

	FILE *junitf = fopen(junit, "w");
	ck_assert_ptr_nonnull(junitf);
	ck_assert_int_eq(report_junit(junitf, &r, 1), 0);
	ck_assert_int_eq(fclose(junitf), 0);
	text = slurp(junit);
	ck_assert_msg(strstr(text, "<system-out>open\ntiming: 4 sent, 6 "
				   "received; drift p50"),
		      "%s", text);
	free(text);

	sim_report_free(&r);
	scn_free(f);
}
END_TEST

/* ---- setups ------------------------------------------------------------ */

static const char SETUP[] =
    "tomcat t1 { connector ajp; connector http; connector https }\n"
    "nginx edge { listen https; config { location / { proxy_pass "
    "http://${t1.http}; } } }\n"
    "apache front { listen http; listen https; include \"conf/site.conf\" "
    "}\n";

static struct scn_file *setup_parsed(void)
{
	struct scn_file *s;
	struct scn_error err;
	int r = scn_parse_string("deploy/setup.scn", SETUP, strlen(SETUP), &s,
				 &err);
	ck_assert_msg(r == -1 &&
			  !strcmp(err.message, "no client: a scenario needs at "
					       "least one 'client'"),
		      "%s", err.message);
	/* in a folder of its own (deploy/), not where the recording is */
	static char path[256];
	test_scratch_path(path, sizeof(path), "deploy");
	ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
	test_scratch_path(path, sizeof(path), "deploy/setup.scn");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, SETUP, strlen(SETUP)), (int)strlen(SETUP));
	close(fd);
	/* a topology file needs no client */
	ck_assert_int_eq(scn_parse_topology_file(path, &s, &err), 0);
	return s;
}

START_TEST(setup_via)
{
	struct scn_file *s = setup_parsed();
	struct replay_target t;
	char err[512];
	/* default: the first proxy with the recording's scheme */
	ck_assert_int_eq(replay_setup_via(s, NULL, false, &t, err, sizeof(err)),
			 0);
	ck_assert_str_eq(t.via, "front.http");
	ck_assert_str_eq(t.authority, "${front.http}");
	ck_assert(!t.tls);
	ck_assert_int_eq(replay_setup_via(s, NULL, true, &t, err, sizeof(err)),
			 0);
	ck_assert_str_eq(t.via, "edge.https");
	ck_assert(t.tls);
	/* named */
	ck_assert_int_eq(
	    replay_setup_via(s, "front.https", false, &t, err, sizeof(err)), 0);
	ck_assert_str_eq(t.authority, "${front.https}");
	ck_assert(t.tls);
	ck_assert_int_eq(
	    replay_setup_via(s, "t1.http", true, &t, err, sizeof(err)), 0);
	ck_assert(!t.tls);
	/* not listeners: the message lists the valid ones */
	static const char *const bad[] = {
	    "t1.ajp", "edge.http", "nope.http",	  "front",
	    "front.", ".http",	   "front.http.x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(
		    replay_setup_via(s, bad[i], false, &t, err, sizeof(err)),
		    -1);
		char want[512];
		snprintf(want, sizeof(want),
			 "--via: '%s' is not a listener of %s "
			 "(valid: edge.https, front.http, front.https, "
			 "t1.http, t1.https)",
			 bad[i], s->path);
		ck_assert_str_eq(err, want);
	}
	scn_free(s);

	/* only an https proxy listener: a ws recording follows it (wss) */
	struct scn_file *f =
	    parse("tomcat t1 { connector ajp }\n"
		  "haproxy lb { listen https; config { x } }\n"
		  "client c ws://${lb.https}/ { expect open }\n");
	ck_assert_int_eq(replay_setup_via(f, NULL, false, &t, err, sizeof(err)),
			 0);
	ck_assert_str_eq(t.via, "lb.https");
	ck_assert(t.tls);
	scn_free(f);
	/* nothing a client can reach */
	f = parse("tomcat t1 { connector ajp }\n"
		  "client c ws://127.0.0.1:1/ { expect open }\n");
	ck_assert_int_eq(replay_setup_via(f, NULL, false, &t, err, sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "no listener to replay to"), "%s", err);
	scn_free(f);
}
END_TEST

START_TEST(setup_merge)
{
	struct scn_file *s = setup_parsed();
	struct scn_file *rec =
	    parse("scenario \"recorded\"\ntimeout 9s\n"
		  "client c1 ws://127.0.0.1:1/a { expect open }\n"
		  "client c2 ws://127.0.0.1:1/b { expect open }\n");
	char dir[256], real[PATH_MAX], want[PATH_MAX + 64], err[256];
	test_scratch_path(dir, sizeof(dir), "deploy");
	ck_assert_ptr_nonnull(realpath(dir, real));
	struct scn_file *m = replay_setup_merge(s, rec, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_str_eq(m->path, "rec.scn");
	ck_assert_str_eq(m->title, "recorded");
	ck_assert_uint_eq(m->timeout_ms, 9000);
	ck_assert_uint_eq(m->ncomps, 3);
	ck_assert_uint_eq(m->nclients, 2);
	ck_assert_str_eq(m->clients[1].name, "c2");
	/* the include stays where it was, next to the setup: absolute, as
	 * the merged scenario has the recording's path */
	snprintf(want, sizeof(want), "%s/conf/site.conf", real);
	ck_assert_str_eq(m->comps[2].include, want);
	scn_free(m);
}
END_TEST

/* ---- replay_load ------------------------------------------------------- */

static char *write_tmp(const char *text)
{
	static char path[256];
	static unsigned seq;
	char name[32];
	snprintf(name, sizeof(name), "rec-%u.scn", seq++);
	test_scratch_path(path, sizeof(path), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(load_rewrites)
{
	const char *path =
	    write_tmp("client c1 ws://10.0.0.1:80/echo?x=1 {\n"
		      "\tstart 100ms\n"
		      "\texpect status 101 at 2ms\n"
		      "\twait 10ms\n"
		      "\tsend binary hex \"0102\" at 12.001ms\n"
		      "\texpect binary hex \"0102\" at 13ms\n"
		      "\trepeat 2 { expect binary base64 \"AAAA\" }\n"
		      "\texpect text \"t\"\n"
		      "}\n");
	struct replay_target t;
	char err[512];
	ck_assert_int_eq(
	    replay_parse_target("ws://127.0.0.1:8080", &t, err, sizeof(err)),
	    0);
	struct replay_opts o = {
	    .target = &t, .speed = 2, .repeat = 1, .binary_by_length = true};
	struct scn_error perr;
	struct scn_file *f = replay_load(path, &o, &perr, err, sizeof(err));
	ck_assert_msg(f != NULL, "%s %s", err, perr.message);
	const struct scn_client *c = &f->clients[0];
	ck_assert_str_eq(c->url, "ws://127.0.0.1:8080/echo?x=1");
	ck_assert_uint_eq(c->start_ms, 50);
	const struct scn_step *s = c->steps;
	ck_assert_uint_eq(s[0].at_us, 1000); /* at halves with the waits */
	ck_assert_uint_eq(s[1].ms * 1000 + s[1].us, 5000);
	ck_assert_uint_eq(s[2].at_us, 6001); /* 6000.5 rounded */
	ck_assert_int_eq(s[3].match, SCN_MATCH_LENGTH);
	ck_assert_uint_eq(s[3].length, 2);
	ck_assert_ptr_null(s[3].data.s);
	ck_assert_uint_eq(s[3].at_us, 6500);
	ck_assert_int_eq(s[4].body[0].match, SCN_MATCH_LENGTH);
	ck_assert_uint_eq(s[4].body[0].length, 3);
	ck_assert_int_eq(s[5].match, SCN_MATCH_EXACT); /* text stays exact */
	ck_assert_str_eq(s[5].data.s, "t");
	scn_free(f);

	/* with a setup: the URL names the listener's macro, the setup's
	 * components come along */
	struct scn_file *setup = setup_parsed();
	memset(&t, 0, sizeof(t));
	struct replay_opts so = {
	    .target = &t, .setup = setup, .via = "front.https", .speed = 1};
	f = replay_load(path, &so, &perr, err, sizeof(err));
	ck_assert_msg(f != NULL, "%s %s", err, perr.message);
	ck_assert_str_eq(f->clients[0].url, "wss://${front.https}/echo?x=1");
	ck_assert_str_eq(t.via, "front.https");
	ck_assert_uint_eq(f->ncomps, 3);
	ck_assert_str_eq(f->path, path);
	ck_assert_int_eq(f->clients[0].steps[3].match, SCN_MATCH_EXACT);
	scn_free(f);

	/* an unknown via: an error, the setup freed */
	setup = setup_parsed();
	so.setup = setup;
	so.via = "front.ajp";
	ck_assert_ptr_null(replay_load(path, &so, &perr, err, sizeof(err)));
	ck_assert_msg(strstr(err, "--via: 'front.ajp' is not a listener"), "%s",
		      err);
	unlink(path);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("timing");
	tcase_add_test(tc, stats_median_and_max);
	tcase_add_test(tc, stats_sign_even_missing);
	tcase_add_test(tc, match_events);
	tcase_add_test(tc, report_verdict);
	tcase_add_test(tc, overall);
	test_scratch_fixture(tc);
	suite_add_tcase(s, tc);
	tc = tcase_create("reports");
	tcase_add_test(tc, reports_show_timing);
	test_scratch_fixture(tc);
	suite_add_tcase(s, tc);
	tc = tcase_create("setup");
	tcase_add_test(tc, setup_via);
	tcase_add_test(tc, setup_merge);
	test_scratch_fixture(tc);
	suite_add_tcase(s, tc);
	tc = tcase_create("load");
	tcase_add_test(tc, load_rewrites);
	test_scratch_fixture(tc);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(replay_suite)
