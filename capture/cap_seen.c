/* The recent deliveries of one TCP direction (see cap_seen.h): a ring of
 * the last bytes, and a ring of (offset, length, hash) of the last
 * deliveries. */
#include <stdlib.h>
#include <string.h>

#include "cap_seen.h"

struct seen_seg {
	uint64_t off, hash;
	size_t len;
};

struct cap_seen {
	uint64_t end;	/* stream offset after the last byte delivered */
	uint64_t known; /* bytes from here to `end` are in `ring` (at most
			   CAP_SEEN_BYTES of them) */
	uint8_t ring[CAP_SEEN_BYTES]; /* the byte at offset o: ring[o % N] */
	struct seen_seg seg[CAP_SEEN_SEGMENTS];
	size_t nseg, next; /* valid entries; where the next goes */
};

struct cap_seen *cap_seen_new(void)
{
	return calloc(1, sizeof(struct cap_seen));
}

void cap_seen_free(struct cap_seen *s)
{
	free(s);
}

static uint64_t rotl(uint64_t x, int k)
{
	return x << k | x >> (64 - k);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

/* Four independent lanes of multiply-rotate over 32-byte blocks. */
static uint64_t hash_all(const uint8_t *p, size_t n)
{
	const uint64_t m = UINT64_C(0x9e3779b97f4a7c15);
	uint64_t v[4] = {n, m, ~n, ~m};
	size_t i = 0;
	for (; i + 32 <= n; i += 32)
		for (int k = 0; k < 4; k++) {
			uint64_t w;
			memcpy(&w, p + i + 8 * (size_t)k, 8);
			v[k] = rotl((v[k] ^ w) * m, 29);
		}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		v[0] = rotl((v[0] ^ w) * m, 29);
	}
	if (i < n) {
		uint64_t w = 0;
		memcpy(&w, p + i, n - i);
		v[1] = rotl((v[1] ^ w) * m, 29);
	}
	return mix(v[0] ^ rotl(v[1], 17) ^ rotl(v[2], 31) ^ rotl(v[3], 47));
}

/* A segment's fingerprint: the hash of all its bytes up to
 * SEEN_HASH_ALL of them; of a longer one (a pass over every byte of
 * every segment would halve capture's speed on big messages), of its
 * length, first and last 128 bytes and 16 words spread in between. */
#define SEEN_HASH_ALL 512
static uint64_t bytes_hash(const uint8_t *p, size_t n)
{
	if (n <= SEEN_HASH_ALL)
		return hash_all(p, n);
	uint64_t w[16 + 1];
	size_t step = (n - 256 - 8) / 15;
	for (size_t k = 0; k < 16; k++)
		memcpy(&w[k], p + 128 + k * step, 8);
	w[16] = n;
	return hash_all(p, 128) ^ rotl(hash_all(p + n - 128, 128), 23) ^
	       rotl(hash_all((const uint8_t *)w, sizeof(w)), 41);
}

void cap_seen_data(struct cap_seen *s, uint64_t off, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (off != s->end) /* not where the last ended: start afresh */
		s->known = off;
	s->end = off + n;
	/* the last CAP_SEEN_BYTES of them into the ring */
	size_t k = n < CAP_SEEN_BYTES ? n : CAP_SEEN_BYTES;
	uint64_t from = s->end - k;
	size_t at = (size_t)(from % CAP_SEEN_BYTES);
	size_t first = CAP_SEEN_BYTES - at < k ? CAP_SEEN_BYTES - at : k;
	memcpy(s->ring + at, p + (n - k), first);
	memcpy(s->ring, p + (n - k) + first, k - first);
	if (s->end - s->known > CAP_SEEN_BYTES)
		s->known = s->end - CAP_SEEN_BYTES;
	/* a short one is in the ring for CAP_SEEN_BYTES more bytes: not
	 * worth a hash (with small messages, hashing every delivery cost
	 * capture a tenth of its speed) */
	if (n < CAP_SEEN_HASH_MIN)
		return;
	s->seg[s->next] =
	    (struct seen_seg){.off = off, .len = n, .hash = bytes_hash(p, n)};
	s->next = (s->next + 1) % CAP_SEEN_SEGMENTS;
	if (s->nseg < CAP_SEEN_SEGMENTS)
		s->nseg++;
}

void cap_seen_gap(struct cap_seen *s, uint64_t end)
{
	s->end = s->known = end;
}

bool cap_seen_differs(const struct cap_seen *s, uint64_t off, const uint8_t *p,
		      size_t n)
{
	/* byte for byte where the ring holds them */
	uint64_t a = off > s->known ? off : s->known;
	uint64_t b = off + n < s->end ? off + n : s->end;
	for (uint64_t o = a; o < b;) {
		size_t at = (size_t)(o % CAP_SEEN_BYTES);
		size_t k = CAP_SEEN_BYTES - at;
		if (k > b - o)
			k = (size_t)(b - o);
		if (memcmp(s->ring + at, p + (o - off), k) != 0)
			return true;
		o += k;
	}
	/* by hash, for each recent delivery it covers whole */
	for (size_t i = 0; i < s->nseg; i++) {
		const struct seen_seg *g = &s->seg[i];
		if (g->off >= off && g->off + g->len <= off + n &&
		    bytes_hash(p + (g->off - off), g->len) != g->hash)
			return true;
	}
	return false;
}
