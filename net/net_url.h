/* URLs a simulated browser may open: ws://, wss://, http://, https:// to
 * an IP literal or localhost, parsed into what a connection needs (the
 * address, the Host header as a browser writes it, the request target).
 * Shared by the one-at-a-time client (sim/) and the load engine (load/). */
#ifndef WSSIM_NET_URL_H
#define WSSIM_NET_URL_H

#include <stdbool.h>
#include <sys/socket.h>

struct net_url {
	bool ws, tls;
	char host[80];	   /* as written, without brackets: "127.0.0.1" */
	char hostport[96]; /* the Host header: "127.0.0.1:8080", the port
			      only when not the scheme's default */
	int port;
	char *target; /* path and query, without the fragment (owned) */
	struct sockaddr_storage addr;
};

/* Parse `url` into *u (zeroed first). Returns 0, UV_EINVAL (an unknown
 * scheme, user info, a host that is not an IP literal or localhost, a bad
 * port, a control character or space in the target) or UV_ENOMEM; on
 * failure nothing needs freeing. */
int net_url_parse(const char *url, struct net_url *u);
void net_url_free(struct net_url *u);

#endif
