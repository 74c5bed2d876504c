/* libFuzzer target for the .scn parser: any input either fails with an
 * error that prints, or parses to a tree whose print parses again and
 * prints the same (the printed form is a fixed point); every template of
 * a parsed file expands. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static char *print_mem(const struct scn_file *f, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	check(m != NULL);
	check(scn_print(m, f) == 0);
	fclose(m);
	return buf;
}

static int resolve(void *ctx, const char *comp, const char *field, char *out,
		   size_t outlen)
{
	(void)ctx;
	snprintf(out, outlen, "127.0.0.1:%zu", strlen(comp) + strlen(field));
	return 0;
}

static void expand(const char *tmpl, bool in_config)
{
	char err[128];
	char *s = scn_expand(tmpl, in_config, resolve, NULL, err, sizeof(err));
	check(s != NULL); /* the parser checked every macro */
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scn_file *f;
	struct scn_error err;
	if (scn_parse_string("fuzz", (const char *)data, size, &f, &err)) {
		check(f == NULL);
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			scn_error_print(null, &err, true);
			fclose(null);
		}
		return 0;
	}
	for (size_t i = 0; i < f->nclients; i++) {
		expand(f->clients[i].url, false);
		for (size_t k = 0; k < f->clients[i].nheaders; k++)
			expand(f->clients[i].headers[k].value, false);
	}
	for (size_t i = 0; i < f->ncomps; i++)
		if (f->comps[i].config)
			expand(f->comps[i].config, true);
	size_t len, len2;
	char *text = print_mem(f, &len);
	struct scn_file *g;
	if (scn_parse_string("printed", text, len, &g, &err)) {
		fprintf(stderr, "print does not parse: %u:%u: %s\n%s\n",
			err.line, err.col, err.message, text);
		abort();
	}
	char *text2 = print_mem(g, &len2);
	if (len != len2 || memcmp(text, text2, len)) {
		fprintf(stderr, "not a fixed point:\n%s\n---\n%s\n", text,
			text2);
		abort();
	}
	free(text);
	free(text2);
	scn_free(g);
	scn_free(f);
	return 0;
}
