/* The proxy launcher against the real Debian apache2, nginx and haproxy:
 * start and answer, config refusals pointed at the scenario line, version
 * gating, a missing binary, no process left after stop or after wssim is
 * SIGKILLed, stale run dirs reaped; and the pure parts (module derivation,
 * error and version parsing). A TCase whose binary is absent exits 77
 * (skipped) with the reason, except under CI=true, where it fails. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "test_util.h"
#include "check_main.h"
#include "os_runreg.h"
#include "proxy.h"
#include "proxy_int.h"
#include "tls_cert.h"

static char tmpdir[256];
static char compdir[512];

static void setup(void)
{
	test_scratch_mkdtemp(tmpdir, sizeof(tmpdir), "proxy");
	snprintf(compdir, sizeof(compdir), "%s/front", tmpdir);
}

static void teardown(void)
{
	if (!getenv("KEEP"))
		test_rm_rf(tmpdir);
}

static void spec_init(struct proxy_spec *s, enum scn_comp_kind kind,
		      const char *config)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->name = "front";
	s->dir = compdir;
	s->config = config;
	s->config_line = 10;
	s->http_port = proxy_free_port();
	s->https_port = -1;
	s->start_timeout_ms = 5000;
}

/* Live (not zombie) processes in group g. */
static int group_live(pid_t g)
{
	DIR *d = opendir("/proc");
	ck_assert_ptr_nonnull(d);
	int n = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		char *st = proxy_read_file(path, NULL);
		char *rp = st ? strrchr(st, ')') : NULL;
		char state;
		int ppid, pgrp;
		if (rp &&
		    sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 &&
		    pgrp == g && state != 'Z' && state != 'X')
			n++;
		free(st);
	}
	closedir(d);
	return n;
}

static bool wait_group_gone(pid_t g, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (group_live(g) == 0)
			return true;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return group_live(g) == 0;
}

/* GET path on 127.0.0.1:port; the answer (static buffer). */
static const char *http_get(int port, const char *path)
{
	static char buf[8192];
	buf[0] = '\0';
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			 "Connection: close\r\n\r\n",
			 path);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* The upstream version of Debian package pkg as dpkg knows it ("2.4.68"
 * of "2.4.68-1~deb12u1"): what the launcher must find, whichever point
 * release this machine has. */
static const char *installed_version(const char *pkg)
{
	static char v[64];
	char cmd[128];
	snprintf(cmd, sizeof(cmd),
		 "dpkg-query -W -f '${Version}' %s 2>/dev/null", pkg);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(v, 1, sizeof(v) - 1, f);
	pclose(f);
	v[n] = '\0';
	v[strcspn(v, "-~+")] = '\0';
	const char *colon = strchr(v, ':'); /* an epoch */
	ck_assert_msg(v[0] != '\0', "dpkg does not know %s", pkg);
	return colon ? colon + 1 : v;
}

static void start_ok(const struct proxy_spec *s, struct proxy *p)
{
	char err[4096];
	int rc = proxy_start(s, p, err, sizeof(err));
	ck_assert_msg(rc == PROXY_OK, "proxy_start: %d %s", rc, err);
}

/* ---- pure parts ---- */

static bool has_mod(char (*m)[PROXY_MODULE_NAME], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i], name) == 0)
			return true;
	return false;
}

static size_t mod_index(char (*m)[PROXY_MODULE_NAME], size_t n,
			const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i], name) == 0)
			return i;
	return n;
}

START_TEST(modules_ajp_only)
{
	char m[PROXY_MAX_MODULES][PROXY_MODULE_NAME];
	size_t n = proxy_apache_modules(
	    "ProxyPass /examples ajp://127.0.0.1:8009/examples\n"
	    "ProxyPassReverse /examples ajp://127.0.0.1:8009/examples\n",
	    false, NULL, m, PROXY_MAX_MODULES);
	ck_assert(has_mod(m, n, "mpm_event"));
	ck_assert(has_mod(m, n, "authz_core"));
	ck_assert(has_mod(m, n, "proxy"));
	ck_assert(has_mod(m, n, "proxy_ajp"));
	ck_assert(!has_mod(m, n, "proxy_http"));
	ck_assert(!has_mod(m, n, "proxy_wstunnel"));
	ck_assert(!has_mod(m, n, "rewrite"));
	ck_assert(!has_mod(m, n, "ssl"));
	ck_assert_uint_lt(mod_index(m, n, "proxy"),
			  mod_index(m, n, "proxy_ajp"));
}
END_TEST

START_TEST(modules_article_fix)
{
	char m[PROXY_MAX_MODULES][PROXY_MODULE_NAME];
	size_t n = proxy_apache_modules(
	    "  RewriteEngine on\n"
	    "  RewriteCond %{HTTP:Upgrade} \"(?i)websocket\"\n"
	    "  RewriteRule ^(.*)$ ws://127.0.0.1:8080$1 [P,L]\n"
	    "  RewriteRule ^/x http://elsewhere/ [R=302]\n"
	    "ProxyPass /examples ajp://127.0.0.1:8009/examples\n"
	    "  SSLProxyEngine on\n"
	    "  RequestHeader set X-Y z\n",
	    false, NULL, m, PROXY_MAX_MODULES);
	ck_assert(has_mod(m, n, "rewrite"));
	ck_assert(has_mod(m, n, "proxy_wstunnel"));
	ck_assert(has_mod(m, n, "proxy_ajp"));
	ck_assert(has_mod(m, n, "ssl"));
	ck_assert(has_mod(m, n, "socache_shmcb"));
	ck_assert(has_mod(m, n, "headers"));
	/* a redirect (no [P]) to http:// needs no proxy_http */
	ck_assert(!has_mod(m, n, "proxy_http"));
}
END_TEST

START_TEST(modules_upgrade_https_extra)
{
	const char *extra[] = {"mod_status.so", "proxy_http_module",
			       "mod_proxy_wstunnel", NULL};
	char m[PROXY_MAX_MODULES][PROXY_MODULE_NAME];
	size_t n = proxy_apache_modules(
	    "# ProxyPass /a ajp://commented/out\n"
	    "ProxyPass /x http://127.0.0.1:8080/x upgrade=websocket\n",
	    true, extra, m, PROXY_MAX_MODULES);
	ck_assert(has_mod(m, n, "proxy_http"));
	ck_assert(!has_mod(m, n, "proxy_ajp"));
	ck_assert(has_mod(m, n, "ssl"));
	ck_assert(has_mod(m, n, "status"));
	ck_assert(has_mod(m, n, "proxy_wstunnel"));
	/* no duplicates */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			ck_assert_str_ne(m[i], m[j]);
	/* no directive, no module beyond the base */
	n = proxy_apache_modules(NULL, false, NULL, m, PROXY_MAX_MODULES);
	ck_assert_uint_eq(n, 2);
	n = proxy_apache_modules("<Proxy balancer://c>\nBalancerMember "
				 "http://127.0.0.1:1\n</Proxy>\n"
				 "Alias /a /tmp\n",
				 false, NULL, m, PROXY_MAX_MODULES);
	ck_assert(has_mod(m, n, "proxy_balancer"));
	ck_assert(has_mod(m, n, "slotmem_shm"));
	ck_assert(has_mod(m, n, "alias"));
	ck_assert(has_mod(m, n, "proxy_http"));
}
END_TEST

START_TEST(parse_errors_and_versions)
{
	struct proxy_cfg_err e;
	ck_assert(proxy_apache_parse_error(
	    "AH00526: Syntax error on line 31 of /d/httpd.conf:\n"
	    "Invalid command 'ProxyPasss', perhaps misspelled\n",
	    &e));
	ck_assert_str_eq(e.file, "/d/httpd.conf");
	ck_assert_uint_eq(e.line, 31);
	ck_assert_str_eq(e.msg, "Invalid command 'ProxyPasss', perhaps "
				"misspelled");
	ck_assert(!proxy_apache_parse_error("AH00072: make_sock\n", &e));
	ck_assert(proxy_nginx_parse_error(
	    "nginx: [emerg] unknown directive \"proxy_passs\" in "
	    "/d/nginx.conf:12\n",
	    &e));
	ck_assert_str_eq(e.file, "/d/nginx.conf");
	ck_assert_uint_eq(e.line, 12);
	ck_assert_str_eq(e.msg, "unknown directive \"proxy_passs\"");
	ck_assert(proxy_haproxy_parse_error(
	    "[NOTICE]   (1) : haproxy version is 2.6.12\n"
	    "[ALERT]    (1) : config : parsing [/d/haproxy.cfg:14] : "
	    "unknown keyword 'bindd' in 'frontend' section\n",
	    &e));
	ck_assert_str_eq(e.file, "/d/haproxy.cfg");
	ck_assert_uint_eq(e.line, 14);
	ck_assert_str_eq(e.msg,
			 "unknown keyword 'bindd' in 'frontend' section");

	char v[32];
	ck_assert(proxy_parse_version(
	    SCN_APACHE, "Server version: Apache/2.4.71 (Debian)\n", v,
	    sizeof(v)));
	ck_assert_str_eq(v, "2.4.71");
	ck_assert(proxy_parse_version(SCN_NGINX, "nginx version: nginx/1.22.1",
				      v, sizeof(v)));
	ck_assert_str_eq(v, "1.22.1");
	ck_assert(proxy_parse_version(
	    SCN_HAPROXY, "HAProxy version 2.6.12-1+deb12u4 2026/10/17", v,
	    sizeof(v)));
	ck_assert_str_eq(v, "2.6.12");
	ck_assert(!proxy_parse_version(SCN_APACHE, "garbage", v, sizeof(v)));
	ck_assert_int_lt(proxy_version_cmp("2.4.46", "2.4.47"), 0);
	ck_assert_int_eq(proxy_version_cmp("2.4.47", "2.4.47"), 0);
	ck_assert_int_gt(proxy_version_cmp("2.4.71", "2.4.47"), 0);
	ck_assert_int_gt(proxy_version_cmp("2.10", "2.9.9"), 0);
	ck_assert_int_eq(proxy_version_cmp("2.4", "2.4.0"), 0);
	/* free ports below the ephemeral range (no outgoing connection can
	 * take one before the proxy binds it), and free indeed */
	int low = proxy_ephemeral_low();
	for (int i = 0; i < 20; i++) {
		int port = proxy_free_port();
		if (low - PROXY_PORT_LOW >= 1000) {
			ck_assert_int_ge(port, PROXY_PORT_LOW);
			ck_assert_int_lt(port, low);
		}
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((uint16_t)port);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		close(fd);
	}
}
END_TEST

/* ---- apache ---- */

START_TEST(crash_lines_and_exits)
{
	/* as Apache 2.4, nginx 1.22 and haproxy 2.6 write them */
	ck_assert(proxy_log_crash(
	    SCN_APACHE, "[Fri Dec 04 21:30:35.9 2026] [core:notice] [pid 5:tid "
			"5] AH00052: child pid 7 exit signal Segmentation "
			"fault (11)"));
	ck_assert(proxy_log_crash(
	    SCN_APACHE, "[core:notice] [pid 5:tid 5] AH00051: child pid 7 exit "
			"signal Aborted (6), possible coredump in /tmp/x"));
	ck_assert(!proxy_log_crash(
	    SCN_APACHE, "[mpm_event:notice] [pid 5:tid 5] AH00489: Apache/2.4 "
			"configured -- resuming normal operations"));
	ck_assert(proxy_log_crash(
	    SCN_NGINX, "2026/12/04 21:30:35 [alert] 5#5: worker "
		       "process 7 exited on signal 11 (core dumped)"));
	ck_assert(proxy_log_crash(SCN_NGINX,
				  "2026/12/04 21:30:35 [alert] 5#5: worker "
				  "process 7 exited with fatal code 2 and "
				  "cannot be respawned"));
	ck_assert(!proxy_log_crash(
	    SCN_NGINX, "2026/12/04 21:30:35 [notice] 5#5: start worker "
		       "process 7"));
	ck_assert(proxy_log_crash(SCN_HAPROXY,
				  "[ALERT]    (5) : Current worker (7) exited "
				  "with code 139 (Segmentation fault)"));
	ck_assert(!proxy_log_crash(SCN_HAPROXY, "[NOTICE]   (5) : New worker "
						"(7) forked"));

	char how[160];
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		struct rlimit no = {0, 0};
		setrlimit(RLIMIT_CORE, &no);
		raise(SIGSEGV);
		_exit(0);
	}
	struct proxy p;
	memset(&p, 0, sizeof(p));
	p.pid = pid;
	while (!proxy_exited(&p))
		usleep(1000);
	ck_assert(proxy_exited(&p)); /* stays so, without waiting again */
	proxy_describe_exit(p.exit_status, how, sizeof(how));
	ck_assert_str_eq(how, "was killed by signal 11 (Segmentation fault)");
	proxy_describe_exit(3 << 8, how, sizeof(how));
	ck_assert_str_eq(how, "exited with status 3");
	memset(&p, 0, sizeof(p));
	ck_assert(!proxy_exited(&p)); /* never started */
}
END_TEST

START_TEST(apache_start_stop)
{
	struct proxy_spec s;
	spec_init(&s, SCN_APACHE, "ProxyPass /x http://127.0.0.1:1/\n");
	struct proxy p;
	start_ok(&s, &p);
	ck_assert_str_eq(p.version, installed_version("apache2"));
	const char *r = http_get(s.http_port, "/x");
	ck_assert_msg(strncmp(r, "HTTP/1.1 503", 12) == 0, "answer: %s", r);
	pid_t g = p.pid;
	ck_assert_int_gt(group_live(g), 1);
	proxy_stop(&p);
	ck_assert_int_eq(group_live(g), 0);
	proxy_stop(&p); /* idempotent */
	ck_assert_ptr_null(p.dir);
	/* a run dir with a space in it (a $TMPDIR like that): every path
	 * Apache's config names is quoted, the mutex dir too */
	snprintf(compdir, sizeof(compdir), "%s/front with space", tmpdir);
	spec_init(&s, SCN_APACHE, "ProxyPass /x http://127.0.0.1:1/\n");
	start_ok(&s, &p);
	r = http_get(s.http_port, "/x");
	ck_assert_msg(strncmp(r, "HTTP/1.1 503", 12) == 0, "answer: %s", r);
	proxy_stop(&p);
}
END_TEST

START_TEST(apache_config_error_line)
{
	struct proxy_spec s;
	/* the block starts at scenario line 10; the typo is on line 12 */
	spec_init(&s, SCN_APACHE,
		  "ProxyPreserveHost On\n"
		  "# a comment\n"
		  "ProxyPasss /x http://127.0.0.1:1/\n");
	struct proxy p;
	char err[4096];
	int rc = proxy_start(&s, &p, err, sizeof(err));
	ck_assert_int_eq(rc, PROXY_E_CONFIG);
	ck_assert_msg(strstr(err, "front: apache2 refused its config at "
				  "scenario line 12: Invalid command "
				  "'ProxyPasss', perhaps misspelled or "
				  "defined by a module not included in the "
				  "server configuration") != NULL,
		      "%s", err);
	ck_assert_int_eq(p.pid, 0);
	proxy_stop(&p);
}
END_TEST

START_TEST(apache_bad_argument)
{
	struct proxy_spec s;
	spec_init(&s, SCN_APACHE,
		  "RewriteEngine on\nRewriteRule ^(.*)$ ws://x$1 [P,Q]\n");
	s.config_line = 40;
	struct proxy p;
	char err[4096];
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)), PROXY_E_CONFIG);
	ck_assert_msg(strstr(err, "at scenario line 41: RewriteRule: "), "%s",
		      err);
}
END_TEST

START_TEST(apache_version_gate)
{
	struct proxy_spec s;
	spec_init(&s, SCN_APACHE, NULL);
	s.min_version = "99.1";
	struct proxy p;
	char err[512];
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)),
			 PROXY_E_VERSION);
	char want[128];
	snprintf(want, sizeof(want), "front: requires Apache >= 99.1, found %s",
		 installed_version("apache2"));
	ck_assert_str_eq(err, want);
	s.min_version = "2.4.47";
	start_ok(&s, &p);
	proxy_stop(&p);
}
END_TEST

START_TEST(apache_missing_binary)
{
	struct proxy_spec s;
	spec_init(&s, SCN_APACHE, NULL);
	s.bin = "/nonexistent/apache2";
	struct proxy p;
	char err[512];
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)),
			 PROXY_E_MISSING);
	ck_assert_msg(strstr(err, "apache2 is not installed") &&
			  strstr(err, "apt-get install apache2"),
		      "%s", err);
	char v[32];
	ck_assert_int_eq(proxy_version(SCN_APACHE, "/nonexistent/apache2", v,
				       sizeof(v), err, sizeof(err)),
			 -1);
	/* a module that is not installed names it */
	const char *mods[] = {"no_such_thing", NULL};
	s.bin = NULL;
	s.modules = mods;
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)),
			 PROXY_E_MISSING);
	ck_assert_msg(strstr(err, "no_such_thing"), "%s", err);
}
END_TEST

START_TEST(apache_parent_killed)
{
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct proxy_spec s;
		spec_init(&s, SCN_APACHE, "ProxyPass /x http://127.0.0.1:1/\n");
		struct proxy p;
		char err[4096];
		int g = proxy_start(&s, &p, err, sizeof(err)) == PROXY_OK
			    ? (int)p.pid
			    : -1;
		if (write(pfd[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	int g = 0;
	ck_assert_int_eq(read(pfd[0], &g, sizeof(g)), (ssize_t)sizeof(g));
	close(pfd[0]);
	ck_assert_int_gt(g, 0);
	ck_assert_int_gt(group_live(g), 1); /* apache + its children */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_msg(wait_group_gone(g, 2000), "%d processes of group %d left",
		      group_live(g), g);
}
END_TEST

START_TEST(apache_include_mapped)
{
	char inc[400];
	snprintf(inc, sizeof(inc), "%s/vhost.conf", tmpdir);
	FILE *f = fopen(inc, "w");
	ck_assert_ptr_nonnull(f);
	fputs("Listen 80\n"
	      "<VirtualHost *:80>\n"
	      "  ProxyPass /examples ajp://backend:8009/examples\n"
	      "  ProxyPasss /typo ajp://backend:8009/x\n"
	      "</VirtualHost>\n",
	      f);
	fclose(f);
	struct proxy_spec s;
	spec_init(&s, SCN_APACHE, NULL);
	const char *from[] = {"backend:8009"}, *to[] = {"127.0.0.1:1"};
	s.include = inc;
	s.map_from = from;
	s.map_to = to;
	s.nmaps = 1;
	struct proxy p;
	char err[4096];
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)), PROXY_E_CONFIG);
	char want[600];
	snprintf(want, sizeof(want),
		 "refused its config at %s line 4: Invalid command", inc);
	ck_assert_msg(strstr(err, want), "%s", err);
	/* without the typo: the vhost serves on our port, mapped */
	f = fopen(inc, "w");
	fputs("Listen 80\n"
	      "<VirtualHost *:80>\n"
	      "  ProxyPass /examples ajp://backend:8009/examples\n"
	      "</VirtualHost>\n",
	      f);
	fclose(f);
	start_ok(&s, &p);
	const char *r = http_get(s.http_port, "/examples/x");
	ck_assert_msg(strncmp(r, "HTTP/1.1 503", 12) == 0, "answer: %s", r);
	char *log = proxy_error_log(&p);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(strstr(log, "127.0.0.1:1") != NULL, "%s", log);
	free(log);
	proxy_stop(&p);
}
END_TEST

START_TEST(reap_stale_dirs)
{
	/* a run recorded in a private state dir, then "SIGKILLed" with all
	 * its guards failed: a forked child makes the record and the run
	 * dir, starts apache, disarms its watchdog and lets go of its
	 * record (what its death does) but lives on, so that no PDEATHSIG
	 * takes the proxy down */
	char state[400], run[400], live[400];
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	char err[512], path[PATH_MAX];
	int sfd =
	    os_state_dir(state, NULL, path, sizeof(path), err, sizeof(err));
	ck_assert_msg(sfd >= 0, "%s", err);
	snprintf(run, sizeof(run), "%s/wssim-run-dead", tmpdir);
	snprintf(live, sizeof(live), "%s/wssim-run-live", tmpdir);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_eq(mkdir(live, 0755), 0);
	snprintf(compdir, sizeof(compdir), "%s/front", run);
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t owner = fork();
	if (owner == 0) {
		struct os_runreg reg;
		if (os_runreg_open(&reg, sfd, err, sizeof(err)) != 0 ||
		    os_runreg_dir(&reg, run) != 0)
			_exit(1);
		struct proxy_spec s;
		spec_init(&s, SCN_APACHE, NULL);
		s.reg = &reg;
		struct proxy p;
		if (proxy_start(&s, &p, err, sizeof(err)) != PROXY_OK)
			_exit(2);
		kill(p.watchdog, SIGKILL);
		waitpid(p.watchdog, NULL, 0);
		close(p.watchdog_fd);
		close(reg.fd);
		ssize_t w = write(ready[1], &p.pid, sizeof(p.pid));
		(void)w;
		pause();
		_exit(0);
	}
	close(ready[1]);
	pid_t g = 0;
	ck_assert_int_eq(read(ready[0], &g, sizeof(g)), (ssize_t)sizeof(g));
	close(ready[0]);
	ck_assert_int_gt(group_live(g), 0);

	/* a live run (this process) is left alone */
	struct os_runreg mine;
	ck_assert_int_eq(os_runreg_open(&mine, sfd, err, sizeof(err)), 0);
	ck_assert_int_eq(os_runreg_dir(&mine, live), 0);

	struct os_reap_stats st;
	ck_assert_int_eq(os_runreg_reap(sfd, &st), 1);
	ck_assert_uint_eq(st.dirs, 1);
	ck_assert_uint_ge(st.killed, 1);
	ck_assert(wait_group_gone(g, 2000));
	struct stat sb;
	ck_assert_int_ne(stat(run, &sb), 0);
	ck_assert_int_eq(stat(live, &sb), 0);
	ck_assert_int_eq(os_runreg_reap(sfd, NULL), 0);
	os_runreg_drop(&mine);
	close(sfd);
	kill(owner, SIGKILL);
	waitpid(owner, NULL, 0);
}
END_TEST

/* ---- nginx, haproxy ---- */

START_TEST(nginx_start_and_error)
{
	struct proxy_spec s;
	spec_init(&s, SCN_NGINX, "location / {\n  return 200 \"ok\\n\";\n}\n");
	struct proxy p;
	start_ok(&s, &p);
	ck_assert_str_eq(p.version, installed_version("nginx"));
	const char *r = http_get(s.http_port, "/");
	ck_assert_msg(strncmp(r, "HTTP/1.1 200", 12) == 0, "answer: %s", r);
	pid_t g = p.pid;
	proxy_stop(&p);
	ck_assert_int_eq(group_live(g), 0);

	spec_init(&s, SCN_NGINX,
		  "location / {\n  proxy_passs http://127.0.0.1:1;\n}\n");
	char err[4096];
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)), PROXY_E_CONFIG);
	ck_assert_msg(strstr(err, "front: nginx refused its config at "
				  "scenario line 11: unknown directive "
				  "\"proxy_passs\""),
		      "%s", err);
}
END_TEST

START_TEST(haproxy_start_and_error)
{
	struct proxy_spec s;
	spec_init(&s, SCN_HAPROXY,
		  "  default_backend be\nbackend be\n"
		  "  http-request return status 200 content-type text/plain "
		  "string ok\n");
	struct proxy p;
	start_ok(&s, &p);
	ck_assert_str_eq(p.version, installed_version("haproxy"));
	const char *r = http_get(s.http_port, "/");
	ck_assert_msg(strncmp(r, "HTTP/1.1 200", 12) == 0, "answer: %s", r);
	pid_t g = p.pid;
	proxy_stop(&p);
	ck_assert_int_eq(group_live(g), 0);

	spec_init(&s, SCN_HAPROXY,
		  "  default_backend be\nbackend be\n"
		  "  serverr mock 127.0.0.1:1\n");
	char err[4096];
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)), PROXY_E_CONFIG);
	ck_assert_msg(strstr(err, "front: haproxy refused its config at "
				  "scenario line 12: unknown keyword "
				  "'serverr'"),
		      "%s", err);
}
END_TEST

/* ---- https listeners ---- */

static char cert_path[600], key_path[600];

static void make_cert(void)
{
	EVP_PKEY *key;
	X509 *cert;
	const char *names[] = {"127.0.0.1", "localhost", NULL};
	ck_assert_int_eq(
	    tls_cert_issue(NULL, names, TLS_CERT_SELF_SIGNED, &key, &cert), 0);
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", tmpdir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", tmpdir);
	ck_assert_int_eq(tls_write_cert_pem(cert_path, cert), 0);
	ck_assert_int_eq(tls_write_key_pem(key_path, key), 0);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* GET path over TLS (no verification: the listener is what is tested);
 * the status line's code. */
static int https_status(int port, const char *path)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(ctx);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	ck_assert_int_eq(SSL_connect(ssl), 1);
	char req[256];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			 "Connection: close\r\n\r\n",
			 path);
	ck_assert_int_eq(SSL_write(ssl, req, n), n);
	char buf[64] = "";
	int r = SSL_read(ssl, buf, sizeof(buf) - 1);
	ck_assert_int_gt(r, 12);
	buf[r] = '\0';
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 ", 9) == 0, "%s", buf);
	return atoi(buf + 9);
}

START_TEST(https_listeners)
{
	make_cert();
	struct {
		enum scn_comp_kind kind;
		const char *config;
		int status;
	} cases[] = {
	    {SCN_APACHE, "ProxyPass /x http://127.0.0.1:1/\n", 503},
	    {SCN_NGINX, "location / { return 204; }\n", 204},
	    {SCN_HAPROXY,
	     "default_backend be\nbackend be\n"
	     "  http-request return status 200\n",
	     200},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char v[32], err[4096];
		if (proxy_version(cases[i].kind, NULL, v, sizeof(v), err,
				  sizeof(err)) != 0) {
			const char *ci = getenv("CI");
			ck_assert_msg(!ci || strcmp(ci, "true") != 0, "%s",
				      err);
			continue; /* covered by that kind's own TCase */
		}
		snprintf(compdir, sizeof(compdir), "%s/front%zu", tmpdir, i);
		struct proxy_spec s;
		spec_init(&s, cases[i].kind, cases[i].config);
		s.https_port = proxy_free_port();
		s.cert_file = cert_path;
		s.key_file = key_path;
		s.ca_file = cert_path;
		struct proxy p;
		start_ok(&s, &p);
		ck_assert_int_eq(https_status(s.https_port, "/x"),
				 cases[i].status);
		const char *r = http_get(s.http_port, "/x");
		ck_assert_int_eq(atoi(r + 9), cases[i].status);
		proxy_stop(&p);
	}
	/* a typo in the block maps to the same line from either vhost */
	snprintf(compdir, sizeof(compdir), "%s/bad", tmpdir);
	struct proxy_spec s;
	spec_init(&s, SCN_APACHE, "SSLProxyEngine on\nProxyPasss /x\n");
	s.https_port = proxy_free_port();
	s.cert_file = cert_path;
	s.key_file = key_path;
	struct proxy p;
	char err[4096];
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)), PROXY_E_CONFIG);
	ck_assert_msg(strstr(err, "at scenario line 11: Invalid command"), "%s",
		      err);
	/* an https listener without a certificate is refused up front */
	s.cert_file = NULL;
	ck_assert_int_eq(proxy_start(&s, &p, err, sizeof(err)), PROXY_E_CONFIG);
}
END_TEST

/* ---- values that could start a directive of their own ---- */

/* Every value a generator prints, with a newline, a quote, a backslash, a
 * CR or DEL in it, for each proxy: refused (PROXY_E_CONFIG or
 * PROXY_E_START), saying so, and no config written. The parser refuses
 * the scenario's; these come from elsewhere: a run dir under a $TMPDIR
 * holding a newline, a spec built by hand. */
START_TEST(generators_refuse_injection)
{
	static const enum scn_comp_kind kinds[] = {SCN_APACHE, SCN_NGINX,
						   SCN_HAPROXY};
	static const char *const bad[] = {
	    "\nErrorLog \"|id\"", "x\"y", "x\\", "x\ry", "x\x7f", "x\ty"};
	char inc[600], dirbad[700];
	snprintf(inc, sizeof(inc), "%s/vhost.conf", tmpdir);
	FILE *f = fopen(inc, "w");
	ck_assert_ptr_nonnull(f);
	fputs("ProxyPass / http://backend:8080/\n", f);
	fclose(f);
	for (size_t k = 0; k < 3; k++) {
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			for (int field = 0; field < 9; field++) {
				char val[700];
				struct proxy_spec s;
				spec_init(&s, kinds[k], "# block\n");
				const char *from[] = {"backend:8080"},
					   *to[] = {"127.0.0.1:1"};
				const char *mods[] = {NULL, NULL};
				s.https_port = 10443;
				s.cert_file = "/nonexistent/c.pem";
				s.key_file = "/nonexistent/k.pem";
				s.ca_file = "/nonexistent/ca.pem";
				switch (field) {
				case 0:
					s.name = bad[b];
					break;
				case 1:
					snprintf(dirbad, sizeof(dirbad), "%s%s",
						 compdir, bad[b]);
					s.dir = dirbad;
					break;
				case 2:
					snprintf(val, sizeof(val), "%s%s", inc,
						 bad[b]);
					s.include = val;
					s.config = NULL;
					break;
				case 3:
					s.cert_file = bad[b];
					break;
				case 4:
					s.key_file = bad[b];
					break;
				case 5:
					s.ca_file = bad[b];
					break;
				case 6:
					mods[0] = bad[b];
					s.modules = mods;
					break;
				case 7:
				case 8:
					s.include = inc;
					s.config = NULL;
					(field == 7 ? from : to)[0] = bad[b];
					s.map_from = from;
					s.map_to = to;
					s.nmaps = 1;
					break;
				}
				struct proxy_gen g;
				memset(&g, 0, sizeof(g));
				char err[1024] = "";
				int rc = kinds[k] == SCN_APACHE
					     ? proxy_apache_generate(
						   &s, &g, err, sizeof(err))
					 : kinds[k] == SCN_NGINX
					     ? proxy_nginx_generate(&s, &g, err,
								    sizeof(err))
					     : proxy_haproxy_generate(
						   &s, &g, err, sizeof(err));
				ck_assert_msg(rc == PROXY_E_CONFIG ||
						  rc == PROXY_E_START,
					      "kind %zu field %d value %zu: %d",
					      k, field, b, rc);
				ck_assert_msg(strstr(err, "refusing to "
							  "generate its "
							  "config"),
					      "kind %zu field %d: %s", k, field,
					      err);
				char conf[800];
				snprintf(conf, sizeof(conf), "%s/%s", compdir,
					 kinds[k] == SCN_APACHE ? "httpd.conf"
					 : kinds[k] == SCN_NGINX
					     ? "nginx.conf"
					     : "haproxy.cfg");
				ck_assert_int_ne(access(conf, F_OK), 0);
			}
		}
	}
	/* a control character in the block other than tab, CR, LF too */
	struct proxy_spec s;
	spec_init(&s, SCN_NGINX, "location / {}\n\x01\n");
	struct proxy_gen g;
	char err[512];
	ck_assert_int_eq(proxy_nginx_generate(&s, &g, err, sizeof(err)),
			 PROXY_E_CONFIG);
	ck_assert_msg(strstr(err, "the config block holds a control "
				  "character 0x01"),
		      "%s", err);
	/* a module name must be a name */
	const char *mods[] = {"proxy_http", "headers x", NULL};
	spec_init(&s, SCN_APACHE, "ProxyPass / http://127.0.0.1:1/\n");
	s.modules = mods;
	ck_assert_int_eq(proxy_apache_generate(&s, &g, err, sizeof(err)),
			 PROXY_E_CONFIG);
	ck_assert_msg(strstr(err, "module name 'headers x' is not a name"),
		      "%s", err);
}
END_TEST

/* haproxy's listener.pem holds the private key: created 0600, like
 * every other key file (also over an older, wider one). */
START_TEST(haproxy_pem_private)
{
	make_cert();
	ck_assert_int_eq(mkdir(compdir, 0755), 0);
	char pem[700];
	snprintf(pem, sizeof(pem), "%s/listener.pem", compdir);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) { /* an older one, world-readable */
			FILE *f = fopen(pem, "w");
			ck_assert_ptr_nonnull(f);
			fputs("old\n", f);
			fclose(f);
			ck_assert_int_eq(chmod(pem, 0644), 0);
		}
		struct proxy_spec s;
		spec_init(&s, SCN_HAPROXY, "default_backend be\nbackend be\n");
		s.https_port = 10443;
		s.cert_file = cert_path;
		s.key_file = key_path;
		struct proxy_gen g;
		char err[1024];
		ck_assert_msg(proxy_haproxy_generate(&s, &g, err,
						     sizeof(err)) == PROXY_OK,
			      "%s", err);
		struct stat st;
		ck_assert_int_eq(stat(pem, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 0600);
		char *text = proxy_read_file(pem, NULL);
		ck_assert_ptr_nonnull(text);
		ck_assert_ptr_nonnull(strstr(text, "PRIVATE KEY"));
		free(text);
	}
}
END_TEST

/* Can a TCase that needs `kind` run? When the binary is missing: exit
 * 77 with the reason if ctest runs just this case, else leave it out;
 * under CI=true keep it, so that it fails. */
static bool runnable(const char *name, enum scn_comp_kind kind)
{
	char v[32], err[512];
	const char *ci = getenv("CI");
	const char *only = getenv("CK_RUN_CASE");
	if (proxy_version(kind, NULL, v, sizeof(v), err, sizeof(err)) == 0 ||
	    (ci && strcmp(ci, "true") == 0))
		return true;
	fprintf(stderr, "skip %s: %s\n", name, err);
	if (only && strcmp(only, name) == 0)
		exit(77);
	return false;
}

static void fill(Suite *s, TCase *tc, const TTest *const *tests)
{
	test_scratch_fixture(tc);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	for (size_t i = 0; tests[i]; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
}

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	const TTest *pure[] = {modules_ajp_only,
			       modules_article_fix,
			       modules_upgrade_https_extra,
			       parse_errors_and_versions,
			       crash_lines_and_exits,
			       generators_refuse_injection,
			       haproxy_pem_private,
			       NULL};
	const TTest *apache[] = {apache_start_stop, apache_version_gate,
				 apache_include_mapped, NULL};
	const TTest *apache_errors[] = {apache_config_error_line,
					apache_bad_argument,
					apache_missing_binary, NULL};
	const TTest *apache_lifetime[] = {apache_parent_killed, reap_stale_dirs,
					  NULL};
	const TTest *nginx[] = {nginx_start_and_error, NULL};
	const TTest *haproxy[] = {haproxy_start_and_error, NULL};
	const TTest *https[] = {https_listeners, NULL};
	fill(s, tcase_create("pure"), pure);
	if (runnable("apache", SCN_APACHE))
		fill(s, tcase_create("apache"), apache);
	if (runnable("apache_errors", SCN_APACHE))
		fill(s, tcase_create("apache_errors"), apache_errors);
	if (runnable("apache_lifetime", SCN_APACHE))
		fill(s, tcase_create("apache_lifetime"), apache_lifetime);
	if (runnable("nginx", SCN_NGINX))
		fill(s, tcase_create("nginx"), nginx);
	if (runnable("haproxy", SCN_HAPROXY))
		fill(s, tcase_create("haproxy"), haproxy);
	if (runnable("https", SCN_APACHE))
		fill(s, tcase_create("https"), https);
	return s;
}

WSSIM_CHECK_MAIN(proxy_suite)
