// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor: runs CMD with empty BPF programs on exactly the uprobe sites
 * memtrace would use, so tools/bench.sh can tell the kernel's cost of a
 * uprobe hit from the cost of memtrace's own programs and consumer.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "attach/alloc_funcs.h"
#include "floor.skel.h"
#include "attach/libc_locate.h"
#include "attach/preload.h"
#include "symbolize/elf_file.h"
#include "symbolize/proc_maps.h"

extern char **environ;

/* an entry and a return probe per function at most */
#define MAX_LINKS (2 * MT_FN_COUNT)

static struct bpf_link *links[MAX_LINKS];
static int nr_links;

static struct env {
	bool at_entry;
	bool verbose;
	const char *preload;	/* memtrace --preload's library: its one site instead */
	char **cmd;
} env = {};

static const char doc[] =
	"floor -- run CMD with empty uprobes where memtrace puts its probes.\n"
	"\n"
	"USAGE: floor [--probe-at-entry | --preload=LIB] [-v] -- CMD [ARGS...]\n"
	"\n"
	"The sites are in the libc floor itself maps (CMD must map the same one):\n"
	"a return probe on every function memtrace probes at return, an entry probe\n"
	"on every function, aliases once, at memtrace's placed sites (or at each\n"
	"function's first instruction with --probe-at-entry). With --preload, CMD runs\n"
	"with memtrace's preload library LIB and the one probe is on its site, as\n"
	"memtrace --preload does. Exits with CMD's status.\n"
	"\n"
	"EXAMPLES:\n"
	"  floor -- build/tests/bench/workload pairs 200000\n"
	"  floor --probe-at-entry -v -- build/tests/bench/workload churn 200000\n";

enum { OPT_AT_ENTRY = 0x100, OPT_PRELOAD };

static const struct argp_option options[] = {
	{ "probe-at-entry", OPT_AT_ENTRY, NULL, 0, "Probe each function's first instruction", 0 },
	{ "preload", OPT_PRELOAD, "LIB", 0, "Run CMD with this preload library, probe its site", 0 },
	{ "verbose", 'v', NULL, 0, "Say what is attached where; libbpf debug output", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	switch (key) {
	case OPT_AT_ENTRY:
		env.at_entry = true;
		break;
	case OPT_PRELOAD:
		env.preload = arg;
		break;
	case 'v':
		env.verbose = true;
		break;
	case ARGP_KEY_ARGS:
		env.cmd = state->argv + state->next;
		break;
	case ARGP_KEY_NO_ARGS:
		argp_usage(state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* The libc of this very process: CMD is expected to map the same file. */
static int locate_libc(struct libc_image *img)
{
	struct proc_maps maps = {};
	char exe[PATH_MAX];
	ssize_t n;
	int err;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	err = proc_maps__read(getpid(), &maps);
	if (err)
		return err;
	err = libc_locate__in_process(getpid(), &maps, exe, env.at_entry, img);
	proc_maps__release(&maps);
	return err;
}

/*
 * Forks CMD stopped at a gate: it reads gate_fd until the probes are in.
 * Between fork and exec it only calls read, execvp and write, none of
 * which allocates, so nothing untraced happens in its heap.
 */
static pid_t spawn_gated(char **cmd, char **cmd_env, int *gate_fd)
{
	int fds[2];
	pid_t pid;
	char go;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		pid = -errno;
		close(fds[0]);
		close(fds[1]);
		return pid;
	}
	if (pid == 0) {
		static const char failed[] = "floor: cannot run CMD\n";

		close(fds[1]);
		/* a closed gate without a byte: the parent gave up */
		if (read(fds[0], &go, 1) != 1)
			_exit(127);
		execvpe(cmd[0], cmd, cmd_env);
		if (write(STDERR_FILENO, failed, sizeof(failed) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[0]);
	*gate_fd = fds[1];
	return pid;
}

static int attach(struct bpf_program *prog, pid_t pid, const struct libc_image *img,
		  const struct libc_site *site, bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe);
	uint64_t offset = env.at_entry ? site->file_offset : site->probe_offset;
	struct bpf_link *link;

	link = bpf_program__attach_uprobe_opts(prog, pid, img->path, offset, &opts);
	if (!link)
		return -errno;
	links[nr_links++] = link;
	if (env.verbose)
		fprintf(stderr, "floor: %s %s at %s+0x%llx\n", retprobe ? "uretprobe" : "uprobe",
			alloc_funcs__name(site->func), img->path, (unsigned long long)offset);
	return 0;
}

/* --preload: the library's one site, no return probe. */
static int attach_preload(struct floor *skel, pid_t pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct elf_file *ef = NULL;
	struct bpf_link *link;
	uint64_t offset;
	int err;

	err = elf_file__open(env.preload, &ef);
	if (!err)
		err = elf_file__func_offset(ef, "memtrace_site", &offset, NULL);
	elf_file__free(ef);
	if (err)
		return err;
	link = bpf_program__attach_uprobe_opts(skel->progs.floor_enter, pid, env.preload, offset,
					       &opts);
	if (!link)
		return -errno;
	links[nr_links++] = link;
	return 0;
}

/* Return probes first, as memtrace does, then the entries; aliases share one probe. */
static int attach_all(struct floor *skel, pid_t pid, const struct libc_image *img)
{
	int err;

	if (env.preload)
		return attach_preload(skel, pid);

	for (int i = 0; i < img->nr_sites; i++) {
		const struct libc_site *s = &img->sites[i];

		if (s->alias_of >= 0 || !alloc_funcs__has_return(s->func))
			continue;
		err = attach(skel->progs.floor_exit, pid, img, s, true);
		if (err)
			return err;
	}
	for (int i = 0; i < img->nr_sites; i++) {
		const struct libc_site *s = &img->sites[i];

		if (s->alias_of >= 0)
			continue;
		err = attach(skel->progs.floor_enter, pid, img, s, false);
		if (err)
			return err;
	}
	return 0;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/*
 * Each uprobe detach waits for a grace period, ~0.1 s here: one after the
 * other they would add two seconds to every bench run. Concurrent detaches
 * share their grace periods.
 */
static void detach_all(void)
{
	pthread_t threads[MAX_LINKS];
	int started = 0;

	while (started < nr_links &&
	       !pthread_create(&threads[started], NULL, destroy_link, links[started]))
		started++;
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (int i = started; i < nr_links; i++)
		bpf_link__destroy(links[i]);
	nr_links = 0;
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "-- CMD [ARGS...]", doc, 0, 0, 0 };
	struct libc_image img = {};
	struct floor *skel = NULL;
	char **cmd_env = environ;
	int gate = -1, err, status = 1;
	pid_t pid;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 64;
	libbpf_set_print(libbpf_print);

	err = locate_libc(&img);
	if (err) {
		fprintf(stderr, "floor: cannot find this process's libc: %s\n", strerror(-err));
		return 1;
	}
	skel = floor__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: cannot load the BPF programs: %s (root? BTF?)\n",
			strerror(errno));
		goto cleanup;
	}
	if (env.preload) {
		cmd_env = preload__environ(env.preload);
		if (!cmd_env) {
			fprintf(stderr, "floor: out of memory\n");
			goto cleanup;
		}
	}
	pid = spawn_gated(env.cmd, cmd_env, &gate);
	if (pid < 0) {
		fprintf(stderr, "floor: cannot fork: %s\n", strerror(-pid));
		goto cleanup;
	}
	err = attach_all(skel, pid, &img);
	if (err)
		fprintf(stderr, "floor: cannot attach to PID %d in %s: %s\n", pid, img.path,
			strerror(-err));
	/* the byte opens the gate; closing it without one makes CMD exit 127 */
	if (!err && write(gate, "g", 1) != 1)
		fprintf(stderr, "floor: cannot release CMD: %s\n", strerror(errno));
	close(gate);
	status = wait_child(pid);
	if (err)
		status = 1;
cleanup:
	if (cmd_env != environ)
		preload__free_env(cmd_env);
	detach_all();
	floor__destroy(skel);
	libc_locate__release(&img);
	return status;
}
