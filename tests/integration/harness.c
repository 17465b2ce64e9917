// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define READ_TIMEOUT_MS 10000

void harness__require_bpf(const char *suite)
{
	const char *why = NULL;

	/*
	 * Launch mode runs CMD as the user sudo names: under `sudo make test`
	 * that user could not run the programs the tests put in root's 0700
	 * directories. The tests run CMD as root; test_run_as sets these itself.
	 */
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	unsetenv("SUDO_USER");
	if (geteuid() != 0)
		why = "not running as root";
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		why = "no kernel BTF at /sys/kernel/btf/vmlinux";
	if (!why)
		return;
	fprintf(stderr,
		"\n***************************************************************\n"
		"*** SKIPPED: %s integration tests: BPF unavailable: %s\n"
		"***************************************************************\n\n",
		suite, why);
	exit(0);
}

static pid_t spawn_with_pipes(const char *const *argv, int *in, int *out, int *err)
{
	int pin[2], pout[2], perr[2];
	pid_t pid;

	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* a test that fails half-way leaves no tracer running into the next binary's */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pin[0], STDIN_FILENO);
		dup2(pout[1], STDOUT_FILENO);
		if (err)
			dup2(perr[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (in)
		*in = pin[1];
	else
		close(pin[1]);
	*out = pout[0];
	if (err)
		*err = perr[0];
	else
		close(perr[0]);
	return pid;
}

static const char **memtrace_argv(const char *const *args)
{
	size_t n = 0;
	const char **argv;

	while (args[n])
		n++;
	argv = calloc(n + 2, sizeof(*argv));
	assert_non_null(argv);
	argv[0] = MEMTRACE;
	memcpy(argv + 1, args, n * sizeof(*args));
	return argv;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

static void parse_output(struct mt_run *r)
{
	json_error_t jerr;

	r->snap = r->out && r->out[0] == '{' ? json_loads(r->out, 0, &jerr) : NULL;
	if (r->out && r->out[0] == '{' && !r->snap)
		fprintf(stderr, "harness: memtrace's JSON does not parse: %s (line %d)\n", jerr.text,
			jerr.line);
}

/* Reads out and err together so neither pipe can fill up and block memtrace. */
static int collect(int out, int err, struct mt_run *r, size_t err_len)
{
	struct pollfd fds[2] = { { .fd = out, .events = POLLIN }, { .fd = err, .events = POLLIN } };
	size_t out_len = 0;
	int open_fds = 2;

	while (open_fds) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < 2; i++) {
			char chunk[65536], **buf = i ? &r->err : &r->out;
			size_t *len = i ? &err_len : &out_len;
			ssize_t n;

			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(fds[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			*buf = realloc(*buf, *len + n + 1);
			assert_non_null(*buf);
			memcpy(*buf + *len, chunk, n);
			*len += n;
			(*buf)[*len] = '\0';
		}
	}
	return 0;
}

int harness__run(struct mt_run *r, const char *const *args)
{
	const char **argv = memtrace_argv(args);
	int err = harness__run_argv(r, argv);

	free(argv);
	return err;
}

int harness__run_argv(struct mt_run *r, const char *const *argv)
{
	int out, err, status;
	pid_t pid;

	*r = (struct mt_run){};
	pid = spawn_with_pipes(argv, NULL, &out, &err);
	assert_true(pid > 0);
	collect(out, err, r, 0);
	close(out);
	close(err);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r->status = exit_code(status);
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup("");
	parse_output(r);
	return 0;
}

void harness__release(struct mt_run *r)
{
	free(r->out);
	free(r->err);
	json_decref(r->snap);
	*r = (struct mt_run){};
}

int harness__spawn(struct harness_child *c, const char *const *argv)
{
	c->pid = spawn_with_pipes(argv, &c->in, &c->out, NULL);
	return c->pid > 0 ? 0 : -errno;
}

/* Reads one line (without its newline) from fd within the timeout. */
static int read_line(int fd, char *line, size_t len, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char c;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		if (read(fd, &c, 1) != 1)
			return -EPIPE;
		if (c == '\n')
			break;
		line[n++] = c;
	}
	line[n] = '\0';
	return 0;
}

int harness__expect_line(int fd, const char *expected)
{
	char line[512];
	int err;

	do {
		err = read_line(fd, line, sizeof(line), READ_TIMEOUT_MS);
		if (err)
			return err;
	} while (strcmp(line, expected));
	return 0;
}

int harness__wait(struct harness_child *c)
{
	int status;

	close(c->in);
	close(c->out);
	if (waitpid(c->pid, &status, 0) != c->pid)
		return -errno;
	return status;
}

int harness__start_tracer(struct harness_tracer *t, const char *const *args, pid_t traced)
{
	char want[64];

	snprintf(want, sizeof(want), "memtrace: tracing PID %d ", traced);
	return harness__start_tracer_until(t, args, want);
}

int harness__start_tracer_until(struct harness_tracer *t, const char *const *args,
				const char *want)
{
	const char **argv = memtrace_argv(args);

	*t = (struct harness_tracer){};
	t->pid = spawn_with_pipes(argv, NULL, &t->out, &t->err);
	free(argv);
	if (t->pid <= 0)
		return -errno;
	return want ? harness__tracer_expect(t, want) : 0;
}

int harness__tracer_expect(struct harness_tracer *t, const char *want)
{
	size_t len = t->err_text ? strlen(t->err_text) : 0;
	char line[512];
	int err;

	for (;;) {
		err = read_line(t->err, line, sizeof(line), READ_TIMEOUT_MS);
		if (err)
			return err;
		t->err_text = realloc(t->err_text, len + strlen(line) + 2);
		assert_non_null(t->err_text);
		len += sprintf(t->err_text + len, "%s\n", line);
		if (!strncmp(line, want, strlen(want)))
			return 0;
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

void harness__tracer_drain(struct harness_tracer *t, int ms)
{
	uint64_t end = now_ms() + ms;
	size_t len = t->err_text ? strlen(t->err_text) : 0;

	for (uint64_t now = now_ms(); now < end; now = now_ms()) {
		struct pollfd pfd = { .fd = t->err, .events = POLLIN };
		char chunk[65536];
		ssize_t n;

		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			continue;
		n = read(t->err, chunk, sizeof(chunk));
		if (n <= 0) {
			/* memtrace is gone: the rest of the wait is a plain sleep */
			usleep((end - now_ms()) * 1000);
			return;
		}
		t->err_text = realloc(t->err_text, len + n + 1);
		assert_non_null(t->err_text);
		memcpy(t->err_text + len, chunk, n);
		len += n;
		t->err_text[len] = '\0';
	}
}

int harness__finish_tracer(struct harness_tracer *t, struct mt_run *r)
{
	size_t len = t->err_text ? strlen(t->err_text) : 0;
	int status;

	*r = (struct mt_run){ .err = t->err_text };
	t->err_text = NULL;
	collect(t->out, t->err, r, len);
	close(t->out);
	close(t->err);
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -errno;
	r->status = exit_code(status);
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup("");
	parse_output(r);
	return 0;
}

uint64_t harness__u64(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		fail_msg("snapshot field \"%s\" is missing or not an integer", key);
	return (uint64_t)json_integer_value(v);
}

const char *harness__str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		fail_msg("snapshot field \"%s\" is missing or not a string", key);
	return json_string_value(v);
}

json_t *harness__process(const json_t *snap, pid_t pid)
{
	json_t *procs = json_object_get(snap, "processes"), *p;
	size_t i;

	json_array_foreach(procs, i, p)
		if (harness__u64(p, "pid") == (uint64_t)pid)
			return p;
	fail_msg("no process %d in the snapshot", pid);
	return NULL;
}

json_t *harness__only_process(const json_t *snap)
{
	json_t *procs = json_object_get(snap, "processes");

	if (json_array_size(procs) != 1)
		fail_msg("expected 1 process in the snapshot, found %zu", json_array_size(procs));
	return json_array_get(procs, 0);
}

json_t *harness__thread_by_comm(const json_t *process, const char *comm)
{
	json_t *threads = json_object_get(process, "threads"), *t;
	size_t i;

	json_array_foreach(threads, i, t)
		if (!strcmp(harness__str(t, "comm"), comm))
			return t;
	fail_msg("no thread named \"%s\"", comm);
	return NULL;
}

struct leak_sum harness__leaks_by_caller(const json_t *snap, pid_t pid, const char *caller)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak;
	struct leak_sum sum = {};
	size_t i;

	json_array_foreach(leaks, i, leak) {
		json_t *frame = json_array_get(json_object_get(leak, "stack"), 0);
		json_t *symbol = json_object_get(frame, "symbol");

		if (harness__u64(leak, "pid") != (uint64_t)pid || !json_is_string(symbol) ||
		    strcmp(json_string_value(symbol), caller))
			continue;
		sum.bytes += harness__u64(leak, "bytes");
		sum.count += harness__u64(leak, "count");
		sum.sites++;
	}
	return sum;
}

json_t *harness__leak_of(const json_t *snap, uint64_t bytes)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak;
	size_t i;

	json_array_foreach(leaks, i, leak)
		if (harness__u64(leak, "bytes") == bytes)
			return leak;
	fail_msg("no leak of %llu bytes", (unsigned long long)bytes);
	return NULL;
}

const char *harness__frame_symbol(const json_t *leak, size_t i)
{
	json_t *frame = json_array_get(json_object_get(leak, "stack"), i);
	json_t *symbol = json_object_get(frame, "symbol");

	return json_is_string(symbol) ? json_string_value(symbol) : "";
}

unsigned int harness__marker_line(const char *source, const char *name)
{
	char line[256], mark[64];
	unsigned int n = 0;
	FILE *f = fopen(source, "r");

	assert_non_null(f);
	snprintf(mark, sizeof(mark), "MARK: %s */", name);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, mark)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	fail_msg("no MARK: %s in %s", name, source);
	return 0;
}

unsigned int harness__py_marker_line(const char *source, const char *name)
{
	char line[512], mark[128];
	unsigned int n = 0;
	size_t len, mlen;
	FILE *f = fopen(source, "r");

	assert_non_null(f);
	/* at the end of the line: "# MARK: run" must not find "# MARK: run_ext" */
	mlen = (size_t)snprintf(mark, sizeof(mark), "# MARK: %s", name);
	while (fgets(line, sizeof(line), f)) {
		n++;
		len = strcspn(line, "\r\n");
		if (len >= mlen && !memcmp(line + len - mlen, mark, mlen)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	fail_msg("no \"# MARK: %s\" in %s", name, source);
	return 0;
}

bool harness__is_python_frame(const json_t *frame)
{
	const json_t *kind = json_object_get(frame, "kind");

	return json_is_string(kind) && !strcmp(json_string_value(kind), "python");
}

long harness__first_python_frame(const json_t *stack)
{
	for (size_t i = 0; i < json_array_size(stack); i++)
		if (harness__is_python_frame(json_array_get(stack, i)))
			return (long)i;
	return -1;
}

char *harness__stack_text(const json_t *stack)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const json_t *frame;
	size_t i;

	assert_non_null(f);
	json_array_foreach(stack, i, frame) {
		const char *kind = json_string_value(json_object_get(frame, "kind"));
		const char *symbol = json_string_value(json_object_get(frame, "symbol"));
		const char *file = json_string_value(json_object_get(frame, "file"));
		const char *module = json_string_value(json_object_get(frame, "module"));
		const json_t *line = json_object_get(frame, "line");

		fprintf(f, "    #%zu %s %s %s:%lld%s%s\n", i, kind ? kind : "(no kind)",
			symbol ? symbol : "?", file ? file : "?",
			json_is_integer(line) ? (long long)json_integer_value(line) : -1LL,
			module ? "  in " : "", module ? module : "");
	}
	if (!i)
		fprintf(f, "    (empty)\n");
	fclose(f);
	return text;
}

void harness__assert_python_frame(const json_t *stack, size_t i, const char *symbol,
				  const char *file, unsigned int line, const char *what)
{
	const json_t *frame = json_array_get(stack, i);
	const char *got_symbol = json_string_value(json_object_get(frame, "symbol"));
	const char *got_file = json_string_value(json_object_get(frame, "file"));
	const json_t *got_line = json_object_get(frame, "line");
	const char *why = NULL;

	if (!frame)
		why = "no such frame";
	else if (!harness__is_python_frame(frame))
		why = "not a Python frame (\"kind\": \"python\")";
	else if (!got_symbol || strcmp(got_symbol, symbol))
		why = "another function";
	else if (file && (!got_file || strcmp(got_file, file)))
		why = "another file";
	else if (!json_is_integer(got_line) || json_integer_value(got_line) <= 0 ||
		 (line && json_integer_value(got_line) != line))
		why = "another line";
	else if (!json_is_null(json_object_get(frame, "module")) ||
		 !json_is_null(json_object_get(frame, "ip")))
		why = "\"module\" or \"ip\" not null";
	if (why) {
		char *text = harness__stack_text(stack);

		/* to stderr: cmocka cuts a failure message at about 1 KiB */
		fprintf(stderr, "%s: the stack:\n%s", what, text);
		free(text);
		fail_msg("%s: frame %zu should be Python %s (%s:%u): %s (the stack is above)", what,
			 i, symbol, file ? file : "any file", line, why);
	}
}

void harness__trace_running(const char *const *target, struct mt_run *r, pid_t *pid)
{
	harness__trace_running_opts(target, (const char *const[]){ NULL }, r, pid);
}

void harness__trace_running_opts(const char *const *target, const char *const *opts,
				 struct mt_run *r, pid_t *pid)
{
	const char *args[32];
	struct harness_tracer tracer;
	struct harness_child child;
	char pid_arg[16];
	size_t n = 0;
	int status;

	assert_int_equal(harness__spawn(&child, target), 0);
	assert_int_equal(harness__expect_line(child.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", child.pid);
	for (; opts[n]; n++) {
		assert_true(n + 4 < sizeof(args) / sizeof(args[0]));
		args[n] = opts[n];
	}
	args[n++] = "--json";
	args[n++] = "-p";
	args[n++] = pid_arg;
	args[n] = NULL;
	assert_int_equal(harness__start_tracer(&tracer, args, child.pid), 0);
	assert_int_equal(write(child.in, "go\n", 3), 3);
	status = harness__wait(&child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* memtrace stops by itself once its only target has exited */
	assert_int_equal(harness__finish_tracer(&tracer, r), 0);
	*pid = child.pid;
}

/* Differing bytes of one mapping, read through its map_files link: the very inode mapped. */
static long mapping_changes(pid_t pid, int mem, const char *range, uint64_t offset)
{
	unsigned long start, end;
	char path[128], want[65536], got[65536];
	long changed = 0;
	int fd;

	if (sscanf(range, "%lx-%lx", &start, &end) != 2)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%s", pid, range);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (unsigned long at = start; at < end; at += sizeof(want)) {
		size_t len = end - at < sizeof(want) ? end - at : sizeof(want);
		ssize_t n = pread(fd, want, len, offset + (at - start));

		/* past the file's end the mapping is zero-filled: nothing to compare */
		if (n <= 0)
			break;
		if (pread(mem, got, n, at) != n) {
			changed = -EIO;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			changed += want[i] != got[i];
	}
	close(fd);
	return changed;
}

long harness__code_changes(pid_t pid)
{
	char path[64], line[1024], range[64], perms[8], file[512];
	unsigned long long offset;
	long changed = 0, n;
	FILE *maps;
	int mem;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (!maps || mem < 0) {
		changed = -errno;
		goto out;
	}
	while (fgets(line, sizeof(line), maps)) {
		file[0] = '\0';
		if (sscanf(line, "%63s %7s %llx %*s %*s %511s", range, perms, &offset, file) < 3 ||
		    perms[2] != 'x' || file[0] != '/')
			continue;
		n = mapping_changes(pid, mem, range, offset);
		if (n < 0) {
			changed = n;
			break;
		}
		changed += n;
	}
out:
	if (maps)
		fclose(maps);
	if (mem >= 0)
		close(mem);
	return changed;
}

int harness__wait_keeper(const char *memtrace_stderr)
{
	const char *at = memtrace_stderr ? strstr(memtrace_stderr, "held by PID ") : NULL;
	struct pollfd pfd = { .events = POLLIN };
	int pid;

	if (!at || sscanf(at, "held by PID %d", &pid) != 1)
		return -ENOENT;
	pfd.fd = pidfd_open(pid, 0);
	/* gone already */
	if (pfd.fd < 0)
		return errno == ESRCH ? 0 : -errno;
	if (poll(&pfd, 1, 10000) != 1) {
		close(pfd.fd);
		return -ETIMEDOUT;
	}
	close(pfd.fd);
	return 0;
}
