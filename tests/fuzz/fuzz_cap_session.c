/* libFuzzer target for the capture session sink: the input is cut into
 * stream events for one connection (a control byte: bit 0 the
 * direction, bits 1-2 data or a gap, bit 3 a second connection; then a
 * length byte and that many bytes), fed to a collector, and the result
 * written as JSON and as the summary to /dev/null. Nothing may crash,
 * leak or read out of bounds, however the bytes and gaps fall. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cap_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct cap_session_opts o = {.keep_messages = data[0] & 1,
				     .no_redact = data[0] & 2,
				     .payload_cap = (data[0] & 4) ? 16 : 0};
	struct cap_sessions *s = cap_sessions_new(&o);
	if (!s)
		return 0;
	struct cap_tcp_sink *k = cap_sessions_sink(s);
	struct cap_conn c[2];
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 2; i++) {
		c[i].id = (uint64_t)i + 1;
		c[i].client = (struct cap_endpoint){4, {127, 0, 0, 1}, 40000};
		c[i].server = (struct cap_endpoint){
		    4, {127, 0, 0, 1}, (uint16_t)(80 + i)};
		c[i].saw_syn = true;
		c[i].first_us = 1000;
		k->open(k->ctx, &c[i]);
	}
	uint64_t ts = 1000;
	size_t i = 1;
	while (i + 2 <= size) {
		uint8_t ctl = data[i];
		size_t n = data[i + 1];
		i += 2;
		if (n > size - i)
			n = size - i;
		struct cap_conn *cc = &c[(ctl >> 3) & 1];
		enum cap_dir dir = (ctl & 1) ? CAP_S2C : CAP_C2S;
		ts += 1 + (ctl >> 4) * 100000u;
		if (((ctl >> 1) & 3) == 3) {
			k->gap(k->ctx, cc, dir, n + 1, ts);
			continue;
		}
		k->data(k->ctx, cc, dir, data + i, n, ts);
		i += n;
	}
	for (int j = 0; j < 2; j++) {
		k->end(k->ctx, &c[j], CAP_C2S, CAP_END_FIN, ts);
		k->end(k->ctx, &c[j], CAP_S2C, CAP_END_RST, ts);
		if (j == 0) /* the second stays open: finish() closes it */
			k->close(k->ctx, &c[j]);
	}
	FILE *f = fopen("/dev/null", "w");
	if (f) {
		cap_sessions_write_json(s, f);
		cap_sessions_write_summary(s, f);
		fclose(f);
	}
	cap_sessions_free(s);
	return 0;
}
