// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

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

/* Whether the kernel unwinder can run here: bpf_loop, and not MEMTRACE_NO_KERNEL_UNWIND. */
static bool kernel_unwind(void)
{
	const char *no = getenv("MEMTRACE_NO_KERNEL_UNWIND");

	if (no && *no && strcmp(no, "0"))
		return false;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, NULL) == 1;
}

int stack_choice__resolve(const struct mt_config *cfg, struct stack_choice *out)
{
	char path[PATH_MAX];

	out->mode = cfg->stack_mode;
	out->no_fp[0] = '\0';
	if (cfg->stack_mode == MT_STACK_KERNEL_DWARF && !kernel_unwind()) {
		fprintf(stderr, "memtrace: --stack=kernel-dwarf needs bpf_loop (Linux 5.17 or "
				"later): use --stack=dwarf or fp\n");
		return -ENOTSUP;
	}
	if (cfg->stack_auto && kernel_unwind()) {
		out->mode = MT_STACK_KERNEL_DWARF;
	} else if (cfg->stack_auto) {
		out->mode = MT_STACK_FP;
		if (find_program_without_fp(cfg, path, sizeof(path))) {
			out->mode = MT_STACK_DWARF;
			snprintf(out->no_fp, sizeof(out->no_fp), "%s", path);
		}
	}
	out->sample_bytes = cfg->sample_bytes;
	if (out->mode == MT_STACK_DWARF && !cfg->sample_bytes_set)
		out->sample_bytes = DWARF_DEFAULT_SAMPLE_BYTES;
	return 0;
}

void stack_choice__say(const struct stack_choice *c)
{
	char shown[PATH_MAX];

	if (!c->no_fp[0])
		return;
	fprintf(stderr, "memtrace: %s has no frame pointers and the kernel no bpf_loop (5.17): "
			"stacks by DWARF unwinding in user space, sampled (--stack=fp to walk frame "
			"pointers anyway)\n",
		text_escape(c->no_fp, shown, sizeof(shown)));
}
