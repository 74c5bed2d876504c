/* Run-time macro expansion: `${comp.field}` becomes what the resolver
 * says (an address with an ephemeral port); `$${` is a literal `${`. In a
 * config block a macro the resolver does not know is the proxy's own
 * (Apache's Define, %{...} is not a macro at all) and stays as written.
 * The parser has already checked every macro, so a failure here is a
 * caller's bug or a template built by hand, or a resolver's value that
 * holds a control character, '"' or '\\' (it could end the line or the
 * quoted string it lands in, in a proxy's config: refused, never
 * pasted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"

struct out {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 64;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *ns = realloc(o->s, cap);
		if (!ns) {
			o->oom = true;
			return;
		}
		o->s = ns;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = 0;
}

/* No control character, DEL, '"' or '\\'. */
static bool clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

char *scn_expand(const char *tmpl, bool in_config, scn_resolve_cb resolve,
		 void *ctx, char *err, size_t errlen)
{
	struct out o = {0};
	size_t len = strlen(tmpl);
	put(&o, "", 0);
	for (size_t i = 0; i < len;) {
		if (tmpl[i] == '$' && tmpl[i + 1] == '$' &&
		    tmpl[i + 2] == '{') {
			put(&o, "${", 2);
			i += 3;
			continue;
		}
		if (!(tmpl[i] == '$' && tmpl[i + 1] == '{')) {
			size_t j = i + 1;
			while (j < len && tmpl[j] != '$')
				j++;
			put(&o, tmpl + i, j - i);
			i = j;
			continue;
		}
		size_t j = i + 2;
		int depth = 1;
		while (j < len && depth) {
			if (tmpl[j] == '{')
				depth++;
			else if (tmpl[j] == '}')
				depth--;
			j++;
		}
		/* tmpl[i..j) is the macro when depth is 0 */
		char name[256], value[512];
		size_t n = j - i;
		bool ok = false;
		const char *dot = NULL;
		if (!depth && n - 3 < sizeof(name)) {
			memcpy(name, tmpl + i + 2, n - 3);
			name[n - 3] = 0;
			char *d = strchr(name, '.');
			dot = d;
			if (d && d != name && d[1]) {
				*d = 0;
				value[0] = 0;
				ok = resolve(ctx, name, d + 1, value,
					     sizeof(value)) == 0;
				*d = '.';
			}
		}
		if (ok && !clean(value)) {
			/* a value may not end the line or the quoted string
			 * it lands in (the parser refuses such addresses;
			 * this holds for any resolver) */
			snprintf(err, errlen,
				 "macro '%.*s' resolves to a value with a "
				 "control character, '\"' or '\\'",
				 (int)(n > 100 ? 100 : n), tmpl + i);
			free(o.s);
			return NULL;
		}
		if (ok) {
			put(&o, value, strlen(value));
		} else if (in_config) {
			put(&o, tmpl + i, depth ? 2 : n);
		} else {
			snprintf(err, errlen, "%s macro '%.*s'",
				 depth	? "unterminated"
				 : !dot ? "malformed"
					: "cannot resolve",
				 (int)(n > 100 ? 100 : n), tmpl + i);
			free(o.s);
			return NULL;
		}
		i += depth ? 2 : n;
	}
	if (o.oom) {
		snprintf(err, errlen, "out of memory");
		free(o.s);
		return NULL;
	}
	return o.s;
}
