# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# cudaMalloc of the CUDA test double (tests/gpu_double/: host memory, no
# GPU) called through ctypes from named Python functions
# (tests/integration/test_python_stacks.c): gpu_alloc_here keeps
# KEPT_BYTES of device memory; gpu_oom_here asks for 1 TiB, past the
# double's capacity, and gets cudaErrorMemoryAllocation (an out-of-memory
# event). Usage: cuda_ctypes.py LIBRARY, what ctypes.CDLL is given: the test
# gives libcudart.so.13 with the double's directory in LD_LIBRARY_PATH, as
# a wheel's RUNPATH would find it, and memtrace probes such a library ahead
# of its dlopen (a library it learns of only once mapped is probed within
# milliseconds, and a call made at once would be missed). Exits 0 only when
# both calls did as said; leaves through os._exit, the block live.
import ctypes
import os
import sys
import time

KEPT_BYTES = 3 * 1024 * 1024
OOM_BYTES = 1 << 40
CUDA_SUCCESS = 0
CUDA_ERROR_MEMORY_ALLOCATION = 2

cudart = ctypes.CDLL(sys.argv[1])
# Libraries mapped just now (libffi and _ctypes with import ctypes, the double itself) get
# their unwind tables into the kernel as their mapping records reach memtrace (README,
# "Stacks"); a call made before that unwinds no further than them. The test is about the
# Python frames, not that window: give memtrace the time.
time.sleep(0.5)
cudart.cudaMalloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
cudart.cudaMalloc.restype = ctypes.c_int
kept = []


def gpu_alloc_here():
    ptr = ctypes.c_void_p()
    err = cudart.cudaMalloc(ctypes.byref(ptr), KEPT_BYTES)  # MARK: gpu_alloc_here
    kept.append(ptr)
    return err


def gpu_oom_here():
    ptr = ctypes.c_void_p()
    return cudart.cudaMalloc(ctypes.byref(ptr), OOM_BYTES)  # MARK: gpu_oom_here


def main():
    ok = gpu_alloc_here() == CUDA_SUCCESS  # MARK: main_alloc
    ok = gpu_oom_here() == CUDA_ERROR_MEMORY_ALLOCATION and ok  # MARK: main_oom
    # memtrace names a Python frame by reading its code object from the live process when
    # the stack's record arrives: these stacks are new just before the exit, so stay a moment.
    time.sleep(0.5)
    sys.stdout.flush()
    os._exit(0 if ok else 1)


main()  # MARK: module
