/* URL parsing for simulated browsers (see net_url.h). */
#include "net_url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "net_addr.h"

int net_url_parse(const char *url, struct net_url *u)
{
	memset(u, 0, sizeof(*u));
	static const struct {
		const char *prefix;
		bool ws, tls;
		int port;
	} schemes[] = {
	    {"ws://", true, false, 80},
	    {"wss://", true, true, 443},
	    {"http://", false, false, 80},
	    {"https://", false, true, 443},
	};
	const char *p = NULL;
	int defport = 0;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].prefix);
		if (strncasecmp(url, schemes[i].prefix, n) == 0) {
			p = url + n;
			u->ws = schemes[i].ws;
			u->tls = schemes[i].tls;
			defport = schemes[i].port;
			break;
		}
	}
	if (!p)
		return UV_EINVAL;
	size_t alen = strcspn(p, "/?#");
	const char *aend = p + alen;
	if (memchr(p, '@', alen))
		return UV_EINVAL; /* no user info */
	const char *hend;
	const char *port_s = NULL;
	bool v6 = false;
	if (*p == '[') {
		const char *rb = memchr(p, ']', alen);
		if (!rb)
			return UV_EINVAL;
		v6 = true;
		if ((size_t)(rb - p - 1) >= sizeof(u->host))
			return UV_EINVAL;
		memcpy(u->host, p + 1, (size_t)(rb - p - 1));
		u->host[rb - p - 1] = '\0';
		hend = rb + 1;
		if (hend < aend) {
			if (*hend != ':')
				return UV_EINVAL;
			port_s = hend + 1;
		}
	} else {
		const char *colon = memchr(p, ':', alen);
		hend = colon ? colon : aend;
		if ((size_t)(hend - p) >= sizeof(u->host) || hend == p)
			return UV_EINVAL;
		memcpy(u->host, p, (size_t)(hend - p));
		u->host[hend - p] = '\0';
		if (colon)
			port_s = colon + 1;
	}
	int port = defport;
	if (port_s) {
		if (port_s == aend)
			return UV_EINVAL;
		port = 0;
		for (const char *q = port_s; q < aend; q++) {
			if (*q < '0' || *q > '9')
				return UV_EINVAL;
			port = port * 10 + (*q - '0');
			if (port > 65535)
				return UV_EINVAL;
		}
		if (port == 0)
			return UV_EINVAL;
	}
	u->port = port;
	const char *ip = u->host;
	if (!v6 && strcasecmp(u->host, "localhost") == 0)
		ip = "127.0.0.1";
	else if (v6) {
		struct in6_addr a6;
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return UV_EINVAL;
	} else {
		struct in_addr a4;
		if (inet_pton(AF_INET, u->host, &a4) != 1)
			return UV_EINVAL;
	}
	if (net_addr_make(ip, port, &u->addr) != 0)
		return UV_EINVAL;
	/* Host: as the browser writes it, the port only if not default */
	if (port == defport)
		snprintf(u->hostport, sizeof(u->hostport), v6 ? "[%s]" : "%s",
			 u->host);
	else
		snprintf(u->hostport, sizeof(u->hostport),
			 v6 ? "[%s]:%d" : "%s:%d", u->host, port);
	/* the target: path and query, without the fragment */
	size_t tlen = strcspn(aend, "#");
	bool slash = *aend == '/';
	u->target = malloc(tlen + 2);
	if (!u->target)
		return UV_ENOMEM;
	snprintf(u->target, tlen + 2, "%s%.*s", slash ? "" : "/", (int)tlen,
		 aend);
	for (const char *q = u->target; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f) {
			net_url_free(u);
			return UV_EINVAL;
		}
	return 0;
}

void net_url_free(struct net_url *u)
{
	free(u->target);
	u->target = NULL;
}
