# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Calls the test extension mtext (tests/progs/python/mtext.c) from named
# Python functions (tests/integration/test_python_stacks.c): run ->
# call_ext -> mtext.ext_alloc(EXT_BYTES), and run -> call_ext_nogil ->
# mtext.ext_alloc_nogil(NOGIL_BYTES), which mallocs with the GIL released;
# and run -> via_ext -> mtext.ext_call_back (C) -> alloc_in_callback, which
# keeps a bytearray(CALLBACK_BYTES): a C frame between two Python ones.
# Usage: ext_caller.py DIR, DIR holding the mtext built for this
# interpreter. Leaves through os._exit, the blocks live.
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
import mtext  # noqa: E402

# No pause after the import: mtext.so's first calls come before memtrace has told the
# kernel of it, and their stacks are copied for user space to unwind; the Python frames
# must come with them all the same (README, "Python").

EXT_BYTES = 1234567
NOGIL_BYTES = 2345678
CALLBACK_BYTES = 3456789
kept = []


def call_ext():
    return mtext.ext_alloc(EXT_BYTES)  # MARK: call_ext


def call_ext_nogil():
    return mtext.ext_alloc_nogil(NOGIL_BYTES)  # MARK: call_ext_nogil


def alloc_in_callback():
    kept.append(bytearray(CALLBACK_BYTES))  # MARK: alloc_in_callback


def via_ext():
    mtext.ext_call_back(alloc_in_callback)  # MARK: via_ext


def run():
    call_ext()  # MARK: run_ext
    call_ext_nogil()  # MARK: run_nogil
    via_ext()  # MARK: run_via_ext


run()  # MARK: module
# memtrace names a Python frame by reading its code object from the live process when
# the stack's record arrives: these stacks are new just before the exit, so stay a moment.
time.sleep(0.5)
sys.stdout.flush()
os._exit(0)
