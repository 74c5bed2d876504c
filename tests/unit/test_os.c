/* os/: what a root tool may trust. Reads that refuse FIFOs, directories
 * and devices without blocking; output files that never write through a
 * planted symlink; tree removal that never leaves the tree; process
 * identity; the private state dir and the stale-run reaper, which must
 * kill and remove only what this user's dead runs recorded. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "os_file.h"
#include "os_out.h"
#include "os_proc.h"
#include "os_runreg.h"
#include "os_tree.h"
#include "test_util.h"

static char dir[512];

static void setup(void)
{
	test_scratch_mkdtemp(dir, sizeof(dir), "os");
}

static const char *at(const char *name)
{
	static char buf[4][1024];
	static int i;
	char *b = buf[i++ % 4];
	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static char *get(const char *path)
{
	char *s = NULL, err[256];
	ck_assert_msg(os_read_file(path, 0, &s, NULL, err, sizeof(err)) == 0,
		      "%s", err);
	return s;
}

/* ---- reads ---- */

START_TEST(read_regular_and_caps)
{
	put(at("a"), "hello\n");
	char *s = NULL, err[256];
	size_t n = 0;
	ck_assert_int_eq(os_read_file(at("a"), 100, &s, &n, err, sizeof(err)),
			 0);
	ck_assert_str_eq(s, "hello\n");
	ck_assert_uint_eq(n, 6);
	free(s);
	/* over the cap: refused by its size, before reading */
	ck_assert_int_eq(os_read_file(at("a"), 5, &s, &n, err, sizeof(err)),
			 -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "larger than wssim reads (5 bytes)"), "%s",
		      err);
	ck_assert_int_eq(os_read_file(at("none"), 0, &s, &n, err, sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "cannot open: No such file"), "%s", err);
}
END_TEST

START_TEST(read_refuses_non_regular)
{
	char *s = NULL, err[256];
	/* a FIFO nobody writes to: refused at once, not a hang */
	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	ck_assert_int_eq(
	    os_read_file(at("fifo"), 0, &s, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is a FIFO, not a regular file"), "%s", err);
	/* a directory: an error, never an empty file */
	ck_assert_int_eq(os_read_file(dir, 0, &s, NULL, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_msg(strstr(err, "is a directory"), "%s", err);
	/* endless devices: refused before a byte is read */
	ck_assert_int_eq(
	    os_read_file("/dev/zero", 0, &s, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/dev/zero: is a character device"), "%s",
		      err);
	FILE *f = os_fopen_regular("/dev/urandom", 0, err, sizeof(err));
	ck_assert_ptr_null(f);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(read_fd_caps_endless_input)
{
	/* what a pipe from /dev/zero gives: the cap ends it */
	int fd = open("/dev/zero", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	char *s = NULL, err[256];
	ck_assert_int_eq(
	    os_read_fd(fd, "/dev/zero", 1 << 16, &s, NULL, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(errno, EFBIG);
	close(fd);
	/* a read error is an error, not the end of the file */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(os_read_fd(fd, dir, 0, &s, NULL, err, sizeof(err)),
			 -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_msg(strstr(err, "cannot read: Is a directory"), "%s", err);
	close(fd);
}
END_TEST

START_TEST(path_show_escapes)
{
	char out[64];
	ck_assert_str_eq(
	    os_path_show("a\nPASS\tb\\c\x01\x7f", out, sizeof(out)),
	    "a\\nPASS\\tb\\\\c\\x01\\x7f");
	ck_assert_str_eq(os_path_show("abcdefghijklmnop", out, 10),
			 "abcdef...");
	ck_assert_str_eq(os_path_show("abc", out, 4), "abc");
}
END_TEST

/* ---- output files ---- */

static int out_write(const char *path, bool force, const char *text, char *err,
		     size_t errlen)
{
	struct os_out o;
	if (os_out_open(&o, path, force, err, errlen) != 0)
		return -1;
	fputs(text, o.f);
	return os_out_commit(&o, err, errlen);
}

/* Entries of the scratch dir starting with '.' (a temp file left). */
static int dot_files(void)
{
	int n = 0;
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c '^\\.'", dir);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

START_TEST(out_replaces_atomically)
{
	char err[512];
	put(at("r.json"), "old");
	struct stat a, b;
	ck_assert_int_eq(stat(at("r.json"), &a), 0);
	struct os_out o;
	ck_assert_int_eq(os_out_open(&o, at("r.json"), false, err, sizeof(err)),
			 0);
	fputs("new", o.f);
	fflush(o.f);
	/* until the commit a reader sees the old file whole */
	char *s = get(at("r.json"));
	ck_assert_str_eq(s, "old");
	free(s);
	ck_assert_int_eq(os_out_commit(&o, err, sizeof(err)), 0);
	s = get(at("r.json"));
	ck_assert_str_eq(s, "new");
	free(s);
	ck_assert_int_eq(stat(at("r.json"), &b), 0);
	ck_assert(a.st_ino != b.st_ino); /* renamed into place */
	ck_assert_int_eq(dot_files(), 0);
	/* a new file; discard leaves nothing */
	ck_assert_int_eq(out_write(at("n.xml"), false, "x", err, sizeof(err)),
			 0);
	ck_assert_int_eq(os_out_open(&o, at("d.xml"), false, err, sizeof(err)),
			 0);
	os_out_discard(&o);
	ck_assert_int_ne(access(at("d.xml"), F_OK), 0);
	ck_assert_int_eq(dot_files(), 0);
}
END_TEST

START_TEST(out_refuses_symlink_unless_forced)
{
	char err[512];
	put(at("victim"), "precious");
	ck_assert_int_eq(symlink(at("victim"), at("link.json")), 0);
	ck_assert_int_eq(
	    out_write(at("link.json"), false, "pwned", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is a symbolic link: refusing to write "
				  "through it (--force"),
		      "%s", err);
	char *s = get(at("victim"));
	ck_assert_str_eq(s, "precious");
	free(s);
	/* a dangling one too (it would create its target) */
	ck_assert_int_eq(symlink(at("nowhere"), at("dangling")), 0);
	ck_assert_int_eq(
	    out_write(at("dangling"), false, "x", err, sizeof(err)), -1);
	ck_assert_int_ne(access(at("nowhere"), F_OK), 0);
	/* --force: the user said so, written where it points */
	ck_assert_int_eq(
	    out_write(at("link.json"), true, "forced", err, sizeof(err)), 0);
	s = get(at("victim"));
	ck_assert_str_eq(s, "forced");
	free(s);
	ck_assert_int_eq(dot_files(), 0);
}
END_TEST

START_TEST(out_refuses_dirs_fifos_devices)
{
	char err[512];
	ck_assert_int_eq(out_write(dir, true, "x", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is a directory"), "%s", err);
	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	ck_assert_int_eq(out_write(at("fifo"), false, "x", err, sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "is a FIFO"), "%s", err);
	/* forced, with no reader: an error at once, not a hang */
	ck_assert_int_eq(out_write(at("fifo"), true, "x", err, sizeof(err)),
			 -1);
	ck_assert_int_eq(out_write("/dev/null", false, "x", err, sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "is a character device"), "%s", err);
	ck_assert_int_eq(out_write("/dev/null", true, "x", err, sizeof(err)),
			 0);
	/* a full disk is an error at the commit */
	ck_assert_int_eq(out_write("/dev/full", true, "x", err, sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "No space left"), "%s", err);
	/* the directory cannot be written: nothing half-made */
	ck_assert_int_eq(
	    out_write(at("no/such/dir/f"), false, "x", err, sizeof(err)), -1);
}
END_TEST

/* ---- tree removal ---- */

START_TEST(tree_remove_stays_inside)
{
	char t[PATH_MAX], sub[PATH_MAX + 8];
	snprintf(t, sizeof(t), "%s", at("tree"));
	ck_assert_int_eq(mkdir(t, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/a", t);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	put(at("outside"), "keep me");
	ck_assert_int_eq(mkdir(at("outdir"), 0755), 0);
	put(at("outdir/f"), "keep me too");
	char l[PATH_MAX + 16];
	snprintf(l, sizeof(l), "%s/a/to-file", t);
	ck_assert_int_eq(symlink(at("outside"), l), 0);
	snprintf(l, sizeof(l), "%s/a/to-dir", t);
	ck_assert_int_eq(symlink(at("outdir"), l), 0);
	snprintf(l, sizeof(l), "%s/a/f", t);
	put(l, "x");

	/* a symlink as the tree itself is refused */
	ck_assert_int_eq(symlink(t, at("tree-link")), 0);
	ck_assert_int_eq(os_tree_remove(at("tree-link"), 0, 0, (uid_t)-1), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	/* not the recorded directory: refused */
	struct stat st;
	ck_assert_int_eq(stat(t, &st), 0);
	ck_assert_int_eq(os_tree_remove(t, st.st_dev, st.st_ino + 1, (uid_t)-1),
			 -1);
	ck_assert_int_eq(errno, ESTALE);
	ck_assert_int_eq(os_tree_remove(t, 0, 0, geteuid() + 1), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(access(t, F_OK), 0);

	ck_assert_int_eq(os_tree_remove(t, st.st_dev, st.st_ino, geteuid()), 0);
	ck_assert_int_ne(access(t, F_OK), 0);
	ck_assert_int_eq(access(at("tree-link"), F_OK) == 0, 0);
	char *s = get(at("outside"));
	ck_assert_str_eq(s, "keep me");
	free(s);
	s = get(at("outdir/f"));
	ck_assert_str_eq(s, "keep me too");
	free(s);
}
END_TEST

/* ---- processes ---- */

START_TEST(proc_stat_parse)
{
	char st;
	pid_t pg;
	unsigned long long start;
	const char *line = "123 (a) b (c)) S 1 77 77 0 -1 4194560 1 0 0 0 0 0 "
			   "0 0 20 0 1 0 987654 100 2 18446744073709551615\n";
	ck_assert_int_eq(os_proc_parse_stat(line, &st, &pg, &start), 0);
	ck_assert_int_eq(st, 'S');
	ck_assert_int_eq(pg, 77);
	ck_assert_uint_eq(start, 987654);
	ck_assert_int_eq(os_proc_parse_stat("123 (x) S 1 2", &st, &pg, &start),
			 -1);
	ck_assert_int_eq(os_proc_parse_stat("garbage", &st, &pg, &start), -1);
	ck_assert_int_eq(os_proc_start(getpid(), &start, &pg), 0);
	ck_assert(os_proc_same(getpid(), start));
	ck_assert(!os_proc_same(getpid(), start + 1));
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
	ck_assert_int_eq(os_proc_start(c, &start, NULL), -1);
}
END_TEST

/* ---- the state dir and the reaper ---- */

START_TEST(state_dir_must_be_private)
{
	char path[PATH_MAX], err[512];
	int fd = os_state_dir(at("state"), NULL, path, sizeof(path), err,
			      sizeof(err));
	ck_assert_msg(fd >= 0, "%s", err);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	close(fd);
	/* a symlink to it: refused */
	ck_assert_int_eq(symlink(at("state"), at("state-link")), 0);
	ck_assert_int_eq(os_state_dir(at("state-link"), NULL, path,
				      sizeof(path), err, sizeof(err)),
			 -1);
	/* open to others: refused */
	ck_assert_int_eq(mkdir(at("open"), 0755), 0);
	ck_assert_int_eq(chmod(at("open"), 0755), 0);
	ck_assert_int_eq(os_state_dir(at("open"), NULL, path, sizeof(path), err,
				      sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "mode 0755 lets other users in"), "%s", err);
	/* the default under TMP: TMP/wssim-EUID, same rules */
	unsetenv("XDG_RUNTIME_DIR");
	if (geteuid() != 0) {
		fd = os_state_dir(NULL, dir, path, sizeof(path), err,
				  sizeof(err));
		ck_assert_msg(fd >= 0, "%s", err);
		close(fd);
		char want[PATH_MAX + 32];
		snprintf(want, sizeof(want), "%s/wssim-%u", dir,
			 (unsigned)geteuid());
		ck_assert_str_eq(path, want);
	} else {
		/* someone else's directory where ours would be */
		ck_assert_int_eq(mkdir(at("planted"), 0700), 0);
		ck_assert_int_eq(chown(at("planted"), 65534, 65534), 0);
		ck_assert_int_eq(os_state_dir(at("planted"), NULL, path,
					      sizeof(path), err, sizeof(err)),
				 -1);
		ck_assert_msg(strstr(err, "owned by uid 65534, not by uid 0"),
			      "%s", err);
		fd = os_state_dir(NULL, dir, path, sizeof(path), err,
				  sizeof(err));
		ck_assert_msg(fd >= 0, "%s", err);
		close(fd);
		ck_assert_str_eq(path, "/run/wssim");
	}
}
END_TEST

/* A child that records a run (dir `rundir`, process `victim`) in the
 * state dir and dies: the record is then a dead run's. */
static void dead_run(int sfd, const char *rundir, pid_t victim)
{
	pid_t c = fork();
	if (c == 0) {
		struct os_runreg r;
		char err[256];
		if (os_runreg_open(&r, sfd, err, sizeof(err)) != 0 ||
		    (rundir && os_runreg_dir(&r, rundir) != 0) ||
		    (victim > 0 && os_runreg_proc(&r, victim) != 0))
			_exit(1);
		_exit(0); /* dies holding the record: SIGKILL does the same */
	}
	int status;
	waitpid(c, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static pid_t sleeper(bool own_group)
{
	pid_t p = fork();
	if (p == 0) {
		if (own_group)
			setpgid(0, 0);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	if (own_group)
		setpgid(p, p);
	/* until it is sleep, its start time is the fork's: the same */
	return p;
}

static bool gone(pid_t p)
{
	for (int i = 0; i < 2000; i++) {
		if (waitpid(p, NULL, WNOHANG) == p)
			return true;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

START_TEST(reap_only_what_dead_runs_recorded)
{
	char path[PATH_MAX], err[512];
	int sfd = os_state_dir(at("state"), NULL, path, sizeof(path), err,
			       sizeof(err));
	ck_assert_msg(sfd >= 0, "%s", err);
	/* a live run (this process) with a live process: untouched */
	pid_t mine = sleeper(true);
	ck_assert_int_eq(mkdir(at("wssim-run-live"), 0755), 0);
	struct os_runreg live;
	ck_assert_int_eq(os_runreg_open(&live, sfd, err, sizeof(err)), 0);
	ck_assert_int_eq(os_runreg_dir(&live, at("wssim-run-live")), 0);
	ck_assert_int_eq(os_runreg_proc(&live, mine), 0);
	/* a dead run with a process of its group still running, and a dir
	 * holding a symlink out of it */
	pid_t left = sleeper(true);
	ck_assert_int_eq(mkdir(at("wssim-run-dead"), 0755), 0);
	put(at("precious"), "keep");
	ck_assert_int_eq(symlink(at("precious"), at("wssim-run-dead/link")), 0);
	dead_run(sfd, at("wssim-run-dead"), left);
	/* a dead run whose dir was swapped for another one since */
	ck_assert_int_eq(mkdir(at("wssim-run-swapped"), 0755), 0);
	dead_run(sfd, at("wssim-run-swapped"), 0);
	ck_assert_int_eq(rename(at("wssim-run-swapped"), at("moved")), 0);
	ck_assert_int_eq(mkdir(at("wssim-run-swapped"), 0755), 0);
	put(at("wssim-run-swapped/f"), "not the recorded dir");

	struct os_reap_stats st;
	ck_assert_int_eq(os_runreg_reap(sfd, &st), 2);
	ck_assert_uint_eq(st.killed, 1);
	ck_assert_uint_eq(st.dirs, 1);
	ck_assert(gone(left));
	ck_assert_int_ne(access(at("wssim-run-dead"), F_OK), 0);
	char *s = get(at("precious"));
	ck_assert_str_eq(s, "keep");
	free(s);
	ck_assert_int_eq(access(at("wssim-run-swapped/f"), F_OK), 0);
	ck_assert_int_eq(access(at("wssim-run-live"), F_OK), 0);
	ck_assert_int_eq(kill(mine, 0), 0);
	/* nothing left to do; the live record is still there */
	ck_assert_int_eq(os_runreg_reap(sfd, NULL), 0);
	os_runreg_drop(&live);
	kill(mine, SIGKILL);
	waitpid(mine, NULL, 0);
	close(sfd);
}
END_TEST

START_TEST(reap_spares_a_reused_pid)
{
	char path[PATH_MAX], err[512];
	int sfd = os_state_dir(at("state"), NULL, path, sizeof(path), err,
			       sizeof(err));
	ck_assert_msg(sfd >= 0, "%s", err);
	/* a record naming a live process with another start time: what a
	 * reused pid looks like */
	pid_t other = sleeper(false);
	unsigned long long start;
	for (int i = 0; i < 100 && os_proc_start(other, &start, NULL) != 0; i++)
		usleep(1000);
	ck_assert_int_eq(os_proc_start(other, &start, NULL), 0);
	int fd = openat(sfd, "run-1-0", O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	char boot[64] = "-", *b = NULL;
	if (os_read_file("/proc/sys/kernel/random/boot_id", 100, &b, NULL, err,
			 sizeof(err)) == 0) {
		snprintf(boot, sizeof(boot), "%.36s", b);
		free(b);
	}
	dprintf(fd, "wssim-run 1\nboot %s\nowner 1 1\nproc %d %llu\n", boot,
		(int)other, start + 1);
	close(fd);
	ck_assert_int_eq(os_runreg_reap(sfd, NULL), 1);
	usleep(20000);
	ck_assert_int_eq(waitpid(other, NULL, WNOHANG), 0); /* alive */
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	close(sfd);
}
END_TEST

/* A record never replaces another (a dead run's whose pid came back). */
START_TEST(record_never_replaces_another)
{
	char path[PATH_MAX], err[512];
	int sfd = os_state_dir(at("state"), NULL, path, sizeof(path), err,
			       sizeof(err));
	ck_assert_msg(sfd >= 0, "%s", err);
	for (int i = 0; i < 64; i++) {
		char name[64];
		snprintf(name, sizeof(name), "run-%d-%d", (int)getpid(), i);
		int fd = openat(sfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "old\n", 4), 4);
		close(fd);
	}
	struct os_runreg r;
	ck_assert_int_eq(os_runreg_open(&r, sfd, err, sizeof(err)), 0);
	int old = 0;
	for (int i = 0; i < 64; i++) {
		char name[64], buf[8] = "";
		snprintf(name, sizeof(name), "run-%d-%d", (int)getpid(), i);
		int fd = openat(sfd, name, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		old += read(fd, buf, sizeof(buf)) == 4 && !strcmp(buf, "old\n");
		close(fd);
	}
	ck_assert_int_eq(old, 64);
	os_runreg_drop(&r);
	close(sfd);
}
END_TEST

static void fill(Suite *s, TCase *tc, const TTest *const *tests)
{
	test_scratch_fixture(tc);
	tcase_add_checked_fixture(tc, setup, NULL);
	for (size_t i = 0; tests[i]; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
}

static Suite *os_suite(void)
{
	Suite *s = suite_create("os");
	const TTest *read[] = {read_regular_and_caps, read_refuses_non_regular,
			       read_fd_caps_endless_input, path_show_escapes,
			       NULL};
	const TTest *out[] = {out_replaces_atomically,
			      out_refuses_symlink_unless_forced,
			      out_refuses_dirs_fifos_devices, NULL};
	const TTest *tree[] = {tree_remove_stays_inside, proc_stat_parse, NULL};
	const TTest *reap[] = {
	    state_dir_must_be_private, reap_only_what_dead_runs_recorded,
	    reap_spares_a_reused_pid, record_never_replaces_another, NULL};
	fill(s, tcase_create("read"), read);
	fill(s, tcase_create("out"), out);
	fill(s, tcase_create("tree"), tree);
	fill(s, tcase_create("reap"), reap);
	return s;
}

WSSIM_CHECK_MAIN(os_suite)
