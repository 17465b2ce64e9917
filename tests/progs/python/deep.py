# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A Python chain deeper than a stack record holds (tests/integration/test_python_stacks.c):
# deep(150) recurses 150 times, then deep_leak keeps a bytearray(80000), ITERATIONS times,
# and leaves through os._exit with the blocks live. 150 Python frames and the native ones
# under them do not fit in 127: the native walk stops at 64 frames so that the leaf-most
# Python frames are kept, and the stack is marked truncated. Lines by "# MARK: name".
import os
import sys
import time

kept = []


def deep_leak():
    kept.append(bytearray(80000))  # MARK: deep_leak


def deep(n):
    if n == 0:
        deep_leak()  # MARK: bottom
        return
    deep(n - 1)  # MARK: recurse


iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 5
for _ in range(iterations):
    deep(150)
# memtrace reads a stack's code objects from the live process when its record comes
sys.stdout.flush()
time.sleep(0.5)
os._exit(0)
