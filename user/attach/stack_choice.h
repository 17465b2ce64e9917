/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How stacks are taken, once the targets are known. --stack=auto:
 * "kernel-dwarf" where the kernel has bpf_loop (5.17): whole stacks for
 * every allocation, through code with or without frame pointers. On older
 * kernels (or with MEMTRACE_NO_KERNEL_UNWIND=1, for tests), "fp" when
 * every target's program was built with frame pointers, else "dwarf" (a
 * frame-pointer walk stops at the first frame of code without them). A
 * dwarf stack costs a 16 KiB copy and an unwind in user space, so dwarf
 * samples one stack per 512 KiB allocated unless --sample-bytes says
 * otherwise.
 */
#ifndef MEMTRACE_STACK_CHOICE_H
#define MEMTRACE_STACK_CHOICE_H

#include <limits.h>
#include <stdint.h>

#include "util/config.h"

#define DWARF_DEFAULT_SAMPLE_BYTES (512 * 1024)

struct stack_choice {
	enum mt_stack_mode mode;
	uint64_t sample_bytes;
	/* auto chose dwarf for this program (kernel-dwarf was not to be had); "" otherwise */
	char no_fp[PATH_MAX];
};

/*
 * Says nothing but for -ENOTSUP (--stack=kernel-dwarf on a kernel
 * without bpf_loop, said): a program that cannot be read counts as
 * without frame pointers. The choice must be made before the BPF programs
 * load; what it says waits for stack_choice__say, once the targets are
 * attached, so that a target's own error is the first line about it.
 */
int stack_choice__resolve(const struct mt_config *cfg, struct stack_choice *out);
/* The one line about --stack=auto choosing dwarf, if it did. */
void stack_choice__say(const struct stack_choice *c);

#endif /* MEMTRACE_STACK_CHOICE_H */
