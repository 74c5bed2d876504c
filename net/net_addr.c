/* Addresses and listening sockets (see net_addr.h). */
#include "net_addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

int net_addr_make(const char *host, int port, struct sockaddr_storage *ss)
{
	if (port < 0 || port > 65535)
		return UV_EINVAL;
	memset(ss, 0, sizeof(*ss));
	char h[64];
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(h))
			return UV_EINVAL;
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		host = h;
	}
	if (strchr(host, ':'))
		return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss);
	return uv_ip4_addr(host, port, (struct sockaddr_in *)ss);
}

int net_addr_parse(const char *hostport, struct sockaddr_storage *ss)
{
	const char *colon = strrchr(hostport, ':');
	if (!colon || colon == hostport)
		return UV_EINVAL;
	char host[64];
	size_t hl = (size_t)(colon - hostport);
	if (hl >= sizeof(host))
		return UV_EINVAL;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	if (strchr(host, ':') && host[0] != '[')
		return UV_EINVAL; /* a bare v6 literal needs brackets */
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return UV_EINVAL;
	return net_addr_make(host, (int)port, ss);
}

void net_addr_format(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[64];
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;
		uv_ip6_name(a, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%d", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)sa;
		uv_ip4_name(a, host, sizeof(host));
		snprintf(out, outlen, "%s:%d", host, ntohs(a->sin_port));
	}
}

int net_addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(
		    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
}

int net_listen(uv_loop_t *loop, uv_tcp_t *server, const char *host, int port,
	       uv_connection_cb cb, int *bound, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int r = net_addr_make(host, port, &ss);
	if (r != 0) {
		snprintf(err, errlen, "'%s': not a numeric IP address", host);
		return r;
	}
	r = uv_tcp_init(loop, server);
	if (r != 0) {
		snprintf(err, errlen, "%s", uv_strerror(r));
		return r;
	}
	unsigned flags = ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
	r = uv_tcp_bind(server, (struct sockaddr *)&ss, flags);
	if (r == 0)
		r = uv_listen((uv_stream_t *)server,
			      SOMAXCONN > 4096 ? SOMAXCONN : 4096, cb);
	if (r != 0) {
		char a[80];
		net_addr_format((struct sockaddr *)&ss, a, sizeof(a));
		snprintf(err, errlen, "%s: %s", a, uv_strerror(r));
		uv_close((uv_handle_t *)server, NULL);
		return r;
	}
	int len = sizeof(ss);
	uv_tcp_getsockname(server, (struct sockaddr *)&ss, &len);
	*bound = net_addr_port((struct sockaddr *)&ss);
	return 0;
}

long net_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit want = rl;
		want.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	return (long)rl.rlim_cur;
}
