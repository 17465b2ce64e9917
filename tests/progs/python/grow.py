# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A Python site that keeps growing (tests/integration/test_python_stacks.c):
# outer -> Model.step -> leak_here, which appends a bytearray(64 KiB) to a
# module-level list every 50 ms, ITERATIONS times, then leaves through
# os._exit so the blocks are still live when the process ends (a normal exit
# would free them while the interpreter finalizes).
#
# Usage: grow.py [--wait] ITERATIONS. It prints "ready" first; with --wait it
# then waits for a line on stdin (memtrace -p attaches meanwhile).
#
# 64 KiB, not less: CPython's small-object allocator serves requests of at
# most 512 bytes from its own arenas, which libc's malloc never sees. The
# test finds each call's line by its "# MARK: name" comment, so the code may
# move; keep each call on one line.
import os
import sys
import time

kept = []


def leak_here():
    kept.append(bytearray(64 * 1024))  # MARK: leak_here


class Model:
    def step(self):
        leak_here()  # MARK: step


def outer(iterations):
    model = Model()
    for _ in range(iterations):
        model.step()  # MARK: outer
        time.sleep(0.05)


def main():
    args = sys.argv[1:]
    wait = bool(args) and args[0] == "--wait"
    if wait:
        args = args[1:]
    iterations = int(args[0]) if args else 40
    print("ready", flush=True)
    if wait:
        sys.stdin.readline()
    outer(iterations)  # MARK: main
    sys.stdout.flush()
    os._exit(0)


main()  # MARK: module
