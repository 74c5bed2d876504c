/* Writing an output file a user named (a report, a recording, a CA
 * certificate) without being turned against another file: the data goes
 * to a new temp file beside the target (O_EXCL, a random name, never
 * through a symlink) and is renamed over the target only once it is all
 * written, so a reader never sees half a file and a failed write leaves
 * the old one. An existing symlink, FIFO or device at the target is
 * refused unless `force` (then it is opened and written in place, as the
 * user asked); a directory is always refused. "-" is standard output.
 *
 * libc only; messages go to the caller's err buffer ("PATH: why").
 */
#ifndef WSSIM_OS_OUT_H
#define WSSIM_OS_OUT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct os_out {
	FILE *f;    /* write here */
	char *path; /* the target (owned) */
	char *tmp;  /* the temp file renamed over it at the end, or NULL
		       when writing in place (stdout, --force) */
};

/* Open `path` for writing as above. Returns 0 with o->f ready, or -1 with
 * a message in err (nothing was created). */
int os_out_open(struct os_out *o, const char *path, bool force, char *err,
		size_t errlen);

/* The same with the new file's mode (less the umask): 0600 for a private
 * key. os_out_open is this with 0666. */
int os_out_open_mode(struct os_out *o, const char *path, mode_t mode,
		     bool force, char *err, size_t errlen);

/* Finish: flush, close and move the temp file into place. Returns 0, or
 * -1 with a message in err (a write error, a full disk; the temp file is
 * removed and the target left as it was). Frees o's contents either way;
 * standard output is flushed, not closed. */
int os_out_commit(struct os_out *o, char *err, size_t errlen);

/* Give up: close and remove the temp file (the target is untouched). */
void os_out_discard(struct os_out *o);

#endif
