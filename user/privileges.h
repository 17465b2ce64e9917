/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What memtrace needs from the system before it can trace anything. */
#ifndef MEMTRACE_PRIVILEGES_H
#define MEMTRACE_PRIVILEGES_H

/*
 * Root, or CAP_BPF + CAP_PERFMON + CAP_SYS_PTRACE; and kernel BTF.
 * Prints a one-line error and returns a negative errno when missing.
 */
int privileges__check(void);

#endif /* MEMTRACE_PRIVILEGES_H */
