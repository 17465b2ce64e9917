// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command line of memtrace report. */
#include <argp.h>

#include "compare/snapshot_reader.h"
#include "render/report_cmd.h"

#define USAGE_STATUS 2

enum {
	OPT_MAX_INPUT = 0x100,
	OPT_FORMAT,
	OPT_FOLDED_VALUE,
};

static const char doc[] =
	"Render snapshots in a format other tools open: pprof (gzip-compressed\n"
	"profile.proto, for go tool pprof, Pyroscope, Parca, Perfetto), folded\n"
	"stacks (for flamegraph.pl, inferno, speedscope), a trace (Chrome Trace\n"
	"Event JSON of memory over time, for Perfetto and chrome://tracing) or a\n"
	"self-contained HTML report for a browser. Several snapshots are all\n"
	"rendered, their sites summed where they share a stack.\n"
	"\n"
	"USAGE: memtrace report [OPTION...] SNAP.json... --format FORMAT [-o OUT]\n"
	"\n"
	"EXAMPLES:\n"
	"  memtrace report run.json --format pprof -o p.pb.gz && go tool pprof p.pb.gz\n"
	"  memtrace report run.json --format folded | flamegraph.pl > live.svg\n"
	"  memtrace report rank*.json --format folded --folded-value allocated\n"
	"  memtrace report run.json --format trace -o run.trace.json # ui.perfetto.dev\n"
	"  memtrace report run.json --format html -o run.html\n"
	"\v"
	"pprof: sample types alloc_objects/count, alloc_space/bytes, inuse_objects/count\n"
	"and inuse_space/bytes (the default); labels pid, comm, tid, thread, allocator,\n"
	"and kind for GPU memory; mappings with build ids. folded: one line\n"
	"\"root;...;leaf VALUE\" per stack, sorted; a GPU site's stack starts with\n"
	"\"[ALLOCATOR]\". trace: each process's timeline as counter tracks, its\n"
	"collections, OOM events, steps, start and end as events (README.md, \"Other\n"
	"tools' formats\"). Exit status 0, or 2 for bad usage, input or output.";

static const struct argp_option options[] = {
	{ "format", OPT_FORMAT, "FORMAT", 0, "pprof, folded, trace or html (required)", 0 },
	{ "output", 'o', "FILE", 0, "Write to FILE (whole or not at all); default: stdout", 0 },
	{ "folded-value", OPT_FOLDED_VALUE, "VALUE", 0,
	  "folded: bytes (live bytes, the default), blocks (live blocks), allocated "
	  "(bytes allocated) or count (allocations)", 0 },
	{ "max-input", OPT_MAX_INPUT, "SIZE", 0,
	  "Refuse an input larger than SIZE bytes (K, M, G suffixes; default 2G)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct report_config *cfg = state->input;

	switch (key) {
	case 'o':
		cfg->output = arg;
		break;
	case OPT_FORMAT:
		if (render__parse_format(arg, &cfg->format))
			argp_error(state, "invalid --format '%s': pprof, folded, trace or html", arg);
		cfg->format_set = true;
		break;
	case OPT_FOLDED_VALUE:
		if (folded__parse_value(arg, &cfg->folded_value))
			argp_error(state, FOLDED_VALUE_USAGE, arg);
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
			argp_error(state, "give the snapshots to render");
		if (!cfg->format_set)
			argp_error(state, "give --format pprof, folded, trace or html");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void cli_report__parse(int argc, char **argv, struct report_config *cfg)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.doc = doc,
	};

	*cfg = (struct report_config){ .max_input = SNAPSHOT_MAX_INPUT_DEFAULT };
	argp_err_exit_status = USAGE_STATUS;
	argv[0] = "memtrace report";
	argp_parse(&argp, argc, argv, 0, NULL, cfg);
}
