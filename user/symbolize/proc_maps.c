// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/PID/maps parsing. A line reads
 *
 *   start-end perms offset major:minor inode   path
 *
 * with hexadecimal numbers except the inode, and a path that may be absent,
 * may contain spaces and may end in " (deleted)". The path is kept exactly as
 * the kernel prints it: it is what a user recognizes, and a deleted file
 * cannot be reopened by name anyway (proc_map__open_path reaches it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/proc_maps.h"

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parses the digits of base at *p and leaves *p on the first other character.
 * Hand-written rather than strtoull, which would accept a sign and blanks.
 */
static bool parse_number(const char **p, unsigned int base, uint64_t *val)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	for (; (d = digit_value(*s)) >= 0 && (unsigned int)d < base; s++) {
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (s == *p)
		return false;
	*val = v;
	*p = s;
	return true;
}

static bool skip_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Parses the line [line, eol); eol points at the '\n' or the terminating NUL. */
static int proc_map__parse_line(const char *line, const char *eol, struct proc_map *map)
{
	const char *p = line;
	uint64_t major, minor;

	memset(map, 0, sizeof(*map));
	if (!parse_number(&p, 16, &map->start) || !skip_char(&p, '-') ||
	    !parse_number(&p, 16, &map->end) || !skip_char(&p, ' ') || map->start >= map->end)
		return -EINVAL;

	/* The checks stop at the first mismatch, so a short line is never read past eol. */
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's') || p[4] != ' ')
		return -EINVAL;
	map->readable = p[0] == 'r';
	map->writable = p[1] == 'w';
	map->executable = p[2] == 'x';
	p += 5;

	if (!parse_number(&p, 16, &map->offset) || !skip_char(&p, ' ') ||
	    !parse_number(&p, 16, &major) || !skip_char(&p, ':') ||
	    !parse_number(&p, 16, &minor) || !skip_char(&p, ' ') ||
	    !parse_number(&p, 10, &map->inode) || (p != eol && *p != ' ') ||
	    major > UINT32_MAX || minor > UINT32_MAX)
		return -EINVAL;
	map->dev_major = major;
	map->dev_minor = minor;

	/* The kernel pads the path to a column; anonymous lines end in the padding or none. */
	while (p < eol && *p == ' ')
		p++;
	if (p == eol)
		return 0;
	map->path = strndup(p, eol - p);
	return map->path ? 0 : -ENOMEM;
}

int proc_maps__parse(const char *text, struct proc_maps *out)
{
	struct proc_maps m = {};
	struct proc_map *grown;
	const char *line, *eol;
	size_t cap = 0;
	int err = 0;

	out->maps = NULL;
	out->n = 0;
	for (line = text; *line; line = *eol ? eol + 1 : eol) {
		eol = strchrnul(line, '\n');
		if (eol == line)
			continue;
		if (m.n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = reallocarray(m.maps, cap, sizeof(*m.maps));
			if (!grown) {
				err = -ENOMEM;
				goto cleanup;
			}
			m.maps = grown;
		}
		err = proc_map__parse_line(line, eol, &m.maps[m.n]);
		if (err)
			goto cleanup;
		m.n++;
		/* proc_maps__find's binary search relies on the kernel's order. */
		if (m.n > 1 && m.maps[m.n - 1].start < m.maps[m.n - 2].end) {
			err = -EINVAL;
			goto cleanup;
		}
	}
	*out = m;
	return 0;

cleanup:
	proc_maps__release(&m);
	return err;
}

int proc_maps__read(pid_t pid, struct proc_maps *out)
{
	size_t len = 0, cap = 0;
	char path[32];
	char *text = NULL, *grown;
	ssize_t n;
	int fd, err;

	out->maps = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto cleanup;
	}
	/* The file's size is always 0, so read until EOF. */
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			grown = realloc(text, cap);
			if (!grown) {
				err = -ENOMEM;
				goto cleanup;
			}
			text = grown;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += n;
	}
	/*
	 * A process that has exited but is not reaped yet (or a kernel thread)
	 * has no address space left to describe.
	 */
	if (len == 0) {
		err = -ESRCH;
		goto cleanup;
	}
	text[len] = '\0';
	err = proc_maps__parse(text, out);

cleanup:
	free(text);
	if (fd >= 0)
		close(fd);
	return err;
}

void proc_maps__release(struct proc_maps *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->maps[i].path);
	free(m->maps);
	m->maps = NULL;
	m->n = 0;
}

const struct proc_map *proc_maps__find(const struct proc_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (addr < m->maps[mid].start)
			hi = mid;
		else if (addr >= m->maps[mid].end)
			lo = mid + 1;
		else
			return &m->maps[mid];
	}
	return NULL;
}

int proc_maps__copy(const struct proc_maps *from, struct proc_maps *to)
{
	struct proc_maps copy = {};

	if (!from->n) {
		*to = copy;
		return 0;
	}
	copy.maps = calloc(from->n, sizeof(*copy.maps));
	if (!copy.maps)
		return -ENOMEM;
	for (size_t i = 0; i < from->n; i++, copy.n++) {
		copy.maps[i] = from->maps[i];
		if (from->maps[i].path && !(copy.maps[i].path = strdup(from->maps[i].path))) {
			proc_maps__release(&copy);
			return -ENOMEM;
		}
	}
	*to = copy;
	return 0;
}

#define DELETED_SUFFIX " (deleted)"

static bool path_deleted(const char *path)
{
	size_t n = path ? strlen(path) : 0, k = sizeof(DELETED_SUFFIX) - 1;

	return n > k && !strcmp(path + n - k, DELETED_SUFFIX);
}

bool proc_map__deleted(const struct proc_map *m)
{
	return path_deleted(m->path);
}

int proc_map__open_path(pid_t pid, const struct proc_map *m, char *out, size_t len)
{
	int n;

	/* the name leads to another file now, or to none: the mapping still has the inode */
	if (proc_map__deleted(m))
		n = snprintf(out, len, "/proc/%d/map_files/%llx-%llx", (int)pid,
			     (unsigned long long)m->start, (unsigned long long)m->end);
	else
		n = snprintf(out, len, "/proc/%d/root%s", (int)pid, m->path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int proc_maps__exe_open_path(pid_t pid, const char *exe, char *out, size_t len)
{
	int n;

	if (path_deleted(exe))
		n = snprintf(out, len, "/proc/%d/exe", (int)pid);
	else
		n = snprintf(out, len, "/proc/%d/root%s", (int)pid, exe);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
