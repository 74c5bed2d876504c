/* Fuzz target for pmd: the input as a Sec-WebSocket-Extensions value
 * (an accepted offer must give an answer that parses back to the same
 * agreement), then as a compressed message inflated in two pieces under
 * a max_inflated cap, twice on one context; and as plain text deflated
 * in two pieces, which must inflate back to itself. */
#include <stdlib.h>
#include <string.h>

#include "pmd.h"
#include "proto_err.h"

#define FUZZ_MAX_INFLATED (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const uint8_t *data, size_t size)
{
	struct pmd_params offer, agreed, back;
	int r = pmd_parse((const char *)data, size, &offer);
	if (r != 1) {
		if (r != 0 && r != PROTO_E_PMD)
			abort();
		return;
	}
	char ans[256];
	int n = pmd_answer(&offer, &agreed, ans, sizeof(ans));
	if (n <= 0 || (size_t)n != strlen(ans))
		abort();
	if (pmd_parse(ans, (size_t)n, &back) != 1 ||
	    !pmd_answer_acceptable(&back) ||
	    back.server_max_window_bits != agreed.server_max_window_bits ||
	    back.client_max_window_bits != agreed.client_max_window_bits ||
	    back.server_no_context_takeover !=
		agreed.server_no_context_takeover ||
	    back.client_no_context_takeover !=
		agreed.client_no_context_takeover)
		abort();
}

/* Parameters from the first byte, so every window size and both
 * no_context_takeover settings get exercised. */
static struct pmd_params params_of(const uint8_t *data, size_t size)
{
	uint8_t b = size ? data[0] : 0;
	struct pmd_params p;
	memset(&p, 0, sizeof(p));
	p.client_max_window_bits = 8 + (b & 7);
	p.server_max_window_bits = 8 + ((b >> 3) & 7);
	p.client_no_context_takeover = (b >> 6) & 1;
	p.server_no_context_takeover = (b >> 7) & 1;
	return p;
}

static void check_inflate(const uint8_t *data, size_t size)
{
	struct pmd_params p = params_of(data, size);
	struct pmd_ctx c;
	if (pmd_init(&c, &p, true, FUZZ_MAX_INFLATED) != 0)
		abort();
	size_t cut = size > 1 ? data[1] % size : 0;
	for (int round = 0; round < 2; round++) {
		struct proto_buf out = PROTO_BUF_INIT;
		int r = pmd_inflate(&c, data, cut, false, &out);
		if (r == 0)
			r = pmd_inflate(&c, data + cut, size - cut, true, &out);
		if (r != 0 && r != PROTO_E_PMD && r != PROTO_E_WS_TOO_BIG)
			abort();
		if (proto_buf_size(&out) > FUZZ_MAX_INFLATED)
			abort();
		proto_buf_free(&out);
	}
	pmd_free(&c);
}

static void check_roundtrip(const uint8_t *data, size_t size)
{
	struct pmd_params p = params_of(data, size);
	struct pmd_ctx tx, rx;
	if (pmd_init(&tx, &p, true, 0) != 0 || pmd_init(&rx, &p, false, 0))
		abort();
	size_t cut = size / 2;
	for (int round = 0; round < 2; round++) {
		struct proto_buf z = PROTO_BUF_INIT, out = PROTO_BUF_INIT;
		if (pmd_deflate(&tx, data, cut, false, &z) != 0 ||
		    pmd_deflate(&tx, data + cut, size - cut, true, &z) != 0 ||
		    pmd_inflate(&rx, proto_buf_head(&z), proto_buf_size(&z),
				true, &out) != 0 ||
		    proto_buf_size(&out) != size ||
		    (size && memcmp(proto_buf_head(&out), data, size) != 0))
			abort();
		proto_buf_free(&z);
		proto_buf_free(&out);
	}
	pmd_free(&tx);
	pmd_free(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_inflate(data, size);
	check_roundtrip(data, size);
	return 0;
}
