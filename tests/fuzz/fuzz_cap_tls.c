/* libFuzzer target for TLS decryption in capture: the input is a key log
 * (up to the first NUL byte; parsed, errors ignored, on top of a fixed
 * entry for the all-zero client random) and then stream events for one
 * connection as in fuzz_cap_session.c (a control byte: bit 0 the
 * direction, bits 1-2 == 3 a gap; a length byte and that many bytes),
 * fed through the TLS filter into a session collector whose JSON and
 * summary go to /dev/null. The seeds are real TLS 1.2 and 1.3 sessions
 * with their key logs, so mutations reach key derivation and record
 * decryption. Nothing may crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cap_session.h"
#include "cap_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_keylog[] =
    "CLIENT_RANDOM "
    "0000000000000000000000000000000000000000000000000000000000000000 "
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
    "2122232425262728292a2b2c2d2e2f30\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "0000000000000000000000000000000000000000000000000000000000000000 "
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "0000000000000000000000000000000000000000000000000000000000000000 "
    "1102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n";

static void on_report(void *ctx, const struct cap_conn *c, enum cap_dir dir,
		      int err, const char *msg)
{
	(void)ctx;
	(void)c;
	(void)dir;
	(void)err;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = size ? memchr(data, 0, size) : NULL;
	size_t kn = nul ? (size_t)(nul - data) : 0;
	struct cap_keylog *kl = cap_keylog_new();
	struct cap_session_opts o = {.keep_messages = true};
	struct cap_sessions *s = cap_sessions_new(&o);
	struct cap_tls_filter *f =
	    kl && s
		? cap_tls_filter_new(kl, cap_sessions_sink(s), on_report, NULL)
		: NULL;
	if (!f)
		goto out;
	char err[256];
	cap_keylog_parse(kl, fixed_keylog, strlen(fixed_keylog), "fixed", err,
			 sizeof(err));
	cap_keylog_parse(kl, (const char *)data, kn, "input", err, sizeof(err));
	struct cap_tcp_sink *k = cap_tls_filter_sink(f);
	struct cap_conn c;
	memset(&c, 0, sizeof(c));
	c.id = 1;
	c.client = (struct cap_endpoint){4, {127, 0, 0, 1}, 40000};
	c.server = (struct cap_endpoint){4, {127, 0, 0, 1}, 443};
	c.saw_syn = true;
	c.first_us = 1000;
	k->open(k->ctx, &c);
	uint64_t ts = 1000;
	size_t i = nul ? kn + 1 : 0;
	while (i + 2 <= size) {
		uint8_t ctl = data[i];
		size_t n = data[i + 1];
		i += 2;
		if (n > size - i)
			n = size - i;
		enum cap_dir dir = (ctl & 1) ? CAP_S2C : CAP_C2S;
		ts += 1;
		if (((ctl >> 1) & 3) == 3) {
			k->gap(k->ctx, &c, dir, n + 1, ts);
			continue;
		}
		k->data(k->ctx, &c, dir, data + i, n, ts);
		i += n;
	}
	k->end(k->ctx, &c, CAP_C2S, CAP_END_FIN, ts);
	k->end(k->ctx, &c, CAP_S2C, CAP_END_FIN, ts);
	k->close(k->ctx, &c);
	FILE *fp = fopen("/dev/null", "w");
	if (fp) {
		cap_sessions_write_json(s, fp);
		cap_sessions_write_summary(s, fp);
		fclose(fp);
	}
out:
	cap_tls_filter_free(f);
	cap_sessions_free(s);
	cap_keylog_free(kl);
	return 0;
}
