/* Macros at parse time: every `${comp.field}` of a template is recorded
 * with its position and checked once the whole file is read, when every
 * component is known (a macro may name a component declared further
 * down). The same deferred check covers the other references to
 * components: stop, start, expect backend, map. Expansion is
 * scn_expand.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"

void scn_ref_add(struct scn_parser *p, enum scn_ref_kind kind, const char *comp,
		 const char *field, struct scn_pos pos, const char *what)
{
	p->refs = scn_push(p, p->refs, &p->nrefs, sizeof(*p->refs));
	struct scn_ref *r = &p->refs[p->nrefs - 1];
	r->kind = kind;
	r->pos = pos;
	r->comp = scn_strdup(p, comp);
	if (field)
		r->field = scn_strdup(p, field);
	r->what = scn_strdup(p, what);
}

void scn_template_check(struct scn_parser *p, const char *s, size_t len,
			struct scn_pos pos, bool in_config)
{
	for (size_t i = 0; i < len;) {
		if (s[i] == '\n') {
			pos.line++;
			pos.col = 1;
			i++;
			continue;
		}
		if (s[i] == '$' && i + 2 < len && s[i + 1] == '$' &&
		    s[i + 2] == '{') {
			i += 3; /* $${ is a literal ${ */
			pos.col += 3;
			continue;
		}
		if (!(s[i] == '$' && i + 1 < len && s[i + 1] == '{')) {
			i++;
			pos.col++;
			continue;
		}
		size_t j = i + 2;
		int depth = 1;
		while (j < len && depth) {
			if (s[j] == '{')
				depth++;
			else if (s[j] == '}')
				depth--;
			else if (s[j] == '\n')
				break;
			j++;
		}
		if (depth) {
			if (!in_config)
				scn_fail(p, pos,
					 "unterminated macro (no closing '}')");
			i += 2; /* Apache's problem */
			pos.col += 2;
			continue;
		}
		/* s[i..j) is the whole macro, s[i+2..j-1) its inside */
		size_t n = j - i;
		char *m = scn_alloc(p, n + 1);
		memcpy(m, s + i, n);
		char *inner = m + 2;
		m[n - 1] = 0;
		char *dot = strchr(inner, '.');
		char what[160];
		snprintf(what, sizeof(what), "macro '${%.100s}'", inner);
		if (dot)
			*dot = 0;
		if (!in_config && (!dot || !*inner || !dot[1])) {
			free(m);
			scn_fail(p, pos,
				 "%s: a macro is ${component.field}, e.g. "
				 "${t1.http}",
				 what);
		}
		scn_ref_add(p, in_config ? SCN_REF_CONFIG : SCN_REF_MACRO,
			    inner, dot ? dot + 1 : NULL, pos, what);
		free(m);
		pos.col += (unsigned)n;
		i = j;
	}
}

static void fields_of(const struct scn_component *c, char *buf, size_t n)
{
	static const char *const names[] = {"http", "https", "ajp", "host"};
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < 4; i++)
		if (scn_comp_has_field(c, names[i]))
			off += (size_t)snprintf(buf + off, n - off, "%s%s",
						off ? ", " : "", names[i]);
}

static const char *kind_name(enum scn_comp_kind k)
{
	switch (k) {
	case SCN_TOMCAT:
		return "a tomcat";
	case SCN_APACHE:
		return "an apache";
	case SCN_NGINX:
		return "an nginx";
	case SCN_HAPROXY:
		return "a haproxy";
	case SCN_EXTERNAL:
		return "a proxy";
	}
	return "?";
}

static void ref_check(struct scn_parser *p, const struct scn_ref *r)
{
	const struct scn_component *c = scn_find_comp(p->f, r->comp);
	char fields[64];
	if (!c) {
		if (r->kind == SCN_REF_CONFIG)
			return; /* Apache's own ${VAR} */
		scn_fail(p, r->pos, "%s: no component named '%s'", r->what,
			 r->comp);
	}
	fields_of(c, fields, sizeof(fields));
	if (r->kind == SCN_REF_TOMCAT) {
		if (c->kind != SCN_TOMCAT)
			scn_fail(p, r->pos, "%s: '%s' is %s, not a tomcat",
				 r->what, r->comp, kind_name(c->kind));
		if (!r->field)
			return;
		static const char *const conns[] = {"http", "https", "ajp"};
		for (int i = 0; i < SCN_NCONN; i++)
			if (!strcmp(r->field, conns[i]) && c->listen[i].on)
				return;
		char list[32] = "";
		size_t off = 0;
		for (int i = 0; i < SCN_NCONN; i++)
			if (c->listen[i].on)
				off += (size_t)snprintf(
				    list + off, sizeof(list) - off, "%s%s",
				    off ? ", " : "", conns[i]);
		scn_fail(p, r->pos,
			 "%s: tomcat '%s' has no connector '%s' (it has: %s)",
			 r->what, r->comp, r->field, list);
	}
	if (!r->field)
		scn_fail(p, r->pos,
			 "%s: '%s' is a component, so the macro needs a field "
			 "(it has: %s)",
			 r->what, r->comp, fields);
	if (!scn_comp_has_field(c, r->field))
		scn_fail(p, r->pos,
			 "%s: component '%s' has no field '%s' (it has: %s)",
			 r->what, r->comp, r->field, fields);
}

void scn_refs_check(struct scn_parser *p)
{
	for (size_t i = 0; i < p->nrefs; i++)
		ref_check(p, &p->refs[i]);
}
