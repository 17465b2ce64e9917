// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The workload `make demo` traces: a toy training loop. A "loader" thread
 * hands batches to the main thread, which frees them (churn, no leak);
 * the model's weights live for the whole run and are freed at the end; a
 * cache of per-step metrics grows every step and is never freed (the leak
 * the report should point at).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEPS 20
#define BATCH_BYTES (64 << 10)
#define WEIGHT_BYTES (1 << 20)
#define LAYERS 4

struct metrics {
	struct metrics *next;
	char text[4000];
};

static void *batches[STEPS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int produced;
static struct metrics *metrics_cache;

__attribute__((noinline)) void *load_batch(int step)
{
	char *b = malloc(BATCH_BYTES);

	memset(b, step, BATCH_BYTES);
	return b;
}

static void *loader_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "loader");
	for (int step = 0; step < STEPS; step++) {
		void *b = load_batch(step);

		pthread_mutex_lock(&lock);
		batches[step] = b;
		produced++;
		pthread_cond_signal(&ready);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

__attribute__((noinline)) void **build_model(void)
{
	void **weights = calloc(LAYERS, sizeof(*weights));

	for (int i = 0; i < LAYERS; i++)
		weights[i] = calloc(1, WEIGHT_BYTES);
	return weights;
}

__attribute__((noinline)) void record_metrics(int step)
{
	struct metrics *m = malloc(sizeof(*m));

	memset(m->text, 'a' + step % 26, sizeof(m->text));
	m->next = metrics_cache;
	metrics_cache = m;
}

__attribute__((noinline)) void train_step(void **weights, int step)
{
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	void *batch;

	pthread_mutex_lock(&lock);
	while (produced <= step)
		pthread_cond_wait(&ready, &lock);
	batch = batches[step];
	pthread_mutex_unlock(&lock);
	((char *)weights[step % LAYERS])[step] += ((char *)batch)[step];
	free(batch);
	record_metrics(step);
	nanosleep(&tick, NULL);
}

int main(void)
{
	void **weights = build_model();
	pthread_t loader;

	if (pthread_create(&loader, NULL, loader_main, NULL))
		return 1;
	for (int step = 0; step < STEPS; step++)
		train_step(weights, step);
	pthread_join(loader, NULL);
	for (int i = 0; i < LAYERS; i++)
		free(weights[i]);
	free(weights);
	return 0;
}
