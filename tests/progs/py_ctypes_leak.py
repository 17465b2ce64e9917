# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Allocates 7777777 bytes through ctypes from a known Python function and
# keeps them: tests/integration/test_stack_modes.c unwinds it with DWARF
# through Debian's python3.11, which has no frame pointers.
import ctypes

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p


def leak_here():
    return libc.malloc(7777777)


kept = leak_here()
