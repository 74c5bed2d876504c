/* Private to the scenario library: the lexer, the parser's state and the
 * helpers its files share. Nothing here is part of scn.h's contract. */
#ifndef WSSIM_SCN_INT_H
#define WSSIM_SCN_INT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"

/* Limits that keep a hostile file from exhausting the stack or memory. */
#define SCN_MAX_DEPTH 16 /* nested repeat blocks */
#define SCN_MAX_MS SCN_MAX_DURATION_MS
#define SCN_MAX_COUNT 1000000u	 /* repeat counts */
#define SCN_DEFAULT_TIMEOUT 5000 /* ms, per wait */

enum scn_tok_kind {
	SCN_T_EOF,
	SCN_T_NL,     /* a newline */
	SCN_T_SEMI,   /* ; */
	SCN_T_LBRACE, /* { */
	SCN_T_RBRACE, /* } */
	SCN_T_WORD,   /* a bare word (keywords, names, numbers, durations) */
	SCN_T_STRING, /* a quoted string, escapes decoded */
};

struct scn_tok {
	enum scn_tok_kind kind;
	struct scn_pos pos;
	size_t off, end; /* its bytes in the source */
	char *s;	 /* WORD, STRING: decoded, NUL-terminated, owned */
	size_t len;
};

/* A reference to a component, checked once the whole file is read
 * (components may be declared after their first use). */
enum scn_ref_kind {
	SCN_REF_MACRO,	/* ${comp.field} outside a config block */
	SCN_REF_CONFIG, /* ${comp[.field]} in a config block: only if declared
			 */
	SCN_REF_TOMCAT, /* stop, start, expect backend: a tomcat connector */
	SCN_REF_MAP,	/* map "from" comp.field */
};

struct scn_ref {
	enum scn_ref_kind kind;
	char *comp, *field; /* field may be NULL */
	char *what;	    /* how the message names it: "macro '${a.b}'" */
	struct scn_pos pos;
};

struct scn_parser {
	const char *name; /* the file name for errors */
	const char *src;
	size_t len, off; /* the lexer's cursor */
	unsigned line, col;
	struct scn_tok tok; /* the last token taken */
	struct scn_tok la;  /* the lookahead, when have_la */
	bool have_la;
	struct scn_file *f;
	struct scn_error *err;
	jmp_buf fail;
	struct scn_ref *refs;
	size_t nrefs;
	unsigned depth;
	bool topology; /* scn_parse_topology_file: clients optional */
	/* scn_names.c: every component and client name declared so far */
	struct scn_name *names;
	size_t names_cap, names_n;
};

/* scn_lex.c */
void scn_lex_init(struct scn_parser *p, const char *name, const char *src,
		  size_t len);
void scn_lex_done(struct scn_parser *p);
const struct scn_tok *scn_peek(struct scn_parser *p);
const struct scn_tok *scn_next(struct scn_parser *p);
/* Take ownership of the last token's string. */
char *scn_take(struct scn_parser *p, size_t *len);
/* Right after a `{` was taken: the raw bytes up to the brace that
 * balances it, which is consumed. *start_pos is the first raw byte's. */
void scn_lex_raw(struct scn_parser *p, struct scn_pos open, size_t *start,
		 size_t *end, struct scn_pos *start_pos);
/* Fill p->err at pos and unwind to scn_parse_string. */
_Noreturn void scn_fail(struct scn_parser *p, struct scn_pos pos,
			const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void scn_error_set(struct scn_error *err, const char *name, const char *src,
		   size_t len, struct scn_pos pos, const char *msg);
/* A short printable rendering of a token for messages. */
const char *scn_tok_desc(const struct scn_tok *t, char *buf, size_t n);

/* scn_mem.c: allocation that unwinds with "out of memory" */
void *scn_alloc(struct scn_parser *p, size_t n);
char *scn_strdup(struct scn_parser *p, const char *s);
/* Grow *arr (of *n elements of size sz) by one zeroed element. */
void *scn_push(struct scn_parser *p, void *arr, size_t *n, size_t sz);

/* scn_value.c: words and strings into values */
bool scn_word_is(const struct scn_tok *t, const char *kw);
bool scn_is_end(const struct scn_tok *t);
void scn_expect_end(struct scn_parser *p);
uint64_t scn_duration(struct scn_parser *p, const struct scn_tok *t);
/* The same in microseconds, also accepting fractional milliseconds
 * ("12.345ms", for `wait`). */
uint64_t scn_duration_us(struct scn_parser *p, const struct scn_tok *t);
unsigned long scn_number(struct scn_parser *p, const struct scn_tok *t,
			 const char *what, unsigned long lo, unsigned long hi);
bool scn_close_code_ok(int code, bool expect);
void scn_decode_hex(struct scn_parser *p, const struct scn_tok *t,
		    struct scn_bytes *out);
void scn_decode_base64(struct scn_parser *p, const struct scn_tok *t,
		       struct scn_bytes *out);
bool scn_is_name(const char *s);
bool scn_is_token(const char *s);

/* scn_macro.c: templates */
/* Record the macros of a template for the check at the end; s..s+len is
 * its text, starting at pos (config: the raw block, tracking lines). */
void scn_template_check(struct scn_parser *p, const char *s, size_t len,
			struct scn_pos pos, bool in_config);
void scn_refs_check(struct scn_parser *p);
void scn_ref_add(struct scn_parser *p, enum scn_ref_kind kind, const char *comp,
		 const char *field, struct scn_pos pos, const char *what);

/* scn_comp.c, scn_client.c */
void scn_parse_component(struct scn_parser *p, enum scn_comp_kind kind);
void scn_parse_client(struct scn_parser *p);
void scn_check_name(struct scn_parser *p, const struct scn_tok *t);
/* scn_client.c: every client expects something (else it cannot fail). */
void scn_clients_check(struct scn_parser *p);

/* scn_names.c: add `name` declared at pos; false (and where it was first
 * declared in *first) if it already was. Frees with scn_names_free. */
bool scn_names_add(struct scn_parser *p, const char *name, struct scn_pos pos,
		   struct scn_pos *first);
void scn_names_free(struct scn_parser *p);

/* scn_tree.c */
void scn_steps_free(struct scn_step *s, size_t n);

#endif
