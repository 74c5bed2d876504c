/* Safe reads of files a user named (see os_file.h). */
#include "os_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *os_path_show(const char *path, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	if (!outlen)
		return out;
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)(path ? path : "");
	for (; *p; p++) {
		char e[5];
		size_t n = 0;
		if (*p == '\n' || *p == '\t' || *p == '\\') {
			e[n++] = '\\';
			e[n++] = *p == '\n' ? 'n' : *p == '\t' ? 't' : '\\';
		} else if (*p < 0x20 || *p == 0x7f) {
			e[n++] = '\\';
			e[n++] = 'x';
			e[n++] = hex[*p >> 4];
			e[n++] = hex[*p & 15];
		} else {
			e[n++] = (char)*p;
		}
		if (o + n + 1 > outlen) {
			/* cut: end with "..." where it fits */
			if (outlen >= 4) {
				o = o + 4 > outlen ? outlen - 4 : o;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, e, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

const char *os_err_why(const char *err, const char *path)
{
	char shown[256];
	size_t n = strlen(os_path_show(path, shown, sizeof(shown)));
	if (!strncmp(err, shown, n) && err[n] == ':' && err[n + 1] == ' ')
		return err + n + 2;
	return err;
}

const char *os_file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

/* "PATH: why" into err, errno = e; returns -1. */
__attribute__((format(printf, 5, 6))) static int
fail(int e, char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	char shown[256];
	os_path_show(path, shown, sizeof(shown));
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", shown, why);
	errno = e;
	return -1;
}

static void size_words(size_t max, char *out, size_t outlen)
{
	if (max >= (1u << 20) && max % (1u << 20) == 0)
		snprintf(out, outlen, "%zu MiB", max >> 20);
	else if (max >= 1024 && max % 1024 == 0)
		snprintf(out, outlen, "%zu KiB", max >> 10);
	else
		snprintf(out, outlen, "%zu bytes", max);
}

int os_open_regular(const char *path, size_t max, off_t *size, char *err,
		    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, err, errlen, path, "cannot open: %s",
			    strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return fail(e, err, errlen, path, "cannot stat: %s",
			    strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(S_ISDIR(st.st_mode) ? EISDIR : EINVAL, err, errlen,
			    path, "is %s, not a regular file",
			    os_file_kind(st.st_mode));
	}
	if (max && (uint64_t)st.st_size > max) {
		close(fd);
		char w[32];
		size_words(max, w, sizeof(w));
		return fail(EFBIG, err, errlen, path,
			    "is larger than wssim reads (%s)", w);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		int e = errno;
		close(fd);
		return fail(e, err, errlen, path, "cannot open: %s",
			    strerror(e));
	}
	if (size)
		*size = st.st_size;
	return fd;
}

FILE *os_fopen_regular(const char *path, size_t max, char *err, size_t errlen)
{
	int fd = os_open_regular(path, max, NULL, err, errlen);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		int e = errno;
		close(fd);
		fail(e, err, errlen, path, "cannot open: %s", strerror(e));
	}
	return f;
}

int os_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
	       char *err, size_t errlen)
{
	*out = NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	if (!s)
		return fail(ENOMEM, err, errlen, path, "%s", "out of memory");
	for (;;) {
		if (n + 1 >= cap) {
			if (max && cap > max + 1) {
				free(s);
				char w[32];
				size_words(max, w, sizeof(w));
				return fail(EFBIG, err, errlen, path,
					    "is larger than wssim reads (%s)",
					    w);
			}
			char *t = realloc(s, cap * 2);
			if (!t) {
				free(s);
				return fail(ENOMEM, err, errlen, path, "%s",
					    "out of memory");
			}
			s = t;
			cap *= 2;
		}
		ssize_t r = read(fd, s + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(s);
			return fail(e, err, errlen, path, "cannot read: %s",
				    strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (max && n > max) {
			free(s);
			char w[32];
			size_words(max, w, sizeof(w));
			return fail(EFBIG, err, errlen, path,
				    "is larger than wssim reads (%s)", w);
		}
	}
	s[n] = '\0';
	*out = s;
	if (len)
		*len = n;
	return 0;
}

int os_read_file(const char *path, size_t max, char **out, size_t *len,
		 char *err, size_t errlen)
{
	*out = NULL;
	int fd = os_open_regular(path, max, NULL, err, errlen);
	if (fd < 0)
		return -1;
	int rc = os_read_fd(fd, path, max, out, len, err, errlen);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}
