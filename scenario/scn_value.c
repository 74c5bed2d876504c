/* Values of the .scn language: keywords, ends of statements, durations,
 * bounded numbers, close codes, hex and base64 payloads, names. Each
 * check fails at the token that holds the bad value. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"

bool scn_word_is(const struct scn_tok *t, const char *kw)
{
	return t->kind == SCN_T_WORD && !strcmp(t->s, kw);
}

bool scn_is_end(const struct scn_tok *t)
{
	return t->kind == SCN_T_NL || t->kind == SCN_T_SEMI ||
	       t->kind == SCN_T_RBRACE || t->kind == SCN_T_EOF;
}

void scn_expect_end(struct scn_parser *p)
{
	const struct scn_tok *t = scn_peek(p);
	char b[64];
	if (t->kind == SCN_T_NL || t->kind == SCN_T_SEMI)
		scn_next(p);
	else if (t->kind != SCN_T_RBRACE && t->kind != SCN_T_EOF)
		scn_fail(p, t->pos, "unexpected %s (expected end of statement)",
			 scn_tok_desc(t, b, sizeof(b)));
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

uint64_t scn_duration(struct scn_parser *p, const struct scn_tok *t)
{
	char b[64];
	if (t->kind != SCN_T_WORD)
		scn_fail(p, t->pos,
			 "expected a duration (250ms, 5s, 1m), got %s",
			 scn_tok_desc(t, b, sizeof(b)));
	size_t n = 0;
	while (n < t->len && isdigit((unsigned char)t->s[n]))
		n++;
	const char *unit = t->s + n;
	uint64_t mul = 0;
	if (!strcmp(unit, "ms"))
		mul = 1;
	else if (!strcmp(unit, "s"))
		mul = 1000;
	else if (!strcmp(unit, "m"))
		mul = 60000;
	else if (!strcmp(unit, "h"))
		mul = 3600000;
	if (n == 0 || !mul)
		scn_fail(p, t->pos,
			 "expected a duration (250ms, 5s, 1m), got %s",
			 scn_tok_desc(t, b, sizeof(b)));
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		v = v * 10 + (uint64_t)(t->s[i] - '0');
		if (v > SCN_MAX_MS)
			break;
	}
	if (v > SCN_MAX_MS || v * mul > SCN_MAX_MS)
		scn_fail(p, t->pos, "duration %s out of range (at most 24h)",
			 t->s);
	return v * mul;
}

uint64_t scn_duration_us(struct scn_parser *p, const struct scn_tok *t)
{
	/* "12.345ms": up to three digits of a millisecond (recordings keep
	 * their timing to the microsecond); anything else as scn_duration */
	const char *dot =
	    t->kind == SCN_T_WORD ? memchr(t->s, '.', t->len) : NULL;
	if (!dot)
		return scn_duration(p, t) * 1000;
	size_t ni = (size_t)(dot - t->s), nf = 0;
	while (ni + 1 + nf < t->len && isdigit((unsigned char)dot[1 + nf]))
		nf++;
	bool ok = ni > 0 && ni <= 8 && nf >= 1 && nf <= 3 &&
		  !strcmp(dot + 1 + nf, "ms");
	for (size_t i = 0; ok && i < ni; i++)
		ok = isdigit((unsigned char)t->s[i]);
	if (!ok)
		scn_fail(p, t->pos,
			 "expected a duration (250ms, 12.345ms, 5s, 1m), got "
			 "%s",
			 t->s);
	uint64_t ms = 0, us = 0;
	for (size_t i = 0; i < ni; i++)
		ms = ms * 10 + (uint64_t)(t->s[i] - '0');
	for (size_t i = 0; i < 3; i++)
		us = us * 10 + (i < nf ? (uint64_t)(dot[1 + i] - '0') : 0);
	if (ms > SCN_MAX_MS)
		scn_fail(p, t->pos, "duration %s out of range (at most 24h)",
			 t->s);
	return ms * 1000 + us;
}

unsigned long scn_number(struct scn_parser *p, const struct scn_tok *t,
			 const char *what, unsigned long lo, unsigned long hi)
{
	char b[64];
	if (t->kind != SCN_T_WORD || !all_digits(t->s, t->len))
		scn_fail(p, t->pos, "expected %s (a number), got %s", what,
			 scn_tok_desc(t, b, sizeof(b)));
	unsigned long v = 0;
	for (size_t i = 0; i < t->len && v <= hi; i++)
		v = v * 10 + (unsigned long)(t->s[i] - '0');
	if (v < lo || v > hi)
		scn_fail(p, t->pos, "%s %.20s out of range (%lu-%lu)", what,
			 t->s, lo, hi);
	return v;
}

bool scn_close_code_ok(int code, bool expect)
{
	if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	    (code >= 3000 && code <= 4999))
		return true;
	/* Never sent, but reported: no status, abnormal, TLS failure. */
	return expect && (code == 1005 || code == 1006 || code == 1015);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void scn_decode_hex(struct scn_parser *p, const struct scn_tok *t,
		    struct scn_bytes *out)
{
	char *d = scn_alloc(p, t->len / 2 + 1);
	size_t n = 0;
	int hi = -1;
	for (size_t i = 0; i < t->len; i++) {
		int c = (unsigned char)t->s[i];
		if (c == ' ' && hi < 0)
			continue;
		int v = hexval(c);
		if (v < 0) {
			free(d);
			scn_fail(p, t->pos,
				 "bad hex payload: byte %zu is not a hex "
				 "digit (pairs like \"00ff\", spaces between "
				 "pairs)",
				 i + 1);
		}
		if (hi < 0) {
			hi = v;
		} else {
			d[n++] = (char)(hi * 16 + v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(d);
		scn_fail(p, t->pos, "bad hex payload: odd number of digits");
	}
	out->s = d;
	out->len = n;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void scn_decode_base64(struct scn_parser *p, const struct scn_tok *t,
		       struct scn_bytes *out)
{
	const char *s = t->s;
	size_t len = t->len;
	if (len % 4)
		scn_fail(p, t->pos,
			 "bad base64 payload: length %zu is not a multiple "
			 "of 4 (pad with '=')",
			 len);
	char *d = scn_alloc(p, len / 4 * 3 + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			int c = (unsigned char)s[i + (size_t)k];
			bool last = i + 4 == len;
			if (c == '=' && last &&
			    (k == 3 || (k == 2 && s[i + 3] == '='))) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = b64val(c);
			if (v[k] < 0) {
				free(d);
				scn_fail(p, t->pos,
					 "bad base64 payload: unexpected "
					 "character at byte %zu",
					 i + (size_t)k + 1);
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* Bits past the data must be zero (one encoding per value). */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) {
			free(d);
			scn_fail(p, t->pos,
				 "bad base64 payload: non-zero padding bits");
		}
		d[n++] = (char)(w >> 16);
		if (pad < 2)
			d[n++] = (char)(w >> 8);
		if (pad < 1)
			d[n++] = (char)w;
	}
	out->s = d;
	out->len = n;
}

bool scn_is_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* RFC 9110 token: header names, methods. */
bool scn_is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) &&
		    !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}
