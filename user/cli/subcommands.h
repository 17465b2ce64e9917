/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* memtrace diff, check, merge and report: the commands that read snapshots rather than trace. */
#ifndef MEMTRACE_SUBCOMMANDS_H
#define MEMTRACE_SUBCOMMANDS_H

/*
 * Runs the subcommand argv[1] names and returns its exit status; -1 when
 * argv[1] names none (memtrace traces, then). A program called "diff" is
 * traced with memtrace -- diff. memtrace top is no subcommand of these: it
 * traces, and cli__parse takes its command line (util/config.h).
 */
int subcommand__run(int argc, char **argv);

#endif /* MEMTRACE_SUBCOMMANDS_H */
