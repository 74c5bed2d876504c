/* Printing: a scenario back as .scn text (the canonical form: one
 * statement a line, tabs, every free value quoted, durations in ms) that
 * parses to the same tree; and a parse error with its line and caret. */
#include <stdio.h>
#include <string.h>

#include "scn_int.h"

/* "250ms", or "12.345ms" with microseconds. */
static void duration(FILE *out, uint64_t ms, uint64_t us)
{
	if (us)
		fprintf(out, "%llu.%03llums", (unsigned long long)ms,
			(unsigned long long)us);
	else
		fprintf(out, "%llums", (unsigned long long)ms);
}

static void str(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void cstr(FILE *out, const char *s)
{
	str(out, s, strlen(s));
}

static void bytes(FILE *out, const struct scn_bytes *b)
{
	str(out, b->s, b->len);
}

static void hex(FILE *out, const struct scn_bytes *b)
{
	fputc('"', out);
	for (size_t i = 0; i < b->len; i++)
		fprintf(out, "%02x", (unsigned char)b->s[i]);
	fputc('"', out);
}

static void indent(FILE *out, int n)
{
	for (int i = 0; i < n; i++)
		fputc('\t', out);
}

static const char *const conn_names[SCN_NCONN] = {"http", "https", "ajp"};
static const char *const cert_names[] = {"valid", "self-signed", "expired",
					 "wrong-host"};

static void print_config(FILE *out, const char *cfg)
{
	if (!strchr(cfg, '\n')) {
		fprintf(out, "\tconfig { %s }\n", cfg);
		return;
	}
	fputs("\tconfig {\n", out);
	for (const char *l = cfg; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n)
			fprintf(out, "\t\t%.*s", (int)n, l);
		fputc('\n', out);
		l += n + (e ? 1 : 0);
	}
	fputs("\t}\n", out);
}

static void print_comp(FILE *out, const struct scn_component *c)
{
	static const char *const kinds[] = {"tomcat", "apache", "nginx",
					    "haproxy", "proxy"};
	fprintf(out, "%s %s", kinds[c->kind], c->name);
	if (c->kind == SCN_EXTERNAL) {
		fputs(" at ", out);
		cstr(out, c->address);
		fputs(c->listen[SCN_CONN_HTTPS].on ? " https\n" : "\n", out);
		return;
	}
	fputs(" {\n", out);
	if (c->min_version)
		fprintf(out, "\tversion >= %s\n", c->min_version);
	for (int i = 0; i < SCN_NCONN; i++) {
		const struct scn_listen *l = &c->listen[i];
		if (!l->on)
			continue;
		fprintf(out, "\t%s %s",
			c->kind == SCN_TOMCAT ? "connector" : "listen",
			conn_names[i]);
		if (i == SCN_CONN_HTTPS)
			fprintf(out, " cert %s", cert_names[l->cert]);
		if (l->secret) {
			fputs(" secret ", out);
			cstr(out, l->secret);
		}
		if (l->packet_size)
			fprintf(out, " packet-size %u", l->packet_size);
		fputc('\n', out);
	}
	for (size_t i = 0; i < c->nmodules; i++)
		fprintf(out, "\tmodule %s\n", c->modules[i]);
	for (size_t i = 0; i < c->nmaps; i++) {
		fputs("\tmap ", out);
		cstr(out, c->maps[i].from);
		fprintf(out, " %s.%s\n", c->maps[i].to_comp,
			c->maps[i].to_field);
	}
	if (c->include) {
		fputs("\tinclude ", out);
		cstr(out, c->include);
		fputc('\n', out);
	}
	if (c->config)
		print_config(out, c->config);
	fputs("}\n", out);
}

static void print_steps(FILE *out, const struct scn_step *s, size_t n,
			int depth);

static void print_step(FILE *out, const struct scn_step *s, int depth)
{
	indent(out, depth);
	switch (s->kind) {
	case SCN_SEND_TEXT:
		fputs("send text ", out);
		bytes(out, &s->data);
		break;
	case SCN_SEND_BINARY:
		fputs("send binary hex ", out);
		hex(out, &s->data);
		break;
	case SCN_SEND_PING:
		fputs("send ping", out);
		if (s->data.len) {
			fputc(' ', out);
			bytes(out, &s->data);
		}
		break;
	case SCN_SEND_PONG:
		fputs("send pong ", out);
		bytes(out, &s->data);
		break;
	case SCN_SEND_FRAGMENTS:
		fputs(s->binary ? "send fragments binary hex"
				: "send fragments text",
		      out);
		for (size_t i = 0; i < s->npieces; i++) {
			fputc(' ', out);
			if (s->binary)
				hex(out, &s->pieces[i]);
			else
				bytes(out, &s->pieces[i]);
		}
		break;
	case SCN_CLOSE:
		fputs("close", out);
		if (s->code)
			fprintf(out, " %d", s->code);
		if (s->code && s->data.s) {
			fputc(' ', out);
			bytes(out, &s->data);
		}
		break;
	case SCN_WAIT:
	case SCN_AT:
		fputs(s->kind == SCN_WAIT ? "wait " : "at ", out);
		duration(out, s->ms, s->us);
		break;
	case SCN_REPEAT:
		fprintf(out, "repeat %u {\n", s->count);
		print_steps(out, s->body, s->nbody, depth + 1);
		indent(out, depth);
		fputc('}', out);
		break;
	case SCN_STOP:
	case SCN_START:
		fprintf(out, "%s %s%s%s",
			s->kind == SCN_STOP ? "stop" : "start", s->comp,
			s->field ? "." : "", s->field ? s->field : "");
		break;
	case SCN_EXPECT_STATUS:
		fprintf(out, "expect status %d", s->code);
		break;
	case SCN_EXPECT_HEADER:
		fputs("expect header ", out);
		cstr(out, s->name);
		if (s->data.s) {
			fputs(s->match == SCN_MATCH_CONTAINS ? " contains "
							     : " ",
			      out);
			bytes(out, &s->data);
		}
		break;
	case SCN_EXPECT_NO_HEADER:
		fputs("expect no header ", out);
		cstr(out, s->name);
		break;
	case SCN_EXPECT_OPEN:
		fputs("expect open", out);
		break;
	case SCN_EXPECT_CLOSED:
		fputs("expect closed", out);
		if (s->code)
			fprintf(out, " %d", s->code);
		if (s->clean >= 0)
			fputs(s->clean ? " clean" : " unclean", out);
		if (s->data.s) {
			fputc(' ', out);
			bytes(out, &s->data);
		}
		break;
	case SCN_EXPECT_TEXT:
	case SCN_EXPECT_BODY:
		fputs(s->kind == SCN_EXPECT_TEXT ? "expect text "
						 : "expect body ",
		      out);
		if (s->match == SCN_MATCH_CONTAINS)
			fputs("contains ", out);
		bytes(out, &s->data);
		break;
	case SCN_EXPECT_BINARY:
		fputs("expect binary hex ", out);
		hex(out, &s->data);
		break;
	case SCN_EXPECT_ECHO:
		fputs("expect echo", out);
		break;
	case SCN_EXPECT_PONG:
		fputs("expect pong", out);
		if (s->data.s) {
			fputc(' ', out);
			bytes(out, &s->data);
		}
		break;
	case SCN_EXPECT_BACKEND:
		fprintf(out, "expect backend %s", s->comp);
		if (s->field)
			fprintf(out, " on %s", s->field);
		if (s->data.s) {
			fputs(" path ", out);
			bytes(out, &s->data);
		}
		if (s->upgrade >= 0)
			fputs(s->upgrade ? " upgrade" : " no upgrade", out);
		if (s->name) {
			fputs(" header ", out);
			cstr(out, s->name);
			if (s->value) {
				fputc(' ', out);
				cstr(out, s->value);
			}
		}
		break;
	}
	if (s->kind >= SCN_EXPECT_STATUS && s->within_ms)
		fprintf(out, " within %llums",
			(unsigned long long)s->within_ms);
	fputc('\n', out);
}

static void print_steps(FILE *out, const struct scn_step *s, size_t n,
			int depth)
{
	for (size_t i = 0; i < n; i++)
		print_step(out, &s[i], depth);
}

static void print_client(FILE *out, const struct scn_client *c)
{
	fprintf(out, "client %s ", c->name);
	cstr(out, c->url);
	fputs(" {\n", out);
	for (size_t i = 0; i < c->nheaders; i++) {
		fputs("\theader ", out);
		cstr(out, c->headers[i].name);
		fputc(' ', out);
		cstr(out, c->headers[i].value);
		fputc('\n', out);
	}
	if (c->origin) {
		fputs("\torigin ", out);
		cstr(out, c->origin);
		fputc('\n', out);
	}
	if (c->protocols) {
		fputs("\tprotocol ", out);
		cstr(out, c->protocols);
		fputc('\n', out);
	}
	if (c->extensions) {
		fputs("\textensions ", out);
		if (*c->extensions)
			cstr(out, c->extensions);
		else
			fputs("none", out);
		fputc('\n', out);
	}
	if (c->method) {
		fputs("\tmethod ", out);
		cstr(out, c->method);
		fputc('\n', out);
	}
	if (c->insecure)
		fputs("\tinsecure\n", out);
	if (c->timeout_ms)
		fprintf(out, "\ttimeout %llums\n",
			(unsigned long long)c->timeout_ms);
	if (c->has_start) {
		fputs("\tstart ", out);
		duration(out, c->start_ms, c->start_us);
		fputc('\n', out);
	}
	print_steps(out, c->steps, c->nsteps, 1);
	fputs("}\n", out);
}

int scn_print(FILE *out, const struct scn_file *f)
{
	if (f->title) {
		fputs("scenario ", out);
		cstr(out, f->title);
		fputc('\n', out);
	}
	if (f->timeout_ms != SCN_DEFAULT_TIMEOUT)
		fprintf(out, "timeout %llums\n",
			(unsigned long long)f->timeout_ms);
	for (size_t i = 0; i < f->ncomps; i++) {
		fputc('\n', out);
		print_comp(out, &f->comps[i]);
	}
	for (size_t i = 0; i < f->nclients; i++) {
		fputc('\n', out);
		print_client(out, &f->clients[i]);
	}
	return ferror(out) ? -1 : 0;
}

void scn_error_print(FILE *f, const struct scn_error *err, bool color)
{
	const char *bold = color ? "\033[1m" : "";
	const char *red = color ? "\033[1;31m" : "";
	const char *green = color ? "\033[1;32m" : "";
	const char *off = color ? "\033[0m" : "";
	if (err->line == 0) {
		fprintf(f, "%s%s:%s %s%s%s\n", bold, err->file, off, red,
			err->message, off);
		return;
	}
	fprintf(f, "%s%s:%u:%u:%s %s%s%s\n", bold, err->file, err->line,
		err->col, off, red, err->message, off);
	fprintf(f, "    %s\n    ", err->text);
	/* the caret under column col (bytes), tabs kept so it lines up */
	for (unsigned i = 0; i + 1 < err->col && err->text[i]; i++)
		if (((unsigned char)err->text[i] & 0xc0) != 0x80)
			fputc(err->text[i] == '\t' ? '\t' : ' ', f);
	fprintf(f, "%s^%s\n", green, off);
}
