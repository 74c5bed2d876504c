/* Unit tests for the .scn scenario language: every file under
 * tests/data/scn/ parses, prints and parses again to the same tree; every
 * file under tests/data/scn/bad/ fails with the error its first line
 * announces (`# error: LINE:COL: message`); macro expansion; the keyword
 * list against docs/scenario.md. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_util.h"
#include "scn.h"

#define DATA WSSIM_TEST_DATA "/scn"
#define DOCS WSSIM_TEST_DATA "/../../docs/scenario.md"

/* The .scn files of a directory, sorted; returns how many. */
static size_t list_scn(const char *dir, char names[][512], size_t max)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "%s: %s", dir, strerror(errno));
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".scn") && n < max)
			snprintf(names[n++], 512, "%.200s/%.200s", dir,
				 e->d_name);
	}
	closedir(d);
	qsort(names, n, 512, (int (*)(const void *, const void *))strcmp);
	return n;
}

static struct scn_file *parse_ok(const char *path)
{
	struct scn_file *f;
	struct scn_error err;
	if (scn_parse_file(path, &f, &err)) {
		scn_error_print(stderr, &err, false);
		ck_abort_msg("%s: %u:%u: %s", path, err.line, err.col,
			     err.message);
	}
	return f;
}

/* --- tree equality, positions aside ------------------------------- */

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_bytes(const struct scn_bytes *a, const struct scn_bytes *b)
{
	if (!a->s || !b->s)
		return !a->s && !b->s;
	return a->len == b->len && !memcmp(a->s, b->s, a->len);
}

static int same_steps(const struct scn_step *a, size_t na,
		      const struct scn_step *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		const struct scn_step *x = &a[i], *y = &b[i];
		if (x->kind != y->kind || !same_bytes(&x->data, &y->data) ||
		    x->npieces != y->npieces || x->binary != y->binary ||
		    x->match != y->match || x->code != y->code ||
		    x->clean != y->clean || x->upgrade != y->upgrade ||
		    !same_str(x->name, y->name) ||
		    !same_str(x->value, y->value) ||
		    !same_str(x->comp, y->comp) ||
		    !same_str(x->field, y->field) || x->ms != y->ms ||
		    x->us != y->us || x->within_ms != y->within_ms ||
		    x->length != y->length || x->has_at != y->has_at ||
		    x->at_us != y->at_us || x->count != y->count ||
		    !same_steps(x->body, x->nbody, y->body, y->nbody))
			return 0;
		for (size_t k = 0; k < x->npieces; k++)
			if (!same_bytes(&x->pieces[k], &y->pieces[k]))
				return 0;
	}
	return 1;
}

static int same_file(const struct scn_file *a, const struct scn_file *b)
{
	if (!same_str(a->title, b->title) || a->timeout_ms != b->timeout_ms ||
	    a->ncomps != b->ncomps || a->nclients != b->nclients)
		return 0;
	for (size_t i = 0; i < a->ncomps; i++) {
		const struct scn_component *x = &a->comps[i], *y = &b->comps[i];
		if (x->kind != y->kind || !same_str(x->name, y->name) ||
		    !same_str(x->config, y->config) ||
		    !same_str(x->include, y->include) ||
		    !same_str(x->min_version, y->min_version) ||
		    !same_str(x->address, y->address) || x->nmaps != y->nmaps ||
		    x->nmodules != y->nmodules)
			return 0;
		for (int k = 0; k < SCN_NCONN; k++) {
			const struct scn_listen *l = &x->listen[k],
						*m = &y->listen[k];
			if (l->on != m->on || l->cert != m->cert ||
			    !same_str(l->secret, m->secret) ||
			    l->packet_size != m->packet_size)
				return 0;
		}
		for (size_t k = 0; k < x->nmaps; k++)
			if (!same_str(x->maps[k].from, y->maps[k].from) ||
			    !same_str(x->maps[k].to_comp, y->maps[k].to_comp) ||
			    !same_str(x->maps[k].to_field, y->maps[k].to_field))
				return 0;
		for (size_t k = 0; k < x->nmodules; k++)
			if (!same_str(x->modules[k], y->modules[k]))
				return 0;
	}
	for (size_t i = 0; i < a->nclients; i++) {
		const struct scn_client *x = &a->clients[i],
					*y = &b->clients[i];
		if (!same_str(x->name, y->name) || !same_str(x->url, y->url) ||
		    x->nheaders != y->nheaders ||
		    !same_str(x->origin, y->origin) ||
		    !same_str(x->protocols, y->protocols) ||
		    !same_str(x->extensions, y->extensions) ||
		    !same_str(x->method, y->method) ||
		    x->insecure != y->insecure ||
		    x->timeout_ms != y->timeout_ms ||
		    x->has_start != y->has_start ||
		    x->start_ms != y->start_ms || x->start_us != y->start_us ||
		    !same_steps(x->steps, x->nsteps, y->steps, y->nsteps))
			return 0;
		for (size_t k = 0; k < x->nheaders; k++)
			if (!same_str(x->headers[k].name, y->headers[k].name) ||
			    !same_str(x->headers[k].value, y->headers[k].value))
				return 0;
	}
	return 1;
}

static char *print_mem(const struct scn_file *f, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(scn_print(m, f), 0);
	fclose(m);
	return buf;
}

/* Print, parse the print, compare trees; the second print is the same. */
static void roundtrip(const char *path, const struct scn_file *f)
{
	size_t len, len2;
	char *text = print_mem(f, &len);
	struct scn_file *g;
	struct scn_error err;
	if (scn_parse_string("printed", text, len, &g, &err)) {
		fprintf(stderr, "%s printed as:\n%s", path, text);
		scn_error_print(stderr, &err, false);
		ck_abort_msg("%s: the print does not parse: %u:%u: %s", path,
			     err.line, err.col, err.message);
	}
	ck_assert_msg(same_file(f, g), "%s: print+parse differs:\n%s", path,
		      text);
	char *text2 = print_mem(g, &len2);
	ck_assert_str_eq(text, text2);
	free(text);
	free(text2);
	scn_free(g);
}

/* --- parse --------------------------------------------------------- */

START_TEST(design_example)
{
	struct scn_file *f = parse_ok(DATA "/design_example.scn");
	ck_assert_str_eq(f->title,
			 "AJP-only proxy: websockets fail with 1006, pages "
			 "still work");
	ck_assert_uint_eq(f->timeout_ms, 5000);
	ck_assert_uint_eq(f->ncomps, 2);
	const struct scn_component *t1 = scn_find_comp(f, "t1");
	const struct scn_component *front = scn_find_comp(f, "front");
	ck_assert_ptr_nonnull(t1);
	ck_assert_ptr_nonnull(front);
	ck_assert_ptr_null(scn_find_comp(f, "via_proxy"));
	ck_assert_int_eq(t1->kind, SCN_TOMCAT);
	ck_assert(t1->listen[SCN_CONN_AJP].on && t1->listen[SCN_CONN_HTTP].on);
	ck_assert(!t1->listen[SCN_CONN_HTTPS].on);
	ck_assert(scn_comp_has_field(t1, "ajp"));
	ck_assert(scn_comp_has_field(t1, "host"));
	ck_assert(!scn_comp_has_field(t1, "https"));
	ck_assert(!scn_comp_has_field(front, "ajp"));
	ck_assert_int_eq(front->kind, SCN_APACHE);
	ck_assert(front->listen[SCN_CONN_HTTP].on);
	ck_assert_str_eq(
	    front->config,
	    "ProxyPreserveHost On\n"
	    "ProxyPass        /examples ajp://${t1.ajp}/examples "
	    "retry=5\n"
	    "ProxyPassReverse /examples ajp://${t1.ajp}/examples\n");
	ck_assert_uint_eq(front->config_pos.line, 8);
	ck_assert_uint_eq(front->config_pos.col, 9);
	ck_assert_uint_eq(f->nclients, 3);
	const struct scn_client *c = &f->clients[0];
	ck_assert_str_eq(c->name, "via_proxy");
	ck_assert_str_eq(c->url, "ws://${front.http}/examples/websocket/"
				 "echoProgrammatic");
	ck_assert_uint_eq(c->url_pos.line, 14);
	ck_assert_uint_eq(c->url_pos.col, 18);
	ck_assert_uint_eq(c->nsteps, 2);
	ck_assert_int_eq(c->steps[0].kind, SCN_EXPECT_STATUS);
	ck_assert_int_eq(c->steps[0].code, 500);
	ck_assert_int_eq(c->steps[1].kind, SCN_EXPECT_CLOSED);
	ck_assert_int_eq(c->steps[1].code, 1006);
	ck_assert_int_eq(c->steps[1].clean, -1);
	ck_assert_ptr_null(c->steps[1].data.s);
	c = &f->clients[1];
	ck_assert_uint_eq(c->nsteps, 5);
	ck_assert_int_eq(c->steps[0].kind, SCN_EXPECT_OPEN);
	ck_assert_int_eq(c->steps[1].kind, SCN_SEND_TEXT);
	ck_assert_mem_eq(c->steps[1].data.s, "hello", 6);
	ck_assert_uint_eq(c->steps[1].pos.line, 21);
	ck_assert_uint_eq(c->steps[1].pos.col, 5);
	ck_assert_int_eq(c->steps[2].kind, SCN_EXPECT_TEXT);
	ck_assert_int_eq(c->steps[2].match, SCN_MATCH_EXACT);
	ck_assert_int_eq(c->steps[3].kind, SCN_CLOSE);
	ck_assert_int_eq(c->steps[3].code, 1000);
	ck_assert_ptr_null(c->steps[3].data.s);
	c = &f->clients[2];
	ck_assert_str_eq(c->url,
			 "http://${front.http}/examples/websocket/echo.xhtml");
	ck_assert_uint_eq(c->nsteps, 1);
	ck_assert_int_eq(c->steps[0].code, 200);
	scn_free(f);
}
END_TEST

START_TEST(client_start)
{
	struct scn_file *f = parse_ok(DATA "/start.scn");
	ck_assert_uint_eq(f->nclients, 4);
	const struct scn_client *c = f->clients;
	ck_assert(c[0].has_start);
	ck_assert_uint_eq(c[0].start_ms, 0);
	ck_assert_int_eq(c[0].steps[3].kind, SCN_STOP);
	ck_assert_int_eq(c[0].steps[4].kind, SCN_START);
	ck_assert_str_eq(c[0].steps[4].field, "http");
	ck_assert_int_eq(c[0].steps[5].kind, SCN_START);
	ck_assert_ptr_null(c[0].steps[5].field);
	ck_assert(c[1].has_start);
	ck_assert_uint_eq(c[1].start_ms, 120);
	ck_assert_uint_eq(c[1].nsteps, 3);
	ck_assert_int_eq(c[1].steps[1].body[0].kind, SCN_START);
	ck_assert(c[2].has_start);
	ck_assert_uint_eq(c[2].start_ms, 3600000);
	ck_assert(!c[3].has_start);
	scn_free(f);
}
END_TEST

START_TEST(wait_microseconds)
{
	struct scn_file *f = parse_ok(DATA "/wait_us.scn");
	const struct scn_step *s = f->clients[0].steps;
	ck_assert_int_eq(s[1].kind, SCN_WAIT);
	ck_assert_uint_eq(s[1].ms, 12);
	ck_assert_uint_eq(s[1].us, 345);
	ck_assert_uint_eq(s[3].ms, 0);
	ck_assert_uint_eq(s[3].us, 500);
	ck_assert_uint_eq(s[5].ms, 7);
	ck_assert_uint_eq(s[5].us, 0);
	ck_assert_int_eq(s[6].kind, SCN_SEND_TEXT);
	ck_assert(s[6].has_at);
	ck_assert_uint_eq(s[6].at_us, 30500);
	ck_assert_uint_eq(f->clients[0].nsteps, 7);
	scn_free(f);

	/* up to 24 hours, to the microsecond (a day-long recording) */
	static const char day[] = "client c ws://127.0.0.1:9/ {\n"
				  "\tstart 23h\n"
				  "\tsend text \"x\" at 86399999.999ms\n"
				  "\twait 24h\n"
				  "\texpect open\n"
				  "}\n";
	struct scn_error err;
	ck_assert_msg(scn_parse_string("day.scn", day, strlen(day), &f, &err) ==
			  0,
		      "%s", err.message);
	ck_assert_uint_eq(f->clients[0].start_ms, 23 * 3600000u);
	ck_assert_uint_eq(f->clients[0].steps[0].at_us, 86399999999ull);
	ck_assert_uint_eq(f->clients[0].steps[1].ms, SCN_MAX_DURATION_MS);
	scn_free(f);
}
END_TEST

/* `at` (a recording's timing note) and `expect binary length`. */
START_TEST(recorded_timing)
{
	struct scn_file *f = parse_ok(DATA "/recorded_timing.scn");
	const struct scn_step *s = f->clients[0].steps;
	static const struct {
		enum scn_step_kind kind;
		int64_t at_us; /* -1: none */
	} want[] = {
	    {SCN_EXPECT_STATUS, 1250},
	    {SCN_EXPECT_OPEN, 1250},
	    {SCN_WAIT, -1},
	    {SCN_SEND_TEXT, 13595},
	    {SCN_EXPECT_TEXT, 14000},
	    {SCN_SEND_BINARY, 15000},
	    {SCN_EXPECT_BINARY, 15500},
	    {SCN_EXPECT_BINARY, -1},
	    {SCN_SEND_PING, 16000},
	    {SCN_EXPECT_PONG, 16200},
	    {SCN_SEND_PONG, 17000},
	    {SCN_SEND_FRAGMENTS, 18000},
	    {SCN_EXPECT_ECHO, 18900},
	    {SCN_SEND_TEXT, 19000},
	    {SCN_EXPECT_TEXT, 20000},
	    {SCN_CLOSE, 3600000000},
	    {SCN_EXPECT_CLOSED, 21001},
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	ck_assert_uint_eq(f->clients[0].nsteps, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(s[i].kind, want[i].kind);
		ck_assert_msg(s[i].has_at == (want[i].at_us >= 0), "step %zu",
			      i);
		if (want[i].at_us >= 0)
			ck_assert_uint_eq(s[i].at_us, (uint64_t)want[i].at_us);
	}
	ck_assert_int_eq(s[6].match, SCN_MATCH_LENGTH);
	ck_assert_uint_eq(s[6].length, 2);
	ck_assert_ptr_null(s[6].data.s);
	ck_assert_int_eq(s[7].match, SCN_MATCH_LENGTH);
	ck_assert_uint_eq(s[7].length, 0);
	ck_assert_uint_eq(s[8].data.len, 0); /* `at` is not the payload */
	ck_assert_uint_eq(s[9].within_ms, 2000);
	ck_assert_uint_eq(s[11].npieces, 2);
	ck_assert_str_eq(s[13].data.s, "at"); /* the value, then the note */
	ck_assert_uint_eq(s[14].within_ms, 500);
	ck_assert_str_eq(s[15].data.s, "bye");
	ck_assert_int_eq(s[16].code, 1000);
	ck_assert(f->clients[1].steps[0].has_at);
	const struct scn_step *q = f->clients[2].steps;
	ck_assert_int_eq(q[1].kind, SCN_CLOSE);
	ck_assert_int_eq(q[1].code, 0);
	ck_assert_uint_eq(q[1].at_us, 1000);
	ck_assert_int_eq(q[2].code, 0);
	ck_assert_uint_eq(q[2].at_us, 2000);
	scn_free(f);
}
END_TEST

START_TEST(every_step)
{
	struct scn_file *f = parse_ok(DATA "/steps.scn");
	const struct scn_client *c = &f->clients[0];
	ck_assert(c->insecure);
	ck_assert_uint_eq(c->nheaders, 2);
	ck_assert_str_eq(c->headers[0].value,
			 "a \"quoted\" value with ${t1.host}");
	ck_assert_str_eq(c->headers[1].name, "Cookie");
	ck_assert_str_eq(c->headers[1].value, "a=b; JSESSIONID=${t1.host}");
	ck_assert_str_eq(c->protocols, "chat, superchat");
	ck_assert_str_eq(c->extensions, "");
	const struct scn_step *s = c->steps;
	ck_assert_int_eq(s[1].kind, SCN_SEND_TEXT);
	const char want[] = "tab\there, newline\n, unicode \xc3\xa9"
			    "\xf0\x9f\x98\x80, nul \0";
	ck_assert_uint_eq(s[1].data.len, sizeof(want) - 1);
	ck_assert_mem_eq(s[1].data.s, want, sizeof(want) - 1);
	ck_assert(same_bytes(&s[1].data, &s[2].data));
	ck_assert_str_eq(s[3].data.s, "bare-word");
	ck_assert_int_eq(s[4].match, SCN_MATCH_CONTAINS);
	ck_assert_uint_eq(s[5].data.len, 4);
	ck_assert_mem_eq(s[5].data.s, "\x00\xff\x10\x20", 4);
	ck_assert_mem_eq(s[7].data.s, "\x00\xff", 2);
	ck_assert_int_eq(s[9].kind, SCN_SEND_PING);
	ck_assert_uint_eq(s[9].data.len, 0);
	ck_assert_ptr_nonnull(s[9].data.s);
	ck_assert_ptr_null(s[10].data.s); /* expect pong: any */
	ck_assert_uint_eq(s[12].within_ms, 250);
	ck_assert_int_eq(s[14].kind, SCN_SEND_FRAGMENTS);
	ck_assert_uint_eq(s[14].npieces, 3);
	ck_assert(!s[14].binary);
	ck_assert(s[16].binary);
	ck_assert_mem_eq(s[17].pieces[1].s, "\xff", 1);
	ck_assert_int_eq(s[19].kind, SCN_WAIT);
	ck_assert_uint_eq(s[19].ms, 100);
	ck_assert_int_eq(s[21].kind, SCN_REPEAT);
	ck_assert_uint_eq(s[21].count, 3);
	ck_assert_uint_eq(s[21].nbody, 3);
	ck_assert_int_eq(s[21].body[2].kind, SCN_REPEAT);
	ck_assert_uint_eq(s[21].body[2].nbody, 2);
	ck_assert_int_eq(s[22].kind, SCN_STOP);
	ck_assert_str_eq(s[22].comp, "t1");
	ck_assert_str_eq(s[22].field, "http");
	ck_assert_ptr_null(s[24].field);
	ck_assert_int_eq(s[26].kind, SCN_CLOSE);
	ck_assert_int_eq(s[26].code, 0);
	ck_assert_int_eq(s[27].clean, -1);
	ck_assert_int_eq(s[28].clean, 0);
	ck_assert_int_eq(s[30].code, 1005);
	ck_assert_int_eq(s[30].clean, 1);
	ck_assert_str_eq(s[31].data.s, "reason only");
	ck_assert_int_eq(s[32].code, 4999);
	ck_assert_uint_eq(s[32].within_ms, 60000);
	ck_assert_uint_eq(c->nsteps, 33);
	ck_assert_str_eq(f->clients[2].url,
			 "ws://127.0.0.1:1/literal/$${not.a.macro}");
	ck_assert_ptr_nonnull(f->clients[2].steps[0].data.s);
	ck_assert_uint_eq(f->clients[2].steps[0].data.len, 0);
	scn_free(f);
}
END_TEST

START_TEST(components)
{
	struct scn_file *f = parse_ok(DATA "/wstunnel_rewrite.scn");
	const struct scn_component *t1 = scn_find_comp(f, "t1");
	ck_assert_str_eq(t1->listen[SCN_CONN_AJP].secret, "s3cret");
	ck_assert_uint_eq(t1->listen[SCN_CONN_AJP].packet_size, 65536);
	const struct scn_component *a = scn_find_comp(f, "front");
	ck_assert_str_eq(a->min_version, "2.4.47");
	ck_assert_uint_eq(a->nmodules, 2);
	ck_assert_str_eq(a->modules[1], "rewrite");
	ck_assert_uint_eq(a->config_pos.line, 17);
	ck_assert_uint_eq(a->config_pos.col, 3);
	ck_assert_str_eq(a->config,
			 "Define BACKEND ${t1.http}\n"
			 "RewriteEngine on\n"
			 "RewriteCond %{HTTP:Upgrade} websocket [NC]\n"
			 "RewriteCond %{HTTP:Connection} upgrade [NC]\n"
			 "RewriteRule ^/?(.*) \"ws://${t1.http}/$1\" [P,L]\n"
			 "\n"
			 "# an Apache comment, kept: ${BACKEND} is Apache's "
			 "own\n"
			 "ProxyPass /examples ajp://${t1.ajp}/examples "
			 "secret=s3cret\n"
			 "<Location /x>\n"
			 "    Require all granted\n"
			 "</Location>\n");
	const struct scn_step *s = f->clients[0].steps;
	ck_assert_uint_eq(f->clients[0].timeout_ms, 2000);
	ck_assert_int_eq(s[2].match, SCN_MATCH_CONTAINS);
	ck_assert_ptr_null(s[3].data.s);
	ck_assert_int_eq(s[4].kind, SCN_EXPECT_NO_HEADER);
	ck_assert_uint_eq(s[5].within_ms, 500);
	ck_assert_int_eq(s[8].kind, SCN_EXPECT_BACKEND);
	ck_assert_str_eq(s[8].field, "http");
	ck_assert_str_eq(s[8].data.s, "/examples/websocket/echoProgrammatic");
	ck_assert_int_eq(s[8].upgrade, 1);
	ck_assert_str_eq(s[8].name, "Upgrade");
	ck_assert_str_eq(s[8].value, "websocket");
	ck_assert_str_eq(s[9].data.s, "bye");
	ck_assert_int_eq(s[10].clean, 1);
	ck_assert_uint_eq(f->timeout_ms, 3000);
	ck_assert_int_eq(f->clients[1].steps[2].upgrade, 0);
	ck_assert_ptr_null(f->clients[1].steps[2].value);
	scn_free(f);

	f = parse_ok(DATA "/proxies.scn");
	ck_assert_str_eq(f->title, "bare-title");
	ck_assert_uint_eq(f->timeout_ms, 3600000);
	const struct scn_component *c = scn_find_comp(f, "t2");
	ck_assert_int_eq(c->listen[SCN_CONN_HTTPS].cert, SCN_CERT_WRONG_HOST);
	c = scn_find_comp(f, "edge");
	ck_assert_int_eq(c->kind, SCN_NGINX);
	ck_assert(strstr(c->config, "location / {\n    proxy_pass "));
	c = scn_find_comp(f, "mine");
	ck_assert_str_eq(c->include, "/etc/apache2/sites-available/app.conf");
	ck_assert_uint_eq(c->nmaps, 2);
	ck_assert_str_eq(c->maps[1].from, "ws://backend:8080");
	ck_assert_str_eq(c->maps[1].to_comp, "t3");
	ck_assert_str_eq(c->maps[1].to_field, "http");
	ck_assert_int_eq(c->listen[SCN_CONN_HTTPS].cert, SCN_CERT_SELF_SIGNED);
	c = scn_find_comp(f, "oneline");
	ck_assert_str_eq(c->config, "ProxyPass / http://${t3.http}/");
	ck_assert_uint_eq(c->config_pos.col, 40);
	c = scn_find_comp(f, "ext");
	ck_assert_int_eq(c->kind, SCN_EXTERNAL);
	ck_assert_str_eq(c->address, "127.0.0.1:8080");
	ck_assert(scn_comp_has_field(c, "http"));
	ck_assert(!scn_comp_has_field(c, "https"));
	c = scn_find_comp(f, "exts");
	ck_assert_str_eq(c->address, "[::1]:8443");
	ck_assert(scn_comp_has_field(c, "https"));
	ck_assert(!scn_comp_has_field(c, "http"));
	ck_assert_str_eq(f->clients[0].method, "POST");
	scn_free(f);
}
END_TEST

START_TEST(every_valid_file)
{
	static char names[64][512];
	size_t n = list_scn(DATA, names, 64);
	ck_assert_uint_ge(n, 7);
	for (size_t i = 0; i < n; i++) {
		struct scn_file *f = parse_ok(names[i]);
		ck_assert_str_eq(f->path, names[i]);
		ck_assert_uint_ge(f->nclients, 1);
		scn_free(f);
	}
}
END_TEST

/* Setups for `wssim replay --setup`: clients optional, components not. */
START_TEST(topology_file)
{
	struct scn_file *f;
	struct scn_error err;
	ck_assert_int_eq(scn_parse_topology_file(
			     DATA "/topology/components_only.scn", &f, &err),
			 0);
	ck_assert_uint_eq(f->ncomps, 2);
	ck_assert_uint_eq(f->nclients, 0);
	scn_free(f);
	/* the same file is no scenario */
	ck_assert_int_eq(
	    scn_parse_file(DATA "/topology/components_only.scn", &f, &err), -1);
	ck_assert_str_eq(err.message,
			 "no client: a scenario needs at least one 'client'");
	ck_assert_int_eq(scn_parse_topology_file(
			     DATA "/topology/clients_only.scn", &f, &err),
			 -1);
	ck_assert_ptr_null(f);
	ck_assert_uint_eq(err.line, 1);
	ck_assert_uint_eq(err.col, 1);
	ck_assert_str_eq(err.message,
			 "no component: a setup declares a tomcat or a proxy "
			 "(apache, nginx, haproxy, proxy ... at)");
	/* a whole scenario is a setup too, its clients parsed and checked */
	ck_assert_int_eq(
	    scn_parse_topology_file(DATA "/wstunnel_rewrite.scn", &f, &err), 0);
	ck_assert_uint_ge(f->nclients, 1);
	scn_free(f);
	ck_assert_int_eq(
	    scn_parse_topology_file(DATA "/bad/macro_undeclared.scn", &f, &err),
	    -1);
	ck_assert_uint_gt(err.line, 1);
	ck_assert_int_eq(
	    scn_parse_topology_file(DATA "/topology/none.scn", &f, &err), -1);
	ck_assert_uint_eq(err.line, 0);
}
END_TEST

/* What editors put in that nobody can see: a UTF-8 byte order mark at the
 * start is skipped; a no-break or zero-width space outside a string is an
 * error that names it (the caret would point at nothing visible). */
START_TEST(invisible_characters)
{
	static const char bom[] = "\xef\xbb\xbfscenario \"x\"\n"
				  "client c ws://h/ { expect open }\n";
	struct scn_file *f;
	struct scn_error err;
	ck_assert_msg(
	    scn_parse_string("bom.scn", bom, sizeof(bom) - 1, &f, &err) == 0,
	    "%u:%u: %s", err.line, err.col, err.message);
	ck_assert_str_eq(f->title, "x");
	scn_free(f);
	static const struct {
		const char *text, *msg;
		unsigned col;
	} bad[] = {
	    {"client\xc2\xa0"
	     "c ws://h/ { expect open }\n",
	     "invisible character U+00A0 (a no-break space) outside a string",
	     7},
	    {"client c ws://h/ {\xe2\x80\x8b expect open }\n",
	     "invisible character U+200B (a zero-width character) outside a "
	     "string",
	     19},
	    {"client c ws://h/ { expect open }\n\xef\xbb\xbf\n",
	     "invisible character U+FEFF (a byte order mark (BOM)) outside a "
	     "string",
	     1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(scn_parse_string("x.scn", bad[i].text,
						  strlen(bad[i].text), &f,
						  &err),
				 -1);
		ck_assert_msg(strstr(err.message, bad[i].msg), "%s",
			      err.message);
		ck_assert_uint_eq(err.col, bad[i].col);
	}
}
END_TEST

START_TEST(from_memory)
{
	static const char text[] =
	    "client c ws://h/ { send text \"a\\x00b\"; expect echo }";
	struct scn_file *f;
	struct scn_error err;
	/* the length given, not the NUL, ends the text */
	ck_assert_int_eq(
	    scn_parse_string("mem", text, sizeof(text) - 1, &f, &err), 0);
	ck_assert_uint_eq(f->clients[0].steps[0].data.len, 3);
	scn_free(f);
	ck_assert_int_eq(scn_parse_string("mem", text, 10, &f, &err), -1);
	ck_assert_str_eq(err.file, "mem");
	ck_assert_ptr_null(f);
	scn_free(NULL);
}
END_TEST

/* --- errors -------------------------------------------------------- */

static int check_bad(const char *path)
{
	size_t len;
	char *text = test_read_file(path, &len);
	unsigned line, col;
	int off = 0;
	ck_assert_msg(sscanf(text, "# error: %u:%u: %n", &line, &col, &off) ==
			      2 &&
			  off > 0,
		      "%s: no '# error: LINE:COL: message' first line", path);
	char want[512];
	const char *m = text + off, *e = strchr(m, '\n');
	ck_assert_ptr_nonnull(e);
	snprintf(want, sizeof(want), "%.*s", (int)(e - m), m);
	struct scn_file *f = (struct scn_file *)1;
	struct scn_error err;
	int rc = scn_parse_file(path, &f, &err);
	ck_assert_msg(rc == -1, "%s: parsed, but should fail with %u:%u: %s",
		      path, line, col, want);
	ck_assert_ptr_null(f);
	if (err.line != line || err.col != col || strcmp(err.message, want)) {
		fprintf(stderr, "%s:\n  want %u:%u: %s\n  got  %u:%u: %s\n",
			path, line, col, want, err.line, err.col, err.message);
		free(text);
		return 1;
	}
	ck_assert_str_eq(err.file, path);
	/* the offending line is the file's line `line` */
	const char *l = text;
	for (unsigned i = 1; i < line && l; i++) {
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	ck_assert_ptr_nonnull(l);
	size_t ll = strcspn(l, "\r\n");
	ck_assert_uint_eq(strlen(err.text), ll);
	ck_assert_mem_eq(err.text, l, ll);
	free(text);
	return 0;
}

START_TEST(every_bad_file)
{
	static char names[128][512];
	size_t n = list_scn(DATA "/bad", names, 128);
	ck_assert_uint_ge(n, 25);
	int failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += check_bad(names[i]);
	ck_assert_int_eq(failed, 0);
}
END_TEST

/* Values that a proxy's generated config prints may not leave their line
 * or their quotes: a newline in an include path once ended the comment
 * Apache's generator prints it in, and the next line was a live
 * directive. Every such value, each proxy kind, file:line:col at the
 * value. */
START_TEST(config_value_injection)
{
	static const struct {
		const char *text;
		unsigned line, col;
		const char *msg;
	} cases[] = {
	    {"tomcat t1 { connector ajp }\n"
	     "apache front { listen http\n"
	     "  include \"v.conf\\nErrorLog \\\"|id\\\"\" }\n",
	     3, 11,
	     "the include path holds a control character (0x0a): it would "
	     "end its line in the proxy's generated config"},
	    {"nginx e { listen http; include \"a\\x01b\" }\n", 1, 32,
	     "the include path holds a control character (0x01): it would "
	     "end its line in the proxy's generated config"},
	    {"haproxy h { listen http; include \"a\\\"b\" }\n", 1, 34,
	     "the include path holds a '\"': it would end its quoted string "
	     "in the proxy's generated config"},
	    {"tomcat t1 { connector ajp }\n"
	     "haproxy h { listen http; include a.cfg\n"
	     "  map \"b:1\\u{7f}\" t1.ajp }\n",
	     3, 7,
	     "the address to map holds a control character (0x7f): it would "
	     "end its line in the proxy's generated config"},
	    {"proxy x at \"1.2.3.4\\t:80\"\n", 1, 12,
	     "the proxy's address holds a control character (0x09): it would "
	     "end its line in the proxy's generated config"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scn_file *f = (struct scn_file *)1;
		struct scn_error err;
		const char *t = cases[i].text;
		ck_assert_int_eq(
		    scn_parse_string("inj.scn", t, strlen(t), &f, &err), -1);
		ck_assert_ptr_null(f);
		ck_assert_msg(
		    err.line == cases[i].line && err.col == cases[i].col &&
			!strcmp(err.message, cases[i].msg),
		    "case %zu: %u:%u: %s", i, err.line, err.col, err.message);
	}
	/* the same values written plainly parse */
	const char *ok =
	    "tomcat t1 { connector ajp }\n"
	    "apache front { listen http\n"
	    "  include \"v.conf\"; map \"b:1\" t1.ajp }\n"
	    "proxy x at \"1.2.3.4:80\"\n"
	    "client c http://${front.http}/ { expect status 200 }\n";
	struct scn_file *f;
	struct scn_error err;
	ck_assert_msg(scn_parse_string("ok.scn", ok, strlen(ok), &f, &err) == 0,
		      "%u:%u: %s", err.line, err.col, err.message);
	scn_free(f);
}
END_TEST

START_TEST(missing_file)
{
	struct scn_file *f;
	struct scn_error err;
	ck_assert_int_eq(scn_parse_file(DATA "/no-such.scn", &f, &err), -1);
	ck_assert_uint_eq(err.line, 0);
	ck_assert_str_eq(err.message, "cannot open: No such file or directory");
	ck_assert_str_eq(err.file, DATA "/no-such.scn");
	ck_assert_int_eq(scn_parse_file(DATA, &f, &err), -1);
	ck_assert_uint_eq(err.line, 0);
	ck_assert_str_eq(err.message, "is a directory, not a regular file");
}
END_TEST

START_TEST(error_print)
{
	static const char text[] = "client c ws://h/ {\n\tsned text \"x\"\n}\n";
	struct scn_file *f;
	struct scn_error err;
	ck_assert_int_eq(
	    scn_parse_string("t.scn", text, strlen(text), &f, &err), -1);
	char *buf = NULL;
	size_t len;
	FILE *m = open_memstream(&buf, &len);
	scn_error_print(m, &err, false);
	fclose(m);
	ck_assert_str_eq(
	    buf, "t.scn:2:2: unknown step 'sned' (expected send, close, "
		 "wait, repeat, stop, start, expect, or an option: "
		 "header, cookie, origin, protocol, extensions, method, "
		 "insecure, timeout)\n"
		 "    \tsned text \"x\"\n"
		 "    \t^\n");
	free(buf);
	m = open_memstream(&buf, &len);
	scn_error_print(m, &err, true);
	fclose(m);
	ck_assert(strstr(buf, "\033["));
	free(buf);
	struct scn_error e0 = {.file = "x.scn",
			       .message = "cannot open: "
					  "No such file"};
	m = open_memstream(&buf, &len);
	scn_error_print(m, &e0, false);
	fclose(m);
	ck_assert_str_eq(buf, "x.scn: cannot open: No such file\n");
	free(buf);
}
END_TEST

/* --- macros -------------------------------------------------------- */

static int resolve(void *ctx, const char *comp, const char *field, char *out,
		   size_t outlen)
{
	(void)ctx;
	if (!strcmp(comp, "t1") && !strcmp(field, "ajp")) {
		snprintf(out, outlen, "127.0.0.1:40001");
		return 0;
	}
	if (!strcmp(comp, "front") && !strcmp(field, "http")) {
		snprintf(out, outlen, "127.0.0.1:40002");
		return 0;
	}
	return -1;
}

/* Every macro resolves to the string ctx. */
static int resolve_to(void *ctx, const char *comp, const char *field, char *out,
		      size_t outlen)
{
	(void)comp;
	(void)field;
	snprintf(out, outlen, "%s", (const char *)ctx);
	return 0;
}

static void expand_eq(const char *tmpl, bool cfg, const char *want)
{
	char err[128] = "";
	char *s = scn_expand(tmpl, cfg, resolve, NULL, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s: %s", tmpl, err);
	ck_assert_str_eq(s, want);
	free(s);
}

static void expand_fails(const char *tmpl, const char *want)
{
	char err[128] = "";
	char *s = scn_expand(tmpl, false, resolve, NULL, err, sizeof(err));
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, want);
}

START_TEST(expand)
{
	expand_eq("ws://${front.http}/x", false, "ws://127.0.0.1:40002/x");
	expand_eq("", false, "");
	expand_eq("$$ and $ and $x", false, "$$ and $ and $x");
	expand_eq("a $${t1.ajp} b", false, "a ${t1.ajp} b");
	expand_eq("ajp://${t1.ajp}/ ${t1.ajp}", true,
		  "ajp://127.0.0.1:40001/ 127.0.0.1:40001");
	/* Apache's own, in config blocks only */
	expand_eq("Define X 1\n${X} ${X.y} %{HTTP:Upgrade} ${", true,
		  "Define X 1\n${X} ${X.y} %{HTTP:Upgrade} ${");
	expand_eq("$${X}", true, "${X}");
	expand_fails("ws://${nope.http}/",
		     "cannot resolve macro '${nope.http}'");
	expand_fails("${front}", "malformed macro '${front}'");
	expand_fails("${front.http", "unterminated macro '${front.http'");
	/* a resolver's value may not add a line or a quote, in a config
	 * block neither: refused, never pasted */
	const char *const bad[] = {"127.0.0.1:1\nErrorLog \"|id\"", "a\"b",
				   "a\\b", "a\x7f"};
	for (size_t i = 0; i < 4; i++) {
		char err[160] = "";
		char *x =
		    scn_expand("ProxyPass / ajp://${t1.ajp}/\n", true,
			       resolve_to, (void *)bad[i], err, sizeof(err));
		ck_assert_ptr_null(x);
		ck_assert_str_eq(err, "macro '${t1.ajp}' resolves to a value "
				      "with a control character, '\"' or "
				      "'\\'");
	}
}
END_TEST

START_TEST(macro_positions)
{
	/* a macro in a config block names a line of the block */
	static const char text[] = "tomcat t1 { connector http }\n"
				   "apache a { listen http\n"
				   "  config {\n"
				   "    ProxyPass / http://${t1.http}/\n"
				   "    Define X ${X} ${X.y}\n"
				   "    ProxyPass /b ajp://${t1.ajp}/\n"
				   "  }\n"
				   "}\n"
				   "client c ws://${a.http}/ {}\n";
	struct scn_file *f;
	struct scn_error err;
	ck_assert_int_eq(scn_parse_string("m", text, strlen(text), &f, &err),
			 -1);
	ck_assert_uint_eq(err.line, 6);
	ck_assert_uint_eq(err.col, 24);
	ck_assert_str_eq(err.message,
			 "macro '${t1.ajp}': component 't1' has no field 'ajp' "
			 "(it has: http, host)");
	ck_assert_str_eq(err.text, "    ProxyPass /b ajp://${t1.ajp}/");
}
END_TEST

/* --- print --------------------------------------------------------- */

START_TEST(print_roundtrip)
{
	static char names[64][512];
	size_t n = list_scn(DATA, names, 64);
	for (size_t i = 0; i < n; i++) {
		struct scn_file *f = parse_ok(names[i]);
		roundtrip(names[i], f);
		scn_free(f);
	}
}
END_TEST

START_TEST(print_canonical)
{
	static const char text[] =
	    "client c ws://h/ { send text \"\\u{7f}\\\\\"; wait 1m; "
	    "expect closed 1000 within 2s at 1.5ms; expect binary length 7 "
	    "at 2s }";
	struct scn_file *f;
	struct scn_error err;
	ck_assert_int_eq(scn_parse_string("c", text, strlen(text), &f, &err),
			 0);
	size_t len;
	char *out = print_mem(f, &len);
	ck_assert_str_eq(out, "\nclient c \"ws://h/\" {\n"
			      "\tsend text \"\\x7f\\\\\"\n"
			      "\twait 60000ms\n"
			      "\texpect closed 1000 within 2000ms at 1.500ms\n"
			      "\texpect binary length 7 at 2000ms\n"
			      "}\n");
	free(out);
	scn_free(f);
}
END_TEST

/* --- docs ---------------------------------------------------------- */

START_TEST(docs_cover_keywords)
{
	size_t len;
	char *doc = test_read_file(DOCS, &len);
	int missing = 0;
	for (const char *const *k = scn_keywords(); *k; k++) {
		char want[64];
		snprintf(want, sizeof(want), "`%s`", *k);
		if (!strstr(doc, want)) {
			fprintf(stderr, "docs/scenario.md: %s undocumented\n",
				want);
			missing++;
		}
	}
	ck_assert_int_eq(missing, 0);
	/* every duration limit the reference states is the parser's */
	char limit[32];
	snprintf(limit, sizeof(limit), "%u hours",
		 SCN_MAX_DURATION_MS / 3600000u);
	for (const char *p = doc; (p = strstr(p, " hour")); p++) {
		const char *b = p; /* the number right before " hour" */
		while (b > doc && isdigit((unsigned char)b[-1]))
			b--;
		if (isdigit((unsigned char)*b))
			ck_assert_msg(!strncmp(b, limit, strlen(limit)),
				      "docs/scenario.md says '%.20s', the "
				      "parser's limit is %s",
				      b, limit);
	}
	free(doc);
}
END_TEST

/* 100k clients, then one whose name was taken at line 2: the error
 * points at both. The name check was a scan of every earlier name (31 s
 * for this file); the case's 20 s timeout catches a quadratic one. */
START_TEST(many_names)
{
	enum { N = 100000 };
	size_t cap = (size_t)N * 64 + 256, n = 0;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	n += (size_t)snprintf(text + n, cap - n,
			      "tomcat t1 { connector http }\n");
	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(
		    text + n, cap - n,
		    "client c%d http://${t1.http}/ {expect status 200}\n", i);
	n += (size_t)snprintf(
	    text + n, cap - n,
	    "client t1 http://${t1.http}/ {expect status 200}\n");
	struct scn_file *f = NULL;
	struct scn_error err;
	ck_assert_int_eq(scn_parse_string("many.scn", text, n, &f, &err), -1);
	ck_assert_uint_eq(err.line, N + 2);
	ck_assert_uint_eq(err.col, 8);
	ck_assert_str_eq(err.message,
			 "duplicate name 't1' (first declared at 1:8)");
	/* and without the duplicate it parses, every name kept */
	n -= strlen("client t1 http://${t1.http}/ {expect status 200}\n");
	ck_assert_int_eq(scn_parse_string("many.scn", text, n, &f, &err), 0);
	ck_assert_uint_eq(f->nclients, N);
	ck_assert_str_eq(f->clients[N - 1].name, "c99999");
	scn_free(f);
	free(text);
}
END_TEST

static Suite *scn_suite(void)
{
	Suite *s = suite_create("scn");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, design_example);
	tcase_add_test(tc, client_start);
	tcase_add_test(tc, wait_microseconds);
	tcase_add_test(tc, recorded_timing);
	tcase_add_test(tc, every_step);
	tcase_add_test(tc, components);
	tcase_add_test(tc, every_valid_file);
	tcase_add_test(tc, from_memory);
	tcase_add_test(tc, invisible_characters);
	tcase_add_test(tc, topology_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, every_bad_file);
	tcase_add_test(tc, config_value_injection);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, error_print);
	suite_add_tcase(s, tc);
	tc = tcase_create("many_names");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, many_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("macros");
	tcase_add_test(tc, expand);
	tcase_add_test(tc, macro_positions);
	suite_add_tcase(s, tc);
	tc = tcase_create("print");
	tcase_add_test(tc, print_roundtrip);
	tcase_add_test(tc, print_canonical);
	suite_add_tcase(s, tc);
	tc = tcase_create("docs");
	tcase_add_test(tc, docs_cover_keywords);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(scn_suite)
