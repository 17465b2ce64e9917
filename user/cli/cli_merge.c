// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command line of memtrace merge. */
#include <argp.h>

#include "compare/merge_cmd.h"
#include "compare/snapshot_reader.h"

#define USAGE_STATUS 2

enum {
	OPT_MAX_INPUT = 0x100,
};

static const char doc[] =
	"Merge the snapshots of one distributed job's ranks into one, so that one\n"
	"memtrace diff or check covers the whole job. Processes stay apart, labelled\n"
	"FILE@HOST (\"source\"); counters are summed.\n"
	"\n"
	"USAGE: memtrace merge [OPTION...] SNAP.json... [-o ALL.json]\n"
	"\n"
	"EXAMPLES:\n"
	"  memtrace merge rank0.json rank1.json rank2.json rank3.json -o job.json\n"
	"  memtrace merge node*/rank*.json | jq '.processes[].source'\n"
	"\v"
	"The result is a memtrace.snapshot.v1 snapshot with \"merged_from\" (README.md,\n"
	"\"Merging ranks\"). Exit status 0, or 2 for bad usage, input or output.";

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "Write the merged snapshot to FILE (whole or not at all); "
	  "default: stdout", 0 },
	{ "max-input", OPT_MAX_INPUT, "SIZE", 0,
	  "Refuse an input larger than SIZE bytes (K, M, G suffixes; default 2G)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct merge_config *cfg = state->input;

	switch (key) {
	case 'o':
		cfg->output = arg;
		break;
	case OPT_MAX_INPUT:
		if (snapshot_reader__parse_max_input(arg, &cfg->max_input))
			argp_error(state, SNAPSHOT_MAX_INPUT_USAGE, arg);
		break;
	case ARGP_KEY_ARGS:
		/* all of them at once, after the options; argv outlives the run */
		cfg->inputs = &state->argv[state->next];
		cfg->nr_inputs = state->argc - state->next;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!cfg->nr_inputs)
			argp_error(state, "give the snapshots to merge");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void cli_merge__parse(int argc, char **argv, struct merge_config *cfg)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.doc = doc,
	};

	*cfg = (struct merge_config){ .max_input = SNAPSHOT_MAX_INPUT_DEFAULT };
	argp_err_exit_status = USAGE_STATUS;
	argv[0] = "memtrace merge";
	argp_parse(&argp, argc, argv, 0, NULL, cfg);
}
