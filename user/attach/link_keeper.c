// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "attach/link_keeper.h"
#include "attach/uprobe_multi.h"
#include "util/array.h"

#define KEEPER_COMM "memtrace-keeper"
/* offsets per request; a longer list is sent in parts */
#define KEEPER_MAX_OFFSETS 256
/* threads removing links at once: removals in parallel share the kernel's grace periods */
#define KEEPER_RELEASE_THREADS 32

enum keeper_op {
	KEEPER_ATTACH = 1,
	KEEPER_ATTACH_USDT,
	KEEPER_GUARD,
};

struct keeper_request {
	uint32_t op;
	int32_t pid;
	uint32_t retprobe;
	uint32_t nr_offsets;
	char prog[64];
	char path[PATH_MAX];
	char provider[64];
	char name[64];
	uint64_t offsets[KEEPER_MAX_OFFSETS];
};

struct link_keeper {
	int sock;
	pid_t pid;
};

/* ---- the keeper process ---- */

/* What the keeper holds: uprobe_multi link fds, or libbpf's links. */
struct held {
	struct bpf_object *obj;
	bool multi;
	int *fds;
	size_t nr_fds, fds_cap;
	struct bpf_link **links;
	size_t nr_links, links_cap;
	int guarded_pidfd;	/* a stopped CMD to continue at the end, or -1 */
	size_t next;		/* the release threads' shared cursor over fds, then links */
};

static int hold_fd(struct held *h, int fd)
{
	if (ARRAY_RESERVE(&h->fds, &h->fds_cap, h->nr_fds + 1)) {
		close(fd);
		return -ENOMEM;
	}
	h->fds[h->nr_fds++] = fd;
	return 0;
}

static int hold_link(struct held *h, struct bpf_link *link)
{
	if (ARRAY_RESERVE(&h->links, &h->links_cap, h->nr_links + 1)) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	h->links[h->nr_links++] = link;
	return 0;
}

static int keeper_attach(struct held *h, const struct keeper_request *r)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(h->obj, r->prog);
	int err;

	if (!prog || r->nr_offsets > KEEPER_MAX_OFFSETS)
		return -EINVAL;
	if (h->multi) {
		int fd = uprobe_multi__attach(bpf_program__fd(prog), r->path, r->offsets,
					      r->nr_offsets, r->retprobe, r->pid);

		return fd < 0 ? fd : hold_fd(h, fd);
	}
	for (uint32_t i = 0; i < r->nr_offsets; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = r->retprobe);
		struct bpf_link *link =
			bpf_program__attach_uprobe_opts(prog, r->pid, r->path, r->offsets[i], &opts);

		if (!link)
			return -errno;
		err = hold_link(h, link);
		if (err)
			return err;
	}
	return 0;
}

static int keeper_attach_usdt(struct held *h, const struct keeper_request *r)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(h->obj, r->prog);
	struct bpf_link *link;

	if (!prog)
		return -EINVAL;
	/* libbpf reads the note, its arguments and its semaphore (raised through ref_ctr_offset) */
	link = bpf_program__attach_usdt(prog, r->pid, r->path, r->provider, r->name, NULL);
	if (!link)
		return -errno;
	return hold_link(h, link);
}

static void *release_some(void *arg)
{
	struct held *h = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&h->next, 1, __ATOMIC_RELAXED)) < h->nr_fds + h->nr_links) {
		if (i < h->nr_fds)
			close(h->fds[i]);
		else
			bpf_link__destroy(h->links[i - h->nr_fds]);
	}
	return NULL;
}

static void release_all(struct held *h)
{
	pthread_t threads[KEEPER_RELEASE_THREADS];
	size_t started = 0;

	while (started < KEEPER_RELEASE_THREADS && started < h->nr_fds + h->nr_links &&
	       !pthread_create(&threads[started], NULL, release_some, h))
		started++;
	/* with no thread at all, this one does the whole job */
	release_some(h);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

/* A CMD left stopped at startup goes on, untraced: only if stopped, not to wake a handler. */
static void continue_guarded(struct held *h)
{
	char path[64], buf[512], *state;
	pid_t pid = 0;
	FILE *f;

	if (h->guarded_pidfd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", h->guarded_pidfd);
	f = fopen(path, "r");
	while (f && fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Pid: %d", &pid) == 1)
			break;
	if (f)
		fclose(f);
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	state = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* pidfd: a PID used again by another process is not signalled */
	if (state && state[1] == ' ' && state[2] == 'T')
		pidfd_send_signal(h->guarded_pidfd, SIGCONT, NULL, 0);
}

static ssize_t recv_request(int sock, struct keeper_request *r, int *fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(*fd));
	return n;
}

static int keeper_handle(struct held *h, const struct keeper_request *r, int fd)
{
	switch (r->op) {
	case KEEPER_ATTACH:
		return keeper_attach(h, r);
	case KEEPER_ATTACH_USDT:
		return keeper_attach_usdt(h, r);
	case KEEPER_GUARD:
		if (h->guarded_pidfd >= 0)
			close(h->guarded_pidfd);
		h->guarded_pidfd = fd;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Serves requests until memtrace's end closes, then removes everything and exits. */
static void __attribute__((noreturn)) keeper_run(int sock, struct bpf_object *obj, bool multi)
{
	struct held h = { .obj = obj, .multi = multi, .guarded_pidfd = -1 };
	struct keeper_request *r = malloc(sizeof(*r));
	int fd, err;

	while (r && recv_request(sock, r, &fd) == sizeof(*r)) {
		err = keeper_handle(&h, r, fd);
		if (err && fd >= 0 && fd != h.guarded_pidfd)
			close(fd);
		send(sock, &err, sizeof(err), MSG_NOSIGNAL);
	}
	release_all(&h);
	continue_guarded(&h);
	_exit(0);
}

/* Everything memtrace had open but the BPF objects goes: no pipe or file is held open. */
static void close_inherited(int keep)
{
	char link[64], target[64];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		for (int i = 0; i < 3; i++)
			dup2(null, i);
		if (null > 2)
			close(null);
	}
	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		ssize_t n;

		if (de->d_name[0] == '.' || fd <= 2 || fd == keep || fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		if (strncmp(target, "anon_inode:bpf", 14) && strncmp(target, "anon_inode:btf", 14))
			close(fd);
	}
	closedir(d);
}

/* Deaf to the terminal, to `timeout`'s and to kill's polite signals; a crash still crashes. */
static void become_keeper(int sock)
{
	static const int ignored[] = { SIGHUP,	SIGINT,	 SIGQUIT,   SIGPIPE, SIGALRM, SIGTERM,
				       SIGUSR1, SIGUSR2, SIGTSTP,   SIGTTIN, SIGTTOU, SIGXCPU,
				       SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGPWR };
	sigset_t none;

	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_NAME, KEEPER_COMM);
	close_inherited(sock);
}

int link_keeper__start(struct bpf_object *obj, bool multi, struct link_keeper **out)
{
	struct link_keeper *k;
	int sv[2], status, err;
	pid_t mid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	/* stdio buffers would otherwise be written twice */
	fflush(NULL);
	mid = fork();
	if (mid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (mid == 0) {
		pid_t pid;

		close(sv[0]);
		/* a session of its own: no terminal, no process group to be signalled with */
		setsid();
		/* and not memtrace's child: it outlives memtrace, reaped by init */
		if (fork())
			_exit(0);
		become_keeper(sv[1]);
		pid = getpid();
		send(sv[1], &pid, sizeof(pid), MSG_NOSIGNAL);
		keeper_run(sv[1], obj, multi);
	}
	close(sv[1]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	k = calloc(1, sizeof(*k));
	if (!k) {
		close(sv[0]);
		return -ENOMEM;
	}
	k->sock = sv[0];
	if (recv(k->sock, &k->pid, sizeof(k->pid), 0) != sizeof(k->pid)) {
		link_keeper__finish(k);
		return -ECHILD;
	}
	*out = k;
	return 0;
}

pid_t link_keeper__pid(const struct link_keeper *k)
{
	return k->pid;
}

static int request(struct link_keeper *k, const struct keeper_request *r, int pass_fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)r, .iov_len = sizeof(*r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int reply;
	ssize_t n;

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (sendmsg(k->sock, &msg, MSG_NOSIGNAL) != sizeof(*r))
		return -EPIPE;
	do
		n = recv(k->sock, &reply, sizeof(reply), 0);
	while (n < 0 && errno == EINTR);
	return n == sizeof(reply) ? reply : -EPIPE;
}

static struct keeper_request *new_request(enum keeper_op op, const char *prog, pid_t pid,
					  const char *path)
{
	struct keeper_request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->op = op;
	r->pid = pid;
	if ((prog && strlen(prog) >= sizeof(r->prog)) || (path && strlen(path) >= sizeof(r->path))) {
		free(r);
		return NULL;
	}
	if (prog)
		strcpy(r->prog, prog);
	if (path)
		strcpy(r->path, path);
	return r;
}

int link_keeper__attach(struct link_keeper *k, const char *prog, pid_t pid, const char *path,
			const uint64_t *offsets, size_t n, bool retprobe)
{
	struct keeper_request *r = new_request(KEEPER_ATTACH, prog, pid, path);
	int err = 0;

	if (!r)
		return -ENAMETOOLONG;
	r->retprobe = retprobe;
	for (size_t done = 0; done < n && !err; done += r->nr_offsets) {
		r->nr_offsets = n - done < KEEPER_MAX_OFFSETS ? n - done : KEEPER_MAX_OFFSETS;
		memcpy(r->offsets, offsets + done, r->nr_offsets * sizeof(*offsets));
		err = request(k, r, -1);
	}
	free(r);
	return err;
}

int link_keeper__attach_usdt(struct link_keeper *k, const char *prog, pid_t pid,
			     const char *path, const char *provider, const char *name)
{
	struct keeper_request *r = new_request(KEEPER_ATTACH_USDT, prog, pid, path);
	int err;

	if (!r || strlen(provider) >= sizeof(r->provider) || strlen(name) >= sizeof(r->name)) {
		free(r);
		return -ENAMETOOLONG;
	}
	strcpy(r->provider, provider);
	strcpy(r->name, name);
	err = request(k, r, -1);
	free(r);
	return err;
}

int link_keeper__guard_stopped(struct link_keeper *k, int pidfd)
{
	struct keeper_request *r = new_request(KEEPER_GUARD, NULL, 0, NULL);
	int err;

	if (!r)
		return -ENOMEM;
	err = request(k, r, pidfd);
	free(r);
	return err;
}

void link_keeper__finish(struct link_keeper *k)
{
	if (!k)
		return;
	/* the keeper sees the end of its socket: it removes every probe and exits */
	close(k->sock);
	free(k);
}
