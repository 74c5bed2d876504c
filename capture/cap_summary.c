/* The default output of `wssim capture`: one line per connection (id,
 * endpoints, protocol, first request line and status, outcome, message
 * counts and bytes per direction, gaps, retransmissions with different
 * data, leg links, and for one that was TLS on the wire whether it was
 * decrypted or why not). Reads what cap_session.c collected; prints
 * nothing else. */
#include <stdio.h>

#include "cap_session_int.h"

/* Whether a connection that was TLS on the wire was decrypted, or why
 * not. */
static void write_tls(const struct cs_conn *c, FILE *f)
{
	struct cs_tls_facts t;
	if (!cs_tls_facts(c, &t))
		return;
	if (!t.decrypted) {
		fprintf(f, "; not decrypted: %s", t.why_text);
		return;
	}
	fprintf(f, "; decrypted %s %s", t.selected, t.suite_text);
	if (t.sni)
		fprintf(f, " sni=%s", t.sni);
	for (int d = 0; d < 2; d++)
		if (t.stop[d])
			fprintf(f, "; %s decryption stopped: %s",
				d == CAP_C2S ? "c2s" : "s2c", t.stop_text[d]);
}

static int write_conn(struct cap_sessions *s, const struct cs_conn *c, FILE *f)
{
	char cl[64], sv[64], outcome[256];
	cs_endpoint_format(&c->client, cl, sizeof(cl));
	cs_endpoint_format(&c->server, sv, sizeof(sv));
	cs_outcome(c, outcome, sizeof(outcome));
	fprintf(f, "#%llu %s -> %s %s", (unsigned long long)c->id, cl, sv,
		cs_proto_name(c->proto));
	if (c->nex) {
		const struct cs_exchange *e = &c->ex[0];
		if (e->has_req)
			fprintf(f, " \"%s %s\"", e->method ? e->method : "",
				e->target ? e->target : "");
		if (e->has_resp)
			fprintf(f, " %d", e->status);
	}
	fprintf(f, ": %s", outcome);
	if (c->proto == CS_WS)
		fprintf(f, "; messages c2s %llu s2c %llu",
			(unsigned long long)c->d[0].messages,
			(unsigned long long)c->d[1].messages);
	else if (c->nex > 1)
		fprintf(f, "; %zu exchanges", c->nex);
	fprintf(f, "; bytes c2s %llu s2c %llu",
		(unsigned long long)c->d[0].bytes,
		(unsigned long long)c->d[1].bytes);
	if (c->d[0].gap_bytes || c->d[1].gap_bytes)
		fprintf(f, "; gaps c2s %llu s2c %llu bytes",
			(unsigned long long)c->d[0].gap_bytes,
			(unsigned long long)c->d[1].gap_bytes);
	if (c->conflicts[0] || c->conflicts[1])
		fprintf(f,
			"; retransmissions with different data c2s %llu s2c "
			"%llu (first copy kept)",
			(unsigned long long)c->conflicts[0],
			(unsigned long long)c->conflicts[1]);
	if (c->leg_of)
		fprintf(f, "; leg of #%llu", (unsigned long long)c->leg_of);
	if (c->backend_leg)
		fprintf(f, "; backend leg #%llu",
			(unsigned long long)c->backend_leg);
	write_tls(c, f);
	(void)s;
	return fputc('\n', f) == EOF ? -1 : 0;
}

int cap_sessions_write_summary(struct cap_sessions *s, FILE *f)
{
	cap_sessions_finish(s);
	int rc = 0;
	for (size_t i = 0; i < s->nconns; i++)
		if (cs_conn_matches(s, s->conns[i]) &&
		    write_conn(s, s->conns[i], f) < 0)
			rc = -1;
	if (fflush(f) != 0 || ferror(f))
		rc = -1;
	return rc;
}
