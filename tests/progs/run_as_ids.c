// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Says who it runs as, on stderr (stdout stays memtrace's JSON): one line
 * "ids: uid=U gid=G euid=U egid=G groups=A,B,... home=H user=U logname=L",
 * the groups sorted; and leaks exactly one block of 4321 bytes (ids_leak).
 * Given a directory, another line, "fds under DIR: N": how many of its open
 * files are in DIR. Nothing else allocates: no stdio
 * (tests/integration/test_run_as.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) void ids_leak(void)
{
	sink = malloc(4321);
}

static void sort(gid_t *g, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && g[j - 1] > g[j]; j--) {
			gid_t t = g[j];

			g[j] = g[j - 1];
			g[j - 1] = t;
		}
}

static const char *env_or(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "(unset)";
}

/* Open files under dir, by their /proc/self/fd links; no opendir, which allocates. */
static int fds_under(const char *dir)
{
	char link[64], target[4096];
	size_t len = strlen(dir);
	int n = 0;

	for (int fd = 3; fd < 1024; fd++) {
		ssize_t got;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		got = readlink(link, target, sizeof(target) - 1);
		if (got <= 0)
			continue;
		target[got] = '\0';
		n += !strncmp(target, dir, len) && target[len] == '/';
	}
	return n;
}

int main(int argc, char **argv)
{
	gid_t groups[256];
	char line[8192];
	size_t len;
	int n;

	ids_leak();
	n = getgroups(256, groups);
	if (n < 0)
		return 1;
	sort(groups, n);
	len = (size_t)snprintf(line, sizeof(line), "ids: uid=%u gid=%u euid=%u egid=%u groups=",
			       getuid(), getgid(), geteuid(), getegid());
	for (int i = 0; i < n && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%u", i ? "," : "",
					groups[i]);
	if (len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					" home=%s user=%s logname=%s\n", env_or("HOME"),
					env_or("USER"), env_or("LOGNAME"));
	if (argc > 1 && len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len, "fds under %s: %d\n",
					argv[1], fds_under(argv[1]));
	if (len >= sizeof(line))
		return 1;
	return write(STDERR_FILENO, line, len) == (ssize_t)len ? 0 : 1;
}
