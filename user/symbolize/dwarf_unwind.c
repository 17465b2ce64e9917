// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdwfl.h>

#include "symbolize/dwarf_unwind.h"

struct dwarf_unwinder {
	Dwfl *dwfl;
	pid_t pid;
	char root[32];
	bool attached;
	/* the dump being unwound, for the callbacks below */
	const struct mt_stack_dump *dump;
	uint64_t *frames;
	size_t max, nr;
	unsigned int to_skip;	/* memtrace's own frames still to drop */
};

/*
 * Module names are reported under the process's root (/proc/PID/root/...),
 * so a process in another mount namespace is unwound with its own files;
 * once it has exited that path is gone, and the host's path is the best
 * guess left.
 */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	const char *host = name;
	int fd;

	fd = dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
	if (fd >= 0 || *elfp || strncmp(name, "/proc/", 6))
		return fd;
	host = strstr(name, "/root/");
	if (!host)
		return fd;
	return dwfl_linux_proc_find_elf(mod, userdata, host + 5, base, file_name, elfp);
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	struct dwarf_unwinder *u = arg;

	(void)dwfl;
	/* one thread per unwind: the dump's; a second call ends the list */
	if (*thread_arg)
		return 0;
	*thread_arg = u;
	return u->dump->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_arg)
{
	struct dwarf_unwinder *u = arg;

	(void)dwfl;
	*thread_arg = u;
	return u->dump && u->dump->tid == (__u32)tid;
}

/* Only the copied stack is there to read: the unwind stops where it ends. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct dwarf_unwinder *u = arg;
	const struct mt_stack_dump *d = u->dump;
	uint64_t base = d->stack_base;

	(void)dwfl;
	if (addr < base || addr - base > d->size || d->size - (addr - base) < sizeof(*result))
		return false;
	memcpy(result, d->stack + (addr - base), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct dwarf_unwinder *u = arg;
	Dwarf_Word regs[MT_DUMP_REGS];

	for (int i = 0; i < MT_DUMP_REGS; i++)
		regs[i] = u->dump->regs[i];
	return dwfl_thread_state_registers(thread, 0, MT_DUMP_REGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

int dwarf_unwinder__new(pid_t pid, const char *root, struct dwarf_unwinder **out)
{
	struct dwarf_unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->pid = pid;
	snprintf(u->root, sizeof(u->root), "%s", root ? root : "");
	u->dwfl = dwfl_begin(&dwfl_callbacks);
	if (!u->dwfl) {
		free(u);
		return -ENOMEM;
	}
	*out = u;
	return 0;
}

void dwarf_unwinder__free(struct dwarf_unwinder *u)
{
	if (!u)
		return;
	dwfl_end(u->dwfl);
	free(u);
}

int dwarf_unwinder__set_maps(struct dwarf_unwinder *u, const struct proc_maps *maps)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	/* libdwfl reads the maps format and works out each module's load bias itself */
	f = open_memstream(&text, &len);
	if (!f)
		return -errno;
	for (size_t i = 0; i < maps->n; i++) {
		const struct proc_map *m = &maps->maps[i];

		if (!m->path || m->path[0] != '/')
			continue;
		fprintf(f, "%llx-%llx %c%c%cp %08llx %02x:%02x %llu %s%s\n",
			(unsigned long long)m->start, (unsigned long long)m->end,
			m->readable ? 'r' : '-', m->writable ? 'w' : '-', m->executable ? 'x' : '-',
			(unsigned long long)m->offset, m->dev_major, m->dev_minor,
			(unsigned long long)m->inode, u->root, m->path);
	}
	if (fclose(f)) {
		free(text);
		return -EIO;
	}
	f = fmemopen(text, len, "r");
	if (!f) {
		err = -errno;
		free(text);
		return err;
	}
	dwfl_report_begin(u->dwfl);
	err = dwfl_linux_proc_maps_report(u->dwfl, f);
	dwfl_report_end(u->dwfl, NULL, NULL);
	fclose(f);
	free(text);
	if (err)
		return err > 0 ? -err : -EINVAL;
	if (!u->attached && maps->n) {
		/* the machine is taken from the first module's ELF */
		u->attached = dwfl_attach_state(u->dwfl, NULL, u->pid, &thread_callbacks, u);
		if (!u->attached)
			return -ENOEXEC;
	}
	return 0;
}

static int take_frame(Dwfl_Frame *state, void *arg)
{
	struct dwarf_unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	/* the allocator itself, stopped at its probe (and the preload wrapper) */
	if (u->to_skip) {
		u->to_skip--;
		return DWARF_CB_OK;
	}
	u->frames[u->nr++] = pc;
	return u->nr < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int dwarf_unwinder__unwind(struct dwarf_unwinder *u, const struct mt_stack_dump *d,
			   uint64_t *frames, size_t max, bool *truncated)
{
	int ret;

	*truncated = true;
	if (!u->attached)
		return -ENOENT;
	u->dump = d;
	u->frames = frames;
	u->max = max;
	u->nr = 0;
	u->to_skip = d->skip & MT_DUMP_SKIP ? d->skip & MT_DUMP_SKIP : 1;
	/*
	 * 0: the CFI said the outermost frame was reached. Otherwise the
	 * unwind stopped early (stack copy or CFI ended, or max) but keeps
	 * what it found.
	 */
	ret = dwfl_getthread_frames(u->dwfl, d->tid, take_frame, u);
	*truncated = ret != 0;
	u->dump = NULL;
	return (int)u->nr;
}
