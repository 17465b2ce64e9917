// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the snapshot reader (make fuzz): whatever the bytes,
 * it reads them or fails with a message naming the file, and never crashes,
 * leaks or trips ASan/UBSan. What it promises beyond that is checked too:
 * a broken promise aborts, and libFuzzer keeps the input that did it.
 *
 * Seeds (corpus/): snapshots build/memtrace -o wrote once of tests/progs
 * programs (growth_sites and train_steps with --interval, the latter with
 * --step-probe; two_pids: two growth_sites under -p), and two hand-written
 * tricky_* files: nulls and unknown fields in a v1.3, and only what is required.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare/snapshot_reader.h"

#define NAME "fuzz.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failed(const struct snapshot *s, const char *msg)
{
	static const struct snapshot empty;

	if (memcmp(s, &empty, sizeof(empty)) || strncmp(msg, NAME, strlen(NAME)))
		abort();
}

static void check_read(const struct snapshot *s, const char *msg)
{
	if (msg[0] || strcmp(s->path, NAME) || (s->nr_procs && !s->procs) ||
	    (s->nr_leaks && !s->leaks))
		abort();
	for (size_t i = 0; i < s->nr_procs; i++)
		if (!s->procs[i].comm)
			abort();
	for (size_t i = 0; i < s->nr_leaks; i++) {
		const struct snap_leak *l = &s->leaks[i];

		if (!l->allocator || (l->nr_frames && !l->frames))
			abort();
		if (l->process != SIZE_MAX &&
		    (l->process >= s->nr_procs || s->procs[l->process].pid != l->pid))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s;
	char msg[256];
	int err;

	/* data is not NUL-terminated: the reader must keep to size */
	err = snapshot_reader__parse((const char *)data, size, NAME, &s, msg, sizeof(msg));
	if (err)
		check_failed(&s, msg);
	else
		check_read(&s, msg);
	snapshot_reader__release(&s);
	return 0;
}
