/* The TLS hellos (RFC 8446 4.1.2-4.1.3, RFC 5246 7.4.1.2-7.4.1.3): the
 * facts of one ClientHello or ServerHello body (the handshake message
 * without its 4-byte header), read one way for the decryptor (cap_tls.c)
 * and for the session collector's view of a TLS connection it does not
 * decrypt (cap_session_tls.c). Sans I/O, no allocation.
 *
 * A body cut short (the session reads only the first record) or malformed
 * still yields what was read before the problem: a vector that runs past
 * what is there is read as far as it goes (a list of extensions, the
 * supported_versions list), an extension cut short is not read at all,
 * and nothing after a cut is. */
#ifndef WSSIM_CAP_TLS_HELLO_H
#define WSSIM_CAP_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_TLS_HELLO_VERSIONS 8 /* offered versions kept */

struct cap_tls_hello {
	uint16_t legacy_version;
	const uint8_t *random; /* its 32 bytes in the body; NULL: cut short
				  before them (nothing else is known then) */
	bool fixed;	       /* everything before the extensions was read */
	/* ClientHello */
	const uint8_t *sni; /* the first host_name of server_name, sni_len
			       bytes in the body (not NUL-terminated); NULL:
			       none read */
	size_t sni_len;
	/* supported_versions' list in order (GREASE values left out, the
	 * first CAP_TLS_HELLO_VERSIONS kept); without that extension (once
	 * `fixed`), legacy_version */
	uint16_t offered[CAP_TLS_HELLO_VERSIONS];
	size_t noffered;
	bool early_data; /* early_data offered */
	/* ServerHello */
	bool has_suite;
	uint16_t suite;	   /* the selected cipher suite */
	uint16_t selected; /* supported_versions', else legacy_version */
	/* either: a supported_versions extension was read */
	bool has_versions;
};

/* Read a ClientHello (`client`) or ServerHello body of n bytes into h
 * (which borrows from body). Returns 0 when the body is a well-formed
 * hello, or CAP_TLS_E_HANDSHAKE (cap_tls.h) when it is cut short or
 * malformed, h holding what was read before (see above). Bytes after
 * the extensions are not looked at. */
int cap_tls_hello_parse(bool client, const uint8_t *body, size_t n,
			struct cap_tls_hello *h);

#endif
