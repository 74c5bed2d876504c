/* The proxy under test, for real: Debian's apache2, nginx or haproxy
 * started as a child process on loopback with a private generated config
 * (its own server root / prefix, pid file, logs, lock/mutex dir and
 * ephemeral ports, the modules it needs, the scenario's config block
 * pasted in), waited for until its port answers, and stopped — with its
 * children — on every exit path (success, failure, timeout, SIGINT,
 * SIGTERM, and a crash or SIGKILL of wssim: its own process group and a
 * parent-death signal, and the run's record for the stale-run reaper,
 * os_runreg.h). Its error log is kept for reports and scanned for
 * alerts. A missing binary is a clear error naming the package.
 *
 * This module blocks (fork/exec, polling the port for at most the start
 * timeout): proxies start in milliseconds, and a run brings them up before
 * its loop serves clients. Everything lives under the run's temp dir.
 */
#ifndef WSSIM_SIM_PROXY_H
#define WSSIM_SIM_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "os_runreg.h"
#include "scn.h"

struct proxy_spec {
	enum scn_comp_kind kind; /* SCN_APACHE, SCN_NGINX, SCN_HAPROXY */
	const char *name;	 /* the component's name, for messages */
	const char *dir;	 /* a fresh directory of its own (created) */
	const char *bin;	 /* NULL: apache2 / nginx / haproxy on PATH,
				    then /usr/sbin */
	/* the scenario's config block with macros expanded, or NULL */
	const char *config;
	unsigned config_line; /* the block's first line in the .scn */
	/* or a file to include, with address maps applied ("from" -> "to") */
	const char *include;
	const char *include_at; /* where the scenario names it, "FILE:L:C"
				   (for messages), or NULL */
	const char *const *map_from, *const *map_to;
	size_t nmaps;
	const char *const *modules; /* apache: extra modules, NULL-ended */
	const char *min_version;    /* "2.4.47" or NULL */
	int http_port;		    /* the ports to listen on (chosen by the
				       run), -1 for none */
	int https_port;
	const char *cert_file, *key_file; /* HTTPS listener (PEM) */
	const char *ca_file;		  /* the run's test CA, for backend TLS
					     (SSLProxyCACertificateFile) */
	unsigned start_timeout_ms;	  /* 0: 5000 */
	/* the run's record (os_runreg.h): every process started is noted
	 * there for the stale-run reaper; NULL: not recorded */
	struct os_runreg *reg;
};

struct proxy {
	enum scn_comp_kind kind;
	pid_t pid;	 /* its process group too */
	pid_t watchdog;	 /* private: SIGKILLs the group if wssim dies */
	int watchdog_fd; /* private: the watchdog's pipe (wssim's end) */
	char *dir;
	char *conf_path;
	char *error_log;
	char version[32]; /* "2.4.71" */
	bool exited;	  /* its main process ended after it served
			     (proxy_exited) */
	int exit_status;  /* its wait status then */
};

enum proxy_status {
	PROXY_OK = 0,
	PROXY_E_MISSING = -1, /* binary not installed: message names the
				 package (exit 3) */
	PROXY_E_CONFIG = -2,  /* the proxy refused its config: message
				 quotes it and points at the .scn line
				 (exit 2) */
	PROXY_E_START = -3,   /* exited, or did not answer in time (exit 3) */
	PROXY_E_VERSION = -4, /* below min_version: message says so (the
				 scenario is skipped) */
};

/* Generate the config, start the proxy and wait until every port it
 * listens on answers. Returns PROXY_OK with *p filled (stop it with
 * proxy_stop), or a proxy_status with a readable message in err (the
 * process, if any, is already gone). */
int proxy_start(const struct proxy_spec *spec, struct proxy *p, char *err,
		size_t errlen);

/* Stop the proxy and its whole process group (SIGTERM, then SIGKILL after
 * a short grace), reap it, and free *p (the directory stays: the run
 * removes it, or keeps it with --keep). Idempotent. */
void proxy_stop(struct proxy *p);

/* The error log so far (malloc'd, NULL if none), for failure reports. */
char *proxy_error_log(const struct proxy *p);

/* Has the proxy's main process ended since it started serving? Reaps it
 * without blocking; from then on p->exited and p->exit_status say how
 * (proxy_stop still stops what is left of its group). */
bool proxy_exited(struct proxy *p);

/* How a process ended, from its wait status: "exited with status 1",
 * "was killed by signal 11 (Segmentation fault)". */
void proxy_describe_exit(int wstatus, char *out, size_t outlen);

/* Does this line of a proxy's error log say that one of its worker
 * processes crashed or died? Apache's "child pid N exit signal
 * Segmentation fault (11)", nginx's "worker process N exited on signal
 * 11", haproxy's "worker (N) exited with code 139". Pure. */
bool proxy_log_crash(enum scn_comp_kind kind, const char *line);

/* The version of the proxy binary ("2.4.71"), or -1 with a message (the
 * binary is missing). */
int proxy_version(enum scn_comp_kind kind, const char *bin, char *out,
		  size_t outlen, char *err, size_t errlen);

/* Pick a free loopback port for a proxy to listen on later: a random one
 * from PROXY_PORT_LOW up to the kernel's ephemeral range (so no outgoing
 * connection takes it in the meantime) that binds now; any free port if
 * that range is too small. */
#define PROXY_PORT_LOW 10000
int proxy_free_port(void);

/* The first port of the kernel's ephemeral range (32768 if unknown). */
int proxy_ephemeral_low(void);

#endif
