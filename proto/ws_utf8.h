/* Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), resumable across buffer boundaries so text
 * split over frames or reads can be checked as it arrives. */
#ifndef WSSIM_WS_UTF8_H
#define WSSIM_WS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ws_utf8 {
	uint32_t state; /* 0: at a character boundary */
	uint32_t codep; /* unused by the validator (kept 0) */
};

static inline void ws_utf8_init(struct ws_utf8 *u)
{
	u->state = 0;
	u->codep = 0;
}

/* Feed p[0..n). Returns 0 while the input so far is valid (possibly
 * ending inside a character), or PROTO_E_WS_UTF8 with *bad (if non-NULL)
 * the index in p of the byte that made it invalid. Once invalid, every
 * later call fails with *bad = 0. */
int ws_utf8_feed(struct ws_utf8 *u, const uint8_t *p, size_t n, size_t *bad);

/* Whether the input fed so far ends at a character boundary. */
static inline bool ws_utf8_complete(const struct ws_utf8 *u)
{
	return u->state == 0;
}

/* One-shot check of a whole string. */
bool ws_utf8_valid(const uint8_t *p, size_t n);

#endif
