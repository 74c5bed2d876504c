/* Apache httpd (Debian's apache2) under test: the generated httpd.conf
 * (a private ServerRoot, pid file, error log, mutex and runtime dir,
 * loopback listeners, the modules the scenario's directives need, an HTTPS
 * virtual host with the run's certificate) and the reading of Apache's
 * "Syntax error on line N" answer. Starting and stopping is proxy.c's. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy_int.h"

#define APACHE_MODULE_DIR "/usr/lib/apache2/modules"

/* Every module the derivation knows, in load order (a module after those
 * it needs: proxy before proxy_*, xml2enc before proxy_html). */
static const char *const known_modules[] = {
    "mpm_event",
    "authz_core",
    "authz_host",
    "access_compat",
    "log_config",
    "mime",
    "dir",
    "alias",
    "env",
    "setenvif",
    "headers",
    "rewrite",
    "socache_shmcb",
    "ssl",
    "proxy",
    "proxy_http",
    "proxy_wstunnel",
    "proxy_ajp",
    "proxy_fcgi",
    "proxy_http2",
    "slotmem_shm",
    "proxy_balancer",
    "lbmethod_byrequests",
    "xml2enc",
    "proxy_html",
    "filter",
    "deflate",
    "expires",
    "remoteip",
    "reqtimeout",
    "http2",
    "macro",
};
#define NKNOWN (sizeof(known_modules) / sizeof(known_modules[0]))

/* Modules compiled into Debian's apache2 (`apache2 -l`): no .so. */
static const char *const builtin_modules[] = {
    "log_config", "logio", "version", "unixd", "so", "watchdog", NULL,
};

static bool is_builtin(const char *m)
{
	for (size_t i = 0; builtin_modules[i]; i++)
		if (strcmp(builtin_modules[i], m) == 0)
			return true;
	return false;
}

static size_t known_index(const char *m)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strcmp(known_modules[i], m) == 0)
			return i;
	return NKNOWN;
}

/* Does the word [w, w+n) start with `prefix` (case-insensitive)? */
static bool word_has_prefix(const char *w, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);
	return n >= pn && strncasecmp(w, prefix, pn) == 0;
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return n == strlen(s) && strncasecmp(w, s, n) == 0;
}

/* Case-insensitive search within [s, s+n). */
static bool line_has(const char *s, size_t n, const char *needle)
{
	size_t nn = strlen(needle);
	for (size_t i = 0; i + nn <= n; i++)
		if (strncasecmp(s + i, needle, nn) == 0)
			return true;
	return false;
}

/* The [flags] of a RewriteRule line contain P (proxy)? */
static bool rewrite_proxies(const char *s, size_t n)
{
	const char *open = NULL;
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '[') {
			open = s + i - 1;
			break;
		}
	if (!open)
		return false;
	const char *end = s + n;
	for (const char *p = open + 1; p < end && *p != ']';) {
		const char *f = p;
		while (p < end && *p != ',' && *p != ']')
			p++;
		size_t fl = (size_t)(p - f);
		while (fl && isspace((unsigned char)*f))
			f++, fl--;
		if (word_is(f, fl, "P") || word_is(f, fl, "proxy"))
			return true;
		if (p < end && *p == ',')
			p++;
	}
	return false;
}

struct modset {
	bool want[NKNOWN];
};

static void want(struct modset *ms, const char *m)
{
	size_t i = known_index(m);
	if (i < NKNOWN)
		ms->want[i] = true;
}

static void derive_line(struct modset *ms, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	if (!n || *s == '#')
		return;
	bool section = *s == '<';
	if (section) {
		s++, n--;
		if (n && *s == '/')
			return;
	}
	size_t wl = 0;
	while (wl < n && !isspace((unsigned char)s[wl]) && s[wl] != '>')
		wl++;
	bool proxy_line = false;
	if (word_has_prefix(s, wl, "ProxyHTML")) {
		want(ms, "xml2enc");
		want(ms, "proxy_html");
	} else if (word_has_prefix(s, wl, "ProxyWebsocket")) {
		want(ms, "proxy");
		want(ms, "proxy_wstunnel");
	} else if (word_has_prefix(s, wl, "Proxy") ||
		   word_is(s, wl, "BalancerMember")) {
		proxy_line = true;
	} else if (word_is(s, wl, "RewriteRule")) {
		want(ms, "rewrite");
		proxy_line = rewrite_proxies(s, n);
	} else if (word_has_prefix(s, wl, "Rewrite")) {
		want(ms, "rewrite");
	} else if (word_has_prefix(s, wl, "SSL")) {
		want(ms, "socache_shmcb");
		want(ms, "ssl");
	} else if (word_is(s, wl, "Header") ||
		   word_is(s, wl, "RequestHeader")) {
		want(ms, "headers");
	} else if (word_has_prefix(s, wl, "Alias") ||
		   word_has_prefix(s, wl, "Redirect") ||
		   word_has_prefix(s, wl, "ScriptAlias")) {
		want(ms, "alias");
	} else if (word_is(s, wl, "Require")) {
		if (line_has(s, n, " ip ") || line_has(s, n, " host ") ||
		    line_has(s, n, " forward-dns "))
			want(ms, "authz_host");
	} else if (word_is(s, wl, "Order") || word_is(s, wl, "Allow") ||
		   word_is(s, wl, "Deny") || word_is(s, wl, "Satisfy")) {
		want(ms, "access_compat");
	} else if (word_has_prefix(s, wl, "SetEnvIf") ||
		   word_has_prefix(s, wl, "BrowserMatch")) {
		want(ms, "setenvif");
	} else if (word_is(s, wl, "SetEnv") || word_is(s, wl, "UnsetEnv") ||
		   word_is(s, wl, "PassEnv")) {
		want(ms, "env");
	} else if (word_is(s, wl, "CustomLog") || word_is(s, wl, "LogFormat") ||
		   word_is(s, wl, "TransferLog")) {
		want(ms, "log_config");
	} else if (word_is(s, wl, "DirectoryIndex") ||
		   word_is(s, wl, "DirectorySlash")) {
		want(ms, "dir");
	} else if (word_has_prefix(s, wl, "AddType") ||
		   word_is(s, wl, "AddHandler") ||
		   word_is(s, wl, "ForceType")) {
		want(ms, "mime");
	} else if (word_is(s, wl, "AddOutputFilterByType")) {
		want(ms, "filter");
		want(ms, "deflate");
	} else if (word_has_prefix(s, wl, "Deflate")) {
		want(ms, "deflate");
	} else if (word_has_prefix(s, wl, "Expires")) {
		want(ms, "expires");
	} else if (word_has_prefix(s, wl, "RemoteIP")) {
		want(ms, "remoteip");
	} else if (word_is(s, wl, "RequestReadTimeout")) {
		want(ms, "reqtimeout");
	} else if (word_is(s, wl, "Protocols") ||
		   word_has_prefix(s, wl, "H2")) {
		if (line_has(s, n, "h2"))
			want(ms, "http2");
	} else if (word_is(s, wl, "Macro") || word_is(s, wl, "Use")) {
		want(ms, "macro");
	}
	if (!proxy_line)
		return;
	want(ms, "proxy");
	if (line_has(s, n, "ajp://"))
		want(ms, "proxy_ajp");
	if (line_has(s, n, "ws://") || line_has(s, n, "wss://"))
		want(ms, "proxy_wstunnel");
	if (line_has(s, n, "http://") || line_has(s, n, "https://") ||
	    line_has(s, n, "upgrade="))
		want(ms, "proxy_http");
	if (line_has(s, n, "fcgi://"))
		want(ms, "proxy_fcgi");
	if (line_has(s, n, "h2c://") || line_has(s, n, "h2://"))
		want(ms, "proxy_http2");
	if (line_has(s, n, "balancer://") || word_is(s, wl, "BalancerMember")) {
		want(ms, "slotmem_shm");
		want(ms, "proxy_balancer");
		want(ms, "lbmethod_byrequests");
	}
}

/* "mod_proxy_http.so", "proxy_http_module" -> "proxy_http" (in place of
 * a copy of at most outlen bytes). */
static void module_base(const char *m, char *out, size_t outlen)
{
	if (strncmp(m, "mod_", 4) == 0)
		m += 4;
	snprintf(out, outlen, "%s", m);
	size_t n = strlen(out);
	static const char *const suffixes[] = {".so", ".c", "_module"};
	for (size_t i = 0; i < 3; i++) {
		size_t sl = strlen(suffixes[i]);
		if (n > sl && strcmp(out + n - sl, suffixes[i]) == 0) {
			out[n - sl] = '\0';
			n -= sl;
		}
	}
}

size_t proxy_apache_modules(const char *config, bool https,
			    const char *const *extra,
			    char (*out)[PROXY_MODULE_NAME], size_t max)
{
	struct modset ms = {{false}};
	want(&ms, "mpm_event");
	want(&ms, "authz_core");
	if (https) {
		want(&ms, "socache_shmcb");
		want(&ms, "ssl");
	}
	for (const char *s = config; s && *s;) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		derive_line(&ms, s, n);
		s += n + (e ? 1 : 0);
	}
	/* extras that the table knows take their place in the load order */
	for (size_t j = 0; extra && extra[j]; j++) {
		char base[PROXY_MODULE_NAME];
		module_base(extra[j], base, sizeof(base));
		want(&ms, base);
		if (strncmp(base, "proxy_", 6) == 0)
			want(&ms, "proxy");
	}
	size_t k = 0;
	for (size_t i = 0; i < NKNOWN && k < max; i++)
		if (ms.want[i])
			snprintf(out[k++], PROXY_MODULE_NAME, "%s",
				 known_modules[i]);
	for (size_t j = 0; extra && extra[j] && k < max; j++) {
		char base[PROXY_MODULE_NAME];
		module_base(extra[j], base, sizeof(base));
		bool dup = false;
		for (size_t i = 0; i < k; i++)
			dup |= strcmp(out[i], base) == 0;
		if (!dup && base[0])
			snprintf(out[k++], PROXY_MODULE_NAME, "%s", base);
	}
	return k;
}

/* Include mode: a vhost file names its own addresses (`*:80`, `*:443`);
 * point each <VirtualHost> at our listener (443 -> https, else http) and
 * disable its Listen lines, keeping the line count so errors still map. */
static char *retarget_vhosts(const char *text, const struct proxy_spec *spec)
{
	struct proxy_buf b = {0};
	/* one line ahead of the file's own (Apache allows no comment after
	 * a section's '>') */
	proxy_buf_printf(&b,
			 "# wssim: the file's <VirtualHost> addresses point at "
			 "our listeners (:443 -> https), its Listen lines are "
			 "off\n");
	for (const char *s = text; *s;) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		const char *t = s;
		while (t < s + n && isspace((unsigned char)*t))
			t++;
		size_t rest = (size_t)(s + n - t);
		if (rest > 12 && strncasecmp(t, "<VirtualHost", 12) == 0 &&
		    isspace((unsigned char)t[12])) {
			bool tls = line_has(t, rest, ":443");
			int port = tls && spec->https_port > 0
				       ? spec->https_port
				       : spec->http_port;
			if (port <= 0)
				port = spec->https_port;
			proxy_buf_printf(&b, "<VirtualHost 127.0.0.1:%d>\n",
					 port);
		} else if (rest > 7 && strncasecmp(t, "Listen", 6) == 0 &&
			   isspace((unsigned char)t[6])) {
			proxy_buf_printf(&b, "# wssim: %.*s\n", (int)rest, t);
		} else {
			proxy_buf_printf(&b, "%.*s\n", (int)n, s);
		}
		s += n + (e ? 1 : 0);
	}
	if (b.oom) {
		proxy_buf_free(&b);
		return NULL;
	}
	return b.s;
}

static int paste_vhost(struct proxy_buf *b, struct proxy_gen *g, int port,
		       bool tls, const struct proxy_spec *spec,
		       const char *block)
{
	proxy_buf_printf(b, "<VirtualHost 127.0.0.1:%d>\n", port);
	if (tls)
		proxy_buf_printf(b,
				 "SSLEngine on\nSSLCertificateFile \"%s\"\n"
				 "SSLCertificateKeyFile \"%s\"\n",
				 spec->cert_file, spec->key_file);
	if (block && *block) {
		proxy_buf_printf(b, "# the scenario's block (%s line %u)\n",
				 g->origin ? g->origin : "scenario",
				 g->origin_line);
		if (g->nblocks < PROXY_MAX_BLOCKS)
			g->block_first[g->nblocks++] = b->lines + 1;
		proxy_buf_block(b, block);
	}
	proxy_buf_printf(b, "</VirtualHost>\n");
	return 0;
}

int proxy_apache_generate(const struct proxy_spec *spec, struct proxy_gen *g,
			  char *err, size_t errlen)
{
	const char *d = spec->dir;
	const char *name = spec->name ? spec->name : "apache";
	bool https = spec->https_port > 0;
	int r = proxy_gen_begin(spec, g, "httpd.conf", "httpd.pid", "error.log",
				err, errlen);
	if (r != 0)
		return r;
	char sub[PATH_MAX];
	snprintf(sub, sizeof(sub), "%s/run", d);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/htdocs", d);
	mkdir(sub, 0755);

	/* The text the modules are derived from, and where it goes. */
	char *text = NULL;
	const char *block = spec->config;
	bool include_at_server = false;
	char incl[PATH_MAX] = "";
	if (spec->include) {
		const char *base = strrchr(spec->include, '/');
		base = base ? base + 1 : spec->include;
		snprintf(incl, sizeof(incl), "%s/include-%s", d, base);
		text = proxy_include_copy(spec, incl, err, errlen);
		if (!text)
			return PROXY_E_CONFIG;
		g->origin = spec->include;
		g->origin_line = 1;
		if (line_has(text, strlen(text), "<VirtualHost")) {
			/* the file has its own virtual hosts: Include it at
			 * server level, pointed at our listeners */
			char *re = retarget_vhosts(text, spec);
			if (!re || proxy_write_file(incl, re, strlen(re), err,
						    errlen) != 0) {
				if (!re)
					snprintf(err, errlen, "out of memory");
				free(re);
				free(text);
				return PROXY_E_CONFIG;
			}
			free(re);
			include_at_server = true;
			snprintf(g->block_file, sizeof(g->block_file), "%s",
				 incl);
			g->block_first[0] = 2; /* after retarget's note */
			g->nblocks = 1;
			g->block_lines = proxy_count_lines(text);
			block = NULL;
		} else {
			block = text;
		}
	}
	if (block)
		g->block_lines = proxy_count_lines(block);

	char mods[PROXY_MAX_MODULES][PROXY_MODULE_NAME];
	size_t nmods =
	    proxy_apache_modules(text ? text : spec->config, https,
				 spec->modules, mods, PROXY_MAX_MODULES);
	bool mime = access("/etc/mime.types", R_OK) == 0;
	if (mime && nmods < PROXY_MAX_MODULES) {
		bool have = false;
		for (size_t i = 0; i < nmods; i++)
			have |= strcmp(mods[i], "mime") == 0;
		if (!have)
			snprintf(mods[nmods++], PROXY_MODULE_NAME, "mime");
	}
	for (size_t i = 0; i < nmods; i++) {
		char so[PATH_MAX];
		snprintf(so, sizeof(so), "%s/mod_%s.so", APACHE_MODULE_DIR,
			 mods[i]);
		if (!is_builtin(mods[i]) && access(so, R_OK) != 0) {
			snprintf(err, errlen,
				 "%s: Apache module %s is not installed (%s "
				 "missing; apt-get install apache2, or "
				 "scripts/setup.sh)",
				 name, mods[i], so);
			free(text);
			return PROXY_E_MISSING;
		}
	}

	struct proxy_buf b = {0};
	proxy_buf_printf(&b,
			 "# Generated by wssim for component \"%s\": a "
			 "private server on loopback.\n",
			 name);
	proxy_buf_printf(&b,
			 "ServerRoot \"%s\"\nServerName 127.0.0.1\n"
			 "PidFile \"%s\"\nErrorLog \"%s\"\n"
			 "# warn keeps proxy and TLS failures (AH01102, "
			 "AH00898, AH02039...) and start-up notices\n"
			 "LogLevel warn\n"
			 "DefaultRuntimeDir \"%s/run\"\n"
			 "Mutex \"file:%s/run\" default\n"
			 "DocumentRoot \"%s/htdocs\"\n",
			 d, g->pidfile, g->error_log, d, d, d);
	for (size_t i = 0; i < nmods; i++) {
		char so[PATH_MAX];
		snprintf(so, sizeof(so), "%s/mod_%s.so", APACHE_MODULE_DIR,
			 mods[i]);
		if (is_builtin(mods[i]) && access(so, R_OK) != 0)
			continue;
		proxy_buf_printf(&b,
				 "<IfModule !%s_module>\nLoadModule %s_module "
				 "\"%s\"\n</IfModule>\n",
				 mods[i], mods[i], so);
	}
	if (proxy_is_root())
		proxy_buf_printf(&b, "User %s\nGroup %s\n", proxy_worker_user(),
				 proxy_worker_user());
	if (mime)
		proxy_buf_printf(&b, "TypesConfig /etc/mime.types\n");
	proxy_buf_printf(&b, "StartServers 1\nServerLimit 4\n"
			     "ThreadsPerChild 16\nMaxRequestWorkers 64\n"
			     "MinSpareThreads 1\nMaxSpareThreads 64\n");
	if (spec->http_port > 0)
		proxy_buf_printf(&b, "Listen 127.0.0.1:%d\n", spec->http_port);
	if (https)
		proxy_buf_printf(&b, "Listen 127.0.0.1:%d\n", spec->https_port);
	proxy_buf_printf(&b, "<IfModule ssl_module>\n"
			     "SSLSessionCache none\n");
	if (spec->ca_file)
		proxy_buf_printf(&b, "SSLProxyCACertificateFile \"%s\"\n",
				 spec->ca_file);
	proxy_buf_printf(&b, "</IfModule>\n");
	if (include_at_server) {
		proxy_buf_printf(&b,
				 "# %s, with its addresses mapped and its "
				 "virtual hosts pointed at our listeners\n"
				 "Include \"%s\"\n",
				 spec->include, incl);
	}
	proxy_buf_printf(&b,
			 "# The scenario's block goes into each listener's "
			 "VirtualHost: Apache keeps\n# rewrite rules and most "
			 "proxy settings per virtual host (a main-server\n"
			 "# RewriteRule is not inherited), so the same "
			 "directives apply on http and https.\n");
	if (spec->http_port > 0)
		paste_vhost(&b, g, spec->http_port, false, spec, block);
	if (https)
		paste_vhost(&b, g, spec->https_port, true, spec, block);
	free(text);
	return proxy_buf_write(&b, g->conf, err, errlen);
}

/* "AH00526: Syntax error on line 31 of /d/httpd.conf:\nInvalid command
 * 'ProxyPasss', perhaps misspelled ..." */
bool proxy_apache_parse_error(const char *out, struct proxy_cfg_err *e)
{
	const char *p = out ? strstr(out, "Syntax error on line ") : NULL;
	if (!p)
		return false;
	p += strlen("Syntax error on line ");
	char *end;
	unsigned long line = strtoul(p, &end, 10);
	if (end == p || strncmp(end, " of ", 4) != 0)
		return false;
	p = end + 4;
	const char *eol = strchr(p, '\n');
	if (!eol)
		return false;
	size_t fl = (size_t)(eol - p);
	if (fl && p[fl - 1] == ':')
		fl--;
	snprintf(e->file, sizeof(e->file), "%.*s", (int)fl, p);
	e->line = (unsigned)line;
	const char *m = eol + 1;
	const char *mend = strchr(m, '\n');
	size_t ml = mend ? (size_t)(mend - m) : strlen(m);
	while (ml && isspace((unsigned char)m[ml - 1]))
		ml--;
	snprintf(e->msg, sizeof(e->msg), "%.*s", (int)ml, m);
	return true;
}
