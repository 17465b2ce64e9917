// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/units.h"

/*
 * Digits are cut, never rounded: a value just under a unit boundary must
 * not read as the boundary ("1024 KiB" or "1.00 MiB" for 1048575 bytes,
 * "60.0 s" for 59.96 s), and a shown value never exceeds the real one.
 */
const char *units__bytes(uint64_t bytes, char buf[UNITS_BUF])
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned long long whole, hundredths;
	unsigned int unit = 0, shift;
	uint64_t rest;

	if (bytes < 1024) {
		snprintf(buf, UNITS_BUF, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (unit < 5 && bytes >> (10 * (unit + 2)))
		unit++;
	shift = 10 * (unit + 1);
	whole = bytes >> shift;
	rest = bytes & ((1ULL << shift) - 1);
	/* exact in 128 bits: a double loses the low bits of large counts */
	hundredths = (unsigned long long)(((unsigned __int128)rest * 100) >> shift);
	if (whole < 10)
		snprintf(buf, UNITS_BUF, "%llu.%02llu %s", whole, hundredths, names[unit]);
	else if (whole < 100)
		snprintf(buf, UNITS_BUF, "%llu.%llu %s", whole, hundredths / 10, names[unit]);
	else
		snprintf(buf, UNITS_BUF, "%llu %s", whole, names[unit]);
	return buf;
}

const char *units__duration(double seconds, char buf[UNITS_BUF])
{
	unsigned long long us, s;

	/* NaN fails both comparisons; past ~30000 years the cast would overflow */
	if (!(seconds >= 0))
		seconds = 0;
	if (seconds > 1e12)
		seconds = 1e12;
	/* whole microseconds first, so 0.058 (57.999... ms in binary) is 58 ms */
	us = (unsigned long long)(seconds * 1e6 + 0.5);
	s = us / 1000000;
	if (s < 1)
		snprintf(buf, UNITS_BUF, "%llu ms", us / 1000);
	else if (s < 60)
		snprintf(buf, UNITS_BUF, "%llu.%llu s", s, us / 100000 % 10);
	else if (s < 3600)
		snprintf(buf, UNITS_BUF, "%llum %02llus", s / 60, s % 60);
	else
		snprintf(buf, UNITS_BUF, "%lluh %02llum", s / 3600, s / 60 % 60);
	return buf;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at *s, as a number at most max; *s moves past them. */
static int parse_digits(const char **s, uint64_t max, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;

	if (!is_digit(*p))
		return -EINVAL;
	for (; is_digit(*p); p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*out = v;
	return 0;
}

int units__parse_count(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (parse_digits(&s, max, &v) || *s)
		return -EINVAL;
	*out = v;
	return 0;
}

int units__parse_bytes(const char *s, uint64_t max, uint64_t *out)
{
	static const char units[] = "KMG";
	const char *unit;
	unsigned int shift = 0;
	uint64_t v;

	/* the digits alone may exceed max / 1024^n and still be refused below */
	if (parse_digits(&s, UINT64_MAX, &v))
		return -EINVAL;
	if (*s && (unit = strchr(units, *s & ~0x20))) {
		shift = 10 * (unsigned int)(unit - units + 1);
		s++;
		if (*s == 'i')
			s++;
		if (*s == 'B' || *s == 'b')
			s++;
	}
	if (*s || v > (max >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

int units__parse_duration(const char *s, double max_s, double *out)
{
	const char *p = s;
	char *end;
	double v;

	/* the number's shape first: strtod alone takes "nan", "inf", "0x1p3" and " 5" */
	while (is_digit(*p))
		p++;
	if (*p == '.')
		p++;
	while (is_digit(*p))
		p++;
	if (p == s || (p == s + 1 && *s == '.'))
		return -EINVAL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return -EINVAL;
		while (is_digit(*p))
			p++;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end != p || errno == ERANGE || !(v >= 0))
		return -EINVAL;
	if (!strcmp(p, "m"))
		v *= 60;
	else if (!strcmp(p, "h"))
		v *= 3600;
	else if (*p && strcmp(p, "s"))
		return -EINVAL;
	if (!(v <= max_s))
		return -EINVAL;
	*out = v;
	return 0;
}
