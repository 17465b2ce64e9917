/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A file that appears whole or not at all. It is written unnamed (O_TMPFILE)
 * and linked into its directory on commit, so a memtrace killed at any moment
 * leaves nothing half-written behind; where the filesystem has no O_TMPFILE,
 * a named temporary file in the same directory is renamed over the target.
 * Opened when memtrace starts, so an unwritable path fails before any tracing.
 *
 * Hostile surroundings: the directory is opened once, component by component,
 * following a symbolic link only when root or the invoking user owns it (an
 * other user's link in a shared directory may point anywhere), and every
 * later create, link, rename and delete is relative to it. Files get mode
 * 0666 less the umask. Through sudo (root, SUDO_UID and SUDO_GID set), the
 * files and a directory memtrace makes belong to the user who ran sudo.
 */
#ifndef MEMTRACE_OUTPUT_FILE_H
#define MEMTRACE_OUTPUT_FILE_H

#include <stdbool.h>
#include <stdio.h>

struct output_file {
	char *path;		/* as given: for messages */
	char *name;		/* its name in dirfd */
	char *tmp_name;		/* the named temporary file; NULL when unnamed (O_TMPFILE) */
	int dirfd;		/* its directory */
	bool own_dir;		/* dirfd is closed with the file */
	const char *what;	/* what it holds, for messages: "snapshot" unless said */
	FILE *f;
};

/*
 * Opens the directory at path (see above); with create, makes its last
 * component when missing. On failure prints "memtrace: <doing>: <why>" and
 * returns a negative errno; on success the directory's O_PATH descriptor.
 */
int output_file__open_dir(const char *path, bool create, const char *doing);
/* Prints a one-line error and returns a negative errno when path is unwritable. */
int output_file__open(struct output_file *o, const char *path);
/* The same, for a file that is not a snapshot: messages say "cannot write WHAT to PATH". */
int output_file__open_as(struct output_file *o, const char *path, const char *what);
/* The same, for the file name in dirfd (kept open by the caller); path is for messages. */
int output_file__open_at(struct output_file *o, int dirfd, const char *name, const char *path);
/* The same for a file that holds no snapshot: its messages say "cannot write WHAT to PATH". */
int output_file__open_what(struct output_file *o, int dirfd, const char *name, const char *path,
			   const char *what);
/* Flushes, syncs and puts the file in place; prints a one-line error on failure. */
int output_file__commit(struct output_file *o);
/* Removes the temporary file, if any. NULL-safe on a zeroed struct. */
void output_file__abort(struct output_file *o);
/* Tests only: false makes every later open use the named temporary file. */
void output_file__use_tmpfile(bool use);

#endif /* MEMTRACE_OUTPUT_FILE_H */
