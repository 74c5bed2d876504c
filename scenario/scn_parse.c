/* The .scn parser's entry points and top level: `scenario`, `timeout`,
 * the component and client declarations (scn_comp.c, scn_client.c), then
 * the checks that need the whole file (macros and other references to
 * components, at least one client). Errors unwind with longjmp to
 * scn_parse_string, which frees the partial tree. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os_file.h"
#include "scn_int.h"

/* Names of components and clients share one namespace. */
void scn_check_name(struct scn_parser *p, const struct scn_tok *t)
{
	char b[64];
	if (t->kind != SCN_T_WORD)
		scn_fail(p, t->pos, "expected a name, got %s",
			 scn_tok_desc(t, b, sizeof(b)));
	if (!scn_is_name(t->s))
		scn_fail(p, t->pos,
			 "bad name '%.60s' (a letter or '_', then letters, "
			 "digits, '_' or '-')",
			 t->s);
	struct scn_pos first = {0, 0};
	if (!scn_names_add(p, t->s, t->pos, &first))
		scn_fail(p, t->pos,
			 "duplicate name '%s' (first declared at %u:%u)", t->s,
			 first.line, first.col);
}

static void parse_top(struct scn_parser *p, bool *have_title,
		      bool *have_timeout)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	if (t->kind == SCN_T_RBRACE)
		scn_fail(p, t->pos, "'}' without '{'");
	if (t->kind == SCN_T_LBRACE)
		scn_fail(p, t->pos,
			 "unexpected '{' (a block follows a "
			 "component or client declaration)");
	if (t->kind != SCN_T_WORD)
		scn_fail(p, t->pos,
			 "unexpected %s (expected scenario, timeout, tomcat, "
			 "apache, nginx, haproxy, proxy, client)",
			 scn_tok_desc(t, b, sizeof(b)));
	struct scn_pos pos = t->pos;
	if (scn_word_is(t, "scenario")) {
		if (*have_title)
			scn_fail(p, pos, "a second 'scenario' title");
		*have_title = true;
		t = scn_next(p);
		if (t->kind != SCN_T_STRING && t->kind != SCN_T_WORD)
			scn_fail(p, t->pos,
				 "expected the scenario's title, got %s",
				 scn_tok_desc(t, b, sizeof(b)));
		if (memchr(t->s, 0, t->len))
			scn_fail(p, t->pos, "the title holds a NUL byte");
		p->f->title = scn_take(p, NULL);
	} else if (scn_word_is(t, "timeout")) {
		if (*have_timeout)
			scn_fail(p, pos, "a second top-level 'timeout'");
		*have_timeout = true;
		t = scn_next(p);
		p->f->timeout_ms = scn_duration(p, t);
		if (!p->f->timeout_ms)
			scn_fail(p, t->pos, "a timeout must be more than 0");
	} else if (scn_word_is(t, "tomcat")) {
		scn_parse_component(p, SCN_TOMCAT);
	} else if (scn_word_is(t, "apache")) {
		scn_parse_component(p, SCN_APACHE);
	} else if (scn_word_is(t, "nginx")) {
		scn_parse_component(p, SCN_NGINX);
	} else if (scn_word_is(t, "haproxy")) {
		scn_parse_component(p, SCN_HAPROXY);
	} else if (scn_word_is(t, "proxy")) {
		scn_parse_component(p, SCN_EXTERNAL);
	} else if (scn_word_is(t, "client")) {
		scn_parse_client(p);
	} else {
		scn_fail(p, pos,
			 "unknown statement %s (expected scenario, timeout, "
			 "tomcat, apache, nginx, haproxy, proxy, client)",
			 scn_tok_desc(t, b, sizeof(b)));
	}
	scn_expect_end(p);
}

static void parse_all(struct scn_parser *p)
{
	bool have_title = false, have_timeout = false, any = false;
	for (;;) {
		const struct scn_tok *t = scn_peek(p);
		if (t->kind == SCN_T_EOF)
			break;
		if (t->kind == SCN_T_NL || t->kind == SCN_T_SEMI) {
			scn_next(p);
			continue;
		}
		any = true;
		parse_top(p, &have_title, &have_timeout);
	}
	struct scn_pos start = {1, 1};
	if (!any)
		scn_fail(p, start,
			 "empty scenario (nothing but blank lines and "
			 "comments)");
	scn_refs_check(p);
	if (p->topology && !p->f->ncomps)
		scn_fail(p, start,
			 "no component: a setup declares a tomcat or a proxy "
			 "(apache, nginx, haproxy, proxy ... at)");
	if (!p->topology && !p->f->nclients)
		scn_fail(p, start,
			 "no client: a scenario needs at least one 'client'");
	scn_clients_check(p);
}

static int parse_text(const char *name, const char *text, size_t len,
		      bool topology, struct scn_file **out,
		      struct scn_error *err)
{
	struct scn_parser p;
	memset(&p, 0, sizeof(p));
	memset(err, 0, sizeof(*err));
	*out = NULL;
	/* a UTF-8 byte order mark, as some editors save: not part of the
	 * text (nothing shows it, so an error at it would make no sense) */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	scn_lex_init(&p, name, text, len);
	p.err = err;
	p.topology = topology;
	p.f = calloc(1, sizeof(*p.f));
	int rc = -1;
	if (!p.f || !(p.f->path = strdup(name))) {
		struct scn_pos none = {0, 0};
		scn_error_set(err, name, NULL, 0, none, "out of memory");
		goto done;
	}
	p.f->timeout_ms = SCN_DEFAULT_TIMEOUT;
	if (setjmp(p.fail) == 0) {
		parse_all(&p);
		rc = 0;
	}
done:
	scn_lex_done(&p);
	scn_names_free(&p);
	for (size_t i = 0; i < p.nrefs; i++) {
		free(p.refs[i].comp);
		free(p.refs[i].field);
		free(p.refs[i].what);
	}
	free(p.refs);
	if (rc == 0) {
		*out = p.f;
	} else {
		scn_free(p.f);
	}
	return rc;
}

int scn_parse_string(const char *name, const char *text, size_t len,
		     struct scn_file **out, struct scn_error *err)
{
	return parse_text(name, text, len, false, out, err);
}

static int parse_file(const char *path, bool topology, struct scn_file **out,
		      struct scn_error *err)
{
	struct scn_pos none = {0, 0};
	*out = NULL;
	memset(err, 0, sizeof(*err));
	char *buf = NULL, why[PATH_MAX + 300];
	size_t len = 0;
	if (os_read_file(path, OS_MAX_TEXT_FILE, &buf, &len, why,
			 sizeof(why)) != 0) {
		scn_error_set(err, path, NULL, 0, none, os_err_why(why, path));
		return -1;
	}
	int rc = parse_text(path, buf, len, topology, out, err);
	free(buf);
	return rc;
}

int scn_parse_file(const char *path, struct scn_file **out,
		   struct scn_error *err)
{
	return parse_file(path, false, out, err);
}

int scn_parse_topology_file(const char *path, struct scn_file **out,
			    struct scn_error *err)
{
	return parse_file(path, true, out, err);
}
