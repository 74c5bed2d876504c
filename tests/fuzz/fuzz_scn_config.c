/* libFuzzer target for what a scenario's proxy declarations become: the
 * input is .scn text. A file that parses must hold no value that could
 * leave its line or its quotes in a generated config (include path, map
 * from, module name, an external proxy's address: no control character,
 * DEL, '"' or '\\'); expanding a config block with macros must keep its
 * lines and quotes (a macro's value adds none); and each apache, nginx and
 * haproxy component, turned into a spec as `wssim run` does (block
 * expanded, include relative to the scenario, maps resolved), must give a
 * config that passes fuzz_proxy_check (no directive the generator did not
 * intend). A relative include path is created as a file beside the
 * scenario, so the generators see it; one that names anything but a
 * regular file is left alone. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_proxy_gen.h"
#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_scn_config: %s\n", what);
		abort();
	}
}

/* As sim/run_topo.c's run_resolve, with fixed ports. */
static int resolve(void *ctx, const char *comp, const char *field, char *out,
		   size_t outlen)
{
	const struct scn_file *f = ctx;
	const struct scn_component *c = scn_find_comp(f, comp);
	if (!c || !scn_comp_has_field(c, field))
		return -1;
	if (!strcmp(field, "host"))
		snprintf(out, outlen, "127.0.0.1");
	else if (c->kind == SCN_EXTERNAL)
		snprintf(out, outlen, "%s", c->address);
	else if (strstr(field, "_port"))
		snprintf(out, outlen, "%d", 10000 + (int)(c - f->comps));
	else
		snprintf(out, outlen, "127.0.0.1:%d",
			 10000 + (int)(c - f->comps));
	return 0;
}

static size_t count(const char *s, char ch)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == ch;
	return n;
}

static const char *const sample[] = {
    [SCN_APACHE] = "ProxyPass / http://backend:8080/\n",
    [SCN_NGINX] = "location / { proxy_pass http://backend:8080; }\n",
    [SCN_HAPROXY] = "default_backend be\nbackend be\n"
		    "  server s1 backend:8080\n",
};

static void one_proxy(const struct scn_file *f, const struct scn_component *c,
		      const char *root, const char *config)
{
	char dir[PATH_MAX], pdir[PATH_MAX], inc[PATH_MAX], pinc[PATH_MAX];
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], sub[PATH_MAX];
	char name[300];
	fuzz_path(sub, root, "run");
	fuzz_path(dir, sub, c->name);
	fuzz_path(ca, sub, "ca.pem");
	snprintf(name, sizeof(name), "%.200s-https.pem", c->name);
	fuzz_path(cert, sub, name);
	snprintf(name, sizeof(name), "%.200s-https.key", c->name);
	fuzz_path(key, sub, name);
	fuzz_path(sub, root, "plain");
	fuzz_path(pdir, sub, c->name);
	mkdir(dir, 0700);
	mkdir(pdir, 0700);
	static const char pem[] = "-----BEGIN X-----\n-----END X-----\n";
	fuzz_write(cert, pem, sizeof(pem) - 1);
	fuzz_write(key, pem, sizeof(pem) - 1);
	fuzz_write(ca, pem, sizeof(pem) - 1);
	const char *text = sample[c->kind];
	bool wrote = false;
	if (c->include) {
		fuzz_path(sub, root, "src");
		if (c->include[0] == '/')
			snprintf(inc, sizeof(inc), "%.4000s", c->include);
		else
			fuzz_path(inc, sub, c->include);
		if (c->include[0] != '/' && !strchr(c->include, '/'))
			wrote = fuzz_write(inc, text, strlen(text)) == 0;
		fuzz_path(sub, root, "plainsrc");
		fuzz_path(pinc, sub, c->name);
		fuzz_write(pinc, text, strlen(text));
	}
	const char *from[8], *to[8];
	char vals[8][600];
	size_t nmaps = c->nmaps < 8 ? c->nmaps : 8;
	for (size_t i = 0; i < nmaps; i++) {
		from[i] = c->maps[i].from;
		check(resolve((void *)f, c->maps[i].to_comp,
			      c->maps[i].to_field, vals[i],
			      sizeof(vals[i])) == 0,
		      "a map target that parsed does not resolve");
		to[i] = vals[i];
	}
	struct proxy_spec s;
	memset(&s, 0, sizeof(s));
	s.kind = c->kind;
	s.name = c->name;
	s.dir = dir;
	s.config = config;
	s.config_line = c->config_pos.line;
	s.include = c->include ? inc : NULL;
	s.map_from = from;
	s.map_to = to;
	s.nmaps = nmaps;
	const char *mods[9] = {NULL}; /* NULL-ended, as the spec wants */
	for (size_t i = 0; i < c->nmodules && i < 8; i++)
		mods[i] = c->modules[i];
	s.modules = mods;
	s.http_port = c->listen[SCN_CONN_HTTP].on ? 10080 : -1;
	s.https_port = c->listen[SCN_CONN_HTTPS].on ? 10443 : -1;
	s.cert_file = s.https_port > 0 ? cert : NULL;
	s.key_file = s.https_port > 0 ? key : NULL;
	s.ca_file = ca;
	struct proxy_spec plain = s;
	plain.dir = pdir;
	plain.include = c->include ? pinc : NULL;
	/* an include that is not a regular file (a path that climbs out to
	 * /dev/zero) is not the generator's business: reading it is */
	struct stat st;
	if (c->include && (stat(inc, &st) != 0 || !S_ISREG(st.st_mode)))
		return;
	/* the plain twin's include must be the same file's text */
	if (c->include && !wrote)
		fuzz_proxy_check(&s, NULL);
	else
		fuzz_proxy_check(&s, &plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	struct scn_file *f;
	struct scn_error err;
	if (scn_parse_string("fuzz.scn", (const char *)data, size, &f, &err))
		return 0;
	char root[PATH_MAX];
	fuzz_path(root, fuzz_scratch(), "scn");
	mkdir(root, 0700);
	const char *subs[] = {"run", "plain", "src", "plainsrc"};
	for (size_t i = 0; i < 4; i++) {
		char d[PATH_MAX];
		fuzz_path(d, root, subs[i]);
		mkdir(d, 0700);
	}
	for (size_t i = 0; i < f->ncomps; i++) {
		const struct scn_component *c = &f->comps[i];
		if (c->kind == SCN_EXTERNAL) {
			check(fuzz_value_clean(c->address),
			      "an address that could leave its line parsed");
			continue;
		}
		if (c->kind == SCN_TOMCAT)
			continue;
		check(fuzz_value_clean(c->include),
		      "an include path that could leave its line parsed");
		for (size_t k = 0; k < c->nmaps; k++)
			check(fuzz_value_clean(c->maps[k].from) &&
				  fuzz_value_clean(c->maps[k].to_comp) &&
				  fuzz_value_clean(c->maps[k].to_field),
			      "a map that could leave its line parsed");
		for (size_t k = 0; k < c->nmodules; k++)
			check(fuzz_value_clean(c->modules[k]),
			      "a module name that could leave its line "
			      "parsed");
		char *config = NULL;
		if (c->config) {
			char e[256];
			config = scn_expand(c->config, true, resolve, f, e,
					    sizeof(e));
			/* NULL: a macro's value was refused */
			if (config)
				check(count(config, '\n') ==
					      count(c->config, '\n') &&
					  count(config, '"') ==
					      count(c->config, '"'),
				      "a macro's value added a line or a "
				      "quote");
		}
		if (!c->config || config)
			one_proxy(f, c, root, config);
		free(config);
	}
	fuzz_rm_rf(root);
	scn_free(f);
	return 0;
}
