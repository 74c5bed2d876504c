/* TLS decryption for `wssim capture`, sans I/O, on OpenSSL 3 primitives
 * (EVP_CIPHER AEADs, EVP_KDF HKDF and TLS1-PRF; no SSL objects).
 *
 * Three parts:
 * - a key log (the SSLKEYLOGFILE format written by browsers, curl, OpenSSL
 *   and Python): CLIENT_RANDOM lines for TLS 1.2, and the
 *   {CLIENT,SERVER}_HANDSHAKE_TRAFFIC_SECRET and
 *   {CLIENT,SERVER}_TRAFFIC_SECRET_0 lines for TLS 1.3, keyed by the
 *   ClientHello random;
 * - a per-connection decryptor fed the raw TCP bytes of each direction: it
 *   reads the records and the hellos (client random, SNI, versions, cipher
 *   suite), derives the keys when the key log has the secrets, follows
 *   ChangeCipherSpec (1.2), the handshake-secret phase, Finished and
 *   KeyUpdate (1.3), and hands out the plaintext of application_data
 *   records per direction;
 * - a filter cap_tcp_sink that sits in front of another sink (the session
 *   sink): it forwards each TLS connection it can decrypt as plaintext,
 *   and everything else (plain TCP, TLS without a key log entry, TLS whose
 *   decryption failed before the first record) untouched, so the session
 *   sink still reports those as TLS with their SNI and versions.
 *
 * Supported: TLS 1.2 with AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305
 * suites (ECDHE, DHE and RSA key exchange alike: only the master secret
 * matters), TLS 1.3 with TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384
 * and TLS_CHACHA20_POLY1305_SHA256, HelloRetryRequest, KeyUpdate. Not
 * supported (reported): CBC and CCM suites, TLS 1.0/1.1, 1.2
 * renegotiation, 1.3 0-RTT early data (skipped), data after a gap.
 */
#ifndef WSSIM_CAP_TLS_H
#define WSSIM_CAP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap_stream.h"
#include "cap_tls_hello.h"

/* The codes: name, the keyword `wssim capture --json` reports a reason
 * by (docs/capture-json.md), and the message. The last three are never
 * returned by the functions here: they name why a TLS connection was not
 * decrypted where no decryptor ran (cap_session_tls.c). */
#define CAP_TLS_ERR_MAP(X)                                                     \
	X(NOMEM, "nomem", "out of memory")                                     \
	X(KEYLOG_IO, "keylog_io", "cannot read the key log")                   \
	X(RECORD, "bad_record", "malformed TLS record")                        \
	X(HANDSHAKE, "bad_handshake", "malformed TLS handshake message")       \
	X(VERSION, "version", "unsupported TLS version")                       \
	X(CIPHER, "cipher", "unsupported cipher suite")                        \
	X(NO_SECRET, "no_key", "no key log secret for this connection")        \
	X(DECRYPT, "decrypt_failed",                                           \
	  "record authentication failed (wrong secret or corrupted data)")     \
	X(GAP, "gap", "data missing from the capture")                         \
	X(RENEGOTIATION, "renegotiation",                                      \
	  "TLS 1.2 renegotiation is not supported")                            \
	X(EARLY_DATA, "early_data",                                            \
	  "TLS 1.3 early data (0-RTT) is not decrypted")                       \
	X(TOO_BIG, "too_big", "too much data buffered")                        \
	X(CRYPTO, "crypto", "OpenSSL error")                                   \
	X(INCOMPLETE, "incomplete",                                            \
	  "the handshake did not complete in the "                             \
	  "capture")                                                           \
	X(NO_KEYLOG, "no_keylog", "no --keylog given")                         \
	X(NO_HANDSHAKE, "no_handshake", "the handshake was not captured")

enum cap_tls_err {
	CAP_TLS_OK = 0,
#define CAP_TLS_ERR_ENUM_(name, key, msg) CAP_TLS_E_##name,
	CAP_TLS_ERR_FIRST_ = -2000,
	CAP_TLS_ERR_MAP(CAP_TLS_ERR_ENUM_)
#undef CAP_TLS_ERR_ENUM_
	    CAP_TLS_ERR_LAST_
};

/* The message for a CAP_TLS_E_* code (0: "success"); never NULL. */
const char *cap_tls_strerror(int err);

/* The keyword of a CAP_TLS_E_* code ("no_key", "cipher", ...; 0: "ok",
 * others "error"); never NULL. */
const char *cap_tls_err_name(int err);

/* The IANA name of a cipher suite ("TLS_AES_128_GCM_SHA256") for the
 * AEAD suites decrypted here and the common CBC and CCM ones; NULL for
 * others. */
const char *cap_tls_suite_name(uint16_t suite);

/* "TLS1.3", "TLS1.2", "TLS1.1", "TLS1.0", "SSL3.0", or NULL. */
const char *cap_tls_version_name(uint16_t v);

/* ---- key log ------------------------------------------------------- */

enum cap_keylog_secret {
	CAP_KL_CLIENT_HS, /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	CAP_KL_SERVER_HS, /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	CAP_KL_CLIENT_AP, /* CLIENT_TRAFFIC_SECRET_0 */
	CAP_KL_SERVER_AP, /* SERVER_TRAFFIC_SECRET_0 */
	CAP_KL_NSECRETS
};

/* What the key log knows about one client random. */
struct cap_keylog_entry {
	uint8_t client_random[32];
	bool has_master;
	uint8_t master[48];		     /* CLIENT_RANDOM (TLS 1.2) */
	uint8_t secret_len[CAP_KL_NSECRETS]; /* 0: not logged; 32 or 48 */
	uint8_t secret[CAP_KL_NSECRETS][48]; /* TLS 1.3 */
};

struct cap_keylog;

/* An empty key log; NULL when out of memory. */
struct cap_keylog *cap_keylog_new(void);
void cap_keylog_free(struct cap_keylog *kl); /* NULL is fine */

/* The longest key log line taken (bytes before its LF, a CR not
 * counted); the longest real one (a TLS 1.3 secret of 48 bytes) is 193. */
#define CAP_KEYLOG_MAX_LINE 4096
#define CAP_KEYLOG_MAX_LINE_TEXT "4096"

/* A malformed line was skipped: msg is "NAME:LINE: LABEL: what is wrong;
 * line skipped" (borrowed for the call). */
typedef void (*cap_keylog_warn_cb)(void *ctx, const char *msg);

/* Who hears of skipped lines (NULL: nobody; they are still counted). */
void cap_keylog_set_warn(struct cap_keylog *kl, cap_keylog_warn_cb cb,
			 void *ctx);

/* Add the lines of `text` (len bytes, borrowed). Blank lines, `#`
 * comments and unknown labels (CLIENT_EARLY_TRAFFIC_SECRET,
 * EXPORTER_SECRET, ...) are ignored; a later line for the same client
 * random and label replaces the earlier. A malformed line (a known label
 * with a missing field, bad hex, or a wrong length; any line longer than
 * CAP_KEYLOG_MAX_LINE) is skipped, counted and reported to the warn
 * callback, and the lines after it are read. `name` names the input in
 * messages. Returns 0, or CAP_TLS_E_NOMEM (err says so; lines before
 * stay added). */
int cap_keylog_parse(struct cap_keylog *kl, const char *text, size_t len,
		     const char *name, char *err, size_t errlen);

/* Read and parse the file at `path` as cap_keylog_parse does, in blocks:
 * memory does not grow with the file's size or its lines' length.
 * Returns 0, CAP_TLS_E_KEYLOG_IO (err says why; errno kept), or
 * CAP_TLS_E_NOMEM. */
int cap_keylog_load(struct cap_keylog *kl, const char *path, char *err,
		    size_t errlen);

/* Number of distinct client randoms. */
size_t cap_keylog_count(const struct cap_keylog *kl);

/* Number of malformed lines skipped. */
size_t cap_keylog_skipped(const struct cap_keylog *kl);

/* The entry for a client random, or NULL. Borrowed from kl. */
const struct cap_keylog_entry *cap_keylog_find(const struct cap_keylog *kl,
					       const uint8_t client_random[32]);

/* ---- per-connection decryptor ------------------------------------- */

struct cap_tls_cbs {
	void *ctx;
	/* Plaintext of application_data records of one direction, in order
	 * (borrowed for the call). May be NULL. */
	void (*plaintext)(void *ctx, enum cap_dir dir, const uint8_t *p,
			  size_t n);
	/* Something that stops or limits decryption of a direction (or, for
	 * NO_SECRET, VERSION and CIPHER, of the connection): a CAP_TLS_E_*
	 * code and a readable message. May be NULL. */
	void (*report)(void *ctx, enum cap_dir dir, int err, const char *msg);
};

enum cap_tls_state {
	CAP_TLS_HELLO,	     /* reading the ClientHello and ServerHello */
	CAP_TLS_NOT_TLS,     /* the client's first bytes are no ClientHello */
	CAP_TLS_NO_KEY,	     /* no key log entry for the client random */
	CAP_TLS_UNSUPPORTED, /* a version or cipher suite we cannot decrypt */
	CAP_TLS_KEYS,	     /* keys derived, no record decrypted yet */
	CAP_TLS_DECRYPTING,  /* at least one record decrypted */
	CAP_TLS_FAILED,	     /* the first encrypted record did not decrypt */
};

struct cap_tls_info {
	enum cap_tls_state state;
	char sni[256]; /* "" when none was sent */
	/* versions offered, in ClientHello order */
	uint16_t offered[CAP_TLS_HELLO_VERSIONS];
	size_t noffered;
	uint16_t version;  /* selected; 0 until the ServerHello */
	uint16_t suite;	   /* selected cipher suite */
	bool keylog_entry; /* the key log has lines for the client random */
	bool stopped[2];   /* decryption of that direction ended */
	uint64_t undecrypted[2]; /* bytes fed after a direction stopped,
				    and what was buffered when it did */
	uint64_t records[2];	 /* records decrypted */
	uint64_t seen[2];	 /* records read (of any kind, in the clear or
				    not) */
	/* Why the connection is not decrypted: a CAP_TLS_E_* code once the
	 * state is NOT_TLS, NO_KEY, UNSUPPORTED or FAILED (the filter sink
	 * sets one where it gives up itself), else 0; err_dir is where it
	 * happened. */
	int err;
	enum cap_dir err_dir;
	int stop_err[2]; /* why that direction stopped (CAP_TLS_E_*), or 0 */
	uint64_t fail_record[2]; /* CAP_TLS_E_DECRYPT: the record that did
				    not decrypt, counted as in `seen` from 1 */
};

/* Why the connection was not decrypted: 0 when a record was decrypted,
 * else info->err, or CAP_TLS_E_INCOMPLETE for a handshake that never got
 * as far (state HELLO or KEYS without an error). */
int cap_tls_why_code(const struct cap_tls_info *info);

/* Why decryption of the connection (dir < 0: cap_tls_why_code) or of direction
 * `dir` (info->stop_err[dir]) ended, as a phrase for a person, with the
 * facts that matter ("cipher suite TLS_RSA_WITH_AES_128_CBC_SHA (0x002f)
 * is not supported", "decryption failed at s2c record 3 (bad
 * authentication tag: wrong secret or corrupted data)"), into out. */
void cap_tls_why(const struct cap_tls_info *info, int dir, char *out,
		 size_t len);

struct cap_tls;

/* A decryptor for one connection. `kl` is borrowed and must outlive it;
 * `cbs` is copied (NULL: no callbacks). NULL when out of memory. */
struct cap_tls *cap_tls_new(const struct cap_keylog *kl,
			    const struct cap_tls_cbs *cbs);
void cap_tls_free(struct cap_tls *t); /* NULL is fine */

/* The next bytes of a direction (copied as needed). Records are
 * processed as they complete, in both directions (a client record that
 * needs the server's hello waits for it). Returns 0 or CAP_TLS_E_NOMEM;
 * problems in the stream go to the report callback and the state. */
int cap_tls_feed(struct cap_tls *t, enum cap_dir dir, const uint8_t *p,
		 size_t n);

/* `n` bytes of a direction were never captured: decryption of that
 * direction ends (reported as CAP_TLS_E_GAP). */
void cap_tls_gap(struct cap_tls *t, enum cap_dir dir, uint64_t n);

/* What is known so far (borrowed; valid until the next call). */
const struct cap_tls_info *cap_tls_info(const struct cap_tls *t);

/* ---- the filter sink ----------------------------------------------- */

/* A problem with connection `c` (see cap_tls_cbs.report). */
typedef void (*cap_tls_report_cb)(void *ctx, const struct cap_conn *c,
				  enum cap_dir dir, int err, const char *msg);

struct cap_tls_filter_stats {
	uint64_t tls;	    /* connections that began with a ClientHello */
	uint64_t decrypted; /* of which at least one record decrypted */
	uint64_t no_key;    /* no key log entry */
	uint64_t failed;    /* unsupported, or failed before decrypting */
};

struct cap_tls_filter;

/* A filter in front of `inner` (borrowed; it must outlive the filter):
 * every event reaches inner, with the bytes of decrypted connections
 * replaced by their plaintext (the handshake bytes are not passed on;
 * where a direction stops after decryption began, inner gets a gap of
 * the bytes left undecrypted before that direction's end). Each
 * connection taken for TLS (its client bytes begin with a handshake
 * record) gets inner's `tls` event (where inner has one) just before its
 * close: the decryptor's final cap_tls_info, err set for one the filter
 * gave up itself (GAP: data missing before a record decrypted; TOO_BIG;
 * NOMEM), state HELLO or KEYS for a handshake cut short. `kl` is
 * borrowed. `report` (may be NULL) is told each problem. It keeps its own
 * state in cap_conn.user around inner's. NULL when out of memory. */
struct cap_tls_filter *cap_tls_filter_new(const struct cap_keylog *kl,
					  struct cap_tcp_sink *inner,
					  cap_tls_report_cb report,
					  void *report_ctx);

/* The sink to give the reassembler; it lives as long as `f`. */
struct cap_tcp_sink *cap_tls_filter_sink(struct cap_tls_filter *f);

void cap_tls_filter_get_stats(const struct cap_tls_filter *f,
			      struct cap_tls_filter_stats *st);

/* Free the filter and the state of connections never closed (inner is
 * not told). NULL is fine. */
void cap_tls_filter_free(struct cap_tls_filter *f);

#endif
