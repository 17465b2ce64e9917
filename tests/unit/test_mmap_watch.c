// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mmap_watch against the real kernel: records copied whole across the end of
 * a small ring, an exec seen before the new image's mappings, a loss
 * reported, data mappings of files kept and anonymous ones dropped. Needs
 * system-wide perf events (root); skips loudly without.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest/mmap_watch.h"

#define ROUNDS 80
#define MAPS_PER_ROUND 10

struct seen {
	uint32_t pid;
	const char *path;	/* the file the test maps */
	uint64_t inode;
	void *const *addrs;	/* where it was mapped, in order */
	size_t nr_addrs, len;
	size_t matched;		/* addrs seen, in order */
	int exec_at, map_at, exit_at, n;	/* the child's events, by arrival */
	uint64_t lost;
	uint64_t last_time;	/* sorted within a drain; reset between them */
};

static struct mmap_watch *open_or_skip(size_t pages)
{
	struct mmap_watch *w;
	int err = mmap_watch__open(&w, pages);

	if (err == -EACCES || err == -EPERM || err == -ENOENT) {
		fprintf(stderr, "SKIP: no system-wide perf events here (%s)\n", strerror(-err));
		skip();
	}
	assert_int_equal(err, 0);
	return w;
}

/* Ours, not the watch's own rings (anon_inode:[perf_event], mapped by mmap_watch__open). */
static bool is_test_map(const struct seen *s, const struct mmap_watch_event *e)
{
	return e->kind == MMAP_WATCH_MAP && e->pid == s->pid &&
	       (e->map.path ? !strcmp(e->map.path, s->path) : e->map.executable);
}

static int on_map(void *ctx, const struct mmap_watch_event *e)
{
	struct seen *s = ctx;

	assert_true(e->time_ns >= s->last_time);
	s->last_time = e->time_ns;
	if (e->kind == MMAP_WATCH_LOST)
		s->lost += e->lost;
	if (!is_test_map(s, e))
		return 0;
	assert_true(s->matched < s->nr_addrs);
	assert_int_equal(e->map.start, (uintptr_t)s->addrs[s->matched]);
	assert_int_equal(e->map.end - e->map.start, s->len);
	assert_true(e->map.executable && e->map.readable && !e->map.writable);
	/* map_self alternates: the file, then anonymous memory ("//anon" to the kernel) */
	if (s->matched++ % 2) {
		assert_null(e->map.path);
		return 0;
	}
	assert_string_equal(e->map.path, s->path);
	assert_int_equal(e->map.offset, 0);
	assert_int_equal(e->map.inode, s->inode);
	return 0;
}

/*
 * Records of two sizes (with and without a file name), so some straddle the
 * ring's end; no two anonymous ones adjacent, which the kernel would merge.
 */
static void map_self(void **addrs, size_t n, size_t len, struct seen *s)
{
	struct stat st;
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	s->inode = st.st_ino;
	for (size_t i = 0; i < n; i++) {
		addrs[i] = mmap(NULL, len, PROT_READ | PROT_EXEC,
				i % 2 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_PRIVATE, i % 2 ? -1 : fd,
				0);
		assert_true(addrs[i] != MAP_FAILED);
	}
	close(fd);
}

static void unmap_all(void **addrs, size_t n, size_t len)
{
	for (size_t i = 0; i < n; i++)
		munmap(addrs[i], len);
}

/* A small ring wraps every few dozen records: each must come out whole. */
static void test_records_across_the_wrap(void **state)
{
	static void *addrs[ROUNDS * MAPS_PER_ROUND];
	char exe[PATH_MAX];
	struct seen s = { .pid = getpid(), .path = exe, .addrs = addrs, .len = 4096 };
	struct mmap_watch *w;

	(void)state;
	assert_non_null(realpath("/proc/self/exe", exe));
	/* two pages: room for other processes' records besides a round of ours */
	w = open_or_skip(2);
	for (int r = 0; r < ROUNDS; r++) {
		map_self(addrs + r * MAPS_PER_ROUND, MAPS_PER_ROUND, s.len, &s);
		s.nr_addrs += MAPS_PER_ROUND;
		s.last_time = 0;
		assert_int_equal(mmap_watch__drain(w, on_map, &s), 0);
	}
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.matched, ROUNDS * MAPS_PER_ROUND);
	unmap_all(addrs, s.nr_addrs, s.len);
	mmap_watch__free(w);
}

static int on_child(void *ctx, const struct mmap_watch_event *e)
{
	struct seen *s = ctx;

	if (e->pid != s->pid)
		return 0;
	if (e->kind == MMAP_WATCH_EXEC && s->exec_at < 0)
		s->exec_at = s->n;
	if (e->kind == MMAP_WATCH_MAP && e->map.path && !strcmp(e->map.path, s->path) &&
	    s->map_at < 0)
		s->map_at = s->n;
	if (e->kind == MMAP_WATCH_EXIT && e->tid == s->pid)
		s->exit_at = s->n;
	s->n++;
	return 0;
}

/* The exec first, then the new image, then the exit: the order the session relies on. */
static void test_exec_then_image(void **state)
{
	char true_path[PATH_MAX];
	struct seen s = { .path = true_path, .exec_at = -1, .map_at = -1, .exit_at = -1 };
	struct mmap_watch *w;
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(realpath("/bin/true", true_path));
	w = open_or_skip(0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(true_path, "true", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s.pid = pid;
	assert_int_equal(mmap_watch__drain(w, on_child, &s), 0);
	assert_true(s.exec_at >= 0);
	assert_true(s.map_at > s.exec_at);
	assert_true(s.exit_at > s.map_at);
	mmap_watch__free(w);
}

/*
 * More than a page of records before a drain: the ring keeps the first ones,
 * and once there is room again the kernel says how many it dropped.
 */
static void test_loss_reported(void **state)
{
	static void *addrs[206];
	cpu_set_t one, all;
	char exe[PATH_MAX];
	struct seen s = { .pid = getpid(), .path = exe, .addrs = addrs, .len = 4096 };
	struct mmap_watch *w;

	(void)state;
	assert_non_null(realpath("/proc/self/exe", exe));
	/* one CPU: the loss is said in the ring that had it, at its next record */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	w = open_or_skip(1);
	map_self(addrs, 200, s.len, &s);
	s.nr_addrs = 200;
	assert_int_equal(mmap_watch__drain(w, on_map, &s), 0);
	assert_true(s.matched > 0 && s.matched < 200);
	assert_int_equal(s.lost, 0);
	s.addrs = addrs + 200;
	s.nr_addrs = 6;
	s.matched = 0;
	s.last_time = 0;
	map_self(addrs + 200, 6, s.len, &s);
	assert_int_equal(mmap_watch__drain(w, on_map, &s), 0);
	assert_true(s.lost > 0);
	assert_int_equal(s.matched, 6);
	unmap_all(addrs, 206, s.len);
	mmap_watch__free(w);
	sched_setaffinity(0, sizeof(all), &all);
}

static int on_data(void *ctx, const struct mmap_watch_event *e)
{
	struct seen *s = ctx;

	if (e->kind != MMAP_WATCH_MAP || e->pid != s->pid)
		return 0;
	/* the anonymous one would have come without a path */
	assert_non_null(e->map.path);
	if (!strncmp(e->map.path, "anon_inode:", 11))
		return 0;
	assert_string_equal(e->map.path, s->path);
	assert_int_equal(e->map.start, (uintptr_t)s->addrs[0]);
	assert_false(e->map.executable);
	s->matched++;
	return 0;
}

/* A file's data mapping comes through (an unwinder needs it), anonymous memory does not. */
static void test_data_mappings(void **state)
{
	char exe[PATH_MAX];
	void *file, *anon;
	struct seen s = { .pid = getpid(), .path = exe, .addrs = &file };
	struct mmap_watch *w;
	int fd;

	(void)state;
	assert_non_null(realpath("/proc/self/exe", exe));
	w = open_or_skip(0);
	fd = open(exe, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	file = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	anon = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(file != MAP_FAILED && anon != MAP_FAILED);
	assert_int_equal(mmap_watch__drain(w, on_data, &s), 0);
	assert_int_equal(s.matched, 1);
	munmap(file, 4096);
	munmap(anon, 1 << 20);
	mmap_watch__free(w);
}

static void test_pages_power_of_two(void **state)
{
	struct mmap_watch *w;

	(void)state;
	assert_int_equal(mmap_watch__open(&w, 3), -EINVAL);
	assert_null(w);
	mmap_watch__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_across_the_wrap),
		cmocka_unit_test(test_exec_then_image),
		cmocka_unit_test(test_loss_reported),
		cmocka_unit_test(test_data_mappings),
		cmocka_unit_test(test_pages_power_of_two),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
