// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Launch mode run through sudo: CMD runs as the user who ran sudo (SUDO_UID,
 * SUDO_GID), with that user's groups, HOME, USER and LOGNAME; --user picks
 * the user, --user root keeps root; a user that does not exist is a usage
 * error. tests/progs/run_as_ids.c prints who it runs as and leaks exactly
 * 4321 bytes, its only allocation. The test user, with a supplementary
 * group of its own, is created here when the machine lacks it.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define IDS PROG("run_as_ids")
#define TEST_USER "memtrace-runas"
#define TEST_GROUP "memtrace-runas2"

static struct passwd user;	/* TEST_USER's entry, its strings copied */
static gid_t extra_gid;		/* TEST_GROUP: the user's supplementary group */

static int run_tool(const char *const *argv)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * The user and its group, made once per machine and kept: tests of other
 * worktrees may run at the same time, and useradd fails while another holds
 * the lock on /etc/passwd, so it is tried again until the entry is there.
 */
static int setup(void **state)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;

	(void)state;
	for (int i = 0; i < 50; i++) {
		gr = getgrnam(TEST_GROUP);
		pw = getpwnam(TEST_USER);
		if (gr && pw)
			break;
		if (!gr)
			run_tool((const char *const[]){ "/usr/sbin/groupadd", "-f", "--system",
							TEST_GROUP, NULL });
		else
			run_tool((const char *const[]){ "/usr/sbin/useradd", "--system",
							"--no-create-home", "--home-dir",
							"/nonexistent/" TEST_USER, "--shell",
							"/usr/sbin/nologin", "--gid", "nogroup",
							"--groups", TEST_GROUP, TEST_USER, NULL });
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
	if (!gr || !pw) {
		fprintf(stderr, "cannot create the test user %s (useradd, groupadd)\n", TEST_USER);
		return -1;
	}
	extra_gid = gr->gr_gid;
	user = *pw;
	user.pw_name = strdup(pw->pw_name);
	user.pw_dir = strdup(pw->pw_dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(user.pw_name);
	free(user.pw_dir);
	return 0;
}

/* sudo's environment: who ran it, and HOME, USER and LOGNAME root's (Debian's sudoers) */
static void set_sudo_env(const char *uid, const char *gid)
{
	setenv("SUDO_UID", uid, 1);
	setenv("SUDO_GID", gid, 1);
	setenv("SUDO_USER", user.pw_name, 1);
	setenv("HOME", "/root", 1);
	setenv("USER", "root", 1);
	setenv("LOGNAME", "root", 1);
}

static void clear_sudo_env(void)
{
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	unsetenv("SUDO_USER");
}

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

/* The line run_as_ids prints for these ids and groups (sorted here). */
static void ids_line(char *out, size_t len, uid_t uid, gid_t gid, gid_t *groups, int n,
		     const char *home, const char *name, const char *logname)
{
	size_t off;

	qsort(groups, (size_t)n, sizeof(*groups), cmp_gid);
	off = (size_t)snprintf(out, len, "ids: uid=%u gid=%u euid=%u egid=%u groups=", uid, gid,
			       uid, gid);
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%u", i ? "," : "", groups[i]);
	snprintf(out + off, len - off, " home=%s user=%s logname=%s\n", home, name, logname);
}

/* What the test user's CMD must print: its groups are nogroup and TEST_GROUP. */
static void user_line(char *out, size_t len, gid_t gid)
{
	gid_t groups[] = { user.pw_gid, extra_gid };

	ids_line(out, len, user.pw_uid, gid, groups, 2, user.pw_dir, user.pw_name, user.pw_name);
}

static const char *env_or_unset(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "(unset)";
}

/* What CMD prints when it keeps memtrace's (this test's) identity and environment. */
static void root_line(char *out, size_t len)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	assert_true(n >= 0);
	ids_line(out, len, 0, getgid(), groups, n, env_or_unset("HOME"), env_or_unset("USER"),
		 env_or_unset("LOGNAME"));
}

/* memtrace ... -- run_as_ids: CMD printed line, and counted its one block exactly. */
static void expect_ids(const char *const *args, const char *line)
{
	struct mt_run run;
	json_t *p;
	struct leak_sum sum;
	const char *got;

	harness__run(&run, args);
	if (run.status != 0 || !run.snap)
		fail_msg("memtrace failed (status %d):\n%s", run.status, run.err);
	got = strstr(run.err, "ids: ");
	if (!got || strncmp(got, line, strlen(line)))
		fail_msg("expected %sgot: %s", line, run.err);
	p = harness__only_process(run.snap);
	assert_string_equal(harness__str(p, "comm"), "run_as_ids");
	assert_int_equal(harness__u64(p, "allocs"), 1);
	assert_int_equal(harness__u64(p, "allocated_bytes"), 4321);
	assert_int_equal(harness__u64(p, "current_bytes"), 4321);
	sum = harness__leaks_by_caller(run.snap, (pid_t)harness__u64(p, "pid"), "ids_leak");
	assert_int_equal(sum.bytes, 4321);
	assert_int_equal(sum.count, 1);
	assert_int_equal(harness__u64(run.snap, "lost_events"), 0);
	harness__release(&run);
}

/* Through sudo: the invoking user, its login groups, its HOME, USER and LOGNAME. */
static void test_sudo_user(void **state)
{
	char uid[16], gid[16], line[512];

	(void)state;
	snprintf(uid, sizeof(uid), "%u", user.pw_uid);
	snprintf(gid, sizeof(gid), "%u", user.pw_gid);
	set_sudo_env(uid, gid);
	user_line(line, sizeof(line), user.pw_gid);
	expect_ids((const char *const[]){ "--json", "--stack=fp", "--", IDS, NULL }, line);
	/* the preload library's probe counts the same user's call */
	expect_ids((const char *const[]){ "--json", "--stack=fp", "--preload", "--", IDS, NULL },
		   line);
	clear_sudo_env();
}

/* sudo run from `sg TEST_GROUP`: SUDO_GID is the group CMD runs with; the groups stay login's. */
static void test_sudo_gid(void **state)
{
	char uid[16], gid[16], line[512];

	(void)state;
	snprintf(uid, sizeof(uid), "%u", user.pw_uid);
	snprintf(gid, sizeof(gid), "%u", extra_gid);
	set_sudo_env(uid, gid);
	user_line(line, sizeof(line), extra_gid);
	expect_ids((const char *const[]){ "--json", "--stack=fp", "--", IDS, NULL }, line);
	clear_sudo_env();
}

/* --user by name or by uid, without sudo: that user's primary group. */
static void test_user_option(void **state)
{
	char uid[16], line[512];

	(void)state;
	clear_sudo_env();
	snprintf(uid, sizeof(uid), "%u", user.pw_uid);
	user_line(line, sizeof(line), user.pw_gid);
	expect_ids((const char *const[]){ "--json", "--stack=fp", "--user", TEST_USER, "--", IDS,
					  NULL },
		   line);
	expect_ids((const char *const[]){ "--json", "--stack=fp", "--user", uid, "--", IDS, NULL },
		   line);
}

/* --user root under sudo, and root without sudo: CMD keeps memtrace's identity. */
static void test_root_kept(void **state)
{
	char uid[16], gid[16], line[512];

	(void)state;
	snprintf(uid, sizeof(uid), "%u", user.pw_uid);
	snprintf(gid, sizeof(gid), "%u", user.pw_gid);
	set_sudo_env(uid, gid);
	root_line(line, sizeof(line));
	expect_ids((const char *const[]){ "--json", "--stack=fp", "--user", "root", "--", IDS,
					  NULL },
		   line);
	clear_sudo_env();
	expect_ids((const char *const[]){ "--json", "--stack=fp", "--", IDS, NULL }, line);
	/* no ids sudo writes: not run through sudo, as for the output files' owner */
	setenv("SUDO_UID", "abc", 1);
	setenv("SUDO_GID", gid, 1);
	expect_ids((const char *const[]){ "--json", "--stack=fp", "--", IDS, NULL }, line);
	clear_sudo_env();
}

static void expect_usage_error(const char *const *args, const char *message)
{
	struct mt_run run;

	harness__run(&run, args);
	assert_int_equal(run.status, 64);
	assert_string_equal(run.err, message);
	assert_string_equal(run.out, "");
	harness__release(&run);
}

/* Who does not exist: one line, status 64, nothing started. */
static void test_no_such_user(void **state)
{
	(void)state;
	clear_sudo_env();
	expect_usage_error((const char *const[]){ "--user", "memtrace-no-such-user", "--", IDS,
						  NULL },
			   "memtrace: --user memtrace-no-such-user: no such user\n");
	setenv("SUDO_UID", "4294967294", 1);
	setenv("SUDO_GID", "65534", 1);
	expect_usage_error((const char *const[]){ "--", IDS, NULL },
			   "memtrace: SUDO_UID 4294967294 is no user of this machine: choose the "
			   "user with --user\n");
	clear_sudo_env();
}

/* A CMD the user may not run (in a directory only root enters): one line, status 1. */
static void test_not_executable_by_user(void **state)
{
	char dir[] = "/tmp/memtrace-runas-XXXXXX", cmd[PATH_MAX], expected[PATH_MAX + 128];
	struct mt_run run;

	(void)state;
	clear_sudo_env();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0700), 0);
	snprintf(cmd, sizeof(cmd), "%s/run_as_ids", dir);
	assert_int_equal(run_tool((const char *const[]){ "/bin/cp", IDS, cmd, NULL }), 0);
	harness__run(&run, (const char *const[]){ "--json", "--stack=fp", "--user", TEST_USER, "--",
						   cmd, NULL });
	assert_int_equal(run.status, 1);
	snprintf(expected, sizeof(expected), "memtrace: cannot run '%s' as %s: Permission denied\n",
		 cmd, TEST_USER);
	assert_string_equal(run.err, expected);
	assert_string_equal(run.out, "");
	harness__release(&run);
	unlink(cmd);
	rmdir(dir);
}

/*
 * CMD, another user's program now, holds no file memtrace opened: not the
 * snapshot being written (-o), whose temporary file it could write into.
 */
static void test_no_file_of_memtrace(void **state)
{
	char dir[] = "/tmp/memtrace-runas-fds-XXXXXX", out[64], expected[128], line[512];
	struct mt_run run;
	const char *got;

	(void)state;
	clear_sudo_env();
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/snap.json", dir);
	harness__run(&run, (const char *const[]){ "--stack=fp", "-o", out, "--user", TEST_USER,
						   "--", IDS, dir, NULL });
	if (run.status != 0)
		fail_msg("memtrace failed (status %d):\n%s", run.status, run.err);
	user_line(line, sizeof(line), user.pw_gid);
	snprintf(expected, sizeof(expected), "fds under %s: 0\n", dir);
	got = strstr(run.err, "ids: ");
	assert_non_null(got);
	assert_true(!strncmp(got, line, strlen(line)));
	assert_non_null(strstr(run.err, expected));
	harness__release(&run);
	assert_int_equal(unlink(out), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sudo_user),
		cmocka_unit_test(test_sudo_gid),
		cmocka_unit_test(test_user_option),
		cmocka_unit_test(test_root_kept),
		cmocka_unit_test(test_no_such_user),
		cmocka_unit_test(test_not_executable_by_user),
		cmocka_unit_test(test_no_file_of_memtrace),
	};

	harness__require_bpf("run as");
	return cmocka_run_group_tests_name("integration: run as", tests, setup, teardown);
}
