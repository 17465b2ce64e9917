// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ingest benchmark: how fast the consumer turns ring buffer records into
 * counters and live blocks on one core, and what a live block costs in
 * memory.
 *
 * Each scenario's stream is built once, outside the timing, laid out as the
 * BPF ring buffer lays it out (an 8-byte header, records 8-byte aligned),
 * and fed record by record to dispatch__record, the real consumer
 * callback, on a fresh tracker each repetition. The generator keeps its own
 * account of what the counters must come to; every repetition is checked
 * against it, so a fast but wrong path fails instead of looking good.
 *
 * The stream: one process (a PID /proc does not have), 4 threads that run
 * in short bursts, 10000 stacks (their records first), allocations of 16 to
 * 4096 bytes (malloc, some calloc, realloc at 3% of deaths), addresses from
 * a per-thread heap model (16-byte aligned, freed chunks reused LIFO per
 * size class), 10% of frees from another thread, a few failed allocations
 * and frees of blocks allocated before tracing. Short-lived blocks die
 * within 256 records; long-lived ones at a uniformly random later time,
 * so their frees come in no particular order.
 *
 * Scenarios: "pairs" (printed as ingest_*), 1M malloc/calloc calls, each
 * freed within 256 records as in the pairs workload: the live set stays
 * small; "churn", 1M malloc/calloc calls, 700k of
 * them long-lived, and every block freed: the live set peaks near 300k,
 * about 2M records in all; "hold", 1.5M calls, and the 1M long-lived blocks
 * still live at the end.
 *
 * Times are the ingesting thread's CPU time (page faults included): on a
 * shared machine, wall time also counts other programs' turns on the core.
 * The median wall time is printed too.
 *
 * Output, "name value" a line:
 *   churn_peak_live_blocks
 *   ingest_records, ingest_events_per_s, ingest_ns_per_event, ingest_wall_ns_per_event
 *                                            churn's size and median speed
 *   hold_records, hold_events_per_s, hold_ns_per_event, hold_wall_ns_per_event
 *   live_blocks, bytes_per_live_alloc        memtrace memory per live block at hold's end
 *   bytes_per_live_alloc_worst               the most seen while growing: at each new
 *                                            high of live blocks, from 64Ki on
 *
 * Usage: ingest_bench [REPETITIONS]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/tracker.h"
#include "ingest/dispatch.h"

/* Above any pid_max (at most 2^22): /proc has nothing for it. */
#define PID	   0x7ffffff0u
#define NR_THREADS 4
#define NR_STACKS  10000
#define REPS	   7

/* The BPF ring buffer's per-record header and alignment. */
#define RINGBUF_HDR   8
#define RINGBUF_ALIGN 8

/* Every frame lies in this fake executable mapping: no stack triggers a maps re-read. */
#define TEXT_START 0x555555554000ULL
#define TEXT_END   0x5555555a0000ULL
#define FAKE_MAPS  "555555554000-5555555a0000 r-xp 00000000 08:01 4242 /bench/app\n"

#define MAIN_HEAP    0x55555555b000ULL
#define THREAD_HEAPS 0x7f0000000000ULL /* one 4 GiB region per thread: never overlap */
#define PRE_TRACING  0x555555400000ULL /* blocks allocated before tracing began */
#define MAX_SIZE     4096
#define CLASSES	     ((MAX_SIZE + 8 + 15) / 16 + 1)

#define NS_PER_RECORD 200ULL /* ts_ns step; call durations stay below it */
#define SHORT_LIFE    256    /* short-lived blocks die within this many records */
#define WORST_FROM    65536  /* live blocks from which the memory per block is tracked */

struct rng {
	uint64_t s;
};

/* splitmix64 */
static uint64_t rng__next(struct rng *r)
{
	uint64_t x = (r->s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rng__below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng__next(r) * n) >> 64);
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		fprintf(stderr, "ingest_bench: out of memory building the stream\n");
		exit(1);
	}
	return p;
}

#define push(arr, n, cap, v)                                               \
	do {                                                               \
		if ((n) == (cap)) {                                        \
			(cap) = (cap) ? 2 * (cap) : 64;                    \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));   \
		}                                                          \
		(arr)[(n)++] = (v);                                        \
	} while (0)

/* A record stream, and what the tracker must hold once it has consumed it. */
struct stream {
	uint8_t *buf;
	size_t len, cap;
	uint64_t records;
	uint32_t tids[NR_THREADS];
	struct mt_counters thread[NR_THREADS];
	struct mt_counters process;
	uint64_t live;
	uint64_t peak_live;
	/* the blocks live at the end: address, size, allocating thread */
	struct end_block {
		uint64_t addr, size;
		uint32_t thread;
	} *end_live;
	size_t nr_end_live;
};

static void *stream__record(struct stream *s, uint32_t size)
{
	size_t need = (RINGBUF_HDR + size + RINGBUF_ALIGN - 1) & ~(size_t)(RINGBUF_ALIGN - 1);
	uint8_t *rec;

	if (s->len + need > s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1 << 20;
		s->buf = xrealloc(s->buf, s->cap);
	}
	rec = s->buf + s->len;
	memset(rec, 0, need);
	memcpy(rec, &size, sizeof(size));
	s->len += need;
	s->records++;
	return rec + RINGBUF_HDR;
}

static void stream__release(struct stream *s)
{
	free(s->buf);
	free(s->end_live);
	*s = (struct stream){};
}

/* The generator's own account of the rules, kept apart from counters.c on purpose. */
static void expect_alloc(struct stream *s, uint32_t thread, uint64_t size)
{
	struct mt_counters *cs[] = { &s->thread[thread], &s->process };

	for (size_t i = 0; i < 2; i++) {
		cs[i]->allocs++;
		cs[i]->allocated_bytes += size;
		cs[i]->current_bytes += size;
		if (cs[i]->current_bytes > cs[i]->peak_bytes)
			cs[i]->peak_bytes = cs[i]->current_bytes;
	}
	if (++s->live > s->peak_live)
		s->peak_live = s->live;
}

static void expect_free(struct stream *s, uint32_t thread, uint64_t size)
{
	struct mt_counters *cs[] = { &s->thread[thread], &s->process };

	for (size_t i = 0; i < 2; i++) {
		cs[i]->frees++;
		cs[i]->freed_bytes += size;
		cs[i]->current_bytes -= size;
	}
	s->live--;
}

/* A heap per thread: bump allocation, freed chunks reused LIFO by size class. */
struct arena {
	uint64_t top;
	struct {
		uint64_t *addr;
		size_t n, cap;
	} bins[CLASSES];
};

static uint64_t chunk_of(uint64_t size)
{
	uint64_t chunk = (size + 8 + 15) & ~15ULL;

	return chunk < 32 ? 32 : chunk;
}

static uint64_t arena__alloc(struct arena *a, uint64_t size)
{
	uint64_t chunk = chunk_of(size), addr;
	size_t c = chunk / 16;

	if (a->bins[c].n)
		return a->bins[c].addr[--a->bins[c].n];
	addr = a->top + 16;
	a->top += chunk;
	return addr;
}

static void arena__free(struct arena *a, uint64_t addr, uint64_t size)
{
	size_t c = chunk_of(size) / 16;

	push(a->bins[c].addr, a->bins[c].n, a->bins[c].cap, addr);
}

struct block {
	uint64_t addr;
	uint32_t size;
	uint8_t thread;
	bool long_lived;
};

struct death {
	uint64_t step;
	uint32_t block;
};

/* A binary min-heap of deaths by step. */
struct deaths {
	struct death *d;
	size_t n, cap;
};

static void deaths__push(struct deaths *h, struct death v)
{
	size_t i;

	push(h->d, h->n, h->cap, v);
	for (i = h->n - 1; i && h->d[(i - 1) / 2].step > v.step; i = (i - 1) / 2)
		h->d[i] = h->d[(i - 1) / 2];
	h->d[i] = v;
}

static struct death deaths__pop(struct deaths *h)
{
	struct death top = h->d[0], last = h->d[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->d[c + 1].step < h->d[c].step)
			c++;
		if (h->d[c].step >= last.step)
			break;
		h->d[i] = h->d[c];
		i = c;
	}
	if (h->n)
		h->d[i] = last;
	return top;
}

struct scenario {
	uint32_t fresh_allocs;		/* malloc and calloc calls */
	uint32_t long_lived;		/* how many of them live long */
	bool keep_long;			/* long-lived blocks are never freed */
};

struct generator {
	const struct scenario *sc;
	struct stream *s;
	struct rng rng;
	struct arena arenas[NR_THREADS];
	uint64_t stack_ids[NR_STACKS];
	struct block *blocks;
	size_t nr_blocks, blocks_cap;
	struct deaths deaths;
	uint64_t step, horizon, pre_tracing;
	uint32_t cur;			/* the thread running now */
};

static struct mt_event *gen__call(struct generator *g, enum mt_func func, uint32_t thread)
{
	struct mt_event *e = stream__record(g->s, sizeof(*e));

	e->kind = MT_REC_CALL;
	e->func = func;
	e->pid = PID;
	e->tid = g->s->tids[thread];
	e->ts_ns = 1000000000000ULL + g->step * NS_PER_RECORD;
	e->duration_ns = func == MT_FN_FREE ? 0 : 30 + (uint32_t)rng__below(&g->rng, 120);
	return e;
}

static uint64_t gen__size(struct generator *g)
{
	/* log-uniform over 16..4096: small blocks dominate, as in real programs */
	uint64_t size = 16ULL << rng__below(&g->rng, 9);

	size += rng__below(&g->rng, size);
	return size > MAX_SIZE ? MAX_SIZE : size;
}

static uint64_t gen__stack(struct generator *g)
{
	/* a few hot sites and a long tail */
	return g->stack_ids[rng__below(&g->rng, 1 + rng__below(&g->rng, NR_STACKS))];
}

static void gen__stacks(struct generator *g)
{
	for (size_t i = 0; i < NR_STACKS; i++) {
		struct mt_stack_record *r = stream__record(g->s, sizeof(*r));

		r->kind = MT_REC_STACK;
		r->pid = PID;
		r->nr_frames = 4 + (uint16_t)rng__below(&g->rng, 29);
		/* a frame-pointer stack's id, as the kernel makes it: top bit clear */
		do
			r->stack_id = rng__next(&g->rng) & ~MT_STACK_DUMP_FLAG;
		while (r->stack_id == MT_NO_STACK);
		g->stack_ids[i] = r->stack_id;
		for (uint16_t f = 0; f < r->nr_frames; f++)
			r->frames[f] = TEXT_START + 0x1000 +
				       rng__below(&g->rng, TEXT_END - TEXT_START - 0x1000);
	}
}

/* A new block of thread, and when it dies. */
static void gen__birth(struct generator *g, uint64_t addr, uint64_t size, uint32_t thread,
		       bool long_lived)
{
	struct block b = {
		.addr = addr,
		.size = (uint32_t)size,
		.thread = (uint8_t)thread,
		.long_lived = long_lived,
	};
	uint64_t life;

	push(g->blocks, g->nr_blocks, g->blocks_cap, b);
	expect_alloc(g->s, thread, size);
	if (long_lived && g->sc->keep_long)
		return;
	if (long_lived)
		life = 1 + rng__below(&g->rng, g->horizon > g->step ? g->horizon - g->step : 1);
	else
		life = 1 + rng__below(&g->rng, 1 + rng__below(&g->rng, SHORT_LIFE));
	deaths__push(&g->deaths, (struct death){ g->step + life, (uint32_t)(g->nr_blocks - 1) });
}

static void gen__fresh(struct generator *g, bool long_lived)
{
	enum mt_func func = rng__below(&g->rng, 10) ? MT_FN_MALLOC : MT_FN_CALLOC;
	struct mt_event *e = gen__call(g, func, g->cur);
	uint64_t size = gen__size(g);

	e->stack_id = gen__stack(g);
	e->call.size = size;
	e->call.addr = arena__alloc(&g->arenas[g->cur], size);
	gen__birth(g, e->call.addr, size, g->cur, long_lived);
}

/* A block dies: freed, mostly by its own thread, or now and then realloc'ed. */
static void gen__death(struct generator *g, uint32_t id)
{
	struct block b = g->blocks[id];
	uint32_t thread = rng__below(&g->rng, 10) ? b.thread : g->cur;
	struct mt_event *e;
	uint64_t size;

	expect_free(g->s, b.thread, b.size);
	if (rng__below(&g->rng, 100) >= 3) {
		e = gen__call(g, MT_FN_FREE, thread);
		e->call.addr = b.addr;
		arena__free(&g->arenas[b.thread], b.addr, b.size);
		return;
	}
	e = gen__call(g, MT_FN_REALLOC, thread);
	size = gen__size(g);
	e->stack_id = gen__stack(g);
	e->call.old_addr = b.addr;
	e->call.size = size;
	if (chunk_of(size) <= chunk_of(b.size) && thread == b.thread) {
		e->call.addr = b.addr; /* shrunk in place */
	} else {
		arena__free(&g->arenas[b.thread], b.addr, b.size);
		e->call.addr = arena__alloc(&g->arenas[thread], size);
	}
	g->s->thread[thread].reallocs++;
	g->s->process.reallocs++;
	gen__birth(g, e->call.addr, size, thread, false);
}

/* An allocation that returned NULL. */
static void gen__failed(struct generator *g)
{
	struct mt_event *e = gen__call(g, MT_FN_MALLOC, g->cur);

	e->stack_id = gen__stack(g);
	e->call.size = gen__size(g);
	g->s->thread[g->cur].failed_allocs++;
	g->s->process.failed_allocs++;
}

static void gen__unknown_free(struct generator *g)
{
	struct mt_event *e = gen__call(g, MT_FN_FREE, g->cur);

	e->call.addr = PRE_TRACING + 48 * ++g->pre_tracing;
	g->s->thread[g->cur].unknown_frees++;
	g->s->process.unknown_frees++;
}

static void gen__thread_exits(struct generator *g)
{
	for (uint32_t i = 1; i < NR_THREADS; i++) {
		struct mt_event *e = stream__record(g->s, sizeof(*e));

		e->kind = MT_REC_THREAD_EXIT;
		e->pid = PID;
		e->tid = g->s->tids[i];
		snprintf(e->comm, sizeof(e->comm), "worker-%u", i);
	}
}

static void stream__build(struct stream *s, const struct scenario *sc, uint64_t seed)
{
	struct generator *g = xrealloc(NULL, sizeof(*g));
	uint32_t fresh_left = sc->fresh_allocs, long_left = sc->long_lived;

	*s = (struct stream){};
	*g = (struct generator){ .sc = sc, .s = s, .rng = { seed } };
	g->horizon = 2ULL * sc->fresh_allocs;
	for (uint32_t i = 0; i < NR_THREADS; i++) {
		s->tids[i] = PID + i;
		g->arenas[i].top = i ? THREAD_HEAPS + ((uint64_t)i << 32) + 0x8c0 : MAIN_HEAP;
	}
	gen__stacks(g);
	while (fresh_left || g->deaths.n) {
		/* threads run in short bursts, as records from a few CPUs interleave */
		if (!rng__below(&g->rng, 4))
			g->cur = (uint32_t)rng__below(&g->rng, NR_THREADS);
		if (!rng__below(&g->rng, 500)) {
			gen__unknown_free(g);
		} else if (!rng__below(&g->rng, 10000)) {
			gen__failed(g);
		} else if (g->deaths.n && (g->deaths.d[0].step <= g->step || !fresh_left)) {
			gen__death(g, deaths__pop(&g->deaths).block);
		} else {
			/* exactly long_lived of the fresh blocks live long */
			bool long_lived = rng__below(&g->rng, fresh_left) < long_left;

			long_left -= long_lived;
			fresh_left--;
			gen__fresh(g, long_lived);
		}
		g->step++;
	}
	gen__thread_exits(g);
	for (size_t i = 0, cap = 0; sc->keep_long && i < g->nr_blocks; i++) {
		struct end_block b = { g->blocks[i].addr, g->blocks[i].size, g->blocks[i].thread };

		if (g->blocks[i].long_lived)
			push(s->end_live, s->nr_end_live, cap, b);
	}
	for (uint32_t i = 0; i < NR_THREADS; i++) {
		for (size_t c = 0; c < CLASSES; c++)
			free(g->arenas[i].bins[c].addr);
	}
	free(g->blocks);
	free(g->deaths.d);
	free(g);
}

static struct mt_process *bench__tracker(struct tracker *t)
{
	struct mt_process *p;

	if (tracker__init(t))
		return NULL;
	p = tracker__add_process(t, PID);
	if (!p || proc_maps__parse(FAKE_MAPS, &p->maps))
		return NULL;
	/* as if read at attach time: covering every frame, the maps are never re-read */
	p->maps_read_ns = 1;
	return p;
}

static int stream__feed(const struct stream *s, struct tracker *t)
{
	struct dispatch d = { .tracker = t };

	for (size_t off = 0; off < s->len;) {
		uint32_t size;
		int err;

		memcpy(&size, s->buf + off, sizeof(size));
		err = dispatch__record(&d, s->buf + off + RINGBUF_HDR, size);
		if (err)
			return err;
		off += (RINGBUF_HDR + size + RINGBUF_ALIGN - 1) & ~(size_t)(RINGBUF_ALIGN - 1);
	}
	return 0;
}

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t live_blocks(const struct mt_process *p)
{
	return p->live.n + p->displaced.n;
}

static size_t live_memory(const struct mt_process *p)
{
	return alloc_table__memory(&p->live) + alloc_table__memory(&p->displaced);
}

static bool counters_equal(const char *what, const struct mt_counters *got,
			   const struct mt_counters *want)
{
	if (!memcmp(got, want, sizeof(*got)))
		return true;
	fprintf(stderr,
		"ingest_bench: %s counters wrong: current %llu/%llu peak %llu/%llu "
		"allocs %llu/%llu frees %llu/%llu reallocs %llu/%llu failed %llu/%llu "
		"unknown %llu/%llu\n",
		what, (unsigned long long)got->current_bytes,
		(unsigned long long)want->current_bytes, (unsigned long long)got->peak_bytes,
		(unsigned long long)want->peak_bytes, (unsigned long long)got->allocs,
		(unsigned long long)want->allocs, (unsigned long long)got->frees,
		(unsigned long long)want->frees, (unsigned long long)got->reallocs,
		(unsigned long long)want->reallocs, (unsigned long long)got->failed_allocs,
		(unsigned long long)want->failed_allocs, (unsigned long long)got->unknown_frees,
		(unsigned long long)want->unknown_frees);
	return false;
}

/* Everything the stream implies, down to each block still live. */
static bool bench__check(const struct tracker *t, const struct stream *s)
{
	const struct mt_process *p = tracker__process(t, PID);
	uint64_t sized = 0;
	bool ok;

	if (t->err || t->stray_records || t->records != s->records || !p ||
	    p->nr_threads != NR_THREADS || t->stacks.n != NR_STACKS + 1 ||
	    live_blocks(p) != s->live || p->displaced.n) {
		fprintf(stderr, "ingest_bench: tracker wrong (err %d, %llu live, %u stacks)\n",
			t->err, p ? (unsigned long long)live_blocks(p) : 0ULL, t->stacks.n);
		return false;
	}
	ok = counters_equal("process", &p->c, &s->process) &&
	     counters_equal("totals", &t->totals, &s->process);
	for (uint32_t i = 0; ok && i < NR_THREADS; i++) {
		const struct mt_thread *th = &p->threads[i];
		uint32_t want = th->tid - PID;

		ok = want < NR_THREADS && th->exited == (want != 0) &&
		     counters_equal("thread", &th->c, &s->thread[want]);
	}
	for (size_t i = 0; i < SIZE_HISTOGRAM_BUCKETS; i++)
		sized += p->sizes.count[i];
	ok = ok && sized == s->process.allocs;
	for (size_t i = 0; ok && i < s->nr_end_live; i++) {
		const struct end_block *want = &s->end_live[i];
		const struct live_block *b = alloc_table__find(&p->live, want->addr);

		ok = b && b->size == want->size &&
		     p->threads[b->thread].tid == PID + want->thread &&
		     t->stacks.stacks[b->stack].received;
	}
	if (!ok)
		fprintf(stderr, "ingest_bench: counters, histogram or live blocks wrong\n");
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct timing {
	double cpu, wall;	/* median seconds */
};

/* Median time to ingest s over reps fresh trackers; memory per live block at the end. */
static int bench__run(const struct stream *s, int reps, struct timing *median,
		      double *bytes_per_live)
{
	double cpu[reps], wall[reps];

	for (int r = 0; r < reps; r++) {
		struct tracker t;
		struct mt_process *p = bench__tracker(&t);
		double cpu_start, wall_start;
		int err;

		if (!p)
			return -ENOMEM;
		cpu_start = now_s(CLOCK_THREAD_CPUTIME_ID);
		wall_start = now_s(CLOCK_MONOTONIC);
		err = stream__feed(s, &t);
		wall[r] = now_s(CLOCK_MONOTONIC) - wall_start;
		cpu[r] = now_s(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
		if (err || !bench__check(&t, s)) {
			tracker__release(&t);
			return err ? err : -EPROTO;
		}
		*bytes_per_live = (double)live_memory(p) / (double)live_blocks(p);
		tracker__release(&t);
	}
	qsort(cpu, reps, sizeof(*cpu), cmp_double);
	qsort(wall, reps, sizeof(*wall), cmp_double);
	median->cpu = cpu[reps / 2];
	median->wall = wall[reps / 2];
	return 0;
}

/*
 * The most memory per live block along s wherever the live set grows past
 * its previous high (right after frees, the last growth's memory is shared
 * by fewer blocks for a while), once the table is past its minimum size.
 */
static int bench__worst_memory(const struct stream *s, double *worst)
{
	struct tracker t;
	struct mt_process *p = bench__tracker(&t);
	struct dispatch d = { .tracker = &t };
	uint64_t high = WORST_FROM;
	int err = 0;

	*worst = 0;
	if (!p)
		return -ENOMEM;
	for (size_t off = 0; off < s->len && !err;) {
		uint32_t size;

		memcpy(&size, s->buf + off, sizeof(size));
		err = dispatch__record(&d, s->buf + off + RINGBUF_HDR, size);
		off += (RINGBUF_HDR + size + RINGBUF_ALIGN - 1) & ~(size_t)(RINGBUF_ALIGN - 1);
		if (live_blocks(p) <= high)
			continue;
		high = live_blocks(p);
		if ((double)live_memory(p) / (double)high > *worst)
			*worst = (double)live_memory(p) / (double)high;
	}
	tracker__release(&t);
	return err;
}

/* The figure: 1M allocations and their 1M frees, short-lived as in the pairs workload. */
static const struct scenario pairs = {
	.fresh_allocs = 1000000,
};

static const struct scenario churn = {
	.fresh_allocs = 1000000,
	.long_lived = 700000,
};

static const struct scenario hold = {
	.fresh_allocs = 1500000,
	.long_lived = 1000000,
	.keep_long = true,
};

static void report(const char *prefix, const struct stream *s, const struct timing *t)
{
	printf("%s_records %llu\n", prefix, (unsigned long long)s->records);
	printf("%s_events_per_s %.0f\n", prefix, (double)s->records / t->cpu);
	printf("%s_ns_per_event %.1f\n", prefix, t->cpu * 1e9 / (double)s->records);
	printf("%s_wall_ns_per_event %.1f\n", prefix, t->wall * 1e9 / (double)s->records);
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : REPS;
	struct stream s_pairs, s_churn, s_hold;
	struct timing t_pairs, t_churn, t_hold;
	double bytes, worst, unused;
	int err;

	if (reps < 1 || reps > 1000) {
		fprintf(stderr, "usage: ingest_bench [REPETITIONS (1-1000)]\n");
		return 64;
	}
	stream__build(&s_pairs, &pairs, 3);
	stream__build(&s_churn, &churn, 1);
	stream__build(&s_hold, &hold, 2);
	err = bench__run(&s_pairs, reps, &t_pairs, &unused);
	if (!err)
		err = bench__run(&s_churn, reps, &t_churn, &unused);
	if (!err)
		err = bench__run(&s_hold, reps, &t_hold, &bytes);
	if (!err)
		err = bench__worst_memory(&s_hold, &worst);
	if (err) {
		fprintf(stderr, "ingest_bench: ingest failed: %s\n", strerror(-err));
		return 1;
	}
	printf("pairs_peak_live_blocks %llu\n", (unsigned long long)s_pairs.peak_live);
	report("ingest", &s_pairs, &t_pairs);
	printf("churn_peak_live_blocks %llu\n", (unsigned long long)s_churn.peak_live);
	report("churn", &s_churn, &t_churn);
	report("hold", &s_hold, &t_hold);
	printf("live_blocks %llu\n", (unsigned long long)s_hold.live);
	printf("bytes_per_live_alloc %.2f\n", bytes);
	printf("bytes_per_live_alloc_worst %.2f\n", worst);
	stream__release(&s_pairs);
	stream__release(&s_churn);
	stream__release(&s_hold);
	return 0;
}
