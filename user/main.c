// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memtrace: parse -> set up -> trace -> report -> clean up; or a subcommand (subcommands.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/subcommands.h"
#include "ingest/session.h"
#include "output/prometheus_file.h"
#include "output/report.h"
#include "output/snapshot.h"
#include "output/snapshot_files.h"
#include "output/top_screen.h"
#include "output/top_view.h"
#include "render/render_files.h"
#include "util/config.h"
#include "util/privileges.h"

static volatile sig_atomic_t stop_signal, stop_waiting;

/*
 * The first Ctrl-C or SIGTERM ends tracing; the report and snapshot are
 * still written. The second stops waiting for CMD; a third ends memtrace
 * at once. None of them can leave a probe behind: memtrace holds none
 * (link_keeper.h).
 */
static void on_signal(int sig)
{
	/* memtrace top's screen: the terminal must be usable after memtrace is gone */
	if (stop_waiting)
		top_screen__restore_now(), signal(sig, SIG_DFL), raise(sig);
	if (stop_signal)
		stop_waiting = sig;
	stop_signal = sig;
}

struct outputs {
	const struct mt_config *cfg;
	struct snapshot_files snap;	/* -o */
	struct prometheus_file prom;	/* --prometheus */
	struct render_files rendered;	/* --pprof, --folded, --trace: at the end only */
	bool stdout_failed;		/* said once: every interval would say it again */
	bool stdout_closed;		/* its reader is gone (| head): not written again */
	struct top_view *top;		/* memtrace top's screen or frames, while tracing */
	bool stdout_taken;		/* by top: its screen, or --batch's frames to the end */
};

/* The report or --json snapshot on stdout; a failure is said once. */
static int emit_stdout(struct outputs *o, const struct run_summary *sum)
{
	const struct mt_config *cfg = o->cfg;
	int err = 0;

	if (o->stdout_closed)
		return -EPIPE;
	if (o->stdout_taken)
		return 0;
	/* with --json, stdout holds one document: the final snapshot */
	if (cfg->json && !sum->interval)
		err = snapshot__write(sum, stdout);
	else if (!cfg->json)
		err = report__write(sum, cfg->top, stdout);
	if (!err)
		return 0;
	if (!o->stdout_failed)
		fprintf(stderr, "memtrace: cannot write to stdout: %s\n", strerror(-err));
	o->stdout_failed = true;
	o->stdout_closed = err == -EPIPE;
	/* a full disk may have room at the next interval */
	clearerr(stdout);
	return err;
}

/* The snapshot to -o; *where, when asked for, gets its path (free it). */
static int write_snapshot(struct outputs *o, const struct run_summary *sum, char **where)
{
	FILE *f = snapshot_files__next(&o->snap);
	int err;

	if (!f)
		return -EIO;
	err = snapshot__write(sum, f);
	if (err) {
		fprintf(stderr, "memtrace: cannot write snapshot to %s: %s\n", o->snap.out.path,
			strerror(-err));
		snapshot_files__discard(&o->snap);
		return err;
	}
	if (where)
		*where = strdup(o->snap.out.path);
	return snapshot_files__commit(&o->snap);
}

static int emit(struct outputs *o, const struct run_summary *sum)
{
	const struct mt_config *cfg = o->cfg;
	int err = emit_stdout(o, sum), snap_err;

	/* the same summary as the report and the snapshot: every number agrees */
	if (cfg->prometheus) {
		snap_err = prometheus_file__write(&o->prom, sum);
		err = err ? err : snap_err;
	}
	if (!cfg->output)
		return err;
	snap_err = write_snapshot(o, sum, NULL);
	return snap_err ? snap_err : err;
}

/* memtrace top's s key: the snapshot alone, now. */
static int top_snapshot(void *ctx, const struct run_summary *sum, char **where)
{
	return write_snapshot(ctx, sum, where);
}

static int top_refresh(const struct run_summary *sum, void *ctx)
{
	return top_view__refresh(((struct outputs *)ctx)->top, sum);
}

static int top_input(void *ctx)
{
	return top_view__input(((struct outputs *)ctx)->top);
}

/*
 * memtrace top: the screen (or --batch's frames) once the probes are in, so
 * that a failure to start is said on the terminal as in a run without top.
 */
static int top_start(struct outputs *o, struct session *s, struct session_reports *r)
{
	struct top_view_opts opts = { .cfg = o->cfg, .session = s, .snapshot = top_snapshot,
				      .ctx = o };
	int err = top_view__open(&opts, &o->top);

	if (err)
		return err;
	o->stdout_taken = true;
	r->on_refresh = top_refresh;
	r->refresh_ns = o->cfg->top_refresh_ns;
	if (!o->cfg->top_batch) {
		r->on_input = top_input;
		r->input_fd = top_screen__input_fd();
	}
	/* the terminal gone: as SIGTERM */
	signal(SIGHUP, on_signal);
	return 0;
}

/* The terminal back before the report: it goes there as in a run without top. */
static void top_end(struct outputs *o)
{
	top_view__free(o->top);
	o->top = NULL;
	/* --batch: stdout holds the frames alone, to the end */
	o->stdout_taken = o->cfg->top_batch;
}

/* A failed interval report is said, and tracing goes on: the next one may work. */
static int emit_interval(const struct run_summary *sum, void *ctx)
{
	emit(ctx, sum);
	return 0;
}

/* Without --interval, only the Prometheus file is written between start and end. */
static int emit_export(const struct run_summary *sum, void *ctx)
{
	struct outputs *o = ctx;

	prometheus_file__write(&o->prom, sum);
	return 0;
}

/*
 * jemalloc's options (util/heap.h): freed pages go back to the system within
 * a second, not ten, so that memtrace's memory follows what it holds; one
 * arena, as one thread does nearly all the work (with one per CPU, a
 * helper thread's arena kept an extent: test_soak +1 MB one run in three).
 */
const char *malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";

int main(int argc, char **argv)
{
	struct mt_config cfg;
	struct outputs out = { .cfg = &cfg };
	struct session_reports reports = { .on_interval = emit_interval, .on_export = emit_export,
					  .ctx = &out };
	struct run_summary sum = {};
	struct session s = {};
	bool started = false;
	int err, write_err = 0, status;

	status = subcommand__run(argc, argv);
	if (status >= 0)
		return status;
	/*
	 * A closed stdout (memtrace ... | head) must not kill memtrace before the
	 * snapshot is written: writes fail with EPIPE instead. CMD gets SIGPIPE
	 * back (launcher.c). The subcommands above keep it: they only print.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (cli__parse(argc, argv, &cfg))
		return 2;
	if (cfg.top_mode && top_view__check(&cfg)) {
		config__release(&cfg);
		return EX_USAGE;
	}
	if (privileges__check())
		return 1;
	if (cfg.output && snapshot_files__open(&out.snap, cfg.output, cfg.keep))
		return 1;
	if ((cfg.prometheus &&
	     prometheus_file__open(&out.prom, cfg.prometheus, cfg.prometheus_job)) ||
	    render_files__open(&out.rendered, &cfg)) {
		prometheus_file__release(&out.prom);
		snapshot_files__release(&out.snap);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	err = session__start(&s, &cfg);
	started = true;
	if (!err && cfg.top_mode)
		err = top_start(&out, &s, &reports);
	if (!err)
		err = session__run(&s, &stop_signal, &reports);
	if (!cfg.top_batch)
		top_end(&out);
	if (!err)
		err = session__finish(&s, &sum);
	if (cfg.top_batch) {
		if (!err && out.top)
			top_view__last_frame(out.top, &sum);
		top_end(&out);
	}
	if (!err)
		write_err = emit(&out, &sum);
	if (!err && render_files__write(&out.rendered, &sum) && !write_err)
		write_err = -EIO;

	if (started)
		session__detach(&s);
	/* a failed write was said: CMD is still waited for, and its status is memtrace's */
	status = err ? 1 : session__child_exit_status(&s, &stop_waiting);
	if (!err && !cfg.command && write_err)
		status = 1;
	run_summary__release(&sum);
	if (started)
		session__release(&s);
	snapshot_files__release(&out.snap);
	prometheus_file__release(&out.prom);
	render_files__release(&out.rendered);
	config__release(&cfg);
	return status;
}
