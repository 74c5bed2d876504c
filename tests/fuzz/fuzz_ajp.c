/* libFuzzer target for the AJP13 codec: the input is read as a stream of
 * packets in both directions (8 KiB and 64 KiB packet sizes) and every
 * decoder runs on every payload and on the raw input. Whatever decodes
 * must encode again, decode again, and encode to the same bytes the
 * second time (the canonical form is a fixed point). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ajp.h"
#include "proto_buf.h"
#include "proto_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Canonical encoding never makes a decoded message longer, so whatever
 * decodes from at most this many bytes must encode again. */
#define MAX_PAYLOAD (AJP_PACKET_MAX - AJP_HEADER_LEN)

static struct ajp_forward_request fr1, fr2;
static struct ajp_send_headers sh1, sh2;

static void check(int ok)
{
	if (!ok)
		abort();
}

static void same_bytes(const struct proto_buf *a, const struct proto_buf *b)
{
	check(proto_buf_size(a) == proto_buf_size(b));
	check(memcmp(proto_buf_head(a), proto_buf_head(b), proto_buf_size(a)) ==
	      0);
}

/* Decode the first packet in `b` with `dir` framing, at 64 KiB. */
static const uint8_t *payload_of(const struct proto_buf *b, enum ajp_dir dir,
				 size_t *n)
{
	const uint8_t *p = NULL;
	int rc = ajp_packet_parse(proto_buf_head(b), proto_buf_size(b), dir,
				  AJP_PACKET_MAX, &p, n, NULL);
	check(rc > 0 && (size_t)rc == proto_buf_size(b));
	return p;
}

static void forward_request(const uint8_t *p, size_t n)
{
	size_t eo = 0, n2;
	if (ajp_forward_request_decode(p, n, &fr1, &eo) != 0) {
		check(eo <= n);
		return;
	}
	struct proto_buf a = PROTO_BUF_INIT, b = PROTO_BUF_INIT;
	int rc = ajp_forward_request_encode(&a, &fr1, AJP_PACKET_MAX);
	if (rc == PROTO_E_AJP_TOO_BIG && n > MAX_PAYLOAD)
		return;
	check(rc == 0);
	const uint8_t *p2 = payload_of(&a, AJP_TO_CONTAINER, &n2);
	check(ajp_forward_request_decode(p2, n2, &fr2, &eo) == 0);
	check(fr2.nheaders == fr1.nheaders);
	check(fr2.nattributes == fr1.nattributes);
	check(fr2.server_port == fr1.server_port);
	check(ajp_forward_request_encode(&b, &fr2, AJP_PACKET_MAX) == 0);
	same_bytes(&a, &b);
	proto_buf_free(&a);
	proto_buf_free(&b);
}

static void send_headers(const uint8_t *p, size_t n)
{
	size_t eo = 0, n2;
	if (ajp_send_headers_decode(p, n, &sh1, &eo) != 0) {
		check(eo <= n);
		return;
	}
	struct proto_buf a = PROTO_BUF_INIT, b = PROTO_BUF_INIT;
	int rc = ajp_send_headers_encode(&a, &sh1, AJP_PACKET_MAX);
	if (rc == PROTO_E_AJP_TOO_BIG && n > MAX_PAYLOAD)
		return;
	check(rc == 0);
	const uint8_t *p2 = payload_of(&a, AJP_TO_SERVER, &n2);
	check(ajp_send_headers_decode(p2, n2, &sh2, &eo) == 0);
	check(sh2.status == sh1.status && sh2.nheaders == sh1.nheaders);
	check(ajp_send_headers_encode(&b, &sh2, AJP_PACKET_MAX) == 0);
	same_bytes(&a, &b);
	proto_buf_free(&a);
	proto_buf_free(&b);
}

static void small_messages(const uint8_t *p, size_t n)
{
	const uint8_t *d;
	size_t dl, eo = 0;
	bool reuse;
	uint16_t want;
	struct proto_buf a = PROTO_BUF_INIT;

	if (ajp_body_chunk_decode(p, n, &d, &dl, &eo) == 0 &&
	    n <= MAX_PAYLOAD) {
		check(d + dl <= p + n);
		check(ajp_body_chunk_encode(&a, d, dl, AJP_PACKET_MAX) == 0);
		check(proto_buf_size(&a) == n + AJP_HEADER_LEN);
		check(memcmp(proto_buf_head(&a) + AJP_HEADER_LEN, p, n - 1) ==
		      0);
	}
	check(eo <= n);
	proto_buf_reset(&a);
	if (ajp_request_body_decode(p, n, &d, &dl, &eo) == 0 &&
	    n <= MAX_PAYLOAD) {
		check(d + dl == p + n);
		check(ajp_request_body_encode(&a, d, dl, AJP_PACKET_MAX) == 0);
		check(proto_buf_size(&a) == n + AJP_HEADER_LEN);
		check(memcmp(proto_buf_head(&a) + AJP_HEADER_LEN, p, n) == 0);
	}
	check(eo <= n);
	if (ajp_end_response_decode(p, n, &reuse, &eo) == 0)
		check(n == 2);
	if (ajp_get_body_chunk_decode(p, n, &want, &eo) == 0)
		check(n == 3 && want == (p[1] << 8 | p[2]));
	check(eo <= n);
	proto_buf_free(&a);
}

static void every_decoder(const uint8_t *p, size_t n)
{
	forward_request(p, n);
	send_headers(p, n);
	small_messages(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = {AJP_PACKET_DEFAULT, AJP_PACKET_MAX};
	for (size_t dir = 0; dir < 2; dir++) {
		for (size_t s = 0; s < 2; s++) {
			size_t off = 0;
			for (;;) {
				const uint8_t *p = NULL;
				size_t n = 0, eo = 0;
				int rc = ajp_packet_parse(
				    data + off, size - off, (enum ajp_dir)dir,
				    sizes[s], &p, &n, &eo);
				check(rc != 0);
				if (rc < 0) {
					check(rc == PROTO_E_AGAIN || eo <= 2);
					break;
				}
				check(p == data + off + AJP_HEADER_LEN);
				check((size_t)rc == n + AJP_HEADER_LEN);
				check(n <= sizes[s] - AJP_HEADER_LEN);
				every_decoder(p, n);
				off += (size_t)rc;
			}
		}
	}
	every_decoder(data, size);
	return 0;
}
