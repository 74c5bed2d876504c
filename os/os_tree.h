/* Removing a directory tree without following a link an attacker could
 * plant or swap: every step is relative to an open directory descriptor
 * (openat with O_NOFOLLOW | O_DIRECTORY, unlinkat), so a symlink inside
 * the tree is removed as a link and nothing outside the tree is touched,
 * whatever is renamed meanwhile.
 *
 * libc only.
 */
#ifndef WSSIM_OS_TREE_H
#define WSSIM_OS_TREE_H

#include <stdbool.h>
#include <sys/types.h>

/* Remove everything inside the directory open at `dfd` (dfd stays open and
 * is not closed; its position is consumed). Returns 0, or -1 with errno if
 * something could not be removed (the rest is still tried). */
int os_tree_empty(int dfd);

/* Remove the directory `path` and everything in it, not following a
 * symlink at any level (a symlink at `path` itself is refused: ENOTDIR).
 * If `dev`/`ino` are not 0 the directory must be that one (else ESTALE:
 * it was swapped), and if `uid` is not (uid_t)-1 it must be owned by it
 * (else EPERM). Returns 0 or -1 with errno. */
int os_tree_remove(const char *path, dev_t dev, ino_t ino, uid_t uid);

#endif
