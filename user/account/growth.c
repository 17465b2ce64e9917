// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "account/growth.h"

void growth_clock__tick(struct growth_clock *c, double t, uint64_t steps)
{
	if (!c->n) {
		c->t[0] = 0;
		c->steps[0] = 0;
		c->n = 1;
	}
	c->t[c->n % GROWTH_WINDOW] = t;
	c->steps[c->n % GROWTH_WINDOW] = steps;
	c->n++;
}

/* Sample j of the site: those after its last write were not taken because it held nothing. */
static uint64_t value_at(const struct growth *g, uint64_t j)
{
	return j > g->last ? 0 : g->bytes[j % GROWTH_WINDOW];
}

static void break_runs(struct growth *g)
{
	g->run = 0;
	g->step_run = 0;
	g->step_run_steps = 0;
}

int growth__add(struct growth *g, const struct growth_clock *c, uint64_t bytes)
{
	uint64_t k = c->n - 1, prev, steps;
	bool high = bytes > g->peak;

	if (!c->n || (g->bytes && k <= g->last))
		return 0;
	if (!g->bytes) {
		/* sample 0 and every sample before this one: nothing */
		g->bytes = calloc(GROWTH_WINDOW, sizeof(*g->bytes));
		if (!g->bytes)
			return -ENOMEM;
		g->last = 0;
	}
	if (k - g->last > 1) {
		/* held nothing since its last sample: a fall to zero ends every run */
		for (uint64_t j = g->last + 1; j < k && j <= g->last + GROWTH_WINDOW; j++)
			g->bytes[j % GROWTH_WINDOW] = 0;
		if (g->bytes[g->last % GROWTH_WINDOW])
			break_runs(g);
		g->last = k - 1;
	}
	prev = g->bytes[(k - 1) % GROWTH_WINDOW];
	steps = c->steps[k % GROWTH_WINDOW] - c->steps[(k - 1) % GROWTH_WINDOW];

	g->run = high ? g->run + 1 : 0;
	if (steps && high) {
		if (!g->step_run)
			g->step_run_from = k - 1;
		g->step_run++;
		g->step_run_steps += steps;
	} else if (steps || bytes < prev) {
		g->step_run = 0;
		g->step_run_steps = 0;
	}
	if (high)
		g->peak = bytes;
	g->bytes[k % GROWTH_WINDOW] = bytes;
	g->last = k;
	return 0;
}

/*
 * Least-squares slope of y against x over samples from..to, by deviations
 * from the means: sums of raw products lose every digit to cancellation
 * with byte counts in the billions. False when x does not vary.
 */
static bool fit_slope(const struct growth *g, const struct growth_clock *c, uint64_t from,
		      uint64_t to, bool by_steps, double *slope)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0, n = (double)(to - from + 1);

	for (uint64_t j = from; j <= to; j++) {
		unsigned int i = j % GROWTH_WINDOW;

		mx += by_steps ? (double)c->steps[i] : c->t[i];
		my += (double)value_at(g, j);
	}
	mx /= n;
	my /= n;
	for (uint64_t j = from; j <= to; j++) {
		unsigned int i = j % GROWTH_WINDOW;
		double dx = (by_steps ? (double)c->steps[i] : c->t[i]) - mx;

		sxy += dx * ((double)value_at(g, j) - my);
		sxx += dx * dx;
	}
	if (!(sxx > 0))
		return false;
	*slope = sxy / sxx;
	return true;
}

void growth__eval(const struct growth *g, const struct growth_clock *c, const struct growth_opts *o,
		  struct growth_result *out)
{
	uint64_t k = c->n - 1, from;
	/* a site not in the latest sample holds nothing: its runs are over */
	bool current = g->bytes && g->last == k;

	*out = (struct growth_result){};
	if (!g->bytes || c->n < 2)
		return;
	if (current && g->run >= o->intervals) {
		out->growing = true;
		from = k - g->run + 1;
	} else if (current && o->steps && g->step_run >= 2 && g->step_run_steps >= o->intervals) {
		out->growing = true;
		from = g->step_run_from + 1;
	} else {
		from = k > o->intervals ? k - o->intervals : 0;
	}
	/* a run of one new high: fit it with the sample it rose from */
	if (from == k)
		from--;
	if (k - from >= GROWTH_WINDOW)
		from = k - GROWTH_WINDOW + 1;
	out->has_rate = fit_slope(g, c, from, k, false, &out->bytes_per_s);
	if (o->steps)
		out->has_per_step = fit_slope(g, c, from, k, true, &out->bytes_per_step);
}

void growth__release(struct growth *g)
{
	free(g->bytes);
	*g = (struct growth){};
}
