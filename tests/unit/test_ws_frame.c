/* Unit tests for ws_frame: the decoder over the cases in
 * tests/data/ws_frame/ (RFC 6455 section 5.7 vectors, valid streams,
 * malformed input), each decoded whole, split at every offset (and every
 * pair of offsets), in small pieces and one byte at a time, all of which
 * must give the same event log; header encoding and parsing; round trips
 * at the length-form boundaries; masking at every offset and alignment
 * against a byte loop; close payloads. Every case runs in raw mode too
 * (payloads reported as they came, the logger unmasks them; the input is
 * never written), at every split as well.
 *
 * A case file holds `role server|client`, optional `deflate` (RSV1
 * allowed) and `max N` (message limit), the input as `in` lines of hex
 * bytes and `fill N` (N bytes i & 0xff), and the expected log as `out`
 * lines (see log_event), with `rawout` lines for raw mode where its log
 * differs (no UTF-8 check). `#` starts a comment.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "proto_buf.h"
#include "proto_err.h"
#include "ws_frame.h"

/* For the loops over every offset: Check's ck_assert records each
 * passing assertion with a write to a pipe, which would dominate; this
 * reports only failures. */
#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			ck_abort_msg("Assertion '%s' failed", #expr);          \
	} while (0)

/* --- the event log ------------------------------------------------------ */

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x01000193u;
	}
	return h;
}

/* Bytes as a quoted string with \xNN escapes, or their FNV-1a hash when
 * there are more than 64. */
static void log_bytes(struct proto_buf *log, const uint8_t *p, size_t n)
{
	if (n > 64) {
		proto_buf_appendf(log, "fnv=%08" PRIx32, fnv1a(p, n));
		return;
	}
	proto_buf_append_u8(log, '"');
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			proto_buf_appendf(log, "\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			proto_buf_append_u8(log, p[i]);
		else
			proto_buf_appendf(log, "\\x%02x", p[i]);
	}
	proto_buf_append_u8(log, '"');
}

/* What the decoder has reported so far, in the case files' form. DATA
 * runs of one frame are merged into one `data` line, so the log does not
 * depend on how the input was split; a `message` line follows the final
 * frame of each data message with the reassembled payload. */
struct logger {
	struct proto_buf log;
	struct proto_buf frame; /* this frame's payload so far */
	struct proto_buf msg;	/* this message's payload so far */
	bool in_frame;
	uint64_t frame_len;
	uint8_t msg_opcode;
	bool compressed;
	bool raw; /* the decoder is in raw mode: unmask DATA here */
};

static void flush_data(struct logger *l)
{
	if (proto_buf_size(&l->frame) == 0)
		return;
	proto_buf_appendf(&l->log, "data %zu ", proto_buf_size(&l->frame));
	log_bytes(&l->log, proto_buf_head(&l->frame),
		  proto_buf_size(&l->frame));
	proto_buf_append_u8(&l->log, '\n');
	proto_buf_reset(&l->frame);
}

/* Log ev; `lo`..`hi` is the piece of input it came from (DATA must point
 * into it: the decoder does not copy). */
static void log_event(struct logger *l, const struct ws_event *ev,
		      const uint8_t *lo, const uint8_t *hi)
{
	switch (ev->type) {
	case WS_EV_FRAME_START:
		CHECK(!l->in_frame);
		CHECK(ev->msg_opcode == WS_OP_TEXT ||
		      ev->msg_opcode == WS_OP_BINARY);
		CHECK(ev->hdr.opcode == WS_OP_CONT ||
		      ev->hdr.opcode == ev->msg_opcode);
		l->in_frame = true;
		l->frame_len = ev->hdr.len;
		l->msg_opcode = ev->msg_opcode;
		l->compressed = ev->compressed;
		proto_buf_appendf(&l->log,
				  "start op=%u msg=%u fin=%d rsv=%u masked=%d "
				  "len=%" PRIu64 "%s%s\n",
				  ev->hdr.opcode, ev->msg_opcode, ev->hdr.fin,
				  ev->hdr.rsv, ev->hdr.masked, ev->hdr.len,
				  ev->compressed ? " compressed" : "",
				  ev->hdr.long_len ? " long" : "");
		break;
	case WS_EV_DATA:
		CHECK(l->in_frame);
		CHECK(ev->len > 0);
		CHECK(ev->data >= lo && ev->data + ev->len <= hi);
		CHECK(ev->frame_offset == proto_buf_size(&l->frame));
		CHECK(ev->frame_offset + ev->len <= l->frame_len);
		CHECK(ev->msg_opcode == l->msg_opcode);
		CHECK(ev->compressed == l->compressed);
		CHECK(ev->hdr.len == l->frame_len);
		if (l->raw) {
			/* as it came: unmask a copy */
			uint8_t *p = malloc(ev->len);
			CHECK(p != NULL);
			memcpy(p, ev->data, ev->len);
			if (ev->hdr.masked)
				ws_mask(p, ev->len, ev->hdr.mask,
					ev->frame_offset);
			proto_buf_append(&l->frame, p, ev->len);
			proto_buf_append(&l->msg, p, ev->len);
			free(p);
			break;
		}
		proto_buf_append(&l->frame, ev->data, ev->len);
		proto_buf_append(&l->msg, ev->data, ev->len);
		break;
	case WS_EV_FRAME_END:
		CHECK(l->in_frame);
		CHECK(proto_buf_size(&l->frame) == l->frame_len);
		CHECK(ev->msg_opcode == l->msg_opcode);
		flush_data(l);
		l->in_frame = false;
		proto_buf_appendf(&l->log, "end fin=%d\n", ev->fin);
		if (ev->fin) {
			proto_buf_appendf(&l->log, "message op=%u %zu ",
					  l->msg_opcode,
					  proto_buf_size(&l->msg));
			log_bytes(&l->log, proto_buf_head(&l->msg),
				  proto_buf_size(&l->msg));
			proto_buf_append_u8(&l->log, '\n');
			proto_buf_reset(&l->msg);
		}
		break;
	case WS_EV_CONTROL:
		CHECK(!l->in_frame);
		CHECK(ev->len == ev->hdr.len);
		CHECK(ev->len <= WS_MAX_CONTROL);
		CHECK(ev->data[ev->len] == 0);
		proto_buf_appendf(&l->log,
				  "control op=%u len=%" PRIu64 " masked=%d ",
				  ev->hdr.opcode, ev->hdr.len, ev->hdr.masked);
		log_bytes(&l->log, ev->data, ev->len);
		if (ev->hdr.opcode == WS_OP_CLOSE) {
			proto_buf_appendf(&l->log,
					  " code=%u reason=", ev->close_code);
			log_bytes(&l->log, (const uint8_t *)ev->close_reason,
				  ev->close_reason_len);
		}
		if (ev->hdr.long_len)
			proto_buf_append_str(&l->log, " long");
		proto_buf_append_u8(&l->log, '\n');
		break;
	case WS_EV_NONE:
		break;
	}
}

/* --- case files ----------------------------------------------------------- */

struct wcase {
	enum ws_role role;
	bool deflate;
	uint64_t max;
	struct proto_buf in;
	struct proto_buf want;	   /* the expected log */
	struct proto_buf want_raw; /* in raw mode, if it differs */
};

static void case_free(struct wcase *c)
{
	proto_buf_free(&c->in);
	proto_buf_free(&c->want);
	proto_buf_free(&c->want_raw);
}

static void case_load(const char *name, struct wcase *c)
{
	char path[512], line[1024];
	snprintf(path, sizeof(path), "%s/ws_frame/%s.txt", WSSIM_TEST_DATA,
		 name);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	memset(c, 0, sizeof(*c));
	c->role = (enum ws_role) - 1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "out ", 4) == 0) {
			proto_buf_appendf(&c->want, "%s\n", line + 4);
			continue;
		}
		if (strncmp(line, "rawout ", 7) == 0) {
			proto_buf_appendf(&c->want_raw, "%s\n", line + 7);
			continue;
		}
		line[strcspn(line, "#")] = 0;
		unsigned long long v;
		if (strcmp(line, "role server") == 0) {
			c->role = WS_ROLE_SERVER;
		} else if (strcmp(line, "role client") == 0) {
			c->role = WS_ROLE_CLIENT;
		} else if (strcmp(line, "deflate") == 0) {
			c->deflate = true;
		} else if (sscanf(line, "max %llu", &v) == 1) {
			c->max = v;
		} else if (sscanf(line, "fill %llu", &v) == 1) {
			for (unsigned long long i = 0; i < v; i++)
				proto_buf_append_u8(&c->in, (uint8_t)i);
		} else if (strncmp(line, "in ", 3) == 0) {
			const char *s = line + 3;
			unsigned b;
			int used;
			while (sscanf(s, " %2x%n", &b, &used) == 1) {
				proto_buf_append_u8(&c->in, (uint8_t)b);
				s += used;
			}
			while (isspace((unsigned char)*s))
				s++;
			ck_assert_msg(*s == 0, "%s: bad hex at '%s'", path, s);
		} else {
			const char *s = line;
			while (isspace((unsigned char)*s))
				s++;
			ck_assert_msg(*s == 0, "%s: bad line '%s'", path, line);
		}
	}
	fclose(f);
	ck_assert_msg((int)c->role != -1, "%s: no role", path);
	ck_assert_msg(proto_buf_size(&c->want) > 0, "%s: no out lines", path);
}

/* Decode c->in fed in pieces ending at cuts[0..ncuts) (ascending) and at
 * the end, in raw mode if `raw`; each piece is a separate allocation of
 * its exact size, so a read past it is caught under ASan. Returns the log
 * (caller frees). */
static char *decode_cut(const struct wcase *c, const size_t *cuts, size_t ncuts,
			bool raw)
{
	struct ws_decoder d;
	struct logger l;
	const uint8_t *in = proto_buf_head(&c->in);
	size_t n = proto_buf_size(&c->in), start = 0;

	memset(&l, 0, sizeof(l));
	l.raw = raw;
	ws_decoder_init(&d, c->role, c->deflate, c->max);
	d.raw_data = raw;
	for (size_t k = 0; k <= ncuts; k++) {
		size_t end = k < ncuts ? cuts[k] : n;
		size_t plen = end - start, off = 0;
		uint8_t *piece = malloc(plen ? plen : 1);
		CHECK(piece != NULL);
		if (plen)
			memcpy(piece, in + start, plen);
		/* Each call either consumes input or reports an event; a
		 * piece can produce at most 3 events per byte plus one. */
		size_t calls = 0;
		for (;;) {
			struct ws_event ev;
			int rc = raw ? ws_decoder_feed_raw(&d, piece + off,
							   plen - off, &ev)
				     : ws_decoder_feed(&d, piece + off,
						       plen - off, &ev);
			CHECK(++calls < 3 * plen + 8);
			/* raw mode never writes its input */
			CHECK(!raw || plen == 0 ||
			      memcmp(piece, in + start, plen) == 0);
			if (rc < 0) {
				flush_data(&l);
				CHECK(d.error != NULL);
				proto_buf_appendf(&l.log,
						  "error %s close=%u "
						  "at=%" PRIu64 " \"%s\"\n",
						  proto_errname(rc),
						  d.close_code, d.error_offset,
						  d.error);
				/* The decoder stays failed. */
				CHECK(ws_decoder_feed(&d, piece, plen, &ev) ==
				      rc);
				free(piece);
				goto done;
			}
			CHECK((size_t)rc <= plen - off);
			off += (size_t)rc;
			if (ev.type == WS_EV_NONE) {
				CHECK(rc > 0 || off == plen);
				if (off == plen)
					break;
				continue;
			}
			log_event(&l, &ev, piece, piece + plen);
		}
		free(piece);
		start = end;
	}
	flush_data(&l);
done:
	proto_buf_free(&l.frame);
	proto_buf_free(&l.msg);
	proto_buf_append_u8(&l.log, 0);
	char *log = proto_buf_steal(&l.log, NULL);
	proto_buf_free(&l.log);
	return log;
}

static void check_log(const char *name, const char *how, char *got,
		      const struct wcase *c, bool raw)
{
	const struct proto_buf *w =
	    raw && proto_buf_size(&c->want_raw) ? &c->want_raw : &c->want;
	const char *want = (const char *)proto_buf_head(w);
	size_t wl = proto_buf_size(w);
	ck_assert_msg(strlen(got) == wl && memcmp(got, want, wl) == 0,
		      "%s (%s%s):\ngot:\n%s\nwant:\n%.*s", name,
		      raw ? "raw, " : "", how, got, (int)wl, want);
	free(got);
}

/* Run a case whole, split once at every offset, split twice at every
 * pair of offsets (inputs up to 100 bytes: a header can arrive in three
 * pieces), in pieces of 2, 3, 5 and 7 bytes, and one byte at a time.
 * Inputs over 2 KiB are split once only near their ends and every 4099
 * bytes (the piece runs cover the rest). */
static void run_case(const char *name, struct wcase *c, bool raw)
{
	size_t n = proto_buf_size(&c->in);
	char how[64];

	check_log(name, "whole", decode_cut(c, NULL, 0, raw), c, raw);
	for (size_t cut = 1; cut < n; cut++) {
		if (n > 2048 && cut > 40 && cut < n - 40 && cut % 4099)
			continue;
		snprintf(how, sizeof(how), "split at %zu", cut);
		check_log(name, how, decode_cut(c, &cut, 1, raw), c, raw);
	}
	for (size_t i = 1; n <= 100 && i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			size_t two[2] = {i, j};
			snprintf(how, sizeof(how), "split at %zu and %zu", i,
				 j);
			check_log(name, how, decode_cut(c, two, 2, raw), c,
				  raw);
		}
	size_t *cuts = malloc((n + 1) * sizeof(*cuts));
	ck_assert_ptr_nonnull(cuts);
	static const size_t sizes[] = {2, 3, 5, 7, 1};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t nc = 0;
		for (size_t i = sizes[k]; i < n; i += sizes[k])
			cuts[nc++] = i;
		snprintf(how, sizeof(how), "%zu-byte pieces", sizes[k]);
		check_log(name, how, decode_cut(c, cuts, nc, raw), c, raw);
	}
	free(cuts);
}

static void run_case_file(const char *name)
{
	struct wcase c;
	case_load(name, &c);
	run_case(name, &c, false);
	run_case(name, &c, true);
	case_free(&c);
}

static const char *const rfc_cases[] = {
    "rfc_hello_unmasked", "rfc_hello_masked", "rfc_fragmented_hello",
    "rfc_ping_unmasked",  "rfc_ping_masked",  "rfc_pong_unmasked",
    "rfc_pong_masked",	  "rfc_binary_256",   "rfc_binary_65536",
};

static const char *const stream_cases[] = {
    "ping_between_fragments",
    "close_between_fragments",
    "close_bye",
    "close_empty",
    "close_4999",
    "empty_frames",
    "utf8_across_frames",
    "deflate_hello",
    "deflate_fragmented",
    "len_shortest_forms",
    "control_125",
    "max_message_exact",
    "mixed_stream",
};

static const char *const bad_cases[] = {
    "bad_unmasked_client",
    "bad_unmasked_after_good",
    "bad_masked_server",
    "bad_rsv2",
    "bad_rsv3",
    "bad_rsv1_no_deflate",
    "bad_rsv1_continuation",
    "bad_rsv1_control",
    "bad_opcode_3",
    "bad_opcode_b",
    "bad_control_126",
    "bad_control_long_masked",
    "bad_control_fragmented",
    "bad_cont_without_message",
    "bad_cont_after_final",
    "bad_text_inside_message",
    "bad_binary_inside_message",
    "bad_len64_msb",
    "bad_len16_short",
    "bad_len16_125",
    "bad_len64_short",
    "bad_len64_16bit",
    "too_big_header_only",
    "too_big_fragments",
    "too_big_64bit",
    "bad_utf8_text",
    "bad_utf8_masked",
    "bad_utf8_surrogate_across_frames",
    "bad_utf8_above_max",
    "bad_utf8_truncated_end",
    "bad_utf8_truncated_empty_final",
    "bad_close_one_byte",
    "bad_close_code_1005",
    "bad_close_code_1006",
    "bad_close_code_999",
    "bad_close_code_1004",
    "bad_close_code_2999",
    "bad_close_code_5000",
    "bad_close_code_1015",
    "bad_close_code_0",
    "bad_close_reason_utf8",
    "bad_close_reason_truncated",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(rfc_vector)
{
	run_case_file(rfc_cases[_i]);
}
END_TEST

START_TEST(stream)
{
	run_case_file(stream_cases[_i]);
}
END_TEST

START_TEST(malformed)
{
	run_case_file(bad_cases[_i]);
}
END_TEST

/* --- headers ----------------------------------------------------------- */

START_TEST(hdr_encode_rfc)
{
	static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
	uint8_t h[WS_MAX_HEADER];

	ck_assert_uint_eq(ws_frame_hdr_encode(h, true, 0, WS_OP_TEXT, NULL, 5),
			  2);
	ck_assert_mem_eq(h, "\x81\x05", 2);
	ck_assert_uint_eq(ws_frame_hdr_encode(h, true, 0, WS_OP_TEXT, key, 5),
			  6);
	ck_assert_mem_eq(h, "\x81\x85\x37\xfa\x21\x3d", 6);
	ck_assert_uint_eq(ws_frame_hdr_encode(h, false, 0, WS_OP_TEXT, NULL, 3),
			  2);
	ck_assert_mem_eq(h, "\x01\x03", 2);
	ck_assert_uint_eq(ws_frame_hdr_encode(h, true, 0, WS_OP_CONT, NULL, 2),
			  2);
	ck_assert_mem_eq(h, "\x80\x02", 2);
	ck_assert_uint_eq(ws_frame_hdr_encode(h, true, 0, WS_OP_PONG, key, 5),
			  6);
	ck_assert_mem_eq(h, "\x8a\x85\x37\xfa\x21\x3d", 6);
	ck_assert_uint_eq(
	    ws_frame_hdr_encode(h, true, 0, WS_OP_BINARY, NULL, 256), 4);
	ck_assert_mem_eq(h, "\x82\x7e\x01\x00", 4);
	ck_assert_uint_eq(
	    ws_frame_hdr_encode(h, true, 0, WS_OP_BINARY, NULL, 65536), 10);
	ck_assert_mem_eq(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
	ck_assert_uint_eq(
	    ws_frame_hdr_encode(h, true, WS_RSV1, WS_OP_TEXT, NULL, 7), 2);
	ck_assert_mem_eq(h, "\xc1\x07", 2);
	ck_assert_uint_eq(
	    ws_frame_hdr_encode(h, true, 0, WS_OP_BINARY, key, 0x123456789aULL),
	    14);
	ck_assert_mem_eq(h,
			 "\x82\xff\x00\x00\x00\x12\x34\x56\x78\x9a\x37\xfa\x21"
			 "\x3d",
			 14);
}
END_TEST

START_TEST(hdr_parse)
{
	struct ws_frame_hdr h;
	static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d};
	static const uint8_t big[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
	static const uint8_t mid[] = {0x02, 0xfe, 0x01, 0x00, 1, 2, 3, 4};
	static const uint8_t msb[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1};

	ck_assert_int_eq(ws_frame_hdr_parse(masked, 6, &h), 6);
	ck_assert(h.fin);
	ck_assert_uint_eq(h.rsv, 0);
	ck_assert_uint_eq(h.opcode, WS_OP_TEXT);
	ck_assert(h.masked);
	ck_assert_mem_eq(h.mask, masked + 2, 4);
	ck_assert_uint_eq(h.len, 5);
	ck_assert_uint_eq(h.hdr_len, 6);
	ck_assert_int_eq(ws_frame_hdr_parse(big, 10, &h), 10);
	ck_assert(!h.masked);
	ck_assert_uint_eq(h.len, 65536);
	ck_assert_int_eq(ws_frame_hdr_parse(mid, 8, &h), 8);
	ck_assert(!h.fin);
	ck_assert_uint_eq(h.opcode, WS_OP_BINARY);
	ck_assert_uint_eq(h.len, 256);
	ck_assert_mem_eq(h.mask, "\x01\x02\x03\x04", 4);
	/* Extra bytes after the header are not part of it. */
	static const uint8_t more[] = {0xc9, 0x02, 'h', 'i', 0x81};
	ck_assert_int_eq(ws_frame_hdr_parse(more, 5, &h), 2);
	ck_assert_uint_eq(h.rsv, WS_RSV1);
	ck_assert_uint_eq(h.opcode, WS_OP_PING);
	ck_assert_uint_eq(h.len, 2);
	/* Every proper prefix is incomplete. */
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_eq(ws_frame_hdr_parse(masked, i, &h),
				 PROTO_E_AGAIN);
	for (size_t i = 0; i < 10; i++)
		ck_assert_int_eq(ws_frame_hdr_parse(big, i, &h), PROTO_E_AGAIN);
	for (size_t i = 0; i < 8; i++)
		ck_assert_int_eq(ws_frame_hdr_parse(mid, i, &h), PROTO_E_AGAIN);
	/* The MSB error shows as soon as its byte does. */
	for (size_t i = 0; i <= 10; i++)
		ck_assert_int_eq(ws_frame_hdr_parse(msb, i, &h),
				 i < 3 ? PROTO_E_AGAIN : PROTO_E_WS_PROTOCOL);
	ck_assert(!h.long_len);
	/* It flags a length not in its shortest form, and takes it. */
	static const uint8_t short16[] = {0x81, 0x7e, 0x00, 0x7d};
	static const uint8_t short64[] = {0x82, 0x7f, 0, 0,    0,
					  0,	0,    0, 0xff, 0xff};
	ck_assert_int_eq(ws_frame_hdr_parse(short16, 4, &h), 4);
	ck_assert_uint_eq(h.len, 125);
	ck_assert(h.long_len);
	ck_assert_int_eq(ws_frame_hdr_parse(short64, 10, &h), 10);
	ck_assert_uint_eq(h.len, 65535);
	ck_assert(h.long_len);
	ck_assert_int_eq(ws_frame_hdr_parse(big, 10, &h), 10);
	ck_assert(!h.long_len);
	ck_assert_int_eq(ws_frame_hdr_parse(mid, 8, &h), 8);
	ck_assert(!h.long_len);
	/* The parser makes no rule checks: a reserved opcode parses. */
	ck_assert_int_eq(ws_frame_hdr_parse((const uint8_t *)"\x73\x00", 2, &h),
			 2);
	ck_assert_uint_eq(h.opcode, 3);
	ck_assert_uint_eq(h.rsv, 7);
	ck_assert(!h.fin);
}
END_TEST

/* --- round trips --------------------------------------------------------- */

static const uint64_t rt_lengths[] = {0, 125, 126, 65535, 65536, 70001};

/* Encode one frame of each length (masked for a server to read, or not
 * for a client), decode it whole, then through the split harness. */
static void round_trip(uint64_t len, bool masked, uint8_t op)
{
	static const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};
	size_t n = (size_t)len;
	uint8_t *payload = malloc(n + 1);
	ck_assert_ptr_nonnull(payload);
	if (op == WS_OP_TEXT) {
		/* Euro signs (3 bytes), padded to the length with ASCII. */
		size_t i = 0;
		for (; i + 3 <= n; i += 3)
			memcpy(payload + i, "\xe2\x82\xac", 3);
		for (; i < n; i++)
			payload[i] = 'e';
	} else {
		for (size_t i = 0; i < n; i++)
			payload[i] = (uint8_t)(i * 7 + 3);
	}

	uint8_t h[WS_MAX_HEADER];
	size_t hl =
	    ws_frame_hdr_encode(h, true, 0, op, masked ? key : NULL, len);
	size_t want_hl = (len <= 125	 ? 2
			  : len <= 65535 ? 4
					 : 10) +
			 (masked ? 4 : 0);
	ck_assert_uint_eq(hl, want_hl);

	struct wcase c;
	memset(&c, 0, sizeof(c));
	c.role = masked ? WS_ROLE_SERVER : WS_ROLE_CLIENT;
	proto_buf_append(&c.in, h, hl);
	uint8_t *p = proto_buf_reserve(&c.in, n + 1);
	ck_assert_ptr_nonnull(p);
	if (n)
		memcpy(p, payload, n);
	if (masked)
		ws_mask(p, n, key, 0);
	proto_buf_commit(&c.in, n);
	if (masked && n >= 4)
		ck_assert(memcmp(p, payload, 4) != 0);

	/* Whole: one FRAME_START, one DATA pointing just past the header,
	 * unmasked in place, one FRAME_END. */
	struct ws_decoder d;
	struct ws_event ev;
	uint8_t *wire = proto_buf_head(&c.in);
	ws_decoder_init(&d, c.role, false, 0);
	ck_assert_int_eq(ws_decoder_feed(&d, wire, hl + n, &ev), (int)hl);
	ck_assert_int_eq(ev.type, WS_EV_FRAME_START);
	ck_assert_uint_eq(ev.hdr.len, len);
	ck_assert_uint_eq(ev.hdr.hdr_len, hl);
	ck_assert_uint_eq(ev.hdr.opcode, op);
	ck_assert_int_eq(ev.hdr.masked, masked);
	if (n) {
		ck_assert_int_eq(ws_decoder_feed(&d, wire + hl, n, &ev),
				 (int)n);
		ck_assert_int_eq(ev.type, WS_EV_DATA);
		ck_assert_ptr_eq(ev.data, wire + hl);
		ck_assert_uint_eq(ev.len, n);
		ck_assert_mem_eq(wire + hl, payload, n);
	}
	ck_assert_int_eq(ws_decoder_feed(&d, wire + hl + n, 0, &ev), 0);
	ck_assert_int_eq(ev.type, WS_EV_FRAME_END);
	ck_assert(ev.fin);
	ck_assert_int_eq(ws_decoder_feed(&d, NULL, 0, &ev), 0);
	ck_assert_int_eq(ev.type, WS_EV_NONE);

	/* Re-mask what the decoder unmasked, then run the harness with
	 * the expected log built from the payload. */
	if (masked)
		ws_mask(wire + hl, n, key, 0);
	proto_buf_appendf(&c.want,
			  "start op=%u msg=%u fin=1 rsv=0 masked=%d "
			  "len=%" PRIu64 "\n",
			  op, op, masked, len);
	if (n) {
		proto_buf_appendf(&c.want, "data %zu ", n);
		log_bytes(&c.want, payload, n);
		proto_buf_append_u8(&c.want, '\n');
	}
	proto_buf_appendf(&c.want, "end fin=1\nmessage op=%u %zu ", op, n);
	log_bytes(&c.want, payload, n);
	proto_buf_append_u8(&c.want, '\n');
	char name[64];
	snprintf(name, sizeof(name), "round trip %" PRIu64 " op %u masked %d",
		 len, op, masked);
	run_case(name, &c, false);
	run_case(name, &c, true);
	case_free(&c);
	free(payload);
}

START_TEST(round_trip_binary)
{
	round_trip(rt_lengths[_i], true, WS_OP_BINARY);
	round_trip(rt_lengths[_i], false, WS_OP_BINARY);
}
END_TEST

START_TEST(round_trip_text)
{
	round_trip(rt_lengths[_i], true, WS_OP_TEXT);
	round_trip(rt_lengths[_i], false, WS_OP_TEXT);
}
END_TEST

/* --- masking -------------------------------------------------------------- */

static void naive_mask(uint8_t *p, size_t n, const uint8_t m[4], uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= m[(off + i) % 4];
}

START_TEST(mask_every_offset_and_alignment)
{
	static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
	static const size_t lens[] = {
	    0,	1,  2,	3,  4,	5,  7,	8,   9,	  15,  16,  17,	  31,  32,
	    33, 39, 40, 41, 63, 64, 65, 100, 255, 256, 257, 1000, 4099};
	static const uint64_t offs[] = {
	    0, 1, 2, 3, 4, 5, 6, 7, (1ULL << 40) + 3, UINT64_MAX};
	uint8_t a[4099 + 32], b[4099 + 32];
	unsigned runs = 0;

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i * 31 + 7);
	for (size_t al = 0; al < 16; al++)
		for (size_t li = 0; li < NELEM(lens); li++)
			for (size_t oi = 0; oi < NELEM(offs); oi++) {
				memcpy(b, a, sizeof(a));
				ws_mask(b + al, lens[li], key, offs[oi]);
				uint8_t want[sizeof(a)];
				memcpy(want, a, sizeof(a));
				naive_mask(want + al, lens[li], key, offs[oi]);
				/* Includes the bytes around: untouched. */
				ck_assert_msg(memcmp(b, want, sizeof(a)) == 0,
					      "align %zu len %zu off %" PRIu64,
					      al, lens[li], offs[oi]);
				runs++;
			}
	ck_assert_uint_eq(runs, 16 * NELEM(lens) * NELEM(offs));
	/* A concrete value: RFC 6455 "Hello" with key 37 fa 21 3d. */
	uint8_t hello[] = "Hello";
	ws_mask(hello, 5, key, 0);
	ck_assert_mem_eq(hello, "\x7f\x9f\x4d\x51\x58", 5);
}
END_TEST

/* Unmasking in two pieces at every split point equals one pass. */
START_TEST(mask_in_pieces)
{
	static const uint8_t key[4] = {0x01, 0x80, 0x7f, 0xfe};
	uint8_t a[300], b[300], want[300];

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i ^ 0x5a);
	memcpy(want, a, sizeof(a));
	naive_mask(want + 3, 290, key, 0);
	for (size_t cut = 0; cut <= 290; cut++) {
		memcpy(b, a, sizeof(a));
		ws_mask(b + 3, cut, key, 0);
		ws_mask(b + 3 + cut, 290 - cut, key, cut);
		ck_assert_msg(memcmp(b, want, sizeof(b)) == 0, "cut %zu", cut);
	}
	/* Twice is the identity. */
	memcpy(b, a, sizeof(a));
	ws_mask(b, sizeof(b), key, 5);
	ck_assert(memcmp(b, a, sizeof(a)) != 0);
	ws_mask(b, sizeof(b), key, 5);
	ck_assert_mem_eq(b, a, sizeof(a));
}
END_TEST

/* --- close payloads --------------------------------------------------------
 */

START_TEST(close_codes)
{
	unsigned valid = 0;
	for (unsigned code = 0; code < 70000; code++)
		valid += ws_close_code_valid(code);
	/* 1000-1003, 1007-1014, 3000-4999 */
	ck_assert_uint_eq(valid, 4 + 8 + 2000);
	static const unsigned good[] = {1000, 1001, 1002, 1003, 1007,
					1008, 1009, 1010, 1011, 1012,
					1013, 1014, 3000, 4000, 4999};
	static const unsigned bad[] = {0,    999,  1004, 1005, 1006, 1015,
				       1016, 2000, 2999, 5000, 65535};
	for (size_t i = 0; i < NELEM(good); i++)
		ck_assert_msg(ws_close_code_valid(good[i]), "%u", good[i]);
	for (size_t i = 0; i < NELEM(bad); i++)
		ck_assert_msg(!ws_close_code_valid(bad[i]), "%u", bad[i]);
}
END_TEST

START_TEST(close_payload_build)
{
	uint8_t out[WS_MAX_CONTROL];
	char reason[124];

	ck_assert_int_eq(ws_close_payload(out, 1000, "bye", 3), 5);
	ck_assert_mem_eq(out,
			 "\x03\xe8"
			 "bye",
			 5);
	ck_assert_int_eq(ws_close_payload(out, 1001, NULL, 0), 2);
	ck_assert_mem_eq(out, "\x03\xe9", 2);
	ck_assert_int_eq(ws_close_payload(out, 0, NULL, 0), 0);
	ck_assert_int_eq(ws_close_payload(out, 0, "x", 1), PROTO_E_RANGE);
	ck_assert_int_eq(ws_close_payload(out, 1005, NULL, 0), PROTO_E_RANGE);
	ck_assert_int_eq(ws_close_payload(out, 1006, NULL, 0), PROTO_E_RANGE);
	ck_assert_int_eq(ws_close_payload(out, 5000, NULL, 0), PROTO_E_RANGE);
	memset(reason, 'r', sizeof(reason));
	ck_assert_int_eq(ws_close_payload(out, 4999, reason, 123), 125);
	ck_assert_mem_eq(out, "\x13\x87", 2);
	ck_assert_mem_eq(out + 2, reason, 123);
	ck_assert_int_eq(ws_close_payload(out, 4999, reason, 124),
			 PROTO_E_RANGE);
}
END_TEST

START_TEST(close_payload_parse)
{
	unsigned code = 0;
	const char *reason = NULL;
	size_t rl = 99;
	static const uint8_t bye[] = {0x03, 0xe8, 'b', 'y', 'e'};

	ck_assert_int_eq(ws_close_parse(bye, 5, &code, &reason, &rl), 0);
	ck_assert_uint_eq(code, 1000);
	ck_assert_ptr_eq(reason, (const char *)bye + 2);
	ck_assert_uint_eq(rl, 3);
	ck_assert_int_eq(ws_close_parse(bye, 2, &code, &reason, &rl), 0);
	ck_assert_uint_eq(code, 1000);
	ck_assert_uint_eq(rl, 0);
	ck_assert_int_eq(ws_close_parse(bye, 0, &code, &reason, &rl), 0);
	ck_assert_uint_eq(code, WS_CLOSE_NO_STATUS);
	ck_assert_uint_eq(rl, 0);
	ck_assert_int_eq(ws_close_parse(bye, 1, &code, &reason, &rl),
			 PROTO_E_WS_PROTOCOL);
	static const uint8_t c1005[] = {0x03, 0xed};
	ck_assert_int_eq(ws_close_parse(c1005, 2, &code, &reason, &rl),
			 PROTO_E_WS_PROTOCOL);
	static const uint8_t badr[] = {0x03, 0xe8, 0xc3, 0x28};
	ck_assert_int_eq(ws_close_parse(badr, 4, &code, &reason, &rl),
			 PROTO_E_WS_UTF8);
	ck_assert_int_eq(ws_close_parse(badr, 3, &code, &reason, &rl),
			 PROTO_E_WS_UTF8);
	/* Build then parse. */
	uint8_t out[WS_MAX_CONTROL];
	int n = ws_close_payload(out, 3000, "\xc3\xa9t\xc3\xa9", 6);
	ck_assert_int_eq(n, 8);
	ck_assert_int_eq(ws_close_parse(out, 8, &code, &reason, &rl), 0);
	ck_assert_uint_eq(code, 3000);
	ck_assert_uint_eq(rl, 6);
	ck_assert_mem_eq(reason, "\xc3\xa9t\xc3\xa9", 6);
}
END_TEST

/* --- decoder details the logs do not show ------------------------------ */

START_TEST(decoder_unmasks_in_place)
{
	uint8_t wire[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
			  0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct ws_decoder d;
	struct ws_event ev;

	ws_decoder_init(&d, WS_ROLE_SERVER, false, 0);
	ck_assert_int_eq(ws_decoder_feed(&d, wire, sizeof(wire), &ev), 6);
	ck_assert_int_eq(ev.type, WS_EV_FRAME_START);
	ck_assert_mem_eq(ev.hdr.mask, "\x37\xfa\x21\x3d", 4);
	/* A first DATA run of 2 bytes, then the remaining 3. */
	ck_assert_int_eq(ws_decoder_feed(&d, wire + 6, 2, &ev), 2);
	ck_assert_int_eq(ev.type, WS_EV_DATA);
	ck_assert_ptr_eq(ev.data, wire + 6);
	ck_assert_uint_eq(ev.frame_offset, 0);
	ck_assert_mem_eq(wire + 6, "He", 2);
	ck_assert_mem_eq(wire + 8, "\x4d\x51\x58", 3); /* not yet */
	ck_assert_int_eq(ws_decoder_feed(&d, wire + 8, 3, &ev), 3);
	ck_assert_ptr_eq(ev.data, wire + 8);
	ck_assert_uint_eq(ev.frame_offset, 2);
	ck_assert_mem_eq(wire + 6, "Hello", 5);
	ck_assert_int_eq(ws_decoder_feed(&d, wire + 11, 0, &ev), 0);
	ck_assert_int_eq(ev.type, WS_EV_FRAME_END);
	ck_assert(ev.fin);
	ck_assert_uint_eq(d.consumed_total, sizeof(wire));
}
END_TEST

START_TEST(decoder_no_limit_and_huge_length)
{
	/* max_message 0: no limit, even for a 2^62-byte frame header. */
	uint8_t wire[] = {0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0, 'x'};
	struct ws_decoder d;
	struct ws_event ev;

	ws_decoder_init(&d, WS_ROLE_CLIENT, false, 0);
	ck_assert_int_eq(ws_decoder_feed(&d, wire, sizeof(wire), &ev), 10);
	ck_assert_int_eq(ev.type, WS_EV_FRAME_START);
	ck_assert_uint_eq(ev.hdr.len, 1ULL << 62);
	ck_assert_int_eq(ws_decoder_feed(&d, wire + 10, 1, &ev), 1);
	ck_assert_int_eq(ev.type, WS_EV_DATA);
	ck_assert_uint_eq(ev.len, 1);
	/* With a limit of 2^62 - 1 the same header is refused. */
	ws_decoder_init(&d, WS_ROLE_CLIENT, false, (1ULL << 62) - 1);
	ck_assert_int_eq(ws_decoder_feed(&d, wire, sizeof(wire), &ev),
			 PROTO_E_WS_TOO_BIG);
	ck_assert_uint_eq(d.close_code, WS_CLOSE_TOO_BIG);
	ck_assert_uint_eq(d.error_offset, 1);
}
END_TEST

START_TEST(decoder_control_whole)
{
	/* A masked close 1000 "bye" arriving in three pieces: nothing is
	 * reported until the last byte, then one CONTROL event. */
	uint8_t wire[] = {0x88,	    0x85,     1,       2,	3,	4,
			  0x03 ^ 1, 0xe8 ^ 2, 'b' ^ 3, 'y' ^ 4, 'e' ^ 1};
	struct ws_decoder d;
	struct ws_event ev;

	ws_decoder_init(&d, WS_ROLE_SERVER, false, 0);
	ck_assert_int_eq(ws_decoder_feed(&d, wire, 3, &ev), 3);
	ck_assert_int_eq(ev.type, WS_EV_NONE);
	ck_assert_int_eq(ws_decoder_feed(&d, wire + 3, 5, &ev), 5);
	ck_assert_int_eq(ev.type, WS_EV_NONE);
	ck_assert_int_eq(ws_decoder_feed(&d, wire + 8, 3, &ev), 3);
	ck_assert_int_eq(ev.type, WS_EV_CONTROL);
	ck_assert_uint_eq(ev.hdr.opcode, WS_OP_CLOSE);
	ck_assert_uint_eq(ev.len, 5);
	ck_assert_mem_eq(ev.data,
			 "\x03\xe8"
			 "bye",
			 5);
	ck_assert_uint_eq(ev.close_code, 1000);
	ck_assert_uint_eq(ev.close_reason_len, 3);
	ck_assert_mem_eq(ev.close_reason, "bye", 3);
	ck_assert_str_eq(ev.close_reason, "bye"); /* NUL-terminated */
	ck_assert_int_eq(ws_decoder_feed(&d, NULL, 0, &ev), 0);
	ck_assert_int_eq(ev.type, WS_EV_NONE);
}
END_TEST

START_TEST(decoder_raw_leaves_input)
{
	/* The masked "Hello" of decoder_unmasks_in_place, in raw mode from
	 * read-only memory: DATA points at the masked bytes, with the
	 * header to unmask them; the input stays as it came. */
	static const uint8_t wire[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
				       0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct ws_decoder d;
	struct ws_event ev;
	uint8_t got[5];

	ws_decoder_init(&d, WS_ROLE_SERVER, false, 0);
	ck_assert(!d.raw_data);
	d.raw_data = true;
	ck_assert_int_eq(ws_decoder_feed_raw(&d, wire, sizeof(wire), &ev), 6);
	ck_assert_int_eq(ev.type, WS_EV_FRAME_START);
	ck_assert_int_eq(ws_decoder_feed_raw(&d, wire + 6, 2, &ev), 2);
	ck_assert_int_eq(ev.type, WS_EV_DATA);
	ck_assert_ptr_eq(ev.data, wire + 6);
	ck_assert(ev.hdr.masked);
	ck_assert_uint_eq(ev.hdr.len, 5);
	memcpy(got, ev.data, 2);
	ws_mask(got, 2, ev.hdr.mask, ev.frame_offset);
	ck_assert_int_eq(ws_decoder_feed_raw(&d, wire + 8, 3, &ev), 3);
	ck_assert_ptr_eq(ev.data, wire + 8);
	ck_assert_uint_eq(ev.frame_offset, 2);
	memcpy(got + 2, ev.data, 3);
	ws_mask(got + 2, 3, ev.hdr.mask, ev.frame_offset);
	ck_assert_mem_eq(got, "Hello", 5);
	ck_assert_int_eq(ws_decoder_feed_raw(&d, wire + 11, 0, &ev), 0);
	ck_assert_int_eq(ev.type, WS_EV_FRAME_END);
	ck_assert(ev.fin);
	/* Framing rules still hold: an unmasked client frame fails. */
	static const uint8_t bad[] = {0x81, 0x01, 'x'};
	ck_assert_int_eq(ws_decoder_feed_raw(&d, bad, sizeof(bad), &ev),
			 PROTO_E_WS_UNMASKED);
	ck_assert_uint_eq(d.error_offset, sizeof(wire) + 1);
}
END_TEST

START_TEST(decoder_error_is_sticky)
{
	uint8_t wire[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
	struct ws_decoder d;
	struct ws_event ev;

	ws_decoder_init(&d, WS_ROLE_SERVER, false, 0);
	ck_assert_int_eq(ws_decoder_feed(&d, wire, 1, &ev), 1);
	ck_assert_int_eq(ws_decoder_feed(&d, wire + 1, 6, &ev),
			 PROTO_E_WS_UNMASKED);
	ck_assert_uint_eq(d.close_code, 1002);
	ck_assert_str_eq(d.error, "client frame not masked");
	ck_assert_uint_eq(d.error_offset, 1);
	uint8_t good[] = {0x81, 0x80, 0, 0, 0, 0};
	ck_assert_int_eq(ws_decoder_feed(&d, good, sizeof(good), &ev),
			 PROTO_E_WS_UNMASKED);
	ck_assert_int_eq(ev.type, WS_EV_NONE);
}
END_TEST

static Suite *ws_frame_suite(void)
{
	Suite *s = suite_create("ws_frame");
	TCase *tc = tcase_create("rfc_vectors");
	tcase_add_loop_test(tc, rfc_vector, 0, NELEM(rfc_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("streams");
	tcase_add_loop_test(tc, stream, 0, NELEM(stream_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, malformed, 0, NELEM(bad_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("header");
	tcase_add_test(tc, hdr_encode_rfc);
	tcase_add_test(tc, hdr_parse);
	suite_add_tcase(s, tc);
	tc = tcase_create("round_trip");
	tcase_add_loop_test(tc, round_trip_binary, 0, NELEM(rt_lengths));
	tcase_add_loop_test(tc, round_trip_text, 0, NELEM(rt_lengths));
	suite_add_tcase(s, tc);
	tc = tcase_create("mask");
	tcase_add_test(tc, mask_every_offset_and_alignment);
	tcase_add_test(tc, mask_in_pieces);
	suite_add_tcase(s, tc);
	tc = tcase_create("close");
	tcase_add_test(tc, close_codes);
	tcase_add_test(tc, close_payload_build);
	tcase_add_test(tc, close_payload_parse);
	suite_add_tcase(s, tc);
	tc = tcase_create("decoder");
	tcase_add_test(tc, decoder_unmasks_in_place);
	tcase_add_test(tc, decoder_raw_leaves_input);
	tcase_add_test(tc, decoder_no_limit_and_huge_length);
	tcase_add_test(tc, decoder_control_whole);
	tcase_add_test(tc, decoder_error_is_sticky);
	suite_add_tcase(s, tc);
	return s;
}

WSSIM_CHECK_MAIN(ws_frame_suite)
