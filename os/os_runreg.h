/* What a run leaves behind if it is SIGKILLed, and how a later run of the
 * same user cleans it up, without trusting anything another user can
 * write.
 *
 * Each run keeps a record in a private per-user state directory (see
 * os_state_dir): the boot it belongs to, its run dir (path, device and
 * inode) and every process it started (pid and /proc start time). The
 * run holds an exclusive flock on its record for as long as it lives, so
 * "the owner is dead" is "the lock can be taken" — no pid that could have
 * been reused. A later run takes each free record and, for it: kills the
 * recorded processes that are still those very processes (same start
 * time, same boot) with their process groups, removes the run dir through
 * directory descriptors only (never following a link; only the directory
 * recorded, owned by this user), and deletes the record. Nothing outside
 * the state directory is ever scanned: a directory someone plants in /tmp
 * is not ours and is left alone.
 *
 * libc and /proc only. Messages go to the caller's err buffer.
 */
#ifndef WSSIM_OS_RUNREG_H
#define WSSIM_OS_RUNREG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The private state directory, opened: `override` if not NULL (tests),
 * else $XDG_RUNTIME_DIR/wssim when XDG_RUNTIME_DIR is a directory owned
 * by the euid and not open to others, else /run/wssim for root, else
 * TMP/wssim-EUID (TMP: `tmp`, or $TMPDIR, or /tmp). Made 0700 if missing.
 * An existing one must be a real directory (not a symlink), owned by the
 * euid, with no access for group or others: anything else is refused
 * with why. Returns an O_DIRECTORY descriptor (its path in `path`), or -1
 * with a message in err. */
int os_state_dir(const char *override, const char *tmp, char *path,
		 size_t pathlen, char *err, size_t errlen);

struct os_runreg {
	int fd;	       /* the record, flock'd; -1: none */
	int dfd;       /* the state directory (borrowed) */
	char name[64]; /* the record's name in it */
};

/* Start a record for this process in the state directory `dfd`
 * (borrowed: it must stay open until os_runreg_drop). Returns 0, or -1
 * with a message in err. */
int os_runreg_open(struct os_runreg *r, int dfd, char *err, size_t errlen);

/* Record the run dir `path` (made by the caller, owned by the euid). */
int os_runreg_dir(struct os_runreg *r, const char *path);

/* Record a process the run started (a process group leader or not). */
int os_runreg_proc(struct os_runreg *r, pid_t pid);

/* The run is over (its dir removed, or kept on purpose): delete the
 * record. Idempotent. */
void os_runreg_drop(struct os_runreg *r);

struct os_reap_stats {
	size_t runs;   /* records of dead runs cleaned */
	size_t killed; /* processes (or groups) signalled */
	size_t dirs;   /* run dirs removed */
};

/* Clean up after every dead run recorded in the state directory `dfd`.
 * Returns the number of records cleaned (details in *st if not NULL). */
int os_runreg_reap(int dfd, struct os_reap_stats *st);

#endif
