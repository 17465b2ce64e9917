/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the command line asked for. Defaults live in cli.c. */
#ifndef MEMTRACE_CONFIG_H
#define MEMTRACE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_PIDS 64

struct mt_config {
	pid_t pids[MAX_PIDS];
	int nr_pids;
	char **command;		/* launch mode: argv of CMD, NULL-terminated */
	double duration_s;	/* 0: until Ctrl-C or every target has exited */
	const char *output;	/* -o FILE */
	bool json;		/* snapshot on stdout instead of the text report */
	int top;		/* stack sites in the text report */
	uint64_t ringbuf_bytes;
	bool verbose;
};

/* Parses argv; on bad usage prints one line and returns -EINVAL. */
int cli__parse(int argc, char **argv, struct mt_config *cfg);

#endif /* MEMTRACE_CONFIG_H */
