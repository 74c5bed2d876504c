/* Incremental UTF-8 validation (see ws_utf8.h).
 *
 * A table-driven DFA: each byte maps to one of 12 classes, and
 * (state, class) to the next state. States are stored premultiplied by
 * the number of classes so a transition is one table load. Only validity
 * is tracked (the code point itself is never needed), so ws_utf8.codep is
 * left at 0. Runs of ASCII at a character boundary are skipped 8 bytes at
 * a time.
 */
#include "ws_utf8.h"

#include <string.h>

#include "proto_err.h"

/* Byte classes: which bytes may follow depends only on these. */
enum {
	C_ASC = 0, /* 00..7F */
	C_C1 = 1,  /* 80..8F continuation */
	C_C2 = 2,  /* 90..9F continuation */
	C_C3 = 3,  /* A0..BF continuation */
	C_BAD = 4, /* C0 C1 F5..FF: never valid */
	C_L2 = 5,  /* C2..DF: lead of 2 */
	C_E0 = 6,  /* E0: lead of 3, next A0..BF (no overlongs) */
	C_L3 = 7,  /* E1..EC EE EF: lead of 3 */
	C_ED = 8,  /* ED: lead of 3, next 80..9F (no surrogates) */
	C_F0 = 9,  /* F0: lead of 4, next 90..BF (no overlongs) */
	C_L4 = 10, /* F1..F3: lead of 4 */
	C_F4 = 11, /* F4: lead of 4, next 80..8F (<= U+10FFFF) */
	NCLASS = 12
};

/* clang-format off */
static const uint8_t utf8_class[256] = {
    /* 00..7F */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 10 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 50 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 70 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 80 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 90 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* A0 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* B0 */
    4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, /* C0 */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, /* D0 */
    6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 7, /* E0 */
    9, 10, 10, 10, 11, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* F0 */
};
/* clang-format on */

/* States, premultiplied by NCLASS. */
#define S_OK (0 * NCLASS)  /* at a character boundary */
#define S_REJ (1 * NCLASS) /* invalid; sticky */
#define S_T1 (2 * NCLASS)  /* 1 more continuation byte */
#define S_T2 (3 * NCLASS)  /* 2 more */
#define S_E0 (4 * NCLASS)  /* after E0: A0..BF, then 1 more */
#define S_ED (5 * NCLASS)  /* after ED: 80..9F, then 1 more */
#define S_T3 (6 * NCLASS)  /* 3 more */
#define S_F0 (7 * NCLASS)  /* after F0: 90..BF, then 2 more */
#define S_F4 (8 * NCLASS)  /* after F4: 80..8F, then 2 more */
#define NSTATE 9

/* clang-format off */
static const uint8_t utf8_next[NSTATE * NCLASS] = {
#define X_ S_REJ
/*        ASC   C1    C2    C3    BAD   L2    E0    L3    ED    F0    L4    F4*/
/* OK  */ S_OK, X_,   X_,   X_,   X_,   S_T1, S_E0, S_T2, S_ED, S_F0, S_T3,S_F4,
/* REJ */ X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,
/* T1  */ X_,   S_OK, S_OK, S_OK, X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,
/* T2  */ X_,   S_T1, S_T1, S_T1, X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,
/* E0  */ X_,   X_,   X_,   S_T1, X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,
/* ED  */ X_,   S_T1, S_T1, X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,
/* T3  */ X_,   S_T2, S_T2, S_T2, X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,
/* F0  */ X_,   X_,   S_T2, S_T2, X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,
/* F4  */ X_,   S_T2, X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,   X_,
#undef X_
};
/* clang-format on */

#define HIGH_BITS 0x8080808080808080ull

int ws_utf8_feed(struct ws_utf8 *u, const uint8_t *p, size_t n, size_t *bad)
{
	uint32_t s = u->state;
	size_t i = 0;

	if (s == S_REJ) {
		if (bad)
			*bad = 0;
		return PROTO_E_WS_UTF8;
	}
	while (i < n) {
		if (s == S_OK) {
			/* At a boundary: skip ASCII four words, then one
			 * word at a time. */
			while (n - i >= 32) {
				uint64_t w[4];
				memcpy(w, p + i, 32);
				if ((w[0] | w[1] | w[2] | w[3]) & HIGH_BITS)
					break;
				i += 32;
			}
			while (n - i >= 8) {
				uint64_t w;
				memcpy(&w, p + i, 8);
				if (w & HIGH_BITS)
					break;
				i += 8;
			}
			while (i < n && p[i] < 0x80)
				i++;
			if (i == n)
				break;
		}
		s = utf8_next[s + utf8_class[p[i]]];
		if (s == S_REJ) {
			u->state = s;
			if (bad)
				*bad = i;
			return PROTO_E_WS_UTF8;
		}
		i++;
	}
	u->state = s;
	return 0;
}

bool ws_utf8_valid(const uint8_t *p, size_t n)
{
	struct ws_utf8 u;

	ws_utf8_init(&u);
	return ws_utf8_feed(&u, p, n, NULL) == 0 && ws_utf8_complete(&u);
}
