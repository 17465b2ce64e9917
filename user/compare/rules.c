// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compare/rules.h"

#define MAX_FRACTION_DIGITS 9
#define PERCENT_FRACTION_DIGITS 4 /* 0.0001% is one part per million */

struct number {
	uint64_t whole;
	uint64_t fraction;	/* the digits after the point, as an integer */
	unsigned int digits;	/* how many there were */
};

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	return s;
}

static const char *trim_end(const char *s, const char *end)
{
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	return end;
}

/* Digits, then maybe a point and more digits; returns where it stopped, NULL if no number. */
static const char *parse_number(const char *s, const char *end, struct number *n)
{
	const char *start = s;

	*n = (struct number){};
	for (; s < end && isdigit((unsigned char)*s); s++) {
		if (n->whole > (UINT64_MAX - 9) / 10)
			return NULL;
		n->whole = n->whole * 10 + (*s - '0');
	}
	if (s == start)
		return NULL;
	if (s < end && *s == '.') {
		for (s++; s < end && isdigit((unsigned char)*s); s++) {
			if (n->digits == MAX_FRACTION_DIGITS)
				return NULL;
			n->fraction = n->fraction * 10 + (*s - '0');
			n->digits++;
		}
		if (!n->digits)
			return NULL;
	}
	return s;
}

static uint64_t pow10u(unsigned int n)
{
	uint64_t v = 1;

	while (n--)
		v *= 10;
	return v;
}

/* log2 of the unit's size in bytes, or -1 with err set */
static int unit_shift(const char *u, size_t len, char *err, size_t err_len, const char *rule)
{
	static const struct {
		const char *name;
		int shift;
	} units[] = {
		{ "", 0 },   { "B", 0 },   { "K", 10 }, { "KiB", 10 }, { "M", 20 },
		{ "MiB", 20 }, { "G", 30 }, { "GiB", 30 }, { "T", 40 }, { "TiB", 40 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == len && !strncasecmp(units[i].name, u, len))
			return units[i].shift;
	/* 1000 or 1024? A limit read one way by its writer and another here is worse than none. */
	if (len == 2 && strchr("KMGTkmgt", u[0]) && (u[1] == 'B' || u[1] == 'b'))
		snprintf(err, err_len,
			 "'%s': unit '%.*s' is ambiguous: write %ciB (powers of 1024)", rule,
			 (int)len, u, toupper((unsigned char)u[0]));
	else
		snprintf(err, err_len, "'%s': unknown unit '%.*s' (B, KiB, MiB, GiB or TiB)", rule,
			 (int)len, u);
	return -1;
}

static int parse_limit(struct rule *r, const char *s, const char *end, char *err, size_t err_len)
{
	const char *suffix;
	struct number n;
	unsigned __int128 v;
	bool change = s < end && (*s == '+' || *s == '-');
	int shift, sign = s < end && *s == '-' ? -1 : 1;

	s += change;
	suffix = parse_number(s, end, &n);
	if (!suffix) {
		snprintf(err, err_len, "'%s': invalid limit '%.*s'", r->text, (int)(end - s), s);
		return -EINVAL;
	}
	suffix = skip_space(suffix, end);
	if (end - suffix == 1 && *suffix == '%') {
		if (!change) {
			snprintf(err, err_len,
				 "'%s': a percentage is a change: write +N%% or -N%%, or an "
				 "absolute limit", r->text);
			return -EINVAL;
		}
		if (n.digits > PERCENT_FRACTION_DIGITS || n.whole > 1000000000000ULL) {
			snprintf(err, err_len, "'%s': percentage out of range (at most 4 decimals)",
				 r->text);
			return -EINVAL;
		}
		r->kind = LIMIT_PERCENT;
		r->amount = sign * (int64_t)(n.whole * RULE_PPM_PER_PERCENT +
					     n.fraction *
						     pow10u(PERCENT_FRACTION_DIGITS - n.digits));
		return 0;
	}
	if (suffix < end && !metric__is_bytes(r->metric)) {
		snprintf(err, err_len, "'%s': %s is a count: no unit", r->text,
			 metric__name(r->metric));
		return -EINVAL;
	}
	shift = unit_shift(suffix, end - suffix, err, err_len, r->text);
	if (shift < 0)
		return -EINVAL;
	v = ((unsigned __int128)n.whole << shift) +
	    (((unsigned __int128)n.fraction << shift) / pow10u(n.digits));
	if (!shift && n.fraction) {
		snprintf(err, err_len, "'%s': '%.*s' is not a whole number", r->text,
			 (int)(end - s), s);
		return -EINVAL;
	}
	if (v > INT64_MAX) {
		snprintf(err, err_len, "'%s': limit too large", r->text);
		return -EINVAL;
	}
	r->kind = change ? LIMIT_CHANGE : LIMIT_ABSOLUTE;
	r->amount = sign * (int64_t)v;
	return 0;
}

/* One rule, s..end trimmed; appended to set. */
static int parse_rule(struct rule_set *set, const char *s, const char *end, char *err,
		      size_t err_len)
{
	struct rule r = {};
	const char *colon, *slash, *metric;
	struct rule *grown;
	int m, ret = -EINVAL;

	r.text = strndup(s, end - s);
	if (!r.text)
		return -ENOMEM;
	colon = memrchr(s, ':', end - s);
	if (!colon) {
		snprintf(err, err_len, "'%s': expected [PROCESS/]METRIC:LIMIT", r.text);
		goto cleanup;
	}
	/* a process name may hold '/' and ':'; a metric and a limit never do */
	slash = memrchr(s, '/', colon - s);
	metric = slash ? skip_space(slash + 1, colon) : s;
	m = metric__lookup(metric, trim_end(metric, colon) - metric);
	if (m < 0) {
		snprintf(err, err_len, "'%s': unknown metric '%.*s'", r.text,
			 (int)(trim_end(metric, colon) - metric), metric);
		goto cleanup;
	}
	r.metric = m;
	if (slash) {
		const char *pend = trim_end(s, slash);

		if (pend == s) {
			snprintf(err, err_len, "'%s': empty process name", r.text);
			goto cleanup;
		}
		if (m == METRIC_LOST_EVENTS) {
			snprintf(err, err_len,
				 "'%s': lost_events is counted for the whole run only", r.text);
			goto cleanup;
		}
		r.process = strndup(s, pend - s);
		if (!r.process) {
			ret = -ENOMEM;
			goto cleanup;
		}
	}
	ret = parse_limit(&r, skip_space(colon + 1, end), end, err, err_len);
	if (ret)
		goto cleanup;
	grown = realloc(set->rules, (set->n + 1) * sizeof(*grown));
	if (!grown) {
		ret = -ENOMEM;
		goto cleanup;
	}
	set->rules = grown;
	set->rules[set->n++] = r;
	return 0;
cleanup:
	free(r.text);
	free(r.process);
	return ret;
}

int rule_set__parse(struct rule_set *set, const char *text, char *err, size_t err_len)
{
	const char *s = text, *end = text + strlen(text);

	for (;;) {
		const char *comma = memchr(s, ',', end - s), *stop = comma ? comma : end;
		const char *start = skip_space(s, stop), *last = trim_end(start, stop);
		int ret;

		if (start == last) {
			snprintf(err, err_len, "'%s': empty rule", text);
			return -EINVAL;
		}
		ret = parse_rule(set, start, last, err, err_len);
		if (ret)
			return ret;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

int rule_set__load(struct rule_set *set, const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *hash, reason[512];
	unsigned int nr = 0;
	size_t cap = 0;
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, err_len, "cannot read rules file %s: %s", path, strerror(-ret));
		return ret;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *s = line;

		nr++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		ret = rule_set__parse(set, s, reason, sizeof(reason));
		if (ret) {
			snprintf(err, err_len, "%s:%u: %s", path, nr, reason);
			goto cleanup;
		}
	}
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, err_len, "cannot read rules file %s: %s", path, strerror(EIO));
	}
cleanup:
	free(line);
	fclose(f);
	return ret;
}

int rule_set__check_absolute(const struct rule_set *set, char *err, size_t err_len)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct rule *r = &set->rules[i];

		if (r->metric == METRIC_NEW_LEAK_SITES) {
			snprintf(err, err_len, "'%s': new_leak_sites compares two snapshots: use "
				 "memtrace diff", r->text);
			return -EINVAL;
		}
		if (r->kind != LIMIT_ABSOLUTE) {
			snprintf(err, err_len,
				 "'%s': a change needs a base snapshot: memtrace check takes "
				 "absolute limits, memtrace diff changes", r->text);
			return -EINVAL;
		}
	}
	return 0;
}

void rule_set__release(struct rule_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->rules[i].text);
		free(set->rules[i].process);
	}
	free(set->rules);
	*set = (struct rule_set){};
}

bool rule__broken(const struct rule *r, uint64_t before, uint64_t after)
{
	__int128 change = (__int128)after - before;

	switch (r->kind) {
	case LIMIT_ABSOLUTE:
		return after > (uint64_t)r->amount;
	case LIMIT_CHANGE:
		return change > r->amount;
	case LIMIT_PERCENT:
		/* base 0: any increase breaks a percentage, whatever its size */
		return change * 1000000 > (__int128)before * r->amount;
	}
	return true;
}
