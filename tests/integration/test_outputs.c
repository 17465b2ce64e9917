// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Output files and stdout in hostile or broken surroundings: a stdout whose
 * reader went away, a umask of 077, sudo, a directory link planted by
 * another user, a SIGKILL at any moment, and a disk full at the final
 * write. Each asserts the exact outcome: exit status, file modes and
 * owners, what the directory holds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define NOBODY 65534

/* What a test made, undone by its teardown even when an assertion failed. */
static char *test_dir;
static pid_t test_target;
static char test_mount[PATH_MAX];

static char *make_dir(void)
{
	test_dir = strdup("/tmp/memtrace-outputs-XXXXXX");
	assert_non_null(test_dir);
	assert_non_null(mkdtemp(test_dir));
	return test_dir;
}

static int clean_up(void **state)
{
	char cmd[PATH_MAX + 16];
	int err = 0;

	(void)state;
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	if (test_target > 0) {
		kill(test_target, SIGKILL);
		waitpid(test_target, NULL, 0);
		test_target = 0;
	}
	if (test_mount[0] && umount(test_mount))
		err = -1;
	test_mount[0] = '\0';
	if (test_dir) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
		if (system(cmd))
			err = -1;
	}
	free(test_dir);
	test_dir = NULL;
	return err;
}

/* The directory's entries, sorted, joined by spaces. */
static char *listing(const char *dir)
{
	static char buf[8192];
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t len = 0;

	assert_true(n >= 0);
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "",
					names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return buf;
}

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static json_t *load(const char *path)
{
	json_error_t jerr;
	json_t *snap = json_load_file(path, 0, &jerr);

	if (!snap)
		fail_msg("%s does not parse: %s (line %d)", path, jerr.text, jerr.line);
	assert_string_equal(harness__str(snap, "schema"), "memtrace.snapshot.v1");
	return snap;
}

static void assert_mode_owner(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	if ((st.st_mode & 07777) != mode || st.st_uid != uid || st.st_gid != gid)
		fail_msg("%s: mode %04o owner %u:%u, expected %04o %u:%u", path,
			 st.st_mode & 07777, st.st_uid, st.st_gid, mode, uid, gid);
}

/*
 * memtrace -o PATH --interval 0.1 -- CMD | head -1: the test is head. It
 * reads CMD's first line and closes the pipe; then CMD goes on, and every
 * interval report and the final one meet a closed stdout.
 */
static void run_into_closed_pipe(const char *snap_path, const char *script, struct mt_run *r)
{
	int out[2], err[2], status;
	char line[64];
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execl(MEMTRACE, MEMTRACE, "--interval", "0.1", "-o", snap_path, "--", "/bin/sh",
		      "-c", script, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	assert_int_equal(harness__expect_line(out[0], "hello"), 0);
	close(out[0]);
	*r = (struct mt_run){ .out = strdup("") };
	while ((n = read(err[0], line, sizeof(line))) > 0) {
		r->err = realloc(r->err, len + n + 1);
		assert_non_null(r->err);
		memcpy(r->err + len, line, n);
		len += n;
		r->err[len] = '\0';
	}
	close(err[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	r->status = WEXITSTATUS(status);
}

/*
 * A closed stdout does not kill memtrace: the failure is said once, the
 * snapshot is written whole, and CMD's exit status is memtrace's. CMD itself
 * meets the closed pipe as it would without memtrace: SIGPIPE kills it.
 */
static void test_closed_stdout(void **state)
{
	char *dir = make_dir(), path[PATH_MAX];
	struct mt_run r;
	json_t *snap, *proc;

	(void)state;
	snprintf(path, sizeof(path), "%s/s.json", dir);
	run_into_closed_pipe(path, "echo hello; sleep 1; exit 7", &r);
	if (r.status != 7)
		fail_msg("status %d, expected 7; stderr: %s", r.status, r.err);
	assert_int_equal(count(r.err, "memtrace: cannot write to stdout: Broken pipe\n"), 1);
	snap = load(path);
	assert_true(json_is_true(json_object_get(snap, "final")));
	proc = harness__only_process(snap);
	assert_int_equal(harness__u64(proc, "exit_code"), 7);
	json_decref(snap);
	assert_string_equal(listing(dir), "s.json");
	harness__release(&r);

	/* CMD writes after the reader left: its SIGPIPE is at its default, and ends it */
	run_into_closed_pipe(path, "echo hello; sleep 0.5; echo more; exit 7", &r);
	if (r.status != 128 + SIGPIPE)
		fail_msg("status %d, expected %d; stderr: %s", r.status, 128 + SIGPIPE, r.err);
	assert_int_equal(count(r.err, "memtrace: cannot write to stdout: Broken pipe\n"), 1);
	snap = load(path);
	assert_true(json_is_true(json_object_get(snap, "final")));
	assert_int_equal(harness__u64(harness__only_process(snap), "exit_signal"), SIGPIPE);
	json_decref(snap);
	harness__release(&r);
}

/* Under umask 077 every file and directory memtrace makes is its owner's alone. */
static void test_umask_077(void **state)
{
	char *dir = make_dir(), path[PATH_MAX], trail[PATH_MAX], merged[PATH_MAX];
	struct mt_run r;
	mode_t old;

	(void)state;
	snprintf(path, sizeof(path), "%s/s.json", dir);
	snprintf(trail, sizeof(trail), "%s/trail/", dir);
	snprintf(merged, sizeof(merged), "%s/merged.json", dir);
	old = umask(077);
	harness__run(&r, (const char *const[]){ "-o", path, "--", "/bin/true", NULL });
	assert_int_equal(r.status, 0);
	harness__release(&r);
	harness__run(&r, (const char *const[]){ "-o", trail, "--", "/bin/true", NULL });
	assert_int_equal(r.status, 0);
	harness__release(&r);
	harness__run(&r, (const char *const[]){ "merge", "-o", merged, path, NULL });
	assert_int_equal(r.status, 0);
	harness__release(&r);
	umask(old);
	assert_mode_owner(path, 0600, 0, 0);
	assert_mode_owner(merged, 0600, 0, 0);
	assert_mode_owner(trail, 0700, 0, 0);
	snprintf(path, sizeof(path), "%s/trail/snap-0001.json", dir);
	assert_mode_owner(path, 0600, 0, 0);
	assert_string_equal(listing(dir), "merged.json s.json trail");
}

/* Through sudo the snapshot, a trail's directory and its files are the invoking user's. */
static void test_sudo_owner(void **state)
{
	char *dir = make_dir(), path[PATH_MAX], trail[PATH_MAX], merged[PATH_MAX];
	struct mt_run r;

	(void)state;
	snprintf(path, sizeof(path), "%s/s.json", dir);
	snprintf(trail, sizeof(trail), "%s/trail/", dir);
	snprintf(merged, sizeof(merged), "%s/merged.json", dir);
	setenv("SUDO_UID", "65534", 1);
	setenv("SUDO_GID", "65533", 1);
	harness__run(&r, (const char *const[]){ "-o", path, "--", "/bin/true", NULL });
	assert_int_equal(r.status, 0);
	harness__release(&r);
	harness__run(&r, (const char *const[]){ "-o", trail, "--", "/bin/true", NULL });
	assert_int_equal(r.status, 0);
	harness__release(&r);
	harness__run(&r, (const char *const[]){ "merge", "-o", merged, path, NULL });
	assert_int_equal(r.status, 0);
	harness__release(&r);
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	assert_mode_owner(path, 0644, NOBODY, 65533);
	assert_mode_owner(merged, 0644, NOBODY, 65533);
	assert_mode_owner(trail, 0755, NOBODY, 65533);
	snprintf(path, sizeof(path), "%s/trail/snap-0001.json", dir);
	assert_mode_owner(path, 0644, NOBODY, 65533);
}

/*
 * A directory link another user planted is not followed, for DIR/ and %t
 * alike: one line, exit 1, before CMD runs, nothing written where it points.
 * A link root owns is followed.
 */
static void test_planted_link(void **state)
{
	static const char *const outputs[] = { "%s/planted/", "%s/planted/s-%%t.json",
					       "%s/planted/s.json" };
	char *dir = make_dir(), target[PATH_MAX], link_path[PATH_MAX], ran[PATH_MAX];
	char out[PATH_MAX], expected[PATH_MAX * 2], shown[PATH_MAX + 16];
	struct mt_run r;

	(void)state;
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link_path, sizeof(link_path), "%s/planted", dir);
	snprintf(ran, sizeof(ran), "%s/ran", dir);
	assert_int_equal(mkdir(target, 0777), 0);
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(lchown(link_path, NOBODY, NOBODY), 0);
	for (size_t i = 0; i < sizeof(outputs) / sizeof(*outputs); i++) {
		snprintf(out, sizeof(out), outputs[i], dir);
		if (i < 2)
			snprintf(shown, sizeof(shown), "snapshots to %s", link_path);
		else
			snprintf(shown, sizeof(shown), "snapshot to %s", out);
		snprintf(expected, sizeof(expected),
			 "memtrace: cannot write %s: a symbolic link on the way is owned by uid "
			 "65534, neither root nor the invoking user: not followed\n", shown);
		harness__run(&r, (const char *const[]){ "-o", out, "--", "/usr/bin/touch", ran,
							NULL });
		assert_int_equal(r.status, 1);
		assert_string_equal(r.err, expected);
		assert_string_equal(r.out, "");
		harness__release(&r);
		assert_int_equal(access(ran, F_OK), -1);
		assert_string_equal(listing(target), "");
	}
	/* root's own link: followed */
	assert_int_equal(lchown(link_path, 0, 0), 0);
	snprintf(out, sizeof(out), "%s/planted/", dir);
	harness__run(&r, (const char *const[]){ "-o", out, "--", "/usr/bin/touch", ran, NULL });
	assert_int_equal(r.status, 0);
	harness__release(&r);
	assert_string_equal(listing(target), "snap-0001.json");
	assert_int_equal(access(ran, F_OK), 0);
}

static pid_t start_target(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		execl(PROG("growth_sites"), PROG("growth_sites"), "6000", (char *)NULL);
		_exit(127);
	}
	test_target = pid;
	return pid;
}

/* Every entry is a complete snapshot, snap-NNNN.json: no temporary file, empty or not. */
static int assert_only_snapshots(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[PATH_MAX + 256];
		unsigned int num;
		int end = 0;
		json_t *snap;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (sscanf(e->d_name, "snap-%4u.json%n", &num, &end) != 1 ||
		    (size_t)end != strlen(e->d_name))
			fail_msg("%s holds %s", dir, e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snap = load(path);
		assert_false(json_is_true(json_object_get(snap, "final")));
		json_decref(snap);
		n++;
	}
	closedir(d);
	return n;
}

/* The trail's file names; the snapshots among them. */
static int count_snapshots(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "snap-", 5);
	closedir(d);
	return n;
}

/*
 * SIGKILL while the first snapshot's file is open ahead of time (no
 * interval yet), and at moments among interval snapshots being written
 * (0, 35 and 70 ms after one appeared, every 100 ms): the directory never
 * holds a temporary file, only complete snapshots.
 */
static void test_killed_leaves_no_temp(void **state)
{
	static const long kill_after_ms[] = { -1, 0, 35, 70 };
	char *dir = make_dir(), trail[PATH_MAX], pid_arg[16];
	struct timespec poll_pause = { .tv_nsec = 2000000L };
	struct harness_tracer t;
	struct mt_run r;
	pid_t target = start_target();
	int status, had = 0;

	(void)state;
	snprintf(trail, sizeof(trail), "%s/trail/", dir);
	snprintf(pid_arg, sizeof(pid_arg), "%d", target);
	for (size_t i = 0; i < sizeof(kill_after_ms) / sizeof(*kill_after_ms); i++) {
		bool tick = kill_after_ms[i] >= 0;
		struct timespec pause = { .tv_nsec = (tick ? kill_after_ms[i] : 0) * 1000000L };

		assert_int_equal(harness__start_tracer(&t, (const char *const[]){
					"--json", "--interval", tick ? "0.1" : "60", "-o", trail,
					"-p", pid_arg, NULL }, target), 0);
		/* an interval run: until a snapshot more than the runs before wrote */
		for (int n = 0; tick && count_snapshots(trail) <= had && n < 5000; n++)
			nanosleep(&poll_pause, NULL);
		nanosleep(&pause, NULL);
		assert_int_equal(kill(t.pid, SIGKILL), 0);
		assert_int_equal(harness__finish_tracer(&t, &r), 0);
		assert_int_equal(r.status, 128 + SIGKILL);
		harness__release(&r);
		if (tick)
			assert_true(assert_only_snapshots(trail) > had);
		else
			assert_int_equal(assert_only_snapshots(trail), 0);
		had = assert_only_snapshots(trail);
	}
	assert_int_equal(kill(target, SIGKILL), 0);
	assert_int_equal(waitpid(target, &status, 0), target);
	test_target = 0;
	assert_true(WIFSIGNALED(status));
}

/*
 * A tmpfs of 16 KiB at dir/mnt: a snapshot does not fit once CMD has filled
 * it. Mounted in a mount namespace of the test's own (memtrace and CMD,
 * started later, share it): a test killed half-way leaves no mount behind.
 */
static bool mount_tiny(const char *mnt)
{
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (!unshare(CLONE_NEWNS) && !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) &&
	    !mount("memtrace-test", mnt, "tmpfs", 0, "size=16k")) {
		snprintf(test_mount, sizeof(test_mount), "%s", mnt);
		return true;
	}
	fprintf(stderr, "*** SKIPPED: cannot mount a tmpfs to fill (%s)\n", strerror(errno));
	return false;
}

/*
 * The final snapshot cannot be written (the disk is full): the error is
 * said, CMD is waited for and its status returned, the report still went
 * to stdout, and no partial file is left. In -p mode, with no CMD, exit 1.
 */
static void test_final_write_fails(void **state)
{
	char *dir = make_dir(), mnt[PATH_MAX], path[PATH_MAX + 16], script[PATH_MAX * 2];
	char expected[PATH_MAX * 2], pid_arg[16];
	struct harness_tracer t;
	struct harness_child c;
	struct mt_run r;

	(void)state;
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	if (!mount_tiny(mnt))
		skip();
	snprintf(path, sizeof(path), "%s/s.json", mnt);
	snprintf(script, sizeof(script), "head -c 65536 /dev/zero > %s/fill; exit 3", mnt);
	snprintf(expected, sizeof(expected),
		 "memtrace: cannot write snapshot to %s: No space left on device\n", path);
	harness__run(&r, (const char *const[]){ "-o", path, "--", "/bin/sh", "-c", script, NULL });
	if (r.status != 3 || !strstr(r.err, expected))
		fail_msg("status %d, expected 3 and \"%s\"; stderr: %s", r.status, expected, r.err);
	assert_non_null(strstr(r.out, "Totals: "));
	assert_non_null(strstr(r.out, "Live allocations by stack"));
	assert_string_equal(listing(mnt), "fill");
	harness__release(&r);

	/* -p: the target's status is not memtrace's to return */
	assert_int_equal(harness__spawn(&c, (const char *const[]){ PROG("wait_then_alloc"),
								 NULL }), 0);
	assert_int_equal(harness__expect_line(c.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", c.pid);
	assert_int_equal(harness__start_tracer(&t, (const char *const[]){ "-o", path, "-p",
								 pid_arg, NULL }, c.pid), 0);
	assert_int_equal(write(c.in, "\n", 1), 1);
	assert_int_equal(harness__wait(&c), 0);
	assert_int_equal(harness__finish_tracer(&t, &r), 0);
	if (r.status != 1 || !strstr(r.err, expected))
		fail_msg("status %d, expected 1 and \"%s\"; stderr: %s", r.status, expected, r.err);
	assert_non_null(strstr(r.out, "Totals: "));
	assert_string_equal(listing(mnt), "fill");
	harness__release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_closed_stdout, clean_up),
		cmocka_unit_test_teardown(test_umask_077, clean_up),
		cmocka_unit_test_teardown(test_sudo_owner, clean_up),
		cmocka_unit_test_teardown(test_planted_link, clean_up),
		cmocka_unit_test_teardown(test_killed_leaves_no_temp, clean_up),
		cmocka_unit_test_teardown(test_final_write_fails, clean_up),
	};

	harness__require_bpf("outputs");
	return cmocka_run_group_tests_name("integration: outputs", tests, NULL, NULL);
}
