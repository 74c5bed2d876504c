/* A growable byte buffer: the one way codecs hand bytes to their caller.
 *
 * Encoders append to a proto_buf; readers consume from its front. The
 * buffer owns its memory (free it with proto_buf_free). Data lives in
 * [data + off, data + len); consumed bytes are reclaimed lazily.
 */
#ifndef WSSIM_PROTO_BUF_H
#define WSSIM_PROTO_BUF_H

#include <stddef.h>
#include <stdint.h>

struct proto_buf {
	uint8_t *data;
	size_t off; /* first unconsumed byte */
	size_t len; /* end of the data */
	size_t cap;
};

#define PROTO_BUF_INIT                                                         \
	{                                                                      \
		NULL, 0, 0, 0                                                  \
	}

void proto_buf_init(struct proto_buf *b);
void proto_buf_free(struct proto_buf *b);

/* Bytes held (len - off) and a pointer to the first of them. */
static inline size_t proto_buf_size(const struct proto_buf *b)
{
	return b->len - b->off;
}
static inline uint8_t *proto_buf_head(const struct proto_buf *b)
{
	return b->data + b->off;
}

/* Make room for at least `n` more bytes at the end; returns a pointer to
 * that room (commit with proto_buf_commit) or NULL when out of memory. */
uint8_t *proto_buf_reserve(struct proto_buf *b, size_t n);
void proto_buf_commit(struct proto_buf *b, size_t n);

/* Append bytes / a NUL-terminated string / a printf-formatted string /
 * big-endian integers. Return 0 or PROTO_E_NOMEM (buffer unchanged). */
int proto_buf_append(struct proto_buf *b, const void *p, size_t n);
int proto_buf_append_str(struct proto_buf *b, const char *s);
int proto_buf_appendf(struct proto_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int proto_buf_append_u8(struct proto_buf *b, uint8_t v);
int proto_buf_append_u16(struct proto_buf *b, uint16_t v);
int proto_buf_append_u32(struct proto_buf *b, uint32_t v);

/* Drop `n` bytes from the front (n <= size). */
void proto_buf_consume(struct proto_buf *b, size_t n);
/* Drop everything. Keeps the memory. */
void proto_buf_reset(struct proto_buf *b);
/* Give up ownership of the bytes: returns a malloc'd copy of the data
 * (NUL-terminated, length in *len if non-NULL) and resets the buffer;
 * NULL when out of memory. */
char *proto_buf_steal(struct proto_buf *b, size_t *len);

#endif
