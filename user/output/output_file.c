// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output/output_file.h"
#include "util/privileges.h"

/* The kernel's own limit on the links one path resolution follows. */
#define MAX_LINKS 40
#define NAME_TRIES 100

static bool use_tmpfile = true;

void output_file__use_tmpfile(bool use)
{
	use_tmpfile = use;
}

/* Root's links and the invoking user's own point where they chose; another user's may not. */
static bool trusted_owner(uid_t owner)
{
	uid_t uid;
	gid_t gid;

	if (owner == 0)
		return true;
	if (!privileges__sudo_user(&uid, &gid))
		return owner == uid;
	return owner == getuid();
}

/* Through sudo, what memtrace makes is the invoking user's, as if they had made it. */
static int give_to_invoking_user(int fd, int dirfd, const char *name)
{
	uid_t uid;
	gid_t gid;
	int err;

	if (privileges__sudo_user(&uid, &gid))
		return 0;
	err = name ? fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) : fchown(fd, uid, gid);
	return err ? -errno : 0;
}

struct walk {
	int links;	/* symbolic links followed so far */
	bool refused;	/* a link was not followed: its owner is not trusted */
	uid_t owner;	/* that link's owner */
};

static int walk(int start, const char *path, bool create, struct walk *w);

/*
 * The link name in dir, followed by the same rules as the path that led to
 * it; read through a descriptor of the link itself, so that the link whose
 * owner was checked is the one followed.
 */
static int follow(int dir, const char *name, struct walk *w)
{
	char target[PATH_MAX];
	struct stat st;
	int link, fd;
	ssize_t n;

	link = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (link < 0)
		return -errno;
	if (fstat(link, &st)) {
		fd = -errno;
		goto cleanup;
	}
	if (!S_ISLNK(st.st_mode)) {
		fd = -ENOTDIR;
		goto cleanup;
	}
	if (!trusted_owner(st.st_uid)) {
		w->refused = true;
		w->owner = st.st_uid;
		fd = -EPERM;
		goto cleanup;
	}
	if (++w->links > MAX_LINKS) {
		fd = -ELOOP;
		goto cleanup;
	}
	n = readlinkat(link, "", target, sizeof(target) - 1);
	if (n < 0) {
		fd = -errno;
		goto cleanup;
	}
	target[n] = '\0';
	fd = walk(dir, target, false, w);
cleanup:
	close(link);
	return fd;
}

static int open_component(int dir, const char *name, bool create, struct walk *w)
{
	int fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int err;

	if (fd >= 0)
		return fd;
	err = -errno;
	if (err == -ENOENT && create) {
		if (!mkdirat(dir, name, 0777)) {
			err = give_to_invoking_user(-1, dir, name);
			if (err)
				return err;
		} else if (errno != EEXIST) {
			return -errno;
		}
		/* made, or made by someone else meanwhile: opened by the same rules either way */
		return open_component(dir, name, false, w);
	}
	/* a link: O_DIRECTORY says ENOTDIR, and so does a file, which follow() tells apart */
	if (err == -ENOTDIR || err == -ELOOP)
		return follow(dir, name, w);
	return err;
}

/* path from start (AT_FDCWD or a directory), one component at a time; an O_PATH descriptor. */
static int walk(int start, const char *path, bool create, struct walk *w)
{
	char *copy = strdup(path), *comp, *next, *save = NULL;
	int cur, fd = 0;

	if (!copy)
		return -ENOMEM;
	if (path[0] == '/')
		cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else if (start == AT_FDCWD)
		cur = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else
		cur = fcntl(start, F_DUPFD_CLOEXEC, 0);
	if (cur < 0) {
		fd = -errno;
		goto cleanup;
	}
	for (comp = strtok_r(copy, "/", &save); comp; comp = next) {
		next = strtok_r(NULL, "/", &save);
		fd = open_component(cur, comp, create && !next, w);
		if (fd < 0)
			goto cleanup;
		close(cur);
		cur = fd;
	}
	fd = cur;
	cur = -1;
cleanup:
	if (cur >= 0)
		close(cur);
	free(copy);
	return fd;
}

int output_file__open_dir(const char *path, bool create, const char *doing)
{
	struct walk w = {};
	int fd = walk(AT_FDCWD, path, create, &w);

	if (fd >= 0)
		return fd;
	if (w.refused)
		fprintf(stderr,
			"memtrace: %s: a symbolic link on the way is owned by uid %u, neither root "
			"nor the invoking user: not followed\n", doing, w.owner);
	else
		fprintf(stderr, "memtrace: %s: %s\n", doing, strerror(-fd));
	return fd;
}

/* name.tmp.XXXXXX, XXXXXX random: another memtrace writing the same file picks another. */
static char *temp_name(const char *name)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char bytes[6];
	char suffix[sizeof(bytes) + 1], *out;

	if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != sizeof(bytes)) {
		struct timespec ts;

		/* early at boot: unpredictable enough, and O_EXCL settles a clash */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = (ts.tv_nsec >> (4 * i)) ^ (getpid() >> i) ^ rand();
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		suffix[i] = digits[bytes[i] % (sizeof(digits) - 1)];
	suffix[sizeof(bytes)] = '\0';
	return asprintf(&out, "%s.tmp.%s", name, suffix) < 0 ? NULL : out;
}

/* Where the filesystem has no O_TMPFILE: a fresh name, never a file or link already there. */
static int open_named(struct output_file *o)
{
	int fd = -EEXIST;

	for (int i = 0; i < NAME_TRIES && fd == -EEXIST; i++) {
		free(o->tmp_name);
		o->tmp_name = temp_name(o->name);
		if (!o->tmp_name)
			return -ENOMEM;
		fd = openat(o->dirfd, o->tmp_name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0) {
		free(o->tmp_name);
		o->tmp_name = NULL;
	}
	return fd;
}

int output_file__open_what(struct output_file *o, int dirfd, const char *name, const char *path,
			   const char *what)
{
	struct stat st;
	int fd = -1, err;

	*o = (struct output_file){ .dirfd = dirfd, .what = what };
	if (!*name || (!fstatat(dirfd, name, &st, 0) && S_ISDIR(st.st_mode))) {
		fprintf(stderr, "memtrace: cannot write %s to %s: is a directory\n", what, path);
		return -EISDIR;
	}
	o->path = strdup(path);
	o->name = strdup(name);
	if (!o->path || !o->name) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* unnamed until committed: nothing to leave behind if memtrace dies first */
	if (use_tmpfile) {
		fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR) {
			err = -errno;
			goto fail;
		}
	}
	if (fd < 0) {
		fd = open_named(o);
		if (fd < 0) {
			err = fd;
			goto fail;
		}
	}
	err = give_to_invoking_user(fd, -1, NULL);
	if (err) {
		close(fd);
		goto fail;
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		err = -errno;
		close(fd);
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "memtrace: cannot write %s to %s: %s\n", what, path, strerror(-err));
cleanup:
	output_file__abort(o);
	return err;
}

int output_file__open_at(struct output_file *o, int dirfd, const char *name, const char *path)
{
	return output_file__open_what(o, dirfd, name, path, "snapshot");
}

int output_file__open(struct output_file *o, const char *path)
{
	return output_file__open_as(o, path, "snapshot");
}

int output_file__open_as(struct output_file *o, const char *path, const char *what)
{
	const char *slash = strrchr(path, '/');
	char *dir, *doing;
	int dirfd, err;

	*o = (struct output_file){};
	if (!slash)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir || asprintf(&doing, "cannot write %s to %s", what, path) < 0) {
		free(dir);
		return -ENOMEM;
	}
	dirfd = output_file__open_dir(dir, false, doing);
	free(dir);
	free(doing);
	if (dirfd < 0)
		return dirfd;
	err = output_file__open_what(o, dirfd, slash ? slash + 1 : path, path, what);
	if (err) {
		close(dirfd);
		return err;
	}
	o->own_dir = true;
	return 0;
}

/* An unnamed file gets its name: through its descriptor where allowed, else through /proc. */
static int link_unnamed(int fd, int dirfd, const char *name)
{
	char proc[32];

	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, which only root has */
	if (!linkat(fd, "", dirfd, name, AT_EMPTY_PATH))
		return 0;
	if (errno == EEXIST)
		return -EEXIST;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) ? -errno : 0;
}

static int put_in_place(struct output_file *o)
{
	int err;

	if (o->tmp_name) {
		if (renameat(o->dirfd, o->tmp_name, o->dirfd, o->name))
			return -errno;
		free(o->tmp_name);
		o->tmp_name = NULL;
		return 0;
	}
	/* a new name (a trail's next file) is linked at once: never a temporary name */
	err = link_unnamed(fileno(o->f), o->dirfd, o->name);
	if (err != -EEXIST)
		return err;
	/* replacing a file: linked under a temporary name, renamed over it */
	for (int i = 0; i < NAME_TRIES && err == -EEXIST; i++) {
		free(o->tmp_name);
		o->tmp_name = temp_name(o->name);
		if (!o->tmp_name)
			return -ENOMEM;
		err = link_unnamed(fileno(o->f), o->dirfd, o->tmp_name);
	}
	if (err) {
		free(o->tmp_name);
		o->tmp_name = NULL;
		return err;
	}
	if (renameat(o->dirfd, o->tmp_name, o->dirfd, o->name))
		return -errno;
	free(o->tmp_name);
	o->tmp_name = NULL;
	return 0;
}

int output_file__commit(struct output_file *o)
{
	int err = 0;

	if (fflush(o->f) || fsync(fileno(o->f)))
		err = -errno;
	if (!err)
		err = put_in_place(o);
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (err) {
		fprintf(stderr, "memtrace: cannot write %s to %s: %s\n",
			o->what ? o->what : "snapshot", o->path, strerror(-err));
		output_file__abort(o);
		return err;
	}
	output_file__abort(o);
	return 0;
}

void output_file__abort(struct output_file *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp_name)
		unlinkat(o->dirfd, o->tmp_name, 0);
	if (o->own_dir)
		close(o->dirfd);
	free(o->tmp_name);
	free(o->name);
	free(o->path);
	*o = (struct output_file){};
}
