/* The syntax tree's accessors: freeing it, finding a component, the
 * macro fields a component has, and the language's keyword list (the
 * docs test checks docs/scenario.md against it). */
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"

void scn_steps_free(struct scn_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].data.s);
		for (size_t k = 0; k < s[i].npieces; k++)
			free(s[i].pieces[k].s);
		free(s[i].pieces);
		free(s[i].name);
		free(s[i].value);
		free(s[i].comp);
		free(s[i].field);
		scn_steps_free(s[i].body, s[i].nbody);
	}
	free(s);
}

void scn_free(struct scn_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ncomps; i++) {
		struct scn_component *c = &f->comps[i];
		free(c->name);
		for (int k = 0; k < SCN_NCONN; k++)
			free(c->listen[k].secret);
		free(c->config);
		free(c->include);
		for (size_t k = 0; k < c->nmaps; k++) {
			free(c->maps[k].from);
			free(c->maps[k].to_comp);
			free(c->maps[k].to_field);
		}
		free(c->maps);
		for (size_t k = 0; k < c->nmodules; k++)
			free(c->modules[k]);
		free(c->modules);
		free(c->min_version);
		free(c->address);
	}
	free(f->comps);
	for (size_t i = 0; i < f->nclients; i++) {
		struct scn_client *c = &f->clients[i];
		free(c->name);
		free(c->comment);
		free(c->url);
		for (size_t k = 0; k < c->nheaders; k++) {
			free(c->headers[k].name);
			free(c->headers[k].value);
		}
		free(c->headers);
		free(c->origin);
		free(c->protocols);
		free(c->extensions);
		free(c->method);
		scn_steps_free(c->steps, c->nsteps);
	}
	free(f->clients);
	free(f->path);
	free(f->title);
	free(f);
}

const struct scn_component *scn_find_comp(const struct scn_file *f,
					  const char *name)
{
	for (size_t i = 0; i < f->ncomps; i++)
		if (f->comps[i].name && !strcmp(f->comps[i].name, name))
			return &f->comps[i];
	return NULL;
}

bool scn_comp_has_field(const struct scn_component *c, const char *field)
{
	if (!strcmp(field, "host"))
		return true;
	if (!strcmp(field, "http"))
		return c->listen[SCN_CONN_HTTP].on;
	if (!strcmp(field, "https"))
		return c->listen[SCN_CONN_HTTPS].on;
	if (!strcmp(field, "ajp"))
		return c->kind == SCN_TOMCAT && c->listen[SCN_CONN_AJP].on;
	/* http_port, https_port, ajp_port: the port alone, e.g. for
	 * wss://localhost:${t1.https_port} */
	size_t n = strlen(field);
	if (n > 5 && !strcmp(field + n - 5, "_port") &&
	    c->kind != SCN_EXTERNAL && n - 5 < 8) {
		char base[8];
		memcpy(base, field, n - 5);
		base[n - 5] = '\0';
		return strcmp(base, "host") && scn_comp_has_field(c, base);
	}
	return false;
}

const char *const *scn_keywords(void)
{
	static const char *const kw[] = {
	    /* top level */
	    "scenario", "timeout", "tomcat", "apache", "nginx", "haproxy",
	    "proxy", "client",
	    /* components */
	    "connector", "listen", "http", "https", "ajp", "cert", "valid",
	    "self-signed", "expired", "wrong-host", "secret", "packet-size",
	    "module", "version", "config", "include", "map",
	    "at" /* proxy ... at ADDR; also a step's time */, "host",
	    /* client options */
	    "header", "cookie", "origin", "protocol", "extensions", "none",
	    "method", "insecure", "start" /* start DURATION; also a step */,
	    /* steps */
	    "send", "text", "binary", "hex", "base64", "ping", "pong",
	    "fragments", "close", "wait", "repeat", "stop",
	    /* expectations */
	    "expect", "within", "status", "contains", "no", "open", "closed",
	    "clean", "unclean", "echo", "body", "backend", "on", "path",
	    "upgrade", "length", NULL};
	return kw;
}

bool scn_step_sends(enum scn_step_kind kind)
{
	switch (kind) {
	case SCN_SEND_TEXT:
	case SCN_SEND_BINARY:
	case SCN_SEND_PING:
	case SCN_SEND_PONG:
	case SCN_SEND_FRAGMENTS:
	case SCN_CLOSE:
		return true;
	default:
		return false;
	}
}
