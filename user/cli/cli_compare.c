// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command lines of memtrace diff and memtrace check. */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare_cmd.h"
#include "compare/site_key.h"
#include "compare/snapshot_reader.h"
#include "render/html.h"
#include "util/units.h"

/* CI scripts tell a broken rule (1) from a broken invocation by this */
#define USAGE_STATUS 2

static const char diff_doc[] =
	"Compare two memtrace snapshots: totals, processes (matched by name, not PID),\n"
	"allocators and leak sites (matched by symbols and module names, so a rebuild,\n"
	"ASLR or another install path still match), and fail on rules.\n"
	"\n"
	"USAGE: memtrace diff [OPTION...] BASE.json NEW.json\n"
	"\n"
	"A rule is [PROCESS/]METRIC:LIMIT; LIMIT is +N or -N (a change, with B, KiB,\n"
	"MiB, GiB or TiB for bytes), +N% or -N% (relative to BASE), or N (an absolute\n"
	"bound on NEW). Metrics: current_bytes, peak_bytes, allocs, frees, reallocs,\n"
	"failed_allocs, allocated_bytes, freed_bytes, unknown_frees, lost_events,\n"
	"leak_bytes, leak_count, leak_sites, growing_sites, new_leak_sites.\n"
	"\n"
	"EXAMPLES:\n"
	"  memtrace diff base.json new.json\n"
	"  memtrace diff base.json new.json --fail-on 'peak_bytes:+5%,new_leak_sites:0'\n"
	"  memtrace diff base.json new.json --rules ci/memtrace.rules --format markdown\n"
	"  memtrace diff base.json new.json --fail-on 'train/leak_bytes:+1MiB'\n"
	"  memtrace diff base.json new.json --format html -o diff.html\n"
	"\v"
	"Exit status: 0 when every rule holds, 1 when one is broken (each broken rule\n"
	"is a 'memtrace: rule broken:' line on stderr), 2 for bad usage or input.\n"
	"README.md, \"Using memtrace in CI\", has the details and the JSON schema.";

static const char check_doc[] =
	"Check one memtrace snapshot against absolute limits: for CI jobs without a\n"
	"baseline.\n"
	"\n"
	"USAGE: memtrace check [OPTION...] SNAP.json --fail-on RULES\n"
	"\n"
	"A rule is [PROCESS/]METRIC:LIMIT, LIMIT a bound (B, KiB, MiB, GiB or TiB for\n"
	"bytes): the rule is broken when the snapshot's value is above it.\n"
	"\n"
	"EXAMPLES:\n"
	"  memtrace check run.json --fail-on 'leak_bytes:0'\n"
	"  memtrace check run.json --fail-on 'peak_bytes:2GiB,train/leak_sites:3'\n"
	"\v"
	"Exit status: 0 when every rule holds, 1 when one is broken, 2 for bad usage\n"
	"or input.";

enum {
	OPT_FAIL_ON = 0x100,
	OPT_RULES,
	OPT_FORMAT,
	OPT_DEPTH,
	OPT_TOP,
	OPT_MAX_INPUT,
};

#define RULE_OPTIONS                                                                              \
	{ "fail-on", OPT_FAIL_ON, "RULES", 0,                                                     \
	  "Rules, comma-separated, [PROCESS/]METRIC:LIMIT (repeatable)", 0 },                      \
	{ "rules", OPT_RULES, "FILE", 0,                                                          \
	  "Rules from FILE: as --fail-on, one or more a line; '#' starts a comment (repeatable)",  \
	  0 },                                                                                    \
	{ "depth", OPT_DEPTH, "N", 0,                                                             \
	  "Leaf frames that identify a leak site (default 5; 0: the whole stack)", 0 },            \
	{ "max-input", OPT_MAX_INPUT, "SIZE", 0,                                                  \
	  "Refuse a snapshot larger than SIZE bytes (K, M, G suffixes; default 2G)", 0 }

static const struct argp_option diff_options[] = {
	RULE_OPTIONS,
	{ "format", OPT_FORMAT, "FORMAT", 0,
	  "text (default), json, markdown or html (a page with a differential flame graph)", 0 },
	{ "output", 'o', "FILE", 0, "Write to FILE (whole or not at all); default: stdout", 0 },
	{ "top", OPT_TOP, "N", 0,
	  "Changed sites listed in text and markdown, processes in markdown (default 20; 0: all)",
	  0 },
	{},
};

static const struct argp_option check_options[] = {
	RULE_OPTIONS,
	{},
};

struct parse {
	struct compare_config *cfg;
	bool check;
	int nr_args;
};

static int parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (units__parse_count(s, max, &v))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse *p = state->input;
	struct compare_config *cfg = p->cfg;
	char err[1024];

	switch (key) {
	case OPT_FAIL_ON:
		if (rule_set__parse(&cfg->rules, arg, err, sizeof(err)))
			argp_error(state, "--fail-on: %s", err);
		break;
	case OPT_RULES:
		if (rule_set__load(&cfg->rules, arg, err, sizeof(err)))
			argp_error(state, "%s", err);
		break;
	case OPT_FORMAT:
		if (!strcmp(arg, "text"))
			cfg->format = DIFF_FORMAT_TEXT;
		else if (!strcmp(arg, "json"))
			cfg->format = DIFF_FORMAT_JSON;
		else if (!strcmp(arg, "markdown"))
			cfg->format = DIFF_FORMAT_MARKDOWN;
		else if (!strcmp(arg, "html"))
			cfg->format = DIFF_FORMAT_HTML;
		else
			argp_error(state, "--format must be text, json, markdown or html, got '%s'",
				   arg);
		break;
	case 'o':
		cfg->output = arg;
		break;
	case OPT_DEPTH:
		if (parse_uint(arg, 1000, &cfg->depth))
			argp_error(state, "--depth must be 0 to 1000, got '%s'", arg);
		break;
	case OPT_TOP:
		if (parse_uint(arg, 1000000, &cfg->top))
			argp_error(state, "invalid --top '%s'", arg);
		break;
	case OPT_MAX_INPUT:
		if (snapshot_reader__parse_max_input(arg, &cfg->max_input))
			argp_error(state, SNAPSHOT_MAX_INPUT_USAGE, arg);
		break;
	case ARGP_KEY_ARG:
		if (p->nr_args == (p->check ? 1 : 2))
			argp_error(state, "unexpected argument '%s'", arg);
		if (!p->check && p->nr_args == 0)
			cfg->base = arg;
		else
			cfg->snap = arg;
		p->nr_args++;
		break;
	case ARGP_KEY_END:
		if (p->nr_args < (p->check ? 1 : 2))
			argp_error(state, p->check ? "give the snapshot to check"
						   : "give two snapshots: BASE.json NEW.json");
		if (p->check && !cfg->rules.n)
			argp_error(state, "nothing to check: give --fail-on or --rules");
		if (p->check && rule_set__check_absolute(&cfg->rules, err, sizeof(err)))
			argp_error(state, "%s", err);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void parse(int argc, char **argv, struct compare_config *cfg, bool check)
{
	const struct argp argp = {
		.options = check ? check_options : diff_options,
		.parser = parse_opt,
		.doc = check ? check_doc : diff_doc,
	};
	struct parse p = { .cfg = cfg, .check = check };

	*cfg = (struct compare_config){
		.depth = SITE_KEY_DEFAULT_DEPTH,
		.top = 20,
		.max_input = SNAPSHOT_MAX_INPUT_DEFAULT,
		.write_html = html__write_diff,
	};
	argp_err_exit_status = USAGE_STATUS;
	/* argp names the program after argv[0] in its messages */
	argv[0] = check ? "memtrace check" : "memtrace diff";
	argp_parse(&argp, argc, argv, 0, NULL, &p);
}

void cli_compare__parse_diff(int argc, char **argv, struct compare_config *cfg)
{
	parse(argc, argv, cfg, false);
}

void cli_compare__parse_check(int argc, char **argv, struct compare_config *cfg)
{
	parse(argc, argv, cfg, true);
}
