/* The config-generator fuzz targets' shared part (fuzz_proxy_gen.h).
 *
 * The invariant: no input may produce a config with a directive the
 * generator did not intend. The scenario's block (or the included file)
 * is pasted verbatim on purpose; everything else a generator prints is its
 * own skeleton with values filled in (the run dir, log and certificate
 * paths, the component's name, module names, the include path in
 * comments). So, for a config that was generated:
 *   - a spec holding a value that could leave its line or its quotes
 *     (control character, DEL, '"', '\\') must have been refused;
 *   - every line outside the block is a comment or starts with one of the
 *     generator's own keywords (its intended set below), and each quoted
 *     string on it ends on that line;
 *   - the block's lines are exactly where the generator says it put them
 *     (g.block_first, g.block_lines: what maps proxy errors back to the
 *     scenario);
 *   - the lines outside the block have the same keywords and the same
 *     number of quoted strings, in the same order, as the config generated
 *     from the same spec with plain paths and name: a value cannot add,
 *     remove or split a directive.
 *
 * fuzz_proxy_one's input: byte 0 is flags (bit 0 an http listener, bit 1
 * an https listener, neither: http; bit 2 include mode, the text is the
 * included file's; bit 3 a CA file), then fields separated by NUL bytes,
 * each optional (a default when absent):
 *   0 the component's name ("front")       1 its directory's name ("front")
 *   2 the include file's name ("vhost.conf") 3 the block or file text ("")
 *   4 the certificate's file name            5 the key's file name
 *   6 the CA's file name                     7 an extra Apache module
 *   8 a map's "from"                         9 its "to"
 * File names are made usable ('/' becomes '_'); the files are created in a
 * scratch directory, so a name may hold a newline or a quote as a
 * directory under a hostile $TMPDIR would. */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_proxy_gen.h"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_proxy: %s\n%s\n", what, detail ? detail : "");
	abort();
}

static char scratch[PATH_MAX];

static void scratch_remove(void)
{
	if (scratch[0])
		fuzz_rm_rf(scratch);
}

const char *fuzz_scratch(void)
{
	if (!scratch[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(scratch, sizeof(scratch), "%s/wssim-fuzz-XXXXXX",
			 t && *t ? t : "/tmp");
		if (!mkdtemp(scratch))
			fail("cannot make a scratch dir", strerror(errno));
		atexit(scratch_remove);
	}
	return scratch;
}

void fuzz_path(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
	if (n < 0 || n >= PATH_MAX)
		fail("a path too long", a);
}

static int rm_entry(const char *path, const struct stat *sb, int type,
		    struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

void fuzz_rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int fuzz_write(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	while (s) {
		size_t r = fread(s + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
		if (n + 1 == cap) {
			char *t = realloc(s, cap * 2);
			if (!t) {
				free(s);
				s = NULL;
				break;
			}
			s = t;
			cap *= 2;
		}
	}
	fclose(f);
	if (s)
		s[n] = '\0';
	return s;
}

int fuzz_value_clean(const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

static bool spec_clean(const struct proxy_spec *s)
{
	const char *v[] = {s->name,	 s->dir,      s->include,
			   s->cert_file, s->key_file, s->ca_file};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!fuzz_value_clean(v[i]))
			return false;
	for (size_t i = 0; s->modules && s->modules[i]; i++)
		if (!fuzz_value_clean(s->modules[i]))
			return false;
	for (size_t i = 0; i < s->nmaps; i++)
		if (!fuzz_value_clean(s->map_from[i]) ||
		    !fuzz_value_clean(s->map_to[i]))
			return false;
	return true;
}

/* ---- the generators' own directives ---- */

static const char *const apache_words[] = {
    "ServerRoot",
    "ServerName",
    "PidFile",
    "ErrorLog",
    "LogLevel",
    "DefaultRuntimeDir",
    "Mutex",
    "DocumentRoot",
    "<IfModule",
    "LoadModule",
    "</IfModule>",
    "User",
    "Group",
    "TypesConfig",
    "StartServers",
    "ServerLimit",
    "ThreadsPerChild",
    "MaxRequestWorkers",
    "MinSpareThreads",
    "MaxSpareThreads",
    "Listen",
    "SSLSessionCache",
    "SSLProxyCACertificateFile",
    "Include",
    "<VirtualHost",
    "SSLEngine",
    "SSLCertificateFile",
    "SSLCertificateKeyFile",
    "</VirtualHost>",
    NULL,
};

static const char *const nginx_words[] = {
    "user",
    "worker_processes",
    "pid",
    "error_log",
    "events",
    "http",
    "access_log",
    "client_body_temp_path",
    "proxy_temp_path",
    "fastcgi_temp_path",
    "uwsgi_temp_path",
    "scgi_temp_path",
    "proxy_ssl_trusted_certificate",
    "server",
    "listen",
    "ssl_certificate",
    "ssl_certificate_key",
    "server_name",
    "}",
    NULL,
};

static const char *const haproxy_words[] = {
    "global",  "log",	   "defaults", "mode", "option",
    "timeout", "frontend", "bind",     NULL,
};

static const char *const *words_of(enum scn_comp_kind k)
{
	return k == SCN_APACHE	? apache_words
	       : k == SCN_NGINX ? nginx_words
				: haproxy_words;
}

struct line {
	const char *s;
	size_t n;
};

/* Split text into lines (a last line without '\n' counts). */
static struct line *split(const char *text, size_t *nlines)
{
	size_t cap = 16, n = 0;
	struct line *l = malloc(cap * sizeof(*l));
	for (const char *s = text; l && *s;) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (n == cap) {
			struct line *t = realloc(l, cap * 2 * sizeof(*l));
			if (!t) {
				free(l);
				return NULL;
			}
			l = t;
			cap *= 2;
		}
		l[n].s = s;
		l[n].n = len;
		n++;
		s += len + (e ? 1 : 0);
	}
	*nlines = n;
	return l;
}

/* The shape of one of the generator's lines: its keyword and how many
 * quoted strings it holds; -1 strings when a quote does not end on the
 * line or the line ends in a backslash (both would run into the next). */
struct shape {
	char word[64];
	int strings;
};

static struct shape line_shape(const char *s, size_t n)
{
	struct shape sh = {"", 0};
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] == '#') {
		snprintf(sh.word, sizeof(sh.word), "#");
		return sh;
	}
	size_t w = i;
	while (w < n && s[w] != ' ' && s[w] != '\t')
		w++;
	snprintf(sh.word, sizeof(sh.word), "%.*s",
		 (int)(w - i < 63 ? w - i : 63), s + i);
	bool in = false;
	for (size_t k = i; k < n; k++) {
		if (s[k] == '\\') {
			if (k + 1 == n) {
				sh.strings = -1;
				return sh;
			}
			k++;
		} else if (s[k] == '"') {
			in = !in;
			sh.strings += in;
		}
	}
	if (in)
		sh.strings = -1;
	return sh;
}

struct cfg {
	char *text, *block_text; /* the main file; the block file if other */
	struct line *l, *bl;
	size_t n, bn;
	bool *in_block; /* per line of the main file */
};

static void cfg_free(struct cfg *c)
{
	free(c->text);
	free(c->block_text);
	free(c->l);
	free(c->bl);
	free(c->in_block);
}

/* The text the generator pastes: the block, or the include file with the
 * maps applied one after another (as proxy_include_copy does). */
static char *pasted(const struct proxy_spec *spec)
{
	if (!spec->include)
		return strdup(spec->config ? spec->config : "");
	char *text = slurp(spec->include);
	for (size_t m = 0; text && m < spec->nmaps; m++) {
		const char *from = spec->map_from[m], *to = spec->map_to[m];
		size_t fl = strlen(from), tl = strlen(to), hits = 0;
		if (!fl)
			continue;
		for (const char *h = text; (h = strstr(h, from)); h += fl)
			hits++;
		char *out = malloc(strlen(text) + hits * tl + 1);
		if (!out)
			break;
		char *o = out;
		const char *s = text;
		for (const char *h; (h = strstr(s, from)); s = h + fl) {
			memcpy(o, s, (size_t)(h - s));
			o += h - s;
			memcpy(o, to, tl);
			o += tl;
		}
		strcpy(o, s);
		free(text);
		text = out;
	}
	return text;
}

/* Read the generated config and check everything that needs no second
 * config (see the file comment). */
static void cfg_read(const struct proxy_spec *spec, const struct proxy_gen *g,
		     struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->text = slurp(g->conf);
	if (!c->text)
		fail("the generator said OK but wrote no config", g->conf);
	c->l = split(c->text, &c->n);
	c->in_block = calloc(c->n + 1, sizeof(bool));
	if (!c->l || !c->in_block)
		fail("out of memory", NULL);
	char *paste = pasted(spec);
	if (!paste)
		fail("cannot read back the pasted text", spec->include);
	size_t pn = 0;
	struct line *pl = split(paste, &pn);
	if (!pl)
		fail("out of memory", NULL);
	bool same_file = strcmp(g->block_file, g->conf) == 0;
	if (g->nblocks && g->block_lines != pn)
		fail("block_lines is not the pasted text's line count",
		     c->text);
	if (same_file) {
		for (size_t b = 0; b < g->nblocks; b++) {
			size_t first = g->block_first[b];
			if (first < 1 || first - 1 + pn > c->n)
				fail("the block lies outside the config",
				     c->text);
			for (size_t k = 0; k < pn; k++) {
				const struct line *x = &c->l[first - 1 + k];
				if (x->n != pl[k].n ||
				    memcmp(x->s, pl[k].s, x->n))
					fail("a line of the block is not "
					     "where the generator put it",
					     c->text);
				c->in_block[first - 1 + k] = true;
			}
		}
	} else if (g->nblocks) {
		/* Apache: a file with its own virtual hosts, Included at
		 * server level: our note, then its lines, each as written,
		 * a <VirtualHost> pointed at our listener, or a Listen line
		 * commented out */
		c->block_text = slurp(g->block_file);
		if (!c->block_text)
			fail("no block file", g->block_file);
		c->bl = split(c->block_text, &c->bn);
		if (!c->bl || c->bn != pn + 1 || g->block_first[0] != 2 ||
		    c->bl[0].n == 0 || c->bl[0].s[0] != '#')
			fail("the included copy is not the file's lines",
			     c->block_text);
		for (size_t k = 0; k < pn; k++) {
			const struct line *x = &c->bl[k + 1];
			bool same =
			    x->n == pl[k].n && memcmp(x->s, pl[k].s, x->n) == 0;
			bool vhost =
			    x->n > 23 &&
			    !memcmp(x->s, "<VirtualHost 127.0.0.1:", 23);
			bool off = x->n > 9 && !memcmp(x->s, "# wssim: ", 9);
			if (!same && !vhost && !off)
				fail("a line of the included copy changed",
				     c->block_text);
		}
	}
	free(pl);
	free(paste);
	const char *const *words = words_of(spec->kind);
	for (size_t i = 0; i < c->n; i++) {
		if (c->in_block[i])
			continue;
		struct shape sh = line_shape(c->l[i].s, c->l[i].n);
		bool known = strcmp(sh.word, "#") == 0;
		for (size_t k = 0; !known && words[k]; k++)
			known = strcmp(sh.word, words[k]) == 0;
		if (!known || sh.strings < 0) {
			char m[160];
			snprintf(m, sizeof(m),
				 "line %zu: %s '%s' outside the block", i + 1,
				 known ? "an unterminated string after"
				       : "a directive it did not intend,",
				 sh.word);
			fail(m, c->text);
		}
	}
}

static int generate(const struct proxy_spec *spec, struct proxy_gen *g,
		    char *err, size_t errlen)
{
	memset(g, 0, sizeof(*g));
	switch (spec->kind) {
	case SCN_APACHE:
		return proxy_apache_generate(spec, g, err, errlen);
	case SCN_NGINX:
		return proxy_nginx_generate(spec, g, err, errlen);
	default:
		return proxy_haproxy_generate(spec, g, err, errlen);
	}
}

int fuzz_proxy_check(const struct proxy_spec *spec,
		     const struct proxy_spec *plain)
{
	char err[1024] = "";
	struct proxy_gen g;
	int rc = generate(spec, &g, err, sizeof(err));
	if (getenv("WSSIM_FUZZ_VERBOSE"))
		fprintf(stderr, "generate: %d %s\n", rc, err);
	if (rc != PROXY_OK)
		return rc;
	struct cfg c;
	cfg_read(spec, &g, &c);
	if (plain) {
		struct proxy_gen pg;
		char perr[1024];
		if (generate(plain, &pg, perr, sizeof(perr)) == PROXY_OK) {
			struct cfg p;
			cfg_read(plain, &pg, &p);
			size_t i = 0, k = 0;
			for (;;) {
				while (i < c.n && c.in_block[i])
					i++;
				while (k < p.n && p.in_block[k])
					k++;
				if (i == c.n || k == p.n)
					break;
				struct shape a = line_shape(c.l[i].s, c.l[i].n);
				struct shape b = line_shape(p.l[k].s, p.l[k].n);
				if (strcmp(a.word, b.word) ||
				    a.strings != b.strings)
					fail("a value changed the config's "
					     "shape",
					     c.text);
				i++;
				k++;
			}
			if (i != c.n || k != p.n || g.nblocks != pg.nblocks)
				fail("a value added or removed lines", c.text);
			cfg_free(&p);
		}
	}
	if (!spec_clean(spec)) {
		char m[PATH_MAX + 64];
		snprintf(m, sizeof(m), "dir %s, include %s, name %s", spec->dir,
			 spec->include ? spec->include : "(none)",
			 spec->name ? spec->name : "(none)");
		fail("a value with a control character, a quote or a "
		     "backslash was accepted",
		     m);
	}
	cfg_free(&c);
	return rc;
}

/* ---- the fields target ---- */

/* A file name from a field: at most 64 bytes, '/' as '_', never empty,
 * "." or "..". */
static void file_name(const char *f, const char *dflt, char *out, size_t n)
{
	if (!f || !*f)
		f = dflt;
	snprintf(out, n < 65 ? n : 65, "%s", f);
	for (char *s = out; *s; s++)
		if (*s == '/')
			*s = '_';
	if (!strcmp(out, ".") || !strcmp(out, ".."))
		snprintf(out, n, "%s", dflt);
}

struct paths {
	char dir[PATH_MAX], src[PATH_MAX], include[PATH_MAX];
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
};

/* Make the directories and files of a spec under `root`. */
static int make_files(const char *root, const char *dirname,
		      const char *incname, const char *text, bool include,
		      const char *cert, const char *key, const char *ca,
		      struct paths *p)
{
	char sub[PATH_MAX];
	fuzz_path(sub, root, "run");
	fuzz_path(p->src, root, "src");
	fuzz_path(p->dir, sub, dirname);
	fuzz_path(p->include, p->src, incname);
	fuzz_path(p->cert, p->dir, cert);
	fuzz_path(p->key, p->dir, key);
	fuzz_path(p->ca, p->dir, ca);
	if (mkdir(root, 0700) || mkdir(sub, 0700) || mkdir(p->src, 0700) ||
	    mkdir(p->dir, 0700))
		return -1;
	static const char pem[] = "-----BEGIN X-----\n-----END X-----\n";
	if (include && fuzz_write(p->include, text, strlen(text)))
		return -1;
	/* names may collide (cert and key called alike): fine */
	if (fuzz_write(p->cert, pem, sizeof(pem) - 1) ||
	    fuzz_write(p->key, pem, sizeof(pem) - 1) ||
	    fuzz_write(p->ca, pem, sizeof(pem) - 1))
		return -1;
	return 0;
}

int fuzz_proxy_one(enum scn_comp_kind kind, const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192)
		return 0;
	unsigned flags = data[0];
	/* the fields, NUL-separated */
	char *buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	const char *f[10] = {NULL};
	size_t nf = 0;
	for (char *s = buf; nf < 10 && s < buf + size;) {
		f[nf++] = s;
		s += strlen(s) + 1;
	}
	bool include = flags & 4;
	const char *text = f[3] ? f[3] : "";
	char dirname[80], incname[80], cert[80], key[80], ca[80];
	file_name(f[1], "front", dirname, sizeof(dirname));
	file_name(f[2], "vhost.conf", incname, sizeof(incname));
	file_name(f[4], "cert.pem", cert, sizeof(cert));
	file_name(f[5], "key.pem", key, sizeof(key));
	file_name(f[6], "ca.pem", ca, sizeof(ca));

	char root[PATH_MAX], proot[PATH_MAX];
	fuzz_path(root, fuzz_scratch(), "f");
	fuzz_path(proot, fuzz_scratch(), "p");
	struct paths p, q;
	if (make_files(root, dirname, incname, text, include, cert, key, ca,
		       &p) ||
	    make_files(proot, "front", "vhost.conf", text, include, "cert.pem",
		       "key.pem", "ca.pem", &q))
		goto out;

	const char *mods[2] = {f[7] && *f[7] ? f[7] : NULL, NULL};
	const char *from[1] = {f[8]}, *to[1] = {f[9] ? f[9] : ""};
	struct proxy_spec s;
	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.name = f[0] && *f[0] ? f[0] : "front";
	s.dir = p.dir;
	s.config = include ? NULL : text;
	s.config_line = 3;
	s.include = include ? p.include : NULL;
	s.map_from = from;
	s.map_to = to;
	s.nmaps = include && f[8] && *f[8] ? 1 : 0;
	s.modules = mods;
	s.http_port = (flags & 3) != 2 ? 10080 : -1;
	s.https_port = flags & 2 ? 10443 : -1;
	s.cert_file = flags & 2 ? p.cert : NULL;
	s.key_file = flags & 2 ? p.key : NULL;
	s.ca_file = flags & 8 ? p.ca : NULL;

	struct proxy_spec plain = s;
	plain.name = "front";
	plain.dir = q.dir;
	plain.include = include ? q.include : NULL;
	plain.cert_file = flags & 2 ? q.cert : NULL;
	plain.key_file = flags & 2 ? q.key : NULL;
	plain.ca_file = flags & 8 ? q.ca : NULL;
	fuzz_proxy_check(&s, &plain);
out:
	fuzz_rm_rf(root);
	fuzz_rm_rf(proot);
	free(buf);
	return 0;
}
