/* proto_buf: growable byte buffer (see proto_buf.h). */
#include "proto_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_err.h"

void proto_buf_init(struct proto_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void proto_buf_free(struct proto_buf *b)
{
	free(b->data);
	proto_buf_init(b);
}

uint8_t *proto_buf_reserve(struct proto_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return b->data + b->len;
	/* Reclaim consumed space before growing. */
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return b->data + b->len;
	}
	size_t need = b->len + n;
	if (need < b->len)
		return NULL;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return NULL;
		cap *= 2;
	}
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return NULL;
	b->data = p;
	b->cap = cap;
	return b->data + b->len;
}

void proto_buf_commit(struct proto_buf *b, size_t n)
{
	b->len += n;
}

int proto_buf_append(struct proto_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	uint8_t *dst = proto_buf_reserve(b, n);
	if (!dst)
		return PROTO_E_NOMEM;
	memcpy(dst, p, n);
	b->len += n;
	return 0;
}

int proto_buf_append_str(struct proto_buf *b, const char *s)
{
	return proto_buf_append(b, s, strlen(s));
}

int proto_buf_appendf(struct proto_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PROTO_E_INVAL;
	uint8_t *dst = proto_buf_reserve(b, (size_t)n + 1);
	if (!dst)
		return PROTO_E_NOMEM;
	va_start(ap, fmt);
	vsnprintf((char *)dst, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int proto_buf_append_u8(struct proto_buf *b, uint8_t v)
{
	return proto_buf_append(b, &v, 1);
}

int proto_buf_append_u16(struct proto_buf *b, uint16_t v)
{
	uint8_t p[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return proto_buf_append(b, p, 2);
}

int proto_buf_append_u32(struct proto_buf *b, uint32_t v)
{
	uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};
	return proto_buf_append(b, p, 4);
}

void proto_buf_consume(struct proto_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void proto_buf_reset(struct proto_buf *b)
{
	b->off = b->len = 0;
}

char *proto_buf_steal(struct proto_buf *b, size_t *len)
{
	size_t n = proto_buf_size(b);
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, proto_buf_head(b), n);
	s[n] = '\0';
	if (len)
		*len = n;
	proto_buf_reset(b);
	return s;
}
