/* The seam's one helper: an endpoint as text, for summaries and names. */
#include <arpa/inet.h>
#include <stdio.h>

#include "cap_stream.h"

void cap_endpoint_format(const struct cap_endpoint *e, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	if (!outlen)
		return;
	if (e->family == 6) {
		if (!inet_ntop(AF_INET6, e->addr, a, sizeof(a)))
			a[0] = '\0';
		snprintf(out, outlen, "[%s]:%u", a, (unsigned)e->port);
	} else {
		if (!inet_ntop(AF_INET, e->addr, a, sizeof(a)))
			a[0] = '\0';
		snprintf(out, outlen, "%s:%u", a, (unsigned)e->port);
	}
}
