/* What the three config writers share besides proxy.c's helpers: the
 * refusal of a spec value that could start a directive of its own in a
 * generated config, and the writing of a private (0600) file.
 *
 * A writer prints values into its skeleton: the run dir and the paths in
 * it (logs, pid file, certificates, the CA), the component's name, the
 * include path (in comments), Apache module names, and the map targets
 * into the included file. A newline there ends a `# ...` comment or a
 * directive and makes the rest a live directive (`ErrorLog "|cmd"`, run
 * as root by a root wssim); a '"' or a '\\' ends or escapes the quoted
 * string a path sits in. The scenario parser refuses such values already;
 * this is the check for values from anywhere else (a $TMPDIR holding a
 * newline, a caller building a spec by hand): an error, never escaping.
 * The scenario's config block and the included file are the user's own
 * configuration and pasted as they are. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proxy_int.h"

/* The first byte of s that may not be printed into a config, or 0. */
static int bad_byte(const char *s, bool block)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (block ? c < 0x20 && c != '\t' && c != '\n' && c != '\r'
			  : c < 0x20 || c == '"' || c == '\\')
			return c;
		if (c == 0x7f)
			return c;
	}
	return 0;
}

static int refuse(const struct proxy_spec *spec, int status, const char *what,
		  int c, char *err, size_t errlen)
{
	const char *name =
	    spec->name && !bad_byte(spec->name, false) ? spec->name : "proxy";
	char ch[32];
	if (c < 0x20 || c == 0x7f)
		snprintf(ch, sizeof(ch), "control character 0x%02x", c);
	else
		snprintf(ch, sizeof(ch), "'%c'", c);
	snprintf(err, errlen,
		 "%s: refusing to generate its config: %s holds a %s, which "
		 "could end its line or quoted string there",
		 name, what, ch);
	return status;
}

/* Apache module names as the generator prints them (after mod_ and
 * .so/.c/_module are taken off): letters, digits and '_'; '.' for the
 * suffixes. */
static bool module_ok(const char *m)
{
	if (!*m)
		return false;
	for (; *m; m++)
		if (!((*m >= 'a' && *m <= 'z') || (*m >= 'A' && *m <= 'Z') ||
		      (*m >= '0' && *m <= '9') || *m == '_' || *m == '.'))
			return false;
	return true;
}

int proxy_gen_check(const struct proxy_spec *spec, char *err, size_t errlen)
{
	/* the environment's (run dir, $TMPDIR): exit 3; the scenario's: 2 */
	const struct {
		const char *what, *v;
		int status;
	} vals[] = {
	    {"the component's name", spec->name, PROXY_E_CONFIG},
	    {"its directory", spec->dir, PROXY_E_START},
	    {"the include path", spec->include, PROXY_E_CONFIG},
	    {"the certificate path", spec->cert_file, PROXY_E_START},
	    {"the key path", spec->key_file, PROXY_E_START},
	    {"the CA path", spec->ca_file, PROXY_E_START},
	};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		int c = bad_byte(vals[i].v, false);
		if (c)
			return refuse(spec, vals[i].status, vals[i].what, c,
				      err, errlen);
	}
	for (size_t i = 0; spec->modules && spec->modules[i]; i++) {
		const char *m = spec->modules[i];
		int c = bad_byte(m, false);
		if (c)
			return refuse(spec, PROXY_E_CONFIG, "a module name", c,
				      err, errlen);
		if (!module_ok(m)) {
			snprintf(err, errlen,
				 "%s: refusing to generate its config: module "
				 "name '%.64s' is not a name (letters, digits, "
				 "'_')",
				 spec->name ? spec->name : "proxy", m);
			return PROXY_E_CONFIG;
		}
	}
	for (size_t i = 0; i < spec->nmaps; i++) {
		int c = bad_byte(spec->map_from[i], false);
		if (c)
			return refuse(spec, PROXY_E_CONFIG,
				      "the address to map", c, err, errlen);
		c = bad_byte(spec->map_to[i], false);
		if (c)
			return refuse(spec, PROXY_E_CONFIG, "a map's target", c,
				      err, errlen);
	}
	/* the block as the parser gives it (and as macros expand it): the
	 * user's lines, tab, CR and LF the only control characters */
	int c = bad_byte(spec->config, true);
	if (c)
		return refuse(spec, PROXY_E_CONFIG, "the config block", c, err,
			      errlen);
	return 0;
}
