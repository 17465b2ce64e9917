// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "compare/diff_format.h"
#include "compare/site_key.h"
#include "util/units.h"

const char *diff_format__value(bool bytes, uint64_t v, char buf[FORMAT_BUF])
{
	char u[UNITS_BUF];

	if (bytes)
		snprintf(buf, FORMAT_BUF, "%s", units__bytes(v, u));
	else
		snprintf(buf, FORMAT_BUF, "%" PRIu64, v);
	return buf;
}

const char *diff_format__change(bool bytes, uint64_t before, uint64_t after,
				char buf[FORMAT_BUF])
{
	char v[FORMAT_BUF];
	uint64_t delta = after > before ? after - before : before - after;
	int n;

	if (!delta)
		return strcpy(buf, "0");
	n = snprintf(buf, FORMAT_BUF, "%c%s", after > before ? '+' : '-',
		     diff_format__value(bytes, delta, v));
	if (before)
		snprintf(buf + n, FORMAT_BUF - n, ", %+.1f%%",
			 ((double)after - (double)before) * 100.0 / (double)before);
	return buf;
}

void diff_format__diff_rule(const struct diff *d, const struct rule_result *r, char *buf,
			    size_t len)
{
	bool bytes = metric__is_bytes(r->rule->metric);
	char scope[600] = "", b[FORMAT_BUF], a[FORMAT_BUF], c[FORMAT_BUF];

	if (r->scope != METRIC_TOTALS) {
		diff__pair_label(d, r->scope, scope, sizeof(scope) - 2);
		strcat(scope, ": ");
	}
	snprintf(buf, len, "%s: %s%s -> %s (%s)", r->rule->text, scope,
		 diff_format__value(bytes, r->before, b), diff_format__value(bytes, r->after, a),
		 diff_format__change(bytes, r->before, r->after, c));
}

void diff_format__check_rule(const struct snapshot *s, const struct rule_result *r, char *buf,
			     size_t len)
{
	bool bytes = metric__is_bytes(r->rule->metric);
	char scope[600] = "", v[FORMAT_BUF], lim[FORMAT_BUF];

	if (r->scope != METRIC_TOTALS) {
		snap_process__label(&s->procs[r->scope], scope, sizeof(scope) - 2);
		strcat(scope, ": ");
	}
	snprintf(buf, len, "%s: %s%s (limit %s)", r->rule->text, scope,
		 diff_format__value(bytes, r->after, v),
		 diff_format__value(bytes, (uint64_t)r->rule->amount, lim));
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

const char *diff_format__leaf(const struct site *site, char *buf, size_t len)
{
	const struct snap_frame *f;
	char module[256];

	if (!site->shown->nr_frames) {
		snprintf(buf, len, "(no stack)");
		return buf;
	}
	f = &site->shown->frames[0];
	if (!f->symbol)
		snprintf(buf, len, "?@%s",
			 f->module ? site_key__module(f->module, module, sizeof(module)) : "?");
	else if (f->file && f->line)
		snprintf(buf, len, "%s (%s:%u)", f->symbol, base_name(f->file), f->line);
	else
		snprintf(buf, len, "%s", f->symbol);
	return buf;
}
