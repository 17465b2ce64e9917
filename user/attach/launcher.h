/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Launch mode: start CMD with the libc probes attached before any libc
 * code runs. The child waits at a gate until the first probes are ready,
 * then is stopped once at startup, where memtrace reads its maps (so a
 * program that exits at once still gets names): for a dynamically linked
 * CMD at the loader's debugger hook (_dl_debug_state, reached once the
 * startup libraries are mapped, before they are relocated or initialized),
 * where the libc probes are attached; for a static CMD, whose malloc is in
 * the executable and probed before exec, at its entry point.
 */
#ifndef MEMTRACE_LAUNCHER_H
#define MEMTRACE_LAUNCHER_H

#include <stdbool.h>
#include <sys/types.h>

#include "attach/bpf_loader.h"
#include "attach/prober.h"
#include "symbolize/proc_maps.h"
#include "util/config.h"

struct launched {
	pid_t pid;
	char *exec_path;	/* the file CMD resolved to */
	struct prober_found found; /* its allocators probed; libc's for the ready hook to take */
	char *preload;		/* the preload library CMD was started with (loaded), or NULL */
	bool traced;		/* held at startup by ptrace, not SIGSTOP (launcher.c) */
};

/*
 * At CMD's startup stop, its libc (or preload library) probed: the caller
 * makes its record, with the maps read at the stop (*maps, to take), and
 * puts in what must be in before CMD runs on. A negative errno ends the
 * launch.
 */
typedef int (*launcher_ready_fn)(void *ctx, struct launched *child, struct proc_maps *maps);

/*
 * Starts argv[0] (searched in PATH like execvp) traced by l, probed as pr
 * decides, and hands it to ready at its startup stop. On error a one-line message has been
 * printed and no child is left running.
 */
int launcher__start(const struct mt_config *cfg, struct bpf_loader *l, struct prober *pr,
		    launcher_ready_fn ready, void *ctx, struct launched *out);
void launcher__release(struct launched *child);
/* The ELF file that running cmd would load (PATH search, "#!" lines followed). */
int launcher__image(const char *cmd, char *out, size_t len);

#endif /* MEMTRACE_LAUNCHER_H */
