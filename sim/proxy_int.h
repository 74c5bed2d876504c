/* Private to sim/proxy*.c and tests/unit/test_proxy.c: the generated
 * config of one proxy (where the scenario's block landed in it, so that a
 * proxy's complaint about line N can point at the .scn line), the three
 * config writers and error parsers, and the pure helpers the unit tests
 * exercise. proxy.c does the process work (spawn, wait, stop, reap). */
#ifndef WSSIM_SIM_PROXY_INT_H
#define WSSIM_SIM_PROXY_INT_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "proxy.h"

#define PROXY_MAX_BLOCKS 2
#define PROXY_MAX_MODULES 48
#define PROXY_MODULE_NAME 64

/* A growing string that counts the lines written, so a writer knows the
 * line number at which it pastes the scenario's block. */
struct proxy_buf {
	char *s;
	size_t len, cap;
	unsigned lines; /* newlines written so far */
	bool oom;
};

void proxy_buf_printf(struct proxy_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append `text` and make sure it ends with a newline. */
void proxy_buf_block(struct proxy_buf *b, const char *text);
void proxy_buf_free(struct proxy_buf *b);
/* Write a generated config b to path and free b: PROXY_OK, or
 * PROXY_E_START with a message (out of memory while generating, or the
 * write failed). */
int proxy_buf_write(struct proxy_buf *b, const char *path, char *err,
		    size_t errlen);

/* A generated config: what proxy.c needs to start the proxy and to map
 * its complaints back to the scenario. */
struct proxy_gen {
	char conf[PATH_MAX];	  /* the main config file */
	char pidfile[PATH_MAX];	  /* written once it serves, "" if none */
	char error_log[PATH_MAX]; /* its error log */
	/* the scenario's text (block, or the mapped include file) starts at
	 * these lines of `block_file` (1-based) and spans block_lines */
	char block_file[PATH_MAX];
	unsigned block_first[PROXY_MAX_BLOCKS];
	size_t nblocks;
	unsigned block_lines;
	const char *origin;   /* spec->include, or NULL for the .scn block */
	unsigned origin_line; /* the .scn line of the block's first line */
};

/* A config error as the proxy reported it. */
struct proxy_cfg_err {
	char file[PATH_MAX];
	unsigned line;
	char msg[512];
};

/* Config writers: write the config into spec->dir, fill *g. 0, or a
 * proxy_status with a message. */
int proxy_apache_generate(const struct proxy_spec *spec, struct proxy_gen *g,
			  char *err, size_t errlen);
int proxy_nginx_generate(const struct proxy_spec *spec, struct proxy_gen *g,
			 char *err, size_t errlen);
int proxy_haproxy_generate(const struct proxy_spec *spec, struct proxy_gen *g,
			   char *err, size_t errlen);

/* Find the config error in what the proxy printed before exiting
 * (stderr, error log). true with *e filled, false if there is none. */
bool proxy_apache_parse_error(const char *out, struct proxy_cfg_err *e);
bool proxy_nginx_parse_error(const char *out, struct proxy_cfg_err *e);
bool proxy_haproxy_parse_error(const char *out, struct proxy_cfg_err *e);

/* The Apache modules a config needs, derived from its directives: always
 * mpm_event and authz_core, then those the directives use (ProxyPass ->
 * proxy, an ajp:// URL -> proxy_ajp, ws:// -> proxy_wstunnel, http:// or
 * upgrade= -> proxy_http, Rewrite* -> rewrite, SSL* or `https` ->
 * ssl + socache_shmcb, Header -> headers, ...), then `extra` (NULL-ended,
 * "proxy_http", "mod_proxy_http" or "proxy_http_module"; may be NULL).
 * Fills out[] with module names ("proxy_ajp") in load order, without
 * duplicates. Returns the count (at most `max`). Pure: no I/O. */
size_t proxy_apache_modules(const char *config, bool https,
			    const char *const *extra,
			    char (*out)[PROXY_MODULE_NAME], size_t max);

/* Copy spec->include into `dst` with every map_from replaced by its
 * map_to. Returns the mapped text (malloc'd), or NULL with a message. */
char *proxy_include_copy(const struct proxy_spec *spec, const char *dst,
			 char *err, size_t errlen);

/* Read a whole file (malloc'd, NUL-ended), or NULL. */
char *proxy_read_file(const char *path, size_t *len);
/* Write a whole file, created anew with mode 0644 (an existing file of
 * that name is removed first; never through a link); 0 or -1 with a
 * message. proxy_write_private_file: the same with 0600. */
int proxy_write_file(const char *path, const char *data, size_t len, char *err,
		     size_t errlen);
int proxy_write_private_file(const char *path, const char *data, size_t len,
			     char *err, size_t errlen);

/* "2.4.71" out of `apache2 -v`, `nginx -v`, `haproxy -v` output. */
bool proxy_parse_version(enum scn_comp_kind kind, const char *out, char *ver,
			 size_t verlen);
/* strcmp for dotted versions: <0, 0, >0. */
int proxy_version_cmp(const char *a, const char *b);

/* Whether the process runs as root (then workers run as www-data). */
bool proxy_is_root(void);
/* The unprivileged user and group for workers ("www-data"). */
const char *proxy_worker_user(void);

/* proxy_gen.c: refuse a spec whose values could start a directive of
 * their own in a generated config: a control character, DEL, '"' or '\\'
 * in the name, dir, include path, certificate, key or CA path, a module
 * name or a map's address or target; a module name that is not letters,
 * digits, '_' (and '.'); a control character other than tab, CR and LF in
 * the config block. 0, or PROXY_E_START (a path of the run's: the
 * environment) or PROXY_E_CONFIG (the scenario's) with a message. */
int proxy_gen_check(const struct proxy_spec *spec, char *err, size_t errlen);

/* The start every config writer shares: refuse a spec that
 * proxy_gen_check refuses, check an https listener has its certificate,
 * set g's paths (conf, pid file or NULL, log: names inside spec->dir) and
 * the scenario-line mapping. 0, PROXY_E_CONFIG or PROXY_E_START. */
int proxy_gen_begin(const struct proxy_spec *spec, struct proxy_gen *g,
		    const char *conf, const char *pidfile, const char *log,
		    char *err, size_t errlen);
/* The scenario's text to paste: its config block, or a copy of its
 * include file with the maps applied (*owned, to free; g->origin then
 * names the file). NULL with a message on failure. */
const char *proxy_gen_block(const struct proxy_spec *spec, struct proxy_gen *g,
			    char **owned, char *err, size_t errlen);

/* The number of lines of s (a last line without a newline counts). */
unsigned proxy_count_lines(const char *s);

#endif
