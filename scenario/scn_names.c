/* The one namespace of component and client names: an open-addressing
 * hash set kept by the parser, so that checking a name is O(1) and a file
 * of 100k clients parses in linear time (a scan of every earlier name made
 * it quadratic: 31 s to reach a syntax error at the end). */
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"

struct scn_name {
	char *name; /* owned; NULL: a free slot */
	struct scn_pos pos;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct scn_name *slot(struct scn_name *v, size_t cap, const char *s)
{
	size_t i = (size_t)hash(s) & (cap - 1);
	while (v[i].name && strcmp(v[i].name, s))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static void grow(struct scn_parser *p)
{
	size_t cap = p->names_cap ? p->names_cap * 2 : 64;
	struct scn_name *v = calloc(cap, sizeof(*v));
	if (!v)
		scn_fail(p, p->tok.pos, "out of memory");
	for (size_t i = 0; i < p->names_cap; i++)
		if (p->names[i].name)
			*slot(v, cap, p->names[i].name) = p->names[i];
	free(p->names);
	p->names = v;
	p->names_cap = cap;
}

bool scn_names_add(struct scn_parser *p, const char *name, struct scn_pos pos,
		   struct scn_pos *first)
{
	if ((p->names_n + 1) * 2 > p->names_cap)
		grow(p);
	struct scn_name *s = slot(p->names, p->names_cap, name);
	if (s->name) {
		*first = s->pos;
		return false;
	}
	s->name = strdup(name);
	if (!s->name)
		scn_fail(p, pos, "out of memory");
	s->pos = pos;
	p->names_n++;
	return true;
}

void scn_names_free(struct scn_parser *p)
{
	for (size_t i = 0; i < p->names_cap; i++)
		free(p->names[i].name);
	free(p->names);
	p->names = NULL;
	p->names_cap = p->names_n = 0;
}
