// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "attach/alloc_funcs.h"

static const char *const names[MT_FN_COUNT] = {
	[MT_FN_MALLOC] = "malloc",
	[MT_FN_CALLOC] = "calloc",
	[MT_FN_REALLOC] = "realloc",
	[MT_FN_REALLOCARRAY] = "reallocarray",
	[MT_FN_FREE] = "free",
	[MT_FN_POSIX_MEMALIGN] = "posix_memalign",
	[MT_FN_ALIGNED_ALLOC] = "aligned_alloc",
	[MT_FN_MEMALIGN] = "memalign",
	[MT_FN_VALLOC] = "valloc",
	[MT_FN_PVALLOC] = "pvalloc",
};

const char *alloc_funcs__name(enum mt_func fn)
{
	return (unsigned int)fn < MT_FN_COUNT ? names[fn] : "?";
}

bool alloc_funcs__has_return(enum mt_func fn)
{
	return fn != MT_FN_FREE;
}

struct placement_rules alloc_funcs__placement_rules(enum mt_func fn)
{
	switch (fn) {
	case MT_FN_CALLOC:
	case MT_FN_REALLOC:
		return (struct placement_rules){ .args_read = PLACE_ARG_RDI | PLACE_ARG_RSI };
	case MT_FN_REALLOCARRAY:
		return (struct placement_rules){ .args_read = PLACE_ARG_RDI | PLACE_ARG_RSI |
							      PLACE_ARG_RDX };
	case MT_FN_FREE:
		/* free(NULL) is ignored anyway: its NULL check may run before the probe */
		return (struct placement_rules){ .args_read = PLACE_ARG_RDI,
						 .zero_arg0_ignored = true };
	case MT_FN_POSIX_MEMALIGN:
		return (struct placement_rules){ .args_read = PLACE_ARG_RDI | PLACE_ARG_RDX };
	case MT_FN_ALIGNED_ALLOC:
	case MT_FN_MEMALIGN:
		return (struct placement_rules){ .args_read = PLACE_ARG_RSI };
	case MT_FN_MALLOC:
	case MT_FN_VALLOC:
	case MT_FN_PVALLOC:
	case MT_FN_COUNT:
		break;
	}
	return (struct placement_rules){ .args_read = PLACE_ARG_RDI };
}
