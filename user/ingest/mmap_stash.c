// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/mmap_stash.h"

static void forget(struct mmap_stash *s, size_t from, size_t count)
{
	for (size_t i = from; i < from + count; i++)
		free(s->events[i].map.path);
	memmove(&s->events[from], &s->events[from + count],
		(s->n - from - count) * sizeof(*s->events));
	s->n -= count;
}

int mmap_stash__add(struct mmap_stash *s, const struct mmap_watch_event *e)
{
	struct mmap_watch_event copy = *e;

	/* a quarter at a time: the move is paid once per many records */
	if (s->n == MMAP_STASH_MAX) {
		forget(s, 0, MMAP_STASH_MAX / 4);
		s->dropped += MMAP_STASH_MAX / 4;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct mmap_watch_event *grown = realloc(s->events, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->events = grown;
		s->cap = cap;
	}
	if (e->map.path && !(copy.map.path = strdup(e->map.path)))
		return -ENOMEM;
	s->events[s->n++] = copy;
	return 0;
}

int mmap_stash__take(struct mmap_stash *s, uint32_t pid, mmap_watch_cb cb, void *ctx)
{
	size_t kept = 0;
	int err = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct mmap_watch_event *e = &s->events[i];

		if (e->pid != pid) {
			s->events[kept++] = *e;
			continue;
		}
		if (!err)
			err = cb(ctx, e);
		free(e->map.path);
	}
	s->n = kept;
	return err;
}

void mmap_stash__expire(struct mmap_stash *s, uint64_t before_ns)
{
	size_t old = 0;

	while (old < s->n && s->events[old].time_ns < before_ns)
		old++;
	forget(s, 0, old);
	s->dropped += old;
}

void mmap_stash__release(struct mmap_stash *s)
{
	forget(s, 0, s->n);
	free(s->events);
	*s = (struct mmap_stash){};
}
