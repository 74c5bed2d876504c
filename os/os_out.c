/* Output files written beside their target and renamed into place (see
 * os_out.h). */
#include "os_out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os_file.h"

static int fail(struct os_out *o, const char *path, char *err, size_t errlen,
		const char *why)
{
	char shown[256];
	snprintf(err, errlen, "%s: %s",
		 os_path_show(path, shown, sizeof(shown)), why);
	if (o) {
		free(o->path);
		free(o->tmp);
		o->path = o->tmp = NULL;
		o->f = NULL;
	}
	return -1;
}

/* Open in place (stdout aside): a --force'd symlink, FIFO or device. A
 * FIFO with no reader fails at once (ENXIO) instead of blocking. */
static int open_in_place(struct os_out *o, const char *path, char *err,
			 size_t errlen)
{
	int fd = open(path,
		      O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOCTTY |
			  O_CLOEXEC,
		      0666);
	int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	if (fd < 0 || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0 ||
	    !(o->f = fdopen(fd, "w"))) {
		char why[160];
		snprintf(why, sizeof(why), "cannot write: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return fail(o, path, err, errlen, why);
	}
	return 0;
}

int os_out_open(struct os_out *o, const char *path, bool force, char *err,
		size_t errlen)
{
	return os_out_open_mode(o, path, 0666, force, err, errlen);
}

int os_out_open_mode(struct os_out *o, const char *path, mode_t mode,
		     bool force, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	if (!*path)
		return fail(NULL, path, err, errlen, "an empty file name");
	o->path = strdup(path);
	if (!o->path)
		return fail(o, path, err, errlen, "out of memory");
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return fail(o, path, err, errlen,
				    "is a directory, not a file to write");
		if (!S_ISREG(st.st_mode)) {
			if (force)
				return open_in_place(o, path, err, errlen);
			char why[200];
			snprintf(why, sizeof(why),
				 "is %s: refusing to write %s it (--force to "
				 "write it anyway)",
				 os_file_kind(st.st_mode),
				 S_ISLNK(st.st_mode) ? "through" : "to");
			return fail(o, path, err, errlen, why);
		}
	} else if (errno != ENOENT) {
		char why[160];
		snprintf(why, sizeof(why), "cannot write: %s", strerror(errno));
		return fail(o, path, err, errlen, why);
	}
	/* ".NAME.XXXXXX" in the target's directory */
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
	const char *base = path + dlen;
	size_t n = strlen(path) + 16;
	o->tmp = malloc(n);
	if (!o->tmp)
		return fail(o, path, err, errlen, "out of memory");
	snprintf(o->tmp, n, "%.*s.%s.XXXXXX", (int)dlen, path, base);
	int fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0) {
		char why[160];
		snprintf(why, sizeof(why), "cannot write in its directory: %s",
			 strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		return fail(o, path, err, errlen, why);
	}
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, mode & ~mask) != 0 || !(o->f = fdopen(fd, "w"))) {
		char why[160];
		snprintf(why, sizeof(why), "cannot write: %s", strerror(errno));
		close(fd);
		unlink(o->tmp);
		return fail(o, path, err, errlen, why);
	}
	return 0;
}

int os_out_commit(struct os_out *o, char *err, size_t errlen)
{
	if (!o->f)
		return fail(o, o->path ? o->path : "-", err, errlen,
			    "not open");
	if (o->f == stdout) {
		bool bad = fflush(stdout) != 0 || ferror(stdout);
		o->f = NULL;
		if (bad)
			return fail(o, "-", err, errlen,
				    "cannot write to standard output");
		return 0;
	}
	int e = 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		e = errno ? errno : EIO;
	if (fclose(o->f) != 0 && !e)
		e = errno ? errno : EIO;
	o->f = NULL;
	if (!e && o->tmp && rename(o->tmp, o->path) != 0)
		e = errno;
	if (e) {
		if (o->tmp)
			unlink(o->tmp);
		char why[160];
		snprintf(why, sizeof(why), "cannot write: %s", strerror(e));
		return fail(o, o->path, err, errlen, why);
	}
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return 0;
}

void os_out_discard(struct os_out *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}
