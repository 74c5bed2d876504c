/* The TLS side of a session: the hellos of a connection the session sees
 * as `tls` (read with cap_tls_hello.c, as the decryptor reads them), the
 * TLS filter's verdict kept with its connection (the session sink's `tls`
 * event), and the facts the writers (summary, JSON, .scn) give for a
 * connection that was TLS on the wire, whether it stayed `tls` or was
 * decrypted (the filter read the hellos): SNI, versions, cipher suite,
 * decrypted or why not. The reasons' words are cap_tls_text.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_session_int.h"
#include "cap_tls.h"
#include "cap_tls_hello.h"

bool cs_tls_hello(struct cs_conn *c, const uint8_t *b, size_t n)
{
	if (n < 5)
		return false;
	size_t rl = (size_t)b[3] << 8 | b[4];
	if (n < 5 + rl)
		return false;
	/* one handshake message: type, 24-bit length, body */
	if (b[0] != 0x16 || rl < 4 || (b[5] != 1 && b[5] != 2))
		return true;
	bool client = b[5] == 1;
	size_t hl = (size_t)b[6] << 16 | (size_t)b[7] << 8 | b[8];
	struct cap_tls_hello h;
	/* a hello longer than its record: what this record holds of it */
	cap_tls_hello_parse(client, b + 9, hl < rl - 4 ? hl : rl - 4, &h);
	if (!h.random)
		return true;
	if (client) {
		c->tls_client_hello = true;
		if (h.sni && !c->sni)
			c->sni = strndup((const char *)h.sni, h.sni_len);
		memcpy(c->tls_offered, h.offered, sizeof(h.offered));
		c->tls_noffered = h.noffered;
	} else {
		c->tls_server_hello = true;
		if (h.has_suite)
			c->tls_suite = h.suite;
		/* a version without a name (a draft): the legacy one */
		c->tls_version = cap_tls_version_name(h.selected)
				     ? h.selected
				     : h.legacy_version;
	}
	return true;
}

void cs_sink_tls(void *ctx, struct cap_conn *cc,
		 const struct cap_tls_info *info)
{
	(void)ctx;
	struct cs_conn *c = cc->user;
	if (!c || c->closed)
		return;
	if (!c->tls && !(c->tls = malloc(sizeof(*c->tls))))
		return; /* out of memory: it reads as if no filter ran */
	*c->tls = *info;
}

/* "TLS1.3,TLS1.2": the versions with a name. */
static void offered(const uint16_t *vs, size_t nvs, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < nvs; i++) {
		const char *v = cap_tls_version_name(vs[i]);
		size_t ol = strlen(out);
		if (v)
			snprintf(out + ol, len - ol, "%s%s", ol ? "," : "", v);
	}
}

bool cs_tls_facts(const struct cs_conn *c, struct cs_tls_facts *f)
{
	const struct cap_tls_info *in = c->tls;
	if (c->proto != CS_TLS && !in)
		return false;
	memset(f, 0, sizeof(*f));
	uint16_t version;
	if (c->proto == CS_TLS) {
		f->sni = c->sni;
		offered(c->tls_offered, c->tls_noffered, f->offered,
			sizeof(f->offered));
		version = c->tls_version;
		f->suite = c->tls_suite;
		f->client_hello = c->tls_client_hello;
		f->server_hello = c->tls_server_hello;
	} else {
		f->sni = in->sni[0] ? in->sni : NULL;
		offered(in->offered, in->noffered, f->offered,
			sizeof(f->offered));
		version = in->version;
		f->suite = in->suite;
		f->client_hello = in->noffered > 0;
		f->server_hello = in->version != 0;
	}
	const char *v = cap_tls_version_name(version);
	snprintf(f->selected, sizeof(f->selected), "%s", v ? v : "");
	if (!f->suite && in)
		f->suite = in->suite;
	const char *sn = cap_tls_suite_name(f->suite);
	if (sn)
		snprintf(f->suite_text, sizeof(f->suite_text), "%s", sn);
	else if (f->suite)
		snprintf(f->suite_text, sizeof(f->suite_text), "0x%04x",
			 f->suite);
	if (!in) {
		/* no decryptor ran: the reason is the session's to tell */
		f->why = c->tls_midstream ? CAP_TLS_E_NO_HANDSHAKE
					  : CAP_TLS_E_NO_KEYLOG;
		snprintf(f->why_text, sizeof(f->why_text), "%s%s",
			 cap_tls_strerror(f->why),
			 c->tls_midstream ? ": the capture began mid-connection"
					  : "");
		return true;
	}
	f->why = cap_tls_why_code(in);
	f->decrypted = f->why == 0;
	if (!f->decrypted) {
		cap_tls_why(in, -1, f->why_text, sizeof(f->why_text));
		f->why_dir = in->err_dir;
		if (f->why == CAP_TLS_E_DECRYPT)
			f->why_record = in->fail_record[in->err_dir];
		return true;
	}
	for (int d = 0; d < 2; d++) {
		f->records[d] = in->records[d];
		f->stop[d] = in->stop_err[d];
		if (!f->stop[d])
			continue;
		cap_tls_why(in, d, f->stop_text[d], sizeof(f->stop_text[d]));
		if (f->stop[d] == CAP_TLS_E_DECRYPT)
			f->stop_record[d] = in->fail_record[d];
	}
	return true;
}
