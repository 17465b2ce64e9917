// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/snapshot_files.h"

#define DIR_FILE_HEAD "snap-"
#define DIR_FILE_TAIL ".json"

int snapshot_files__check(const char *output)
{
	const char *t = strstr(output, "%t");

	if (!*output)
		return -EINVAL;
	if (!t)
		return 0;
	if (strstr(t + 2, "%t") || strchr(t + 2, '/'))
		return -EINVAL;
	return 0;
}

char *snapshot_files__next_path(const struct snapshot_files *f)
{
	char *path;

	if (f->path)
		return strdup(f->path);
	if (asprintf(&path, "%s%04lu%s", f->head, f->next, f->tail) < 0)
		return NULL;
	return path;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The highest number among the trail's files already in its directory; 0 for none. */
static unsigned long highest_number(const struct snapshot_files *f)
{
	size_t head_len = strlen(f->name_head), tail_len = strlen(f->tail);
	unsigned long highest = 0;
	struct dirent *e;
	DIR *d;
	int fd;

	/* the directory opened, not its path again: the one files will go in */
	fd = openat(f->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), digits;
		unsigned long n;

		if (len <= head_len + tail_len || strncmp(e->d_name, f->name_head, head_len) ||
		    strcmp(e->d_name + len - tail_len, f->tail))
			continue;
		digits = len - head_len - tail_len;
		if (!all_digits(e->d_name + head_len, digits))
			continue;
		errno = 0;
		n = strtoul(e->d_name + head_len, NULL, 10);
		if (!errno && n > highest && n < ULONG_MAX)
			highest = n;
	}
	closedir(d);
	return highest;
}

/* A directory: DIR/snap-NNNN.json, the directory made when missing. */
static int setup_dir(struct snapshot_files *f, const char *output)
{
	size_t len = strlen(output);

	while (len > 1 && output[len - 1] == '/')
		len--;
	f->dir = strndup(output, len);
	if (!f->dir)
		return -ENOMEM;
	if (asprintf(&f->head, "%s%s" DIR_FILE_HEAD, f->dir, strcmp(f->dir, "/") ? "/" : "") < 0) {
		f->head = NULL;
		return -ENOMEM;
	}
	f->tail = strdup(DIR_FILE_TAIL);
	return f->tail ? 0 : -ENOMEM;
}

/* A pattern: head%ttail, in the directory of its file name. */
static int setup_pattern(struct snapshot_files *f, const char *output)
{
	const char *t = strstr(output, "%t"), *slash;

	f->head = strndup(output, t - output);
	f->tail = strdup(t + 2);
	if (!f->head || !f->tail)
		return -ENOMEM;
	slash = strrchr(f->head, '/');
	f->dir = slash ? strndup(f->head, slash == f->head ? 1 : slash - f->head) : strdup(".");
	return f->dir ? 0 : -ENOMEM;
}

/* One file: in the directory of its name. */
static int setup_file(struct snapshot_files *f, const char *output)
{
	const char *slash = strrchr(output, '/');

	f->path = strdup(output);
	f->dir = slash ? strndup(output, slash == output ? 1 : slash - output) : strdup(".");
	return f->path && f->dir ? 0 : -ENOMEM;
}

/* Opened once: a link swapped in later changes nothing. */
static int open_dir(struct snapshot_files *f, bool create)
{
	char *doing;
	int fd;

	if (f->path ? asprintf(&doing, "cannot write snapshot to %s", f->path) < 0
		    : asprintf(&doing, "cannot write snapshots to %s", f->dir) < 0)
		return -ENOMEM;
	fd = output_file__open_dir(f->dir, create, doing);
	free(doing);
	if (fd < 0)
		return fd;
	f->dirfd = fd;
	f->dir_open = true;
	return 0;
}

static int open_next(struct snapshot_files *f)
{
	char *path = snapshot_files__next_path(f), *name = NULL;
	int err;

	if (!path)
		return -ENOMEM;
	if (f->path) {
		const char *slash = strrchr(f->path, '/');

		name = strdup(slash ? slash + 1 : f->path);
	} else if (asprintf(&name, "%s%04lu%s", f->name_head, f->next, f->tail) < 0) {
		name = NULL;
	}
	err = name ? output_file__open_at(&f->out, f->dirfd, name, path) : -ENOMEM;
	free(name);
	free(path);
	return err;
}

int snapshot_files__open(struct snapshot_files *f, const char *output, unsigned int keep)
{
	size_t len = strlen(output);
	int err;

	*f = (struct snapshot_files){ .keep = keep };
	/* only with the slash: -o DIR by mistake stays the error it always was */
	if (len && output[len - 1] == '/')
		err = setup_dir(f, output);
	else if (strstr(output, "%t"))
		err = setup_pattern(f, output);
	else
		err = setup_file(f, output);
	if (!err && !f->path) {
		const char *slash = strrchr(f->head, '/');

		f->name_head = slash ? slash + 1 : f->head;
	}
	if (!err)
		err = open_dir(f, len && output[len - 1] == '/');
	if (!err && !f->path) {
		f->next = highest_number(f) + 1;
		if (keep && !(f->written = calloc(keep, sizeof(*f->written))))
			err = -ENOMEM;
	}
	if (!err)
		err = open_next(f);
	if (err)
		snapshot_files__release(f);
	return err;
}

FILE *snapshot_files__next(struct snapshot_files *f)
{
	return f->out.f || !open_next(f) ? f->out.f : NULL;
}

/* Remembers a trail file written, deleting the oldest beyond keep. */
static void remember(struct snapshot_files *f, char *name)
{
	if (!f->keep) {
		free(name);
		return;
	}
	if (f->nr_written < f->keep) {
		f->written[f->nr_written++] = name;
		return;
	}
	/* already gone (removed by hand) is as good as deleted */
	unlinkat(f->dirfd, f->written[f->pos], 0);
	free(f->written[f->pos]);
	f->written[f->pos] = name;
	f->pos = (f->pos + 1) % f->keep;
}

int snapshot_files__commit(struct snapshot_files *f)
{
	char *name = f->path ? NULL : strdup(f->out.name);
	int err;

	if (!f->path && !name)
		return -ENOMEM;
	err = output_file__commit(&f->out);
	if (err) {
		free(name);
		return err;
	}
	if (f->path)
		return 0;
	f->next++;
	remember(f, name);
	return 0;
}

void snapshot_files__discard(struct snapshot_files *f)
{
	output_file__abort(&f->out);
}

void snapshot_files__release(struct snapshot_files *f)
{
	snapshot_files__discard(f);
	for (unsigned int i = 0; i < f->nr_written; i++)
		free(f->written[i]);
	free(f->written);
	if (f->dir_open)
		close(f->dirfd);
	free(f->path);
	free(f->dir);
	free(f->head);
	free(f->tail);
	*f = (struct snapshot_files){};
}
