// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Separate debug files, searched in gdb's order: the build id first (it
 * cannot name the wrong build), then .gnu_debuglink, then debuginfod.
 *
 * libdebuginfod is loaded with dlopen, as elfutils itself does, and only
 * when DEBUGINFOD_URLS is set: linking it would pull libcurl and its TLS
 * stack into every run and make a missing library a failure to start. The
 * header still types every function pointer, so a changed prototype fails
 * the build rather than the call.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <elfutils/debuginfod.h>

#include "symbolize/debuginfo.h"
#include "util/mono_clock.h"

#define DEFAULT_DEBUG_DIR     "/usr/lib/debug"
#define DEFAULT_DEBUGINFOD_MS 30000

enum debuginfod_state {
	DEBUGINFOD_UNTRIED,
	DEBUGINFOD_READY,
	DEBUGINFOD_OFF,		/* not configured, not installed, failed or out of time */
};

struct debuginfo {
	char *debug_dir;
	enum debuginfod_state state;
	uint64_t budget_ns;	/* what debuginfod may still take */
	uint64_t deadline_ns;	/* of the fetch under way */
	void *lib;
	debuginfod_client *client;
	__typeof__(debuginfod_begin) *begin;
	__typeof__(debuginfod_end) *end;
	__typeof__(debuginfod_find_debuginfo) *find_debuginfo;
	__typeof__(debuginfod_set_progressfn) *set_progressfn;
	__typeof__(debuginfod_set_user_data) *set_user_data;
};

/*
 * The progress callback gets only the client: it finds its debuginfo in the
 * client's user data, through the library it was loaded from.
 */
static __typeof__(debuginfod_get_user_data) *debuginfod_user_data;

struct debuginfo *debuginfo__new(const struct debuginfo_opts *opts)
{
	const char *dir = opts && opts->debug_dir ? opts->debug_dir : DEFAULT_DEBUG_DIR;
	unsigned int ms = opts && opts->debuginfod_ms ? opts->debuginfod_ms : DEFAULT_DEBUGINFOD_MS;
	struct debuginfo *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->debug_dir = strdup(dir);
	if (!d->debug_dir) {
		free(d);
		return NULL;
	}
	d->budget_ns = (uint64_t)ms * 1000000ULL;
	if (opts && opts->local_only)
		d->state = DEBUGINFOD_OFF;
	return d;
}

void debuginfo__free(struct debuginfo *d)
{
	if (!d)
		return;
	if (d->client)
		d->end(d->client);
	if (d->lib)
		dlclose(d->lib);
	free(d->debug_dir);
	free(d);
}

/* Called about once a second while a fetch waits, and as data arrives: non-zero aborts it. */
static int debuginfo__progress(debuginfod_client *client, long done, long total)
{
	const struct debuginfo *d = debuginfod_user_data(client);

	(void)done;
	(void)total;
	return mono_clock__ns() >= d->deadline_ns;
}

#define LOAD(d, field, name) ((d)->field = (__typeof__((d)->field))dlsym((d)->lib, name))

/* The client, loading the library first if need be; NULL when debuginfod is off. */
static debuginfod_client *debuginfo__client(struct debuginfo *d)
{
	const char *urls;

	if (d->state != DEBUGINFOD_UNTRIED)
		return d->state == DEBUGINFOD_READY ? d->client : NULL;
	d->state = DEBUGINFOD_OFF;
	urls = getenv(DEBUGINFOD_URLS_ENV_VAR);
	if (!urls || !urls[0])
		return NULL;
	/*
	 * NODELETE: libcurl and its TLS library keep global state and exit
	 * handlers, which must not be unmapped under them by dlclose.
	 */
	d->lib = dlopen(DEBUGINFOD_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!d->lib)
		return NULL;
	if (!LOAD(d, begin, "debuginfod_begin") || !LOAD(d, end, "debuginfod_end") ||
	    !LOAD(d, find_debuginfo, "debuginfod_find_debuginfo") ||
	    !LOAD(d, set_progressfn, "debuginfod_set_progressfn") ||
	    !LOAD(d, set_user_data, "debuginfod_set_user_data") ||
	    !(debuginfod_user_data = (__typeof__(debuginfod_user_data))dlsym(
		      d->lib, "debuginfod_get_user_data")))
		return NULL;
	d->client = d->begin();
	if (!d->client)
		return NULL;
	d->set_user_data(d->client, d);
	d->set_progressfn(d->client, debuginfo__progress);
	d->state = DEBUGINFOD_READY;
	return d->client;
}

/* The CRC-32 of a whole file, as .gnu_debuglink records it (zlib's crc32). */
static int file_crc32(const char *path, uint32_t *crc)
{
	unsigned char buf[16384];
	uLong sum = crc32(0, Z_NULL, 0);
	ssize_t len;
	int fd, err = 0;

	*crc = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while ((len = read(fd, buf, sizeof(buf))) != 0) {
		if (len < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		sum = crc32(sum, buf, (uInt)len);
	}
	close(fd);
	*crc = (uint32_t)sum;
	return err;
}

static bool same_build_id(const struct elf_file *a, const struct elf_file *b)
{
	const char *x = elf_file__build_id(a), *y = elf_file__build_id(b);

	return x && y && !strcmp(x, y);
}

/* path as ef's debug file when it has ef's build id; -ENOENT otherwise. */
static int open_by_build_id(const char *path, const struct elf_file *ef, struct elf_file **out)
{
	struct elf_file *debug;
	int err = elf_file__open(path, &debug);

	if (err)
		return err == -ENOMEM ? err : -ENOENT;
	if (!same_build_id(ef, debug)) {
		elf_file__free(debug);
		return -ENOENT;
	}
	*out = debug;
	return 0;
}

/* path as the debug file .gnu_debuglink names when its CRC matches; -ENOENT otherwise. */
static int open_by_crc(const char *path, uint32_t crc, struct elf_file **out)
{
	uint32_t actual;
	int err;

	if (file_crc32(path, &actual) || actual != crc)
		return -ENOENT;
	err = elf_file__open(path, out);
	return err == -ENOMEM ? err : err ? -ENOENT : 0;
}

static int found(const char *path, char **out_path)
{
	*out_path = strdup(path);
	return *out_path ? 0 : -ENOMEM;
}

static int find_by_build_id(const struct debuginfo *d, const struct elf_file *ef,
			    const char *root, struct elf_file **out, char **out_path)
{
	const char *id = elf_file__build_id(ef);
	const char *prefix[] = { root, "" };
	char path[PATH_MAX];
	int err, len;

	if (!id || strlen(id) < 3)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		if (!prefix[i])
			continue;
		len = snprintf(path, sizeof(path), "%s%s/.build-id/%.2s/%s.debug", prefix[i],
			       d->debug_dir, id, id + 2);
		if (len < 0 || (size_t)len >= sizeof(path))
			continue;
		err = open_by_build_id(path, ef, out);
		if (err != -ENOENT)
			return err ? err : found(path, out_path);
	}
	return -ENOENT;
}

static int find_by_debuglink(const struct debuginfo *d, const struct elf_file *ef,
			     const char *module, const char *root, struct elf_file **out,
			     char **out_path)
{
	/* gdb's places: the module's directory, its .debug/, the debug directory + it */
	const char *const top[] = { "", "", d->debug_dir }, *const sub[] = { "", "/.debug", "" };
	const char *prefix[] = { root, "" }, *slash = strrchr(module, '/'), *link;
	int dir_len = slash ? (int)(slash - module) : 0, err, len;
	char path[PATH_MAX];
	uint32_t crc;

	link = elf_file__debuglink(ef, &crc);
	if (!link || module[0] != '/' || strchr(link, '/'))
		return -ENOENT;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		for (size_t w = 0; prefix[i] && w < sizeof(top) / sizeof(top[0]); w++) {
			len = snprintf(path, sizeof(path), "%s%s%.*s%s/%s", prefix[i], top[w],
				       dir_len, module, sub[w], link);
			if (len < 0 || (size_t)len >= sizeof(path))
				continue;
			err = open_by_crc(path, crc, out);
			if (err != -ENOENT)
				return err ? err : found(path, out_path);
		}
	}
	return -ENOENT;
}

static int find_by_debuginfod(struct debuginfo *d, const struct elf_file *ef,
			      struct elf_file **out, char **out_path)
{
	const char *id = elf_file__build_id(ef);
	debuginfod_client *client;
	uint64_t start, spent;
	char *path = NULL;
	int fd, err;

	if (!id || !(client = debuginfo__client(d)))
		return -ENOENT;
	start = mono_clock__ns();
	d->deadline_ns = start + d->budget_ns;
	/* A build id of length 0 means a hex string. */
	fd = d->find_debuginfo(client, (const unsigned char *)id, 0, &path);
	spent = mono_clock__ns() - start;
	d->budget_ns = spent < d->budget_ns ? d->budget_ns - spent : 0;
	if (fd < 0) {
		/* "not there" is an answer; anything else would only cost the same time again */
		if (fd != -ENOENT || !d->budget_ns)
			d->state = DEBUGINFOD_OFF;
		return -ENOENT;
	}
	close(fd);
	err = open_by_build_id(path, ef, out);
	if (!err)
		*out_path = path;
	else
		free(path);
	return err;
}

int debuginfo__find(struct debuginfo *d, const struct elf_file *ef, const char *path,
		    const char *root, struct elf_file **out, char **out_path)
{
	int err;

	*out = NULL;
	*out_path = NULL;
	err = find_by_build_id(d, ef, root, out, out_path);
	if (err == -ENOENT)
		err = find_by_debuglink(d, ef, path, root, out, out_path);
	if (err == -ENOENT)
		err = find_by_debuginfod(d, ef, out, out_path);
	if (err) {
		elf_file__free(*out);
		*out = NULL;
	}
	return err;
}
