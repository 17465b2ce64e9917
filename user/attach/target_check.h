/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Whether a -p target can be traced at all, said before anything else is
 * said about it: the stack choice reads its executable and the BPF
 * programs load only after every target passed. A target must exist, be a
 * process (not one of its threads), not be memtrace, not be a zombie, not
 * be a kernel thread, and have a memory map memtrace can read. PID 1 is a
 * process like the others: traced when it passes (systemd, a container's
 * entry point), refused with the real reason when not.
 */
#ifndef MEMTRACE_TARGET_CHECK_H
#define MEMTRACE_TARGET_CHECK_H

#include <sys/types.h>

/*
 * 0, or a negative errno after one line on stderr:
 *   memtrace: cannot attach to PID 77: no such process             (-ESRCH)
 *   memtrace: cannot trace memtrace itself (PID 77)                (-EINVAL)
 *   memtrace: PID 78 is a thread of process 77: give -p 77         (-EINVAL)
 *   memtrace: cannot attach to PID 77 (app): it is a zombie: ...   (-ESRCH)
 *   memtrace: no allocator found in PID 2 (kthreadd): it is a kernel thread, ... (-EINVAL)
 *   memtrace: cannot read the memory map of PID 1 (init): Permission denied (-errno)
 */
int target_check__pid(pid_t pid);
/* The same under another /proc (unit tests); self stands for memtrace's own PID. */
int target_check__pid_at(const char *proc, pid_t self, pid_t pid);

#endif /* MEMTRACE_TARGET_CHECK_H */
