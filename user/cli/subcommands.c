// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "cli/subcommands.h"
#include "compare/compare_cmd.h"
#include "compare/merge_cmd.h"
#include "render/report_cmd.h"

static int diff_main(int argc, char **argv)
{
	struct compare_config cfg;
	int status;

	cli_compare__parse_diff(argc, argv, &cfg);
	status = compare__diff(&cfg);
	rule_set__release(&cfg.rules);
	return status;
}

static int check_main(int argc, char **argv)
{
	struct compare_config cfg;
	int status;

	cli_compare__parse_check(argc, argv, &cfg);
	status = compare__check(&cfg);
	rule_set__release(&cfg.rules);
	return status;
}

static int merge_main(int argc, char **argv)
{
	struct merge_config cfg;

	cli_merge__parse(argc, argv, &cfg);
	return merge_cmd__run(&cfg);
}

static int report_main(int argc, char **argv)
{
	struct report_config cfg;

	cli_report__parse(argc, argv, &cfg);
	return report_cmd__run(&cfg);
}

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} subcommands[] = {
	{ "diff", diff_main },
	{ "check", check_main },
	{ "merge", merge_main },
	{ "report", report_main },
};

int subcommand__run(int argc, char **argv)
{
	if (argc < 2)
		return -1;
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].main(argc - 1, argv + 1);
	return -1;
}
