// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "render/html.h"
#include "render/pprof.h"
#include "render/render.h"
#include "render/trace.h"

static const char *const names[] = {
	[RENDER_PPROF] = "pprof",
	[RENDER_FOLDED] = "folded",
	[RENDER_TRACE] = "trace",
	[RENDER_HTML] = "html",
};

/* what messages say is written */
static const char *const what[] = {
	[RENDER_PPROF] = "pprof profile",
	[RENDER_FOLDED] = "folded stacks",
	[RENDER_TRACE] = "trace",
	[RENDER_HTML] = "HTML report",
};

int render__parse_format(const char *arg, enum render_format *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(arg, names[i])) {
			*out = (enum render_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *render__format_what(enum render_format format)
{
	return what[format];
}

int render__write(enum render_format format, enum folded_value value,
		  const struct snapshot *snaps, size_t nr, FILE *out)
{
	if (format == RENDER_PPROF)
		return pprof__write(snaps, nr, out);
	if (format == RENDER_TRACE)
		return trace__write(snaps, nr, out);
	if (format == RENDER_HTML)
		return html__write_report(snaps, nr, out);
	return folded__write(snaps, nr, value, out);
}
