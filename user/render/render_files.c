// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/snapshot.h"
#include "render/render_files.h"

static int add(struct render_files *r, const char *path, enum render_format format)
{
	int err;

	if (!path)
		return 0;
	err = output_file__open_as(&r->files[r->n], path, render__format_what(format));
	if (err)
		return err;
	r->formats[r->n++] = format;
	return 0;
}

int render_files__open(struct render_files *r, const struct mt_config *cfg)
{
	int err;

	*r = (struct render_files){ .folded_value = (enum folded_value)cfg->folded_value };
	err = add(r, cfg->pprof, RENDER_PPROF);
	if (!err)
		err = add(r, cfg->folded, RENDER_FOLDED);
	if (!err)
		err = add(r, cfg->trace, RENDER_TRACE);
	if (!err)
		err = add(r, cfg->html, RENDER_HTML);
	if (err)
		render_files__release(r);
	return err;
}

/* The final snapshot as the reader sees a saved one. */
static int read_back(const struct run_summary *sum, struct snapshot *snap)
{
	char *text = NULL, why[1024];
	size_t len = 0;
	FILE *m;
	int err;

	m = open_memstream(&text, &len);
	if (!m)
		return -errno;
	err = snapshot__write(sum, m);
	if (fclose(m) && !err)
		err = -ENOMEM;
	if (!err) {
		err = snapshot_reader__parse(text, len, "the final snapshot", snap, why,
					     sizeof(why));
		/* memtrace's own snapshot always parses: a failure here is a bug, said as one */
		if (err)
			fprintf(stderr, "memtrace: cannot read back %s\n", why);
	}
	free(text);
	return err;
}

int render_files__write(struct render_files *r, const struct run_summary *sum)
{
	struct snapshot snap = {};
	int read_err, err, first = 0;

	if (!r->n)
		return 0;
	read_err = read_back(sum, &snap);
	for (size_t i = 0; i < r->n; i++) {
		err = read_err ? read_err : render__write(r->formats[i], r->folded_value, &snap, 1,
							  r->files[i].f);
		if (err) {
			fprintf(stderr, "memtrace: cannot write %s to %s: %s\n",
				render__format_what(r->formats[i]), r->files[i].path,
				strerror(-err));
			output_file__abort(&r->files[i]);
		} else {
			err = output_file__commit(&r->files[i]);
		}
		first = first ? first : err;
	}
	snapshot_reader__release(&snap);
	return first;
}

void render_files__release(struct render_files *r)
{
	for (size_t i = 0; i < r->n; i++)
		output_file__abort(&r->files[i]);
	r->n = 0;
}
