/* The main() every Check suite shares: run the suite built by `fn`,
 * honouring CK_RUN_CASE (ctest runs one TCase per test), exit non-zero on
 * any failure. Tests may exit 77 to be reported as skipped. */
#ifndef WSSIM_CHECK_MAIN_H
#define WSSIM_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define WSSIM_CHECK_MAIN(fn)                                                   \
	int main(void)                                                         \
	{                                                                      \
		SRunner *sr = srunner_create(fn());                            \
		srunner_run_all(sr, CK_NORMAL);                                \
		int failed = srunner_ntests_failed(sr);                        \
		srunner_free(sr);                                              \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                   \
	}

#endif
