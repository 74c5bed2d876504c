/* Test data and scratch-directory helpers (see test_util.h). */
#define _XOPEN_SOURCE 700
#include "test_util.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *test_read_data(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", WSSIM_TEST_DATA, name);
	return test_read_file(path, len);
}

static char scratch[64];

static void scratch_setup(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/wssim-test-XXXXXX");
	if (!mkdtemp(scratch)) {
		perror("test_scratch_fixture: mkdtemp");
		abort();
	}
	chmod(scratch, 0755);
}

static void scratch_teardown(void)
{
	if (scratch[0] && getenv("KEEP"))
		fprintf(stderr, "KEEP: left %s\n", scratch);
	else if (scratch[0] && test_rm_rf(scratch) != 0)
		fprintf(stderr, "could not remove %s\n", scratch);
	scratch[0] = '\0';
}

void test_scratch_fixture(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
}

const char *test_scratch(void)
{
	ck_assert_msg(scratch[0], "no test_scratch_fixture on this TCase");
	return scratch;
}

const char *test_scratch_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", test_scratch(), name);
	return buf;
}

const char *test_scratch_mkdtemp(char *buf, size_t len, const char *prefix)
{
	snprintf(buf, len, "%s/%s-XXXXXX", test_scratch(), prefix);
	ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp %s failed", buf);
	chmod(buf, 0755);
	return buf;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

int test_rm_rf(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
