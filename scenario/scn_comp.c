/* Component declarations: `tomcat NAME { connector ... }`, the proxies
 * under test `apache|nginx|haproxy NAME { listen ...; config {...} |
 * include "file"; map ...; module ...; version >= X }` and an already
 * running `proxy NAME at HOST:PORT [https]`. A config block is read raw
 * (scn_lex_raw) and kept verbatim, minus the first line break, trailing
 * blanks and the indentation its lines share. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"

static const char *const conn_names[SCN_NCONN] = {"http", "https", "ajp"};

static int conn_index(const struct scn_tok *t)
{
	for (int i = 0; i < SCN_NCONN; i++)
		if (scn_word_is(t, conn_names[i]))
			return i;
	return -1;
}

static const char *const cert_names[] = {"valid", "self-signed", "expired",
					 "wrong-host"};

static enum scn_cert_kind parse_cert(struct scn_parser *p)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	for (int i = 0; i < 4; i++)
		if (scn_word_is(t, cert_names[i]))
			return (enum scn_cert_kind)i;
	scn_fail(p, t->pos,
		 "unknown certificate %s (expected valid, self-signed, "
		 "expired, wrong-host)",
		 scn_tok_desc(t, b, sizeof(b)));
}

/* A value that may be quoted or bare. */
static char *value(struct scn_parser *p, const char *what)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	if (t->kind != SCN_T_STRING && t->kind != SCN_T_WORD)
		scn_fail(p, t->pos, "expected %s, got %s", what,
			 scn_tok_desc(t, b, sizeof(b)));
	if (memchr(t->s, 0, t->len))
		scn_fail(p, t->pos, "%s holds a NUL byte", what);
	return scn_take(p, NULL);
}

/* A value that a generated config prints (an include path, a map's
 * address and target, an external proxy's address, which macros expand
 * to): no control character, DEL, '"' or '\\', any of which could end its
 * line or its quoted string there and start a directive of its own. */
static void config_value_check(struct scn_parser *p, struct scn_pos pos,
			       const char *what, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			scn_fail(p, pos,
				 "%s holds a control character (0x%02x): it "
				 "would end its line in the proxy's generated "
				 "config",
				 what, c);
		if (c == '"' || c == '\\')
			scn_fail(p, pos,
				 "%s holds a '%c': it would end its quoted "
				 "string in the proxy's generated config",
				 what, c);
	}
}

static void parse_connector(struct scn_parser *p, struct scn_component *c,
			    const char *kw)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	int i = conn_index(t);
	bool tomcat = c->kind == SCN_TOMCAT;
	if (i < 0 || (!tomcat && i == SCN_CONN_AJP))
		scn_fail(p, t->pos, "unknown %s %s (expected %s)", kw,
			 scn_tok_desc(t, b, sizeof(b)),
			 tomcat ? "http, https, ajp" : "http, https");
	struct scn_listen *l = &c->listen[i];
	if (l->on)
		scn_fail(p, t->pos, "%s %s declared twice (first at %u:%u)", kw,
			 conn_names[i], l->pos.line, l->pos.col);
	l->on = true;
	l->pos = t->pos;
	while (!scn_is_end(scn_peek(p))) {
		t = scn_next(p);
		if (i == SCN_CONN_HTTPS && scn_word_is(t, "cert")) {
			l->cert = parse_cert(p);
		} else if (i == SCN_CONN_AJP && scn_word_is(t, "secret")) {
			if (l->secret)
				scn_fail(p, t->pos, "a second 'secret'");
			l->secret = value(p, "the AJP secret");
		} else if (i == SCN_CONN_AJP && scn_word_is(t, "packet-size")) {
			if (l->packet_size)
				scn_fail(p, t->pos, "a second 'packet-size'");
			l->packet_size = (unsigned)scn_number(
			    p, scn_next(p), "AJP packet size", 8192, 65536);
		} else {
			scn_fail(p, t->pos, "unexpected %s after '%s %s' (%s)",
				 scn_tok_desc(t, b, sizeof(b)), kw,
				 conn_names[i],
				 i == SCN_CONN_HTTPS ? "expected cert KIND"
				 : i == SCN_CONN_AJP
				     ? "expected secret \"S\" or packet-size N"
				     : "it takes no options");
		}
	}
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

struct line {
	const char *s;
	size_t n;
};

/* The verbatim text of a config block from its raw bytes (see the file
 * comment; docs/scenario.md states the same rules). */
static char *dedent(struct scn_parser *p, const char *raw, size_t len,
		    struct scn_pos *pos)
{
	const char *nl = memchr(raw, '\n', len);
	if (!nl) { /* config { one line } */
		size_t a = 0, b = len;
		while (a < b && (raw[a] == ' ' || raw[a] == '\t'))
			a++;
		while (b > a && (raw[b - 1] == ' ' || raw[b - 1] == '\t'))
			b--;
		pos->col += (unsigned)a;
		char *out = scn_alloc(p, b - a + 1);
		memcpy(out, raw + a, b - a);
		return out;
	}
	size_t nlines = 1;
	for (size_t i = 0; i < len; i++)
		nlines += raw[i] == '\n';
	struct line *l = scn_alloc(p, nlines * sizeof(*l));
	size_t k = 0;
	for (size_t i = 0, start = 0; i <= len; i++) {
		if (i == len || raw[i] == '\n') {
			size_t n = i - start;
			while (n && (raw[start + n - 1] == ' ' ||
				     raw[start + n - 1] == '\t' ||
				     raw[start + n - 1] == '\r'))
				n--;
			l[k].s = raw + start;
			l[k].n = n;
			k++;
			start = i + 1;
		}
	}
	size_t first = 0, last = nlines; /* [first, last) kept */
	bool first_inline = false;
	if (blank(l[0].s, l[0].n)) {
		first = 1;
		pos->line++;
		pos->col = 1;
	} else { /* text right after `{`: its own indentation is not shared */
		first_inline = true;
		while (l[0].n && (*l[0].s == ' ' || *l[0].s == '\t')) {
			l[0].s++;
			l[0].n--;
			pos->col++;
		}
	}
	if (last > first && blank(l[last - 1].s, l[last - 1].n))
		last--;
	/* the indentation shared by the non-blank lines */
	const char *pre = NULL;
	size_t npre = 0;
	for (size_t i = first + first_inline; i < last; i++) {
		if (!l[i].n)
			continue;
		size_t w = 0;
		while (w < l[i].n && (l[i].s[w] == ' ' || l[i].s[w] == '\t'))
			w++;
		if (!pre) {
			pre = l[i].s;
			npre = w;
		} else {
			size_t m = 0;
			while (m < npre && m < w && pre[m] == l[i].s[m])
				m++;
			npre = m;
		}
	}
	if (first == 1 && first < last && l[first].n >= npre)
		pos->col += (unsigned)npre;
	size_t total = 1;
	for (size_t i = first; i < last; i++)
		total += l[i].n + 1;
	char *out = scn_alloc(p, total);
	size_t o = 0;
	for (size_t i = first; i < last; i++) {
		size_t skip = (i == 0 && first_inline) || !l[i].n ? 0 : npre;
		memcpy(out + o, l[i].s + skip, l[i].n - skip);
		o += l[i].n - skip;
		out[o++] = '\n';
	}
	free(l);
	return out;
}

static void parse_config(struct scn_parser *p, struct scn_component *c,
			 struct scn_pos kw)
{
	const struct scn_tok *t = scn_peek(p);
	char b[64];
	if (t->kind != SCN_T_LBRACE)
		scn_fail(p, t->pos, "expected '{' after 'config', got %s",
			 scn_tok_desc(t, b, sizeof(b)));
	if (c->config || c->include)
		scn_fail(p, kw, "%s: one config block or one include, not both",
			 c->config ? "a second config block" : "config");
	struct scn_pos open = t->pos, start_pos;
	scn_next(p);
	size_t start, end;
	scn_lex_raw(p, open, &start, &end, &start_pos);
	scn_template_check(p, p->src + start, end - start, start_pos, true);
	c->config_pos = start_pos;
	c->config = dedent(p, p->src + start, end - start, &c->config_pos);
}

static void parse_map(struct scn_parser *p, struct scn_component *c)
{
	c->maps = scn_push(p, c->maps, &c->nmaps, sizeof(*c->maps));
	struct scn_map *m = &c->maps[c->nmaps - 1];
	m->pos = p->tok.pos;
	m->from = value(p, "the address to map, as in map \"backend:8009\" "
			   "t1.ajp");
	config_value_check(p, p->tok.pos, "the address to map", m->from);
	const struct scn_tok *t = scn_next(p);
	char b[64];
	const char *dot = t->kind == SCN_T_WORD ? strchr(t->s, '.') : NULL;
	if (!dot || dot == t->s || !dot[1])
		scn_fail(p, t->pos,
			 "expected the target component.field (as in t1.ajp), "
			 "got %s",
			 scn_tok_desc(t, b, sizeof(b)));
	config_value_check(p, t->pos, "the map target", t->s);
	m->to_comp = scn_alloc(p, (size_t)(dot - t->s) + 1);
	memcpy(m->to_comp, t->s, (size_t)(dot - t->s));
	m->to_field = scn_strdup(p, dot + 1);
	char what[160];
	snprintf(what, sizeof(what), "map target '%.100s'", t->s);
	scn_ref_add(p, SCN_REF_MAP, m->to_comp, m->to_field, t->pos, what);
}

static bool version_ok(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return false;
	for (; *s; s++) {
		if (*s == '.' && isdigit((unsigned char)s[1]))
			continue;
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

static void parse_proxy_item(struct scn_parser *p, struct scn_component *c)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	struct scn_pos pos = t->pos;
	bool apache = c->kind == SCN_APACHE;
	if (scn_word_is(t, "listen")) {
		parse_connector(p, c, "listen");
	} else if (scn_word_is(t, "config")) {
		parse_config(p, c, pos);
	} else if (scn_word_is(t, "include")) {
		if (c->config || c->include)
			scn_fail(
			    p, pos,
			    "%s: one config block or one include, not both",
			    c->include ? "a second include" : "include");
		c->include = value(p, "the path of a config file");
		c->include_pos = p->tok.pos;
		if (!*c->include)
			scn_fail(p, p->tok.pos, "empty include path");
		config_value_check(p, p->tok.pos, "the include path",
				   c->include);
	} else if (scn_word_is(t, "map")) {
		parse_map(p, c);
	} else if (apache && scn_word_is(t, "module")) {
		t = scn_next(p);
		if (t->kind != SCN_T_WORD || !scn_is_name(t->s) ||
		    strchr(t->s, '-'))
			scn_fail(p, t->pos,
				 "expected an Apache module name (as in "
				 "proxy_wstunnel), got %s",
				 scn_tok_desc(t, b, sizeof(b)));
		c->modules =
		    scn_push(p, c->modules, &c->nmodules, sizeof(*c->modules));
		c->modules[c->nmodules - 1] = scn_take(p, NULL);
	} else if (scn_word_is(t, "version")) {
		if (c->min_version)
			scn_fail(p, pos, "a second 'version'");
		t = scn_next(p);
		if (!scn_word_is(t, ">="))
			scn_fail(p, t->pos,
				 "expected '>=' after 'version' (as in version "
				 ">= 2.4.47), got %s",
				 scn_tok_desc(t, b, sizeof(b)));
		t = scn_next(p);
		if (t->kind != SCN_T_WORD || !version_ok(t->s))
			scn_fail(p, t->pos,
				 "expected a version (as in 2.4.47), got %s",
				 scn_tok_desc(t, b, sizeof(b)));
		c->min_version = scn_take(p, NULL);
	} else {
		scn_fail(p, pos, "unknown %s option %s (expected listen, %s%s)",
			 c->kind == SCN_APACHE	? "apache"
			 : c->kind == SCN_NGINX ? "nginx"
						: "haproxy",
			 scn_tok_desc(t, b, sizeof(b)),
			 apache ? "module, " : "",
			 "version, config, include, map");
	}
	scn_expect_end(p);
}

static void parse_tomcat_item(struct scn_parser *p, struct scn_component *c)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	if (!scn_word_is(t, "connector"))
		scn_fail(p, t->pos,
			 "unknown tomcat option %s (expected connector)",
			 scn_tok_desc(t, b, sizeof(b)));
	parse_connector(p, c, "connector");
	scn_expect_end(p);
}

static void parse_block(struct scn_parser *p, struct scn_component *c)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	if (t->kind != SCN_T_LBRACE)
		scn_fail(p, t->pos, "expected '{' after '%s', got %s", c->name,
			 scn_tok_desc(t, b, sizeof(b)));
	struct scn_pos open = t->pos;
	for (;;) {
		t = scn_peek(p);
		if (t->kind == SCN_T_EOF)
			scn_fail(p, open,
				 "unterminated block (this '{' is "
				 "never closed)");
		if (t->kind == SCN_T_RBRACE) {
			scn_next(p);
			return;
		}
		if (t->kind == SCN_T_NL || t->kind == SCN_T_SEMI) {
			scn_next(p);
			continue;
		}
		if (c->kind == SCN_TOMCAT)
			parse_tomcat_item(p, c);
		else
			parse_proxy_item(p, c);
	}
}

static void parse_address(struct scn_parser *p, struct scn_component *c)
{
	const struct scn_tok *t = scn_next(p);
	char b[64];
	if (!scn_word_is(t, "at"))
		scn_fail(p, t->pos,
			 "expected 'at HOST:PORT' after the proxy's name, got "
			 "%s",
			 scn_tok_desc(t, b, sizeof(b)));
	t = scn_next(p);
	const char *colon = t->kind == SCN_T_WORD || t->kind == SCN_T_STRING
				? strrchr(t->s, ':')
				: NULL;
	if (!colon || colon == t->s || memchr(t->s, 0, t->len))
		scn_fail(p, t->pos,
			 "expected the proxy's address HOST:PORT (as in "
			 "127.0.0.1:8080), got %s",
			 scn_tok_desc(t, b, sizeof(b)));
	struct scn_tok port = *t;
	port.s = (char *)colon + 1;
	port.len = strlen(port.s);
	port.pos.col +=
	    (unsigned)(colon + 1 - t->s) + (t->kind == SCN_T_STRING ? 1 : 0);
	port.kind = SCN_T_WORD;
	config_value_check(p, t->pos, "the proxy's address", t->s);
	scn_number(p, &port, "port", 1, 65535);
	c->address = scn_take(p, NULL);
	int i = SCN_CONN_HTTP;
	if (!scn_is_end(scn_peek(p))) {
		t = scn_next(p);
		if (scn_word_is(t, "https"))
			i = SCN_CONN_HTTPS;
		else if (!scn_word_is(t, "http"))
			scn_fail(p, t->pos,
				 "unexpected %s after the address (expected "
				 "http or https)",
				 scn_tok_desc(t, b, sizeof(b)));
	}
	c->listen[i].on = true;
	c->listen[i].pos = t->pos;
}

void scn_parse_component(struct scn_parser *p, enum scn_comp_kind kind)
{
	struct scn_pos kw = p->tok.pos;
	const char *kwname = kind == SCN_TOMCAT	   ? "tomcat"
			     : kind == SCN_APACHE  ? "apache"
			     : kind == SCN_NGINX   ? "nginx"
			     : kind == SCN_HAPROXY ? "haproxy"
						   : "proxy";
	const struct scn_tok *t = scn_next(p);
	scn_check_name(p, t);
	struct scn_file *f = p->f;
	f->comps = scn_push(p, f->comps, &f->ncomps, sizeof(*f->comps));
	struct scn_component *c = &f->comps[f->ncomps - 1];
	c->kind = kind;
	c->pos = t->pos;
	c->name = scn_take(p, NULL);
	if (kind == SCN_EXTERNAL) {
		parse_address(p, c);
		return;
	}
	parse_block(p, c);
	bool any = false;
	for (int i = 0; i < SCN_NCONN; i++)
		any |= c->listen[i].on;
	if (!any)
		scn_fail(p, kw,
			 kind == SCN_TOMCAT
			     ? "%s '%s' declares no connector (connector "
			       "http, https or ajp)"
			     : "%s '%s' declares no listener (listen http "
			       "or https)",
			 kwname, c->name);
	if (kind != SCN_TOMCAT && !c->config && !c->include)
		scn_fail(p, kw,
			 "%s '%s' has no configuration (a config { ... } block "
			 "or an include \"file\")",
			 kwname, c->name);
}
