// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * However memtrace ends, the processes it probed keep no breakpoint: their
 * code in memory equals the files they map (harness__code_changes), checked
 * once the keeper that holds the probes has exited. Each way of ending is
 * tried on a -p target, and on an untraced bystander that maps the same
 * libc while --comm probes that file for every process. Launch mode: a
 * memtrace killed while CMD is held at its startup stop leaves CMD running
 * to its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Names of this run's own: another run's leftovers must not join its --comm */
static char traced_comm[16], bystander_comm[16];
static char tracing_line[64];

/* Loops started and not stopped yet: a failed test's teardown ends them. */
static pid_t loops[8];

enum ending {
	END_INT_TWICE,		/* a second Ctrl-C */
	END_TERM_THEN_KILL,	/* timeout -k: SIGTERM, SIGKILL 50 ms later */
	END_KILL,		/* SIGKILL while tracing */
	END_KILL_AFTER_REPORT,	/* SIGKILL once the report is out: while the probes go */
	END_CRASH,		/* SIGSEGV: a crash */
};

static const char *const ending_names[] = { "second Ctrl-C", "SIGTERM then SIGKILL",
					    "SIGKILL while tracing", "SIGKILL after the report",
					    "SIGSEGV" };

static void start_loop(struct harness_child *c, const char *comm)
{
	assert_int_equal(
		harness__spawn(c, (const char *const[]){ PROG("alloc_forever"), comm, NULL }), 0);
	for (size_t i = 0; i < sizeof(loops) / sizeof(loops[0]); i++)
		if (!loops[i]) {
			loops[i] = c->pid;
			break;
		}
	assert_int_equal(harness__expect_line(c->out, "ready"), 0);
}

static void stop_loop(struct harness_child *c)
{
	for (size_t i = 0; i < sizeof(loops) / sizeof(loops[0]); i++)
		if (loops[i] == c->pid)
			loops[i] = 0;
	kill(c->pid, SIGKILL);
	harness__wait(c);
}

static char proc_state(pid_t pid);

/*
 * A failed test's leftovers: its loops, a memtrace it was waiting for, a
 * CMD it adopted. Keepers are left to finish: they remove probes.
 */
static int end_children(void **state)
{
	char path[64], comm[32];
	int child;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	while (f && fscanf(f, "%d", &child) == 1) {
		FILE *c;

		snprintf(path, sizeof(path), "/proc/%d/comm", child);
		c = fopen(path, "r");
		comm[0] = '\0';
		if (c && !fgets(comm, sizeof(comm), c))
			comm[0] = '\0';
		if (c)
			fclose(c);
		if (strncmp(comm, "memtrace-keeper", 15) && proc_state(child) != 'Z')
			kill(child, SIGKILL);
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		if (loops[i])
			waitpid(loops[i], NULL, 0);
		loops[i] = 0;
	}
	return 0;
}

/* Reads memtrace's stdout until the report's "Lost events" line: the report is written. */
static void wait_report(int fd)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "Lost events"))
			return;
	}
	fail_msg("no report on memtrace's stdout");
}

static void end_tracer(struct harness_tracer *t, enum ending how)
{
	switch (how) {
	case END_INT_TWICE:
		kill(t->pid, SIGINT);
		usleep(2000);
		kill(t->pid, SIGINT);
		break;
	case END_TERM_THEN_KILL:
		kill(t->pid, SIGTERM);
		usleep(50000);
		kill(t->pid, SIGKILL);
		break;
	case END_KILL:
		kill(t->pid, SIGKILL);
		break;
	case END_KILL_AFTER_REPORT:
		kill(t->pid, SIGINT);
		wait_report(t->out);
		kill(t->pid, SIGKILL);
		break;
	case END_CRASH:
		kill(t->pid, SIGSEGV);
		break;
	}
}

/* The probes were in: the check below can tell a breakpoint from none. */
static void assert_probed(pid_t pid, const char *who)
{
	long changed = harness__code_changes(pid);

	if (changed <= 0)
		fail_msg("%s (PID %d): no probe in its code while traced (%ld)", who, pid, changed);
}

static void assert_untouched(pid_t pid, const char *who, enum ending how)
{
	long changed = harness__code_changes(pid);

	if (changed)
		fail_msg("%s (PID %d) after %s: %ld bytes of its code differ from its files", who,
			 pid, ending_names[how], changed);
}

static void finish(struct harness_tracer *t, struct mt_run *run)
{
	assert_int_equal(harness__finish_tracer(t, run), 0);
	assert_int_equal(harness__wait_keeper(run->err), 0);
}

static void test_pid_target(void **state)
{
	struct harness_child target;
	struct harness_tracer t;
	struct mt_run run;
	char pid[16];

	(void)state;
	start_loop(&target, NULL);
	snprintf(pid, sizeof(pid), "%d", target.pid);
	for (enum ending how = END_INT_TWICE; how <= END_CRASH; how++) {
		assert_int_equal(harness__start_tracer(&t, (const char *const[]){ "-v", "-p", pid,
										   NULL },
						       target.pid),
				 0);
		assert_probed(target.pid, "the -p target");
		end_tracer(&t, how);
		finish(&t, &run);
		assert_untouched(target.pid, "the -p target", how);
		harness__release(&run);
	}
	stop_loop(&target);
}

/* The same where each probe has a perf-event link of its own (kernels before 6.6). */
static void test_pid_target_per_probe_links(void **state)
{
	setenv("MEMTRACE_NO_UPROBE_MULTI", "1", 1);
	test_pid_target(state);
	unsetenv("MEMTRACE_NO_UPROBE_MULTI");
}

static void test_comm_bystander(void **state)
{
	struct harness_child traced, bystander;
	struct harness_tracer t;
	struct mt_run run;

	(void)state;
	start_loop(&traced, traced_comm);
	start_loop(&bystander, bystander_comm);
	for (enum ending how = END_INT_TWICE; how <= END_CRASH; how++) {
		assert_int_equal(harness__start_tracer_until(
					 &t, (const char *const[]){ "-v", "--comm", traced_comm, NULL },
					 tracing_line),
				 0);
		/* probes per file: the bystander mapping the same libc has them too */
		assert_probed(traced.pid, "the --comm target");
		assert_probed(bystander.pid, "the bystander");
		end_tracer(&t, how);
		finish(&t, &run);
		assert_untouched(traced.pid, "the --comm target", how);
		assert_untouched(bystander.pid, "the bystander", how);
		harness__release(&run);
	}
	stop_loop(&traced);
	stop_loop(&bystander);
}

/* SIGKILL at every moment of the attach, from memtrace's first instruction on. */
static void test_killed_while_attaching(void **state)
{
	struct harness_child target, bystander;
	struct mt_run run;
	char pid[16];

	(void)state;
	start_loop(&target, traced_comm);
	start_loop(&bystander, bystander_comm);
	snprintf(pid, sizeof(pid), "%d", target.pid);
	for (int ms = 0; ms <= 480; ms += 20) {
		const char *const pid_args[] = { "-v", "-p", pid, NULL };
		const char *const comm_args[] = { "-v", "--comm", traced_comm, NULL };
		struct harness_tracer t;

		/* no line to wait for: the kill comes wherever memtrace is by then */
		assert_int_equal(harness__start_tracer_until(&t, ms % 40 ? comm_args : pid_args,
							     NULL),
				 0);
		harness__tracer_drain(&t, ms);
		kill(t.pid, SIGKILL);
		assert_int_equal(harness__finish_tracer(&t, &run), 0);
		/* killed before the keeper started: then nothing was attached */
		if (strstr(run.err, "held by PID "))
			assert_int_equal(harness__wait_keeper(run.err), 0);
		assert_untouched(target.pid, "the target", END_KILL);
		assert_untouched(bystander.pid, "the bystander", END_KILL);
		harness__release(&run);
	}
	stop_loop(&target);
	stop_loop(&bystander);
}

/*
 * Launch mode with -f probes libc for every process: SIGKILL at every 20 ms
 * of the launch, the child waiting at its gate included, leaves a
 * bystander untouched.
 */
static void test_launch_killed_while_attaching(void **state)
{
	struct harness_child bystander;
	struct mt_run run;

	(void)state;
	start_loop(&bystander, bystander_comm);
	for (int ms = 0; ms <= 480; ms += 20) {
		struct harness_tracer t;

		assert_int_equal(harness__start_tracer_until(
					 &t, (const char *const[]){ "-v", "-f", "--",
								    PROG("exit_after_start"), NULL },
					 NULL),
				 0);
		harness__tracer_drain(&t, ms);
		kill(t.pid, SIGKILL);
		assert_int_equal(harness__finish_tracer(&t, &run), 0);
		if (strstr(run.err, "held by PID "))
			assert_int_equal(harness__wait_keeper(run.err), 0);
		assert_untouched(bystander.pid, "the bystander", END_KILL);
		harness__release(&run);
	}
	stop_loop(&bystander);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *end;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	end = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return end && end[1] ? end[2] : 0;
}

/* memtrace's child that is stopped (traced or job-control), or 0. */
static pid_t stopped_child(pid_t memtrace)
{
	char path[64];
	int child = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", memtrace, memtrace);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &child) == 1) {
		char st = proc_state(child);

		if (st == 't' || st == 'T')
			break;
		child = 0;
	}
	fclose(f);
	return child;
}

/* Waits for pid, now this process's child (a subreaper's), at most 10 s. */
static int reap_adopted(pid_t pid)
{
	int status;

	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	fail_msg("CMD (PID %d) did not end: left %c", pid, proc_state(pid));
	return -1;
}

/*
 * Kills memtrace while CMD is held at its startup stop: frozen first
 * (SIGSTOP), so that CMD is known to be held when the SIGKILL comes.
 */
static void kill_at_startup_stop(void)
{
	for (int attempt = 0; attempt < 20; attempt++) {
		struct harness_tracer t;
		struct mt_run run;
		pid_t cmd = 0;
		int status;

		/* no -v: stderr is not read until the end, its pipe must not fill */
		assert_int_equal(harness__start_tracer_until(
					 &t, (const char *const[]){ "--", PROG("exit_after_start"), NULL },
					 NULL),
				 0);
		/* the stop lasts ~30 ms, ~0.3 s into the run: poll for it, at most 20 s */
		for (int i = 0; i < 200000 && !(cmd = stopped_child(t.pid)); i++)
			usleep(100);
		kill(t.pid, SIGSTOP);
		/* a SIGSTOP takes effect when memtrace next leaves the kernel */
		for (int i = 0; i < 10000 && proc_state(t.pid) != 'T'; i++)
			usleep(100);
		if (!cmd || (proc_state(cmd) != 't' && proc_state(cmd) != 'T')) {
			/* too late: it went on before the freeze; try again */
			kill(t.pid, SIGKILL);
			harness__finish_tracer(&t, &run);
			if (cmd)
				reap_adopted(cmd);
			harness__release(&run);
			continue;
		}
		kill(t.pid, SIGKILL);
		assert_int_equal(harness__finish_tracer(&t, &run), 0);
		assert_int_equal(run.status, 128 + SIGKILL);
		status = reap_adopted(cmd);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 7);
		assert_non_null(strstr(run.out, "done\n"));
		harness__release(&run);
		return;
	}
	fail_msg("never caught CMD at its startup stop in 20 attempts");
}

static void test_killed_at_startup_stop(void **state)
{
	(void)state;
	kill_at_startup_stop();
}

/* Where ptrace is refused, CMD is stopped with SIGSTOP: the keeper continues it. */
static void test_killed_at_startup_stop_untraced(void **state)
{
	(void)state;
	setenv("MEMTRACE_NO_PTRACE", "1", 1);
	kill_at_startup_stop();
	unsetenv("MEMTRACE_NO_PTRACE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pid_target, end_children),
		cmocka_unit_test_teardown(test_pid_target_per_probe_links, end_children),
		cmocka_unit_test_teardown(test_comm_bystander, end_children),
		cmocka_unit_test_teardown(test_killed_while_attaching, end_children),
		cmocka_unit_test_teardown(test_launch_killed_while_attaching, end_children),
		cmocka_unit_test_teardown(test_killed_at_startup_stop, end_children),
		cmocka_unit_test_teardown(test_killed_at_startup_stop_untraced, end_children),
	};

	harness__require_bpf("no_harm");
	snprintf(traced_comm, sizeof(traced_comm), "nh%dt", (int)getpid());
	snprintf(bystander_comm, sizeof(bystander_comm), "nh%db", (int)getpid());
	snprintf(tracing_line, sizeof(tracing_line), "memtrace: tracing 1 processes of name %s",
		 traced_comm);
	/* CMD, orphaned by a killed memtrace, is reaped here */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
