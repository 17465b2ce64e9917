// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/py_layout.h"

/*
 * Where each offset is in 3.10, 3.11, 3.12 and 3.13's DWARF: "struct tag.
 * member[.member]" (the sum of the members' offsets), or "struct tag"
 * alone for its size; NULL where the version has no such field.
 */
static const struct {
	size_t at; /* offsetof(struct py_offsets, field) */
	const char *path[4];
} members[] = {
#define AT(field) offsetof(struct py_offsets, field)
	{ AT(runtime_interpreters_head), { "pyruntimestate.interpreters.head",
		"pyruntimestate.interpreters.head", "pyruntimestate.interpreters.head",
		"pyruntimestate.interpreters.head" } },
	{ AT(interp_next), { "_is.next", "_is.next", "_is.next", "_is.next" } },
	{ AT(interp_threads_head), { "_is.tstate_head", "_is.threads.head", "_is.threads.head",
		"_is.threads.head" } },
	{ AT(ts_next), { "_ts.next", "_ts.next", "_ts.next", "_ts.next" } },
	{ AT(ts_thread_id), { "_ts.thread_id", "_ts.thread_id", "_ts.thread_id",
		"_ts.thread_id" } },
	{ AT(ts_native_thread_id), { NULL, "_ts.native_thread_id", "_ts.native_thread_id",
		"_ts.native_thread_id" } },
	{ AT(ts_frame), { "_ts.frame", "_ts.cframe", "_ts.cframe", "_ts.current_frame" } },
	{ AT(cframe_current_frame), { NULL, "_PyCFrame.current_frame",
		"_PyCFrame.current_frame", NULL } },
	{ AT(frame_previous), { "_frame.f_back", "_PyInterpreterFrame.previous",
		"_PyInterpreterFrame.previous", "_PyInterpreterFrame.previous" } },
	{ AT(frame_code), { "_frame.f_code", "_PyInterpreterFrame.f_code",
		"_PyInterpreterFrame.f_code", "_PyInterpreterFrame.f_executable" } },
	{ AT(frame_instr), { "_frame.f_lasti", "_PyInterpreterFrame.prev_instr",
		"_PyInterpreterFrame.prev_instr", "_PyInterpreterFrame.instr_ptr" } },
	{ AT(frame_owner), { NULL, "_PyInterpreterFrame.owner", "_PyInterpreterFrame.owner",
		"_PyInterpreterFrame.owner" } },
	{ AT(frame_is_entry), { NULL, "_PyInterpreterFrame.is_entry", NULL, NULL } },
	{ AT(code_size), { "PyCodeObject", "PyCodeObject", "PyCodeObject", "PyCodeObject" } },
	{ AT(code_filename), { "PyCodeObject.co_filename", "PyCodeObject.co_filename",
		"PyCodeObject.co_filename", "PyCodeObject.co_filename" } },
	{ AT(code_name), { "PyCodeObject.co_name", "PyCodeObject.co_name", "PyCodeObject.co_name",
		"PyCodeObject.co_name" } },
	{ AT(code_qualname), { NULL, "PyCodeObject.co_qualname", "PyCodeObject.co_qualname",
		"PyCodeObject.co_qualname" } },
	{ AT(code_linetable), { "PyCodeObject.co_linetable", "PyCodeObject.co_linetable",
		"PyCodeObject.co_linetable", "PyCodeObject.co_linetable" } },
	{ AT(code_firstlineno), { "PyCodeObject.co_firstlineno", "PyCodeObject.co_firstlineno",
		"PyCodeObject.co_firstlineno", "PyCodeObject.co_firstlineno" } },
	{ AT(code_adaptive), { NULL, "PyCodeObject.co_code_adaptive",
		"PyCodeObject.co_code_adaptive", "PyCodeObject.co_code_adaptive" } },
#undef AT
};

/* Through typedefs and qualifiers to the struct itself. */
static int struct_type(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute attr;

	*out = *die;
	while (dwarf_tag(out) != DW_TAG_structure_type) {
		if (!dwarf_formref_die(dwarf_attr(out, DW_AT_type, &attr), out))
			return -ENOENT;
	}
	return 0;
}

/* The defining DIE of struct tag, from the first unit that has one. */
static int find_struct(Dwarf *dw, const char *tag, Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (!dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				const char *name = dwarf_diename(&child);

				if (dwarf_tag(&child) == DW_TAG_structure_type && name &&
				    !strcmp(name, tag) && !dwarf_hasattr(&child, DW_AT_declaration)) {
					*out = child;
					return 0;
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
	return -ENOENT;
}

/* Offset of member name in struct st, and in *type the member's own struct. */
static int member_offset(Dwarf_Die *st, const char *name, size_t len, Dwarf_Word *at,
			 Dwarf_Die *type)
{
	Dwarf_Die m;

	if (dwarf_child(st, &m))
		return -ENOENT;
	do {
		const char *n = dwarf_diename(&m);
		Dwarf_Attribute attr;

		if (dwarf_tag(&m) != DW_TAG_member || !n || strlen(n) != len || strncmp(n, name, len))
			continue;
		if (dwarf_formudata(dwarf_attr(&m, DW_AT_data_member_location, &attr), at))
			return -ENOENT;
		/* only a nested struct's members are looked into further */
		if (struct_type(&m, type))
			*type = m;
		return 0;
	} while (dwarf_siblingof(&m, &m) == 0);
	return -ENOENT;
}

static int path_offset(Dwarf *dw, const char *path, uint16_t *out)
{
	const char *dot = strchr(path, '.');
	char tag[64];
	Dwarf_Die st;
	Dwarf_Word sum = 0, at;
	int size;

	snprintf(tag, sizeof(tag), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
	if (find_struct(dw, tag, &st))
		return -ENOENT;
	if (!dot) {
		size = dwarf_bytesize(&st);
		*out = (uint16_t)size;
		return size > 0 ? 0 : -ENOENT;
	}
	for (const char *p = dot + 1; p; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		if (member_offset(&st, p, dot ? (size_t)(dot - p) : strlen(p), &at, &st))
			return -ENOENT;
		sum += at;
	}
	*out = (uint16_t)sum;
	return 0;
}

int py_layout__from_dwarf(const char *path, int minor, struct py_offsets *out)
{
	Dwarf *dw;
	int fd, err = 0;

	if (minor < 10 || minor > 13)
		return -ENOTSUP;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw)
		err = -ENOENT;
	for (size_t i = 0; !err && i < sizeof(members) / sizeof(members[0]); i++) {
		const char *p = members[i].path[minor - 10];
		uint16_t v = PY_OFF_NONE;

		if (p)
			err = path_offset(dw, p, &v);
		memcpy((char *)out + members[i].at, &v, sizeof(v));
	}
	dwarf_end(dw);
	close(fd);
	return err;
}
