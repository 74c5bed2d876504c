/* The .scn lexer: bytes into tokens (bare words, which may hold ${...}
 * macros with braces inside; quoted strings with their escapes decoded;
 * newlines, `;` and braces), comments skipped, and the raw mode that
 * reads a config block up to its balancing brace. Every error carries the
 * position of the byte that caused it. The grammar is scn_parse.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os_file.h"
#include "scn_int.h"

void scn_lex_init(struct scn_parser *p, const char *name, const char *src,
		  size_t len)
{
	p->name = name;
	p->src = src;
	p->len = len;
	p->off = 0;
	p->line = 1;
	p->col = 1;
}

void scn_lex_done(struct scn_parser *p)
{
	free(p->tok.s);
	p->tok.s = NULL;
	if (p->have_la)
		free(p->la.s);
	p->have_la = false;
}

void scn_error_set(struct scn_error *err, const char *name, const char *src,
		   size_t len, struct scn_pos pos, const char *msg)
{
	/* shown with its control characters escaped: a file name with a
	 * newline must not forge a line of the report */
	os_path_show(name, err->file, sizeof(err->file));
	err->line = pos.line;
	err->col = pos.col;
	snprintf(err->message, sizeof(err->message), "%s", msg);
	err->text[0] = 0;
	if (!src || pos.line == 0)
		return;
	size_t i = 0;
	for (unsigned l = 1; l < pos.line && i < len; i++)
		if (src[i] == '\n')
			l++;
	size_t n = 0;
	while (i < len && src[i] != '\n' && n + 1 < sizeof(err->text)) {
		unsigned char c = (unsigned char)src[i++];
		/* the line is echoed to a terminal: no raw escapes */
		err->text[n++] =
		    (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f ? '?'
								      : (char)c;
	}
	if (n && err->text[n - 1] == '\r')
		n--;
	err->text[n] = 0;
}

_Noreturn void scn_fail(struct scn_parser *p, struct scn_pos pos,
			const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	scn_error_set(p->err, p->name, p->src, p->len, pos, msg);
	longjmp(p->fail, 1);
}

const char *scn_tok_desc(const struct scn_tok *t, char *buf, size_t n)
{
	switch (t->kind) {
	case SCN_T_EOF:
		return "end of file";
	case SCN_T_NL:
		return "end of line";
	case SCN_T_SEMI:
		return "';'";
	case SCN_T_LBRACE:
		return "'{'";
	case SCN_T_RBRACE:
		return "'}'";
	case SCN_T_WORD:
		snprintf(buf, n, "'%.40s%s'", t->s, t->len > 40 ? "..." : "");
		return buf;
	case SCN_T_STRING:
		snprintf(buf, n, "string \"%.40s%s\"", t->s,
			 t->len > 40 ? "..." : "");
		return buf;
	}
	return "?";
}

static struct scn_pos here(const struct scn_parser *p)
{
	return (struct scn_pos){p->line, p->col};
}

static void adv(struct scn_parser *p)
{
	if (p->src[p->off] == '\n') {
		p->line++;
		p->col = 1;
	} else {
		p->col++;
	}
	p->off++;
}

static int peekc(const struct scn_parser *p, size_t ahead)
{
	return p->off + ahead < p->len ? (unsigned char)p->src[p->off + ahead]
				       : -1;
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

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_put(struct scn_parser *p, struct sbuf *b, const char *s,
		   size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			free(b->s);
			b->s = NULL;
			scn_fail(p, here(p), "out of memory");
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void utf8_put(struct scn_parser *p, struct sbuf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_put(p, b, u, n);
}

/* A quoted string; the buffer is freed before any error unwinds. */
static void lex_string(struct scn_parser *p, struct scn_tok *t)
{
	struct sbuf b = {0};
	adv(p); /* the opening quote */
	for (;;) {
		int c = peekc(p, 0);
		if (c < 0 || c == '\n') {
			free(b.s);
			scn_fail(p, t->pos,
				 "unterminated string (no closing '\"' on "
				 "this line)");
		}
		if (c == '"') {
			adv(p);
			break;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			struct scn_pos at = here(p);
			free(b.s);
			scn_fail(p, at,
				 "control character 0x%02x in string (write "
				 "it as \\x%02x)",
				 c, c);
		}
		if (c != '\\') {
			char ch = (char)c;
			sb_put(p, &b, &ch, 1);
			adv(p);
			continue;
		}
		struct scn_pos at = here(p);
		int e = peekc(p, 1);
		const char *simple = NULL;
		switch (e) {
		case '"':
			simple = "\"";
			break;
		case '\\':
			simple = "\\";
			break;
		case 'n':
			simple = "\n";
			break;
		case 't':
			simple = "\t";
			break;
		case 'r':
			simple = "\r";
			break;
		default:
			break;
		}
		if (simple) {
			sb_put(p, &b, simple, 1);
			adv(p);
			adv(p);
			continue;
		}
		if (e == 'x') {
			int h = hexval(peekc(p, 2)), l = hexval(peekc(p, 3));
			if (h < 0 || l < 0) {
				free(b.s);
				scn_fail(
				    p, at,
				    "bad escape: \\x needs two hex digits");
			}
			char ch = (char)(h * 16 + l);
			sb_put(p, &b, &ch, 1);
			for (int i = 0; i < 4; i++)
				adv(p);
			continue;
		}
		if (e == 'u' && peekc(p, 2) == '{') {
			unsigned long cp = 0;
			size_t i = 3;
			int d;
			while (i < 9 && (d = hexval(peekc(p, i))) >= 0) {
				cp = cp * 16 + (unsigned long)d;
				i++;
			}
			if (i == 3 || peekc(p, i) != '}' || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff)) {
				free(b.s);
				scn_fail(p, at,
					 "bad escape: \\u{...} needs 1 to 6 "
					 "hex digits naming a Unicode scalar "
					 "value");
			}
			utf8_put(p, &b, cp);
			for (size_t k = 0; k <= i; k++)
				adv(p);
			continue;
		}
		free(b.s);
		if (e > 0x20 && e < 0x7f)
			scn_fail(p, at,
				 "unknown escape '\\%c' (expected \\\" \\\\ "
				 "\\n \\t \\r \\xHH \\u{HHHH})",
				 e);
		scn_fail(p, at,
			 "unknown escape (expected \\\" \\\\ \\n \\t \\r "
			 "\\xHH \\u{HHHH})");
	}
	if (!b.s)
		sb_put(p, &b, "", 0);
	t->s = b.s;
	t->len = b.len;
}

static bool word_char(int c)
{
	return c > 0x20 && c != 0x7f && c != '"' && c != ';' && c != '{' &&
	       c != '}';
}

/* A character outside strings that looks like a space or like nothing at
 * all (an editor's no-break space, a byte order mark in mid-file, a
 * zero-width space): named, since the error's caret would point at what
 * the user cannot see. Returns its length in bytes, 0 if it is not one. */
static size_t invisible(const struct scn_parser *p, unsigned *cp,
			const char **what)
{
	int c0 = peekc(p, 0), c1 = peekc(p, 1), c2 = peekc(p, 2);
	if (c0 == 0xc2 && c1 == 0xa0) {
		*cp = 0xa0;
		*what = "a no-break space";
		return 2;
	}
	if (c0 != 0xe2 && c0 != 0xef && c0 != 0xe3)
		return 0;
	if (c1 < 0x80 || c2 < 0x80)
		return 0;
	unsigned u = ((unsigned)(c0 & 0x0f) << 12) |
		     ((unsigned)(c1 & 0x3f) << 6) | (unsigned)(c2 & 0x3f);
	*cp = u;
	if (u == 0xfeff)
		*what = "a byte order mark (BOM)";
	else if (u >= 0x200b && u <= 0x200f)
		*what = "a zero-width character";
	else if ((u >= 0x2000 && u <= 0x200a) || u == 0x202f || u == 0x205f ||
		 u == 0x3000)
		*what = "a Unicode space";
	else if (u == 0x2028 || u == 0x2029 || u == 0x2060)
		*what = "an invisible separator";
	else
		return 0;
	return 3;
}

static void refuse_invisible(struct scn_parser *p)
{
	unsigned cp;
	const char *what;
	if (invisible(p, &cp, &what))
		scn_fail(p, here(p),
			 "invisible character U+%04X (%s) outside a string: "
			 "delete it or type a plain space",
			 cp, what);
}

/* A bare word; a `${` (or `$${`) inside runs to its balancing `}`. */
static void lex_word(struct scn_parser *p, struct scn_tok *t)
{
	while (p->off < p->len) {
		int c = peekc(p, 0);
		size_t skip = 0;
		if (c == '$' && peekc(p, 1) == '{')
			skip = 2;
		else if (c == '$' && peekc(p, 1) == '$' && peekc(p, 2) == '{')
			skip = 3;
		if (skip) {
			struct scn_pos at = here(p);
			for (size_t i = 0; i < skip; i++)
				adv(p);
			int depth = 1;
			while (depth) {
				int d = peekc(p, 0);
				if (d < 0 || d == '\n' || d == ' ' ||
				    d == '\t' || d == '"' || d == ';')
					scn_fail(p, at,
						 "unterminated macro (no "
						 "closing '}')");
				if (d == '{')
					depth++;
				else if (d == '}')
					depth--;
				adv(p);
			}
			continue;
		}
		if (!word_char(c))
			break;
		refuse_invisible(p);
		adv(p);
	}
	t->len = p->off - t->off;
	t->s = malloc(t->len + 1);
	if (!t->s)
		scn_fail(p, t->pos, "out of memory");
	memcpy(t->s, p->src + t->off, t->len);
	t->s[t->len] = 0;
}

static void lex(struct scn_parser *p, struct scn_tok *t)
{
	memset(t, 0, sizeof(*t));
	for (;;) {
		int c = peekc(p, 0);
		if (c == ' ' || c == '\t' || c == '\r') {
			adv(p);
		} else if (c == '#') {
			while (p->off < p->len && p->src[p->off] != '\n')
				adv(p);
		} else {
			break;
		}
	}
	t->pos = here(p);
	t->off = p->off;
	int c = peekc(p, 0);
	switch (c) {
	case -1:
		t->kind = SCN_T_EOF;
		break;
	case '\n':
		t->kind = SCN_T_NL;
		adv(p);
		break;
	case ';':
		t->kind = SCN_T_SEMI;
		adv(p);
		break;
	case '{':
		t->kind = SCN_T_LBRACE;
		adv(p);
		break;
	case '}':
		t->kind = SCN_T_RBRACE;
		adv(p);
		break;
	case '"':
		t->kind = SCN_T_STRING;
		lex_string(p, t);
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			scn_fail(p, t->pos,
				 "unexpected control character 0x%02x", c);
		t->kind = SCN_T_WORD;
		lex_word(p, t);
		break;
	}
	t->end = p->off;
}

const struct scn_tok *scn_peek(struct scn_parser *p)
{
	if (!p->have_la) {
		lex(p, &p->la);
		p->have_la = true;
	}
	return &p->la;
}

const struct scn_tok *scn_next(struct scn_parser *p)
{
	scn_peek(p);
	free(p->tok.s);
	p->tok = p->la;
	p->la.s = NULL;
	p->have_la = false;
	return &p->tok;
}

char *scn_take(struct scn_parser *p, size_t *len)
{
	char *s = p->tok.s;
	if (len)
		*len = p->tok.len;
	p->tok.s = NULL;
	return s;
}

void scn_lex_raw(struct scn_parser *p, struct scn_pos open, size_t *start,
		 size_t *end, struct scn_pos *start_pos)
{
	/* The `{` was the lookahead's last byte, and nothing was lexed
	 * beyond it: the cursor is right after it. */
	*start = p->off;
	*start_pos = here(p);
	int depth = 1;
	for (;;) {
		int c = peekc(p, 0);
		if (c < 0)
			scn_fail(p, open,
				 "unterminated config block (this '{' is "
				 "never closed)");
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
		    c == 0x7f)
			scn_fail(p, here(p),
				 "control character 0x%02x in config block", c);
		if (c == '{')
			depth++;
		if (c == '}' && --depth == 0)
			break;
		adv(p);
	}
	*end = p->off;
	adv(p); /* the closing brace */
}
