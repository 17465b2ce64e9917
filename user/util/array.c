// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/array.h"

int array__reserve(void **data, size_t *cap, size_t need, size_t elem_size)
{
	size_t grown = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (grown < need) {
		if (grown > SIZE_MAX / 2)
			return -ENOMEM;
		grown *= 2;
	}
	if (grown > SIZE_MAX / elem_size)
		return -ENOMEM;
	p = realloc(*data, grown * elem_size);
	if (!p)
		return -ENOMEM;
	*data = p;
	*cap = grown;
	return 0;
}
