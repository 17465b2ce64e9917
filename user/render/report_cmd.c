// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/output_file.h"
#include "render/report_cmd.h"
#include "util/text_escape.h"

#define STATUS_ERROR 2

/* One line on stderr, escaped: it names files from the command line (text_escape.h). */
static void say(const char *line)
{
	fputs("memtrace report: ", stderr);
	text_escape__fputs(line, stderr);
	fputc('\n', stderr);
}

static int load_all(const struct report_config *cfg, struct snapshot *snaps)
{
	char err[1024];

	for (size_t i = 0; i < cfg->nr_inputs; i++) {
		if (snapshot_reader__load_max(cfg->inputs[i], cfg->max_input, &snaps[i], err,
					      sizeof(err))) {
			say(err);
			return -EINVAL;
		}
	}
	return 0;
}

int report_cmd__run(const struct report_config *cfg)
{
	struct snapshot *snaps = calloc(cfg->nr_inputs, sizeof(*snaps));
	struct output_file out = {};
	int status = STATUS_ERROR, err;
	FILE *f = stdout;

	if (!snaps) {
		fprintf(stderr, "memtrace report: %s\n", strerror(ENOMEM));
		return STATUS_ERROR;
	}
	if (load_all(cfg, snaps))
		goto cleanup;
	/* gzip on a terminal helps nobody: say where it should go instead */
	if (!cfg->output && cfg->format == RENDER_PPROF && isatty(STDOUT_FILENO)) {
		say("pprof is binary: give -o FILE, or redirect stdout");
		goto cleanup;
	}
	if (cfg->output) {
		if (output_file__open_as(&out, cfg->output, render__format_what(cfg->format)))
			goto cleanup;
		f = out.f;
	}
	err = render__write(cfg->format, cfg->folded_value, snaps, cfg->nr_inputs, f);
	if (err) {
		fprintf(stderr, "memtrace report: cannot write %s to %s: %s\n",
			render__format_what(cfg->format), cfg->output ? cfg->output : "stdout",
			strerror(-err));
		goto cleanup;
	}
	if (cfg->output && output_file__commit(&out))
		goto cleanup;
	status = 0;
cleanup:
	output_file__abort(&out);
	for (size_t i = 0; i < cfg->nr_inputs; i++)
		snapshot_reader__release(&snaps[i]);
	free(snaps);
	return status;
}
