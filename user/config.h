/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the command line asked for. Defaults live in cli.c. */
#ifndef MEMTRACE_CONFIG_H
#define MEMTRACE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_PIDS 64

enum stack_mode {
	STACK_FP,	/* frame-pointer walk in the kernel, plus the direct caller */
	STACK_NONE,	/* no stacks: every call still counted */
};

const char *stack_mode__name(enum stack_mode mode);

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
	bool probes_at_entry;	/* no probe placement past the prologue */
	enum stack_mode stack_mode;
};

/* Parses argv; on bad usage prints one line and returns -EINVAL. */
int cli__parse(int argc, char **argv, struct mt_config *cfg);

#endif /* MEMTRACE_CONFIG_H */
