/* Helpers every Check suite may use: reading test data files (one case a
 * file, beside the tests, as STYLE.md asks). */
#ifndef WSSIM_TEST_UTIL_H
#define WSSIM_TEST_UTIL_H

#include <stddef.h>

/* The whole file at `path`, NUL-terminated (its length in *len); fails the
 * running test if it cannot be read. Free with free(). */
char *test_read_file(const char *path, size_t *len);

/* The same for `name` under tests/data (e.g. "http1/chrome_upgrade.txt"). */
char *test_read_data(const char *name, size_t *len);

#endif
