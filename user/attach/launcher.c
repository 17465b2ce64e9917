// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach/launcher.h"
#include "attach/preload.h"
#include "symbolize/elf_file.h"
#include "util/run_as.h"

extern char **environ;

/* glibc reaches the loader hook twice at startup: before and after mapping. */
#define STARTUP_STOPS_BEFORE_GIVING_UP 2
/*
 * What stops a traced CMD at startup: a signal its tracer (memtrace)
 * intercepts and drops. Should memtrace die meanwhile, the kernel detaches
 * CMD and delivers it: SIGCONT does nothing to a process that runs.
 */
#define STARTUP_SIGNAL SIGCONT
#define SHEBANG_DEPTH 4

static bool is_executable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

static int resolve_command(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL;
	int err = -ENOENT;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return is_executable_file(out) ? 0 : -ENOENT;
	}
	dirs = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!dirs)
		return -ENOMEM;
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", *dir ? dir : ".", cmd);
		if (is_executable_file(out)) {
			err = 0;
			break;
		}
	}
	free(dirs);
	return err;
}

/* The ELF file the kernel will load for path, following "#!" lines. */
static int exec_image(const char *path, char *out, size_t len)
{
	char head[256], cur[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(cur, sizeof(cur), "%s", path);
	for (int depth = 0; depth <= SHEBANG_DEPTH; depth++) {
		char *interp, *end;

		fd = open(cur, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, head, sizeof(head) - 1);
		close(fd);
		if (n < 4)
			return -ENOEXEC;
		head[n] = '\0';
		if (!memcmp(head, "\x7f" "ELF", 4)) {
			snprintf(out, len, "%s", cur);
			return 0;
		}
		if (head[0] != '#' || head[1] != '!')
			return -ENOEXEC;
		interp = head + 2 + strspn(head + 2, " \t");
		end = interp + strcspn(interp, " \t\n");
		*end = '\0';
		snprintf(cur, sizeof(cur), "%s", interp);
	}
	return -ELOOP;
}

/* memtrace top holds the terminal: CMD's stdin, stdout and stderr are /dev/null. */
static int quiet_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno;
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return errno;
	close(fd);
	return 0;
}

/*
 * The child: wait at the gate, then become CMD, as the user it runs as;
 * report exec errors on err_fd.
 */
static void child_exec(const char *path, char **argv, char **env, const struct mt_config *cfg,
		       int gate_fd, int err_fd, pid_t memtrace)
{
	char go;
	int err;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/*
	 * Until the exec it holds memtrace's descriptors, the keeper's socket
	 * among them: should memtrace die before the gate opens, it must go
	 * too, or the keeper would wait for it to remove the probes.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != memtrace)
		_exit(127);
	/* memtrace ignores it; an ignored signal stays ignored across execve */
	signal(SIGPIPE, SIG_DFL);
	if (read(gate_fd, &go, 1) != 1)
		_exit(127);
	/* the death signal would otherwise outlive the exec: CMD must outlive memtrace */
	prctl(PR_SET_PDEATHSIG, 0);
	err = cfg->command_quiet ? quiet_stdio() : 0;
	if (!err)
		err = -run_as__apply(&cfg->run_as);
	if (!err) {
		execve(path, argv, env);
		err = errno;
	}
	if (write(err_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* The hook the caller gave for CMD's startup stop. */
struct ready_hook {
	launcher_ready_fn fn;
	void *ctx;
};

/*
 * At a startup stop: attach to the libc if that is still to do (-EAGAIN
 * while the loader has not mapped it yet), hand the child with its maps
 * to the ready hook, and let it go.
 */
static int on_startup_stop(struct launched *child, struct bpf_loader *l, struct prober *pr,
			   const struct ready_hook *ready, bool libc_attached)
{
	struct proc_maps maps = {};
	int err;

	err = proc_maps__read(child->pid, &maps);
	if (err)
		return err;
	err = prober__attach_launched(pr, child->pid, &maps, libc_attached, &child->preload,
				      &child->found);
	if (!err)
		err = ready->fn(ready->ctx, child, &maps);
	if (!err)
		bpf_loader__disarm_startup_stop(l);
	proc_maps__release(&maps);
	return err;
}

/*
 * Lets CMD go on from a startup stop: a traced CMD without the signal that
 * stopped it (detached for good once it is registered), else with SIGCONT.
 */
static int resume(const struct launched *child, bool done)
{
	if (!child->traced)
		return kill(child->pid, SIGCONT) ? -errno : 0;
	if (ptrace(done ? PTRACE_DETACH : PTRACE_CONT, child->pid, NULL, NULL))
		return -errno;
	return 0;
}

/*
 * The next startup stop of CMD; a signal someone else sent it meanwhile is
 * passed on. -ECHILD when CMD ended first.
 */
static int next_startup_stop(struct launched *child)
{
	int status;

	for (;;) {
		if (waitpid(child->pid, &status, child->traced ? __WALL : WUNTRACED) < 0)
			return -errno;
		if (!WIFSTOPPED(status)) {
			fprintf(stderr, "memtrace: %s ended before its libc was loaded\n",
				child->exec_path);
			return -ECHILD;
		}
		if (!child->traced || (WSTOPSIG(status) == STARTUP_SIGNAL && !(status >> 16)))
			return 0;
		if (ptrace(PTRACE_CONT, child->pid, NULL,
			   (void *)(long)(status >> 16 ? 0 : WSTOPSIG(status))))
			return -errno;
	}
}

static int wait_startup_stop(struct launched *child, struct bpf_loader *l, struct prober *pr,
			     const struct ready_hook *ready, bool libc_attached)
{
	int err;

	for (int stops = 1;; stops++) {
		err = next_startup_stop(child);
		if (err)
			return err;
		err = on_startup_stop(child, l, pr, ready, libc_attached);
		if (err == -EAGAIN && stops >= STARTUP_STOPS_BEFORE_GIVING_UP) {
			fprintf(stderr, "memtrace: no allocator found in %s: nothing to probe; "
					"searched %s\n",
				child->exec_path, allocator_locate__searched());
			return -ENOENT;
		}
		if (err && err != -EAGAIN)
			return err;
		err = resume(child, !err) ?: err;
		if (err != -EAGAIN)
			return err;
	}
}

/*
 * Before the child runs: the startup stop, and for a static CMD the probes
 * on its own malloc (*libc_attached).
 */
static int arm_probes(struct launched *child, const char *image, struct bpf_loader *l,
		      struct prober *pr, bool *libc_attached)
{
	struct elf_file *ef = NULL, *loader = NULL;
	const char *stop_path = image;
	uint64_t offset;
	int err;

	err = elf_file__open(image, &ef);
	if (err) {
		fprintf(stderr, "memtrace: cannot read %s: %s\n", image, strerror(-err));
		return err;
	}
	if (!elf_file__interp(ef)) {
		err = prober__attach_static(pr, child->pid, image, &child->found);
		if (err)
			goto cleanup;
		*libc_attached = true;
		err = elf_file__entry_offset(ef, &offset);
	} else {
		stop_path = elf_file__interp(ef);
		err = elf_file__open(stop_path, &loader);
		if (!err)
			err = elf_file__func_offset(loader, "_dl_debug_state", &offset, NULL);
	}
	if (err) {
		fprintf(stderr, "memtrace: no startup point to stop %s at in %s: %s\n", image,
			stop_path, strerror(-err));
		goto cleanup;
	}
	err = bpf_loader__attach_startup_stop(l, child->pid, stop_path, offset,
					      child->traced ? STARTUP_SIGNAL : SIGSTOP);
	if (err)
		fprintf(stderr, "memtrace: cannot probe %s: %s\n", stop_path, strerror(-err));
cleanup:
	elf_file__free(loader);
	elf_file__free(ef);
	return err;
}

/*
 * How CMD is held at its startup stop. Traced by memtrace (ptrace): a stop
 * that is not a job-control stop, which the kernel ends should memtrace
 * die. Else (memtrace under strace -f, ptrace forbidden) SIGSTOP, and the
 * keeper (link_keeper.h) continues CMD should memtrace end first.
 */
static int hold_at_startup(struct launched *child, struct bpf_loader *l)
{
	const char *no = getenv("MEMTRACE_NO_PTRACE");
	int pidfd, err;

	/* MEMTRACE_NO_PTRACE: the fallback on purpose, for tests */
	child->traced = !(no && *no && strcmp(no, "0")) &&
			!ptrace(PTRACE_SEIZE, child->pid, NULL, NULL);
	if (child->traced)
		return 0;
	pidfd = pidfd_open(child->pid, 0);
	if (pidfd < 0)
		return -errno;
	err = bpf_loader__guard_stopped(l, pidfd);
	close(pidfd);
	return err;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int launcher__start(const struct mt_config *cfg, struct bpf_loader *l, struct prober *pr,
		    launcher_ready_fn ready, void *ctx, struct launched *out)
{
	const struct ready_hook hook = { .fn = ready, .ctx = ctx };
	char **argv = cfg->command, **env = environ, **user_env = NULL;
	char path[PATH_MAX], image[PATH_MAX], lib[PATH_MAX];
	int gate[2] = { -1, -1 }, errpipe[2] = { -1, -1 };
	bool attached = false;
	int err, exec_errno;
	pid_t self;

	*out = (struct launched){ .pid = -1 };
	err = resolve_command(argv[0], path, sizeof(path));
	if (err) {
		fprintf(stderr, "memtrace: cannot run '%s': command not found\n", argv[0]);
		return err;
	}
	err = exec_image(path, image, sizeof(image));
	if (err) {
		fprintf(stderr, "memtrace: cannot run '%s': %s\n", path, strerror(-err));
		return err;
	}
	out->exec_path = strdup(path);
	if (!out->exec_path)
		return -ENOMEM;
	if (cfg->preload) {
		err = preload__find(lib, sizeof(lib));
		if (err) {
			fprintf(stderr, "memtrace: --preload: cannot find libmemtrace_preload.so "
					"beside memtrace or in ../lib/memtrace\n");
			goto cleanup;
		}
		out->preload = strdup(lib);
		env = out->preload ? preload__environ(lib) : NULL;
		if (!env) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	/* CMD's HOME, USER and LOGNAME are those of the user it runs as */
	if (cfg->run_as.change) {
		user_env = run_as__environ(&cfg->run_as, env);
		if (!user_env) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	if (pipe2(gate, O_CLOEXEC) || pipe2(errpipe, O_CLOEXEC)) {
		err = -errno;
		goto cleanup;
	}
	self = getpid();
	out->pid = fork();
	if (out->pid < 0) {
		err = -errno;
		goto cleanup;
	}
	if (out->pid == 0)
		child_exec(path, argv, user_env ? user_env : env, cfg, gate[0],
			   errpipe[1], self);
	close(gate[0]);
	close(errpipe[1]);
	gate[0] = errpipe[1] = -1;

	err = hold_at_startup(out, l);
	if (!err)
		err = arm_probes(out, image, l, pr, &attached);
	if (err)
		goto cleanup;
	/* a static CMD's probes are in place already: its first call must count */
	bpf_loader__set_recording(l, true);
	if (write(gate[1], "g", 1) != 1) {
		err = -errno;
		goto cleanup;
	}
	if (read(errpipe[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
		if (cfg->run_as.change)
			fprintf(stderr, "memtrace: cannot run '%s' as %s: %s\n", path,
				cfg->run_as.user, strerror(exec_errno));
		else
			fprintf(stderr, "memtrace: cannot run '%s': %s\n", path,
				strerror(exec_errno));
		err = -exec_errno;
		goto cleanup;
	}
	err = wait_startup_stop(out, l, pr, &hook, attached);
	/* on its way: a stop of CMD's from now on is someone else's to end */
	if (!err && !out->traced)
		err = bpf_loader__guard_stopped(l, -1);
cleanup:
	for (int i = 0; i < 2; i++) {
		if (gate[i] >= 0)
			close(gate[i]);
		if (errpipe[i] >= 0)
			close(errpipe[i]);
	}
	free(user_env);
	if (env != environ)
		preload__free_env(env);
	if (err && out->pid > 0)
		reap(out->pid);
	if (err)
		launcher__release(out);
	return err;
}

int launcher__image(const char *cmd, char *out, size_t len)
{
	char path[PATH_MAX];
	int err = resolve_command(cmd, path, sizeof(path));

	return err ? err : exec_image(path, out, len);
}

void launcher__release(struct launched *child)
{
	free(child->preload);
	prober_found__release(&child->found);
	free(child->exec_path);
	*child = (struct launched){ .pid = -1 };
}
