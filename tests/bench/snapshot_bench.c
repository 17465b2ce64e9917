// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How long the end of a big run takes: a tracker holding 1M live blocks
 * over 10k stacks, fed through the same record path as the ring buffer,
 * is turned into a snapshot (leaks__collect, then snapshot__write, which
 * also symbolizes every frame), and the file is read back with jansson.
 *
 * The process is a PID that does not exist, marked exited, whose memory
 * map is this bench's own: frames are return addresses inside real
 * functions of this binary and of libc, so the symbolizer does real work.
 *
 * memtrace top's refresh from the same summary: its rows (every leak site
 * named, Python frames looked for: the first frame symbolizes each stack,
 * later ones take the names of the frame before) and a --batch frame
 * written; on top of leaks_collect_s, which each refresh pays too.
 *
 * Usage: snapshot_bench [FILE]   (default: a temporary file, removed)
 * Prints leaks_collect_s, snapshot_write_s, snapshot_read_s, snapshot_bytes,
 * top_first_refresh_s, top_refresh_s.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "account/leaks.h"
#include "account/run_summary.h"
#include "account/tracker.h"
#include "ingest/dispatch.h"
#include "output/snapshot.h"
#include "output/top_batch.h"
#include "output/top_rows.h"
#include "symbolize/proc_maps.h"
#include "symbolize/symbolizer.h"

#define FAKE_PID   0x7ffffff0u
#define NR_THREADS 8
#define NR_STACKS  10000
#define NR_BLOCKS  1000000
#define MIN_FRAMES 8
#define MAX_FRAMES 16
#define BLOCK_BASE 0x7f0000000000ULL
#define SEED       0x243f6a8885a308d3ULL

struct func_range {
	uint64_t start, size;
};

static uint64_t rng = SEED;

int main(int argc, char **argv);

/* splitmix64: a fixed sequence, so every run builds the same stacks */
static uint64_t next_rand(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Functions whose code the frames point into: libc's, and this binary's
 * own (libmemtrace is linked in; -rdynamic exports them to dladdr1, which
 * gives each one's size).
 */
static int collect_funcs(struct func_range *out, int max)
{
	void *const funcs[] = {
		/* libc */
		(void *)qsort, (void *)bsearch, (void *)fopen, (void *)fclose, (void *)fread,
		(void *)fwrite, (void *)fprintf, (void *)snprintf, (void *)strtol,
		(void *)strtoull, (void *)getenv, (void *)setenv, (void *)gmtime_r,
		(void *)localtime_r, (void *)strftime, (void *)getline, (void *)fgets,
		(void *)puts, (void *)malloc, (void *)calloc, (void *)realloc, (void *)free,
		(void *)opendir, (void *)readdir, (void *)closedir, (void *)mkstemp,
		/* this binary */
		(void *)main, (void *)dispatch__record, (void *)tracker__add_process,
		(void *)tracker__init, (void *)leaks__collect, (void *)leaks__frames,
		(void *)snapshot__write, (void *)symbolizer__resolve, (void *)symbolizer__new,
		(void *)proc_maps__read, (void *)proc_maps__parse, (void *)proc_maps__find,
		(void *)stack_table__intern, (void *)stack_table__add_frames,
		(void *)process__new, (void *)process__thread,
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]) && n < max; i++) {
		const ElfW(Sym) *sym = NULL;
		Dl_info info;

		if (!dladdr1(funcs[i], &info, (void **)&sym, RTLD_DL_SYMENT) || !sym ||
		    sym->st_size < 2)
			continue;
		out[n++] = (struct func_range){ (uint64_t)info.dli_saddr, sym->st_size };
	}
	return n;
}

/* Stack records as the kernel sends them: 8-16 return addresses each. */
static int feed_stacks(struct tracker *t, uint64_t *ids)
{
	struct func_range funcs[64];
	struct mt_stack_record rec = { .kind = MT_REC_STACK, .pid = FAKE_PID };
	int nr_funcs = collect_funcs(funcs, 64), err;

	if (nr_funcs < 16) {
		fprintf(stderr, "snapshot_bench: only %d functions found (linked with -rdynamic?)\n",
			nr_funcs);
		return -ENOENT;
	}
	for (uint32_t i = 0; i < NR_STACKS; i++) {
		rec.nr_frames = MIN_FRAMES + next_rand() % (MAX_FRAMES - MIN_FRAMES + 1);
		for (int f = 0; f < rec.nr_frames; f++) {
			const struct func_range *fn = &funcs[next_rand() % nr_funcs];

			/* past the first byte: a return address follows a call */
			rec.frames[f] = fn->start + 1 + next_rand() % (fn->size - 1);
		}
		/* a frame-pointer stack's id: without the flag that marks a stack dump */
		rec.stack_id = ids[i] = (next_rand() | 1) & ~MT_STACK_DUMP_FLAG;
		err = dispatch__record(&(struct dispatch){ .tracker = t }, &rec, sizeof(rec));
		if (err)
			return err;
	}
	return 0;
}

static int feed_blocks(struct tracker *t, const uint64_t *ids)
{
	struct mt_event e = { .kind = MT_REC_CALL, .func = MT_FN_MALLOC, .pid = FAKE_PID };
	uint64_t ts = mono_ns() - 10 * 1000000000ULL;
	int err;

	for (uint32_t i = 0; i < NR_BLOCKS; i++) {
		e.tid = FAKE_PID + i % NR_THREADS;
		e.duration_ns = 200;
		e.ts_ns = ts + (uint64_t)i * 10000;
		e.stack_id = ids[next_rand() % NR_STACKS];
		e.call.addr = BLOCK_BASE + (uint64_t)i * 80;
		e.call.size = 16 + next_rand() % 4081;
		e.call.old_addr = 0;
		err = dispatch__record(&(struct dispatch){ .tracker = t }, &e, sizeof(e));
		if (err)
			return err;
	}
	return 0;
}

static int build_tracker(struct tracker *t)
{
	uint64_t *ids = calloc(NR_STACKS, sizeof(*ids));
	struct mt_process *p;
	int err = -ENOMEM;

	if (!ids || tracker__init(t))
		goto out;
	p = tracker__add_process(t, FAKE_PID);
	if (!p)
		goto out;
	err = proc_maps__read(getpid(), &p->maps);
	if (err) {
		fprintf(stderr, "snapshot_bench: cannot read /proc/self/maps: %s\n", strerror(-err));
		goto out;
	}
	/* gone already: its modules are opened from "/" and its maps never re-read */
	p->exited = true;
	p->maps_read_ns = mono_ns();
	snprintf(p->comm, sizeof(p->comm), "bench");
	err = feed_stacks(t, ids);
	if (!err)
		err = feed_blocks(t, ids);
	if (!err && t->totals.allocs != NR_BLOCKS)
		err = -EPROTO;
out:
	free(ids);
	return err;
}

/* A snapshot that parses but lacks the leaks would make a fast, useless bench. */
static int check_snapshot(json_t *root)
{
	json_t *leaks = json_object_get(root, "leaks");
	json_t *frame;

	if (json_array_size(leaks) != NR_STACKS) {
		fprintf(stderr, "snapshot_bench: %zu leak sites read back, %d expected\n",
			json_array_size(leaks), NR_STACKS);
		return -EPROTO;
	}
	frame = json_array_get(json_object_get(json_array_get(leaks, 0), "stack"), 0);
	if (!json_is_string(json_object_get(frame, "symbol"))) {
		fprintf(stderr, "snapshot_bench: the first frame read back has no symbol\n");
		return -EPROTO;
	}
	return 0;
}

static int write_snapshot(struct run_summary *s, const char *path, double *secs)
{
	double start = now_s(CLOCK_MONOTONIC);
	FILE *f = fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	err = snapshot__write(s, f);
	if (fclose(f) && !err)
		err = -errno;
	*secs = now_s(CLOCK_MONOTONIC) - start;
	return err;
}

/* One refresh of memtrace top: the frame's rows, then its --batch text (to /dev/null). */
static int top_refresh(struct top_model *m, struct run_summary *s, double *secs)
{
	double start = now_s(CLOCK_MONOTONIC);
	FILE *null = fopen("/dev/null", "w");
	int err;

	if (!null)
		return -errno;
	s->duration_s += 1;
	err = top_rows__collect(s, m) ?: top_batch__write(m, 10, null);
	fclose(null);
	*secs = now_s(CLOCK_MONOTONIC) - start;
	if (!err && m->sites.n != NR_STACKS)
		err = -EPROTO;
	return err;
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/memtrace-snapshot-bench-XXXXXX";
	const char *path = argc > 1 ? argv[1] : tmp;
	struct run_summary s = {};
	double start, collect_s, write_s = 0, read_s, top_first_s = 0, top_s = 0;
	struct top_model m;
	struct tracker t = {};
	json_error_t jerr;
	struct stat st;
	json_t *root;
	int err, fd;

	if (argc == 1) {
		fd = mkstemp(tmp);
		if (fd < 0) {
			perror("snapshot_bench: mkstemp");
			return 1;
		}
		close(fd);
	}
	err = build_tracker(&t);
	if (err) {
		fprintf(stderr, "snapshot_bench: cannot build the tracker: %s\n", strerror(-err));
		goto cleanup;
	}

	s.tracker = &t;
	s.stack_mode = MT_STACK_FP;
	s.sym = symbolizer__new();
	clock_gettime(CLOCK_REALTIME, &s.started_at);
	s.duration_s = 10;
	s.now_ns = mono_ns();
	start = now_s(CLOCK_MONOTONIC);
	err = s.sym ? leaks__collect(&t, &(struct leaks_opts){ .now_ns = s.now_ns }, &s.leaks)
		    : -ENOMEM;
	collect_s = now_s(CLOCK_MONOTONIC) - start;
	if (!err)
		err = write_snapshot(&s, path, &write_s);
	if (err) {
		fprintf(stderr, "snapshot_bench: cannot write %s: %s\n", path, strerror(-err));
		goto cleanup;
	}

	start = now_s(CLOCK_MONOTONIC);
	root = json_load_file(path, 0, &jerr);
	read_s = now_s(CLOCK_MONOTONIC) - start;
	if (!root) {
		fprintf(stderr, "snapshot_bench: %s:%d: %s\n", path, jerr.line, jerr.text);
		err = -EINVAL;
		goto cleanup;
	}
	err = check_snapshot(root);
	json_decref(root);
	top_model__init(&m, 1);
	if (!err)
		err = top_refresh(&m, &s, &top_first_s) ?: top_refresh(&m, &s, &top_s);
	top_model__release(&m);
	if (err)
		fprintf(stderr, "snapshot_bench: memtrace top's refresh: %s\n", strerror(-err));
	if (err || stat(path, &st)) {
		err = err ? err : -errno;
		goto cleanup;
	}
	printf("leaks_collect_s %.3f\n", collect_s);
	printf("snapshot_write_s %.3f\n", write_s);
	printf("snapshot_read_s %.3f\n", read_s);
	printf("snapshot_bytes %lld\n", (long long)st.st_size);
	printf("top_first_refresh_s %.3f\n", top_first_s);
	printf("top_refresh_s %.3f\n", top_s);
cleanup:
	if (argc == 1)
		unlink(tmp);
	leaks__release(&s.leaks);
	symbolizer__free(s.sym);
	tracker__release(&t);
	return err ? 1 : 0;
}
