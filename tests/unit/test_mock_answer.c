/* Unit tests for the mock's webapp routing and answers (pure logic: no
 * sockets). The expectations are DESIGN.md section 6's table. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "check_main.h"
#include "mock_answer.h"
#include "webapp.h"

static const char *header(const struct mock_answer *a, const char *name)
{
	static char v[256];
	for (size_t i = 0; i < a->nheaders; i++)
		if (strlen(name) == a->headers[i].name_len &&
		    !strncasecmp(a->headers[i].name, name,
				 a->headers[i].name_len)) {
			snprintf(v, sizeof(v), "%.*s",
				 (int)a->headers[i].value_len,
				 a->headers[i].value);
			return v;
		}
	return NULL;
}

static void answer(struct mock_answer *a, const char *method,
		   const char *target, bool ajp, bool upgrade, const char *key,
		   const char *version)
{
	struct mock_header hs[4];
	size_t n = 0;
#define H(k, v)                                                                \
	hs[n++] = (struct mock_header)                                         \
	{                                                                      \
		k, strlen(k), v, strlen(v)                                     \
	}
	if (upgrade) {
		H("Upgrade", "websocket");
		H("Connection", "keep-alive, Upgrade");
	}
	if (key)
		H("Sec-WebSocket-Key", key);
	if (version)
		H("Sec-WebSocket-Version", version);
#undef H
	struct mock_request r = {
	    .method = method,
	    .method_len = strlen(method),
	    .target = target,
	    .target_len = strlen(target),
	    .headers = hs,
	    .nheaders = n,
	    .over_ajp = ajp,
	};
	ck_assert_int_eq(mock_answer_make(&r, a), 0);
}

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

START_TEST(routes)
{
	struct webapp_route r;
	webapp_route("/examples/websocket/echoProgrammatic", 36, &r);
	ck_assert_int_eq(r.kind, WEBAPP_WEBSOCKET);
	ck_assert_int_eq(r.endpoint, WEBAPP_EP_ECHO_PROGRAMMATIC);
	const char *t = "/examples/websocket/echoStreamAnnotation?x=1";
	webapp_route(t, strlen(t), &r);
	ck_assert_int_eq(r.endpoint, WEBAPP_EP_ECHO_STREAM);
	t = "/examples/websocket/echo.xhtml";
	webapp_route(t, strlen(t), &r);
	ck_assert_int_eq(r.kind, WEBAPP_PAGE);
	ck_assert_ptr_nonnull(strstr(r.body, "Info: WebSocket connection "
					     "opened."));
	ck_assert_ptr_nonnull(strstr(r.body, "Info: WebSocket connection "
					     "closed, Code: "));
	webapp_route("/examples", 9, &r);
	ck_assert_int_eq(r.kind, WEBAPP_REDIRECT);
	ck_assert_str_eq(r.location, "/examples/");
	webapp_route("/nope", 5, &r);
	ck_assert_int_eq(r.kind, WEBAPP_NOT_FOUND);
	/* a prefix of an endpoint is not the endpoint */
	t = "/examples/websocket/echoProgrammaticX";
	webapp_route(t, strlen(t), &r);
	ck_assert_int_eq(r.kind, WEBAPP_NOT_FOUND);
}
END_TEST

START_TEST(upgrade_on_http_is_101)
{
	struct mock_answer a;
	answer(&a, "GET", "/examples/websocket/echoAnnotation", false, true,
	       KEY, "13");
	ck_assert_int_eq(a.status, 101);
	ck_assert(a.upgrade);
	ck_assert_int_eq(a.endpoint, WEBAPP_EP_ECHO_ANNOTATION);
	mock_answer_free(&a);
}
END_TEST

START_TEST(upgrade_over_ajp_is_500)
{
	struct mock_answer a;
	answer(&a, "GET", "/examples/websocket/echoProgrammatic", true, true,
	       KEY, "13");
	ck_assert_int_eq(a.status, 500);
	ck_assert(!a.upgrade);
	/* Tomcat began the handshake before failing */
	ck_assert_str_eq(header(&a, "Upgrade"), "websocket");
	ck_assert_str_eq(header(&a, "Sec-WebSocket-Accept"),
			 "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_str_eq(header(&a, "Content-Type"), "text/html;charset=utf-8");
	char body[4096];
	snprintf(body, sizeof(body), "%.*s", (int)a.body_len, a.body);
	ck_assert_ptr_nonnull(strstr(body, "<p><b>Message</b> HTTP upgrade "
					   "is not supported by this "
					   "protocol</p>"));
	ck_assert_ptr_nonnull(strstr(body, "HTTP Status 500 \xe2\x80\x93 "
					   "Internal Server Error"));
	char len[16];
	snprintf(len, sizeof(len), "%zu", a.body_len);
	ck_assert_str_eq(header(&a, "Content-Length"), len);
	mock_answer_free(&a);
}
END_TEST

START_TEST(endpoint_without_upgrade_is_404)
{
	struct mock_answer a;
	answer(&a, "GET", "/examples/websocket/echoProgrammatic", false, false,
	       NULL, NULL);
	ck_assert_int_eq(a.status, 404);
	char body[4096];
	snprintf(body, sizeof(body), "%.*s", (int)a.body_len, a.body);
	ck_assert_ptr_nonnull(strstr(body, "The requested resource "
					   "[/examples/websocket/"
					   "echoProgrammatic] is not "
					   "available"));
	mock_answer_free(&a);
}
END_TEST

START_TEST(bad_handshakes)
{
	struct mock_answer a;
	answer(&a, "GET", "/examples/websocket/echoProgrammatic", false, true,
	       KEY, "8");
	ck_assert_int_eq(a.status, 426);
	ck_assert_str_eq(header(&a, "Sec-WebSocket-Version"), "13");
	mock_answer_free(&a);
	answer(&a, "GET", "/examples/websocket/echoProgrammatic", false, true,
	       NULL, "13");
	ck_assert_int_eq(a.status, 400);
	mock_answer_free(&a);
}
END_TEST

START_TEST(pages_and_methods)
{
	struct mock_answer a;
	answer(&a, "GET", "/examples/websocket/echo.xhtml", true, false, NULL,
	       NULL);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(header(&a, "Content-Type"), "text/html;charset=UTF-8");
	ck_assert_str_eq(header(&a, "X-Frame-Options"), "DENY");
	ck_assert_uint_gt(a.body_len, 100);
	ck_assert(!a.head_only);
	mock_answer_free(&a);
	answer(&a, "HEAD", "/examples/websocket/echo.xhtml", false, false, NULL,
	       NULL);
	ck_assert_int_eq(a.status, 200);
	ck_assert(a.head_only);
	mock_answer_free(&a);
	answer(&a, "DELETE", "/examples/websocket/echo.xhtml", false, false,
	       NULL, NULL);
	ck_assert_int_eq(a.status, 405);
	ck_assert_ptr_nonnull(header(&a, "Allow"));
	mock_answer_free(&a);
	answer(&a, "GET", "http://127.0.0.1:8080/examples/websocket/echo.xhtml",
	       false, false, NULL, NULL);
	ck_assert_int_eq(a.status, 200);
	mock_answer_free(&a);
	answer(&a, "GET", "/examples", false, false, NULL, NULL);
	ck_assert_int_eq(a.status, 302);
	ck_assert_str_eq(header(&a, "Location"), "/examples/");
	ck_assert_str_eq(header(&a, "Content-Length"), "0");
	mock_answer_free(&a);
}
END_TEST

static Suite *mock_answer_suite(void)
{
	Suite *s = suite_create("mock_answer");
	TCase *tc = tcase_create("routing");
	tcase_add_test(tc, routes);
	suite_add_tcase(s, tc);
	tc = tcase_create("websocket");
	tcase_add_test(tc, upgrade_on_http_is_101);
	tcase_add_test(tc, upgrade_over_ajp_is_500);
	tcase_add_test(tc, endpoint_without_upgrade_is_404);
	tcase_add_test(tc, bad_handshakes);
	suite_add_tcase(s, tc);
	tc = tcase_create("pages");
	tcase_add_test(tc, pages_and_methods);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(mock_answer_suite)
