// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/merge.h"
#include "compare/merge_cmd.h"
#include "compare/snapshot_reader.h"
#include "output/output_file.h"
#include "util/text_escape.h"

#define STATUS_ERROR 2

/* One line on stderr, escaped: it names files from the command line (text_escape.h). */
static void say(const char *line)
{
	fputs("memtrace merge: ", stderr);
	text_escape__fputs(line, stderr);
	fputc('\n', stderr);
}

/*
 * Read once (a pipe gives its bytes once), within --max-input; the reader
 * vouches for the text (schema, types, a clear error); the tree is jansson's.
 */
static json_t *load(const char *path, uint64_t max)
{
	struct snapshot s = {};
	json_t *root = NULL;
	json_error_t jerr;
	char err[1024], *text;
	size_t len;

	if (snapshot_reader__read_file(path, max, &text, &len, err, sizeof(err)) ||
	    snapshot_reader__parse(text, len, path, &s, err, sizeof(err))) {
		say(err);
		goto cleanup;
	}
	snapshot_reader__release(&s);
	root = json_loadb(text, len, 0, &jerr);
	if (!root) {
		snprintf(err, sizeof(err), "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		say(err);
	}
cleanup:
	free(text);
	return root;
}

int merge_cmd__run(const struct merge_config *cfg)
{
	struct merge_input *in = calloc(cfg->nr_inputs, sizeof(*in));
	struct output_file out = {};
	int status = STATUS_ERROR, err;
	char why[256];

	if (!in) {
		fprintf(stderr, "memtrace merge: %s\n", strerror(ENOMEM));
		return STATUS_ERROR;
	}
	for (size_t i = 0; i < cfg->nr_inputs; i++) {
		in[i].path = cfg->inputs[i];
		in[i].root = load(in[i].path, cfg->max_input);
		if (!in[i].root)
			goto cleanup;
	}
	if (cfg->output && output_file__open(&out, cfg->output))
		goto cleanup;
	err = merge__write(in, cfg->nr_inputs, cfg->output ? out.f : stdout, why, sizeof(why));
	if (err == -EOVERFLOW) {
		say(why);
		goto cleanup;
	}
	if (err) {
		fprintf(stderr, "memtrace merge: cannot write the merged snapshot: %s\n",
			strerror(-err));
		goto cleanup;
	}
	if (cfg->output && output_file__commit(&out))
		goto cleanup;
	status = 0;
cleanup:
	output_file__abort(&out);
	for (size_t i = 0; i < cfg->nr_inputs; i++)
		json_decref(in[i].root);
	free(in);
	return status;
}
