/* Reading a file a user named, safely: only a regular file (a FIFO, a
 * directory, a device such as /dev/zero or /dev/urandom, a socket is
 * refused before anything blocks: the open is non-blocking and the type is
 * checked on the open descriptor), no bigger than a cap the caller gives,
 * and every read error an error (never taken for the end of the file).
 * And showing a path in a message without letting it forge lines: control
 * characters come out as escapes.
 *
 * libc only. Messages go to the caller's err buffer ("PATH: why"); this
 * module prints nothing.
 */
#ifndef WSSIM_OS_FILE_H
#define WSSIM_OS_FILE_H

#include <stdio.h>
#include <stddef.h>
#include <sys/types.h>

/* Caps for what wssim reads whole: a scenario, an include, a setup. */
#define OS_MAX_TEXT_FILE (8u << 20)

/* Open `path` for reading, refusing anything but a regular file: opened
 * O_NONBLOCK (a FIFO cannot block the caller), its type checked with fstat
 * on the descriptor, then put back in blocking mode. `max` > 0 also
 * refuses a file larger than max bytes. Returns the descriptor (O_CLOEXEC;
 * the caller closes it) with its size in *size if size is not NULL, or -1
 * with "PATH: why" in err (errno is set). */
int os_open_regular(const char *path, size_t max, off_t *size, char *err,
		    size_t errlen);

/* The same as a stdio stream (mode "rb"). NULL with err on failure. */
FILE *os_fopen_regular(const char *path, size_t max, char *err, size_t errlen);

/* Read a whole regular file of at most `max` bytes into a NUL-terminated
 * malloc'd buffer (*out, taken by the caller; the length in *len if len is
 * not NULL; the file may hold NULs). A file that grows past max while it
 * is read is refused too. Returns 0, or -1 with "PATH: why" in err (errno
 * set: ENOMEM, EISDIR, EINVAL for not a regular file, EFBIG, or the read's
 * errno). */
int os_read_file(const char *path, size_t max, char **out, size_t *len,
		 char *err, size_t errlen);

/* Read all of descriptor `fd` (any kind; at most max bytes, else EFBIG),
 * as os_read_file does. `path` only names it in messages. */
int os_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
	       char *err, size_t errlen);

/* `path` made safe to print: bytes below 0x20, 0x7f and backslash shown as
 * \n, \t, \\ or \xHH; cut with "..." to fit outlen. Returns out. */
char *os_path_show(const char *path, char *out, size_t outlen);

/* The "why" of a message these functions wrote for `path` ("PATH: why"),
 * for a caller that names the file itself. */
const char *os_err_why(const char *err, const char *path);

/* What a st_mode is, for messages: "a directory", "a FIFO", ... */
const char *os_file_kind(mode_t mode);

#endif
