/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where -o puts snapshots: one file, replaced whole each time; or a
 * numbered trail, from a pattern whose file name holds %t (the number) or
 * into a directory, given with its trailing slash (DIR/snap-%t.json). Numbers have at least 4 digits and
 * start after the highest one already there, so a new run's files sort
 * after an old run's. With keep N, only the newest N files this run wrote
 * stay; files it did not write are never deleted. The next file is opened
 * ahead of time: an unwritable place fails before tracing starts. The
 * directory is opened once (output_file.h says how a link is followed) and
 * every file is made, replaced and deleted relative to it.
 */
#ifndef MEMTRACE_SNAPSHOT_FILES_H
#define MEMTRACE_SNAPSHOT_FILES_H

#include <stdbool.h>
#include <stdio.h>

#include "output/output_file.h"

struct snapshot_files {
	char *path;		/* one file: its path; NULL for a numbered trail */
	char *dir;		/* the files' directory, as given */
	int dirfd;		/* and opened: valid when dir_open */
	bool dir_open;
	char *head, *tail;	/* trail: a path is head, the number, tail */
	const char *name_head;	/* trail: head past its directory: a name starts so */
	unsigned long next;	/* trail: the number of the next file */
	unsigned int keep;	/* trail: files kept, 0 for all */
	char **written;		/* trail: the last keep names written, oldest at pos */
	unsigned int nr_written, pos;
	struct output_file out;	/* the next snapshot's file, open */
};

/* 0 when output is a usable -o value: at most one %t, and in the file name. */
int snapshot_files__check(const char *output);
/* Prints a one-line error and returns a negative errno when output is unwritable. */
int snapshot_files__open(struct snapshot_files *f, const char *output, unsigned int keep);
/* Where the next snapshot is written; NULL (error printed) when it cannot be opened. */
FILE *snapshot_files__next(struct snapshot_files *f);
/* The path the next snapshot gets; NULL on -ENOMEM. Free it. */
char *snapshot_files__next_path(const struct snapshot_files *f);
/* Puts the snapshot in place; a trail then deletes its oldest file beyond keep. */
int snapshot_files__commit(struct snapshot_files *f);
/* Drops the snapshot begun (a failed write): the next one starts afresh. */
void snapshot_files__discard(struct snapshot_files *f);
/* Discards, and frees everything. NULL-safe on a zeroed struct. */
void snapshot_files__release(struct snapshot_files *f);

#endif /* MEMTRACE_SNAPSHOT_FILES_H */
