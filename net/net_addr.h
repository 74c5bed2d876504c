/* Loopback addresses and listening sockets: parse "host:port", listen on
 * an address with an ephemeral or given port and report the port bound,
 * format addresses, and raise the open-file limit. */
#ifndef WSSIM_NET_ADDR_H
#define WSSIM_NET_ADDR_H

#include <stddef.h>
#include <uv.h>

/* Fill *ss from a numeric host ("127.0.0.1", "::1", "[::1]") and port.
 * Returns 0 or UV_EINVAL. */
int net_addr_make(const char *host, int port, struct sockaddr_storage *ss);

/* Parse "host:port" / "[v6]:port" into *ss. Returns 0 or UV_EINVAL. */
int net_addr_parse(const char *hostport, struct sockaddr_storage *ss);

/* "127.0.0.1:8080" or "[::1]:8080" into out. */
void net_addr_format(const struct sockaddr *sa, char *out, size_t outlen);

/* The port of an address. */
int net_addr_port(const struct sockaddr *sa);

/* Initialise `server` on `loop`, bind host:port (0 picks a free port;
 * an IPv6 host binds IPv6 only) and listen with the largest backlog the
 * system allows, calling `cb` for each connection. On success returns 0
 * and the port bound in *bound; on failure returns a libuv error with a
 * readable message in err ("127.0.0.1:8080: address already in use") and
 * `server` closed or never opened (close_cb-free: uv_close(NULL) was
 * called where needed, so the memory must live until the loop runs). */
int net_listen(uv_loop_t *loop, uv_tcp_t *server, const char *host, int port,
	       uv_connection_cb cb, int *bound, char *err, size_t errlen);

/* Raise the soft RLIMIT_NOFILE to the hard limit; returns the new soft
 * limit (or the old one if it could not be raised). */
long net_raise_nofile(void);

#endif
