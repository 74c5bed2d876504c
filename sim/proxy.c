/* The proxy under test as a child process: find the binary and its
 * version, write its config (proxy_apache.c, proxy_nginx.c,
 * proxy_haproxy.c), start it in a process group of its own, wait until
 * each port accepts, read its refusal when it exits instead, and stop the
 * whole group on every path.
 *
 * Three guards make sure no proxy outlives wssim:
 * - the proxy's main process gets PR_SET_PDEATHSIG(SIGKILL) (note: Linux
 *   sends it when the *thread* that forked exits, so start proxies from a
 *   thread that lives as long as the run);
 * - Apache's (and nginx's) worker children do NOT exit when their parent
 *   is SIGKILLed (measured: Apache 2.4.71 event MPM children kept running
 *   for good, reparented to init), so a tiny watchdog process joins the
 *   proxy's group and blocks on a pipe whose only writer is wssim: when
 *   wssim dies by any means the pipe hits EOF and the watchdog SIGKILLs
 *   the group (itself included);
 * - the run's record (spec->reg, os_runreg.h) names the proxy's pid and
 *   start time, so a later run's reaper finishes the job for a run that
 *   was SIGKILLed.
 * Messages go to the caller's err buffer; this module prints nothing. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os_file.h"
#include "os_proc.h"
#include "proxy_int.h"

#define PROXY_DEFAULT_START_MS 5000
#define PROXY_STOP_GRACE_MS 500
#define PROXY_LOG_TAIL 1500
/* logs and generated files read back whole */
#define PROXY_READ_MAX (64u << 20)

static char *const clean_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C",
    NULL,
};

struct kind_info {
	const char *prog;    /* binary name */
	const char *product; /* for version messages */
	const char *vprefix; /* what precedes the version in `-v` */
};

static const struct kind_info *kind_info(enum scn_comp_kind kind)
{
	static const struct kind_info apache = {"apache2", "Apache", "Apache/"};
	static const struct kind_info nginx = {"nginx", "nginx", "nginx/"};
	static const struct kind_info haproxy = {"haproxy", "HAProxy",
						 "version "};
	switch (kind) {
	case SCN_APACHE:
		return &apache;
	case SCN_NGINX:
		return &nginx;
	case SCN_HAPROXY:
		return &haproxy;
	default:
		return NULL;
	}
}

/* ---- small helpers shared with the config writers ---- */

void proxy_buf_printf(struct proxy_buf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	va_list ap;
	va_start(ap, fmt);
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (n >= 0 && b->len + (size_t)n + 1 > cap)
			cap *= 2;
		char *s = n < 0 ? NULL : realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			va_end(ap2);
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	for (int i = 0; i < n; i++)
		if (b->s[b->len + (size_t)i] == '\n')
			b->lines++;
	b->len += (size_t)n;
}

void proxy_buf_block(struct proxy_buf *b, const char *text)
{
	size_t n = strlen(text);
	proxy_buf_printf(b, "%s%s", text, n && text[n - 1] == '\n' ? "" : "\n");
}

void proxy_buf_free(struct proxy_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

char *proxy_read_file(const char *path, size_t *len)
{
	char *s = NULL, err[PATH_MAX + 64];
	if (os_read_file(path, PROXY_READ_MAX, &s, len, err, sizeof(err)) != 0)
		return NULL;
	return s;
}

int proxy_buf_write(struct proxy_buf *b, const char *path, char *err,
		    size_t errlen)
{
	int rc = -1;
	if (b->oom)
		snprintf(err, errlen, "out of memory");
	else
		rc = proxy_write_file(path, b->s, b->len, err, errlen);
	proxy_buf_free(b);
	return rc == 0 ? PROXY_OK : PROXY_E_START;
}

/* One writer for the files a proxy reads: created with its mode, never
 * widened before it is narrowed; an older file of that name goes first
 * (O_EXCL | O_NOFOLLOW then refuse a file or link that appears in
 * between). */
static int write_mode(const char *path, const char *data, size_t len,
		      mode_t mode, char *err, size_t errlen)
{
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot replace %s: %s", path,
			 strerror(errno));
		return -1;
	}
	int fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(errno));
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "cannot write %s: %s", path,
				 w < 0 ? strerror(errno) : "short write");
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int proxy_write_file(const char *path, const char *data, size_t len, char *err,
		     size_t errlen)
{
	return write_mode(path, data, len, 0644, err, errlen);
}

int proxy_write_private_file(const char *path, const char *data, size_t len,
			     char *err, size_t errlen)
{
	return write_mode(path, data, len, 0600, err, errlen);
}

char *proxy_include_copy(const struct proxy_spec *spec, const char *dst,
			 char *err, size_t errlen)
{
	const char *name = spec->name ? spec->name : "proxy";
	char *text = NULL, why[PATH_MAX + 128];
	if (os_read_file(spec->include, OS_MAX_TEXT_FILE, &text, NULL, why,
			 sizeof(why)) != 0) {
		snprintf(err, errlen, "%s%s%s: include %s",
			 spec->include_at ? spec->include_at : "",
			 spec->include_at ? ": " : "", name, why);
		return NULL;
	}
	for (size_t m = 0; m < spec->nmaps; m++) {
		const char *from = spec->map_from[m], *to = spec->map_to[m];
		size_t fl = strlen(from), tl = strlen(to);
		if (!fl)
			continue;
		struct proxy_buf b = {0};
		const char *s = text;
		for (const char *hit; (hit = strstr(s, from)); s = hit + fl)
			proxy_buf_printf(&b, "%.*s%.*s", (int)(hit - s), s,
					 (int)tl, to);
		proxy_buf_printf(&b, "%s", s);
		free(text);
		if (b.oom || !b.s) {
			proxy_buf_free(&b);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		text = b.s;
	}
	if (proxy_write_file(dst, text, strlen(text), err, errlen) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

bool proxy_is_root(void)
{
	return geteuid() == 0;
}

const char *proxy_worker_user(void)
{
	return getpwnam("www-data") ? "www-data" : "nobody";
}

bool proxy_parse_version(enum scn_comp_kind kind, const char *out, char *ver,
			 size_t verlen)
{
	const struct kind_info *ki = kind_info(kind);
	const char *p = ki && out ? strstr(out, ki->vprefix) : NULL;
	if (!p || !verlen)
		return false;
	p += strlen(ki->vprefix);
	size_t n = 0;
	while (isdigit((unsigned char)p[n]) || p[n] == '.')
		n++;
	while (n && p[n - 1] == '.')
		n--;
	if (!n || n >= verlen)
		return false;
	memcpy(ver, p, n);
	ver[n] = '\0';
	return true;
}

int proxy_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
		if (ea == a && eb == b && !*a && !*b)
			break;
		if (!*ea && !*eb)
			break;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The binary to run: `bin` if given, else prog on PATH, then /usr/sbin. */
static bool find_bin(enum scn_comp_kind kind, const char *bin, char *out,
		     size_t outlen)
{
	const struct kind_info *ki = kind_info(kind);
	if (bin) {
		snprintf(out, outlen, "%s", bin);
		return access(bin, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/usr/local/sbin",
		 path ? path : "");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		if (!*d)
			continue;
		snprintf(out, outlen, "%s/%s", d, ki->prog);
		if (access(out, X_OK) == 0)
			return true;
	}
	snprintf(out, outlen, "%s", ki->prog);
	return false;
}

static void missing_msg(enum scn_comp_kind kind, const char *bin,
			const char *name, char *err, size_t errlen)
{
	const char *prog = kind_info(kind)->prog;
	if (bin)
		snprintf(err, errlen,
			 "%s%s%s is not installed at %s (apt-get install %s, "
			 "or scripts/setup.sh)",
			 name ? name : "", name ? ": " : "", prog, bin, prog);
	else
		snprintf(err, errlen,
			 "%s%s%s is not installed (apt-get install %s, or "
			 "scripts/setup.sh)",
			 name ? name : "", name ? ": " : "", prog, prog);
}

/* In a freshly forked child: default signals, close everything but
 * 0-2 and `keep`. */
static void child_reset(int keep)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	if (keep > 3)
		close_range(3, (unsigned)keep - 1, 0);
	close_range((unsigned)(keep >= 3 ? keep + 1 : 3), ~0U, 0);
}

/* Fork and exec argv[0] in a process group of its own (pgid 0: new) with
 * stdout/stderr on out_fd/err_fd. Returns the pid, or -1 with errno set
 * (the exec's errno when the exec failed; the child is reaped). */
static pid_t spawn(char *const argv[], int out_fd, int err_fd, bool group)
{
	int st[2];
	if (pipe2(st, O_CLOEXEC) != 0)
		return -1;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(st[0]);
		close(st[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		if (group)
			setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0 && in != 0) {
			dup2(in, 0);
			close(in);
		}
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		child_reset(st[1]);
		execve(argv[0], argv, clean_env);
		int e = errno;
		ssize_t w = write(st[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	if (group)
		setpgid(pid, pid); /* no race with the child's own call */
	close(st[1]);
	int e = 0;
	ssize_t r;
	while ((r = read(st[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(st[0]);
	if (r == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return -1;
	}
	return pid;
}

/* The watchdog: joins group `pgid`, blocks on a pipe whose write end only
 * wssim holds, and SIGKILLs the group when wssim goes away. Returns its
 * pid (and the write end in *fd), or -1. */
static pid_t spawn_watchdog(pid_t pgid, int *fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid_t w = fork();
	if (w < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (w == 0) {
		setpgid(0, pgid);
		close(p[1]);
		child_reset(p[0]);
		char c;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		kill(-pgid, SIGKILL);
		_exit(0);
	}
	setpgid(w, pgid);
	close(p[0]);
	*fd = p[1];
	return w;
}

/* `apache2 -v` takes ~20 ms here: remember each binary's version (keyed
 * by path, size and mtime, so a rebuilt binary is asked again). */
struct version_memo {
	char path[PATH_MAX];
	off_t size;
	struct timespec mtime;
	char version[32];
};
static struct version_memo memo[8];
static size_t memo_next;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

static bool memo_get(const char *path, char *out, size_t outlen)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	bool hit = false;
	pthread_mutex_lock(&memo_lock);
	for (size_t i = 0; i < sizeof(memo) / sizeof(memo[0]) && !hit; i++)
		if (strcmp(memo[i].path, path) == 0 &&
		    memo[i].size == st.st_size &&
		    memo[i].mtime.tv_sec == st.st_mtim.tv_sec &&
		    memo[i].mtime.tv_nsec == st.st_mtim.tv_nsec) {
			snprintf(out, outlen, "%s", memo[i].version);
			hit = true;
		}
	pthread_mutex_unlock(&memo_lock);
	return hit;
}

static void memo_put(const char *path, const char *version)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	pthread_mutex_lock(&memo_lock);
	struct version_memo *m =
	    &memo[memo_next++ % (sizeof(memo) / sizeof(memo[0]))];
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->size = st.st_size;
	m->mtime = st.st_mtim;
	snprintf(m->version, sizeof(m->version), "%s", version);
	pthread_mutex_unlock(&memo_lock);
}

static int run_version(enum scn_comp_kind kind, const char *path, char *out,
		       size_t outlen, char *err, size_t errlen);

int proxy_version(enum scn_comp_kind kind, const char *bin, char *out,
		  size_t outlen, char *err, size_t errlen)
{
	const struct kind_info *ki = kind_info(kind);
	if (!ki) {
		snprintf(err, errlen, "not a proxy kind");
		return -1;
	}
	char path[PATH_MAX];
	if (!find_bin(kind, bin, path, sizeof(path))) {
		missing_msg(kind, bin, NULL, err, errlen);
		return -1;
	}
	if (memo_get(path, out, outlen))
		return 0;
	if (run_version(kind, path, out, outlen, err, errlen) != 0)
		return -1;
	memo_put(path, out);
	return 0;
}

/* Run `path -v` (bounded to 3 s) and read the version it prints. */
static int run_version(enum scn_comp_kind kind, const char *path, char *out,
		       size_t outlen, char *err, size_t errlen)
{
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	char pathc[PATH_MAX];
	snprintf(pathc, sizeof(pathc), "%s", path);
	char *argv[] = {pathc, "-v", NULL};
	pid_t pid = spawn(argv, pp[1], pp[1], false);
	int e = errno;
	close(pp[1]);
	if (pid < 0) {
		close(pp[0]);
		snprintf(err, errlen, "cannot run %s: %s", path, strerror(e));
		return -1;
	}
	char buf[2048];
	size_t n = 0;
	long long deadline = now_ms() + 3000;
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd pfd = {pp[0], POLLIN, 0};
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			break;
		ssize_t r = read(pp[0], buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof(buf) - 1)
			break;
	}
	buf[n] = '\0';
	close(pp[0]);
	kill(pid, SIGKILL); /* harmless if it already exited */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (!proxy_parse_version(kind, buf, out, outlen)) {
		snprintf(err, errlen,
			 "cannot read the version of %s from: %.200s", path,
			 buf);
		return -1;
	}
	return 0;
}

/* Does a live (not zombie) process belong to group g? */
static bool group_alive(pid_t g)
{
	if (kill(-g, 0) != 0)
		return false;
	DIR *d = opendir("/proc");
	if (!d)
		return true;
	bool alive = false;
	for (struct dirent *de; !alive && (de = readdir(d));) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid_t pgrp;
		unsigned long long start;
		alive = os_proc_start((pid_t)strtol(de->d_name, NULL, 10),
				      &start, &pgrp) == 0 &&
			pgrp == g;
	}
	closedir(d);
	return alive;
}

/* Stop group `g` led by our child `pid` (and the watchdog `w`). */
static void stop_group(pid_t pid, pid_t w, int wfd)
{
	kill(-pid, SIGTERM);
	long long deadline = now_ms() + PROXY_STOP_GRACE_MS;
	bool reaped = false;
	while (!reaped && now_ms() < deadline) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			reaped = true;
		else
			sleep_ms(1);
	}
	kill(-pid, SIGKILL);
	if (!reaped)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (w > 0) {
		kill(w, SIGKILL);
		while (waitpid(w, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (wfd >= 0)
		close(wfd);
	/* children reparented to init: wait until they are gone */
	for (int i = 0; i < 500 && group_alive(pid); i++) {
		kill(-pid, SIGKILL);
		sleep_ms(1);
	}
}

static char *file_tail(const char *path, size_t max)
{
	size_t n = 0;
	char *s = proxy_read_file(path, &n);
	if (!s || n <= max)
		return s;
	const char *t = s + n - max;
	const char *nl = strchr(t, '\n');
	if (nl && nl[1])
		t = nl + 1;
	char *r = strdup(t);
	free(s);
	return r;
}

/* stderr then the error log, trimmed, for messages */
static void log_tail(const struct proxy_spec *spec, const struct proxy_gen *g,
		     char *out, size_t outlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/stderr.log", spec->dir);
	char *a = file_tail(path, PROXY_LOG_TAIL);
	char *b = strcmp(path, g->error_log) == 0
		      ? NULL
		      : file_tail(g->error_log, PROXY_LOG_TAIL);
	snprintf(out, outlen, "%s%s%s", a ? a : "", a && *a && b ? "\n" : "",
		 b ? b : "");
	size_t n = strlen(out);
	while (n && isspace((unsigned char)out[n - 1]))
		out[--n] = '\0';
	if (!n)
		snprintf(out, outlen, "(its log is empty)");
	free(a);
	free(b);
}

/* A config refusal mapped back to the scenario (or include file) line. */
static bool config_refusal(const struct proxy_spec *spec,
			   const struct proxy_gen *g, const char *prog,
			   char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/stderr.log", spec->dir);
	char *out = proxy_read_file(path, NULL);
	char *log = proxy_read_file(g->error_log, NULL);
	struct proxy_cfg_err e;
	bool found = false;
	for (int i = 0; i < 2 && !found; i++) {
		const char *text = i == 0 ? out : log;
		if (!text)
			continue;
		switch (spec->kind) {
		case SCN_APACHE:
			found = proxy_apache_parse_error(text, &e);
			break;
		case SCN_NGINX:
			found = proxy_nginx_parse_error(text, &e);
			break;
		case SCN_HAPROXY:
			found = proxy_haproxy_parse_error(text, &e);
			break;
		default:
			break;
		}
	}
	free(out);
	free(log);
	if (!found)
		return false;
	const char *name = spec->name ? spec->name : prog;
	bool mapped = false;
	if (strcmp(e.file, g->block_file) == 0)
		for (size_t i = 0; i < g->nblocks; i++)
			if (e.line >= g->block_first[i] &&
			    e.line < g->block_first[i] + g->block_lines) {
				unsigned l = g->origin_line +
					     (e.line - g->block_first[i]);
				if (g->origin)
					snprintf(err, errlen,
						 "%s: %s refused its config at "
						 "%s line %u: %s",
						 name, prog, g->origin, l,
						 e.msg);
				else
					snprintf(err, errlen,
						 "%s: %s refused its config at "
						 "scenario line %u: %s",
						 name, prog, l, e.msg);
				mapped = true;
				break;
			}
	if (!mapped)
		snprintf(err, errlen,
			 "%s: %s refused its generated config (%s line %u): %s",
			 name, prog, e.file, e.line, e.msg);
	return true;
}

static bool port_answers(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static bool file_nonempty(const char *path)
{
	struct stat st;
	return !*path || (stat(path, &st) == 0 && st.st_size > 0);
}

int proxy_start(const struct proxy_spec *spec, struct proxy *p, char *err,
		size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->watchdog_fd = -1;
	const struct kind_info *ki = kind_info(spec->kind);
	if (!ki) {
		snprintf(err, errlen, "%s: not a proxy that wssim starts",
			 spec->name ? spec->name : "proxy");
		return PROXY_E_START;
	}
	const char *name = spec->name ? spec->name : ki->prog;
	char bin[PATH_MAX];
	if (!find_bin(spec->kind, spec->bin, bin, sizeof(bin))) {
		missing_msg(spec->kind, spec->bin, name, err, errlen);
		return PROXY_E_MISSING;
	}
	char verr[512];
	if (proxy_version(spec->kind, bin, p->version, sizeof(p->version), verr,
			  sizeof(verr)) != 0) {
		snprintf(err, errlen, "%s: %s", name, verr);
		return PROXY_E_START;
	}
	if (spec->min_version &&
	    proxy_version_cmp(p->version, spec->min_version) < 0) {
		snprintf(err, errlen, "%s: requires %s >= %s, found %s", name,
			 ki->product, spec->min_version, p->version);
		return PROXY_E_VERSION;
	}
	if (mkdir(spec->dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create %s: %s", name,
			 spec->dir, strerror(errno));
		return PROXY_E_START;
	}
	chmod(spec->dir, 0755); /* workers (www-data) read in it */

	struct proxy_gen g;
	memset(&g, 0, sizeof(g));
	int rc;
	switch (spec->kind) {
	case SCN_APACHE:
		rc = proxy_apache_generate(spec, &g, err, errlen);
		break;
	case SCN_NGINX:
		rc = proxy_nginx_generate(spec, &g, err, errlen);
		break;
	default:
		rc = proxy_haproxy_generate(spec, &g, err, errlen);
		break;
	}
	if (rc != PROXY_OK)
		return rc;

	char outp[PATH_MAX], errp[PATH_MAX], prefix[PATH_MAX];
	snprintf(outp, sizeof(outp), "%s/stdout.log", spec->dir);
	snprintf(errp, sizeof(errp), "%s/stderr.log", spec->dir);
	snprintf(prefix, sizeof(prefix), "%s/", spec->dir);
	int ofd = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int efd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ofd < 0 || efd < 0) {
		snprintf(err, errlen, "%s: cannot create its logs in %s: %s",
			 name, spec->dir, strerror(errno));
		if (ofd >= 0)
			close(ofd);
		if (efd >= 0)
			close(efd);
		return PROXY_E_START;
	}
	char *argv[12];
	size_t ac = 0;
	argv[ac++] = bin;
	if (spec->kind == SCN_APACHE) {
		argv[ac++] = "-f";
		argv[ac++] = g.conf;
		argv[ac++] = "-DFOREGROUND";
	} else if (spec->kind == SCN_NGINX) {
		argv[ac++] = "-p";
		argv[ac++] = prefix;
		argv[ac++] = "-e";
		argv[ac++] = g.error_log;
		argv[ac++] = "-c";
		argv[ac++] = g.conf;
		argv[ac++] = "-g";
		argv[ac++] = "daemon off;";
	} else {
		argv[ac++] = "-f";
		argv[ac++] = g.conf;
		argv[ac++] = "-db";
	}
	argv[ac] = NULL;

	pid_t pid = spawn(argv, ofd, efd, true);
	int e = errno;
	close(ofd);
	close(efd);
	if (pid < 0) {
		if (e == ENOENT)
			missing_msg(spec->kind, spec->bin, name, err, errlen);
		else
			snprintf(err, errlen, "%s: cannot run %s: %s", name,
				 bin, strerror(e));
		return e == ENOENT ? PROXY_E_MISSING : PROXY_E_START;
	}
	p->kind = spec->kind;
	p->pid = pid;
	p->watchdog = spawn_watchdog(pid, &p->watchdog_fd);
	if (spec->reg)
		os_runreg_proc(spec->reg, pid);

	unsigned tmo = spec->start_timeout_ms ? spec->start_timeout_ms
					      : PROXY_DEFAULT_START_MS;
	long long deadline = now_ms() + tmo;
	int ports[2] = {spec->http_port, spec->https_port};
	bool up[2] = {ports[0] <= 0, ports[1] <= 0};
	int status = 0;
	bool exited = false;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			exited = true;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (!up[i])
				up[i] = port_answers(ports[i]);
		if (up[0] && up[1] && file_nonempty(g.pidfile))
			break;
		if (now_ms() >= deadline)
			break;
		sleep_ms(1);
	}
	if (!exited && up[0] && up[1] && file_nonempty(g.pidfile)) {
		p->dir = strdup(spec->dir);
		p->conf_path = strdup(g.conf);
		p->error_log = strdup(g.error_log);
		if (!p->dir || !p->conf_path || !p->error_log) {
			snprintf(err, errlen, "out of memory");
			proxy_stop(p);
			return PROXY_E_START;
		}
		return PROXY_OK;
	}
	char tail[PROXY_LOG_TAIL * 2 + 64];
	if (exited) {
		pid_t w = p->watchdog;
		int wfd = p->watchdog_fd;
		p->pid = 0;
		/* the group may still hold the watchdog or stray children */
		kill(-pid, SIGKILL);
		if (w > 0) {
			kill(w, SIGKILL);
			while (waitpid(w, NULL, 0) < 0 && errno == EINTR)
				;
		}
		if (wfd >= 0)
			close(wfd);
		p->watchdog = 0;
		p->watchdog_fd = -1;
		if (config_refusal(spec, &g, ki->prog, err, errlen))
			return PROXY_E_CONFIG;
		log_tail(spec, &g, tail, sizeof(tail));
		if (WIFEXITED(status))
			snprintf(err, errlen,
				 "%s: %s exited with status %d before "
				 "answering:\n%s",
				 name, ki->prog, WEXITSTATUS(status), tail);
		else
			snprintf(err, errlen,
				 "%s: %s was killed by signal %d before "
				 "answering:\n%s",
				 name, ki->prog, WTERMSIG(status), tail);
		return PROXY_E_START;
	}
	proxy_stop(p);
	log_tail(spec, &g, tail, sizeof(tail));
	int port = !up[0] ? ports[0] : !up[1] ? ports[1] : 0;
	if (port)
		snprintf(err, errlen,
			 "%s: %s did not answer on 127.0.0.1:%d within %u "
			 "ms:\n%s",
			 name, ki->prog, port, tmo, tail);
	else
		snprintf(err, errlen,
			 "%s: %s did not write %s within %u ms:\n%s", name,
			 ki->prog, g.pidfile, tmo, tail);
	return PROXY_E_START;
}

void proxy_stop(struct proxy *p)
{
	if (!p)
		return;
	if (p->pid > 0)
		stop_group(p->pid, p->watchdog, p->watchdog_fd);
	p->pid = 0;
	p->watchdog = 0;
	p->watchdog_fd = -1;
	free(p->dir);
	free(p->conf_path);
	free(p->error_log);
	p->dir = p->conf_path = p->error_log = NULL;
}

char *proxy_error_log(const struct proxy *p)
{
	if (!p || !p->error_log)
		return NULL;
	return proxy_read_file(p->error_log, NULL);
}

bool proxy_exited(struct proxy *p)
{
	if (!p || p->exited)
		return p && p->exited;
	if (p->pid <= 0)
		return false;
	int status;
	pid_t r = waitpid(p->pid, &status, WNOHANG);
	if (r != p->pid)
		return false;
	p->exited = true;
	p->exit_status = status;
	return true;
}

void proxy_describe_exit(int wstatus, char *out, size_t outlen)
{
	if (WIFEXITED(wstatus))
		snprintf(out, outlen, "exited with status %d",
			 WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(out, outlen, "was killed by signal %d (%s)",
			 WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
	else
		snprintf(out, outlen, "ended (wait status %d)", wstatus);
}

bool proxy_log_crash(enum scn_comp_kind kind, const char *line)
{
	switch (kind) {
	case SCN_APACHE: /* AH00051/AH00052 (server/mpm_unix.c) */
		return strstr(line, "child pid ") &&
		       strstr(line, " exit signal ");
	case SCN_NGINX:
		return strstr(line, "worker process ") &&
		       (strstr(line, " exited on signal ") ||
			strstr(line, " exited with fatal code "));
	case SCN_HAPROXY: /* master-worker mode */
		return strstr(line, "worker") &&
		       strstr(line, " exited with code ");
	default:
		return false;
	}
}

int proxy_gen_begin(const struct proxy_spec *spec, struct proxy_gen *g,
		    const char *conf, const char *pidfile, const char *log,
		    char *err, size_t errlen)
{
	int r = proxy_gen_check(spec, err, errlen);
	if (r != 0)
		return r;
	if (spec->https_port > 0 && (!spec->cert_file || !spec->key_file)) {
		snprintf(err, errlen,
			 "%s: an https listener needs a certificate and key",
			 spec->name ? spec->name : "proxy");
		return PROXY_E_CONFIG;
	}
	snprintf(g->conf, sizeof(g->conf), "%s/%s", spec->dir, conf);
	if (pidfile)
		snprintf(g->pidfile, sizeof(g->pidfile), "%s/%s", spec->dir,
			 pidfile);
	else
		g->pidfile[0] = '\0';
	snprintf(g->error_log, sizeof(g->error_log), "%s/%s", spec->dir, log);
	snprintf(g->block_file, sizeof(g->block_file), "%s", g->conf);
	g->origin = NULL;
	g->origin_line = spec->config_line;
	return 0;
}

const char *proxy_gen_block(const struct proxy_spec *spec, struct proxy_gen *g,
			    char **owned, char *err, size_t errlen)
{
	*owned = NULL;
	if (!spec->include)
		return spec->config;
	const char *base = strrchr(spec->include, '/');
	base = base ? base + 1 : spec->include;
	char incl[PATH_MAX];
	snprintf(incl, sizeof(incl), "%s/include-%s", spec->dir, base);
	*owned = proxy_include_copy(spec, incl, err, errlen);
	if (!*owned)
		return NULL;
	/* pasted like a block, so its errors map to its own lines */
	g->origin = spec->include;
	g->origin_line = 1;
	return *owned;
}

unsigned proxy_count_lines(const char *s)
{
	unsigned n = 0;
	const char *p = s;
	for (; p && *p; p++)
		if (*p == '\n')
			n++;
	if (p && p > s && p[-1] != '\n')
		n++;
	return n;
}

/* Bind loopback `port` (0: any) and close: the port bound, or -1. */
static int probe_port(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	socklen_t len = sizeof(a);
	int got = -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		got = ntohs(a.sin_port);
	close(fd);
	return got;
}

int proxy_ephemeral_low(void)
{
	int low = 32768, high = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%d %d", &low, &high) != 2)
			low = 32768;
		fclose(f);
	}
	return low;
}

int proxy_free_port(void)
{
	/* Below the kernel's ephemeral range: between this pick and the
	 * proxy's bind, the port cannot become the local port of some
	 * outgoing connection (those take ephemeral ports: a loaded test
	 * run makes many), only another picker's, which is random too. */
	static uint64_t x;
	if (!x) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)ts.tv_sec << 20) ^ 0x9e3779b97f4a7c15ull;
	}
	int lo = PROXY_PORT_LOW, hi = proxy_ephemeral_low();
	for (int i = 0; i < 64 && hi - lo >= 1000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int port = lo + (int)(x % (uint64_t)(hi - lo));
		if (probe_port(port) == port)
			return port;
	}
	return probe_port(0); /* a range too small: any */
}
