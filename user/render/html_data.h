/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The data of an HTML page (html.h), as JSON the page's script reads: what
 * the report and the diff page both write. Frames are interned, and so are
 * the strings they hold: a deep stack shared by a thousand sites is one
 * list of frame numbers per site, its names written once.
 */
#ifndef MEMTRACE_HTML_DATA_H
#define MEMTRACE_HTML_DATA_H

#include <stdint.h>

#include "account/counters.h"
#include "compare/snapshot_reader.h"
#include "util/json_writer.h"
#include "util/str_map.h"

struct html_frame {
	uint32_t name, file, module;	/* string numbers; HTML_NONE when unknown */
	uint32_t line;
};

#define HTML_NONE UINT32_MAX

struct html_tables {
	struct str_map strings;
	struct str_map frame_keys;
	struct html_frame *frames;	/* by the frame key's index */
	size_t cap;
};

/* "stack": [frame numbers, leaf first] of a site's frames (at most n; 0: all). 0 or -ENOMEM. */
int html_tables__stack(struct html_tables *t, struct json_writer *w, const struct snap_leak *l,
		       size_t n);
/* "strings" and "frames", to end the data object with. */
void html_tables__write(const struct html_tables *t, struct json_writer *w);
void html_tables__release(struct html_tables *t);

/* key: {counters by their snapshot names} */
void html_data__counters(struct json_writer *w, const char *key, const struct mt_counters *c);
/* One snapshot's summary, processes with their threads and timelines, and its path. */
void html_data__snapshot(struct json_writer *w, const struct snapshot *s);

#endif /* MEMTRACE_HTML_DATA_H */
