/* libFuzzer target for the apache config generator (proxy_apache_generate):
 * fuzzed field values in a spec, checked by fuzz_proxy_gen.c (no value may
 * produce a directive the generator did not intend; a value that could
 * leave its line or its quotes is refused). */
#include "fuzz_proxy_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_proxy_one(SCN_APACHE, data, size);
}
