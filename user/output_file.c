// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output_file.h"

int output_file__open(struct output_file *o, const char *path)
{
	struct stat st;
	int fd, err;

	*o = (struct output_file){};
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "memtrace: cannot write snapshot to %s: is a directory\n", path);
		return -EISDIR;
	}
	o->path = strdup(path);
	if (!o->path || asprintf(&o->tmp_path, "%s.tmp.XXXXXX", path) < 0) {
		o->tmp_path = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	fd = mkstemp(o->tmp_path);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "memtrace: cannot write snapshot to %s: %s\n", path, strerror(-err));
		free(o->tmp_path);
		o->tmp_path = NULL;
		goto cleanup;
	}
	/* mkstemp's 0600 would hide the snapshot from the CI user who reads it */
	fchmod(fd, 0644);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	return 0;
cleanup:
	output_file__abort(o);
	return err;
}

int output_file__commit(struct output_file *o)
{
	int err = 0;

	if (fflush(o->f) || fsync(fileno(o->f)))
		err = -errno;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (!err && rename(o->tmp_path, o->path))
		err = -errno;
	if (err) {
		fprintf(stderr, "memtrace: cannot write snapshot to %s: %s\n", o->path,
			strerror(-err));
		output_file__abort(o);
		return err;
	}
	free(o->tmp_path);
	free(o->path);
	*o = (struct output_file){};
	return 0;
}

void output_file__abort(struct output_file *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp_path)
		unlink(o->tmp_path);
	free(o->tmp_path);
	free(o->path);
	*o = (struct output_file){};
}
