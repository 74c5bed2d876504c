/* libFuzzer target for the TLS hello reader: the input is a handshake
 * record as captured (the seeds are tests/data/tls's): byte 5 says which
 * hello (1: ClientHello, else ServerHello), the body is byte 9 on, copied
 * to a buffer of exactly its size; an input under 9 bytes is a ClientHello
 * body. Nothing may read out of bounds, and what is read must lie in the
 * body and agree with the verdict. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cap_tls.h"
#include "cap_tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool client = size < 9 || data[5] == 1;
	size_t skip = size < 9 ? 0 : 9, n = size - skip;
	uint8_t *body = malloc(n ? n : 1);
	if (!body)
		return 0;
	if (n)
		memcpy(body, data + skip, n);
	struct cap_tls_hello h;
	int rc = cap_tls_hello_parse(client, body, n, &h);
	check(rc == 0 || rc == CAP_TLS_E_HANDSHAKE);
	check(!h.random || (n >= 34 && h.random == body + 2));
	check(rc < 0 || (h.random && h.fixed));
	check(!h.fixed || h.random);
	check(!h.sni || (h.sni >= body && h.sni_len <= n &&
			 (size_t)(h.sni - body) <= n - h.sni_len));
	check(h.noffered <= CAP_TLS_HELLO_VERSIONS);
	check(client || (!h.sni && !h.noffered && !h.early_data));
	check(!client || !h.has_suite);
	free(body);
	return 0;
}
