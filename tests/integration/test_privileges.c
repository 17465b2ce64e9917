// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The capabilities memtrace needs, measured: CAP_SYS_ADMIN and
 * CAP_SYS_PTRACE. Each dropped in turn (capsh, from root's bounding set
 * and from an unprivileged user's ambient set) gives one line and status 1
 * before anything else; the two alone, as uid nobody, trace a program
 * whole, which inherits neither. And why CAP_SYS_ADMIN: the kernel itself
 * refuses a uprobe to CAP_BPF + CAP_PERFMON + CAP_SYS_PTRACE.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/capability.h>
#include <linux/perf_event.h>

#include "harness.h"

#define CAPSH  "/usr/sbin/capsh"
#define NEEDED "cap_sys_admin,cap_sys_ptrace"
#define LINE_START                                                                                 \
	"memtrace: needs CAP_SYS_ADMIN (uprobes) and CAP_SYS_PTRACE (other users' "                \
	"processes); missing "
#define LINE_END ": run it as root (sudo)\n"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The one line memtrace says when these capabilities are missing. */
static const char *missing_line(const char *missing, char *buf, size_t len)
{
	snprintf(buf, len, LINE_START "%s" LINE_END, missing);
	return buf;
}

static void expect_refused(struct mt_run *run, const char *missing)
{
	char want[256];

	if (run->status != 1 || strcmp(run->err, missing_line(missing, want, sizeof(want))))
		fail_msg("expected status 1 and \"%s\", got status %d and: %s", want, run->status,
			 run->err);
	assert_string_equal(run->out, "");
}

/* Root, with cap dropped from the bounding set: what a container's root looks like. */
static void test_root_without_each(void **state)
{
	static const struct {
		const char *drop, *missing;
	} cases[] = {
		{"cap_sys_admin", "CAP_SYS_ADMIN"},
		{"cap_sys_ptrace", "CAP_SYS_PTRACE"},
		{NEEDED, "CAP_SYS_ADMIN and CAP_SYS_PTRACE"},
	};
	struct mt_run run;
	char drop[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(drop, sizeof(drop), "--drop=%s", cases[i].drop);
		harness__run_argv(
			&run, (const char *const[]){CAPSH, drop, "--", "-c",
						    "exec " MEMTRACE " -d 0.1 -- /bin/true", NULL});
		expect_refused(&run, cases[i].missing);
		harness__release(&run);
	}
}

/*
 * uid nobody with the capabilities given as ambient ones (as systemd's
 * AmbientCapabilities= would): caps is what it gets.
 */
static void run_as_nobody(struct mt_run *run, const char *caps, const char *command)
{
	char set[128], amb[96], cmd[512];

	snprintf(set, sizeof(set), "--caps=%s+eip cap_setpcap,cap_setuid,cap_setgid+ep", caps);
	snprintf(amb, sizeof(amb), "--addamb=%s", caps);
	snprintf(cmd, sizeof(cmd), "exec %s", command);
	harness__run_argv(run, (const char *const[]){CAPSH, set, "--keep=1", "--user=nobody", amb,
						     "--", "-c", cmd, NULL});
}

static void test_nobody_without_each(void **state)
{
	static const struct {
		const char *caps, *missing;
	} cases[] = {
		{"cap_sys_ptrace", "CAP_SYS_ADMIN"},
		{"cap_sys_admin", "CAP_SYS_PTRACE"},
		/* what the README used to promise */
		{"cap_bpf,cap_perfmon,cap_sys_ptrace", "CAP_SYS_ADMIN"},
	};
	struct mt_run run;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_as_nobody(&run, cases[i].caps, MEMTRACE " -d 0.1 -- /bin/true");
		expect_refused(&run, cases[i].missing);
		harness__release(&run);
	}
}

/* The two alone, uid nobody: a whole trace, exact leaks; CMD gets no capability. */
static void test_nobody_with_both(void **state)
{
	struct leak_sum keep;
	struct mt_run run;
	json_t *proc;

	(void)state;
	run_as_nobody(&run, NEEDED, MEMTRACE " --json --stack=fp -- " PROG("diff_prog"));
	if (run.status)
		fail_msg("status %d: %s", run.status, run.err);
	assert_non_null(run.snap);
	proc = harness__only_process(run.snap);
	assert_string_equal(harness__str(proc, "comm"), "diff_prog");
	/* tests/progs/diff_prog.c: keep_site leaks 4 x 1000 */
	keep = harness__leaks_by_caller(run.snap, (pid_t)harness__u64(proc, "pid"), "keep_site");
	assert_int_equal(keep.bytes, 4000);
	assert_int_equal(keep.count, 4);
	harness__release(&run);

	/* the ambient capabilities stop at memtrace */
	run_as_nobody(&run, NEEDED, MEMTRACE " --stack=none -- /bin/grep CapEff /proc/self/status");
	assert_int_equal(run.status, 0);
	assert_true(strncmp(run.out, "CapEff:\t0000000000000000\n", 25) == 0);
	harness__release(&run);
}

/* A uprobe perf event on path, as libbpf makes one, by a child with exactly caps; its errno. */
static int uprobe_with_caps(const char *path, const int *caps, size_t nr)
{
	int fds[2], status, result = -1;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct data[2] = {};
		struct perf_event_attr attr = {.size = sizeof(attr), .disabled = 1};
		char type[16] = "";
		int fd, err = 0;
		FILE *f;

		f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
		if (!f || !fgets(type, sizeof(type), f))
			_exit(1);
		attr.type = (unsigned int)atoi(type);
		attr.config1 = (uint64_t)(uintptr_t)path;
		attr.config2 = 0;
		for (size_t i = 0; i < nr; i++) {
			data[caps[i] / 32].effective |= 1U << (caps[i] % 32);
			data[caps[i] / 32].permitted |= 1U << (caps[i] % 32);
		}
		if (syscall(SYS_capset, &hdr, data))
			_exit(2);
		/* this process only: the file is mapped by no one, so nothing is ever hit */
		fd = (int)syscall(SYS_perf_event_open, &attr, getpid(), -1, -1,
				  PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			err = errno;
		if (write(fds[1], &err, sizeof(err)) != sizeof(err))
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &result, sizeof(result)), sizeof(result));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return result;
}

/*
 * Why CAP_SYS_ADMIN: kernel commit ba677dbe77af ("perf: Revert to requiring
 * CAP_SYS_ADMIN for uprobes", 6.16, and the stable kernels it went to).
 */
static void test_kernel_wants_sys_admin(void **state)
{
	static const int old_set[] = {CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE};
	static const int admin[] = {CAP_SYS_ADMIN};
	char dir[] = "/tmp/memtrace-priv-XXXXXX", path[64], cmd[128];
	struct utsname u;
	int major = 0, minor = 0, err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* a copy of /bin/true that no process maps */
	snprintf(path, sizeof(path), "%s/target", dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/true %s", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(uprobe_with_caps(path, admin, 1), 0);
	err = uprobe_with_caps(path, old_set, 3);
	assert_int_equal(uname(&u), 0);
	sscanf(u.release, "%d.%d", &major, &minor);
	/* before 6.16, a kernel without the backport took CAP_PERFMON: then either is right */
	if (major > 6 || (major == 6 && minor >= 16))
		assert_int_equal(err, EACCES);
	else
		assert_true(err == EACCES || err == 0);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_without_each),
		cmocka_unit_test(test_nobody_without_each),
		cmocka_unit_test(test_nobody_with_both),
		cmocka_unit_test(test_kernel_wants_sys_admin),
	};

	harness__require_bpf("privileges");
	if (access(CAPSH, X_OK)) {
		fprintf(stderr, "FAILED: %s missing: tools/install-deps.sh installs libcap2-bin\n",
			CAPSH);
		return 1;
	}
	return cmocka_run_group_tests_name("integration: privileges", tests, NULL, NULL);
}
