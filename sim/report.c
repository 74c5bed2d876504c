/* Console, TAP, JUnit and JSON reports, and the worker serialisation (see
 * report.h). */
#include "report.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_file.h"
#include "os_out.h"

static const char *outcome_word(enum sim_outcome o)
{
	switch (o) {
	case SIM_PASS:
		return "pass";
	case SIM_FAIL:
		return "fail";
	case SIM_SKIP:
		return "skip";
	case SIM_ERR_SCENARIO:
		return "scenario-error";
	default:
		return "environment-error";
	}
}

#define C(color, code) ((color) ? (code) : "")

static void indent(FILE *f, const char *text, const char *pad)
{
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		fprintf(f, "%s%.*s\n", pad, (int)n, l);
		l = e ? e + 1 : NULL;
	}
}

/* A scenario's path or title on the console or in TAP: control
 * characters escaped, so a file named "x\n  PASS y" forges no line. */
struct shown {
	char path[PATH_MAX + 64], title[512];
};
static void show(struct shown *s, const struct sim_report *r)
{
	os_path_show(r->path, s->path, sizeof(s->path));
	os_path_show(r->title ? r->title : "", s->title, sizeof(s->title));
}

void report_console(FILE *f, const struct sim_report *r, bool color)
{
	struct shown sh;
	show(&sh, r);
	const char *red = C(color, "\033[31m"), *green = C(color, "\033[32m"),
		   *yellow = C(color, "\033[33m"), *bold = C(color, "\033[1m"),
		   *off = C(color, "\033[0m");
	fprintf(f, "%s%s%s%s%s\n", bold, sh.path, r->title ? ": " : "",
		sh.title, off);
	for (size_t i = 0; i < r->nclients; i++) {
		const struct sim_client_report *c = &r->clients[i];
		fprintf(f, "  %s%s%s %s: %s\n", c->passed ? green : red,
			c->passed ? "PASS" : "FAIL", off, c->name,
			c->summary ? c->summary : "");
		if (c->timing && c->timing->text)
			fprintf(f, "    timing: %s\n", c->timing->text);
		if (c->passed)
			continue;
		if (c->failure)
			fprintf(f, "    %s:%u: %s\n", sh.path, c->fail_line,
				c->failure);
		if (c->trace && *c->trace) {
			fprintf(f, "    what each hop saw:\n");
			indent(f, c->trace, "  ");
		}
		if (c->hint) {
			fprintf(f, "    %sfix:%s ", yellow, off);
			indent(f, c->hint, "");
		}
	}
	switch (r->outcome) {
	case SIM_SKIP:
		fprintf(f, "  %sSKIP%s %s\n", yellow, off,
			r->message ? r->message : "");
		break;
	case SIM_ERR_SCENARIO:
	case SIM_ERR_ENV:
		fprintf(f, "  %sERROR%s %s\n", red, off,
			r->message ? r->message : "");
		break;
	default:
		break;
	}
	if (r->outcome != SIM_PASS && r->proxy_log)
		indent(f, r->proxy_log, "    ");
	if (r->kept_dir)
		fprintf(f,
			"  kept the run's config, logs and certificates in "
			"%s\n",
			r->kept_dir);
}

static void counts(const struct sim_report *rs, size_t n, size_t c[5])
{
	memset(c, 0, 5 * sizeof(*c));
	for (size_t i = 0; i < n; i++)
		c[rs[i].outcome]++;
}

void report_console_total(FILE *f, const struct sim_report *rs, size_t n,
			  bool color)
{
	size_t c[5];
	counts(rs, n, c);
	bool bad = c[SIM_FAIL] || c[SIM_ERR_SCENARIO] || c[SIM_ERR_ENV];
	fprintf(f,
		"%s%zu scenario%s: %zu passed, %zu failed, %zu skipped, "
		"%zu errors%s\n",
		C(color, bad ? "\033[31m" : "\033[32m"), n, n == 1 ? "" : "s",
		c[SIM_PASS], c[SIM_FAIL], c[SIM_SKIP],
		c[SIM_ERR_SCENARIO] + c[SIM_ERR_ENV], C(color, "\033[0m"));
}

int report_exit_code(const struct sim_report *rs, size_t n)
{
	size_t c[5];
	counts(rs, n, c);
	if (c[SIM_ERR_SCENARIO])
		return 2;
	if (c[SIM_ERR_ENV])
		return 3;
	return c[SIM_FAIL] ? 1 : 0;
}

/* TAP 13: one test point per client (or one per scenario that did not get
 * to its clients). */
void report_tap(FILE *f, const struct sim_report *rs, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += rs[i].nclients && rs[i].outcome != SIM_SKIP
			     ? rs[i].nclients
			     : 1;
	fprintf(f, "TAP version 13\n1..%zu\n", total);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sim_report *r = &rs[i];
		struct shown sh;
		show(&sh, r);
		if (r->outcome == SIM_SKIP || !r->nclients) {
			fprintf(f, "%s %zu - %s%s %s\n",
				r->outcome == SIM_SKIP ? "ok" : "not ok", ++k,
				sh.path,
				r->outcome == SIM_SKIP ? " # SKIP" : ":",
				r->message ? r->message : "");
			continue;
		}
		for (size_t j = 0; j < r->nclients; j++) {
			const struct sim_client_report *c = &r->clients[j];
			fprintf(f, "%s %zu - %s: %s: %s\n",
				c->passed ? "ok" : "not ok", ++k, sh.path,
				c->name, c->summary ? c->summary : "");
			if (!c->passed && c->failure) {
				fprintf(f, "  ---\n  message: |\n");
				indent(f, c->failure, "    ");
				fprintf(f, "  at: %s:%u\n  ...\n", sh.path,
					c->fail_line);
			}
		}
	}
}

static void xml(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' &&
			    *s != '\t')
				fprintf(f, "&#%d;", *s);
			else
				fputc(*s, f);
		}
	}
}

int report_junit(FILE *f, const struct sim_report *rs, size_t n)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
		   "name=\"wssim\">\n");
	for (size_t i = 0; i < n; i++) {
		const struct sim_report *r = &rs[i];
		size_t fails = 0;
		for (size_t j = 0; j < r->nclients; j++)
			fails += !r->clients[j].passed;
		fprintf(f, "  <testsuite name=\"");
		xml(f, r->path);
		fprintf(f,
			"\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" "
			"skipped=\"%d\" time=\"%.3f\">\n",
			r->nclients ? r->nclients : 1, fails,
			r->outcome == SIM_ERR_ENV ||
			    r->outcome == SIM_ERR_SCENARIO,
			r->outcome == SIM_SKIP, (double)r->ms / 1000.0);
		if (r->outcome == SIM_SKIP || r->outcome == SIM_ERR_ENV ||
		    r->outcome == SIM_ERR_SCENARIO) {
			fprintf(f,
				"    <testcase name=\"(setup)\" classname=\"");
			xml(f, r->path);
			fprintf(f, "\">\n      <%s message=\"",
				r->outcome == SIM_SKIP ? "skipped" : "error");
			xml(f, r->message);
			fprintf(f, "\"/>\n    </testcase>\n");
		}
		for (size_t j = 0; j < r->nclients; j++) {
			const struct sim_client_report *c = &r->clients[j];
			fprintf(f, "    <testcase name=\"");
			xml(f, c->name);
			fprintf(f, "\" classname=\"");
			xml(f, r->path);
			fprintf(f, "\" time=\"%.3f\">\n",
				(double)c->ms / 1000.0);
			if (!c->passed) {
				fprintf(f, "      <failure message=\"");
				xml(f, c->failure);
				fprintf(f, "\">");
				xml(f, c->trace);
				if (c->hint) {
					fputs("\nfix: ", f);
					xml(f, c->hint);
				}
				fprintf(f, "</failure>\n");
			}
			fprintf(f, "      <system-out>");
			xml(f, c->summary);
			if (c->timing && c->timing->text) {
				fputs("\ntiming: ", f);
				xml(f, c->timing->text);
			}
			fprintf(f, "</system-out>\n    </testcase>\n");
		}
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
	return ferror(f) ? -1 : 0;
}

static void js(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* Microseconds as milliseconds, or null. */
static void js_ms(FILE *f, int64_t us, bool present)
{
	if (!present)
		fputs("null", f);
	else
		fprintf(f, "%.3f", (double)us / 1000.0);
}

static void js_timing(FILE *f, const struct sim_timing *t)
{
	if (!t) {
		fputs("null", f);
		return;
	}
	bool any = t->nsent + t->nrecv > 0;
	fprintf(f, "{\"text\":");
	js(f, t->text);
	fprintf(f, ",\"sent\":%zu,\"received\":%zu,\"missing\":%zu,", t->nsent,
		t->nrecv, t->nmissing);
	fputs("\"drift_p50_ms\":", f);
	js_ms(f, t->p50_us, any);
	fputs(",\"drift_max_ms\":", f);
	js_ms(f, t->max_us, any);
	fputs(",\"drift_max_line\":", f);
	if (any)
		fprintf(f, "%u", t->points[t->max_at].line);
	else
		fputs("null", f);
	fputs(",\"max_drift_ms\":", f);
	js_ms(f, t->limit_us, t->limit_us >= 0);
	fprintf(f, ",\"over_max_drift\":%zu,\"steps\":[", t->nover);
	for (size_t i = 0; i < t->npoints; i++) {
		const struct sim_timing_point *p = &t->points[i];
		bool here = p->replayed_us >= 0;
		fprintf(f, "%s{\"line\":%u,\"direction\":\"%s\",\"what\":",
			i ? "," : "", p->line, p->sent ? "sent" : "received");
		js(f, p->what);
		fputs(",\"recorded_ms\":", f);
		js_ms(f, p->recorded_us, true);
		fputs(",\"replayed_ms\":", f);
		js_ms(f, p->replayed_us, here);
		fputs(",\"drift_ms\":", f);
		js_ms(f, p->replayed_us - p->recorded_us, here);
		fputc('}', f);
	}
	fputs("]}", f);
}

/* Schema: docs/report.md ("wssim-report", version 1). */
int report_json(FILE *f, const struct sim_report *rs, size_t n)
{
	size_t c[5];
	counts(rs, n, c);
	fprintf(f,
		"{\"schema\":\"wssim-report\",\"version\":1,\"exit_code\":"
		"%d,\"summary\":{\"scenarios\":%zu,\"passed\":%zu,"
		"\"failed\":%zu,\"skipped\":%zu,\"errors\":%zu},"
		"\"scenarios\":[",
		report_exit_code(rs, n), n, c[SIM_PASS], c[SIM_FAIL],
		c[SIM_SKIP], c[SIM_ERR_SCENARIO] + c[SIM_ERR_ENV]);
	for (size_t i = 0; i < n; i++) {
		const struct sim_report *r = &rs[i];
		fprintf(f, "%s{\"file\":", i ? "," : "");
		js(f, r->path);
		fprintf(f, ",\"title\":");
		js(f, r->title);
		fprintf(f, ",\"outcome\":\"%s\",\"message\":",
			outcome_word(r->outcome));
		js(f, r->message);
		fprintf(f, ",\"duration_ms\":%llu,\"kept_dir\":",
			(unsigned long long)r->ms);
		js(f, r->kept_dir);
		fprintf(f, ",\"clients\":[");
		for (size_t j = 0; j < r->nclients; j++) {
			const struct sim_client_report *cl = &r->clients[j];
			fprintf(f, "%s{\"name\":", j ? "," : "");
			js(f, cl->name);
			fprintf(f, ",\"line\":%u,\"passed\":%s,\"summary\":",
				cl->line, cl->passed ? "true" : "false");
			js(f, cl->summary);
			fprintf(f, ",\"failure\":");
			js(f, cl->failure);
			fprintf(
			    f, ",\"failure_line\":%u,\"hint\":", cl->fail_line);
			js(f, cl->hint);
			fprintf(f, ",\"trace\":");
			js(f, cl->trace);
			fprintf(f, ",\"timing\":");
			js_timing(f, cl->timing);
			fprintf(f, ",\"duration_ms\":%llu}",
				(unsigned long long)cl->ms);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
	if (f == stdout)
		return fflush(f) == 0 ? 0 : -1;
	return ferror(f) ? -1 : 0;
}

/* Write one report file through os_out (beside its target, renamed into
 * place; a symlink or device refused unless `force`). */
static int report_file(const char *who, const char *path, bool force,
		       int (*emit)(FILE *, const struct sim_report *, size_t),
		       const struct sim_report *rs, size_t n)
{
	char err[PATH_MAX + 300];
	struct os_out o;
	if (os_out_open(&o, path, force, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", who, err);
		return -1;
	}
	if (emit(o.f, rs, n) != 0) {
		os_out_discard(&o);
		char shown[300];
		fprintf(stderr, "%s: %s: cannot write: %s\n", who,
			os_path_show(path, shown, sizeof(shown)),
			strerror(errno));
		return -1;
	}
	if (os_out_commit(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", who, err);
		return -1;
	}
	return 0;
}

int report_finish(const char *who, const struct sim_report *rs, size_t n,
		  const char *junit, const char *json, bool force)
{
	int code = report_exit_code(rs, n);
	if (junit && report_file(who, junit, force, report_junit, rs, n) < 0)
		code = 3;
	if (json && report_file(who, json, force, report_json, rs, n) < 0)
		code = 3;
	if (sim_interrupted() && code == 0)
		code = 3;
	return code;
}

/* ---- worker serialisation: u32 counts, strings as u32 length (0xffffffff
 * for NULL) and bytes ---- */

static int put(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int put_u32(int fd, uint32_t v)
{
	return put(fd, &v, sizeof(v));
}

static int put_str(int fd, const char *s)
{
	if (!s)
		return put_u32(fd, UINT32_MAX);
	size_t n = strlen(s);
	return put_u32(fd, (uint32_t)n) || put(fd, s, n) ? -1 : 0;
}

int report_send(int fd, const struct sim_report *r)
{
	int e = put_str(fd, r->path) | put_str(fd, r->title) |
		put_u32(fd, r->outcome) | put_str(fd, r->message) |
		put_u32(fd, (uint32_t)r->ms) | put_str(fd, r->proxy_log) |
		put_str(fd, r->kept_dir) | put_u32(fd, (uint32_t)r->nclients);
	for (size_t i = 0; !e && i < r->nclients; i++) {
		const struct sim_client_report *c = &r->clients[i];
		e |= put_str(fd, c->name) | put_u32(fd, c->line) |
		     put_u32(fd, c->passed) | put_str(fd, c->summary) |
		     put_str(fd, c->failure) | put_u32(fd, c->fail_line) |
		     put_str(fd, c->hint) | put_str(fd, c->trace) |
		     put_u32(fd, (uint32_t)c->ms);
	}
	return e ? -1 : 0;
}

static int get(int fd, void *p, size_t n)
{
	char *b = p;
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int get_u32(int fd, uint32_t *v)
{
	return get(fd, v, sizeof(*v));
}

static int get_str(int fd, char **s)
{
	uint32_t n;
	*s = NULL;
	if (get_u32(fd, &n))
		return -1;
	if (n == UINT32_MAX)
		return 0;
	if (n > (64u << 20) || !(*s = malloc((size_t)n + 1)))
		return -1;
	(*s)[n] = '\0';
	return get(fd, *s, n);
}

int report_recv(int fd, struct sim_report *r)
{
	memset(r, 0, sizeof(*r));
	uint32_t outcome = 0, ms = 0, n = 0;
	int e = get_str(fd, &r->path) || get_str(fd, &r->title) ||
		get_u32(fd, &outcome) || get_str(fd, &r->message) ||
		get_u32(fd, &ms) || get_str(fd, &r->proxy_log) ||
		get_str(fd, &r->kept_dir) || get_u32(fd, &n) || n > 100000;
	r->outcome = (enum sim_outcome)outcome;
	r->ms = ms;
	if (e)
		return -1;
	r->clients = calloc(n ? n : 1, sizeof(*r->clients));
	if (!r->clients)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		struct sim_client_report *c = &r->clients[i];
		uint32_t line, passed, fl, cms;
		if (get_str(fd, &c->name) || get_u32(fd, &line) ||
		    get_u32(fd, &passed) || get_str(fd, &c->summary) ||
		    get_str(fd, &c->failure) || get_u32(fd, &fl) ||
		    get_str(fd, &c->hint) || get_str(fd, &c->trace) ||
		    get_u32(fd, &cms)) {
			r->nclients = i + 1; /* freed with the rest */
			return -1;
		}
		c->line = line;
		c->passed = passed;
		c->fail_line = fl;
		c->ms = cms;
		r->nclients = i + 1;
	}
	return 0;
}
