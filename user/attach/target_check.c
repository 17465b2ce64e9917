// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach/target_check.h"
#include "symbolize/proc_maps.h"
#include "util/text_escape.h"

/* task_struct's flags in /proc/PID/stat (include/linux/sched.h) */
#define PF_KTHREAD 0x00200000

struct proc_stat {
	char comm[COMM_LEN * TEXT_ESCAPE_RATIO]; /* escaped */
	char state;
	int ppid;
	unsigned int flags;
};

/* The start of /proc/PID/NAME, NUL-terminated: its length, or -errno. */
static ssize_t read_proc(const char *proc, pid_t pid, const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%d/%s", proc, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	return n;
}

/* "PID (COMM) S PPID PGRP SESSION TTY TPGID FLAGS ...": COMM may hold ')' and spaces. */
static int parse_stat(const char *text, struct proc_stat *st)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');

	if (!open || !close || close < open)
		return -EINVAL;
	text_escape__buf(open + 1, close - open - 1, TEXT_ESCAPE_PLAIN, st->comm, sizeof(st->comm),
			 NULL);
	if (sscanf(close + 1, " %c %d %*d %*d %*d %*d %u", &st->state, &st->ppid, &st->flags) != 3)
		return -EINVAL;
	return 0;
}

/* A number field of /proc/PID/status ("Tgid", "Threads"), or dflt when it cannot be read. */
static long status_field(const char *proc, pid_t pid, const char *key, long dflt)
{
	char buf[4096], want[32];
	const char *at;

	if (read_proc(proc, pid, "status", buf, sizeof(buf)) < 0)
		return dflt;
	snprintf(want, sizeof(want), "\n%s:", key);
	at = strstr(buf, want);
	return at ? strtol(at + strlen(want), NULL, 10) : dflt;
}

int target_check__pid_at(const char *proc, pid_t self, pid_t pid)
{
	struct proc_stat st = {};
	char buf[1024];
	ssize_t n;
	pid_t tgid;

	if (pid == self) {
		fprintf(stderr, "memtrace: cannot trace memtrace itself (PID %d)\n", pid);
		return -EINVAL;
	}
	n = read_proc(proc, pid, "stat", buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH || n == 0) {
		fprintf(stderr, "memtrace: cannot attach to PID %d: no such process\n", pid);
		return -ESRCH;
	}
	if (n < 0) {
		fprintf(stderr, "memtrace: cannot attach to PID %d: cannot read %s/%d/stat: %s\n",
			pid, proc, pid, strerror((int)-n));
		return (int)n;
	}
	if (parse_stat(buf, &st)) {
		fprintf(stderr, "memtrace: cannot attach to PID %d: %s/%d/stat does not parse\n", pid,
			proc, pid);
		return -EINVAL;
	}
	/* /proc has every thread's own directory, unlisted: a TID looks like a PID */
	tgid = (pid_t)status_field(proc, pid, "Tgid", pid);
	if (tgid != pid) {
		fprintf(stderr, "memtrace: PID %d is a thread of process %d: give -p %d\n", pid,
			tgid, tgid);
		return -EINVAL;
	}
	if (st.state == 'X') {
		fprintf(stderr, "memtrace: cannot attach to PID %d: no such process\n", pid);
		return -ESRCH;
	}
	/* a main thread gone by pthread_exit: /proc/PID/maps is the leader's, and empty */
	if (st.state == 'Z' && status_field(proc, pid, "Threads", 1) > 1) {
		fprintf(stderr,
			"memtrace: cannot attach to PID %d (%s): its main thread has exited "
			"(its other threads run on; its memory map cannot be read through it)\n",
			pid, st.comm);
		return -ESRCH;
	}
	if (st.state == 'Z') {
		fprintf(stderr,
			"memtrace: cannot attach to PID %d (%s): it is a zombie (it has "
			"exited; its parent, PID %d, has not reaped it)\n",
			pid, st.comm, st.ppid);
		return -ESRCH;
	}
	if (st.flags & PF_KTHREAD) {
		fprintf(stderr,
			"memtrace: no allocator found in PID %d (%s): it is a kernel thread, "
			"with no user memory\n",
			pid, st.comm);
		return -EINVAL;
	}
	/* opening it is where the kernel checks that memtrace may look into the process */
	n = read_proc(proc, pid, "maps", buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "memtrace: cannot read the memory map of PID %d (%s): %s\n", pid,
			st.comm, strerror((int)-n));
		return (int)n;
	}
	/* no memory at all, and not a kernel thread: its exit has begun */
	if (n == 0) {
		fprintf(stderr, "memtrace: PID %d exited during attach\n", pid);
		return -ESRCH;
	}
	return 0;
}

int target_check__pid(pid_t pid)
{
	return target_check__pid_at("/proc", getpid(), pid);
}
