# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Two Python threads allocating at once, each in its own functions
# (tests/integration/test_python_stacks.c): thread A keeps ROUNDS
# bytearray(A_BYTES) from a_alloc, thread B ROUNDS bytearray(B_BYTES) from
# b_alloc; the sizes tell their sites apart. Both start together (a
# barrier) and interleave with short sleeps, so the probes see both threads
# inside Python at the same time. Leaves through os._exit: the blocks are
# live at the end. Sizes above 512 bytes, so that libc's malloc sees them.
import os
import sys
import threading
import time

A_BYTES = 70000
B_BYTES = 90000
ROUNDS = 20

start = threading.Barrier(2)
kept_a = []
kept_b = []


def a_alloc():
    kept_a.append(bytearray(A_BYTES))  # MARK: a_alloc


def a_thread():
    start.wait()
    for _ in range(ROUNDS):
        a_alloc()  # MARK: a_thread
        time.sleep(0.005)


def b_alloc():
    kept_b.append(bytearray(B_BYTES))  # MARK: b_alloc


def b_thread():
    start.wait()
    for _ in range(ROUNDS):
        b_alloc()  # MARK: b_thread
        time.sleep(0.005)


threads = [threading.Thread(target=a_thread), threading.Thread(target=b_thread)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done", len(kept_a), len(kept_b), flush=True)
# memtrace reads a stack's code objects from the live process when its record comes, which
# can be a few hundred milliseconds behind at start-up (README "Python", Limits)
sys.stdout.flush()
time.sleep(0.5)
os._exit(0)
