/* Private to capture/cap_session*.c and cap_summary.c / cap_json.c: the
 * collected sessions as the writers read them. Not a contract for
 * anyone else (the unit test reads it to check results). */
#ifndef WSSIM_CAP_SESSION_INT_H
#define WSSIM_CAP_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap_arena.h"
#include "cap_session.h"
#include "cap_stream.h"
#include "cap_tls_hello.h"
#include "http1.h"
#include "pmd.h"
#include "proto_buf.h"
#include "ws_frame.h"

enum cs_proto { CS_TCP, CS_HTTP, CS_WS, CS_AJP, CS_TLS };

/* A list of [name, value] pairs, copied. */
struct cs_pairs {
	size_t n, cap;
	char **kv; /* name0, value0, name1, value1, ... */
};

/* One request and its response (HTTP, or AJP on a backend leg). */
struct cs_exchange {
	bool has_req, has_resp, complete;
	uint64_t req_us, resp_us;
	char *method, *target; /* always kept (summary, leg links) */
	int version_minor;
	int status;
	char *reason;
	bool upgrade; /* the request asks for a websocket upgrade */
	struct cs_pairs req_headers, resp_headers, attributes; /* kept only */
	uint64_t req_body, resp_body;			       /* body bytes */
	struct proto_buf body; /* AJP response body, capped (kept) */
	bool body_truncated;
	bool ajp_reuse;
	/* leg link: the other leg's connection id and exchange index */
	uint64_t link_conn;
	size_t link_ex;
	bool link_is_backend; /* the linked exchange is the backend leg */
};

/* A websocket message or control frame, or a close. */
struct cs_msg {
	uint8_t dir; /* enum cap_dir */
	uint8_t opcode;
	bool compressed, truncated;
	uint64_t ts_us;
	uint64_t len; /* after inflating */
	unsigned close_code;
	uint8_t *payload; /* text, bytes, or the close reason; capped (in
			     cap_sessions.payloads) */
	size_t payload_len;
};

/* A gap, an error, a note: "c2s: gap of 120 bytes". */
struct cs_note {
	uint8_t dir;
	uint64_t ts_us;
	char *text;
};

enum cs_mode {
	CS_M_DETECT,	   /* nothing decided yet: buffer */
	CS_M_HTTP,	   /* heads and bodies */
	CS_M_WAIT_UPGRADE, /* c2s after an upgrade request: buffer */
	CS_M_WS,	   /* websocket frames */
	CS_M_AJP,
	CS_M_TLS, /* until the hello is read */
	CS_M_RAW, /* count only */
};

struct cs_dir {
	enum cs_mode mode;
	bool dead; /* stopped decoding (gap, error) */
	bool resync;
	struct proto_buf buf;
	size_t scan;
	/* HTTP body */
	bool in_body;
	int body_kind;
	uint64_t body_left;
	struct http1_chunked chunked;
	/* AJP request body */
	bool ajp_body;
	uint64_t ajp_body_left;
	bool ajp_body_chunked;
	/* websocket */
	struct ws_decoder dec;
	bool pmd_on;
	struct pmd_ctx pmd;
	struct proto_buf msg; /* the current message (kept mode) */
	uint8_t *slot;	      /* or, for an unfragmented uncompressed one,
				 its kept bytes right in the arena */
	size_t slot_len;
	uint64_t msg_len;
	bool msg_truncated;
	bool long_len_noted; /* a length not in its shortest form was noted */
	/* totals */
	uint64_t bytes, gap_bytes;
	uint64_t messages, pings, pongs;
	bool saw_close;
	uint64_t close_us;
	unsigned close_code;
	char *close_reason;
	enum cap_end end_how;
	bool ended;
};

struct cs_conn {
	uint64_t id;
	size_t slot; /* its index in cap_sessions.conns */
	struct cap_endpoint client, server;
	bool saw_syn, closed;
	uint64_t first_us, last_us;
	enum cs_proto proto;
	struct cs_dir d[2];
	/* HTTP / AJP exchanges in request order */
	struct cs_exchange *ex;
	size_t nex, capex;
	size_t next_resp; /* first exchange without a final response */
	/* websocket */
	bool ws_open;
	char *extensions; /* negotiated Sec-WebSocket-Extensions */
	struct cs_msg *msgs;
	size_t nmsgs, capmsgs;
	/* notes (gaps, errors) */
	struct cs_note *notes;
	size_t nnotes, capnotes;
	/* TLS: the hellos in the first record of each direction
	 * (cs_tls_hello) */
	char *sni;
	uint16_t tls_offered[CAP_TLS_HELLO_VERSIONS]; /* in order */
	size_t tls_noffered;
	uint16_t tls_version; /* selected; 0 unknown */
	uint16_t tls_suite;   /* from the ServerHello; 0 unknown */
	bool tls_client_hello, tls_server_hello;
	bool tls_midstream;	  /* records but no handshake: the capture began
				     mid-connection */
	struct cap_tls_info *tls; /* what the TLS filter made of it, or NULL
				     (cap_session_tls.c) */
	uint64_t cpings, cpongs;
	/* retransmissions with different data per direction (cap_conn) */
	uint64_t conflicts[2];
	/* legs */
	uint64_t leg_of;      /* this is a backend leg of that connection */
	uint64_t backend_leg; /* first backend leg of this connection */
};

struct cap_sessions {
	struct cap_session_opts opts;
	struct cap_tcp_sink sink;
	struct cs_conn **conns; /* by id; NULL holes (forgotten ones) until
				   cap_sessions_finish */
	size_t nconns, capconns, nholes;
	uint64_t evicted; /* connections forgotten (cap_stream.h) */
	uint64_t first_us;
	bool have_first;
	bool finished;
	struct http1_head head;	   /* scratch */
	struct proto_buf scratch;  /* unmasked bytes to inflate */
	struct cap_arena payloads; /* of every cs_msg */
};

/* What the writers say of a connection that was TLS on the wire, from the
 * session's own view of the hellos (a `tls` connection) or from the TLS
 * filter's (a decrypted one): cs_tls_facts (cap_session_tls.c). */
struct cs_tls_facts {
	const char *sni;     /* NULL: none sent */
	char offered[64];    /* "TLS1.3,TLS1.2"; "" unknown */
	char selected[16];   /* "TLS1.3"; "" unknown */
	uint16_t suite;	     /* 0: unknown */
	char suite_text[48]; /* its IANA name, or "0x00ff"; "" unknown */
	bool client_hello, server_hello;
	bool decrypted;	    /* at least one record decrypted */
	int why;	    /* not decrypted: a CAP_TLS_E_* code, else 0 */
	char why_text[192]; /* ... and the phrase for it */
	enum cap_dir why_dir;
	uint64_t why_record;	 /* CAP_TLS_E_DECRYPT: the failing record */
	uint64_t records[2];	 /* decrypted records per direction */
	int stop[2];		 /* decrypted, but that direction stopped:
				    why (CAP_TLS_E_*), else 0 */
	char stop_text[2][192];	 /* ... and the phrase for it */
	uint64_t stop_record[2]; /* CAP_TLS_E_DECRYPT: the failing record */
};

/* The facts of c when it was TLS on the wire (returns true), else false. */
bool cs_tls_facts(const struct cs_conn *c, struct cs_tls_facts *f);

/* CS_M_TLS: read the ClientHello or ServerHello (by its type, whichever
 * direction) in the first record of b (n bytes held) into c. Returns false
 * while that record is not complete. */
bool cs_tls_hello(struct cs_conn *c, const uint8_t *b, size_t n);

/* The session sink's `tls` event (cap_stream.h): keep the filter's
 * verdict with the connection. */
void cs_sink_tls(void *ctx, struct cap_conn *cc,
		 const struct cap_tls_info *info);

/* cap_session.c, for the writers */
bool cs_conn_matches(const struct cap_sessions *s, const struct cs_conn *c);
bool cs_header_redacted(const struct cap_sessions *s, const char *name);
const char *cs_proto_name(enum cs_proto p);
const char *cs_opcode_name(uint8_t op);
void cs_endpoint_format(const struct cap_endpoint *e, char *out, size_t len);
/* The connection's outcome as the summary says it, into out. */
void cs_outcome(const struct cs_conn *c, char *out, size_t len);

#endif
