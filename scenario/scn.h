/* The .scn scenario language: the syntax tree, the parser (strict, every
 * error as file:line:col with the offending line and a caret), macro
 * expansion and a printer. libc only: no I/O beyond reading the file and
 * writing to a FILE *.
 *
 * A scenario declares components (a mock `tomcat`; a proxy under test:
 * `apache`, `nginx`, `haproxy`, or an already running `proxy ... at
 * ADDR`) and `client`s, each with steps (send, close, wait, at, repeat,
 * backend stop/start) and expectations (status, headers, open, closed,
 * messages, pong, body, what the backend received). docs/scenario.md is
 * the reference; every keyword in scn_keywords() is documented there (a
 * test checks it).
 *
 * Strings are kept as templates: `${comp.field}` macros are checked at
 * parse time (the component exists and has that field) and expanded at run
 * time with scn_expand(), once the components' ports are known.
 */
#ifndef WSSIM_SCN_H
#define WSSIM_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The longest duration a scenario can say (wait, within, timeout, start,
 * at): 24 hours. */
#define SCN_MAX_DURATION_MS 86400000u

struct scn_pos {
	unsigned line, col; /* 1-based */
};

/* A byte string (owned; NUL-terminated, but may hold NULs: use len). */
struct scn_bytes {
	char *s;
	size_t len;
};

enum scn_comp_kind {
	SCN_TOMCAT,   /* the mock Tomcat */
	SCN_APACHE,   /* the real apache2, started with a generated config */
	SCN_NGINX,    /* the real nginx */
	SCN_HAPROXY,  /* the real haproxy */
	SCN_EXTERNAL, /* a proxy already running at an address */
};

enum scn_cert_kind {
	SCN_CERT_VALID,	      /* issued by the run's test CA */
	SCN_CERT_SELF_SIGNED, /* not issued by the CA */
	SCN_CERT_EXPIRED,     /* issued by the CA, expired */
	SCN_CERT_WRONG_HOST,  /* issued by the CA for another name */
};

enum scn_conn_kind { SCN_CONN_HTTP, SCN_CONN_HTTPS, SCN_CONN_AJP, SCN_NCONN };

/* A connector of a tomcat, or a listener of a proxy. */
struct scn_listen {
	bool on;
	enum scn_cert_kind cert; /* HTTPS */
	char *secret;		 /* AJP: required secret, or NULL */
	unsigned packet_size;	 /* AJP: 0 for the default 8192 */
	struct scn_pos pos;
};

/* `map "backend:8009" t1.ajp`: in an included config file, this address
 * is replaced by where the component field is at run time. */
struct scn_map {
	char *from;	/* "backend:8009" as written in the file */
	char *to_comp;	/* "t1" */
	char *to_field; /* "ajp" */
	struct scn_pos pos;
};

struct scn_component {
	enum scn_comp_kind kind;
	char *name;
	struct scn_pos pos;
	/* tomcat: connectors; proxies: listeners (http, https) */
	struct scn_listen listen[SCN_NCONN];
	/* proxies */
	char *config;		    /* verbatim block (template), or NULL */
	struct scn_pos config_pos;  /* of its first character */
	char *include;		    /* a config file to include, or NULL */
	struct scn_pos include_pos; /* of its path */
	struct scn_map *maps;
	size_t nmaps;
	char **modules; /* apache: modules to load beyond those derived */
	size_t nmodules;
	char *min_version; /* "2.4.47": skip the scenario below it */
	/* external */
	char *address; /* "127.0.0.1:8080" */
};

enum scn_step_kind {
	/* actions */
	SCN_SEND_TEXT,	    /* data */
	SCN_SEND_BINARY,    /* data */
	SCN_SEND_PING,	    /* data (may be empty) */
	SCN_SEND_PONG,	    /* data */
	SCN_SEND_FRAGMENTS, /* pieces; binary says text or binary */
	SCN_CLOSE,	    /* code (0: none), data = reason */
	SCN_WAIT,	    /* ms, us: pause that long */
	SCN_REPEAT,	    /* count, body */
	SCN_STOP,	    /* comp[.field]: stop a tomcat or one connector */
	SCN_START,	    /* comp[.field] */
	/* expectations (each may carry within_ms) */
	SCN_EXPECT_STATUS,    /* code: the HTTP status */
	SCN_EXPECT_HEADER,    /* name, data = value (NULL: just present);
				 match */
	SCN_EXPECT_NO_HEADER, /* name */
	SCN_EXPECT_OPEN,
	SCN_EXPECT_CLOSED, /* code (0: any), clean (-1 any), data = reason
			      (NULL: any) */
	SCN_EXPECT_TEXT,   /* data; match */
	SCN_EXPECT_BINARY, /* data; or match LENGTH: length only */
	SCN_EXPECT_ECHO,   /* the last message sent comes back */
	SCN_EXPECT_PONG,   /* data (NULL: any payload) */
	SCN_EXPECT_BODY,   /* data; match (http clients) */
	SCN_EXPECT_BACKEND /* comp, field (connector or NULL), data =
			      path (NULL: any), name/value = a header
			      (value NULL: just present),
			      upgrade (-1 any, 0 no, 1 yes) */
};

enum scn_match {
	SCN_MATCH_EXACT,
	SCN_MATCH_CONTAINS,
	SCN_MATCH_LENGTH, /* EXPECT_BINARY: any payload of `length` bytes */
};

struct scn_step {
	enum scn_step_kind kind;
	struct scn_pos pos;
	struct scn_bytes data;	  /* payload, reason, value, path; s NULL
				     when absent */
	struct scn_bytes *pieces; /* SEND_FRAGMENTS */
	size_t npieces;
	bool binary; /* SEND_FRAGMENTS */
	enum scn_match match;
	int code;	    /* status or close code */
	int clean;	    /* CLOSED: -1 any, 0 unclean, 1 clean */
	int upgrade;	    /* EXPECT_BACKEND */
	char *name;	    /* header name */
	char *value;	    /* EXPECT_BACKEND: header value, or NULL */
	char *comp, *field; /* STOP, START, EXPECT_BACKEND */
	uint64_t ms;	    /* WAIT */
	uint64_t us; /* WAIT: microseconds beyond ms (0-999), `wait 12.345ms` */
	uint64_t within_ms; /* expectations: 0 = the client's timeout */
	uint64_t length;    /* EXPECT_BINARY with SCN_MATCH_LENGTH */
	/* `send text random 16..1024` / `send binary random 16..1024`
	 * (SEND_TEXT, SEND_BINARY; data.s NULL): a payload of a length drawn
	 * in [rand_min, rand_max] from the session's seeded generator
	 * (printable ASCII for text). `wait 100ms..500ms` (WAIT): a pause
	 * drawn in [ms*1000+us, wait_max_us] µs. 0: not random. */
	uint64_t rand_min, rand_max;
	uint64_t wait_max_us;
	/* `at 12.345ms`, in µs since the client's start (when it was due):
	 * on a send or close, when it is made (the client pauses until
	 * then; at once if that time has passed); on an expectation, when
	 * the answer arrived in the recording, a note that `wssim replay`
	 * compares the replay's timing with (it never changes when an
	 * expectation is checked). On sends, close, and expect status, open,
	 * closed, text, binary, echo, pong; not inside repeat. */
	bool has_at;
	uint64_t at_us;
	unsigned count;	       /* REPEAT */
	struct scn_step *body; /* REPEAT */
	size_t nbody;
};

struct scn_header {
	char *name;
	char *value; /* template */
};

struct scn_client {
	char *name;
	struct scn_pos pos;
	/* Printed by scn_print as `# ` lines above the client (one a line
	 * of it); the parser keeps no comments: NULL. */
	char *comment;
	char *url; /* template: ws://, wss://, http://, https:// */
	struct scn_pos url_pos;
	struct scn_header *headers; /* extra request headers */
	size_t nheaders;
	char *origin;	     /* NULL: derived from the URL, as a browser */
	char *protocols;     /* Sec-WebSocket-Protocol offer, or NULL */
	char *extensions;    /* NULL: Chrome's default offer; "" none */
	char *method;	     /* http clients: NULL = GET */
	bool insecure;	     /* wss/https: do not verify the peer */
	uint64_t timeout_ms; /* default for each wait; 0 = the file's */
	/* `start 120ms`: begin that long after the run's clients begin,
	 * alongside the others (recordings keep their concurrency); without
	 * it a client begins when the clients before it have finished */
	bool has_start;
	uint64_t start_ms;
	uint64_t start_us; /* microseconds beyond start_ms (0-999) */
	struct scn_step *steps;
	size_t nsteps;
};

/* A threshold on a load's results (`expect p99 rtt < 5ms` in a `load`
 * block, or `wssim load --expect "p99 rtt < 5ms"`). */
enum scn_th_kind {
	SCN_TH_LATENCY,	   /* STAT METRIC: `p99 rtt`, `max handshake`,
			      `mean session`; value in µs */
	SCN_TH_SESSIONS,   /* `sessions OUTCOME`: a count */
	SCN_TH_RATE,	   /* `rate OUTCOME`: a fraction of the sessions
			      begun (value 0..1, written as a percentage) */
	SCN_TH_COUNT,	   /* `msgs sent|received`, `bytes sent|received`,
			      `errors [KIND]`: a count */
	SCN_TH_THROUGHPUT, /* `msgs/s`: messages received per second */
};

enum scn_th_metric {		      /* SCN_TH_LATENCY */
		     SCN_M_CONNECT,   /* TCP (+TLS) connect */
		     SCN_M_HANDSHAKE, /* from the connect's start until the 101
				       */
		     SCN_M_RTT,	      /* a message's round trip (the echo) */
		     SCN_M_SESSION,   /* a session, first connect to its end */
		     SCN_NMETRICS,
};

enum scn_th_outcome {		    /* SCN_TH_SESSIONS, SCN_TH_RATE */
		      SCN_O_TOTAL,  /* `sessions` / `total`: every session begun
				     */
		      SCN_O_OPEN,   /* the handshake succeeded */
		      SCN_O_CLOSED, /* a close handshake ended it (code: that
				       code; 0 any) */
		      SCN_O_1006, /* a browser would report 1006: dropped after
				     open, refused, reset, TLS failure, a
				     non-101 answer */
		      SCN_O_REFUSED, /* a non-101 answer (code: that status; 0
					any) */
		      SCN_O_FAILED, /* an expectation of its script did not hold
				     */
		      SCN_NOUTCOMES,
};

enum scn_th_count { /* SCN_TH_COUNT */
		    SCN_C_MSGS_SENT,
		    SCN_C_MSGS_RECEIVED,
		    SCN_C_BYTES_SENT,
		    SCN_C_BYTES_RECEIVED,
		    SCN_C_ERRORS,
};

enum scn_th_op {
	SCN_OP_LT,
	SCN_OP_LE,
	SCN_OP_GT,
	SCN_OP_GE,
	SCN_OP_EQ,
	SCN_OP_NE
};

struct scn_threshold {
	char *text; /* as written after `expect`, e.g. "p99 rtt < 5ms" */
	struct scn_pos pos;
	enum scn_th_kind kind;
	double pct; /* LATENCY: the percentile (0-100; 100 = max, -1 =
		       mean) */
	enum scn_th_metric metric;   /* LATENCY */
	enum scn_th_outcome outcome; /* SESSIONS, RATE */
	enum scn_th_count count;     /* COUNT */
	int code;		     /* CLOSED, REFUSED: 0 any */
	char *kind_name;	     /* COUNT errors: the kind, or NULL */
	enum scn_th_op op;
	double value; /* µs, a count, a fraction, or msgs per second */
};

/* A client used as a session template, with its weight (`use NAME
 * weight 3`). */
struct scn_load_use {
	char *client;
	unsigned weight; /* >= 1 */
	struct scn_pos pos;
};

/* A stage of the open model: `30s:100/s` ramps the arrival rate
 * linearly from the previous stage's rate (0 for the first) to `rate`
 * over `ms`. */
struct scn_stage {
	uint64_t ms;
	double rate; /* sessions per second */
};

/* The `load { ... }` block: what `wssim load` runs by default (its
 * options override each setting). */
struct scn_load {
	bool present;
	struct scn_pos pos;
	struct scn_load_use *uses; /* none: every client, weight 1 */
	size_t nuses;
	unsigned sessions;	  /* closed model: `sessions 100` concurrent */
	double rate;		  /* open model: `rate 100/s` */
	struct scn_stage *stages; /* open model with stages */
	size_t nstages;
	uint64_t duration_ms;  /* 0: unset */
	uint64_t iterations;   /* 0: unset; sessions run in all */
	uint64_t think_min_us; /* `think 100ms..500ms`: a pause between */
	uint64_t think_max_us; /* a closed-model session's iterations */
	uint64_t ramp_ms;      /* closed model: `ramp 10s` spreads the starts */
	bool has_seed;
	uint64_t seed;
	struct scn_threshold *thresholds;
	size_t nthresholds;
};

struct scn_file {
	char *path;
	char *title;	     /* `scenario "..."`, or NULL */
	uint64_t timeout_ms; /* `timeout 10s`; default 5000 per wait */
	struct scn_component *comps;
	size_t ncomps;
	struct scn_client *clients;
	size_t nclients;
	struct scn_load load; /* present false without a `load` block */
};

struct scn_error {
	char file[512];
	unsigned line, col;
	char message[256];
	char text[512]; /* the offending line, without its newline */
};

/* Parse a whole file. Returns 0 and *out (free with scn_free), or -1 with
 * *err filled: syntax errors, unknown words, macros naming undeclared
 * components or fields they lack, values out of range (close code, port,
 * size, status), steps after `close`, duplicate names, an empty file or
 * one without clients, an unreadable file (line 0). */
int scn_parse_file(const char *path, struct scn_file **out,
		   struct scn_error *err);
/* The same from memory; `name` is used as the file name in errors. */
int scn_parse_string(const char *name, const char *text, size_t len,
		     struct scn_file **out, struct scn_error *err);
/* For a file used for its topology only (`wssim replay --setup`): as
 * scn_parse_file, but clients may be absent (those present are parsed and
 * checked all the same), and a file without a component is an error ("no
 * component", line 1). */
int scn_parse_topology_file(const char *path, struct scn_file **out,
			    struct scn_error *err);
void scn_free(struct scn_file *f);

/* Print an error as
 *   file:line:col: message
 *       the offending line
 *       ^
 * (the caret under column col; colour only when `color`). */
void scn_error_print(FILE *f, const struct scn_error *err, bool color);

/* The component called `name`, or NULL. */
const struct scn_component *scn_find_comp(const struct scn_file *f,
					  const char *name);

/* Whether component c has macro field `field`: tomcat "http", "https",
 * "ajp" (declared connectors), proxies "http", "https" (declared
 * listeners), external "http" (or "https" when declared so); every
 * component also has "host" (the address it binds, 127.0.0.1), and all but
 * external ones "<field>_port" for each such field (the port alone). */
bool scn_comp_has_field(const struct scn_component *c, const char *field);

/* Expand macros in a template. `resolve` gives the value of comp.field
 * (returns 0, or -1 if unknown). In a config block (in_config true), a
 * `${x}` or `${x.y}` whose x is not a component is Apache's own and left
 * as written; `$${` stands for a literal `${` everywhere. Returns a
 * malloc'd string, or NULL with a message in err (an unresolvable macro
 * outside a config block; a macro whose value holds a control character,
 * DEL, '"' or '\\', which could end the line or the quoted string it lands
 * in: refused everywhere). */
typedef int (*scn_resolve_cb)(void *ctx, const char *comp, const char *field,
			      char *out, size_t outlen);
char *scn_expand(const char *tmpl, bool in_config, scn_resolve_cb resolve,
		 void *ctx, char *err, size_t errlen);

/* Parse one threshold as written after `expect` (`p99 rtt < 5ms`) from
 * `text` (a command line's --expect). Returns 0 and fills *t (free with
 * scn_threshold_free), or -1 with a message in err naming the column. */
int scn_threshold_parse(const char *text, struct scn_threshold *t, char *err,
			size_t errlen);
void scn_threshold_free(struct scn_threshold *t);

/* Print a scenario back as .scn text that parses to the same tree (used
 * by capture to write recordings). Returns 0 or -1 (write error). */
int scn_print(FILE *out, const struct scn_file *f);

/* Every keyword of the language, NULL-terminated (for the reference and
 * the test that keeps docs/scenario.md complete). */
const char *const *scn_keywords(void);

/* Whether a step of this kind sends a frame (`send ...`, `close`). */
bool scn_step_sends(enum scn_step_kind kind);

#endif
