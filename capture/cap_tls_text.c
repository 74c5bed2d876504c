/* The words of cap_tls.h for people and for JSON: the message and the
 * keyword of each CAP_TLS_E_* code, cipher suite names, and why a
 * connection or a direction was not decrypted, said with its facts. The
 * decryptor (cap_tls.c) and the filter sink record the facts; this file
 * only says them. */
#include <stdio.h>

#include "cap_tls.h"

const char *cap_tls_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define CAP_TLS_ERR_STR_(name, key, msg)                                       \
	case CAP_TLS_E_##name:                                                 \
		return msg;
		CAP_TLS_ERR_MAP(CAP_TLS_ERR_STR_)
#undef CAP_TLS_ERR_STR_
	default:
		return "unknown error";
	}
}

const char *cap_tls_err_name(int err)
{
	switch (err) {
	case 0:
		return "ok";
#define CAP_TLS_ERR_KEY_(name, key, msg)                                       \
	case CAP_TLS_E_##name:                                                 \
		return key;
		CAP_TLS_ERR_MAP(CAP_TLS_ERR_KEY_)
#undef CAP_TLS_ERR_KEY_
	default:
		return "error";
	}
}

/* IANA TLS Cipher Suites registry: the AEAD suites cap_tls.c decrypts,
 * and the CBC and CCM ones a capture is likely to meet instead. */
static const struct {
	uint16_t id;
	const char *name;
} suites[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {0xC09C, "TLS_RSA_WITH_AES_128_CCM"},
    {0xC09D, "TLS_RSA_WITH_AES_256_CCM"},
    {0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
    {0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
    {0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
    {0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
};

const char *cap_tls_suite_name(uint16_t suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == suite)
			return suites[i].name;
	return NULL;
}

static const char *dir_name(int dir)
{
	return dir == CAP_C2S ? "c2s" : "s2c";
}

int cap_tls_why_code(const struct cap_tls_info *in)
{
	if (in->state == CAP_TLS_DECRYPTING)
		return 0;
	return in->err ? in->err : CAP_TLS_E_INCOMPLETE;
}

void cap_tls_why(const struct cap_tls_info *in, int dir, char *out, size_t len)
{
	int err = dir < 0 ? cap_tls_why_code(in) : in->stop_err[dir];
	int d = dir < 0 ? (int)in->err_dir : dir;
	bool v12 = in->version == 0x0303;
	const char *name;
	switch (err) {
	case CAP_TLS_E_NO_SECRET:
		if (dir >= 0 && !v12)
			snprintf(out, len, "no %s line in the key log",
				 dir == CAP_C2S ? "CLIENT_TRAFFIC_SECRET_0"
						: "SERVER_TRAFFIC_SECRET_0");
		else if (!in->keylog_entry)
			snprintf(out, len,
				 "no key log line for this client random");
		else
			snprintf(out, len,
				 "no %s in the key log for this client random",
				 v12 ? "CLIENT_RANDOM line"
				     : "handshake traffic secrets");
		return;
	case CAP_TLS_E_CIPHER:
		name = cap_tls_suite_name(in->suite);
		if (name)
			snprintf(out, len,
				 "cipher suite %s (0x%04x) is not supported",
				 name, in->suite);
		else
			snprintf(out, len,
				 "cipher suite 0x%04x is not supported",
				 in->suite);
		return;
	case CAP_TLS_E_VERSION:
		name = cap_tls_version_name(in->version);
		if (name)
			snprintf(out, len, "%s is not supported", name);
		else
			snprintf(out, len,
				 "TLS version 0x%04x is not supported",
				 in->version);
		return;
	case CAP_TLS_E_DECRYPT:
		snprintf(out, len,
			 "decryption failed at %s record %llu (bad "
			 "authentication tag: wrong secret or corrupted data)",
			 dir_name(d), (unsigned long long)in->fail_record[d]);
		return;
	case CAP_TLS_E_GAP:
		snprintf(out, len, "%s%s", cap_tls_strerror(err),
			 dir < 0 ? " before decryption began" : "");
		return;
	default:
		snprintf(out, len, "%s", cap_tls_strerror(err));
		return;
	}
}
