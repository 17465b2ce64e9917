// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One field of a snapshot at a time, each mistake named by its path (snapshot_fields.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/snapshot_fields.h"

static const struct {
	const char *key;
	size_t offset;
} counter_fields[] = {
	{ "current_bytes", offsetof(struct mt_counters, current_bytes) },
	{ "peak_bytes", offsetof(struct mt_counters, peak_bytes) },
	{ "allocs", offsetof(struct mt_counters, allocs) },
	{ "frees", offsetof(struct mt_counters, frees) },
	{ "reallocs", offsetof(struct mt_counters, reallocs) },
	{ "failed_allocs", offsetof(struct mt_counters, failed_allocs) },
	{ "allocated_bytes", offsetof(struct mt_counters, allocated_bytes) },
	{ "freed_bytes", offsetof(struct mt_counters, freed_bytes) },
	{ "unknown_frees", offsetof(struct mt_counters, unknown_frees) },
};

int fields__fail(const struct field_reader *r, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->err_len)
		return err;
	n = snprintf(r->err, r->err_len, "%s", r->name);
	if (n < 0 || (size_t)n >= r->err_len)
		return err;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->err_len - n, fmt, ap);
	va_end(ap);
	return err;
}

const char *fields__printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static const char *join(char *buf, const char *where, const char *key)
{
	if (!key)
		snprintf(buf, FIELDS_PATH_LEN, "%s", where);
	else if (!*where)
		snprintf(buf, FIELDS_PATH_LEN, "%s", key);
	else
		snprintf(buf, FIELDS_PATH_LEN, "%s.%s", where, key);
	return buf;
}

const char *fields__describe(const json_t *v, char *buf, size_t len)
{
	int n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		/* 2.0 is not the integer 2: say which it was */
		n = snprintf(buf, len, "%g", json_real_value(v));
		if (n > 0 && (size_t)n + 2 < len && strspn(buf, "-0123456789") == (size_t)n)
			strcat(buf, ".0");
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "an unknown value";
}

int fields__wrong_type(const struct field_reader *r, const char *where, const char *key, const char *want,
		      const json_t *v)
{
	char path[FIELDS_PATH_LEN], found[32];

	return fields__fail(r, -EINVAL, ": %s: expected %s, found %s", join(path, where, key), want,
		    fields__describe(v, found, sizeof(found)));
}

int fields__missing(const struct field_reader *r, const char *where, const char *key)
{
	char path[FIELDS_PATH_LEN];

	return fields__fail(r, -EINVAL, ": %s: missing: not a complete memtrace snapshot",
		    join(path, where, key));
}

int fields__u64(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		    bool required, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	char want[48];

	if (!v)
		return required ? fields__missing(r, where, key) : 0;
	if (json_is_null(v) && !required)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		if (max >= INT64_MAX)
			snprintf(want, sizeof(want), "a non-negative integer");
		else
			snprintf(want, sizeof(want), "an integer from 0 to %llu",
				 (unsigned long long)max);
		return fields__wrong_type(r, where, key, want, v);
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int fields__u32(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		    uint32_t *out)
{
	uint64_t v = *out;
	int err;

	err = fields__u64(r, obj, where, key, false, UINT32_MAX, &v);
	*out = (uint32_t)v;
	return err;
}

int fields__bool(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		     bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return fields__wrong_type(r, where, key, "true or false", v);
	*out = json_is_true(v);
	return 0;
}

int fields__number(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		       bool *present, double *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return fields__wrong_type(r, where, key, "a number", v);
	*out = json_number_value(v);
	if (present)
		*present = true;
	return 0;
}

int fields__string(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		       const char *dflt, char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s = dflt;

	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			return fields__wrong_type(r, where, key, "a string", v);
		s = json_string_value(v);
	}
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int fields__hex(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	char *end;

	if (!v || json_is_null(v))
		return 0;
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strncmp(s, "0x", 2) || !isxdigit((unsigned char)s[2]))
		return fields__wrong_type(r, where, key, "a hex string (\"0x...\")", v);
	errno = 0;
	*out = strtoull(s + 2, &end, 16);
	if (*end || errno)
		return fields__wrong_type(r, where, key, "a hex string of at most 64 bits", v);
	return 0;
}

int fields__array(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		      bool required, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return required ? fields__missing(r, where, key) : 0;
	if (json_is_null(v) && !required)
		return 0;
	if (!json_is_array(v))
		return fields__wrong_type(r, where, key, "an array", v);
	*out = v;
	return 0;
}

int fields__object(const struct field_reader *r, json_t *obj, const char *where, const char *key,
		   json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return fields__wrong_type(r, where, key, "an object", v);
	*out = v;
	return 0;
}

int fields__counters(const struct field_reader *r, json_t *obj, const char *where, bool required,
			 struct mt_counters *c)
{
	int err = 0;

	for (size_t i = 0; i < sizeof(counter_fields) / sizeof(counter_fields[0]) && !err; i++)
		err = fields__u64(r, obj, where, counter_fields[i].key, required, UINT64_MAX,
			       (uint64_t *)((char *)c + counter_fields[i].offset));
	return err;
}

