/* The key log of cap_tls.h: SSLKEYLOGFILE lines parsed into entries keyed
 * by client random, in an open-addressing hash table. Only the labels the
 * decryptor uses are kept; decryption itself is cap_tls.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_tls.h"
#include "os_file.h"

struct cap_keylog {
	struct cap_keylog_entry **slots; /* cap slots, NULL when free */
	size_t n, cap;
	size_t skipped;
	cap_keylog_warn_cb warn;
	void *warn_ctx;
};

/* Lines as they come in pieces: a line is kept up to CAP_KEYLOG_MAX_LINE
 * bytes (plus a CR before its LF); the rest of a longer one is dropped as
 * it comes, so no input grows memory. */
struct line_reader {
	const char *name;
	size_t lineno;
	size_t n;
	bool too_long;
	char line[CAP_KEYLOG_MAX_LINE + 1];
};

struct cap_keylog *cap_keylog_new(void)
{
	return calloc(1, sizeof(struct cap_keylog));
}

void cap_keylog_free(struct cap_keylog *kl)
{
	if (!kl)
		return;
	for (size_t i = 0; i < kl->cap; i++)
		free(kl->slots[i]);
	free(kl->slots);
	free(kl);
}

size_t cap_keylog_count(const struct cap_keylog *kl)
{
	return kl->n;
}

size_t cap_keylog_skipped(const struct cap_keylog *kl)
{
	return kl->skipped;
}

void cap_keylog_set_warn(struct cap_keylog *kl, cap_keylog_warn_cb cb,
			 void *ctx)
{
	kl->warn = cb;
	kl->warn_ctx = ctx;
}

static void skip_line(struct cap_keylog *kl, const char *name, size_t lineno,
		      const char *label, const char *why)
{
	kl->skipped++;
	if (!kl->warn)
		return;
	char msg[256];
	snprintf(msg, sizeof(msg), "%s:%zu: %s%s%s; line skipped", name, lineno,
		 label ? label : "", label ? ": " : "", why);
	kl->warn(kl->warn_ctx, msg);
}

static size_t slot_of(const uint8_t cr[32], size_t cap)
{
	/* the client random is random: its first bytes are a fine hash */
	uint64_t h = 0;
	memcpy(&h, cr, sizeof(h));
	return (size_t)(h & (cap - 1));
}

const struct cap_keylog_entry *cap_keylog_find(const struct cap_keylog *kl,
					       const uint8_t client_random[32])
{
	if (!kl || !kl->cap)
		return NULL;
	for (size_t i = slot_of(client_random, kl->cap);;
	     i = (i + 1) & (kl->cap - 1)) {
		if (!kl->slots[i])
			return NULL;
		if (!memcmp(kl->slots[i]->client_random, client_random, 32))
			return kl->slots[i];
	}
}

static int grow(struct cap_keylog *kl)
{
	size_t nc = kl->cap ? kl->cap * 2 : 64;
	struct cap_keylog_entry **ns = calloc(nc, sizeof(*ns));
	if (!ns)
		return CAP_TLS_E_NOMEM;
	for (size_t i = 0; i < kl->cap; i++) {
		struct cap_keylog_entry *e = kl->slots[i];
		if (!e)
			continue;
		size_t j = slot_of(e->client_random, nc);
		while (ns[j])
			j = (j + 1) & (nc - 1);
		ns[j] = e;
	}
	free(kl->slots);
	kl->slots = ns;
	kl->cap = nc;
	return 0;
}

static struct cap_keylog_entry *entry_get(struct cap_keylog *kl,
					  const uint8_t cr[32])
{
	struct cap_keylog_entry *e =
	    (struct cap_keylog_entry *)cap_keylog_find(kl, cr);
	if (e)
		return e;
	if ((kl->n + 1) * 2 > kl->cap && grow(kl) < 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->client_random, cr, 32);
	size_t j = slot_of(cr, kl->cap);
	while (kl->slots[j])
		j = (j + 1) & (kl->cap - 1);
	kl->slots[j] = e;
	kl->n++;
	return e;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a whole field of hex into out (at most max bytes). Returns the
 * byte count, or -1 for bad hex or a wrong length. */
static int unhex(const char *s, size_t n, uint8_t *out, size_t max)
{
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int a = hexval(s[i]), b = hexval(s[i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i / 2] = (uint8_t)(a << 4 | b);
	}
	return (int)(n / 2);
}

static const char *const labels[] = {
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "CLIENT_RANDOM"};

/* Split a line into up to 4 whitespace-separated fields. */
static size_t fields(const char *p, size_t n, const char **f, size_t *fl)
{
	size_t k = 0, i = 0;
	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			break;
		size_t s = i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		if (k == 4)
			return 5;
		f[k] = p + s;
		fl[k] = i - s;
		k++;
	}
	return k;
}

/* One line (without its LF). Returns 0 (also for a line skipped) or
 * CAP_TLS_E_NOMEM. */
static int parse_line(struct cap_keylog *kl, const char *p, size_t n,
		      const char *name, size_t lineno)
{
	const char *f[4];
	size_t fl[4];
	size_t k = fields(p, n, f, fl);
	if (k == 0 || f[0][0] == '#')
		return 0;
	size_t li;
	for (li = 0; li < 5; li++)
		if (fl[0] == strlen(labels[li]) &&
		    !memcmp(f[0], labels[li], fl[0]))
			break;
	if (li == 5)
		return 0; /* a label we do not use */
	const char *why = NULL;
	uint8_t cr[32], sec[48];
	int sl = 0;
	if (k != 3)
		why = "expected LABEL CLIENT_RANDOM SECRET (three fields)";
	else if (unhex(f[1], fl[1], cr, 32) != 32)
		why = "the client random is not 64 hex digits";
	else if ((sl = unhex(f[2], fl[2], sec, 48)) < 0 ||
		 (li == 4 ? sl != 48 : (sl != 32 && sl != 48)))
		why = li == 4 ? "the master secret is not 96 hex digits"
			      : "the secret is not 64 or 96 hex digits";
	if (why) {
		skip_line(kl, name, lineno, labels[li], why);
		return 0;
	}
	struct cap_keylog_entry *e = entry_get(kl, cr);
	if (!e)
		return CAP_TLS_E_NOMEM;
	if (li == 4) {
		memcpy(e->master, sec, 48);
		e->has_master = true;
	} else {
		memcpy(e->secret[li], sec, (size_t)sl);
		e->secret_len[li] = (uint8_t)sl;
	}
	return 0;
}

/* The end of a line (its LF, or the end of the input after bytes). */
static int line_end(struct cap_keylog *kl, struct line_reader *lr)
{
	size_t n = lr->n;
	if (n && lr->line[n - 1] == '\r')
		n--;
	lr->lineno++;
	int r = 0;
	if (lr->too_long || n > CAP_KEYLOG_MAX_LINE)
		skip_line(kl, lr->name, lr->lineno, NULL,
			  "longer than " CAP_KEYLOG_MAX_LINE_TEXT " bytes");
	else
		r = parse_line(kl, lr->line, n, lr->name, lr->lineno);
	lr->n = 0;
	lr->too_long = false;
	return r;
}

/* The next n bytes of the input. */
static int lines_feed(struct cap_keylog *kl, struct line_reader *lr,
		      const char *p, size_t n)
{
	while (n) {
		const char *lf = memchr(p, '\n', n);
		size_t k = lf ? (size_t)(lf - p) : n;
		size_t room = sizeof(lr->line) - lr->n;
		if (k > room)
			lr->too_long = true;
		else
			memcpy(lr->line + lr->n, p, k);
		lr->n = lr->too_long ? 0 : lr->n + k;
		if (!lf)
			return 0;
		int r = line_end(kl, lr);
		if (r < 0)
			return r;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

/* The end of the input: a last line without LF. */
static int lines_finish(struct cap_keylog *kl, struct line_reader *lr)
{
	return lr->n || lr->too_long ? line_end(kl, lr) : 0;
}

int cap_keylog_parse(struct cap_keylog *kl, const char *text, size_t len,
		     const char *name, char *err, size_t errlen)
{
	struct line_reader *lr = calloc(1, sizeof(*lr));
	if (errlen)
		err[0] = '\0';
	int r = CAP_TLS_E_NOMEM;
	if (lr) {
		lr->name = name;
		r = lines_feed(kl, lr, text, len);
		if (r == 0)
			r = lines_finish(kl, lr);
	}
	if (r == CAP_TLS_E_NOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	free(lr);
	return r;
}

int cap_keylog_load(struct cap_keylog *kl, const char *path, char *err,
		    size_t errlen)
{
	/* a regular file only: a FIFO or a device (/dev/zero) is refused
	 * at once, before anything blocks or is read for ever */
	FILE *fp = os_fopen_regular(path, 0, err, errlen);
	if (!fp)
		return CAP_TLS_E_KEYLOG_IO;
	/* read in blocks, line by line: memory stays bounded whatever the
	 * file holds (one endless line included) */
	struct line_reader *lr = calloc(1, sizeof(*lr));
	char *buf = malloc(65536);
	int r = lr && buf ? 0 : CAP_TLS_E_NOMEM;
	if (lr)
		lr->name = path;
	while (r == 0) {
		size_t got = fread(buf, 1, 65536, fp);
		if (got == 0)
			break;
		r = lines_feed(kl, lr, buf, got);
	}
	if (r == 0 && ferror(fp)) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
		errno = e;
		r = CAP_TLS_E_KEYLOG_IO;
	} else if (r == 0) {
		r = lines_finish(kl, lr);
	}
	if (r == CAP_TLS_E_NOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	free(buf);
	free(lr);
	int e = errno;
	fclose(fp);
	errno = e;
	return r;
}
