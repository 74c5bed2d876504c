/* libFuzzer target for the RFC 6455 frame decoder and the UTF-8 checker.
 *
 * Input: a flags byte (bit 0: permessage-deflate, bit 1: a message limit
 * of (flags >> 2) * 37 bytes), two bytes choosing a split point, then the
 * stream. The stream goes through a server-role and a client-role
 * decoder, whole and split in two; both runs must agree (same error,
 * close code and offset, same events and payload bytes), and every event
 * must keep the decoder's contract. Then the same in raw mode, which must
 * agree with the normal mode (the payload unmasked by the harness) unless
 * the normal mode failed on UTF-8, and never write its input. ws_utf8 is
 * checked the same way. Any violation aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto_err.h"
#include "ws_frame.h"
#include "ws_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(x)                                                             \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

struct outcome {
	int rc;
	unsigned close_code;
	uint64_t error_offset;
	uint64_t consumed;
	uint32_t hash; /* events and payload, independent of the split */
};

static uint32_t mix(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x01000193u;
	}
	return h;
}

static uint32_t mix_u64(uint32_t h, uint64_t v)
{
	return mix(h, &v, sizeof(v));
}

static void decode(enum ws_role role, bool rsv1, uint64_t max, bool raw,
		   const uint8_t *in, size_t n, size_t cut, struct outcome *o)
{
	struct ws_decoder d;
	bool in_frame = false;
	uint64_t frame_len = 0, frame_got = 0;

	memset(o, 0, sizeof(*o));
	o->hash = 0x811c9dc5u;
	ws_decoder_init(&d, role, rsv1, max);
	d.raw_data = raw;
	for (int k = 0; k < 2; k++) {
		size_t start = k ? cut : 0, end = k ? n : cut;
		size_t plen = end - start, off = 0;
		/* The decoder unmasks in place: give it a copy. */
		uint8_t *piece = malloc(plen ? plen : 1);
		REQUIRE(piece);
		if (plen)
			memcpy(piece, in + start, plen);
		for (size_t calls = 0;; calls++) {
			struct ws_event ev;
			REQUIRE(calls <= 3 * plen + 8);
			int rc = raw ? ws_decoder_feed_raw(&d, piece + off,
							   plen - off, &ev)
				     : ws_decoder_feed(&d, piece + off,
						       plen - off, &ev);
			if (raw)
				REQUIRE(plen == 0 ||
					!memcmp(piece, in + start, plen));
			if (rc < 0) {
				REQUIRE(d.error != NULL);
				REQUIRE(d.close_code == 1002 ||
					d.close_code == 1007 ||
					d.close_code == 1009);
				REQUIRE(d.error_offset <= n);
				REQUIRE(ws_decoder_feed(&d, piece, plen, &ev) ==
					rc);
				o->rc = rc;
				o->close_code = d.close_code;
				o->error_offset = d.error_offset;
				free(piece);
				return;
			}
			REQUIRE((size_t)rc <= plen - off);
			off += (size_t)rc;
			o->consumed += (size_t)rc;
			if (ev.type == WS_EV_NONE) {
				REQUIRE(rc > 0 || off == plen);
				if (off == plen)
					break;
				continue;
			}
			/* DATA adds only its bytes: how payload is cut
			 * into runs depends on the split. */
			if (ev.type != WS_EV_DATA)
				o->hash = mix_u64(o->hash, ev.type);
			switch (ev.type) {
			case WS_EV_FRAME_START:
				REQUIRE(!in_frame);
				in_frame = true;
				frame_len = ev.hdr.len;
				frame_got = 0;
				o->hash = mix_u64(o->hash, ev.hdr.len);
				o->hash = mix_u64(
				    o->hash, (uint64_t)ev.hdr.opcode << 8 |
						 ev.msg_opcode << 4 |
						 ev.hdr.rsv << 1 | ev.hdr.fin);
				if (max)
					REQUIRE(ev.hdr.len <= max);
				break;
			case WS_EV_DATA:
				REQUIRE(in_frame && ev.len > 0);
				REQUIRE(ev.frame_offset == frame_got);
				REQUIRE(ev.data >= piece &&
					ev.data + ev.len <= piece + plen);
				frame_got += ev.len;
				REQUIRE(frame_got <= frame_len);
				if (raw && ev.hdr.masked) {
					uint8_t *u = malloc(ev.len);
					REQUIRE(u);
					memcpy(u, ev.data, ev.len);
					ws_mask(u, ev.len, ev.hdr.mask,
						ev.frame_offset);
					o->hash = mix(o->hash, u, ev.len);
					free(u);
					break;
				}
				o->hash = mix(o->hash, ev.data, ev.len);
				break;
			case WS_EV_FRAME_END:
				REQUIRE(in_frame && frame_got == frame_len);
				in_frame = false;
				o->hash = mix_u64(o->hash, ev.fin);
				break;
			case WS_EV_CONTROL:
				REQUIRE(!in_frame);
				REQUIRE(ev.len == ev.hdr.len &&
					ev.len <= WS_MAX_CONTROL);
				REQUIRE(ev.data[ev.len] == 0);
				o->hash = mix(o->hash, ev.data, ev.len);
				o->hash = mix_u64(o->hash, ev.close_code);
				if (ev.hdr.opcode == WS_OP_CLOSE)
					REQUIRE(ws_utf8_valid(
					    (const uint8_t *)ev.close_reason,
					    ev.close_reason_len));
				break;
			case WS_EV_NONE:
				break;
			}
		}
		free(piece);
	}
}

static void same(const struct outcome *a, const struct outcome *b)
{
	REQUIRE(a->rc == b->rc);
	REQUIRE(a->close_code == b->close_code);
	REQUIRE(a->error_offset == b->error_offset);
	REQUIRE(a->hash == b->hash);
	if (a->rc == 0)
		REQUIRE(a->consumed == b->consumed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint8_t flags = data[0];
	size_t seed = (size_t)data[1] | (size_t)data[2] << 8;
	const uint8_t *in = data + 3;
	size_t n = size - 3;
	size_t cut = seed % (n + 1);
	bool rsv1 = flags & 1;
	uint64_t max = (flags & 2) ? (uint64_t)(flags >> 2) * 37 : 0;

	static const enum ws_role roles[] = {WS_ROLE_SERVER, WS_ROLE_CLIENT};
	for (size_t r = 0; r < 2; r++) {
		struct outcome whole, split, rwhole, rsplit;
		decode(roles[r], rsv1, max, false, in, n, n, &whole);
		decode(roles[r], rsv1, max, false, in, n, cut, &split);
		same(&whole, &split);
		decode(roles[r], rsv1, max, true, in, n, n, &rwhole);
		decode(roles[r], rsv1, max, true, in, n, cut, &rsplit);
		same(&rwhole, &rsplit);
		/* raw mode checks neither UTF-8 nor that a length is in its
		 * shortest form (it flags it): there the two may part */
		if (whole.rc != PROTO_E_WS_UTF8 &&
		    whole.rc != PROTO_E_WS_LENGTH)
			same(&whole, &rwhole);
	}

	/* UTF-8: one shot and in two pieces agree. */
	struct ws_utf8 u;
	size_t bad1 = 0, bad2 = 0;
	ws_utf8_init(&u);
	int rc1 = ws_utf8_feed(&u, in, cut, &bad1);
	int rc2 = rc1 ? rc1 : ws_utf8_feed(&u, in + cut, n - cut, &bad2);
	bool valid = rc2 == 0 && ws_utf8_complete(&u);
	REQUIRE(valid == ws_utf8_valid(in, n));
	struct ws_utf8 w;
	size_t badw = 0;
	ws_utf8_init(&w);
	int rcw = ws_utf8_feed(&w, in, n, &badw);
	REQUIRE((rcw == 0) == (rc2 == 0));
	if (rcw)
		REQUIRE(badw == (rc1 ? bad1 : cut + bad2));

	/* Close payload parsing never reads past its input. */
	unsigned code;
	const char *reason;
	size_t rl;
	if (n <= WS_MAX_CONTROL &&
	    ws_close_parse(in, n, &code, &reason, &rl) == 0) {
		REQUIRE(n == 0 || ws_close_code_valid(code));
		REQUIRE(rl == (n ? n - 2 : 0));
	}
	return 0;
}
