/* `wssim capture --json`: the collected sessions as one JSON document,
 * schema "wssim-capture" version 3 (docs/capture-json.md). Strings are
 * written as valid UTF-8 JSON (an invalid byte in a header becomes
 * \u00XX); text payloads that are not UTF-8 and binary payloads are
 * base64 (OpenSSL's EVP_EncodeBlock). Header values of Cookie,
 * Set-Cookie, Authorization and Proxy-Authorization are "[redacted]"
 * unless the collector was made with no_redact. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_session_int.h"
#include "cap_tls.h"

/* Length of the UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t len;
	uint32_t min, cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		len = 2, min = 0x80, cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, min = 0x800, cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Whether a byte goes into a JSON string as it is: printable ASCII
 * other than '"' and '\\'. */
static bool plain_byte(uint8_t c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Zero when the eight bytes at p are all plain: a byte below 0x20 or
 * equal to '"' or '\\' borrows into a top bit when the constants are
 * subtracted, and a byte from 0x80 has its own; with none of them no top
 * bit is set. */
static uint64_t plain_tops(const uint8_t *p)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	uint64_t w;
	memcpy(&w, p, 8);
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
	return (w | (w - ones * 0x20) | (q - ones) | (b - ones)) &
	       (ones * 0x80);
}

/* The length of the run of plain bytes p[0..n) starts with, 32 and then
 * eight bytes at a time. */
static size_t plain_run(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i + 32 <= n &&
	       !(plain_tops(p + i) | plain_tops(p + i + 8) |
		 plain_tops(p + i + 16) | plain_tops(p + i + 24)))
		i += 32;
	while (i + 8 <= n && !plain_tops(p + i))
		i += 8;
	while (i < n && plain_byte(p[i]))
		i++;
	return i;
}

static bool utf8_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		/* ASCII eight bytes at a time */
		uint64_t w;
		if (i + 8 <= n && (memcpy(&w, p + i, 8),
				   !(w & UINT64_C(0x8080808080808080)))) {
			i += 8;
			continue;
		}
		size_t l = utf8_seq(p + i, n - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* A JSON string of p[0..n), whose first `plain` bytes are known to be
 * plain. */
static void jstr_after(FILE *f, const uint8_t *p, size_t n, size_t plain)
{
	fputc('"', f);
	if (plain)
		fwrite(p, 1, plain, f);
	for (size_t i = plain; i < n;) {
		/* a run of bytes written as they are, in one fwrite */
		size_t j = i + plain_run(p + i, n - i);
		if (j > i) {
			fwrite(p + i, 1, j - i, f);
			i = j;
			continue;
		}
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n':
				fputs("\\n", f);
				break;
			case '\r':
				fputs("\\r", f);
				break;
			case '\t':
				fputs("\\t", f);
				break;
			default:
				fprintf(f, "\\u%04x", c);
			}
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else {
			size_t l = utf8_seq(p + i, n - i);
			if (l) {
				fwrite(p + i, 1, l, f);
				i += l;
			} else {
				fprintf(f, "\\u%04x", c);
				i++;
			}
		}
	}
	fputc('"', f);
}

static void jstr(FILE *f, const void *v, size_t n)
{
	jstr_after(f, v, n, 0);
}

static void jcstr(FILE *f, const char *s)
{
	jstr(f, s ? s : "", s ? strlen(s) : 0);
}

static int jbase64(FILE *f, const uint8_t *p, size_t n)
{
	size_t out = 4 * ((n + 2) / 3) + 1;
	unsigned char *b = malloc(out);
	if (!b)
		return -1;
	int len = n ? EVP_EncodeBlock(b, p, (int)n) : 0;
	fputc('"', f);
	fwrite(b, 1, (size_t)len, f);
	fputc('"', f);
	free(b);
	return 0;
}

/* "payload": as text when `text` and valid UTF-8 (a character cut by the
 * size cap is dropped), else base64. */
static int jpayload(FILE *f, const uint8_t *p, size_t n, bool text,
		    bool truncated)
{
	if (text && truncated) {
		/* drop a character cut at the end */
		size_t back = 0;
		while (back < 3 && back < n && (p[n - 1 - back] & 0xc0) == 0x80)
			back++;
		if (back < n && p[n - 1 - back] >= 0xc0 &&
		    !utf8_seq(p + n - 1 - back, back + 1))
			n -= back + 1;
	}
	size_t plain = text ? plain_run(p, n) : 0;
	if (text && (plain == n || utf8_valid(p + plain, n - plain))) {
		fputs("\"encoding\":\"text\",\"payload\":", f);
		jstr_after(f, p, n, plain);
		return 0;
	}
	fputs("\"encoding\":\"base64\",\"payload\":", f);
	return jbase64(f, p, n);
}

static long long rel(const struct cap_sessions *s, uint64_t ts)
{
	return (long long)(ts - s->first_us);
}

static void jpairs(struct cap_sessions *s, FILE *f, const char *key,
		   const struct cs_pairs *p, bool headers)
{
	fprintf(f, ",\"%s\":[", key);
	for (size_t i = 0; i + 1 < p->n; i += 2) {
		fputs(i ? ",[" : "[", f);
		jcstr(f, p->kv[i]);
		fputc(',', f);
		if (headers && cs_header_redacted(s, p->kv[i]))
			jcstr(f, "[redacted]");
		else
			jcstr(f, p->kv[i + 1]);
		fputc(']', f);
	}
	fputc(']', f);
}

static int jexchange(struct cap_sessions *s, FILE *f, const struct cs_conn *c,
		     const struct cs_exchange *e)
{
	fputc('{', f);
	bool first = true;
	if (e->has_req) {
		fputs("\"request\":{\"method\":", f);
		jcstr(f, e->method);
		fputs(",\"target\":", f);
		jcstr(f, e->target);
		if (c->proto != CS_AJP)
			fprintf(f, ",\"version\":\"HTTP/1.%d\"",
				e->version_minor);
		fprintf(f, ",\"time_us\":%lld", rel(s, e->req_us));
		jpairs(s, f, "headers", &e->req_headers, true);
		if (c->proto == CS_AJP)
			jpairs(s, f, "attributes", &e->attributes, false);
		fprintf(f, ",\"body_bytes\":%llu}",
			(unsigned long long)e->req_body);
		first = false;
	}
	if (e->has_resp || e->complete) {
		fputs(first ? "" : ",", f);
		fputs("\"response\":{", f);
		if (e->has_resp) {
			fprintf(f, "\"status\":%d,\"reason\":", e->status);
			jcstr(f, e->reason);
			fputc(',', f);
		}
		fprintf(f, "\"time_us\":%lld", rel(s, e->resp_us));
		jpairs(s, f, "headers", &e->resp_headers, true);
		fprintf(f, ",\"body_bytes\":%llu",
			(unsigned long long)e->resp_body);
		if (c->proto == CS_AJP) {
			if (proto_buf_size(&e->body)) {
				fputs(",\"body\":{", f);
				if (jpayload(f, proto_buf_head(&e->body),
					     proto_buf_size(&e->body), true,
					     e->body_truncated) < 0)
					return -1;
				fprintf(f, ",\"truncated\":%s}",
					e->body_truncated ? "true" : "false");
			}
			fprintf(f, ",\"end_response\":%s",
				e->complete ? "true" : "false");
			if (e->complete)
				fprintf(f, ",\"reuse\":%s",
					e->ajp_reuse ? "true" : "false");
		}
		fputc('}', f);
		first = false;
	}
	if (e->link_conn) {
		fputs(first ? "" : ",", f);
		fprintf(f,
			"\"leg\":{\"connection\":%llu,\"exchange\":%zu,"
			"\"role\":\"%s\"}",
			(unsigned long long)e->link_conn, e->link_ex,
			e->link_is_backend ? "backend" : "client");
	}
	fputc('}', f);
	return 0;
}

static int jmsg(struct cap_sessions *s, FILE *f, const struct cs_msg *m)
{
	fprintf(f,
		"{\"dir\":\"%s\",\"opcode\":\"%s\",\"time_us\":%lld,"
		"\"length\":%llu",
		m->dir == CAP_C2S ? "c2s" : "s2c", cs_opcode_name(m->opcode),
		rel(s, m->ts_us), (unsigned long long)m->len);
	if (m->compressed)
		fputs(",\"compressed\":true", f);
	if (m->opcode == 8) {
		fprintf(f, ",\"code\":%u,\"reason\":", m->close_code);
		jstr(f, m->payload ? m->payload : (const uint8_t *)"",
		     m->payload_len);
	} else {
		fputc(',', f);
		if (jpayload(f, m->payload ? m->payload : (const uint8_t *)"",
			     m->payload_len, m->opcode == 1, m->truncated) < 0)
			return -1;
		if (m->truncated)
			fputs(",\"truncated\":true", f);
	}
	fputc('}', f);
	return 0;
}

static void jclose(struct cap_sessions *s, FILE *f, const struct cs_dir *d)
{
	if (!d->saw_close) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"code\":%u,\"reason\":", d->close_code);
	jcstr(f, d->close_reason);
	fprintf(f, ",\"time_us\":%lld}", rel(s, d->close_us));
}

static const char *end_name(const struct cs_dir *d)
{
	if (!d->ended)
		return "capture";
	switch (d->end_how) {
	case CAP_END_FIN:
		return "fin";
	case CAP_END_RST:
		return "rst";
	default:
		return "capture";
	}
}

/* Why (a connection or a direction) was not decrypted. */
static void jreason(FILE *f, int why, const char *text, enum cap_dir dir,
		    uint64_t record)
{
	fprintf(f, "{\"reason\":\"%s\",\"text\":", cap_tls_err_name(why));
	jcstr(f, text);
	if (why == CAP_TLS_E_DECRYPT)
		fprintf(f, ",\"dir\":\"%s\",\"record\":%llu",
			dir == CAP_C2S ? "c2s" : "s2c",
			(unsigned long long)record);
	fputc('}', f);
}

/* The "tls" object of a connection that was TLS on the wire. */
static void jtls(FILE *f, const struct cs_tls_facts *t)
{
	fputs(",\"tls\":{\"sni\":", f);
	if (t->sni)
		jcstr(f, t->sni);
	else
		fputs("null", f);
	fputs(",\"offered\":[", f);
	const char *p = t->offered;
	bool first = true;
	while (*p) {
		size_t l = strcspn(p, ",");
		fputs(first ? "" : ",", f);
		jstr(f, p, l);
		first = false;
		p += l + (p[l] == ',');
	}
	fputs("],\"selected\":", f);
	if (t->selected[0])
		jcstr(f, t->selected);
	else
		fputs("null", f);
	fprintf(f, ",\"client_hello\":%s,\"server_hello\":%s",
		t->client_hello ? "true" : "false",
		t->server_hello ? "true" : "false");
	fputs(",\"cipher_suite\":", f);
	const char *name = cap_tls_suite_name(t->suite);
	if (!t->suite) {
		fputs("null", f);
	} else {
		fprintf(f, "{\"id\":%u,\"name\":", t->suite);
		if (name)
			jcstr(f, name);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fprintf(f, ",\"decrypted\":%s,\"not_decrypted\":",
		t->decrypted ? "true" : "false");
	if (t->decrypted)
		fputs("null", f);
	else
		jreason(f, t->why, t->why_text, t->why_dir, t->why_record);
	fprintf(f, ",\"records\":{\"c2s\":%llu,\"s2c\":%llu},\"stopped\":{",
		(unsigned long long)t->records[0],
		(unsigned long long)t->records[1]);
	for (int d = 0; d < 2; d++) {
		fputs(d ? ",\"s2c\":" : "\"c2s\":", f);
		if (t->stop[d])
			jreason(f, t->stop[d], t->stop_text[d], (enum cap_dir)d,
				t->stop_record[d]);
		else
			fputs("null", f);
	}
	fputs("}}", f);
}

static int jconn(struct cap_sessions *s, FILE *f, const struct cs_conn *c)
{
	char cl[64], sv[64], outcome[256];
	cs_endpoint_format(&c->client, cl, sizeof(cl));
	cs_endpoint_format(&c->server, sv, sizeof(sv));
	cs_outcome(c, outcome, sizeof(outcome));
	fprintf(f, "{\"id\":%llu,\"client\":", (unsigned long long)c->id);
	jcstr(f, cl);
	fputs(",\"server\":", f);
	jcstr(f, sv);
	fprintf(f,
		",\"protocol\":\"%s\",\"saw_syn\":%s,\"start_us\":%lld,"
		"\"end_us\":%lld,\"bytes\":{\"c2s\":%llu,\"s2c\":%llu},"
		"\"gap_bytes\":{\"c2s\":%llu,\"s2c\":%llu},"
		"\"retransmission_conflicts\":{\"c2s\":%llu,\"s2c\":%llu},"
		"\"end\":{\"c2s\":\"%s\",\"s2c\":\"%s\"},\"outcome\":",
		cs_proto_name(c->proto), c->saw_syn ? "true" : "false",
		rel(s, c->first_us), rel(s, c->last_us),
		(unsigned long long)c->d[0].bytes,
		(unsigned long long)c->d[1].bytes,
		(unsigned long long)c->d[0].gap_bytes,
		(unsigned long long)c->d[1].gap_bytes,
		(unsigned long long)c->conflicts[0],
		(unsigned long long)c->conflicts[1], end_name(&c->d[0]),
		end_name(&c->d[1]));
	jcstr(f, outcome);
	if (c->leg_of)
		fprintf(f, ",\"leg_of\":%llu", (unsigned long long)c->leg_of);
	if (c->backend_leg)
		fprintf(f, ",\"backend_leg\":%llu",
			(unsigned long long)c->backend_leg);
	fputs(",\"exchanges\":[", f);
	for (size_t i = 0; i < c->nex; i++) {
		if (i)
			fputc(',', f);
		if (jexchange(s, f, c, &c->ex[i]) < 0)
			return -1;
	}
	fputc(']', f);
	if (c->proto == CS_WS) {
		fputs(",\"websocket\":{\"extensions\":", f);
		if (c->extensions)
			jcstr(f, c->extensions);
		else
			fputs("null", f);
		fprintf(f,
			",\"message_counts\":{\"c2s\":%llu,\"s2c\":%llu},"
			"\"close\":{\"c2s\":",
			(unsigned long long)c->d[0].messages,
			(unsigned long long)c->d[1].messages);
		jclose(s, f, &c->d[0]);
		fputs(",\"s2c\":", f);
		jclose(s, f, &c->d[1]);
		fputs("},\"messages\":[", f);
		for (size_t i = 0; i < c->nmsgs; i++) {
			if (i)
				fputc(',', f);
			if (jmsg(s, f, &c->msgs[i]) < 0)
				return -1;
		}
		fputs("]}", f);
	}
	if (c->proto == CS_AJP)
		fprintf(f, ",\"ajp\":{\"cping\":%llu,\"cpong\":%llu}",
			(unsigned long long)c->cpings,
			(unsigned long long)c->cpongs);
	struct cs_tls_facts t;
	if (cs_tls_facts(c, &t))
		jtls(f, &t);
	fputs(",\"notes\":[", f);
	for (size_t i = 0; i < c->nnotes; i++) {
		const struct cs_note *n = &c->notes[i];
		fprintf(f, "%s{\"dir\":\"%s\",\"time_us\":%lld,\"text\":",
			i ? "," : "", n->dir == CAP_C2S ? "c2s" : "s2c",
			rel(s, n->ts_us));
		jcstr(f, n->text);
		fputc('}', f);
	}
	fputs("]}", f);
	return 0;
}

int cap_sessions_write_json(struct cap_sessions *s, FILE *f)
{
	cap_sessions_finish(s);
	int rc = 0;
	fprintf(f,
		"{\"schema\":\"wssim-capture\",\"version\":3,"
		"\"first_packet_us\":%llu,\"redacted\":%s,\"messages_kept\":%s,"
		"\"payload_cap\":%zu,\"evicted_connections\":%llu,"
		"\"connections\":[",
		(unsigned long long)s->first_us,
		s->opts.no_redact ? "false" : "true",
		s->opts.keep_messages ? "true" : "false",
		s->opts.payload_cap ? s->opts.payload_cap
				    : (size_t)CAP_SESSION_DEFAULT_PAYLOAD_CAP,
		(unsigned long long)s->evicted);
	bool first = true;
	for (size_t i = 0; i < s->nconns; i++) {
		if (!cs_conn_matches(s, s->conns[i]))
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		if (jconn(s, f, s->conns[i]) < 0)
			rc = -1;
	}
	fputs("]}\n", f);
	if (fflush(f) != 0 || ferror(f))
		rc = -1;
	return rc;
}
