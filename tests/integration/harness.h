/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Integration-test helpers: run the real build/memtrace (real BPF, real
 * uprobes) against the programs in tests/progs, and read its JSON snapshot
 * with jansson.
 */
#ifndef MEMTRACE_TEST_HARNESS_H
#define MEMTRACE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define MEMTRACE "build/memtrace"
#define PROG(name) "build/tests/progs/" name

struct mt_run {
	int status;		/* memtrace's exit status (128+N: killed by signal N) */
	char *out;		/* its stdout */
	char *err;		/* its stderr */
	json_t *snap;		/* stdout parsed as JSON, or NULL */
};

/*
 * Exits the test binary with status 0 and a loud SKIP line when BPF is not
 * usable here (not root, or no kernel BTF). Call first in main(). Clears
 * sudo's SUDO_UID, SUDO_GID and SUDO_USER: launched CMDs run as root.
 */
void harness__require_bpf(const char *suite);

/* Runs memtrace with args (NULL-terminated, without argv[0]) and waits. */
int harness__run(struct mt_run *r, const char *const *args);
/* The same for any command line (argv[0] a path): memtrace under capsh, say. */
int harness__run_argv(struct mt_run *r, const char *const *argv);
void harness__release(struct mt_run *r);

/* A child started with pipes on stdin and stdout. */
struct harness_child {
	pid_t pid;
	int in;		/* write end of its stdin */
	int out;	/* read end of its stdout */
};

int harness__spawn(struct harness_child *c, const char *const *argv);
/* Reads c's stdout up to and including a line equal to line; -ETIMEDOUT after 10 s. */
int harness__expect_line(int fd, const char *line);
/* Waits for c to exit; its wait status. */
int harness__wait(struct harness_child *c);

/*
 * memtrace in the background (-p mode): started, and its stderr read until
 * the "tracing PID" line says the probes are attached.
 */
struct harness_tracer {
	pid_t pid;
	int out;	/* its stdout */
	int err;	/* its stderr */
	char *err_text;	/* stderr read so far */
};

int harness__start_tracer(struct harness_tracer *t, const char *const *args, pid_t traced);
/*
 * The same, for scopes (-a, --cgroup, --comm): until a stderr line that
 * starts with want; a NULL want returns at once, wherever memtrace is.
 */
int harness__start_tracer_until(struct harness_tracer *t, const char *const *args,
				const char *want);
/* Reads its stderr on until a line that starts with want (kept for the run's err). */
int harness__tracer_expect(struct harness_tracer *t, const char *want);
/* Reads its stderr on for ms milliseconds, so that -v output cannot fill the pipe. */
void harness__tracer_drain(struct harness_tracer *t, int ms);
/* Waits for it to end; collects its output into r. */
int harness__finish_tracer(struct harness_tracer *t, struct mt_run *r);

/*
 * The -p round trip: starts target (a program that prints "ready" and
 * waits for a line on stdin), attaches `memtrace --json -p PID`, lets the
 * target go, and collects memtrace's output once the target has exited
 * (status 0, checked). *pid gets the target's PID.
 */
void harness__trace_running(const char *const *target, struct mt_run *r, pid_t *pid);
/* The same with more memtrace options (NULL-terminated) before --json -p PID. */
void harness__trace_running_opts(const char *const *target, const char *const *opts,
				 struct mt_run *r, pid_t *pid);

/* JSON lookups; they fail the current test when a field is missing. */
uint64_t harness__u64(const json_t *obj, const char *key);
const char *harness__str(const json_t *obj, const char *key);
json_t *harness__process(const json_t *snap, pid_t pid);
json_t *harness__only_process(const json_t *snap);
json_t *harness__thread_by_comm(const json_t *process, const char *comm);

/*
 * Bytes of pid's executable file mappings (its code) that differ from the
 * files they map: a uprobe's breakpoint is one. 0 means untouched;
 * negative errno when its memory cannot be read.
 */
long harness__code_changes(pid_t pid);
/*
 * The keeper that holds memtrace's probes (named in its -v output, "held by
 * PID N"): waits until it has removed them and exited; -ETIMEDOUT after 10 s.
 */
int harness__wait_keeper(const char *memtrace_stderr);

/* The leak site of exactly bytes bytes; fails the test when there is none. */
json_t *harness__leak_of(const json_t *snap, uint64_t bytes);
/* The symbol of frame i of a leak's stack; "" when it has none (or no such frame). */
const char *harness__frame_symbol(const json_t *leak, size_t i);
/* The line of source (a tests/progs file) holding the comment "MARK: name". */
unsigned int harness__marker_line(const char *source, const char *name);

/* The line of a Python source (a tests/progs file) that ends with the comment "# MARK: name". */
unsigned int harness__py_marker_line(const char *source, const char *name);

/*
 * Stacks with Python frames (issue 15): a frame of a leak's or an event's
 * "stack" is {"kind": "python", "symbol": qualified name, "file":
 * co_filename, "line", "module": null, "ip": null, ...} or a native one
 * ("kind": "native").
 */
bool harness__is_python_frame(const json_t *frame);
/* The index in stack of its first Python frame; -1 when it has none. */
long harness__first_python_frame(const json_t *stack);
/* One line per frame, leaf first ("py Model.step grow.py:28"), for failure messages; free it. */
char *harness__stack_text(const json_t *stack);
/*
 * Fails the test unless frame is a Python frame of function symbol, in file
 * (NULL: any), on line (0: any), with no module and no ip; what names the
 * frame in the message, with the whole stack.
 */
void harness__assert_python_frame(const json_t *stack, size_t i, const char *symbol,
				  const char *file, unsigned int line, const char *what);

/* Sums the leaks of one process whose stack starts with function caller. */
struct leak_sum {
	uint64_t bytes;
	uint64_t count;
	size_t sites;
};
struct leak_sum harness__leaks_by_caller(const json_t *snap, pid_t pid, const char *caller);

#endif /* MEMTRACE_TEST_HARNESS_H */
