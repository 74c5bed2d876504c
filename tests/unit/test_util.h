/* Helpers every Check suite may use: reading test data files (one case a
 * file, beside the tests, as STYLE.md asks). */
#ifndef WSSIM_TEST_UTIL_H
#define WSSIM_TEST_UTIL_H

#include <check.h>
#include <stddef.h>

/* The whole file at `path`, NUL-terminated (its length in *len); fails the
 * running test if it cannot be read. Free with free(). */
char *test_read_file(const char *path, size_t *len);

/* The same for `name` under tests/data (e.g. "http1/chrome_upgrade.txt"). */
char *test_read_data(const char *name, size_t *len);

/* A scratch directory for every test of `tc`: made by the runner (the
 * parent process, as an unchecked fixture) before the case's first test and
 * removed with everything in it after its last one, also when a test failed
 * or crashed in its forked child, so no test leaves a temp dir behind. Mode
 * 0755, so a proxy that drops privileges can read what tests put there. */
void test_scratch_fixture(TCase *tc);

/* The scratch directory of the running test's case (see above). */
const char *test_scratch(void);

/* `name` under the scratch directory, written into buf. */
const char *test_scratch_path(char *buf, size_t len, const char *name);

/* A fresh directory under the scratch directory (template `prefix`-XXXXXX),
 * written into buf; fails the running test if it cannot be made. */
const char *test_scratch_mkdtemp(char *buf, size_t len, const char *prefix);

/* Remove `path` and everything under it; 0, or -1 if something stayed. */
int test_rm_rf(const char *path);

#endif
