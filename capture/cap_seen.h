/* What one direction of a TCP connection delivered lately, kept so that a
 * retransmission carrying other bytes than the first copy can be told from
 * one that repeats it (Wireshark's "retransmission with different data").
 * The reassembler keeps the first copy either way; this only answers
 * "does it differ?", as far as it knows:
 *
 * - the last CAP_SEEN_BYTES bytes delivered are kept: any overlap with
 *   them is compared byte for byte;
 * - of the last CAP_SEEN_SEGMENTS deliveries (one a segment, mostly) of
 *   at least CAP_SEEN_HASH_MIN bytes, the offset, length and a 64-bit
 *   fingerprint are kept: an older retransmission that covers one of them
 *   whole is compared by it. The
 *   fingerprint hashes every byte of a delivery of up to 512 bytes; of a
 *   longer one, its first and last 128 bytes and 16 words spread in
 *   between (so a change elsewhere in an old, long segment is missed).
 *
 * Bytes older than both, or declared missing (gaps), are not known: a
 * retransmission of them is not compared. The hash is not cryptographic:
 * a peer could make a collision on purpose (it would only hide itself). */
#ifndef WSSIM_CAP_SEEN_H
#define WSSIM_CAP_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_SEEN_BYTES 1024
#define CAP_SEEN_SEGMENTS 16
#define CAP_SEEN_HASH_MIN 256

struct cap_seen;

/* An empty record starting at stream offset 0; NULL when out of memory. */
struct cap_seen *cap_seen_new(void);

void cap_seen_free(struct cap_seen *s); /* NULL is fine */

/* n bytes delivered at stream offset off (borrowed; off is where the
 * previous delivery or gap ended). */
void cap_seen_data(struct cap_seen *s, uint64_t off, const uint8_t *p,
		   size_t n);

/* The bytes up to stream offset `end` were declared missing. */
void cap_seen_gap(struct cap_seen *s, uint64_t end);

/* Whether p[0..n) (borrowed), the bytes at stream offset off, differ from
 * what was delivered there, where that is known (see above). */
bool cap_seen_differs(const struct cap_seen *s, uint64_t off, const uint8_t *p,
		      size_t n);

#endif
