// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

const char *argp_program_version = "memtrace " MEMTRACE_VERSION;
const char *argp_program_bug_address = NULL;

static const char doc[] =
	"memtrace -- trace every libc allocation of a process with eBPF.\n"
	"\n"
	"USAGE: memtrace [OPTION...] -p PID [-p PID...]\n"
	"       memtrace [OPTION...] -- CMD [ARGS...]\n"
	"\n"
	"Tracing ends on Ctrl-C or SIGTERM, after --duration, or when every target\n"
	"has exited; then the report is printed and the snapshot written. In launch\n"
	"mode memtrace exits with CMD's exit status.\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo memtrace -p 1234                 # trace a running process until Ctrl-C\n"
	"  sudo memtrace -p 1234 -d 60 -o s.json # one minute, snapshot to s.json\n"
	"  sudo memtrace -- ./train --epochs 1   # trace from the first instruction\n"
	"  sudo memtrace -o s.json -- ./a.out    # snapshot to s.json, report too\n"
	"\v"
	"Sizes are requested bytes. The JSON snapshot schema is memtrace.snapshot.v1\n"
	"(README.md, \"Snapshot\").";

enum {
	OPT_JSON = 0x100,
	OPT_TOP,
	OPT_RINGBUF,
	OPT_AT_ENTRY,
	OPT_STACK,
};

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Trace this running process (repeatable)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop tracing after this long (s, m, h suffixes)", 0 },
	{ "output", 'o', "FILE", 0, "Write the JSON snapshot to FILE", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print the JSON snapshot on stdout instead of the report", 0 },
	{ "top", OPT_TOP, "N", 0, "Stack sites shown in the text report (default 10)", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "MIB", 0, "Ring buffer size in MiB, a power of two (default 16)",
	  0 },
	{ "verbose", 'v', NULL, 0, "Say what is attached where; libbpf debug output", 0 },
	{ "stack", OPT_STACK, "MODE", 0, "Call stacks: fp (frame pointers, default) or none", 0 },
	{ "probe-at-entry", OPT_AT_ENTRY, NULL, 0,
	  "Probe every function at its first instruction (slower; for comparison)", 0 },
	{},
};

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_duration(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v <= 0)
		return -EINVAL;
	if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct mt_config *cfg = state->input;
	long v;

	switch (key) {
	case 'p':
		if (cfg->nr_pids == MAX_PIDS)
			argp_error(state, "at most %d -p options", MAX_PIDS);
		if (parse_long(arg, 1, INT_MAX, &v))
			argp_error(state, "invalid PID '%s'", arg);
		cfg->pids[cfg->nr_pids++] = (pid_t)v;
		break;
	case 'd':
		if (parse_duration(arg, &cfg->duration_s))
			argp_error(state, "invalid duration '%s'", arg);
		break;
	case 'o':
		cfg->output = arg;
		break;
	case OPT_JSON:
		cfg->json = true;
		break;
	case OPT_TOP:
		if (parse_long(arg, 0, 1000000, &v))
			argp_error(state, "invalid --top '%s'", arg);
		cfg->top = (int)v;
		break;
	case OPT_RINGBUF:
		if (parse_long(arg, 1, 4096, &v) || (v & (v - 1)))
			argp_error(state, "--ringbuf-size must be a power of two in MiB, got '%s'", arg);
		cfg->ringbuf_bytes = (uint64_t)v << 20;
		break;
	case 'v':
		cfg->verbose = true;
		break;
	case OPT_AT_ENTRY:
		cfg->probes_at_entry = true;
		break;
	case OPT_STACK:
		if (!strcmp(arg, "fp"))
			cfg->stack_mode = STACK_FP;
		else if (!strcmp(arg, "none"))
			cfg->stack_mode = STACK_NONE;
		else
			argp_error(state, "--stack must be fp or none, got '%s'", arg);
		break;
	case ARGP_KEY_ARG:
		/* the first non-option starts CMD; the rest are its own arguments */
		cfg->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!cfg->nr_pids && !cfg->command)
			argp_error(state, "nothing to trace: give -p PID or -- CMD");
		if (cfg->nr_pids && cfg->command)
			argp_error(state, "-p and a command cannot be combined");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const char *stack_mode__name(enum stack_mode mode)
{
	return mode == STACK_NONE ? "none" : "fp";
}

int cli__parse(int argc, char **argv, struct mt_config *cfg)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.doc = doc,
	};

	*cfg = (struct mt_config){
		.top = 10,
		.ringbuf_bytes = 16 << 20,
	};
	/* in order, so options after CMD belong to CMD */
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, cfg))
		return -EINVAL;
	return 0;
}
