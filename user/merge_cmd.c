// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "merge_cmd.h"
#include "output_file.h"
#include "snapshot_reader.h"

#define STATUS_ERROR 2

/* The reader vouches for the file (schema, types, a clear error); the tree is jansson's. */
static json_t *load(const char *path)
{
	struct snapshot s = {};
	json_error_t jerr;
	char err[1024];
	json_t *root;

	if (snapshot_reader__load(path, &s, err, sizeof(err))) {
		fprintf(stderr, "memtrace merge: %s\n", err);
		return NULL;
	}
	snapshot_reader__release(&s);
	root = json_load_file(path, 0, &jerr);
	if (!root)
		fprintf(stderr, "memtrace merge: %s:%d:%d: %s\n", path, jerr.line, jerr.column,
			jerr.text);
	return root;
}

int merge_cmd__run(const struct merge_config *cfg)
{
	struct merge_input *in = calloc(cfg->nr_inputs, sizeof(*in));
	struct output_file out = {};
	int status = STATUS_ERROR, err;

	if (!in) {
		fprintf(stderr, "memtrace merge: %s\n", strerror(ENOMEM));
		return STATUS_ERROR;
	}
	for (size_t i = 0; i < cfg->nr_inputs; i++) {
		in[i].path = cfg->inputs[i];
		in[i].root = load(in[i].path);
		if (!in[i].root)
			goto cleanup;
	}
	if (cfg->output && output_file__open(&out, cfg->output))
		goto cleanup;
	err = merge__write(in, cfg->nr_inputs, cfg->output ? out.f : stdout);
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
