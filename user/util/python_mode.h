/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --python: how a stack with Python frames is shown (issue 15). */
#ifndef MEMTRACE_PYTHON_MODE_H
#define MEMTRACE_PYTHON_MODE_H

enum mt_python_mode {
	/*
	 * The default, 0 so that a zeroed config or tracker has it: Python
	 * frames in place of the eval loop's, C extensions between them kept
	 */
	MT_PYTHON_MIXED,
	/* the native frames leafward of the first Python frame, then Python frames only */
	MT_PYTHON_ONLY,
	/* the kernel walks no Python frames: native stacks as before */
	MT_PYTHON_OFF,
};

#endif /* MEMTRACE_PYTHON_MODE_H */
