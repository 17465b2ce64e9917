// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compare/compare_cmd.h"
#include "compare/diff.h"
#include "compare/diff_format.h"
#include "compare/diff_report.h"
#include "compare/rule_eval.h"
#include "compare/snapshot_reader.h"
#include "output/output_file.h"
#include "util/text_escape.h"

#define STATUS_OK 0
#define STATUS_BROKEN 1
#define STATUS_ERROR 2

/*
 * One line on stderr, escaped (text_escape.h): it holds file names, rules
 * and process names, from a command line or a snapshot.
 */
static void say(const char *prefix, const char *line)
{
	fputs(prefix, stderr);
	text_escape__fputs(line, stderr);
	fputc('\n', stderr);
}

static int load(const char *cmd, const char *path, uint64_t max, struct snapshot *s)
{
	char err[1024], prefix[32];

	if (!snapshot_reader__load_max(path, max, s, err, sizeof(err)))
		return 0;
	snprintf(prefix, sizeof(prefix), "memtrace %s: ", cmd);
	say(prefix, err);
	return -1;
}

static int write_format(const struct compare_config *cfg, const struct diff *d,
			const struct rule_results *rules, FILE *out)
{
	switch (cfg->format) {
	case DIFF_FORMAT_JSON:
		return diff_json__write(d, rules, out);
	case DIFF_FORMAT_MARKDOWN:
		return diff_markdown__write(d, rules, cfg->top, out);
	case DIFF_FORMAT_HTML:
		return cfg->write_html ? cfg->write_html(d, out) : -ENOTSUP;
	case DIFF_FORMAT_TEXT:
		break;
	}
	return diff_text__write(d, rules, cfg->top, out);
}

/* To stdout, or to -o's file, whole or not at all; errors are said here. */
static int write_diff(const struct compare_config *cfg, const struct diff *d,
		      const struct rule_results *rules)
{
	struct output_file out = {};
	int err;

	if (!cfg->output) {
		err = write_format(cfg, d, rules, stdout);
		if (err)
			fprintf(stderr, "memtrace diff: cannot write to stdout: %s\n", strerror(-err));
		return err;
	}
	err = output_file__open_as(&out, cfg->output, "the diff");
	if (err)
		return err;
	err = write_format(cfg, d, rules, out.f);
	if (err) {
		fputs("memtrace diff: cannot write the diff to ", stderr);
		text_escape__fputs(cfg->output, stderr);
		fprintf(stderr, ": %s\n", strerror(-err));
	} else {
		err = output_file__commit(&out);
	}
	output_file__abort(&out);
	return err;
}

int compare__diff(const struct compare_config *cfg)
{
	struct snapshot base = {}, new = {};
	struct rule_results rules = {};
	struct diff d = {};
	char err[1024], line[2048];
	int status = STATUS_ERROR, ret;

	if (load("diff", cfg->base, cfg->max_input, &base) ||
	    load("diff", cfg->snap, cfg->max_input, &new))
		goto cleanup;
	ret = diff__compute(&d, &base, &new, cfg->depth);
	if (ret) {
		fprintf(stderr, "memtrace diff: %s\n", strerror(-ret));
		goto cleanup;
	}
	ret = rule_eval__diff(&cfg->rules, &d, &rules, err, sizeof(err));
	if (ret) {
		say("memtrace diff: ", ret == -ENOENT ? err : strerror(-ret));
		goto cleanup;
	}
	ret = write_diff(cfg, &d, cfg->rules.n ? &rules : NULL);
	if (ret)
		goto cleanup;
	for (size_t i = 0; i < rules.n; i++) {
		if (!rules.items[i].broken)
			continue;
		diff_format__diff_rule(&d, &rules.items[i], line, sizeof(line));
		say("memtrace: rule broken: ", line);
	}
	status = rules.nr_broken ? STATUS_BROKEN : STATUS_OK;
cleanup:
	rule_results__release(&rules);
	diff__release(&d);
	snapshot_reader__release(&base);
	snapshot_reader__release(&new);
	return status;
}

int compare__check(const struct compare_config *cfg)
{
	struct rule_results rules = {};
	struct site_set sites = {};
	struct snapshot s = {};
	char err[1024], line[2048];
	int status = STATUS_ERROR, ret;

	if (load("check", cfg->snap, cfg->max_input, &s))
		goto cleanup;
	ret = site_set__build(&sites, &s, cfg->depth);
	if (!ret)
		ret = rule_eval__check(&cfg->rules, &s, &sites, &rules, err, sizeof(err));
	if (ret) {
		say("memtrace check: ", ret == -ENOENT ? err : strerror(-ret));
		goto cleanup;
	}
	fputs("memtrace check: ", stdout);
	text_escape__fputs(s.path, stdout);
	printf(": %zu rules, %zu broken\n", rules.n, rules.nr_broken);
	for (size_t i = 0; i < rules.n; i++) {
		diff_format__check_rule(&s, &rules.items[i], line, sizeof(line));
		printf("  %-6s ", rules.items[i].broken ? "BROKEN" : "ok");
		text_escape__fputs(line, stdout);
		putchar('\n');
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "memtrace check: cannot write to stdout\n");
		goto cleanup;
	}
	for (size_t i = 0; i < rules.n; i++) {
		if (!rules.items[i].broken)
			continue;
		diff_format__check_rule(&s, &rules.items[i], line, sizeof(line));
		say("memtrace: rule broken: ", line);
	}
	status = rules.nr_broken ? STATUS_BROKEN : STATUS_OK;
cleanup:
	rule_results__release(&rules);
	site_set__release(&sites);
	snapshot_reader__release(&s);
	return status;
}
