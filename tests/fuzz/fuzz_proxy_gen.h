/* Shared by the config-generator fuzz targets (fuzz_proxy_apache.c,
 * fuzz_proxy_nginx.c, fuzz_proxy_haproxy.c, fuzz_scn_config.c): run one
 * generator on a spec in a scratch directory and check the invariant "no
 * input produces a config with a directive the generator did not intend".
 * fuzz_proxy_gen.c says how. */
#ifndef WSSIM_FUZZ_PROXY_GEN_H
#define WSSIM_FUZZ_PROXY_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "proxy_int.h"

/* A fresh, empty scratch directory for this process (under $TMPDIR or
 * /tmp; removed at exit). */
const char *fuzz_scratch(void);

/* out = a "/" b (PATH_MAX bytes); aborts when it does not fit. */
void fuzz_path(char *out, const char *a, const char *b);

/* Remove a directory tree (best effort). */
void fuzz_rm_rf(const char *path);

/* Write a file, creating it (0 or -1). */
int fuzz_write(const char *path, const char *data, size_t len);

/* Whether a value may be printed into a generated config: no control
 * character, DEL, '"' or '\\'. */
int fuzz_value_clean(const char *s);

/* Generate spec's config with the generator of spec->kind (spec->dir must
 * exist) and check it: a spec with an unclean value (fuzz_value_clean; the
 * config block and the include file's text excepted: they are the user's
 * own) must be refused; otherwise every line outside the pasted block is
 * a comment or one of the generator's own directives, each quoted string
 * on it ends on that line, the block's lines are where the generator says
 * they are, and the config has the shape of the one generated from the
 * same spec with plain values in place of the paths and the name
 * (`plain`, generated in a directory of its own). Aborts when an
 * invariant breaks. Returns the generator's status. */
int fuzz_proxy_check(const struct proxy_spec *spec,
		     const struct proxy_spec *plain);

/* The target for one generator: the input is a flags byte and fields
 * separated by NUL bytes (fuzz_proxy_gen.c documents them). */
int fuzz_proxy_one(enum scn_comp_kind kind, const uint8_t *data, size_t size);

#endif
