/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How stacks are taken, once the targets are known. --stack=auto: "fp"
 * when every target's program was built with frame pointers, else "dwarf"
 * (a frame-pointer walk stops at the first frame of code without them).
 * A dwarf stack costs a 16 KiB copy and an unwind (7.6 us a pair against
 * 2.5 us for fp, make bench), so dwarf samples one stack per 512 KiB
 * allocated unless --sample-bytes says otherwise.
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
	char no_fp[PATH_MAX];	/* auto chose dwarf for this program; "" otherwise */
};

/*
 * Never fails, and says nothing: a program that cannot be read counts as
 * without frame pointers. The choice must be made before the BPF programs
 * load; what it says waits for stack_choice__say, once the targets are
 * attached, so that a target's own error is the first line about it.
 */
void stack_choice__resolve(const struct mt_config *cfg, struct stack_choice *out);
/* The one line about --stack=auto choosing dwarf, if it did. */
void stack_choice__say(const struct stack_choice *c);

#endif /* MEMTRACE_STACK_CHOICE_H */
