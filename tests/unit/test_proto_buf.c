/* Unit tests for proto_buf and proto_err. */
#include <string.h>

#include "check_main.h"
#include "proto_buf.h"
#include "proto_err.h"

START_TEST(append_and_consume)
{
	struct proto_buf b = PROTO_BUF_INIT;
	ck_assert_int_eq(proto_buf_append_str(&b, "hello "), 0);
	ck_assert_int_eq(proto_buf_appendf(&b, "%s %d", "world", 42), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 14);
	ck_assert_mem_eq(proto_buf_head(&b), "hello world 42", 14);
	proto_buf_consume(&b, 6);
	ck_assert_mem_eq(proto_buf_head(&b), "world 42", 8);
	ck_assert_int_eq(proto_buf_append_u16(&b, 0x1234), 0);
	ck_assert_int_eq(proto_buf_append_u32(&b, 0xdeadbeef), 0);
	ck_assert_uint_eq(proto_buf_size(&b), 14);
	const uint8_t want[] = {0x12, 0x34, 0xde, 0xad, 0xbe, 0xef};
	ck_assert_mem_eq(proto_buf_head(&b) + 8, want, 6);
	size_t n;
	char *s = proto_buf_steal(&b, &n);
	ck_assert_uint_eq(n, 14);
	ck_assert_uint_eq(proto_buf_size(&b), 0);
	free(s);
	proto_buf_free(&b);
}
END_TEST

START_TEST(grows_past_many_doublings)
{
	struct proto_buf b = PROTO_BUF_INIT;
	for (int i = 0; i < 100000; i++) {
		ck_assert_int_eq(proto_buf_append_u8(&b, (uint8_t)i), 0);
		if (i % 3 == 0)
			proto_buf_consume(&b, 1);
	}
	/* 100000 appended, 33334 consumed: the rest in order. */
	ck_assert_uint_eq(proto_buf_size(&b), 100000 - 33334);
	uint8_t *p = proto_buf_head(&b);
	size_t last = 99999;
	ck_assert_uint_eq(p[proto_buf_size(&b) - 1], (uint8_t)last);
	proto_buf_free(&b);
}
END_TEST

START_TEST(error_messages)
{
	ck_assert_str_eq(proto_strerror(PROTO_E_AGAIN), "need more input");
	ck_assert_str_eq(proto_errname(PROTO_E_HTTP_SYNTAX), "HTTP_SYNTAX");
	ck_assert_str_eq(proto_strerror(12345), "unknown error");
	ck_assert_int_lt(PROTO_E_CRYPTO, 0);
}
END_TEST

static Suite *proto_buf_suite(void)
{
	Suite *s = suite_create("proto_buf");
	TCase *tc = tcase_create("buf");
	tcase_add_test(tc, append_and_consume);
	tcase_add_test(tc, grows_past_many_doublings);
	suite_add_tcase(s, tc);
	tc = tcase_create("err");
	tcase_add_test(tc, error_messages);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(proto_buf_suite)
