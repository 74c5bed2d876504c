/* Tree removal relative to directory descriptors (see os_tree.h). */
#include "os_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than any tree wssim makes; bounds the recursion. */
#define OS_TREE_MAX_DEPTH 64

static int empty_at(int dfd, int depth)
{
	if (depth > OS_TREE_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (!d) {
		int e = errno;
		if (dup >= 0)
			close(dup);
		errno = e;
		return -1;
	}
	rewinddir(d);
	int rc = 0, first_err = 0;
	for (struct dirent *de; (errno = 0, de = readdir(d));) {
		const char *n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		struct stat st;
		if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* gone meanwhile */
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, n,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_CLOEXEC);
			if (sub >= 0) {
				if (empty_at(sub, depth + 1) != 0 && !first_err)
					first_err = errno;
				close(sub);
			}
			if (unlinkat(dfd, n, AT_REMOVEDIR) != 0 &&
			    errno != ENOENT && !first_err)
				first_err = errno;
		} else if (unlinkat(dfd, n, 0) != 0 && errno != ENOENT &&
			   !first_err) {
			first_err = errno;
		}
	}
	if (errno && !first_err)
		first_err = errno;
	closedir(d);
	if (first_err) {
		errno = first_err;
		rc = -1;
	}
	return rc;
}

int os_tree_empty(int dfd)
{
	return empty_at(dfd, 0);
}

int os_tree_remove(const char *path, dev_t dev, ino_t ino, uid_t uid)
{
	/* the parent, then the directory itself relative to it */
	char *copy = strdup(path);
	if (!copy) {
		errno = ENOMEM;
		return -1;
	}
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	char *slash = strrchr(copy, '/');
	const char *base = slash ? slash + 1 : copy;
	const char *parent = slash ? (slash == copy ? "/" : copy) : ".";
	if (slash && slash != copy)
		*slash = '\0';
	int rc = -1, e = 0;
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		e = errno;
		goto out;
	}
	int dfd =
	    openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		e = errno == ELOOP ? ENOTDIR : errno;
		close(pfd);
		goto out;
	}
	struct stat st;
	if (fstat(dfd, &st) != 0) {
		e = errno;
	} else if ((dev || ino) && (st.st_dev != dev || st.st_ino != ino)) {
		e = ESTALE;
	} else if (uid != (uid_t)-1 && st.st_uid != uid) {
		e = EPERM;
	} else {
		if (os_tree_empty(dfd) != 0)
			e = errno;
		/* the entry must still be the directory we emptied */
		struct stat now;
		if (fstatat(pfd, base, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_dev == st.st_dev && now.st_ino == st.st_ino) {
			if (unlinkat(pfd, base, AT_REMOVEDIR) != 0 && !e)
				e = errno;
		} else if (!e) {
			e = ESTALE;
		}
	}
	close(dfd);
	close(pfd);
	rc = e ? -1 : 0;
out:
	free(copy);
	errno = e;
	return rc;
}
