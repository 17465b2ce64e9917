// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The allocation loops tools/bench.sh times, untraced and traced:
 *
 *   workload pairs N      N x (malloc(64); free)
 *   workload newdelete N  N x (new char[64]; delete[]), libstdc++'s operators
 *                         (tests/bench/newdelete.cc)
 *   workload churn N      N calls of malloc/calloc/realloc/free, random sizes
 *                         16..4096, over a working set of about 1000 blocks
 *   workload threads2 N   two threads, each N x (malloc(64); free)
 *
 * Prints "ns_per_op X" and nothing else on stdout. For threads2 an op is
 * one pair in one thread while the other runs too: the mean of the two
 * threads' loop times over N, so it compares with pairs directly.
 *
 * Built twice: tests/bench/workload with frame pointers, each allocator
 * call made from its caller; tests/bench/workload_nofp (make bench, F) with
 * -fomit-frame-pointer and -DCALL_CHAIN, each allocator call made from the
 * bottom of a 10-deep chain of functions, the kind of stack the in-kernel
 * DWARF unwinder exists for: a row lookup per frame. The chain is only in
 * the nofp build so that section A times the same loop as it always has,
 * and its figures stay comparable with earlier runs.
 *
 * Built with -fno-builtin, so the compiler keeps every call. Nothing that
 * allocates (stdio) runs before the timed loop: under a tracer it would be
 * traced noise, and its first allocation would set up the heap inside the
 * timing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 1500 slots, two thirds full at steady state (see churn_step) */
#define CHURN_SLOTS 1500
#define CHURN_MIN   16
#define CHURN_MAX   4096
#define CHURN_SEED  0x9e3779b97f4a7c15ULL
#define WARMUP_MAX  20000

/* Stores here keep the results of malloc and friends observable. */
static void *volatile sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *msg)
{
	/* write(2): no stdio buffer is allocated on the way out either */
	if (write(STDERR_FILENO, msg, strlen(msg)) < 0)
		_exit(2);
	_exit(2);
}

/* tests/bench/newdelete.cc */
void newdelete_pairs(uint64_t n);

#ifdef CALL_CHAIN
enum alloc_op { OP_MALLOC, OP_CALLOC, OP_REALLOC, OP_FREE };

/*
 * Every link keeps its frame: noinline keeps the function, and the empty
 * asm after the call means the call cannot be a tail call (a jmp would
 * leave no frame to unwind).
 */

/* The bottom of the chain: the allocator call itself. */
static __attribute__((noinline)) void *chain0(enum alloc_op op, void *ptr, size_t size)
{
	void *p = NULL;

	switch (op) {
	case OP_MALLOC:
		p = malloc(size);
		break;
	case OP_CALLOC:
		p = calloc(1, size);
		break;
	case OP_REALLOC:
		p = realloc(ptr, size);
		break;
	case OP_FREE:
		free(ptr);
		break;
	}
	__asm__ volatile("" ::: "memory");
	return p;
}

/* One more link. */
#define CHAIN_LINK(n, next)                                                           \
	static __attribute__((noinline)) void *chain##n(enum alloc_op op, void *ptr, \
							size_t size)                 \
	{                                                                             \
		void *p = next(op, ptr, size);                                        \
                                                                                      \
		__asm__ volatile("" ::: "memory");                                    \
		return p;                                                             \
	}
CHAIN_LINK(1, chain0)
CHAIN_LINK(2, chain1)
CHAIN_LINK(3, chain2)
CHAIN_LINK(4, chain3)
CHAIN_LINK(5, chain4)
CHAIN_LINK(6, chain5)
CHAIN_LINK(7, chain6)
CHAIN_LINK(8, chain7)
CHAIN_LINK(9, chain8)

#define MALLOC(size)       chain9(OP_MALLOC, NULL, size)
#define CALLOC(size)       chain9(OP_CALLOC, NULL, size)
#define REALLOC(ptr, size) chain9(OP_REALLOC, ptr, size)
#define FREE(ptr)          chain9(OP_FREE, ptr, 0)
#else
#define MALLOC(size)       malloc(size)
#define CALLOC(size)       calloc(1, size)
#define REALLOC(ptr, size) realloc(ptr, size)
#define FREE(ptr)          free(ptr)
#endif

static void pairs(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		void *p = MALLOC(64);

		sink = p;
		FREE(p);
	}
}

struct churn {
	void *slot[CHURN_SLOTS];
	uint64_t rng;
};

static uint64_t churn_rand(struct churn *c)
{
	/* xorshift64: cheap next to any allocator call, and the same sequence on every run */
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

/*
 * One allocator call: an empty slot gets a malloc or calloc block; a full
 * one is freed or reallocated, with equal odds. A slot empties with odds
 * 1/2 and fills with odds 1, so two thirds of the slots are live, and two
 * calls in three allocate (malloc or calloc in an empty slot, realloc in a
 * full one): tools/bench.sh's per-allocation cost in F counts on it.
 */
static void churn_step(struct churn *c)
{
	uint64_t r = churn_rand(c);
	void **slot = &c->slot[(r >> 8) % CHURN_SLOTS];
	size_t size = CHURN_MIN + (r >> 32) % (CHURN_MAX - CHURN_MIN + 1);
	void *p;

	if (!*slot) {
		p = r & 1 ? MALLOC(size) : CALLOC(size);
	} else if (r & 2) {
		p = REALLOC(*slot, size);
	} else {
		FREE(*slot);
		*slot = NULL;
		return;
	}
	if (!p)
		die("workload: out of memory\n");
	*slot = p;
	sink = p;
}

static void churn_release(struct churn *c)
{
	for (int i = 0; i < CHURN_SLOTS; i++) {
		FREE(c->slot[i]);
		c->slot[i] = NULL;
	}
}

static uint64_t warmup_count(uint64_t n)
{
	return n / 10 < WARMUP_MAX ? n / 10 : WARMUP_MAX;
}

static double run_pairs(uint64_t n)
{
	uint64_t start;

	pairs(warmup_count(n));
	start = now_ns();
	pairs(n);
	return (double)(now_ns() - start) / (double)n;
}

static double run_newdelete(uint64_t n)
{
	uint64_t start;

	newdelete_pairs(warmup_count(n));
	start = now_ns();
	newdelete_pairs(n);
	return (double)(now_ns() - start) / (double)n;
}

static double run_churn(uint64_t n)
{
	static struct churn c = { .rng = CHURN_SEED };
	uint64_t start;

	/* fills the working set, so the timed calls see a steady heap */
	for (uint64_t i = 0, w = warmup_count(n) + 2 * CHURN_SLOTS; i < w; i++)
		churn_step(&c);
	start = now_ns();
	for (uint64_t i = 0; i < n; i++)
		churn_step(&c);
	start = now_ns() - start;
	churn_release(&c);
	return (double)start / (double)n;
}

struct pairs_thread {
	uint64_t n;
	pthread_barrier_t *start;
	uint64_t elapsed_ns;
};

static void *pairs_thread(void *arg)
{
	struct pairs_thread *t = arg;
	uint64_t start;

	/* the first call sets up this thread's arena and tcache: not timed */
	pairs(warmup_count(t->n));
	pthread_barrier_wait(t->start);
	start = now_ns();
	pairs(t->n);
	t->elapsed_ns = now_ns() - start;
	return NULL;
}

static double run_threads2(uint64_t n)
{
	pthread_barrier_t start;
	struct pairs_thread t[2];
	pthread_t tid[2];
	int err;

	if (pthread_barrier_init(&start, NULL, 2))
		die("workload: pthread_barrier_init failed\n");
	for (int i = 0; i < 2; i++) {
		t[i] = (struct pairs_thread){ .n = n, .start = &start };
		err = pthread_create(&tid[i], NULL, pairs_thread, &t[i]);
		if (err)
			die("workload: pthread_create failed\n");
	}
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start);
	return (double)(t[0].elapsed_ns + t[1].elapsed_ns) / 2.0 / (double)n;
}

int main(int argc, char **argv)
{
	char *end;
	double ns;
	uint64_t n;

	if (argc != 3)
		die("usage: workload pairs|newdelete|churn|threads2 ITERATIONS\n");
	errno = 0;
	n = strtoull(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || !n)
		die("workload: ITERATIONS must be a positive integer\n");
	if (!strcmp(argv[1], "pairs"))
		ns = run_pairs(n);
	else if (!strcmp(argv[1], "newdelete"))
		ns = run_newdelete(n);
	else if (!strcmp(argv[1], "churn"))
		ns = run_churn(n);
	else if (!strcmp(argv[1], "threads2"))
		ns = run_threads2(n);
	else
		die("workload: MODE must be pairs, newdelete, churn or threads2\n");
	printf("ns_per_op %.2f\n", ns);
	return 0;
}
