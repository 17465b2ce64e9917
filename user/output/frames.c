// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <limits.h>
#include <string.h>

#include "output/frames.h"
#include "util/text_escape.h"

/* Frames looked at to name a stack: its leaf, with what is inlined there. */
#define LEAF_FRAMES 16

const char *frames__printable(const char *name, char *buf, size_t len)
{
	if (!name || !name[0])
		return "?";
	return text_escape(name, buf, len);
}

const char *frames__name(const struct leak_frame *frame, char *buf, size_t len)
{
	/* a summary line names a site: longer names are cut */
	char name_buf[512], file_buf[512];
	const struct frame_info *f = &frame->info;
	const char *base, *name = name_buf, *file;

	if (f->symbol)
		name = frames__printable(f->symbol, name_buf, sizeof(name_buf));
	else
		snprintf(name_buf, sizeof(name_buf), "0x%llx", (unsigned long long)frame->ip);
	if (!f->file) {
		snprintf(buf, len, "%s", name);
		return buf;
	}
	base = strrchr(f->file, '/');
	file = frames__printable(base ? base + 1 : f->file, file_buf, sizeof(file_buf));
	if (f->line)
		snprintf(buf, len, "%s (%s:%u)", name, file, f->line);
	else
		snprintf(buf, len, "%s (%s)", name, file);
	return buf;
}

const char *frames__leaf_name(const struct run_summary *s, const struct mt_process *p,
			      uint32_t stack, char *buf, size_t len)
{
	const struct mt_stack *st = stack_table__get(&s->tracker->stacks, stack);
	struct leak_frame frames[LEAF_FRAMES];
	bool truncated;

	if (!st->received || !leaks__stack_frames(s->tracker, s->sym, p, stack, frames,
						  LEAF_FRAMES, &truncated)) {
		snprintf(buf, len, "(%s)", run_summary__no_stack_reason(s, stack, false));
		return buf;
	}
	return frames__name(&frames[0], buf, len);
}

static void write_text_frame(const struct leak_frame *frame, FILE *out)
{
	const struct frame_info *f = &frame->info;
	const char *base = f->module ? strrchr(f->module, '/') : NULL;
	char path[PATH_MAX], name[PATH_MAX];

	/* a Python frame is its function and line: no offset or module means anything there */
	if (f->python) {
		fprintf(out, "    %s\n", frames__name(frame, name, sizeof(name)));
		return;
	}
	if (f->inlined)
		fprintf(out, "    %s [inlined]", frames__printable(f->symbol, name, sizeof(name)));
	else if (f->symbol)
		fprintf(out, "    %s+0x%llx", frames__printable(f->symbol, name, sizeof(name)),
			(unsigned long long)f->symbol_offset);
	else if (f->module)
		/* stable across runs, unlike the address: for addr2line -e MODULE */
		fprintf(out, "    %s+0x%llx",
			frames__printable(base ? base + 1 : f->module, path, sizeof(path)),
			(unsigned long long)f->module_offset);
	else
		fprintf(out, "    0x%llx", (unsigned long long)frame->ip);
	/* the file's own name is enough to read; the snapshot has the whole path */
	if (f->file) {
		base = strrchr(f->file, '/');
		fprintf(out, " (%s",
			frames__printable(base ? base + 1 : f->file, path, sizeof(path)));
		if (f->line)
			fprintf(out, ":%u", f->line);
		fputc(')', out);
	}
	fprintf(out, "  (%s)\n", frames__printable(f->module, path, sizeof(path)));
}

void frames__write_text(const struct leak_frame *frames, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++)
		write_text_frame(&frames[i], out);
}

static void write_hex(struct json_writer *w, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	json_writer__kv_string(w, key, buf);
}

/* Python frames have the native frames' keys, null where they mean nothing for Python */
static void write_python_frame(const struct leak_frame *f, struct json_writer *w)
{
	json_writer__begin_object(w);
	json_writer__kv_string(w, "kind", "python");
	json_writer__key(w, "ip");
	json_writer__null(w);
	json_writer__kv_string(w, "symbol", f->info.symbol);
	json_writer__kv_string(w, "linkage_name", NULL);
	json_writer__key(w, "offset");
	json_writer__null(w);
	json_writer__kv_string(w, "module", NULL);
	json_writer__key(w, "module_offset");
	json_writer__null(w);
	json_writer__kv_string(w, "file", f->info.file);
	json_writer__key(w, "line");
	if (f->info.line)
		json_writer__u64(w, f->info.line);
	else
		json_writer__null(w);
	json_writer__kv_bool(w, "inlined", false);
	json_writer__end_object(w);
}

static void write_json_frame(const struct leak_frame *f, struct json_writer *w)
{
	if (f->info.python) {
		write_python_frame(f, w);
		return;
	}
	json_writer__begin_object(w);
	json_writer__kv_string(w, "kind", "native");
	write_hex(w, "ip", f->ip);
	json_writer__kv_string(w, "symbol", f->info.symbol);
	/* null for a name that was not mangled: what diff keys a site by is symbol then */
	json_writer__kv_string(w, "linkage_name", f->info.linkage_name);
	json_writer__key(w, "offset");
	/* an inlined call has no code of its own to be an offset into */
	if (f->info.symbol && !f->info.inlined)
		json_writer__u64(w, f->info.symbol_offset);
	else
		json_writer__null(w);
	json_writer__kv_string(w, "module", f->info.module);
	if (f->info.module)
		write_hex(w, "module_offset", f->info.module_offset);
	json_writer__kv_string(w, "file", f->info.file);
	json_writer__key(w, "line");
	if (f->info.line)
		json_writer__u64(w, f->info.line);
	else
		json_writer__null(w);
	json_writer__kv_bool(w, "inlined", f->info.inlined);
	json_writer__end_object(w);
}

void frames__write_json(const struct leak_frame *frames, size_t n, struct json_writer *w)
{
	json_writer__begin_array(w);
	for (size_t i = 0; i < n; i++)
		write_json_frame(&frames[i], w);
	json_writer__end_array(w);
}
