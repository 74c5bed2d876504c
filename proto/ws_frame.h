/* RFC 6455 websocket frames, sans I/O.
 *
 * Encoding writes a frame header into a caller's array (the payload goes
 * out beside it, with no copy) and masks payloads in place. Decoding is a
 * resumable, event-at-a-time state machine over the caller's buffer: each
 * call consumes some input and reports one event. Data frames are reported
 * as FRAME_START, then DATA runs (unmasked in place, pointing into the
 * caller's buffer: no copy), then FRAME_END, so an endpoint can pass data
 * on as it arrives (Tomcat echoes partial messages). Control frames
 * (<= 125 bytes) are gathered inside the decoder and reported whole as one
 * CONTROL event. The decoder enforces the framing rules of RFC 6455
 * section 5: masking by role, reserved bits (RSV1 allowed only when
 * permessage-deflate was negotiated, only on a first data frame), reserved
 * opcodes, control frame length and fragmentation, continuation order,
 * the shortest length form ("the minimal number of bytes MUST be used to
 * encode the length", section 5.2: 126 only for 126..65535, 127 only
 * above), the 64-bit length MSB, a message size limit, UTF-8 of uncompressed
 * text messages across frames, and close frame payloads (code validity, UTF-8
 * reason). On a violation it returns a negative code and records the close code
 * a peer should send (1002, 1007, 1009) and the input offset.
 *
 * Raw mode (ws_decoder.raw_data) is for an observer that needs a data
 * frame's payload in part or not at all (wssim capture): DATA runs point
 * at the bytes as they came, still masked, the UTF-8 of text messages is
 * not checked (as for compressed ones), and the input is never written,
 * so it can be read-only (ws_decoder_feed_raw). Skipping a payload then
 * costs nothing per byte. A length not in its shortest form is accepted
 * and flagged (ws_frame_hdr.long_len): the frame's extent is still clear,
 * so an observer can say so and go on decoding. Every other rule, and
 * control frames, are as in the normal mode.
 */
#ifndef WSSIM_WS_FRAME_H
#define WSSIM_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_utf8.h"

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA,
};

#define WS_RSV1 0x4 /* as in ws_frame_hdr.rsv: bits RSV1 RSV2 RSV3 = 4 2 1 */
#define WS_MAX_HEADER 14
#define WS_MAX_CONTROL 125

/* Close codes (RFC 6455 section 7.4.1). */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005, /* never on the wire */
	WS_CLOSE_ABNORMAL = 1006,  /* never on the wire */
	WS_CLOSE_INVALID_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_EXTENSION = 1010,
	WS_CLOSE_INTERNAL = 1011,
	WS_CLOSE_TLS = 1015, /* never on the wire */
};

struct ws_frame_hdr {
	bool fin;
	uint8_t rsv; /* RSV1..3 as bits 4, 2, 1 */
	uint8_t opcode;
	bool masked;
	uint8_t mask[4];
	uint64_t len;	/* payload length */
	size_t hdr_len; /* 2 to 14 */
	bool long_len;	/* the length used a longer form than needed */
};

/* Write a frame header into out; returns its length (2..14). `mask` NULL
 * for an unmasked (server) frame. */
size_t ws_frame_hdr_encode(uint8_t out[WS_MAX_HEADER], bool fin, uint8_t rsv,
			   uint8_t opcode, const uint8_t *mask, uint64_t len);

/* Parse just a header from buf[0..len): returns its length (> 0) and fills
 * *h, PROTO_E_AGAIN if incomplete, or PROTO_E_WS_PROTOCOL for a 64-bit
 * length with the MSB set (as soon as that byte, buf[2], is there). No
 * rule checks (the decoder makes those): a length not in its shortest
 * form is only flagged in h->long_len. */
int ws_frame_hdr_parse(const uint8_t *buf, size_t len, struct ws_frame_hdr *h);

/* XOR p[0..n) with `mask`, where p starts `offset` bytes into the payload
 * (so a payload can be unmasked in pieces). Masking and unmasking are the
 * same operation. */
void ws_mask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset);

/* Whether `code` may appear in a close frame on the wire (1000-1003,
 * 1007-1011, 1012-1014 as registered, 3000-4999). */
bool ws_close_code_valid(unsigned code);

/* Build a close payload (code in network order + reason) into out
 * (WS_MAX_CONTROL bytes); returns its length, or PROTO_E_RANGE if the code
 * is not valid on the wire or the reason is longer than 123 bytes.
 * code 0 gives an empty payload (a reason with code 0 is PROTO_E_RANGE).
 * The reason is not checked for UTF-8. */
int ws_close_payload(uint8_t out[WS_MAX_CONTROL], unsigned code,
		     const char *reason, size_t reason_len);

/* Parse a received close payload: 0 with *code (1005 for an empty
 * payload) and the reason (pointing into p); PROTO_E_WS_PROTOCOL for a
 * one-byte payload or a code not valid on the wire; PROTO_E_WS_UTF8 for a
 * reason that is not UTF-8. */
int ws_close_parse(const uint8_t *p, size_t n, unsigned *code,
		   const char **reason, size_t *reason_len);

enum ws_role { WS_ROLE_SERVER, WS_ROLE_CLIENT };

enum ws_event_type {
	WS_EV_NONE,	   /* consumed input, nothing to report yet */
	WS_EV_FRAME_START, /* a data frame header: see ev.hdr, ev.msg_opcode */
	WS_EV_DATA,	   /* payload bytes of the current data frame, ev.hdr */
	WS_EV_FRAME_END,   /* the current data frame ended (ev.fin) */
	WS_EV_CONTROL,	   /* a whole control frame: ev.hdr, ev.data */
};

struct ws_event {
	enum ws_event_type type;
	struct ws_frame_hdr hdr; /* FRAME_START, DATA and CONTROL */
	uint8_t msg_opcode;	 /* TEXT or BINARY: the message's opcode */
	bool compressed;	 /* the message has RSV1 set */
	bool fin;		 /* FRAME_END: last frame of the message */
	const uint8_t *data;	 /* DATA, CONTROL: unmasked payload (raw
				    DATA: as it came; unmask a copy with
				    ws_mask(p, n, hdr.mask, frame_offset)
				    when hdr.masked) */
	size_t len;
	uint64_t frame_offset; /* DATA: offset of data within the frame */
	/* CONTROL with opcode CLOSE: parsed code (1005 if none) and reason */
	unsigned close_code;
	const char *close_reason;
	size_t close_reason_len;
};

struct ws_decoder {
	enum ws_role role;    /* whose frames we read: a SERVER reads masked */
	bool allow_rsv1;      /* permessage-deflate negotiated */
	uint64_t max_message; /* 0: no limit; else 1009 beyond it (payload
				 bytes on the wire, compressed or not) */
	bool raw_data;	      /* raw mode (see above): false after
				 ws_decoder_init; set it before the first
				 feed */
	/* private state */
	int state;
	struct ws_frame_hdr hdr;
	uint8_t hbuf[WS_MAX_HEADER];
	size_t hbuf_len;
	uint64_t done; /* payload bytes of this frame already read */
	bool in_message;
	uint8_t msg_opcode;
	bool msg_compressed;
	uint64_t msg_len;
	struct ws_utf8 utf8;
	uint8_t ctrl[WS_MAX_CONTROL + 1]; /* + a NUL after the payload */
	uint64_t consumed_total; /* stream offset, for error messages */
	/* after an error */
	unsigned close_code;   /* what to send the peer: 1002, 1007, 1009 */
	const char *error;     /* a readable reason, static string */
	uint64_t error_offset; /* stream offset of the offending byte */
};

/* Start a decoder for frames sent by the peer of `role`'s opposite:
 * role SERVER means we are the server, reading masked client frames. */
void ws_decoder_init(struct ws_decoder *d, enum ws_role role, bool allow_rsv1,
		     uint64_t max_message);

/* Consume from buf[0..len) (payload bytes are unmasked in place, hence
 * non-const) and report at most one event in *ev (always written;
 * WS_EV_NONE when there is nothing to report). Returns the number of
 * bytes consumed (possibly 0 when an event needs none, e.g. FRAME_END of
 * an empty frame; call until all input is consumed and ev->type is
 * WS_EV_NONE), or a negative PROTO_E_WS_* code with d->close_code,
 * d->error and d->error_offset set; the decoder is then unusable and
 * every later call returns the same code.
 * A DATA event's bytes are valid until the caller reuses buf; a CONTROL
 * event's data and close_reason point into the decoder and are valid
 * until the next call; a NUL byte follows them (still use the lengths: a
 * reason may contain U+0000).
 * Errors are reported at the first byte that decides them, whatever the
 * split of the input: header rules at the header byte concerned (the
 * size limit and control length at the frame's second byte), the
 * valid text before an invalid UTF-8 byte comes first as a DATA event, a
 * text message ending inside a character fails at the end of its final
 * frame, a bad close payload at its first byte (its bad UTF-8 byte for
 * the reason). */
int ws_decoder_feed(struct ws_decoder *d, uint8_t *buf, size_t len,
		    struct ws_event *ev);

/* ws_decoder_feed for a decoder in raw mode (d->raw_data set), on input
 * it does not write. */
int ws_decoder_feed_raw(struct ws_decoder *d, const uint8_t *buf, size_t len,
			struct ws_event *ev);

/* Note: UTF-8 of compressed text messages cannot be checked by the
 * decoder; whoever inflates them checks with ws_utf8. */

#endif
