/* Run records in the private state directory, and the reaper that reads
 * them (see os_runreg.h).
 *
 * A record is a text file of lines, each written with one write() to a
 * descriptor opened O_APPEND:
 *     wssim-run 1
 *     boot BOOT_ID
 *     owner PID START
 *     dir DEV INO PATH          (PATH with %XX for bytes <= ' ', >= 0x7f, '%')
 *     proc PID START            (one per process started)
 * It is made under a name the reaper ignores (".new-..."), locked, then
 * renamed to "run-PID-N", so no reaper can see it unlocked. */
#include "os_runreg.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os_file.h"
#include "os_proc.h"
#include "os_tree.h"

#define RECORD_MAX (64u << 10)

/* ---- the state directory ---- */

/* Is the directory open at fd ours alone? Else why not, in why. */
static bool private_dir(int fd, char *why, size_t whylen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot stat: %s", strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "not a directory");
		return false;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "owned by uid %u, not by uid %u",
			 (unsigned)st.st_uid, (unsigned)geteuid());
		return false;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen,
			 "mode %04o lets other users in (wssim needs 0700)",
			 (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

/* mkdir NAME 0700 in pfd (if missing) and open it without following a
 * symlink; it must be private. */
static int sub_open(int pfd, const char *name, char *why, size_t whylen)
{
	if (mkdirat(pfd, name, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create: %s", strerror(errno));
		return -1;
	}
	int fd =
	    openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s",
			 errno == ELOOP || errno == ENOTDIR
			     ? "a symbolic link or not a directory"
			     : strerror(errno));
		return -1;
	}
	if (!private_dir(fd, why, whylen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open `parent` (a directory) and return NAME in it, privately. */
static int under(const char *parent, const char *name, char *path,
		 size_t pathlen, char *why, size_t whylen)
{
	snprintf(path, pathlen, "%s%s%s", parent,
		 parent[strlen(parent) - 1] == '/' ? "" : "/", name);
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		snprintf(why, whylen, "cannot open %s: %s", parent,
			 strerror(errno));
		return -1;
	}
	int fd = sub_open(pfd, name, why, whylen);
	close(pfd);
	return fd;
}

int os_state_dir(const char *override, const char *tmp, char *path,
		 size_t pathlen, char *err, size_t errlen)
{
	char why[256], shown[300];
	if (override) {
		snprintf(path, pathlen, "%s", override);
		if (mkdir(override, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "state directory %s: %s",
				 os_path_show(override, shown, sizeof(shown)),
				 strerror(errno));
			return -1;
		}
		int fd = open(override,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || !private_dir(fd, why, sizeof(why))) {
			if (fd < 0)
				snprintf(why, sizeof(why), "%s",
					 strerror(errno));
			else
				close(fd);
			snprintf(err, errlen, "state directory %s: %s",
				 os_path_show(override, shown, sizeof(shown)),
				 why);
			return -1;
		}
		return fd;
	}
	/* $XDG_RUNTIME_DIR, when it is really this user's */
	const char *x = getenv("XDG_RUNTIME_DIR");
	if (x && x[0] == '/') {
		int xfd = open(x, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (xfd >= 0 && private_dir(xfd, why, sizeof(why))) {
			int fd = sub_open(xfd, "wssim", why, sizeof(why));
			close(xfd);
			snprintf(path, pathlen, "%s/wssim", x);
			if (fd >= 0)
				return fd;
			snprintf(err, errlen, "state directory %s: %s",
				 os_path_show(path, shown, sizeof(shown)), why);
			return -1;
		}
		if (xfd >= 0)
			close(xfd);
	}
	/* root: /run, which only root can write to */
	struct stat st;
	if (geteuid() == 0 && lstat("/run", &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == 0 && !(st.st_mode & 022) &&
	    access("/run", W_OK) == 0) {
		int fd =
		    under("/run", "wssim", path, pathlen, why, sizeof(why));
		if (fd >= 0)
			return fd;
		snprintf(err, errlen, "state directory /run/wssim: %s", why);
		return -1;
	}
	if (!tmp || !*tmp)
		tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	char name[32];
	snprintf(name, sizeof(name), "wssim-%u", (unsigned)geteuid());
	int fd = under(tmp, name, path, pathlen, why, sizeof(why));
	if (fd >= 0)
		return fd;
	snprintf(err, errlen,
		 "state directory %s: %s (remove it, or set XDG_RUNTIME_DIR "
		 "to a private directory)",
		 os_path_show(path, shown, sizeof(shown)), why);
	return -1;
}

/* ---- records ---- */

static int put_line(int fd, const char *line)
{
	size_t n = strlen(line);
	ssize_t w;
	while ((w = write(fd, line, n)) < 0 && errno == EINTR)
		;
	return w == (ssize_t)n ? 0 : -1;
}

static void boot_id(char *out, size_t outlen)
{
	char *s = NULL, err[128];
	size_t n = 0;
	snprintf(out, outlen, "-");
	if (os_read_file("/proc/sys/kernel/random/boot_id", 256, &s, &n, err,
			 sizeof(err)) != 0)
		return;
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	bool ok = n > 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != '-')
			ok = false;
	if (ok)
		snprintf(out, outlen, "%s", s);
	free(s);
}

int os_runreg_open(struct os_runreg *r, int dfd, char *err, size_t errlen)
{
	static unsigned seq;
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->dfd = dfd;
	char tmpname[64];
	int fd = -1;
	for (int i = 0; i < 1000 && fd < 0; i++) {
		unsigned n = seq++;
		snprintf(tmpname, sizeof(tmpname), ".new-%d-%u", (int)getpid(),
			 n);
		snprintf(r->name, sizeof(r->name), "run-%d-%u", (int)getpid(),
			 n);
		fd = openat(dfd, tmpname,
			    O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
				O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot make a run record: %s",
			 strerror(errno));
		return -1;
	}
	char boot[64], line[200];
	unsigned long long start = 0;
	os_proc_start(getpid(), &start, NULL);
	boot_id(boot, sizeof(boot));
	snprintf(line, sizeof(line), "wssim-run 1\nboot %s\nowner %d %llu\n",
		 boot, (int)getpid(), start);
	int rc = flock(fd, LOCK_EX | LOCK_NB) != 0 || put_line(fd, line) != 0
		     ? -1
		     : renameat2(dfd, tmpname, dfd, r->name, RENAME_NOREPLACE);
	/* never over another record (a dead run's with a reused pid) */
	for (int i = 0; i < 1000 && rc != 0 && errno == EEXIST; i++) {
		snprintf(r->name, sizeof(r->name), "run-%d-%u", (int)getpid(),
			 seq++);
		rc = renameat2(dfd, tmpname, dfd, r->name, RENAME_NOREPLACE);
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot make a run record: %s",
			 strerror(errno));
		unlinkat(dfd, tmpname, 0);
		close(fd);
		return -1;
	}
	r->fd = fd;
	return 0;
}

int os_runreg_dir(struct os_runreg *r, const char *path)
{
	struct stat st;
	if (r->fd < 0 || lstat(path, &st) != 0)
		return -1;
	size_t n = strlen(path);
	char *line = malloc(n * 3 + 80);
	if (!line)
		return -1;
	int o =
	    snprintf(line, 80, "dir %llu %llu ", (unsigned long long)st.st_dev,
		     (unsigned long long)st.st_ino);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '%')
			o += sprintf(line + o, "%%%02X", *p);
		else
			line[o++] = (char)*p;
	line[o++] = '\n';
	line[o] = '\0';
	int rc = put_line(r->fd, line);
	free(line);
	return rc;
}

int os_runreg_proc(struct os_runreg *r, pid_t pid)
{
	unsigned long long start;
	if (r->fd < 0 || os_proc_start(pid, &start, NULL) != 0)
		return -1;
	char line[64];
	snprintf(line, sizeof(line), "proc %d %llu\n", (int)pid, start);
	return put_line(r->fd, line);
}

void os_runreg_drop(struct os_runreg *r)
{
	if (r->fd < 0)
		return;
	unlinkat(r->dfd, r->name, 0);
	close(r->fd);
	r->fd = -1;
}

/* ---- the reaper ---- */

/* Kill `pid` if it is still the process that started at `start`, with
 * its group if it leads one; if it is gone, the members of its group
 * that started after it (a proxy's workers outlive their parent).
 * Returns how many were signalled. */
static size_t kill_recorded(pid_t pid, unsigned long long start)
{
	unsigned long long now;
	pid_t pgrp;
	if (pid <= 1 || pid == getpid())
		return 0;
	if (os_proc_start(pid, &now, &pgrp) == 0) {
		if (now != start)
			return 0; /* the pid was reused: not ours */
		kill(pgrp == pid ? -pid : pid, SIGKILL);
		return 1;
	}
	size_t n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid_t q = (pid_t)strtol(de->d_name, NULL, 10);
		unsigned long long qs;
		pid_t qg;
		if (q > 1 && q != getpid() && os_proc_start(q, &qs, &qg) == 0 &&
		    qg == pid && qs >= start) {
			kill(q, SIGKILL);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* "%XX"-decoded PATH in place. */
static bool unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		if (!isxdigit((unsigned char)p[1]) ||
		    !isxdigit((unsigned char)p[2]))
			return false;
		char hex[3] = {p[1], p[2], 0};
		*o++ = (char)strtol(hex, NULL, 16);
		p += 2;
	}
	*o = '\0';
	return o != s;
}

/* Act on one dead run's record text. */
static void reap_text(char *text, struct os_reap_stats *st)
{
	char here[64];
	boot_id(here, sizeof(here));
	bool ours = false; /* the header names this boot */
	char *save = NULL;
	bool first = true;
	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save), first = false) {
		if (first) {
			if (strcmp(l, "wssim-run 1") != 0)
				return;
			continue;
		}
		if (!strncmp(l, "boot ", 5)) {
			ours = strcmp(here, "-") != 0 && !strcmp(l + 5, here);
		} else if (!strncmp(l, "proc ", 5) && ours) {
			int pid;
			unsigned long long start;
			if (sscanf(l + 5, "%d %llu", &pid, &start) == 2)
				st->killed += kill_recorded(pid, start);
		} else if (!strncmp(l, "dir ", 4)) {
			unsigned long long dev, ino;
			int off = 0;
			if (sscanf(l + 4, "%llu %llu %n", &dev, &ino, &off) <
				2 ||
			    !off)
				continue;
			char *path = l + 4 + off;
			if (!unescape(path) || path[0] != '/')
				continue;
			if (os_tree_remove(path, (dev_t)dev, (ino_t)ino,
					   geteuid()) == 0)
				st->dirs++;
		}
	}
}

int os_runreg_reap(int dfd, struct os_reap_stats *stp)
{
	struct os_reap_stats st = {0, 0, 0};
	int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (!d) {
		if (dup >= 0)
			close(dup);
		if (stp)
			*stp = st;
		return 0;
	}
	rewinddir(d);
	for (struct dirent *de; (de = readdir(d));) {
		if (strncmp(de->d_name, "run-", 4) != 0)
			continue;
		int fd = openat(dfd, de->d_name,
				O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct stat fs, now;
		if (fstat(fd, &fs) != 0 || !S_ISREG(fs.st_mode) ||
		    fs.st_uid != geteuid() ||
		    flock(fd, LOCK_EX | LOCK_NB) != 0 ||
		    fstatat(dfd, de->d_name, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
		    now.st_ino != fs.st_ino) {
			close(fd); /* alive, or not a record of ours */
			continue;
		}
		char *text = NULL, err[256];
		if (os_read_fd(fd, de->d_name, RECORD_MAX, &text, NULL, err,
			       sizeof(err)) == 0) {
			reap_text(text, &st);
			free(text);
		}
		unlinkat(dfd, de->d_name, 0);
		close(fd);
		st.runs++;
	}
	closedir(d);
	if (stp)
		*stp = st;
	return (int)st.runs;
}
