// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/diff_format.h"
#include "compare/diff_report.h"
#include "util/text_escape.h"

/* GitHub refuses comments over 65536 characters; stop listing well before. */
#define BUDGET 60000
#define CELL_MAX 120

struct md {
	FILE *f;
	char *text;
	size_t len;
};

static bool over_budget(struct md *m)
{
	fflush(m->f);
	return m->len > BUDGET;
}

/*
 * s as a code span, so that markdown leaves symbols and paths alone,
 * escaped as text_escape.h says (a backtick becomes a quote; in a table
 * cell '|' becomes "\|"), and cut after CELL_MAX bytes of escaped text.
 */
static void code_span(FILE *f, const char *s, enum text_escape_mode mode)
{
	char shown[CELL_MAX + 1];
	bool cut;

	text_escape__buf(s, strlen(s), mode, shown, sizeof(shown), &cut);
	fprintf(f, "`%s%s`", shown, cut ? "…" : "");
}

/* a code span in a table cell */
static void code(FILE *f, const char *s)
{
	code_span(f, s, TEXT_ESCAPE_MD_CELL);
}

static void write_rule(struct md *m, const struct diff *d, const struct rule_result *r)
{
	bool bytes = metric__is_bytes(r->rule->metric);
	char b[FORMAT_BUF], a[FORMAT_BUF], c[FORMAT_BUF], label[1200];

	fputs("- ", m->f);
	code_span(m->f, r->rule->text, TEXT_ESCAPE_MD_CODE);
	if (r->scope != METRIC_TOTALS) {
		diff__pair_label(d, r->scope, label, sizeof(label));
		fputs(" in ", m->f);
		code_span(m->f, label, TEXT_ESCAPE_MD_CODE);
	}
	fprintf(m->f, ": %s → %s (%s)\n", diff_format__value(bytes, r->before, b),
		diff_format__value(bytes, r->after, a),
		diff_format__change(bytes, r->before, r->after, c));
}

static void write_rules(struct md *m, const struct diff *d, const struct rule_results *rules,
			unsigned int top)
{
	size_t shown = 0;

	if (!rules)
		return;
	if (!rules->nr_broken) {
		fprintf(m->f, "All %zu rules within bounds.\n\n", rules->n);
		return;
	}
	fprintf(m->f, "**%zu of %zu rules broken:**\n\n", rules->nr_broken, rules->n);
	for (size_t i = 0; i < rules->n; i++) {
		if (!rules->items[i].broken)
			continue;
		if ((top && shown == top) || over_budget(m))
			break;
		write_rule(m, d, &rules->items[i]);
		shown++;
	}
	if (shown < rules->nr_broken)
		fprintf(m->f, "- … %zu more\n", rules->nr_broken - shown);
	fputc('\n', m->f);
}

static void write_totals(struct md *m, const struct diff *d)
{
	char b[FORMAT_BUF], a[FORMAT_BUF], c[FORMAT_BUF];
	uint64_t before, after;

	fprintf(m->f, "| Total | Before | After | Change |\n|:--|--:|--:|--:|\n");
	for (int k = 0; k < METRIC_COUNT; k++) {
		bool bytes = metric__is_bytes(k);

		if (k == METRIC_NEW_LEAK_SITES)
			continue;
		diff__values(d, k, METRIC_TOTALS, &before, &after);
		fprintf(m->f, "| %s | %s | %s | %s |\n", metric__name(k),
			diff_format__value(bytes, before, b), diff_format__value(bytes, after, a),
			diff_format__change(bytes, before, after, c));
	}
	fputc('\n', m->f);
}

static uint64_t peak_change(const struct diff *d, size_t pair)
{
	uint64_t b, a;

	diff__values(d, METRIC_PEAK_BYTES, pair, &b, &a);
	return a > b ? a - b : b - a;
}

static int by_peak_change(const void *x, const void *y, void *d)
{
	size_t p = *(const size_t *)x, q = *(const size_t *)y;
	uint64_t cp = peak_change(d, p), cq = peak_change(d, q);

	if (cp != cq)
		return cp > cq ? -1 : 1;
	return p < q ? -1 : p > q;
}

/* Ranks and workers: the ones that moved most first. */
static int write_processes(struct md *m, const struct diff *d, unsigned int top)
{
	size_t *order = malloc(d->nr_pairs * sizeof(*order)), shown = 0;
	char label[1200], b[FORMAT_BUF], a[FORMAT_BUF], c[FORMAT_BUF], l[FORMAT_BUF];
	uint64_t before, after, lb, la;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < d->nr_pairs; i++)
		order[i] = i;
	qsort_r(order, d->nr_pairs, sizeof(*order), by_peak_change, (void *)d);
	fprintf(m->f, "| Process | Peak before | Peak after | Peak change | Leak change |\n"
		      "|:--|--:|--:|--:|--:|\n");
	for (; shown < d->nr_pairs && (!top || shown < top) && !over_budget(m); shown++) {
		diff__pair_label(d, order[shown], label, sizeof(label));
		diff__values(d, METRIC_PEAK_BYTES, order[shown], &before, &after);
		diff__values(d, METRIC_LEAK_BYTES, order[shown], &lb, &la);
		fputs("| ", m->f);
		code(m->f, label);
		fprintf(m->f, " | %s | %s | %s | %s |\n", diff_format__value(true, before, b),
			diff_format__value(true, after, a),
			diff_format__change(true, before, after, c),
			diff_format__change(true, lb, la, l));
	}
	if (shown < d->nr_pairs)
		fprintf(m->f, "\n_… %zu more processes_\n", d->nr_pairs - shown);
	fputc('\n', m->f);
	free(order);
	return 0;
}

static void write_site(struct md *m, const struct diff *d, const struct diff_site *s)
{
	char b[FORMAT_BUF], a[FORMAT_BUF], c[FORMAT_BUF], leaf[512], label[1200];

	fprintf(m->f, "| %s | %s | %s (%llu) | %s (%llu) | ", site_status__name(s->status),
		diff_format__change(true, diff_site__before(s), diff_site__after(s), c),
		diff_format__value(true, diff_site__before(s), b),
		(unsigned long long)(s->before ? s->before->count : 0),
		diff_format__value(true, diff_site__after(s), a),
		(unsigned long long)(s->after ? s->after->count : 0));
	code(m->f, diff_format__leaf(diff_site__site(s), leaf, sizeof(leaf)));
	if (d->nr_pairs > 1) {
		diff__pair_label(d, s->pair, label, sizeof(label));
		fputs(" | ", m->f);
		code(m->f, label);
	}
	fputs(" |\n", m->f);
}

static void write_sites(struct md *m, const struct diff *d, unsigned int top)
{
	size_t changed = d->nr_sites - d->by_status[SITE_SAME], shown = 0;

	fprintf(m->f, "**Leak sites:** %zu new, %zu gone, %zu grown, %zu shrunk, %zu unchanged\n\n",
		d->by_status[SITE_NEW], d->by_status[SITE_GONE], d->by_status[SITE_GROWN],
		d->by_status[SITE_SHRUNK], d->by_status[SITE_SAME]);
	if (!changed)
		return;
	fprintf(m->f, "| Status | Change | Before (blocks) | After (blocks) | Leaf frame |%s\n"
		      "|:--|--:|--:|--:|:--|%s\n",
		d->nr_pairs > 1 ? " Process |" : "", d->nr_pairs > 1 ? ":--|" : "");
	for (size_t i = 0; i < d->nr_sites && (!top || shown < top); i++) {
		if (d->sites[i].status == SITE_SAME)
			continue;
		if (over_budget(m))
			break;
		write_site(m, d, &d->sites[i]);
		shown++;
	}
	if (shown < changed)
		fprintf(m->f, "\n_… %zu more changed sites_\n", changed - shown);
}

int diff_markdown__write(const struct diff *d, const struct rule_results *rules,
			 unsigned int top, FILE *out)
{
	struct md m = {};
	int err = 0;

	m.f = open_memstream(&m.text, &m.len);
	if (!m.f)
		return -ENOMEM;
	fprintf(m.f, "### memtrace diff\n\n");
	code_span(m.f, d->base->path, TEXT_ESCAPE_MD_CODE);
	fputs(" → ", m.f);
	code_span(m.f, d->new->path, TEXT_ESCAPE_MD_CODE);
	fputs("\n\n", m.f);
	write_rules(&m, d, rules, top);
	write_totals(&m, d);
	if (d->nr_pairs > 1)
		err = write_processes(&m, d, top);
	write_sites(&m, d, top);
	if (fclose(m.f))
		err = -ENOMEM;
	if (!err && (fwrite(m.text, 1, m.len, out) != m.len || fflush(out)))
		err = -EIO;
	free(m.text);
	return err;
}
