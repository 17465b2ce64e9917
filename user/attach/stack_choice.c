// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "attach/launcher.h"
#include "attach/stack_choice.h"
#include "symbolize/frame_pointers.h"
#include "util/text_escape.h"

/* The first target program built without frame pointers, into path; false: none. */
static bool find_program_without_fp(const struct mt_config *cfg, char *path, size_t len)
{
	bool uses_fp;

	if (cfg->command) {
		if (launcher__image(cfg->command[0], path, len))
			return false; /* the launch itself will say what is wrong */
		return frame_pointers__detect(path, &uses_fp) || !uses_fp;
	}
	for (int i = 0; i < cfg->nr_pids; i++) {
		snprintf(path, len, "/proc/%d/exe", cfg->pids[i]);
		if (frame_pointers__detect(path, &uses_fp) || !uses_fp)
			return true;
	}
	return false;
}

void stack_choice__resolve(const struct mt_config *cfg, struct stack_choice *out)
{
	char path[PATH_MAX];

	out->mode = cfg->stack_mode;
	out->no_fp[0] = '\0';
	if (cfg->stack_auto) {
		out->mode = MT_STACK_FP;
		if (find_program_without_fp(cfg, path, sizeof(path))) {
			out->mode = MT_STACK_DWARF;
			snprintf(out->no_fp, sizeof(out->no_fp), "%s", path);
		}
	}
	out->sample_bytes = cfg->sample_bytes;
	if (out->mode == MT_STACK_DWARF && !cfg->sample_bytes_set)
		out->sample_bytes = DWARF_DEFAULT_SAMPLE_BYTES;
}

void stack_choice__say(const struct stack_choice *c)
{
	char shown[PATH_MAX];

	if (!c->no_fp[0])
		return;
	fprintf(stderr, "memtrace: %s has no frame pointers: stacks by DWARF unwinding "
			"(--stack=fp to walk frame pointers anyway)\n",
		text_escape(c->no_fp, shown, sizeof(shown)));
}
