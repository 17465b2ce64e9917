// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memtrace: parse -> set up -> trace -> report -> clean up. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "output_file.h"
#include "privileges.h"
#include "report.h"
#include "session.h"
#include "snapshot.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
	/* a second Ctrl-C kills memtrace outright */
	signal(sig, SIG_DFL);
}

static int emit(const struct mt_config *cfg, const struct run_summary *sum,
		struct output_file *snap)
{
	int err = 0;

	if (cfg->json)
		err = snapshot__write(sum, stdout);
	else
		err = report__write(sum, cfg->top, stdout);
	if (err)
		fprintf(stderr, "memtrace: cannot write to stdout: %s\n", strerror(-err));
	if (snap->f) {
		int snap_err = snapshot__write(sum, snap->f);

		if (snap_err) {
			fprintf(stderr, "memtrace: cannot write snapshot to %s: %s\n", snap->path,
				strerror(-snap_err));
			return snap_err;
		}
		snap_err = output_file__commit(snap);
		if (snap_err)
			return snap_err;
	}
	return err;
}

int main(int argc, char **argv)
{
	struct output_file snap = {};
	struct run_summary sum = {};
	struct mt_config cfg;
	struct session s = {};
	bool started = false;
	int err, status;

	if (cli__parse(argc, argv, &cfg))
		return 2;
	if (privileges__check())
		return 1;
	if (cfg.output && output_file__open(&snap, cfg.output))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	err = session__start(&s, &cfg);
	started = true;
	if (!err)
		err = session__run(&s, &stop_signal);
	if (!err)
		err = session__finish(&s, &sum);
	if (!err)
		err = emit(&cfg, &sum, &snap);

	if (started)
		session__detach(&s);
	status = err ? 1 : session__child_exit_status(&s);
	leaks__release(&sum.leaks);
	symbolizer__free(sum.sym);
	if (started)
		session__release(&s);
	output_file__abort(&snap);
	return status;
}
