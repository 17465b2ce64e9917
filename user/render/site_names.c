// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "render/site_names.h"

const char *site_names__gpu_kind(const char *allocator)
{
	const char *dot = allocator ? strchr(allocator, '.') : NULL;

	return dot && dot[1] ? dot + 1 : NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void site_names__frame(const struct snap_frame *f, char *buf, size_t len)
{
	/* the file's base name: a flame graph's boxes are narrow, and pprof keeps the path */
	if (f->python && f->symbol && f->file)
		snprintf(buf, len, "%s (%s:%u)", f->symbol, base_name(f->file), f->line);
	else if (f->symbol)
		snprintf(buf, len, "%s", f->symbol);
	else if (f->module)
		snprintf(buf, len, "[%s+0x%llx]", base_name(f->module),
			 (unsigned long long)f->module_offset);
	else
		snprintf(buf, len, "[unknown]");
}
